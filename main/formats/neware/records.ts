/**
 * Shared pieces of the Neware parsers: growable columns, the record-table shape every layout is
 * brought to, the status (step type) codes and the current-range scale factors.
 *
 * The code tables are facts about the instrument's files as documented by NewareNDA
 * (d-cogswell/NewareNDA, BSD-3-Clause, NewareNDA/dicts.py @ d895eb2), which was read as the format
 * description; they were checked against the reference frames of its test suite.
 */

/** Neware step type ("Status") codes → names, as BTSDA shows them. */
export const STEP_TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'CC_Chg',
  2: 'CC_DChg',
  3: 'CV_Chg',
  4: 'Rest',
  5: 'Cycle',
  7: 'CCCV_Chg',
  8: 'CP_DChg',
  9: 'CP_Chg',
  10: 'CR_DChg',
  13: 'Pause',
  16: 'Pulse',
  17: 'SIM',
  19: 'CV_DChg',
  20: 'CCCV_DChg',
  21: 'Control',
  22: 'OCV',
  26: 'CPCV_DChg',
  27: 'CPCV_Chg',
};

/**
 * Integer-coded layouts (.nda v29, .ndc v2/v5) store current, capacity and energy as integers
 * in units set by the channel's current range (the "Range" field, in mA full scale, negative for
 * the low ranges). Multiplying by this factor gives mA (current) or mA·s (capacity, → /3600 for
 * mA·h) and mW·s (energy).
 */
export const RANGE_MULTIPLIER: ReadonlyMap<number, number> = new Map([
  [-100000000, 10],
  [-200000, 1e-2], [-100000, 1e-2], [-60000, 1e-2], [-50000, 1e-2], [-40000, 1e-2], [-30000, 1e-2],
  [-20000, 1e-2], [-12000, 1e-2], [-10000, 1e-2], [-6000, 1e-2], [-5000, 1e-2], [-3000, 1e-2],
  [-2000, 1e-2], [-1000, 1e-2],
  [-500, 1e-3], [-100, 1e-3],
  [-50, 1e-4], [-25, 1e-4], [-20, 1e-4], [-10, 1e-4],
  [-5, 1e-5], [-2, 1e-5], [-1, 1e-5],
  [0, 0],
  [1, 1e-4], [2, 1e-4], [5, 1e-4],
  [10, 1e-3], [20, 1e-3], [25, 1e-3], [50, 1e-3],
  [100, 1e-2], [200, 1e-2], [250, 1e-2], [500, 1e-2],
  [1000, 1e-1], [6000, 1e-1], [10000, 1e-1], [12000, 1e-1], [20000, 1e-1], [30000, 1e-1],
  [40000, 1e-1], [50000, 1e-1], [60000, 1e-1], [100000, 1e-1], [200000, 1e-1],
]);

/** A Float64Array that grows by doubling; `view()` returns the filled part. */
export class GrowColumn {
  private buf: Float64Array;
  length = 0;
  constructor(capacity = 1024) {
    this.buf = new Float64Array(Math.max(16, capacity));
  }
  push(v: number): void {
    if (this.length === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = v;
  }
  view(): Float64Array {
    return this.buf.subarray(0, this.length);
  }
}

/** A set of equally long growable columns. */
export class GrowTable<K extends string> {
  readonly cols: Record<K, GrowColumn>;
  constructor(readonly keys: readonly K[], capacity = 1024) {
    const cols = {} as Record<K, GrowColumn>;
    for (const k of keys) cols[k] = new GrowColumn(capacity);
    this.cols = cols;
  }
  get length(): number {
    return this.keys.length ? this.cols[this.keys[0]!].length : 0;
  }
  push(row: Record<K, number>): void {
    for (const k of this.keys) this.cols[k].push(row[k]);
  }
  finish(): Record<K, Float64Array> {
    const out = {} as Record<K, Float64Array>;
    for (const k of this.keys) out[k] = this.cols[k].view().slice();
    return out;
  }
}

/** The record fields every layout is brought to (NaN where a layout does not store a field). */
export const RECORD_KEYS = [
  'index',
  /** The cycle counter the instrument stored, +1 (Neware counts from 0 inside the file). */
  'cycle',
  /** The raw value whose changes mark a new step (see `countChanges`). */
  'stepKey',
  'stepIndex',
  'status',
  /** Step time, s. */
  'stepTime',
  'voltage',
  /** mA */
  'current',
  /** mA·h */
  'chargeCapacity',
  'dischargeCapacity',
  /** mW·h */
  'chargeEnergy',
  'dischargeEnergy',
  /** Unix seconds (see `timestampZone`). */
  'timestamp',
] as const;
export type RecordKey = (typeof RECORD_KEYS)[number];
export type RecordColumns = Record<RecordKey, Float64Array>;

/** An auxiliary channel's values, keyed by record index. */
export interface AuxSeries {
  /** Column name, e.g. "T1" (quantity letter + aux channel id, as BTSDA labels them). */
  name: string;
  units: string;
  quantity: string;
  index: Float64Array;
  values: Float64Array;
  sourceName: string;
}

export interface NewareRecords {
  columns: RecordColumns;
  /** Rows whose time/capacity/energy were filled in (ndc 11/14/17 gaps), 1 = filled. */
  interpolated?: Float64Array;
  aux: AuxSeries[];
  /**
   * 'utc' when the layout stores Unix seconds; 'local' when it stores the instrument PC's
   * calendar date and time (then the numbers are that wall-clock time read as if it were UTC).
   */
  timestampZone: 'utc' | 'local';
  /** Which layout produced the records, e.g. "nda v29", "ndc v17". */
  layout: string;
  warnings: string[];
}

/** 1-based running count of value changes (a new step starts where the key changes). */
export function countChanges(key: Float64Array): Float64Array {
  const out = new Float64Array(key.length);
  let n = 0;
  for (let i = 0; i < key.length; i++) {
    if (i === 0 || key[i] !== key[i - 1]) n++;
    out[i] = n;
  }
  return out;
}

/**
 * Keep the first record of each index and sort by index (Neware files repeat a record when a
 * page is rewritten after a power cut; NewareNDA drops those the same way).
 */
export function dedupeSortByIndex<T extends Record<string, Float64Array>>(cols: T, indexKey: keyof T & string): T {
  const idx = cols[indexKey];
  const n = idx.length;
  const seen = new Set<number>();
  const keep: number[] = [];
  let sorted = true;
  let last = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = idx[i]!;
    if (seen.has(v)) continue;
    seen.add(v);
    if (v < last) sorted = false;
    last = v;
    keep.push(i);
  }
  if (keep.length === n && sorted) return cols;
  if (!sorted) keep.sort((a, b) => idx[a]! - idx[b]!);
  const out: Record<string, Float64Array> = {};
  for (const k of Object.keys(cols)) {
    const src = cols[k]!;
    const dst = new Float64Array(keep.length);
    for (let j = 0; j < keep.length; j++) dst[j] = src[keep[j]!]!;
    out[k] = dst;
  }
  return out as T;
}

/** NaN-filled column. */
export function nanColumn(n: number): Float64Array {
  return new Float64Array(n).fill(NaN);
}

/** Read an unsigned/signed 64-bit little-endian integer as a Number (exact below 2^53). */
export function u64(dv: DataView, off: number): number {
  return dv.getUint32(off, true) + dv.getUint32(off + 4, true) * 4294967296;
}
export function i64(dv: DataView, off: number): number {
  return dv.getUint32(off, true) + dv.getInt32(off + 4, true) * 4294967296;
}
