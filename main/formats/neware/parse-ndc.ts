/**
 * Parsers for the .ndc members of a Neware .ndax archive (BTS 8.x). Pure: bytes in, columns out.
 *
 * Every .ndc starts with a small header: byte 0 = file type, byte 2 = layout version.
 *   type 1  data.ndc          the records (v2/v5: complete records; v11+: voltage + current only)
 *   type 5  data_*.ndc        auxiliary channels (temperature, aux voltage, humidity)
 *   type 7  data_step.ndc     one row per step: cycle, step number, step type
 *   type 18 data_runInfo.ndc  time, capacities, energies, timestamp, step per record
 * Versions 2 are searched by a record identifier; 5 and later are 4096-byte pages after a
 * 4096-byte header, each holding fixed-size slots between a page header and a page trailer whose
 * sizes depend on version and type (table `PAGED` below). Unused slots are zero-filled.
 *
 * The layouts are as described by NewareNDA (d-cogswell/NewareNDA, BSD-3-Clause,
 * NewareNDA/NewareNDAx.py @ d895eb2), read as the format reference and re-derived here; they were
 * checked against its reference frames for v5 (test.ndax — no frame), v14, v16 and v17 (see
 * README.md). v2 and v11 follow the same description but no corpus file exercises them.
 */
import { FormatError } from '../format-error.js';
import {
  countChanges,
  dedupeSortByIndex,
  GrowTable,
  i64,
  RANGE_MULTIPLIER,
  RECORD_KEYS,
  u64,
  type RecordColumns,
} from './records.js';

export const READER_ID = 'neware';
export const NDC_PAGE = 4096;

export interface NdcHeader {
  fileType: number;
  version: number;
}

export function ndcHeader(b: Uint8Array, file: string): NdcHeader {
  if (b.length < 3) throw new FormatError(file, 0, 'an .ndc header (at least 3 bytes)', READER_ID);
  return { fileType: b[0]!, version: b[2]! };
}

