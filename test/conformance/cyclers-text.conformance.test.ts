/**
 * Conformance: the delimited-text cycler files of the shared corpus (../shared/data/cycler/
 * {maccor,novonix,pec,bdf}/* and neware/neware_uio.csv) against ../shared/data/manifest.json.
 *
 * Checked, per file: the reader that wins the sniff among the text readers; the source projects'
 * own assertions where they concern the raw table (cellpy: raw row counts, start time, units; BEEP:
 * raw data shape rows, channel id, metadata keys, Novonix step types in order, monotonic test
 * time, the 2 h pause of the "paused" Maccor file); the corpus' plain text facts (first data
 * lines); and cross-checks computed here independently: cycleCurves on every cycling table,
 * vendor per-cycle capacity columns against the integrated capacity, |Z| against Re/Im for the
 * Maccor impedance export. cellpy/BEEP column counts describe their normalised frames (derived
 * columns added), not the files, and are not compared.
 */
import type { ColumnArray } from '../../main/api/dataset.js';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cycleCurves, cycleMetrics } from '../../main/analysis/echem/cycling.js';
import type { DatasetEntry } from '../../main/api/dataset.js';
import { NodeFileSource } from '../../main/formats/file-source.js';
import { bdfCsvReader } from '../../main/formats/bdf-csv/reader.js';
import { applyMapping, guessMapping, mappedColumns } from '../../main/formats/generic-csv/mapping.js';
import { genericCsvReader } from '../../main/formats/generic-csv/reader.js';
import { isoFromSeconds } from '../../main/formats/generic-csv/text-table.js';
import { maccorReader } from '../../main/formats/maccor/reader.js';
import { novonixReader } from '../../main/formats/novonix/reader.js';
import { pecReader } from '../../main/formats/pec/reader.js';
import { rankReaders, SNIFF_BYTES } from '../../main/formats/registry.js';

const DATA = path.resolve(process.cwd(), '..', 'shared', 'data');
const available = existsSync(path.join(DATA, 'manifest.json')) && existsSync(path.join(DATA, 'cycler'));
const READERS = [maccorReader, novonixReader, pecReader, bdfCsvReader, genericCsvReader];

interface ManifestEntry {
  path: string;
  kind: string;
  expected: {
    from_source_repo_tests?: Record<string, unknown>;
    computed_by_reference_readers?: { text?: { n_lines?: number; first_lines?: string[] } };
  };
}

interface Loaded {
  readerId: string;
  entries: DatasetEntry[];
  entry: DatasetEntry;
  data: Record<string, ColumnArray>;
  extra: Record<string, Record<string, ColumnArray>>;
}

async function load(rel: string): Promise<Loaded> {
  const src = await NodeFileSource.open(path.join(DATA, rel));
  const head = await src.read(0, Math.min(src.size, SNIFF_BYTES));
  const reader = rankReaders(head, src.name, READERS)[0];
  if (!reader) {
    await src.close();
    throw new Error('no text reader claims the file');
  }
  const f = await reader.open(src);
  const entry = f.entries[0]!;
  const names = entry.columns!.map((c) => c.sourceName!);
  const data = await f.readColumns!(entry.entry, names);
  const extra: Record<string, Record<string, ColumnArray>> = {};
  for (const e of f.entries.slice(1)) extra[e.entry] = await f.readColumns!(e.entry, e.columns!.map((c) => c.name));
  await f.close();
  return { readerId: reader.id, entries: f.entries, entry, data, extra };
}

const EXPECTED_READER: Record<string, string> = {
  'maccor-txt': 'maccor',
  'maccor-raw': 'maccor',
  'maccor-eis': 'maccor',
  'novonix-csv': 'novonix',
  'novonix-summary-csv': 'novonix',
  'pec-csv': 'pec',
  'battery-data-format-csv': 'bdf-csv',
  'neware-csv': 'generic-csv',
};

function col(l: Loaded, name: string): ColumnArray | undefined {
  const c = l.entry.columns!.find((x) => x.name === name);
  return c ? l.data[c.sourceName!] : undefined;
}

