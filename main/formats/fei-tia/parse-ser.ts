/**
 * TIA .ser parser: series header, dimension array, data/tag offset arrays and the first data
 * element's header. Layout (all little-endian) after Boothroyd's "SER file format" notes and
 * FEI's TIA series-file description, checked against rosettasciio's reader and its test files:
 *   0 u16 ByteOrder 0x4949 · 2 u16 SeriesID 0x0197 · 4 u16 SeriesVersion (0x210 | 0x220)
 *   6 u32 DataTypeID (0x4120 1-D arrays, 0x4122 2-D arrays) · 10 u32 TagTypeID (0x4152 time,
 *   0x4142 time + x/y position) · 14 u32 TotalNumberElements · 18 u32 ValidNumberElements
 *   22 OffsetArrayOffset (u32, or u64 from version 0x220) · then u32 NumberDimensions and per
 *   dimension: u32 size, f64 calibration offset, f64 delta, u32 calibration element,
 *   u32 + chars description, u32 + chars units.
 * Elements are read lazily by the reader; here only element 0's header and tags 0/1 are read.
 */
import type { DType } from '../../api/dataset.js';
import type { FileSource } from '../file-source.js';
import { FormatError, checkedSize } from '../format-error.js';

/** checkedSize with this reader's id on the error. */
function bounded(value: number, file: string, offset: number, what: string, limit: number): number {
  try {
    return checkedSize(value, file, offset, what, limit);
  } catch (e) {
    if (e instanceof FormatError) throw new FormatError(e.file, e.offset, e.expected, TIA_ID);
    throw e;
  }
}
import { TIA_ID, isSerHead } from './spec.js';

export const DATA_1D = 0x4120;
export const DATA_2D = 0x4122;
export const TAG_TIME = 0x4152;
export const TAG_TIME_XY = 0x4142;
/** Element header bytes before the array: 1-D 8+8+4+2+4, 2-D 2×(8+8+4)+2+4+4. */
export const ELEMENT_HEADER_1D = 26;
export const ELEMENT_HEADER_2D = 50;
/** Upper bound on element/dimension counts from a header (ample for 4D-STEM series). */
const MAX_ELEMENTS = 1 << 26;

export const SER_DTYPES: Record<number, { dtype: DType; bytes: number; comp: number }> = {
  1: { dtype: 'uint8', bytes: 1, comp: 1 },
  2: { dtype: 'uint16', bytes: 2, comp: 1 },
  3: { dtype: 'uint32', bytes: 4, comp: 1 },
  4: { dtype: 'int8', bytes: 1, comp: 1 },
  5: { dtype: 'int16', bytes: 2, comp: 1 },
  6: { dtype: 'int32', bytes: 4, comp: 1 },
  7: { dtype: 'float32', bytes: 4, comp: 1 },
  8: { dtype: 'float64', bytes: 8, comp: 1 },
  9: { dtype: 'complex64', bytes: 8, comp: 2 },
  10: { dtype: 'complex128', bytes: 16, comp: 2 },
};

export interface SerDimension {
  size: number;
  calibrationOffset: number;
  calibrationDelta: number;
  calibrationElement: number;
  description: string;
  units: string;
}

export interface SerCalibration {
  offset: number;
  delta: number;
  element: number;
}

export interface SerElementGeometry {
  dataType: number;
  dtype: DType;
  elemBytes: number;
  /** 1-D: [length]; 2-D: [sizeY, sizeX] as stored (x fastest). */
  shape: number[];
  headerBytes: number;
  /** 1-D: [energy]; 2-D: [y, x]. */
  calibrations: SerCalibration[];
}

export interface SerTag {
  tagTypeId: number;
  /** Seconds since 1970-01-01 UTC (C time_t). */
  time: number;
  positionX?: number;
  positionY?: number;
}

export interface SerFile {
  seriesVersion: number;
  dataTypeId: number;
  tagTypeId: number;
  totalElements: number;
  validElements: number;
  offsetArrayOffset: number;
  dimensions: SerDimension[];
  dataOffsets: number[];
  tagOffsets: number[];
  geometry: SerElementGeometry;
  /** Tags of the first (up to) two elements: acquisition time and scan order. */
  firstTags: SerTag[];
}

function text(b: Uint8Array): string {
  let s = '';
  for (const c of b) s += String.fromCharCode(c);
  return s;
}

