/**
 * Conformance: the Neware and Arbin files of the shared corpus (../shared/data/cycler/neware,
 * ../shared/data/cycler/arbin) against ../shared/data/manifest.json.
 *
 * Neware: every .nda/.ndax with a NewareNDA reference frame (tests/reference/*.ftr of
 * d-cogswell/NewareNDA, default options: software cycle number, cycle_mode 'chg') is compared
 * row by row and column by column with the frame itself — read here by a minimal Apache Arrow IPC
 * (Feather v2) reader with LZ4-frame decompression written for this test from the Arrow columnar
 * format specification (arrow.apache.org/docs/format/Columnar.html, File.fbs/Message.fbs/
 * Schema.fbs) and the LZ4 frame/block format descriptions (github.com/lz4/lz4/doc) — and with the
 * manifest's summary of it (rows, first/last row, max cycle/step, voltage range). The BTS 8.5
 * file from cellpy is checked against cellpy's row and cycle counts. Float32 columns of the frames
 * are compared after rounding our float64 values to float32.
 * Arbin: the .res against the mdbtools listing (rows, columns, first/last row, voltage range,
 * Global_Table) and cellpy's assertions; the CSV exports against their line counts, first lines
 * and BEEP's validator findings; the .xlsx against navani's shape and raw column list.
 */
import type { ColumnArray } from '../../main/api/dataset.js';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DatasetEntry } from '../../main/api/dataset.js';
import { cycleCurves, type CyclingColumns } from '../../main/analysis/echem/cycling.js';
import { arbinReader } from '../../main/formats/arbin/reader.js';
import { NodeFileSource } from '../../main/formats/file-source.js';
import { newareReader } from '../../main/formats/neware/reader.js';
import type { Reader } from '../../main/formats/types.js';

const DATA = path.resolve(process.cwd(), '..', 'shared', 'data');
const MANIFEST = path.join(DATA, 'manifest.json');
const available = existsSync(MANIFEST) && existsSync(path.join(DATA, 'cycler'));
if (!available) console.warn(`cyclers (neware, arbin) conformance skipped: ${DATA} is absent`);

interface Entry {
  path: string;
  kind: string;
  expected: { from_source_repo_tests?: Record<string, unknown>; computed_by_reference_readers?: Record<string, unknown> };
}

function manifest(): Entry[] {
  // Written by Python: bare NaN/Infinity become null for JSON.parse.
  return JSON.parse(readFileSync(MANIFEST, 'utf8').replace(/([:[,]\s*)(-?Infinity|NaN)(?=\s*[,\]}])/g, '$1null')) as Entry[];
}

interface Loaded {
  entries: DatasetEntry[];
  cols: Record<string, ColumnArray>;
  entry: DatasetEntry;
}

