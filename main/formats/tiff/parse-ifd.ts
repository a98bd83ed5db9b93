/**
 * TIFF / BigTIFF IFD chain parser (TIFF 6.0 §2 "Image File Directory"; BigTIFF: 8-byte counts
 * and offsets, 20-byte entries, types 16–18). Reads only directories and the values they point
 * to; every count and offset is checked against the file size and a bound before allocation.
 */
import type { FileSource } from '../file-source.js';
import { FormatDeclined, FormatError } from '../format-error.js';
import { TIFF_ID, tiffVariant } from './spec.js';

/** Bytes per value of each TIFF field type (TIFF 6.0 §2, BigTIFF additions 16–18). */
const TYPE_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8 };
/** Bounds: entries per IFD, pages per file, bytes of one tag's values. */
export const MAX_ENTRIES = 4096;
export const MAX_PAGES = 1 << 20;
const MAX_VALUE_BYTES = 256 << 20;

export interface TiffField {
  tag: number;
  type: number;
  count: number;
  /** Byte offset of the IFD entry (for error messages). */
  entryOffset: number;
  /** Numeric values (RATIONAL as a ratio), or text for ASCII, or bytes for BYTE/UNDEFINED. */
  numbers?: number[];
  text?: string;
  bytes?: Uint8Array;
}

export interface TiffIfd {
  index: number;
  offset: number;
  fields: Map<number, TiffField>;
}

export interface TiffFile {
  le: boolean;
  big: boolean;
  ifds: TiffIfd[];
}

function decodeText(b: Uint8Array): string {
  let end = b.length;
  while (end > 0 && b[end - 1] === 0) end--;
  const s = b.subarray(0, end);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(s);
  } catch {
    let out = '';
    for (const c of s) out += String.fromCharCode(c); // Latin-1, as older writers use
    return out;
  }
}

export async function parseTiff(src: FileSource): Promise<TiffFile> {
  const f = src.name;
  const err = (off: number, what: string): FormatError => new FormatError(f, off, what, TIFF_ID);
  const head = await src.read(0, Math.min(16, src.size));
  const v = tiffVariant(head);
  if (!v) throw new FormatDeclined(TIFF_ID, 'no TIFF/BigTIFF header (II*\\0, MM\\0*, II+\\0, MM\\0+)');
  const { le, big } = v;
  if (big && head.byteLength < 16) throw err(8, 'a BigTIFF first-IFD offset (16-byte header)');
  const hv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let next = big ? Number(hv.getBigUint64(8, le)) : hv.getUint32(4, le);
  const nextAt = big ? 8 : 4;
  if (next === 0) throw err(nextAt, 'a first IFD (offset 0 means none)');
  const ifds: TiffIfd[] = [];
  const seen = new Set<number>();
  let pointerAt = nextAt;
  while (next !== 0) {
    if (seen.has(next)) throw err(pointerAt, `an IFD chain without loops (IFD at ${next} seen before)`);
    if (ifds.length >= MAX_PAGES) throw err(pointerAt, `at most ${MAX_PAGES} IFDs`);
    seen.add(next);
    const { ifd, nextOffset, nextPointerAt } = await readIfd(src, next, ifds.length, le, big);
    ifds.push(ifd);
    next = nextOffset;
    pointerAt = nextPointerAt;
  }
  return { le, big, ifds };
}