export async function parseSer(src: FileSource): Promise<SerFile> {
  const f = src.name;
  const err = (off: number, what: string): FormatError => new FormatError(f, off, what, TIA_ID);
  if (src.size < 30) throw err(src.size, `a TIA series header (30 bytes; file has ${src.size})`);
  const head = await src.read(0, Math.min(src.size, 34));
  if (!isSerHead(head)) throw err(0, 'TIA .ser magic: ByteOrder 0x4949, SeriesID 0x0197, SeriesVersion 0x0210/0x0220');
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const seriesVersion = dv.getUint16(4, true);
  const wide = seriesVersion >= 0x220;
  const dataTypeId = dv.getUint32(6, true);
  const tagTypeId = dv.getUint32(10, true);
  if (dataTypeId !== DATA_1D && dataTypeId !== DATA_2D) throw err(6, `DataTypeID 0x4120 or 0x4122 (got 0x${dataTypeId.toString(16)})`);
  if (tagTypeId !== TAG_TIME && tagTypeId !== TAG_TIME_XY) throw err(10, `TagTypeID 0x4152 or 0x4142 (got 0x${tagTypeId.toString(16)})`);
  const offBytes = wide ? 8 : 4;
  const totalElements = bounded(dv.getUint32(14, true), f, 14, 'TotalNumberElements', Math.min(MAX_ELEMENTS, Math.floor(src.size / (2 * offBytes))));
  const validElements = dv.getUint32(18, true);
  if (validElements > totalElements) throw err(18, `ValidNumberElements ≤ TotalNumberElements (${validElements} > ${totalElements})`);
  if (head.byteLength < (wide ? 34 : 30)) throw err(src.size, 'the dimension count after the offset-array offset');
  const offsetArrayOffset = wide ? Number(dv.getBigUint64(22, true)) : dv.getUint32(22, true);
  const nDimsAt = wide ? 30 : 26;
  const nDims = bounded(dv.getUint32(nDimsAt, true), f, nDimsAt, 'NumberDimensions', 8);

  // Dimension array: variable-length records, read through one bounded window.
  let pos = nDimsAt + 4;
  const dims: SerDimension[] = [];
  const win = await src.read(pos, Math.min(src.size - pos, 64 * 1024));
  const wv = new DataView(win.buffer, win.byteOffset, win.byteLength);
  const need = (p: number, n: number, what: string): void => {
    if (p + n > win.byteLength) throw err(pos + p, `${what} (${n} bytes) within the dimension array`);
  };
  let p = 0;
  for (let d = 0; d < nDims; d++) {
    need(p, 28, `dimension ${d + 1} record`);
    const size = wv.getUint32(p, true);
    const calibrationOffset = wv.getFloat64(p + 4, true);
    const calibrationDelta = wv.getFloat64(p + 12, true);
    const calibrationElement = wv.getInt32(p + 20, true);
    const dl = wv.getUint32(p + 24, true);
    need(p + 28, dl + 4, `dimension ${d + 1} description`);
    const description = text(win.subarray(p + 28, p + 28 + dl));
    const ulAt = p + 28 + dl;
    const ul = wv.getUint32(ulAt, true);
    need(ulAt + 4, ul, `dimension ${d + 1} units`);
    const units = text(win.subarray(ulAt + 4, ulAt + 4 + ul));
    if (size < 1 || size > MAX_ELEMENTS) throw err(pos + p, `dimension ${d + 1} size in 1…${MAX_ELEMENTS} (got ${size})`);
    dims.push({ size, calibrationOffset, calibrationDelta, calibrationElement, description, units });
    p = ulAt + 4 + ul;
  }
  pos += p;
  const product = dims.reduce((a, d) => a * d.size, 1);
  if (nDims > 0 && product !== totalElements) throw err(nDimsAt + 4, `dimension sizes multiplying to TotalNumberElements ${totalElements} (got ${product})`);

  // Offset arrays: data offsets then tag offsets, TotalNumberElements each.
  const arrBytes = 2 * totalElements * offBytes;
  if (offsetArrayOffset < pos || offsetArrayOffset + arrBytes > src.size) {
    throw err(22, `OffsetArrayOffset with ${arrBytes} bytes of offset arrays inside the file (got ${offsetArrayOffset}, file ${src.size})`);
  }
  const arr = await src.read(offsetArrayOffset, arrBytes);
  const av = new DataView(arr.buffer, arr.byteOffset, arr.byteLength);
  const getOff = (i: number): number => (wide ? Number(av.getBigUint64(i * 8, true)) : av.getUint32(i * 4, true));
  const dataOffsets: number[] = [];
  const tagOffsets: number[] = [];
  for (let i = 0; i < validElements; i++) {
    const d = getOff(i);
    const t = getOff(totalElements + i);
    if (d < 30 || d >= src.size) throw err(offsetArrayOffset + i * offBytes, `data offset of element ${i} inside the file (got ${d})`);
    if (t < 30 || t >= src.size) throw err(offsetArrayOffset + (totalElements + i) * offBytes, `tag offset of element ${i} inside the file (got ${t})`);
    dataOffsets.push(d);
    tagOffsets.push(t);
  }
  if (validElements === 0) throw err(18, 'at least one valid data element (ValidNumberElements is 0)');

  const geometry = await readElementHeader(src, dataTypeId, dataOffsets[0]!, 0);
  const firstTags: SerTag[] = [];
  for (let i = 0; i < Math.min(2, validElements); i++) firstTags.push(await readTag(src, tagTypeId, tagOffsets[i]!));
  return { seriesVersion, dataTypeId, tagTypeId, totalElements, validElements, offsetArrayOffset, dimensions: dims, dataOffsets, tagOffsets, geometry, firstTags };
}

