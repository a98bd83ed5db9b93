/**
 * Parser for the older Neware binary (.nda, BTSDA 7.x and BTS 9.x). Pure: bytes in, records out.
 *
 *   bytes 0–5   "NEWARE"
 *   byte 14     layout version: 29 (BTSDA 7) or 130 (BTS 9.0 / 9.1)
 *   "BTSServer…" somewhere in the header: server version (50 bytes), 50 bytes, client version (50)
 *
 * v29: 86-byte records after a variable header. The data section starts at the first
 *   00 00 00 00 55 00 whose record (4 bytes on) has a non-zero step type and is followed, 86 bytes
 *   later, by another record marker (0x55 data or 0x65 aux; NewareNDA accepts only 0x55 there,
 *   which would skip a first data record followed by an aux record). Records start 0x55 00 (data) or 0x65 (aux) and end with
 *   four zero bytes.
 * v130: records from offset 1024. If byte 1024 is 0x55 (BTS 9.1) every record starts with the same
 *   two bytes and the record length is the distance to their next occurrence (56 when a
 *   temperature is appended); otherwise (BTS 9.0) records are 88 bytes and data records start with
 *   the 6 bytes found at 1024, aux records with 00 00 00 00 65. A record starting 0x81 ends the data.
 *
 * Field offsets are as described by NewareNDA (d-cogswell/NewareNDA, BSD-3-Clause,
 * NewareNDA/NewareNDA.py @ d895eb2), read as the format reference and checked against its
 * reference frames (new_nda_file.nda v29, TestFile.nda v130/9.1, 2-1-6_61[07005012].nda v130/9.0).
 */
import type { MetaTree } from '../../api/dataset.js';
import { FormatError } from '../format-error.js';
import { indexOf, READER_ID } from './parse-ndc.js';
import {
  dedupeSortByIndex,
  GrowTable,
  i64,
  RANGE_MULTIPLIER,
  RECORD_KEYS,
  u64,
  type AuxSeries,
  type NewareRecords,
} from './records.js';

export const NDA_MAGIC = 'NEWARE';

export function hasNdaMagic(head: Uint8Array): boolean {
  if (head.length < 15) return false;
  for (let i = 0; i < 6; i++) if (head[i] !== NDA_MAGIC.charCodeAt(i)) return false;
  return true;
}

function asciiz(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c === 0) continue;
    s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '';
  }
  return s.trim();
}

/** Header facts: version, BTS server/client strings, and (v29) active mass and remarks. */
export function ndaMetadata(b: Uint8Array): MetaTree {
  const meta: MetaTree = { ndaVersion: b[14] ?? null };
  const at = indexOf(b.subarray(0, Math.min(b.length, 1 << 20)), new TextEncoder().encode('BTSServer'), 0);
  if (at >= 0) {
    meta.serverVersion = asciiz(b.subarray(at, Math.min(b.length, at + 50)));
    meta.clientVersion = asciiz(b.subarray(Math.min(b.length, at + 100), Math.min(b.length, at + 150)));
  }
  if (b[14] === 29 && b.length >= 2417) {
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    meta.activeMass_mg = dv.getUint32(152, true) / 1000;
    meta.remarks = asciiz(b.subarray(2317, 2417));
  }
  return meta;
}

interface AuxRow {
  index: number;
  aux: number;
  T: number;
  V: number;
}

function pivotAux(rows: AuxRow[], hasV: boolean): AuxSeries[] {
  const byAux = new Map<number, AuxRow[]>();
  for (const r of rows) {
    let l = byAux.get(r.aux);
    if (!l) byAux.set(r.aux, (l = []));
    l.push(r);
  }
  const out: AuxSeries[] = [];
  for (const [aux, list] of [...byAux.entries()].sort((a, b) => a[0] - b[0])) {
    const index = Float64Array.from(list, (r) => r.index);
    out.push({ name: `T${aux}`, quantity: 'T', units: '°C', index, values: Float64Array.from(list, (r) => r.T), sourceName: `aux ${aux} temperature (0.1 °C units)` });
    if (hasV && list.some((r) => !Number.isNaN(r.V))) {
      out.push({ name: `V${aux}`, quantity: 'V', units: 'V', index, values: Float64Array.from(list, (r) => r.V), sourceName: `aux ${aux} voltage (0.1 mV units)` });
    }
  }
  return out;
}

