/**
 * Conformance: every EC-Lab .mpt of the shared corpus against ../shared/data/manifest.json.
 * Checks the corpus builder's plain header parse (header line count, technique, column labels,
 * row count, first/last row values, acquisition date, decimal separator), the source repositories'
 * own assertions where they concern the .mpt alone (impedance.py's values and its negative test,
 * yadg's locale and old-version equivalences), and a cycling cross-check against EC-Lab's own
 * per-half-cycle "Q charge"/"Q discharge" columns. yadg's mpr↔mpt consistency needs the .mpr
 * reader and is not checked here.
 */
import type { ColumnArray } from '../../main/api/dataset.js';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cycleCurves, type CyclingColumns } from '../../main/analysis/echem/cycling.js';
import type { DatasetEntry } from '../../main/api/dataset.js';
import { NodeFileSource } from '../../main/formats/file-source.js';
import { FormatError } from '../../main/formats/format-error.js';
import { biologicMptReader } from '../../main/formats/biologic-mpt/reader.js';

const DATA = path.resolve(process.cwd(), '..', 'shared', 'data');
const available = existsSync(path.join(DATA, 'manifest.json')) && existsSync(path.join(DATA, 'biologic'));

interface ManifestEntry {
  path: string;
  kind: string;
  expected: {
    from_source_repo_tests?: Record<string, unknown>;
    computed_by_reference_readers?: { mpt?: Record<string, unknown> };
  };
}

interface Loaded {
  entry: DatasetEntry;
  columns: Record<string, ColumnArray>;
}

async function load(rel: string): Promise<Loaded> {
  const src = await NodeFileSource.open(path.join(DATA, rel));
  const f = await biologicMptReader.open(src);
  const entry = f.entries[0]!;
  const columns = await f.readColumns!('data', entry.columns!.map((c) => c.name));
  await f.close();
  return { entry, columns };
}

const num = (token: string) => Number(token.replace(',', '.'));

/** "MM/DD/YYYY hh:mm:ss(.fff)" → ISO, written independently of the reader's date logic. */
function isoFromEcLab(s: string): string {
  const m = /^(\d\d)\/(\d\d)\/(\d{4}) (\d\d:\d\d:\d\d(?:\.\d+)?)$/.exec(s.trim());
  if (!m) throw new Error(`unexpected date ${s}`);
  return `${m[3]}-${m[1]}-${m[2]}T${m[4]}`;
}

function closeRel(a: number, b: number, rtol: number, atol = 0): boolean {
  return Math.abs(a - b) <= atol + rtol * Math.abs(b) || (Number.isNaN(a) && Number.isNaN(b));
}