/** Parse one data element header; the whole array must lie inside the file. */
export async function readElementHeader(src: FileSource, dataTypeId: number, off: number, index: number, head?: Uint8Array): Promise<SerElementGeometry> {
  const f = src.name;
  const hb = dataTypeId === DATA_1D ? ELEMENT_HEADER_1D : ELEMENT_HEADER_2D;
  if (off + hb > src.size) throw new FormatError(f, off, `element ${index} header (${hb} bytes) inside the file`, TIA_ID);
  const b = head ?? (await src.read(off, hb));
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let geometry: SerElementGeometry;
  const typeAt = dataTypeId === DATA_1D ? 20 : 40;
  const dataType = dv.getUint16(typeAt, true);
  const t = SER_DTYPES[dataType];
  if (!t) throw new FormatError(f, off + typeAt, `element ${index} DataType 1…10 (got ${dataType})`, TIA_ID);
  if (dataTypeId === DATA_1D) {
    const n = dv.getUint32(22, true);
    geometry = {
      dataType, dtype: t.dtype, elemBytes: t.bytes, shape: [n], headerBytes: hb,
      calibrations: [{ offset: dv.getFloat64(0, true), delta: dv.getFloat64(8, true), element: dv.getInt32(16, true) }],
    };
  } else {
    const nx = dv.getUint32(42, true);
    const ny = dv.getUint32(46, true);
    geometry = {
      dataType, dtype: t.dtype, elemBytes: t.bytes, shape: [ny, nx], headerBytes: hb,
      calibrations: [
        { offset: dv.getFloat64(20, true), delta: dv.getFloat64(28, true), element: dv.getInt32(36, true) },
        { offset: dv.getFloat64(0, true), delta: dv.getFloat64(8, true), element: dv.getInt32(16, true) },
      ],
    };
  }
  const count = geometry.shape.reduce((a, s) => a * s, 1);
  if (count < 1 || off + hb + count * t.bytes > src.size) {
    throw new FormatError(f, off + hb - (dataTypeId === DATA_1D ? 4 : 8), `element ${index} array of ${geometry.shape.join('×')} × ${t.bytes} bytes inside the file (size ${src.size})`, TIA_ID);
  }
  return geometry;
}

export async function readTag(src: FileSource, tagTypeId: number, off: number): Promise<SerTag> {
  const n = tagTypeId === TAG_TIME_XY ? 24 : 8;
  if (off + n > src.size) throw new FormatError(src.name, off, `a ${n}-byte element tag inside the file`, TIA_ID);
  const b = await src.read(off, n);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const id = dv.getUint16(0, true);
  if (id !== tagTypeId) throw new FormatError(src.name, off, `tag type 0x${tagTypeId.toString(16)} (got 0x${id.toString(16)})`, TIA_ID);
  const tag: SerTag = { tagTypeId: id, time: dv.getUint32(4, true) };
  if (n === 24) {
    tag.positionX = dv.getFloat64(8, true);
    tag.positionY = dv.getFloat64(16, true);
  }
  return tag;
}