async function load(reader: Reader, rel: string): Promise<Loaded> {
  const src = await NodeFileSource.open(path.join(DATA, rel));
  try {
    const f = await reader.open(src);
    const entry = f.entries[0]!;
    const cols = await f.readColumns!(entry.entry, entry.columns!.map((c) => c.name));
    await f.close();
    return { entries: f.entries, cols, entry };
  } finally {
    await src.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Minimal Arrow IPC file (Feather v2) reader — enough for NewareNDA's reference frames.

function lz4Block(src: Uint8Array, out: Uint8Array, o0: number): number {
  let s = 0;
  let o = o0;
  while (s < src.length) {
    const token = src[s++]!;
    let lit = token >> 4;
    if (lit === 15) for (let b = 255; b === 255; lit += b) b = src[s++]!;
    out.set(src.subarray(s, s + lit), o);
    s += lit;
    o += lit;
    if (s >= src.length) break;
    const off = src[s]! | (src[s + 1]! << 8);
    s += 2;
    let len = (token & 15) + 4;
    if ((token & 15) === 15) for (let b = 255; b === 255; len += b) b = src[s++]!;
    for (let k = 0; k < len; k++, o++) out[o] = out[o - off]!;
  }
  return o;
}

function lz4Frame(src: Uint8Array, size: number): Uint8Array {
  const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  if (dv.getUint32(0, true) !== 0x184d2204) throw new Error('not an LZ4 frame');
  const flg = src[4]!;
  let p = 6 + (flg & 8 ? 8 : 0) + (flg & 1 ? 4 : 0) + 1;
  const out = new Uint8Array(size);
  let o = 0;
  for (;;) {
    const n = dv.getUint32(p, true);
    p += 4;
    if (n === 0) break;
    const raw = (n & 0x80000000) !== 0;
    const len = n & 0x7fffffff;
    const blk = src.subarray(p, p + len);
    if (raw) {
      out.set(blk, o);
      o += len;
    } else o = lz4Block(blk, out, o);
    p += len + (flg & 0x10 ? 4 : 0);
  }
  return out;
}

/** Flatbuffer table access (flatbuffers.dev/internals). */
class FB {
  constructor(
    readonly dv: DataView,
    readonly pos: number,
  ) {}
  static root(dv: DataView, at: number): FB {
    return new FB(dv, at + dv.getUint32(at, true));
  }
  private field(i: number): number {
    const vt = this.pos - this.dv.getInt32(this.pos, true);
    const vsize = this.dv.getUint16(vt, true);
    if (4 + 2 * i >= vsize) return 0;
    const off = this.dv.getUint16(vt + 4 + 2 * i, true);
    return off ? this.pos + off : 0;
  }
  u8(i: number, d = 0): number {
    const f = this.field(i);
    return f ? this.dv.getUint8(f) : d;
  }
  i16(i: number, d = 0): number {
    const f = this.field(i);
    return f ? this.dv.getInt16(f, true) : d;
  }
  i32(i: number, d = 0): number {
    const f = this.field(i);
    return f ? this.dv.getInt32(f, true) : d;
  }
  i64(i: number, d = 0): number {
    const f = this.field(i);
    return f ? Number(this.dv.getBigInt64(f, true)) : d;
  }
  bool(i: number): boolean {
    return this.u8(i) !== 0;
  }
  table(i: number): FB | null {
    const f = this.field(i);
    return f ? new FB(this.dv, f + this.dv.getUint32(f, true)) : null;
  }
  str(i: number): string {
    const f = this.field(i);
    if (!f) return '';
    const s = f + this.dv.getUint32(f, true);
    const n = this.dv.getUint32(s, true);
    return new TextDecoder().decode(new Uint8Array(this.dv.buffer, this.dv.byteOffset + s + 4, n));
  }
  /** Vector: [start of elements, length]. */
  vec(i: number): [number, number] {
    const f = this.field(i);
    if (!f) return [0, 0];
    const v = f + this.dv.getUint32(f, true);
    return [v + 4, this.dv.getUint32(v, true)];
  }
  tables(i: number): FB[] {
    const [s, n] = this.vec(i);
    return Array.from({ length: n }, (_, k) => new FB(this.dv, s + 4 * k + this.dv.getUint32(s + 4 * k, true)));
  }
}

type FrameColumn = number[] | string[];
interface Frame {
  names: string[];
  columns: Record<string, FrameColumn>;
  rows: number;
}

/** Arrow type ids (Schema.fbs Type union): 2 Int, 3 FloatingPoint, 5 Utf8, 10 Timestamp. */
function readFeather(file: string): Frame {
  const buf = readFileSync(file);
  const b = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (new TextDecoder().decode(b.subarray(0, 6)) !== 'ARROW1') throw new Error('not an Arrow IPC file');
  const footerLen = dv.getInt32(b.length - 10, true);
  const footer = FB.root(dv, b.length - 10 - footerLen);
  const schema = footer.table(1)!;
  const fields = schema.tables(1).map((f) => {
    const dict = f.table(4);
    return { name: f.str(0), typeType: f.u8(2), type: f.table(3), dictId: dict ? dict.i64(0) : null, dictIndex: dict?.table(1) ?? null };
  });
  const blocks = (i: number): number[] => {
    const [s, n] = footer.vec(i);
    return Array.from({ length: n }, (_, k) => Number(dv.getBigInt64(s + 24 * k, true)));
  };
  const message = (offset: number): { header: FB; headerType: number; body: number } => {
    let p = offset;
    if (dv.getUint32(p, true) === 0xffffffff) p += 4;
    const metaLen = dv.getInt32(p, true);
    const msg = FB.root(dv, p + 4);
    return { header: msg.table(2)!, headerType: msg.u8(1), body: p + 4 + metaLen };
  };
  /** Buffers of a record batch, decompressed when the batch says so. */
  const batchBuffers = (rb: FB, body: number): { nodes: number[]; bufs: Uint8Array[] } => {
    const [ns, nn] = rb.vec(1);
    const nodes = Array.from({ length: nn }, (_, k) => Number(dv.getBigInt64(ns + 16 * k, true)));
    const [bs, bn] = rb.vec(2);
    const compressed = rb.table(3) !== null;
    const bufs = Array.from({ length: bn }, (_, k) => {
      const off = Number(dv.getBigInt64(bs + 16 * k, true));
      const len = Number(dv.getBigInt64(bs + 16 * k + 8, true));
      const raw = b.subarray(body + off, body + off + len);
      if (!compressed || len === 0) return raw;
      const size = Number(new DataView(raw.buffer, raw.byteOffset, 8).getBigInt64(0, true));
      return size === -1 ? raw.subarray(8) : lz4Frame(raw.subarray(8), size);
    });
    return { nodes, bufs };
  };
  const dicts = new Map<number, string[]>();
  for (const off of blocks(2)) {
    const m = message(off);
    const id = m.header.i64(0);
    const { nodes, bufs } = batchBuffers(m.header.table(1)!, m.body);
    const offs = new Int32Array(bufs[1]!.slice().buffer);
    dicts.set(id, Array.from({ length: nodes[0]! }, (_, k) => new TextDecoder().decode(bufs[2]!.subarray(offs[k], offs[k + 1]))));
  }
  const columns: Record<string, FrameColumn> = {};
  let rows = 0;
  for (const off of blocks(3)) {
    const m = message(off);
    const rb = m.header;
    const n = rb.i64(0);
    const { bufs } = batchBuffers(rb, m.body);
    let bi = 0;
    fields.forEach((f) => {
      const validity = bufs[bi++]!;
      const data = bufs[bi++]!;
      const valid = (k: number) => validity.length === 0 || ((validity[k >> 3]! >> (k & 7)) & 1) === 1;
      const al = data.slice();
      let vals: FrameColumn;
      if (f.dictId !== null) {
        const bits = f.dictIndex ? f.dictIndex.i32(0) : 32;
        const idx = bits === 8 ? new Int8Array(al.buffer) : bits === 16 ? new Int16Array(al.buffer) : new Int32Array(al.buffer);
        const d = dicts.get(f.dictId) ?? [];
        vals = Array.from({ length: n }, (_, k) => (valid(k) ? d[idx[k]!]! : ''));
      } else if (f.typeType === 3) {
        const prec = f.type!.i16(0);
        const arr = prec === 1 ? new Float32Array(al.buffer) : new Float64Array(al.buffer);
        vals = Array.from({ length: n }, (_, k) => (valid(k) ? arr[k]! : NaN));
      } else if (f.typeType === 2) {
        const bits = f.type!.i32(0);
        const signed = f.type!.bool(1);
        const arr =
          bits === 64
            ? Array.from(signed ? new BigInt64Array(al.buffer) : new BigUint64Array(al.buffer), Number)
            : bits === 32
              ? signed ? new Int32Array(al.buffer) : new Uint32Array(al.buffer)
              : bits === 16
                ? signed ? new Int16Array(al.buffer) : new Uint16Array(al.buffer)
                : signed ? new Int8Array(al.buffer) : new Uint8Array(al.buffer);
        vals = Array.from({ length: n }, (_, k) => (valid(k) ? Number(arr[k]!) : NaN));
      } else if (f.typeType === 10) {
        // Timestamp: int64 in the field's unit (NewareNDA writes ns), UTC instants.
        const arr = new BigInt64Array(al.buffer);
        const unit = f.type!.i16(0);
        const div = [1, 1e3, 1e6, 1e9][unit]!;
        vals = Array.from({ length: n }, (_, k) => (valid(k) ? Number(arr[k]!) / div : NaN));
      } else throw new Error(`unsupported Arrow type ${f.typeType} for ${f.name}`);
      const prev = columns[f.name] as (number | string)[] | undefined;
      columns[f.name] = (prev ? [...prev, ...vals] : vals) as FrameColumn;
    });
    rows += n;
  }
  return { names: fields.map((f) => f.name), columns, rows };
}

// ---------------------------------------------------------------------------------------------
// Neware

/** Reference frame column → our column name. */
const FRAME_TO_OURS: Record<string, string> = {
  Index: 'index',
  Cycle: 'cycle (charge-first)',
  Step: 'step',
  Step_Index: 'step index',
  Time: 'step time',
  Voltage: 'Ecell',
  'Current(mA)': 'I',
  'Charge_Capacity(mAh)': 'charge capacity',
  'Discharge_Capacity(mAh)': 'discharge capacity',
  'Charge_Energy(mWh)': 'charge energy',
  'Discharge_Energy(mWh)': 'discharge energy',
};

function f32eq(ours: number, ref: number): boolean {
  if (Number.isNaN(ref)) return Number.isNaN(ours);
  const a = Math.fround(ours);
  return Math.abs(a - ref) <= 2e-7 * Math.max(Math.abs(ref), 1e-3) + 1e-9;
}

/** What each frame comparison covered, printed with the tally. */
const frameLog: string[] = [];

function compareFrame(loaded: Loaded, frame: Frame, tsShift: number): string[] {
  const problems: string[] = [];
  let compared = 0;
  const { cols, entry } = loaded;
  const n = entry.shape[0]!;
  if (n !== frame.rows) problems.push(`rows ${n} ≠ reference ${frame.rows}`);
  const rows = Math.min(n, frame.rows);
  const names = (entry.original.stepTypes ?? {}) as Record<string, string>;
  for (const name of frame.names) {
    const ref = frame.columns[name]!;
    let ours: ColumnArray | undefined;
    let cmp: (a: number, b: number | string) => boolean = (a, b) => f32eq(a, b as number);
    if (name === 'Status') {
      ours = cols['step type'];
      cmp = (a, b) => (names[String(a)] ?? `code ${a}`) === b;
    } else if (name === 'Timestamp') {
      ours = cols.timestamp;
      cmp = (a, b) => Math.abs(a + tsShift - (b as number)) < 2e-3;
    } else if (FRAME_TO_OURS[name]) ours = cols[FRAME_TO_OURS[name]!];
    else ours = cols[name];
    if (!ours) {
      if ((ref as number[]).every((v) => typeof v === 'number' && Number.isNaN(v))) continue; // all-null aux column (we omit those)
      problems.push(`no column for reference "${name}"`);
      continue;
    }
    compared++;
    let bad = 0;
    let firstBad = -1;
    for (let i = 0; i < rows; i++) {
      if (!cmp(ours[i]!, ref[i]!)) {
        if (firstBad < 0) firstBad = i;
        bad++;
      }
    }
    if (bad) problems.push(`${name}: ${bad}/${rows} rows differ (first at row ${firstBad}: ours ${ours[firstBad]}, reference ${ref[firstBad]})`);
  }
  frameLog.push(`${entry.title}: ${rows} rows × ${compared}/${frame.names.length} reference columns compared`);
  return problems;
}

async function checkNeware(e: Entry): Promise<string[]> {
  const src = e.expected.from_source_repo_tests ?? {};
  const comp = e.expected.computed_by_reference_readers ?? {};
  let loaded: Loaded;
  try {
    loaded = await load(newareReader, e.path);
  } catch (err) {
    return [`open failed: ${String(err)}`];
  }
  const problems: string[] = [];
  const { cols, entry } = loaded;
  const n = entry.shape[0]!;
  for (const c of ['index', 'Ecell', 'I', 'step time', 'time', 'timestamp']) if (!cols[c]) problems.push(`missing column ${c}`);
  if (typeof src.cellpy_raw_n_rows === 'number' && n !== src.cellpy_raw_n_rows) problems.push(`rows ${n} ≠ cellpy ${src.cellpy_raw_n_rows}`);
  if (typeof src.cellpy_summary_n_cycles === 'number') {
    const cyc = cols['cycle number'];
    const max = cyc ? Array.from(cyc).reduce((m, v) => (v > m ? v : m), -Infinity) : NaN;
    if (max !== src.cellpy_summary_n_cycles) problems.push(`max cycle ${max} ≠ cellpy summary cycles ${src.cellpy_summary_n_cycles}`);
  }
  const summary = comp.reference_frame_summary as Record<string, unknown> | undefined;
  if (summary) {
    if (summary.n_rows !== n) problems.push(`rows ${n} ≠ reference ${String(summary.n_rows)}`);
    const maxOf = (a: ColumnArray | undefined) => (a ? Array.from(a).reduce((m, v) => (v > m ? v : m), -Infinity) : NaN);
    const minOf = (a: ColumnArray | undefined) => (a ? Array.from(a).reduce((m, v) => (v < m ? v : m), Infinity) : NaN);
    if (maxOf(cols['cycle (charge-first)']) !== summary.max_Cycle) problems.push(`max Cycle ${maxOf(cols['cycle (charge-first)'])} ≠ ${String(summary.max_Cycle)}`);
    if (maxOf(cols.step) !== summary.max_Step) problems.push(`max Step ${maxOf(cols.step)} ≠ ${String(summary.max_Step)}`);
    if (!f32eq(minOf(cols.Ecell), summary.voltage_min as number)) problems.push(`V min ${minOf(cols.Ecell)} ≠ ${String(summary.voltage_min)}`);
    if (!f32eq(maxOf(cols.Ecell), summary.voltage_max as number)) problems.push(`V max ${maxOf(cols.Ecell)} ≠ ${String(summary.voltage_max)}`);
    const names = entry.original.stepTypes as Record<string, string>;
    for (const [which, row] of [
      ['first', 0],
      ['last', n - 1],
    ] as const) {
      const ref = summary[`${which}_row`] as Record<string, number | string | null>;
      for (const [k, v] of Object.entries(ref)) {
        if (v === null) continue;
        let ours: number | string | undefined;
        if (k === 'Status') ours = names[String(cols['step type']![row])];
        else if (k === 'Timestamp') ours = Math.round(cols.timestamp![row]! * 1000);
        else ours = (cols[FRAME_TO_OURS[k] ?? k] ?? [])[row];
        const ok = typeof v === 'string' ? ours === v : k === 'Timestamp' ? ours === v : typeof ours === 'number' && f32eq(ours, v);
        if (!ok) problems.push(`${which} row ${k}: ours ${String(ours)} ≠ reference ${String(v)}`);
      }
    }
    const ftr = path.join(DATA, 'cycler', 'neware', 'reference', path.basename(e.path).replace(/\.ndax?$/, '.ftr'));
    if (existsSync(ftr)) {
      // The summary's timestamps equal the frame's stored instants for UTC layouts; for local-time
      // layouts (nda v29) NewareNDA stores the naive wall-clock time, as we do.
      const frame = readFeather(ftr);
      // The frame reader itself is checked against the manifest's apache-arrow summary.
      const first = summary.first_row as Record<string, number | string | null>;
      for (const k of ['Voltage', 'Index', 'Status', 'Time']) {
        const v = frame.columns[k]?.[0];
        if (v !== first[k]) problems.push(`frame reader: first ${k} ${String(v)} ≠ manifest ${String(first[k])}`);
      }
      problems.push(...compareFrame(loaded, frame, 0).map((p) => `frame: ${p}`));
    }
  }
  if (n === 0) problems.push('no records');
  problems.push(...checkCounterCapacities(loaded));
  return problems;
}

/**
 * The voltage–capacity curves take their capacity from the file's own per-step counters
 * (cycling.ts, 'charge/discharge counters'). Checked here independently, by step number rather
 * than by spotting resets: each half cycle's capacity is the sum, over the steps it spans, of the
 * step's last |counter| (less the counter at the curve's first row when that row is in the step).
 * On 2-1-6_61[07005012].nda, a pulse test logged at the pulse edges, ∫I dt over the samples
 * would give 3× the cycler's 299.86 mA·h.
 */
function checkCounterCapacities(loaded: Loaded): string[] {
  const { cols, entry } = loaded;
  const has = (k: string) => !!cols[k] && entry.columns!.some((c) => c.name === k);
  if (!has('charge capacity') || !has('discharge capacity') || !has('step') || !has('I') || !has('Ecell')) return [];
  const unit = (k: string) => entry.columns!.find((c) => c.name === k)!.units;
  const cyc: CyclingColumns = {};
  for (const k of ['time', 'I', 'Ecell', 'charge capacity', 'discharge capacity', 'cycle number']) if (has(k)) cyc[k] = { units: unit(k), values: Float64Array.from(cols[k]!) };
  let curves;
  try {
    curves = cycleCurves(cyc);
  } catch (err) {
    return [`cycleCurves: ${String(err)}`];
  }
  if (curves.capacitySource !== 'charge/discharge counters') return [`capacity from ${curves.capacitySource}, not the counters`];
  const step = cols.step!;
  const problems: string[] = [];
  for (const c of curves.curves) {
    const q = cyc[c.direction === 'charge' ? 'charge capacity' : 'discharge capacity']!.values;
    let expected = 0;
    for (let i = c.start + 1; i < c.end; i++) {
      const lastOfStep = i === c.end - 1 || step[i + 1] !== step[i];
      if (!lastOfStep) continue;
      const base = step[i] === step[c.start] ? Math.abs(q[c.start]!) : 0;
      expected += Math.abs(q[i]!) - base;
    }
    const got = c.capacity[c.capacity.length - 1]!;
    if (Math.abs(got - expected) > 1e-9 * Math.max(1, expected)) problems.push(`half cycle ${c.halfCycle} (${c.direction}): capacity ${got} mA·h ≠ per-step counters ${expected}`);
    if (problems.length > 3) break;
  }
  // And ∫I dt over the derived test time agrees with the counters (within 1 % on every half
  // cycle holding ≥ 1 % of the largest), except in Pulse steps, which log only the pulse edges.
  // This is what caught TestFile.nda's step time running on across steps (the derived time was
  // doubled, and ∫I dt 3.6× the counters).
  const names = entry.original.stepTypes as Record<string, string> | undefined;
  const pulse = (i: number) => names?.[String(cols['step type']?.[i])] === 'Pulse';
  const integrated = cycleCurves(cyc, { capacitySource: 'integrate' }).curves;
  const last = (a: Float64Array) => a[a.length - 1]!;
  const largest = Math.max(0, ...curves.curves.map((c) => last(c.capacity)));
  curves.curves.forEach((c, k) => {
    const q = last(c.capacity);
    if (q < 0.01 * largest || pulse(c.end - 1)) return;
    const qi = last(integrated[k]!.capacity);
    if (Math.abs(qi - q) > 0.01 * q) problems.push(`half cycle ${c.halfCycle} (${c.direction}): ∫I dt ${qi} mA·h vs counters ${q} (> 1 %)`);
  });
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Arbin

function num(s: string): number {
  return s === '' ? NaN : Number(s);
}

async function checkArbin(e: Entry, all: Entry[]): Promise<string[]> {
  const src = e.expected.from_source_repo_tests ?? {};
  const comp = e.expected.computed_by_reference_readers ?? {};
  const problems: string[] = [];
  if (e.kind === 'arbin-metadata-csv') {
    // A sidecar: read through its data CSV.
    const data = e.path.replace(/_Metadata\.csv$/, '.csv');
    if (!all.some((x) => x.path === data)) return [`no data CSV ${data} for this sidecar`];
    const { entry } = await load(arbinReader, data);
    const side = entry.original.sidecar as Record<string, unknown> | null;
    const first = ((comp.text as Record<string, unknown>).first_lines as string[])[0]!.split(',');
    if (!side) return ['sidecar not read'];
    for (const k of first.filter((x) => x)) if (!(k in side)) problems.push(`sidecar key ${k} missing`);
    if (!entry.metadata.acquisitionTime) problems.push('no acquisitionTime from first_start_datetime');
    return problems;
  }
  let loaded: Loaded;
  try {
    loaded = await load(arbinReader, e.path);
  } catch (err) {
    return [`open failed: ${String(err)}`];
  }
  const { cols, entry, entries } = loaded;
  const n = entry.shape[0]!;
  const bySource = (s: string) => {
    const c = entry.columns!.find((x) => x.sourceName === s || x.sourceName?.startsWith(`${s} (`));
    return c ? cols[c.name] : undefined;
  };
  if (e.kind === 'arbin-res') {
    const t = comp.Channel_Normal_Table as Record<string, unknown>;
    if (n !== src.cellpy_raw_n_rows || n !== t.n_rows) problems.push(`rows ${n} ≠ ${String(t.n_rows)}`);
    const names = entry.columns!.map((c) => c.sourceName!.replace(/ \(.*\)$/, ''));
    if (JSON.stringify(names) !== JSON.stringify(t.columns)) problems.push(`columns ${names.join(',')} ≠ ${(t.columns as string[]).join(',')}`);
    if (entry.columns!.length !== src.cellpy_raw_n_columns) problems.push(`${entry.columns!.length} columns ≠ cellpy ${String(src.cellpy_raw_n_columns)}`);
    const max = (a: ColumnArray | undefined) => (a ? Array.from(a).reduce((m, v) => Math.max(m, v), -Infinity) : NaN);
    const min = (a: ColumnArray | undefined) => (a ? Array.from(a).reduce((m, v) => Math.min(m, v), Infinity) : NaN);
    if (max(cols['cycle number']) !== t.max_Cycle_Index || max(cols['cycle number']) !== src.cellpy_summary_n_cycles) problems.push(`max cycle ${max(cols['cycle number'])}`);
    if (max(cols['step index']) !== t.max_Step_Index) problems.push(`max step ${max(cols['step index'])}`);
    if (Math.abs(min(cols.Ecell) - (t.voltage_min as number)) > 1e-7 || Math.abs(max(cols.Ecell) - (t.voltage_max as number)) > 1e-7) problems.push('voltage range');
    for (const [which, row] of [
      ['first_row', 0],
      ['last_row', n - 1],
    ] as const) {
      for (const [k, v] of Object.entries(t[which] as Record<string, string>)) {
        const ours = bySource(k)?.[row];
        const ref = num(v);
        // mdbtools prints float32 columns with 8 significant digits.
        if (ours === undefined || Math.abs(ours - ref) > 5e-8 * Math.max(1, Math.abs(ref))) problems.push(`${which} ${k}: ours ${ours} ≠ mdbtools ${v}`);
      }
    }
    const g = (entry.original.global as Record<string, unknown>[])[0] ?? {};
    const gt = comp.Global_Table as Record<string, string>;
    for (const k of ['Test_Name', 'Channel_Index', 'Creator', 'Schedule_File_Name', 'Software_Version']) {
      if (String(g[k]) !== gt[k]) problems.push(`Global_Table ${k}: ${String(g[k])} ≠ ${gt[k]}`);
    }
    if (g.Start_DateTime !== src.start_datetime_excel_serial_days) problems.push('Start_DateTime');
    if (g.Channel_Index !== src.channel_index || g.Creator !== src.creator) problems.push('channel/creator');
    const units = src.units as Record<string, string>;
    const unitOf = (name: string) => entry.columns!.find((c) => c.name === name)!.units;
    if (unitOf('I') !== units.current || unitOf('Ecell') !== units.voltage || unitOf('charge capacity') !== 'A·h' || unitOf('internal resistance') !== 'Ω') problems.push('units');
    if (!entries.some((x) => x.entry === 'statistics')) problems.push('no statistics entry');
    return problems;
  }
  if (e.kind === 'arbin-csv') {
    const text = comp.text as { n_lines: number; first_lines: string[] };
    if (n !== text.n_lines - 1) problems.push(`rows ${n} ≠ ${text.n_lines - 1}`);
    const labels = text.first_lines[0]!.split(',');
    const sources = entry.columns!.map((c) => c.sourceName!.replace(/ \(.*\)$/, ''));
    if (JSON.stringify(sources) !== JSON.stringify(labels)) problems.push(`columns ${sources.join(',')}`);
    for (let r = 1; r < text.first_lines.length; r++) {
      text.first_lines[r]!.split(',').forEach((v, j) => {
        const ours = bySource(labels[j]!)?.[r - 1];
        const ref = num(v);
        if (ours === undefined || !(ours === ref || (Number.isNaN(ours) && Number.isNaN(ref)))) problems.push(`row ${r} ${labels[j]}: ${ours} ≠ ${v}`);
      });
    }
    const reason = String(src.validator_reason ?? '');
    const cyc = cols['cycle number']!;
    if (reason.includes('nan') && !Number.isNaN(cyc[0]!)) problems.push('BEEP found a missing cycle_index at row 0; ours is a number');
    if (reason.includes('reach at least 1') && cyc.some((v) => v >= 1)) problems.push('BEEP found cycle_index never reaching 1');
    if (!entry.metadata.acquisitionTime) problems.push('no acquisitionTime (sidecar)');
    return problems;
  }
  if (e.kind === 'arbin-xlsx') {
    const shape = src.navani_df_shape as number[];
    if (n !== shape[0]) problems.push(`rows ${n} ≠ navani ${shape[0]}`);
    const raw = src.raw_columns as string[];
    const sources = entry.columns!.map((c) => c.sourceName!.replace(/ \(Excel.*\)$/, ''));
    if (JSON.stringify(sources) !== JSON.stringify(raw)) problems.push(`columns ${sources.join(',')} ≠ ${raw.join(',')}`);
    if (!entry.metadata.acquisitionTime) problems.push('no acquisitionTime');
    return problems;
  }
  return [`unknown kind ${e.kind}`];
}

describe.skipIf(!available)('cycler conformance (Neware, Arbin)', () => {
  it('reads every Neware .nda/.ndax like NewareNDA and cellpy', { timeout: 300_000 }, async () => {
    const entries = manifest().filter((e) => e.path.startsWith('cycler/neware/') && (e.kind === 'neware-nda' || e.kind === 'neware-ndax'));
    const notOurs = manifest().filter((e) => e.path.startsWith('cycler/neware/') && e.kind === 'neware-csv');
    const failures: string[] = [];
    for (const e of entries) {
      const p = await checkNeware(e);
      if (p.length) failures.push(`${e.path}: ${p.join('; ')}`);
    }
    console.log(`neware conformance: ${entries.length - failures.length}/${entries.length}`);
    for (const f of failures) console.log(`  FAIL ${f}`);
    for (const l of frameLog) console.log(`  frame ${l}`);
    for (const e of notOurs) console.log(`  (not applicable: ${e.path} is a ${e.kind} text export, not read by the neware binary reader)`);
    expect(entries.length).toBeGreaterThan(0);
    expect(failures).toEqual([]);
  });

  it('reads every Arbin .res/.csv/.xlsx like mdbtools, cellpy, BEEP and navani', { timeout: 300_000 }, async () => {
    const all = manifest().filter((e) => e.path.startsWith('cycler/arbin/'));
    const failures: string[] = [];
    for (const e of all) {
      const p = await checkArbin(e, all);
      if (p.length) failures.push(`${e.path}: ${p.join('; ')}`);
    }
    console.log(`arbin conformance: ${all.length - failures.length}/${all.length}`);
    for (const f of failures) console.log(`  FAIL ${f}`);
    expect(all.length).toBeGreaterThan(0);
    expect(failures).toEqual([]);
  });
});
