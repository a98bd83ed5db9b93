/**
 * Conformance of the .mpr technique parameter table (main/formats/biologic-mpr/technique-params.ts):
 * every .mpr of ../shared/data/biologic with an .mpt twin (same base name; also "<base>.<variant>.mpt",
 * i.e. mb.issue_95.de.mpt — the German-locale export — and ocv.old.mpt / wait.old.mpt, exports by an
 * older EC-Lab) is opened with the .mpr reader and its original.settings.techniqueParams compared
 * with the twin header's parameter table as the .mpt reader parses it (parseMptHeader().params),
 * key by key and value by value:
 *   - numbers within half a unit of the last printed decimal (decimal point or comma);
 *   - "h:m:s" durations against the reader's seconds, within half a unit of the printed fraction;
 *   - WAIT's start date as a date (wait.old.mpt prints "07/03/2009" for the "03/07/09" of wait.mpt);
 *   - everything else ("pass", "µA", "Ref") as exact text;
 *   - a blank .mpt cell (Modulo Bat prints the controls that do not apply to a sequence's type as
 *     blanks) is not compared and is counted.
 * A file matches when no value differs, the .mpr reports no parameter the .mpt lacks, and the .mpt
 * prints no parameter the .mpr lacks — except ocv.mpt's "record", which EC-Lab adds when it exports
 * a 6-parameter OCV table (the .mpr stores no record field; ocv.old.mpt, exported from the same
 * .mpr by an older EC-Lab, has no such row).
 * Twins whose .mpt was exported without a header (gcpl.pr_182.1, vsp_ocv_with) have nothing to
 * compare: their .mpr table must still decode.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NodeFileSource } from '../../main/formats/file-source.js';
import { parseMptHeader } from '../../main/formats/biologic-mpt/parse-mpt.js';
import { biologicMprReader } from '../../main/formats/biologic-mpr/reader.js';
import type { ParamValue } from '../../main/formats/biologic-mpr/technique-params.js';

const DATA = path.resolve(process.cwd(), '..', 'shared', 'data');
const DIR = path.join(DATA, 'biologic');
const available = existsSync(DIR);

/** .mpt parameters a .mpr cannot have, by twin file name, with the reason (see the file comment). */
const ONLY_IN_MPT: Readonly<Record<string, readonly string[]>> = { 'ocv.mpt': ['record'] };

interface MprSide {
  technique: string;
  techniqueId: number;
  sequences?: number;
  params?: Record<string, ParamValue[]>;
  warnings: string[];
}

async function readMpr(file: string): Promise<MprSide> {
  const src = await NodeFileSource.open(file);
  try {
    const f = await biologicMprReader.open(src);
    const e = f.entries[0]!;
    await f.close();
    const s = (e.original as { settings?: { techniqueId: number; sequences?: number; techniqueParams?: Record<string, ParamValue[]> } }).settings;
    return { technique: e.metadata.technique ?? '?', techniqueId: s?.techniqueId ?? -1, sequences: s?.sequences, params: s?.techniqueParams, warnings: e.warnings };
  } finally {
    await src.close();
  }
}

/** null when `got` is what the .mpt prints as `printed`; else the difference. 'blank' for an empty cell. */
function compareValue(got: ParamValue | undefined, printed: string): string | null | 'blank' {
  const t = printed.trim();
  if (t === '') return 'blank';
  if (got === undefined) return `missing ≠ ${JSON.stringify(t)}`;
  const hms = /^(\d+):(\d\d):(\d\d?)(?:[.,](\d+))?$/.exec(t);
  if (hms) {
    const seconds = Number(hms[1]) * 3600 + Number(hms[2]) * 60 + Number(`${hms[3]}.${hms[4] ?? '0'}`);
    const tol = 0.5 * 10 ** -(hms[4]?.length ?? 0) + 1e-9 * seconds;
    return typeof got === 'number' && Math.abs(got - seconds) <= tol ? null : `${JSON.stringify(got)} ≠ ${t} (${seconds} s)`;
  }
  // WAIT's "date (m/d/y)": the reader gives mm/dd/yy like EC-Lab 11.x; the older export
  // (wait.old.mpt) prints the same date day-first with four digits ("07/03/2009").
  const date = /^(\d\d)\/(\d\d)\/(\d\d|\d{4})$/.exec(t);
  const mine = typeof got === 'string' ? /^(\d\d)\/(\d\d)\/(\d\d)$/.exec(got) : null;
  if (date && mine) {
    const year = (y: string) => (y.length === 2 ? 2000 + Number(y) : Number(y));
    const same = year(date[3]!) === year(mine[3]!) && ((date[1] === mine[1] && date[2] === mine[2]) || (date[1] === mine[2] && date[2] === mine[1]));
    return same ? null : `${JSON.stringify(got)} ≠ ${JSON.stringify(t)}`;
  }
  const num = /^[-+]?\d+(?:[.,](\d+))?$/.exec(t);
  if (num) {
    const v = Number(t.replace(',', '.'));
    const tol = 0.5 * 10 ** -(num[1]?.length ?? 0) + 1e-9 * Math.abs(v);
    return typeof got === 'number' && Math.abs(got - v) <= tol ? null : `${JSON.stringify(got)} ≠ ${t}`;
  }
  return got === t ? null : `${JSON.stringify(got)} ≠ ${JSON.stringify(t)}`;
}

interface Comparison {
  params: number;
  values: number;
  blanks: number;
  mismatches: string[];
  onlyMpt: string[];
  onlyMpr: string[];
  excused: string[];
}