function dataView(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * Visit every slot of a paged .ndc: pages of 4096 bytes from offset 4096, slots of `recLen` bytes
 * from `start` to `4096 - tail` within each page. A trailing partial page is reported, not read.
 */
function forEachSlot(b: Uint8Array, start: number, tail: number, recLen: number, warnings: string[], file: string, fn: (off: number) => void): void {
  for (let page = NDC_PAGE; page + NDC_PAGE <= b.length; page += NDC_PAGE) {
    const end = page + NDC_PAGE - tail;
    for (let off = page + start; off + recLen <= end; off += recLen) fn(off);
  }
  const rest = b.length > NDC_PAGE ? (b.length - NDC_PAGE) % NDC_PAGE : 0;
  if (rest !== 0) warnings.push(`${file}: trailing partial page of ${rest} bytes ignored`);
}

// ---------------------------------------------------------------------------------------------
// Complete records (data.ndc v2 and v5; also the .nda v29 layout shifted by 6 bytes)

/**
 * One integer-coded record, fields relative to `r` (the record start in ndc v2/v5):
 *   +8 index u32, +12 cycle u32 (0-based), +16 step number u8, +17 step type u8,
 *   +23 step time u64 ms, +31 voltage i32 (0.1 mV), +35 current i32 (range units),
 *   +43/+51/+59/+67 charge capacity, discharge capacity, charge energy, discharge energy i64
 *   (range units × s), +75 year u16, month, day, hour, minute, second u8, +82 current range i32.
 */
function pushIntRecord(dv: DataView, r: number, out: GrowTable<(typeof RECORD_KEYS)[number]>, badRanges: Set<number>): void {
  const range = dv.getInt32(r + 82, true);
  let mult = RANGE_MULTIPLIER.get(range);
  if (mult === undefined) {
    badRanges.add(range);
    mult = NaN;
  }
  const stepIndex = dv.getUint8(r + 16);
  out.push({
    index: dv.getUint32(r + 8, true),
    cycle: dv.getUint32(r + 12, true) + 1,
    stepKey: stepIndex,
    stepIndex,
    status: dv.getUint8(r + 17),
    stepTime: u64(dv, r + 23) / 1000,
    voltage: dv.getInt32(r + 31, true) / 10000,
    current: dv.getInt32(r + 35, true) * mult,
    chargeCapacity: (i64(dv, r + 43) * mult) / 3600,
    dischargeCapacity: (i64(dv, r + 51) * mult) / 3600,
    chargeEnergy: (i64(dv, r + 59) * mult) / 3600,
    dischargeEnergy: (i64(dv, r + 67) * mult) / 3600,
    timestamp:
      Date.UTC(dv.getUint16(r + 75, true), dv.getUint8(r + 77) - 1, dv.getUint8(r + 78), dv.getUint8(r + 79), dv.getUint8(r + 80), dv.getUint8(r + 81)) /
      1000,
  });
}

/** Full records from data.ndc v2 or v5 (the timestamps are the PC's local wall-clock time). */
export function parseNdcRecords(b: Uint8Array, h: NdcHeader, file: string, warnings: string[]): RecordColumns {
  const dv = dataView(b);
  const out = new GrowTable(RECORD_KEYS, Math.max(16, b.length / 87));
  const badRanges = new Set<number>();
  if (h.version === 2) {
    // v2: no pages; every record begins with the 8-byte identifier first seen at offset 517.
    if (b.length < 525 + 94) throw new FormatError(file, 517, 'an ndc v2 record identifier at offset 517', READER_ID);
    const ident = b.subarray(517, 525);
    for (let pos = indexOf(b, ident, 0); pos >= 0; pos = indexOf(b, ident, pos + 94)) {
      if (pos + 94 > b.length) break;
      if (b[pos] === 0x55) pushIntRecord(dv, pos, out, badRanges);
      else warnings.push(`${file}: unknown record type 0x${b[pos]!.toString(16)} at byte ${pos}`);
    }
  } else if (h.version === 5) {
    forEachSlot(b, 125, 56, 87, warnings, file, (off) => {
      if (b[off + 7] === 0x55) pushIntRecord(dv, off, out, badRanges);
    });
  } else {
    throw new FormatError(file, 2, `ndc version 2 or 5 for complete records (got ${h.version})`, READER_ID);
  }
  if (badRanges.size) warnings.push(`${file}: unknown current range code(s) ${[...badRanges].join(', ')}: current, capacity and energy set to NaN`);
  return dedupeSortByIndex(out.finish(), 'index');
}

export function indexOf(hay: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0]!;
  outer: for (let i = hay.indexOf(first, from); i >= 0 && i + needle.length <= hay.length; i = hay.indexOf(first, i + 1)) {
    for (let j = 1; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------
// data.ndc v11+ (voltage/current pairs)

export interface VoltageCurrent {
  index: Float64Array;
  voltage: Float64Array;
  current: Float64Array;
}

/**
 * v11/v16: float32 voltage in 0.1 mV and float32 current in mA; v14/v17: float32 V and A.
 * Slot k (over all pages) is record index k+1; unused slots are zero and dropped — so a record
 * of exactly 0 V is indistinguishable from an empty slot (a limit of the format).
 */
export function parseNdcVoltageCurrent(b: Uint8Array, h: NdcHeader, file: string, warnings: string[]): VoltageCurrent {
  let vScale: number;
  let iScale: number;
  if (h.version === 11 || h.version === 16) {
    vScale = 1e-4;
    iScale = 1;
  } else if (h.version === 14 || h.version === 17) {
    vScale = 1;
    iScale = 1000;
  } else throw new FormatError(file, 2, `data.ndc version 11, 14, 16 or 17 (got ${h.version})`, READER_ID);
  const dv = dataView(b);
  const t = new GrowTable(['index', 'voltage', 'current'] as const, Math.max(16, b.length / 8));
  let slot = 0;
  forEachSlot(b, 132, 4, 8, warnings, file, (off) => {
    slot++;
    const v = dv.getFloat32(off, true);
    if (v === 0) return;
    t.push({ index: slot, voltage: v * vScale, current: dv.getFloat32(off + 4, true) * iScale });
  });
  return t.finish();
}

// ---------------------------------------------------------------------------------------------
// data_step.ndc (type 7)

export interface StepTable {
  /** Instrument cycle + 1, per step (row k = step k+1). */
  cycle: Float64Array;
  stepIndex: Float64Array;
  status: Float64Array;
}

/** v11/v14: 37-byte slots (keep when step number ≠ 0); v16/v17: 100-byte slots (keep when index ≠ 0). */
export function parseNdcSteps(b: Uint8Array, h: NdcHeader, file: string, warnings: string[]): StepTable {
  const dv = dataView(b);
  const t = new GrowTable(['cycle', 'stepIndex', 'status'] as const, 64);
  if (h.version === 11 || h.version === 14) {
    forEachSlot(b, 132, 5, 37, warnings, file, (off) => {
      const stepIndex = dv.getInt32(off + 4, true);
      if (stepIndex !== 0) t.push({ cycle: dv.getInt32(off, true) + 1, stepIndex, status: dv.getInt8(off + 24) });
    });
  } else if (h.version === 16 || h.version === 17) {
    forEachSlot(b, 132, 64, 100, warnings, file, (off) => {
      if (dv.getInt32(off + 33, true) !== 0) {
        t.push({ cycle: dv.getInt32(off, true) + 1, stepIndex: dv.getInt32(off + 4, true), status: dv.getInt8(off + 24) });
      }
    });
  } else throw new FormatError(file, 2, `data_step.ndc version 11, 14, 16 or 17 (got ${h.version})`, READER_ID);
  return t.finish();
}

// ---------------------------------------------------------------------------------------------
// data_runInfo.ndc (type 18)

export interface RunInfo {
  index: Float64Array;
  stepTime: Float64Array;
  dt: Float64Array;
  chargeCapacity: Float64Array;
  dischargeCapacity: Float64Array;
  chargeEnergy: Float64Array;
  dischargeEnergy: Float64Array;
  timestamp: Float64Array;
  /** Running step count (1-based), from the changes of the stored step field. */
  step: Float64Array;
}

/**
 * Slot fields: +0 step time i32 ms, +5..+20 charge/discharge capacity, charge/discharge energy
 * float32, +29 dt i32 ms (logging interval), +33 Unix seconds i32, +37 step i32, +41 index i32,
 * +45 milliseconds i16. Capacity units: v11/v16 mA·s (÷3600 → mA·h), v14/v17 A·h (×1000).
 * Slot size/trailer: v11 47/16, v14 55/4, v16 and v17 100/64.
 */
export function parseNdcRunInfo(b: Uint8Array, h: NdcHeader, file: string, warnings: string[]): RunInfo {
  const layout: Record<number, { len: number; tail: number; qScale: number }> = {
    11: { len: 47, tail: 16, qScale: 1 / 3600 },
    14: { len: 55, tail: 4, qScale: 1000 },
    16: { len: 100, tail: 64, qScale: 1 / 3600 },
    17: { len: 100, tail: 64, qScale: 1000 },
  };
  const l = layout[h.version];
  if (!l) throw new FormatError(file, 2, `data_runInfo.ndc version 11, 14, 16 or 17 (got ${h.version})`, READER_ID);
  const dv = dataView(b);
  const keys = ['index', 'stepTime', 'dt', 'chargeCapacity', 'dischargeCapacity', 'chargeEnergy', 'dischargeEnergy', 'timestamp', 'rawStep'] as const;
  const t = new GrowTable(keys, Math.max(16, b.length / l.len));
  forEachSlot(b, 132, l.tail, l.len, warnings, file, (off) => {
    const index = dv.getInt32(off + 41, true);
    if (index === 0) return;
    t.push({
      index,
      stepTime: dv.getInt32(off, true) / 1000,
      chargeCapacity: dv.getFloat32(off + 5, true) * l.qScale,
      dischargeCapacity: dv.getFloat32(off + 9, true) * l.qScale,
      chargeEnergy: dv.getFloat32(off + 13, true) * l.qScale,
      dischargeEnergy: dv.getFloat32(off + 17, true) * l.qScale,
      dt: dv.getInt32(off + 29, true) / 1000,
      timestamp: dv.getInt32(off + 33, true) + dv.getInt16(off + 45, true) / 1000,
      rawStep: dv.getInt32(off + 37, true),
    });
  });
  const raw = t.finish();
  // The step count is taken over the file order, before duplicates are dropped (as BTSDA numbers them).
  const counted = { ...raw, step: countChanges(raw.rawStep) };
  const d = dedupeSortByIndex(counted, 'index');
  return {
    index: d.index,
    stepTime: d.stepTime,
    dt: d.dt,
    chargeCapacity: d.chargeCapacity,
    dischargeCapacity: d.dischargeCapacity,
    chargeEnergy: d.chargeEnergy,
    dischargeEnergy: d.dischargeEnergy,
    timestamp: d.timestamp,
    step: d.step,
  };
}

// ---------------------------------------------------------------------------------------------
// Auxiliary channels (type 5)

export interface AuxTable {
  index: Float64Array;
  /** Aux channel number stored per record (v2/v5/v11-0x74 only). */
  aux?: Float64Array;
  /** Quantity letter → values: V (V), T (°C), t (°C), or '?' (v14/v17: quantity named by TestInfo.xml). */
  values: Record<string, Float64Array>;
}

export function parseNdcAux(b: Uint8Array, h: NdcHeader, file: string, warnings: string[]): AuxTable {
  const dv = dataView(b);
  if (h.version === 2 || h.version === 5) {
    // 0x65 records: aux voltage (0.1 mV) and temperature (0.1 °C); 0x74 adds a second temperature.
    const t = new GrowTable(['index', 'aux', 'V', 'T', 't'] as const, 256);
    const visit = (r: number, marker: number | undefined): void => {
      if (marker !== 0x65 && marker !== 0x74) return;
      t.push({
        index: dv.getUint32(r + 8, true),
        aux: dv.getUint8(r + 3),
        V: dv.getInt32(r + 31, true) / 10000,
        T: dv.getInt16(r + 41, true) / 10,
        t: marker === 0x74 ? dv.getInt16(r + 43, true) / 10 : NaN,
      });
    };
    if (h.version === 2) {
      if (b.length < 525) throw new FormatError(file, 517, 'an ndc v2 record identifier at offset 517', READER_ID);
      const ident = b.subarray(517, 525);
      for (let pos = indexOf(b, ident, 0); pos >= 0 && pos + 94 <= b.length; pos = indexOf(b, ident, pos + 94)) visit(pos, b[pos]);
    } else {
      forEachSlot(b, 125, 56, 87, warnings, file, (off) => visit(off, b[off + 7]));
    }
    const f = t.finish();
    const values: Record<string, Float64Array> = { V: f.V, T: f.T };
    if (f.t.some((x) => !Number.isNaN(x))) values.t = f.t;
    return { index: f.index, aux: f.aux, values };
  }
  if (h.version === 11) {
    const first = b.length > NDC_PAGE + 132 ? b[NDC_PAGE + 132] : undefined;
    if (first === 0x74) {
      const t = new GrowTable(['index', 'aux', 'T'] as const, 256);
      forEachSlot(b, 132, 4, 88, warnings, file, (off) => {
        if (b[off] === 0x74) t.push({ index: dv.getInt32(off + 1, true), aux: dv.getInt8(off + 5), T: dv.getInt16(off + 35, true) / 10 });
      });
      const f = t.finish();
      return { index: f.index, aux: f.aux, values: { T: f.T } };
    }
    const t = new GrowTable(['index', 'V', 'T'] as const, 256);
    let n = 0;
    forEachSlot(b, 132, 2, 7, warnings, file, (off) => {
      if (b[off] === 0x65) t.push({ index: ++n, V: dv.getFloat32(off + 1, true) / 10000, T: dv.getInt16(off + 5, true) / 10 });
    });
    const f = t.finish();
    return { index: f.index, values: { V: f.V, T: f.T } };
  }
  if (h.version === 14 || h.version === 17) {
    const t = new GrowTable(['index', 'raw'] as const, Math.max(16, b.length / 4));
    let slot = 0;
    forEachSlot(b, 132, 4, 4, warnings, file, (off) => t.push({ index: ++slot, raw: dv.getFloat32(off, true) }));
    const f = t.finish();
    return { index: f.index, values: { '?': f.raw } };
  }
  if (h.version === 16) {
    const t = new GrowTable(['index', 'V', 'T'] as const, Math.max(16, b.length / 7));
    let slot = 0;
    forEachSlot(b, 132, 2, 7, warnings, file, (off) =>
      t.push({ index: ++slot, V: dv.getFloat32(off + 1, true) * 1e-4, T: dv.getInt16(off + 5, true) / 10 }),
    );
    const f = t.finish();
    return { index: f.index, values: { V: f.V, T: f.T } };
  }
  throw new FormatError(file, 2, `aux .ndc version 2, 5, 11, 14, 16 or 17 (got ${h.version})`, READER_ID);
}