export function parseNda(b: Uint8Array, file: string): NewareRecords {
  if (!hasNdaMagic(b)) throw new FormatError(file, 0, '"NEWARE" at byte 0', READER_ID);
  const version = b[14]!;
  if (version === 29) return parseNda29(b, file);
  if (version === 130) return parseNda130(b, file);
  throw new FormatError(file, 14, `.nda layout version 29 or 130 (got ${version})`, READER_ID);
}

function parseNda29(b: Uint8Array, file: string): NewareRecords {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const warnings: string[] = [];
  const RL = 86;
  const ident = Uint8Array.of(0, 0, 0, 0, 0x55, 0);
  let header = indexOf(b, ident, 0);
  // The next record may be a data (0x55) or an aux (0x65) record.
  const marker = (x: number | undefined) => x === 0x55 || x === 0x65;
  while (header >= 0 && header + 4 + RL < b.length && (!marker(b[header + 4 + RL]) || b[header + 4 + 12] === 0)) {
    header = indexOf(b, ident, header + 4);
  }
  if (header < 0) throw new FormatError(file, 0, 'a v29 data record (00 00 00 00 55 00 …) after the header', READER_ID);
  const out = new GrowTable(RECORD_KEYS, Math.max(16, (b.length - header) / RL));
  const aux: AuxRow[] = [];
  const badRanges = new Set<number>();
  const zeroTail = (r: number) => b[r + 82] === 0 && b[r + 83] === 0 && b[r + 84] === 0 && b[r + 85] === 0;
  for (let r = header + 4; r + RL <= b.length; r += RL) {
    if (b[r] === 0x55 && b[r + 1] === 0 && zeroTail(r)) {
      const index = dv.getUint32(r + 2, true);
      const status = b[r + 12]!;
      if (index === 0 || status === 0) continue;
      const range = dv.getInt32(r + 78, true);
      let mult = RANGE_MULTIPLIER.get(range);
      if (mult === undefined) {
        badRanges.add(range);
        mult = NaN;
      }
      out.push({
        index,
        cycle: dv.getUint32(r + 6, true) + 1,
        // The step boundary key is the 32-bit word at +10 (step number u16, type u8, one more byte).
        stepKey: dv.getUint32(r + 10, true),
        stepIndex: dv.getUint16(r + 10, true),
        status,
        stepTime: u64(dv, r + 14) / 1000,
        voltage: dv.getInt32(r + 22, true) / 10000,
        current: dv.getInt32(r + 26, true) * mult,
        chargeCapacity: (i64(dv, r + 38) * mult) / 3600,
        dischargeCapacity: (i64(dv, r + 46) * mult) / 3600,
        chargeEnergy: (i64(dv, r + 54) * mult) / 3600,
        dischargeEnergy: (i64(dv, r + 62) * mult) / 3600,
        timestamp: Date.UTC(dv.getUint16(r + 70, true), b[r + 72]! - 1, b[r + 73]!, b[r + 74]!, b[r + 75]!, b[r + 76]!) / 1000,
      });
    } else if (b[r] === 0x65 && zeroTail(r)) {
      aux.push({ aux: b[r + 1]!, index: dv.getUint32(r + 2, true), V: dv.getInt32(r + 22, true) / 10000, T: dv.getInt16(r + 34, true) / 10 });
    }
  }
  if (badRanges.size) warnings.push(`unknown current range code(s) ${[...badRanges].join(', ')}: current, capacity and energy set to NaN`);
  return { columns: dedupeSortByIndex(out.finish(), 'index'), aux: pivotAux(aux, true), timestampZone: 'local', layout: 'nda v29', warnings };
}