function units(l: Loaded, name: string): string | undefined {
  return l.entry.columns!.find((x) => x.name === name)?.units;
}

/** Tokens of a text line of the corpus, as numbers where they are numbers. */
function tokens(line: string, delim: string): string[] {
  return line.replace(/^"|"$/g, '').split(delim);
}

function closeRel(a: number, b: number, rtol: number, atol = 0): boolean {
  return Math.abs(a - b) <= atol + rtol * Math.abs(b);
}

/** Cycling columns (mapped by guessMapping for the generic reader) → curves, or a problem. */
function curvesOf(l: Loaded, problems: string[]) {
  let entry = l.entry;
  if (l.readerId === 'generic-csv') entry = applyMapping(entry, guessMapping(entry.columns!));
  const cols = mappedColumns(entry, l.data);
  try {
    return cycleCurves(cols);
  } catch (e) {
    problems.push(`cycleCurves: ${String(e)}`);
    return null;
  }
}

async function check(m: ManifestEntry): Promise<string[]> {
  const problems: string[] = [];
  const src = m.expected.from_source_repo_tests ?? {};
  const text = m.expected.computed_by_reference_readers?.text ?? {};
  let l: Loaded;
  try {
    l = await load(m.path);
  } catch (e) {
    return [`open failed: ${String(e)}`];
  }
  const want = EXPECTED_READER[m.kind];
  if (want && l.readerId !== want) problems.push(`reader ${l.readerId} ≠ ${want}`);
  const rows = l.entry.shape[0]!;
  const rowsWanted = (src.cellpy_raw_n_rows as number | undefined) ?? (src.beep_raw_data_shape as number[] | undefined)?.[0];
  if (rowsWanted !== undefined && rows !== rowsWanted) problems.push(`rows ${rows} ≠ ${rowsWanted}`);

  // Start time (cellpy start_datetime, PEC start_time).
  const start = (src.start_datetime as string | undefined) ?? ((src.pec_metadata as Record<string, string> | undefined)?.start_time);
  if (start !== undefined) {
    let got = l.entry.metadata.acquisitionTime;
    // The Neware csv states no test start: its first "Date" stamp is the start.
    if (l.readerId === 'generic-csv') got = isoFromSeconds(col(l, 'Date')![0]!);
    if (got !== start) problems.push(`start ${got} ≠ ${start}`);
  }
  // cellpy's units: charge Ah, current A, voltage V, time sec.
  const u = src.units as Record<string, string> | undefined;
  if (u && l.readerId === 'maccor') {
    const pairs: [string, string, string | undefined][] = [
      ['charge', 'A·h', units(l, 'capacity')],
      ['current', 'A', units(l, 'I')],
      ['voltage', 'V', units(l, 'Ecell')],
      ['time', 's', units(l, 'time')],
    ];
    for (const [k, ours, got] of pairs) if (u[k] !== undefined && got !== ours) problems.push(`${k} unit ${got} (cellpy: ${u[k]})`);
  }
  // PEC metadata.
  const pm = src.pec_metadata as Record<string, string> | undefined;
  if (pm) {
    if (l.entry.metadata.extra?.testId !== pm.test_id) problems.push(`test id ${String(l.entry.metadata.extra?.testId)} ≠ ${pm.test_id}`);
    if (l.entry.metadata.technique !== pm.test_regime_name) problems.push(`regime ${l.entry.metadata.technique} ≠ ${pm.test_regime_name}`);
  }
  // BEEP channel ids and metadata keys.
  if (typeof src.channel_id === 'number' && l.entry.metadata.extra?.channel !== src.channel_id) problems.push(`channel ${String(l.entry.metadata.extra?.channel)} ≠ ${src.channel_id}`);
  if (Array.isArray(src.metadata_keys)) {
    const have: Record<string, unknown> = {
      barcode: l.entry.metadata.extra?.barcode,
      start_datetime: l.entry.metadata.acquisitionTime,
      filename: l.entry.title,
      protocol: l.entry.metadata.technique,
      channel_id: l.entry.metadata.extra?.channel,
      _today_datetime: (l.entry.original.settings as Record<string, string> | undefined)?.["Today's Date"],
    };
    for (const k of src.metadata_keys as string[]) if (have[k] === undefined || have[k] === '') problems.push(`metadata ${k} missing`);
  }
  // Novonix (BEEP test_cyclerpaths): step types in order, monotonic time, metadata, summary.
  if (Array.isArray(src.step_index_unique_in_order)) {
    const st = col(l, 'Step Type')!;
    const seen: number[] = [];
    for (const v of st) if (!seen.includes(v)) seen.push(v);
    if (JSON.stringify(seen) !== JSON.stringify(src.step_index_unique_in_order)) problems.push(`step types ${seen.join(',')} ≠ ${String(src.step_index_unique_in_order)}`);
  }
  if (src.test_time_monotonic === true) {
    const t = col(l, 'time')!;
    for (let i = 1; i < t.length; i++) if (!(t[i]! >= t[i - 1]!)) {
      problems.push(`time decreases at row ${i}`);
      break;
    }
  }
  if (Array.isArray(src.metadata_raw_keys_include)) {
    const have: Record<string, unknown> = { protocol: l.entry.metadata.technique, channel: l.entry.metadata.extra?.channel, software_version: l.entry.metadata.extra?.softwareVersion };
    for (const k of src.metadata_raw_keys_include as string[]) if (have[k] === undefined) problems.push(`metadata ${k} missing`);
  }
  if (typeof src.external_summary_has === 'string') {
    const s = l.entries.find((e) => e.entry === 'summary');
    if (!s?.columns!.some((c) => c.name === src.external_summary_has)) problems.push(`summary entry without ${String(src.external_summary_has)}`);
  }
  if (typeof src.cellpy_summary_n_cycles === 'number') {
    const cyc = col(l, 'Cycle Index') ?? col(l, 'cycle number');
    const distinct = cyc ? new Set(cyc).size : 0;
    if (distinct !== src.cellpy_summary_n_cycles) problems.push(`cycles ${distinct} ≠ ${src.cellpy_summary_n_cycles}`);
  }

  // First data rows of the corpus text, where the data start right after one label line.
  const first = text.first_lines ?? [];
  const labelAt = first.findIndex((t) => /^(Rec#\t|Test Time \/|DataPoint,|,Cycle,)/.test(t));
  if (labelAt >= 0 && labelAt + 1 < first.length) {
    const delim = first[labelAt]!.includes('\t') ? '\t' : ',';
    first.slice(labelAt + 1).forEach((line, r) => {
      tokens(line, delim).forEach((tok, k) => {
        const c = l.entry.columns![k];
        if (!c) return;
        const got = l.data[c.sourceName!]![r]!;
        const n = Number(tok);
        if (tok.trim() === '' || !Number.isFinite(n) || /:/.test(tok)) return;
        // Re-signed currents keep their magnitude (see the reader's warning).
        const ok = c.name === 'I' && l.entry.warnings.some((w) => /re-signed/.test(w)) ? Math.abs(got) === Math.abs(n) : Object.is(got, n) || (got === 0 && n === 0);
        if (!ok) problems.push(`row ${r} ${c.sourceName}: ${got} ≠ ${tok}`);
      });
    });
  }

  // Maccor paused file: BEEP's paused interval is ~2 h (7201 s in its derived csv).
  if (m.path.includes('_paused.')) {
    const ts = col(l, 'timestamp')!;
    const t = col(l, 'time')!;
    let pause = 0;
    for (let i = 1; i < ts.length; i++) pause = Math.max(pause, ts[i]! - ts[i - 1]! - (t[i]! - t[i - 1]!));
    if (!(pause > 7190 && pause < 7210)) problems.push(`pause ${pause} s, expected ≈ 7201 s`);
  }
  // Impedance export: |Z| = √(Re² + Im²) row by row (the file's own redundancy).
  if (m.kind === 'maccor-eis') {
    const re = col(l, 'Re(Z)');
    const im = col(l, 'Im(Z)');
    const mag = col(l, '|Z|');
    if (!re || !im || !mag) problems.push('impedance columns Re(Z), Im(Z), |Z| missing');
    else for (let i = 0; i < re.length; i++) if (!closeRel(Math.hypot(re[i]!, im[i]!), mag[i]!, 1e-4, 1e-5)) {
      problems.push(`row ${i}: |Z| ${mag[i]} ≠ √(Re²+Im²) ${Math.hypot(re[i]!, im[i]!)}`);
      break;
    }
  }
  // Cycling: curves must come out of every cycling table; vendor per-cycle Q columns agree.
  const cycling = l.entry.entry === 'data' && m.kind !== 'maccor-eis' && col(l, 'I') !== undefined;
  if (cycling || l.readerId === 'generic-csv') {
    const curves = curvesOf(l, problems);
    if (curves) {
      const metrics = cycleMetrics(curves);
      if (metrics.cycle.values.length === 0 && curves.curves.length === 0 && rows > 100 && (col(l, 'I') ?? []).some((v) => v !== 0)) problems.push('no half cycles found');
      const qc = col(l, 'Q charge');
      const qd = col(l, 'Q discharge');
      const scale = units(l, 'Q charge') === 'A·h' ? 1000 : 1;
      if (qc && qd) {
        let bad = 0;
        for (const c of curves.curves) {
          const vendor = (c.direction === 'charge' ? qc : qd)[c.end - 1]! * scale;
          const ours = c.capacity[c.capacity.length - 1]!;
          if (!closeRel(ours, vendor, 0.01, 1e-3)) bad++;
        }
        if (bad > 0) problems.push(`${bad} of ${curves.curves.length} half cycles differ > 1 % from the vendor's Q charge/Q discharge`);
      }
    }
  }
  if (m.kind === 'novonix-summary-csv') {
    const qd = l.data.Qd;
    const want = Number(tokens(first[1] ?? '', ',')[17]);
    if (!qd || qd[0] !== want) problems.push(`summary Qd ${qd?.[0]} ≠ ${want}`);
  }
  return problems;
}

if (!available) console.log(`cyclers-text conformance: skipped — ${DATA} not found`);

(available ? describe : describe.skip)('cycler text readers conformance', () => {
  it('matches the manifest for every Maccor, Novonix, PEC, BDF and Neware csv file', async () => {
    const text = readFileSync(path.join(DATA, 'manifest.json'), 'utf8').replace(/(?<=[:[,]\s*)-?(?:Infinity|NaN)(?=\s*[,\]}])/g, 'null');
    const manifest = JSON.parse(text) as ManifestEntry[];
    const byPath = new Map(manifest.map((e) => [e.path, e]));
    const groups: Record<string, string[]> = { maccor: [], novonix: [], pec: [], bdf: [], 'generic-csv': [] };
    for (const dir of ['maccor', 'novonix', 'pec', 'bdf']) {
      const d = path.join(DATA, 'cycler', dir);
      if (existsSync(d)) for (const f of readdirSync(d).sort()) groups[dir]!.push(`cycler/${dir}/${f}`);
    }
    if (existsSync(path.join(DATA, 'cycler/neware/neware_uio.csv'))) groups['generic-csv']!.push('cycler/neware/neware_uio.csv');
    const allFailures: string[] = [];
    let total = 0;
    for (const [format, files] of Object.entries(groups)) {
      const failures: string[] = [];
      let pass = 0;
      for (const rel of files) {
        const m = byPath.get(rel) ?? { path: rel, kind: '', expected: {} };
        const problems = await check(m);
        if (problems.length === 0) pass++;
        else failures.push(`${rel}: ${problems.slice(0, 6).join('; ')}`);
      }
      total += files.length;
      console.log(`${format} conformance: ${pass}/${files.length}${failures.length ? `\n  ${failures.join('\n  ')}` : ''}`);
      allFailures.push(...failures);
    }
    expect(total).toBeGreaterThan(0);
    expect(allFailures).toEqual([]);
  });
});