function compareTables(mpr: Record<string, ParamValue[]>, mpt: Record<string, string[]>, twin: string): Comparison {
  const c: Comparison = { params: 0, values: 0, blanks: 0, mismatches: [], onlyMpt: [], onlyMpr: [], excused: [] };
  for (const [name, printed] of Object.entries(mpt)) {
    const got = mpr[name];
    if (!got) {
      if (ONLY_IN_MPT[twin]?.includes(name)) c.excused.push(name);
      else c.onlyMpt.push(name);
      continue;
    }
    c.params++;
    if (printed.length !== got.length) c.mismatches.push(`${name}: ${got.length} values ≠ .mpt ${printed.length}`);
    printed.forEach((p, i) => {
      const d = compareValue(got[i], p);
      if (d === 'blank') c.blanks++;
      else {
        c.values++;
        if (d !== null) c.mismatches.push(`${name}[Ns ${i}] ${d}`);
      }
    });
  }
  for (const name of Object.keys(mpr)) if (!(name in mpt)) c.onlyMpr.push(name);
  return c;
}

describe('compareValue (the conformance rule itself)', () => {
  it('uses the printed precision, both decimal separators and h:m:s', () => {
    expect(compareValue(30.000002, '30,000')).toBeNull();
    expect(compareValue(30.0006, '30.000')).toMatch(/≠/);
    expect(compareValue(36_000, '10:00:0.0000')).toBeNull();
    expect(compareValue(10, '0:00:10,0000')).toBeNull();
    expect(compareValue(10.001, '0:00:10.0000')).toMatch(/≠/);
    expect(compareValue('pass', 'pass')).toBeNull();
    expect(compareValue(40, '100 µA')).toMatch(/≠/);
    expect(compareValue(0, '')).toBe('blank');
    expect(compareValue('03/07/09', '07/03/2009')).toBeNull();
    expect(compareValue('03/07/09', '03/08/09')).toMatch(/≠/);
  });
});

if (!available) console.log(`biologic-mpr params conformance: skipped — ${DIR} not found`);

(available ? describe : describe.skip)('biologic-mpr technique parameters vs .mpt twins', () => {
  it('matches the parameter table of every twin', async () => {
    const all = readdirSync(DIR);
    const mprs = all.filter((f) => f.toLowerCase().endsWith('.mpr')).sort();
    const lines: string[] = [];
    const failures: string[] = [];
    let compared = 0;
    let matching = 0;
    for (const mprName of mprs) {
      const base = mprName.replace(/\.mpr$/i, '');
      const twins = all.filter((f) => f === `${base}.mpt` || (f.startsWith(`${base}.`) && /^[a-z]+\.mpt$/i.test(f.slice(base.length + 1)))).sort();
      if (twins.length === 0) continue;
      const mpr = await readMpr(path.join(DIR, mprName));
      const tech = `${mpr.technique} (0x${mpr.techniqueId.toString(16).padStart(2, '0')})`;
      let fileOk = true;
      let fileCompared = false;
      for (const twin of twins) {
        const h = parseMptHeader(readFileSync(path.join(DIR, twin)), twin);
        if (Object.keys(h.params).length === 0) {
          // Exported without a header: nothing to compare, but the .mpr table must decode.
          const ok = mpr.params !== undefined && (mpr.sequences ?? 0) > 0;
          lines.push(`${mprName} ↔ ${twin}: ${tech}, ${mpr.sequences ?? '–'} sequence(s), ${mpr.params ? Object.keys(mpr.params).length : 0} parameters decoded; the .mpt has no header — nothing to compare${ok ? '' : ' — NOT DECODED'}`);
          if (!ok) failures.push(`${mprName}: table not decoded (${mpr.warnings.join('; ')})`);
          continue;
        }
        fileCompared = true;
        if (!mpr.params) {
          fileOk = false;
          lines.push(`${mprName} ↔ ${twin}: ${tech}: NOT DECODED — ${mpr.warnings.join('; ')}`);
          failures.push(`${mprName}: table not decoded`);
          continue;
        }
        const c = compareTables(mpr.params, h.params, twin);
        const problems = [...c.mismatches, ...c.onlyMpt.map((n) => `only in .mpt: ${n}`), ...c.onlyMpr.map((n) => `only in .mpr: ${n}`)];
        if (problems.length > 0) {
          fileOk = false;
          failures.push(`${mprName} ↔ ${twin}: ${problems.slice(0, 8).join('; ')}`);
        }
        lines.push(
          `${mprName} ↔ ${twin}: ${tech}, ${mpr.sequences} sequence(s), ${c.params} parameters / ${c.values} values compared` +
            `${c.blanks ? ` (${c.blanks} blank cells)` : ''}, ${c.mismatches.length} mismatches` +
            `${c.onlyMpt.length ? `, only in .mpt: ${c.onlyMpt.join(', ')}` : ''}${c.onlyMpr.length ? `, only in .mpr: ${c.onlyMpr.join(', ')}` : ''}` +
            `${c.excused.length ? `, not stored in this layout: ${c.excused.join(', ')}` : ''}`,
        );
      }
      if (fileCompared) {
        compared++;
        if (fileOk) matching++;
      }
    }
    console.log(`biologic-mpr params conformance:\n  ${lines.join('\n  ')}\n  ${matching}/${compared} files match their twins' parameter tables`);
    expect(compared).toBeGreaterThanOrEqual(20);
    expect(failures).toEqual([]);
    expect(matching).toBe(compared);
  });
});