/** All problems found for one file; empty = pass. */
async function check(e: ManifestEntry): Promise<string[]> {
  const problems: string[] = [];
  const ref = e.expected.computed_by_reference_readers?.mpt ?? {};
  const src = e.expected.from_source_repo_tests ?? {};

  if (typeof src.error === 'string') {
    // impedance.py's corrupted variant: one label missing, so rows have more values than labels.
    try {
      await load(e.path);
      problems.push(`expected a FormatError (${src.error})`);
    } catch (err) {
      if (!(err instanceof FormatError)) problems.push(`expected a FormatError, got ${String(err)}`);
    }
    return problems;
  }

  let loaded: Loaded;
  try {
    loaded = await load(e.path);
  } catch (err) {
    return [`open failed: ${String(err)}`];
  }
  const { entry, columns } = loaded;
  const original = entry.original as Record<string, unknown>;
  const labels = entry.columns!.map((c) => c.sourceName!);

  if (typeof ref.nb_header_lines === 'number' && original.nbHeaderLines !== ref.nb_header_lines) {
    problems.push(`header lines ${String(original.nbHeaderLines)} ≠ ${ref.nb_header_lines}`);
  }
  if (typeof ref.technique_line === 'string' && (ref.nb_header_lines as number) > 3 && entry.metadata.technique !== ref.technique_line) {
    problems.push(`technique "${entry.metadata.technique}" ≠ "${ref.technique_line}"`);
  }
  if (Array.isArray(ref.columns)) {
    // The corpus split the label line on tabs; labels after the terminating empty field carry no
    // data (peis.issue_225.ewe_ece.mpt) and the reader reports them as a warning instead.
    const refCols = ref.columns as string[];
    const cut = refCols.indexOf('');
    const expectedCols = cut < 0 ? refCols : refCols.slice(0, cut);
    if (JSON.stringify(labels) !== JSON.stringify(expectedCols)) problems.push(`column labels differ: ${labels.join('|')} vs ${expectedCols.join('|')}`);
  }
  const rows = entry.shape[0]!;
  if (typeof ref.n_data_rows === 'number' && rows !== ref.n_data_rows) problems.push(`rows ${rows} ≠ ${ref.n_data_rows}`);
  for (const [key, at] of [['first_data_row', 0], ['last_data_row', rows - 1]] as const) {
    const row = ref[key];
    if (!Array.isArray(row)) continue;
    (row as string[]).forEach((token, c) => {
      const name = entry.columns![c]?.name;
      if (name === undefined) return;
      const got = columns[name]![at]!;
      if (!Object.is(got, num(token)) && !(got === 0 && num(token) === 0)) problems.push(`${key} ${labels[c]}: ${got} ≠ ${token}`);
    });
  }
  if (typeof ref.acquisition_started_on === 'string' && entry.metadata.acquisitionTime !== isoFromEcLab(ref.acquisition_started_on)) {
    problems.push(`acquisition time ${entry.metadata.acquisitionTime} ≠ ${ref.acquisition_started_on}`);
  }
  if (typeof ref.decimal_separator === 'string' && rows > 0 && entry.metadata.extra?.decimalSeparator !== ref.decimal_separator) {
    problems.push(`decimal separator ${String(entry.metadata.extra?.decimalSeparator)} ≠ ${ref.decimal_separator}`);
  }

  // impedance.py's readBioLogic assertions (test_preprocessing.py): f, Re(Z), Im(Z) = −(−Im(Z)).
  if (typeof src.n_points === 'number') {
    const f = columns.freq!;
    const re = columns['Re(Z)']!;
    const mim = columns['-Im(Z)']!;
    const n = f.length;
    if (n !== src.n_points) problems.push(`impedance.py points ${n} ≠ ${src.n_points}`);
    const pairs: [string, number, unknown][] = [
      ['freq_first_Hz', f[0]!, src.freq_first_Hz],
      ['freq_last_Hz', f[n - 1]!, src.freq_last_Hz],
      ['Zreal_first', re[0]!, src.Zreal_first],
      ['Zreal_last', re[n - 1]!, src.Zreal_last],
      ['Zimag_first', -mim[0]!, src.Zimag_first],
      ['Zimag_last', -mim[n - 1]!, src.Zimag_last],
    ];
    for (const [k, got, want] of pairs) if (typeof want === 'number' && !closeRel(got, want, 1e-6)) problems.push(`impedance.py ${k}: ${got} ≠ ${want}`);
  }

  // yadg equivalences: the de_DE export equals the en_US one; old-version exports equal new ones.
  if (typeof src.equivalence === 'string') {
    const twin = e.path.replace('.de.mpt', '.mpt').replace('.old.mpt', '.mpt');
    if (twin !== e.path && existsSync(path.join(DATA, twin))) {
      const other = await load(twin);
      if (other.entry.shape[0] !== rows) problems.push(`rows ${rows} ≠ ${other.entry.shape[0]} in ${twin}`);
      for (const [name, values] of Object.entries(columns)) {
        const b = other.columns[name];
        if (!b) continue;
        for (let i = 0; i < Math.min(values.length, b.length); i++) {
          if (!closeRel(values[i]!, b[i]!, 1e-7, 1e-6)) {
            problems.push(`${name}[${i}] ${values[i]} ≠ ${b[i]} in ${twin}`);
            break;
          }
        }
      }
    }
  }

  // Cycling cross-check: capacity per half cycle from (Q-Qo) vs EC-Lab's own Q charge/Q discharge.
  if (columns['half cycle'] && columns['Q charge'] && columns['Q discharge'] && columns['(Q-Qo)']) {
    const cols: CyclingColumns = {};
    for (const c of entry.columns!) cols[c.name] = { units: c.units, values: columns[c.name]! };
    const curves = cycleCurves(cols);
    for (const c of curves.curves) {
      const ecLab = (c.direction === 'charge' ? columns['Q charge']! : columns['Q discharge']!)[c.end - 1]!;
      const ours = c.capacity[c.capacity.length - 1]!;
      // EC-Lab counts from the switch, we from the first record ~0.4 ms later: allow 1e-3.
      if (!closeRel(ours, ecLab, 1e-3)) problems.push(`half cycle ${c.halfCycle} ${c.direction}: ${ours} mA·h ≠ EC-Lab ${ecLab}`);
    }
  }
  return problems;
}

if (!available) {
  console.log(`biologic-mpt conformance: skipped — ${DATA} not found`);
}

(available ? describe : describe.skip)('biologic-mpt conformance', () => {
  it('matches the manifest for every .mpt', async () => {
    // The manifest was written by Python's json module, which emits bare NaN/Infinity tokens.
    const text = readFileSync(path.join(DATA, 'manifest.json'), 'utf8').replace(/(?<=[:[,]\s*)-?(?:Infinity|NaN)(?=\s*[,\]}])/g, 'null');
    const manifest = JSON.parse(text) as ManifestEntry[];
    const byPath = new Map(manifest.map((m) => [m.path, m]));
    const files = new Set(
      readdirSync(path.join(DATA, 'biologic'))
        .filter((f) => f.toLowerCase().endsWith('.mpt'))
        .map((f) => `biologic/${f}`),
    );
    for (const m of manifest) if (m.kind === 'biologic-mpt') files.add(m.path);
    const failures: string[] = [];
    let pass = 0;
    for (const rel of [...files].sort()) {
      const m = byPath.get(rel);
      if (!m) {
        // Not in the manifest: it must at least open.
        try {
          await load(rel);
          pass++;
        } catch (err) {
          failures.push(`${rel}: ${String(err)}`);
        }
        continue;
      }
      const problems = await check(m);
      if (problems.length === 0) pass++;
      else failures.push(`${rel}: ${problems.slice(0, 5).join('; ')}`);
    }
    console.log(`biologic-mpt conformance: ${pass}/${files.size} pass${failures.length ? `\n  ${failures.join('\n  ')}` : ''}`);
    expect(files.size).toBeGreaterThan(0);
    expect(failures).toEqual([]);
  });
});