function parseNda130(b: Uint8Array, file: string): NewareRecords {
  if (b.length < 1024 + 56) throw new FormatError(file, 1024, 'v130 records from byte 1024', READER_ID);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const warnings: string[] = [];
  const ident = b.slice(1024, 1030);
  const bts91 = b[1024] === 0x55;
  let RL = 88;
  if (bts91) {
    const next = indexOf(b, b.subarray(1024, 1026), 1026);
    RL = next - 1024;
    if (next < 0 || RL < 52 || RL > 4096) {
      throw new FormatError(file, 1026, `a second BTS 9.1 record marker within 4096 bytes of the first (record length ${next < 0 ? 'not found' : RL})`, READER_ID);
    }
  }
  const out = new GrowTable(RECORD_KEYS, Math.max(16, (b.length - 1024) / RL));
  const aux: AuxRow[] = [];
  let ended = false;
  for (let r = 1024; r + RL <= b.length; r += RL) {
    if (b[r] === 0x55) {
      // BTS 9.1: +2 step u8, +3 type u8, +8 index u32, +12 s u32, +16 ns u32, +20 current f32 (mA),
      // +24 voltage f32, +28 signed capacity f32 (mA·s), +32 signed energy f32 (mW·s), +36 cycle u32,
      // +44 Unix s u32, +48 ns u32, [+52 temperature f32 when the record is 56 bytes].
      const q = dv.getFloat32(r + 28, true);
      const e = dv.getFloat32(r + 32, true);
      const stepIndex = b[r + 2]!;
      const index = dv.getUint32(r + 8, true);
      out.push({
        index,
        cycle: dv.getUint32(r + 36, true) + 1,
        stepKey: stepIndex,
        stepIndex,
        status: b[r + 3]!,
        stepTime: dv.getUint32(r + 12, true) + 1e-9 * dv.getUint32(r + 16, true),
        voltage: dv.getFloat32(r + 24, true),
        current: dv.getFloat32(r + 20, true),
        chargeCapacity: (q < 0 ? 0 : q) / 3600,
        dischargeCapacity: (q > 0 ? 0 : Math.abs(q)) / 3600,
        chargeEnergy: (e < 0 ? 0 : e) / 3600,
        dischargeEnergy: (e > 0 ? 0 : Math.abs(e)) / 3600,
        timestamp: dv.getUint32(r + 44, true) + 1e-9 * dv.getUint32(r + 48, true),
      });
      if (RL === 56) aux.push({ index, aux: 1, T: dv.getFloat32(r + 52, true), V: NaN });
    } else if (!bts91 && b[r] === ident[0] && b[r + 1] === ident[1] && b[r + 2] === ident[2] && b[r + 3] === ident[3] && b[r + 4] === ident[4] && b[r + 5] === ident[5]) {
      // BTS 9.0, relative to s = r + 4: +5 step u8, +6 type u8, +12 index u32, +24 step time u64 µs,
      // +32 voltage f32, +36 current f32 (mA), +48 charge capacity, +52 charge energy,
      // +56 discharge capacity, +60 discharge energy f32 (mA·s, mW·s), +64 Unix µs u64. No cycle.
      const s = r + 4;
      const stepIndex = b[s + 5]!;
      out.push({
        index: dv.getUint32(s + 12, true),
        cycle: NaN,
        stepKey: stepIndex,
        stepIndex,
        status: b[s + 6]!,
        stepTime: u64(dv, s + 24) / 1e6,
        voltage: dv.getFloat32(s + 32, true),
        current: dv.getFloat32(s + 36, true),
        chargeCapacity: dv.getFloat32(s + 48, true) / 3600,
        chargeEnergy: dv.getFloat32(s + 52, true) / 3600,
        dischargeCapacity: dv.getFloat32(s + 56, true) / 3600,
        dischargeEnergy: dv.getFloat32(s + 60, true) / 3600,
        timestamp: u64(dv, s + 64) / 1e6,
      });
    } else if (b[r] === 0 && b[r + 1] === 0 && b[r + 2] === 0 && b[r + 3] === 0 && b[r + 4] === 0x65) {
      const s = r + 4;
      aux.push({ aux: b[s + 1]!, index: dv.getUint32(s + 2, true), V: dv.getInt32(s + 22, true) / 10000, T: dv.getInt16(s + 34, true) / 10 });
    } else if (b[r] === 0x81) {
      ended = true;
      break;
    }
  }
  if (!ended) warnings.push('no end-of-data marker (0x81) found: the file may be truncated');
  const columns = dedupeSortByIndex(out.finish(), 'index');
  if (!bts91) warnings.push('BTS 9.0 records store no cycle counter: "cycle number" is absent');
  return { columns, aux: pivotAux(aux, !bts91), timestampZone: 'utc', layout: bts91 ? 'nda v130 (BTS 9.1)' : 'nda v130 (BTS 9.0)', warnings };
}