async function readIfd(src: FileSource, off: number, index: number, le: boolean, big: boolean): Promise<{ ifd: TiffIfd; nextOffset: number; nextPointerAt: number }> {
  const f = src.name;
  const err = (o: number, what: string): FormatError => new FormatError(f, o, what, TIFF_ID);
  const countBytes = big ? 8 : 2;
  const entryBytes = big ? 20 : 12;
  const ptrBytes = big ? 8 : 4;
  if (off < 8 || off + countBytes > src.size) throw err(off, `IFD ${index} inside the file (offset ${off}, size ${src.size})`);
  const cb = await src.read(off, countBytes);
  const cv = new DataView(cb.buffer, cb.byteOffset, cb.byteLength);
  const n = big ? Number(cv.getBigUint64(0, le)) : cv.getUint16(0, le);
  if (n < 1 || n > MAX_ENTRIES) throw err(off, `IFD ${index} entry count in 1…${MAX_ENTRIES} (got ${n})`);
  const tableBytes = n * entryBytes + ptrBytes;
  if (off + countBytes + tableBytes > src.size) throw err(off, `IFD ${index} with ${n} entries (${tableBytes} bytes) inside the file`);
  const tb = await src.read(off + countBytes, tableBytes);
  const tv = new DataView(tb.buffer, tb.byteOffset, tb.byteLength);
  const fields = new Map<number, TiffField>();
  for (let i = 0; i < n; i++) {
    const p = i * entryBytes;
    const entryOffset = off + countBytes + p;
    const tag = tv.getUint16(p, le);
    const type = tv.getUint16(p + 2, le);
    const count = big ? Number(tv.getBigUint64(p + 4, le)) : tv.getUint32(p + 4, le);
    const size = TYPE_SIZE[type];
    if (size === undefined) continue; // TIFF 6.0: readers skip fields of unknown type
    const bytes = count * size;
    if (bytes > MAX_VALUE_BYTES) throw err(entryOffset, `tag ${tag} values ≤ ${MAX_VALUE_BYTES} bytes (count ${count})`);
    const inline = bytes <= (big ? 8 : 4);
    let vb: Uint8Array;
    if (inline) {
      vb = tb.subarray(p + (big ? 12 : 8), p + (big ? 12 : 8) + bytes);
    } else {
      const at = big ? Number(tv.getBigUint64(p + 12, le)) : tv.getUint32(p + 8, le);
      if (at + bytes > src.size) throw err(entryOffset, `tag ${tag}: ${bytes} value bytes at ${at} inside the file (size ${src.size})`);
      vb = await src.read(at, bytes);
    }
    fields.set(tag, decodeField(tag, type, count, entryOffset, vb, le));
  }
  const nextPointerAt = off + countBytes + n * entryBytes;
  const nextOffset = big ? Number(tv.getBigUint64(n * entryBytes, le)) : tv.getUint32(n * entryBytes, le);
  if (nextOffset !== 0 && (nextOffset < 8 || nextOffset >= src.size)) throw err(nextPointerAt, `next IFD offset inside the file (got ${nextOffset})`);
  return { ifd: { index, offset: off, fields }, nextOffset, nextPointerAt };
}

function decodeField(tag: number, type: number, count: number, entryOffset: number, vb: Uint8Array, le: boolean): TiffField {
  const field: TiffField = { tag, type, count, entryOffset };
  if (type === 2) {
    field.text = decodeText(vb);
    return field;
  }
  if (type === 1 || type === 7) {
    field.bytes = new Uint8Array(vb);
    field.numbers = count <= 1 << 16 ? Array.from(vb) : undefined;
    return field;
  }
  const dv = new DataView(vb.buffer, vb.byteOffset, vb.byteLength);
  const nums = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    switch (type) {
      case 3: nums[i] = dv.getUint16(2 * i, le); break;
      case 4: case 13: nums[i] = dv.getUint32(4 * i, le); break;
      case 5: nums[i] = dv.getUint32(8 * i, le) / dv.getUint32(8 * i + 4, le); break;
      case 6: nums[i] = dv.getInt8(i); break;
      case 8: nums[i] = dv.getInt16(2 * i, le); break;
      case 9: nums[i] = dv.getInt32(4 * i, le); break;
      case 10: nums[i] = dv.getInt32(8 * i, le) / dv.getInt32(8 * i + 4, le); break;
      case 11: nums[i] = dv.getFloat32(4 * i, le); break;
      case 12: nums[i] = dv.getFloat64(8 * i, le); break;
      case 16: case 18: nums[i] = Number(dv.getBigUint64(8 * i, le)); break;
      case 17: nums[i] = Number(dv.getBigInt64(8 * i, le)); break;
    }
  }
  field.numbers = nums;
  return field;
}
