/**
 * Gatan DM3/DM4 reader: parse the tag tree lazily, map to DatasetEntry, read hyper-rectangles on demand.
 * Data reads fetch only the bytes of the requested box: one read when the box is (nearly)
 * contiguous, otherwise one read per contiguous run. Little-endian data on a little-endian host
 * becomes a typed-array view without copying.
 */
import type { DType, Selection } from '../../api/dataset.js';
import type { FileSource } from '../file-source.js';
import { checkAbort, readBox } from '../array-io.js';
import { FormatDeclined, FormatError } from '../format-error.js';
import type { NumericArray, OpenedFile, Reader } from '../types.js';
import { mapDataset, type DmLayout } from './map-dataset.js';
import { parseDmHeader, parseDmTags, READER_ID } from './parse-tags.js';
import { GATAN_DM_EXTENSIONS, GATAN_DM_ID, GATAN_DM_NAME, GATAN_DM_VERSION, sniffGatanDm } from './spec.js';

type Ctor =
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor;

type Typed = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array;

/** Output representation per dtype: array type, bytes per component, components per element. */
function repr(dtype: DType): { ctor: Ctor; bytes: number; comp: number } {
  switch (dtype) {
    case 'int8': return { ctor: Int8Array, bytes: 1, comp: 1 };
    case 'uint8': case 'bool': return { ctor: Uint8Array, bytes: 1, comp: 1 };
    case 'rgba8': return { ctor: Uint8Array, bytes: 1, comp: 4 };
    case 'int16': return { ctor: Int16Array, bytes: 2, comp: 1 };
    case 'uint16': return { ctor: Uint16Array, bytes: 2, comp: 1 };
    case 'int32': return { ctor: Int32Array, bytes: 4, comp: 1 };
    case 'uint32': return { ctor: Uint32Array, bytes: 4, comp: 1 };
    case 'float32': return { ctor: Float32Array, bytes: 4, comp: 1 };
    case 'float64': return { ctor: Float64Array, bytes: 8, comp: 1 };
    case 'complex64': return { ctor: Float32Array, bytes: 4, comp: 2 };
    case 'complex128': return { ctor: Float64Array, bytes: 8, comp: 2 };
    default:
      throw new Error(`gatan-dm: no representation for dtype ${dtype}`);
  }
}

const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Interpret bytes as components, swapping byte order when file and host differ. */
function toTyped(bytes: Uint8Array, ctor: Ctor, compBytes: number, fileLE: boolean): Typed {
  const owned = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
  let b = bytes;
  if (!owned || fileLE !== HOST_LE) b = new Uint8Array(bytes); // own, aligned copy
  if (fileLE !== HOST_LE && compBytes > 1) {
    for (let i = 0; i < b.length; i += compBytes) {
      for (let lo = i, hi = i + compBytes - 1; lo < hi; lo++, hi--) {
        const t = b[lo]!;
        b[lo] = b[hi]!;
        b[hi] = t;
      }
    }
  }
  return new ctor(b.buffer as ArrayBuffer, b.byteOffset, b.byteLength / compBytes);
}


/**
 * Unpack DM's half-plane FFT rows (types 27/28): each stored row holds floor(nx/2)+1 complex
 * values; the full row is the stored row reversed followed by the conjugates of stored values
 * 1..nx-H (Hermitian symmetry). Same arrangement as rosettasciio's reader for even nx; odd nx
 * takes one more conjugate so the row has its full nx length.
 */
function unpackHalfRows(packed: Typed, rows: number, nx: number): Typed {
  const h = Math.floor(nx / 2) + 1;
  const ctor = packed.constructor as Ctor;
  const out = new ctor(rows * nx * 2);
  for (let r = 0; r < rows; r++) {
    const pi = r * h * 2;
    const po = r * nx * 2;
    for (let j = 0; j < h; j++) {
      out[po + 2 * j] = packed[pi + 2 * (h - 1 - j)]!;
      out[po + 2 * j + 1] = packed[pi + 2 * (h - 1 - j) + 1]!;
    }
    for (let j = h; j < nx; j++) {
      const src = j - h + 1;
      out[po + 2 * j] = packed[pi + 2 * src]!;
      out[po + 2 * j + 1] = -packed[pi + 2 * src + 1]!;
    }
  }
  return out;
}

/**
 * Old DM packed complex (type 5, 2N×2N real FFT in N·2N·2 floats), laid out as rosettasciio
 * documents it: reals of the four self-conjugate points, then the non-redundant half; the rest
 * follows from A[i][j] = conj(A[2N−i][2N−j]).
 */
function unpackOldPacked(t: Float32Array, size: number): Float32Array {
  const N = size / 2;
  const W = size;
  const out = new Float32Array(W * W * 2);
  const set = (i: number, j: number, re: number, im: number): void => {
    out[2 * (i * W + j)] = re;
    out[2 * (i * W + j) + 1] = im;
  };
  const re = (i: number, j: number): number => out[2 * (i * W + j)]!;
  const im = (i: number, j: number): number => out[2 * (i * W + j) + 1]!;
  set(N, 0, t[0]!, 0);
  set(0, 0, t[1]!, 0);
  set(N, N, t[2 * N * N]!, 0);
  set(0, N, t[2 * N * N + 1]!, 0);
  // Rows 0..N-1, columns N+1..2N-1.
  for (let i = 0; i < N; i++) {
    const s = 2 * i * N + 2;
    for (let c = 0; c < N - 1; c++) set(i, N + 1 + c, t[s + 2 * c]!, t[s + 2 * c + 1]!);
  }
  // Column 0, rows N+1..2N-1.
  for (let r = 0; r < N - 1; r++) {
    const s = 2 * N + r * 2 * N;
    set(N + 1 + r, 0, t[s]!, t[s + 1]!);
  }
  // Row N, columns N+1..2N-1.
  const s3 = 2 * N * N + 2;
  for (let c = 0; c < N - 1; c++) set(N, N + 1 + c, t[s3 + 2 * c]!, t[s3 + 2 * c + 1]!);
  // Rows N+1..2N-1, columns N..2N-1.
  const s4 = s3 + 2 * (N - 1);
  for (let r = 0; r < N - 1; r++) {
    for (let c = 0; c < N; c++) {
      const o = s4 + 2 * (r * N + c);
      set(N + 1 + r, N + c, t[o]!, t[o + 1]!);
    }
  }
  // Hermitian fill of the remaining points.
  for (let j = 1; j < N; j++) set(0, j, re(0, W - j), -im(0, W - j));
  for (let j = 1; j < N; j++) set(N, j, re(N, W - j), -im(N, W - j));
  for (let i = 1; i < N; i++) set(i, 0, re(W - i, 0), -im(W - i, 0));
  for (let i = 1; i < N; i++) set(i, N, re(W - i, N), -im(W - i, N));
  for (let i = 1; i < N; i++) for (let j = 1; j < N; j++) set(i, j, re(W - i, W - j), -im(W - i, W - j));
  for (let i = N + 1; i < W; i++) for (let j = 1; j < N; j++) set(i, j, re(W - i, W - j), -im(W - i, W - j));
  return out;
}

/**
 * Copy the selection out of a box held in storage order (boxShape per storage axis, `comp`
 * components per element) into public axis order, applying steps. `origin` is where the
 * selection starts inside the box, per storage axis.
 */
function gather(
  box: Typed,
  boxShape: number[],
  origin: number[],
  comp: number,
  axisMap: number[],
  count: number[],
  step: number[],
): Typed {
  const nd = axisMap.length;
  const bstr = new Array<number>(boxShape.length);
  let s = comp;
  for (let i = boxShape.length - 1; i >= 0; i--) {
    bstr[i] = s;
    s *= boxShape[i]!;
  }
  let base = 0;
  for (let i = 0; i < boxShape.length; i++) base += origin[i]! * bstr[i]!;
  const lstr = axisMap.map((a, i) => bstr[a]! * step[i]!);
  let n = 1;
  for (const c of count) n *= c;
  const ctor = box.constructor as Ctor;
  const out = new ctor(n * comp);
  const idx = new Array<number>(nd).fill(0);
  const last = nd - 1;
  const cl = count[last]!;
  const sl = lstr[last]!;
  let o = 0;
  for (let row = 0; row < n / cl; row++) {
    let b = base;
    for (let i = 0; i < last; i++) b += idx[i]! * lstr[i]!;
    if (comp === 1) {
      for (let j = 0; j < cl; j++, b += sl) out[o++] = box[b]!;
    } else {
      for (let j = 0; j < cl; j++, b += sl) for (let c = 0; c < comp; c++) out[o++] = box[b + c]!;
    }
    for (let i = last - 1; i >= 0; i--) {
      if (++idx[i]! < count[i]!) break;
      idx[i] = 0;
    }
  }
  return out;
}

class DmOpenedFile implements OpenedFile {
  readonly readerId = READER_ID;
  constructor(
    private readonly src: FileSource,
    readonly entries: import('../../api/dataset.js').DatasetEntry[],
    private readonly layouts: Map<string, DmLayout>,
  ) {}

  async readSlice(entryId: string, selection: Selection, signal?: AbortSignal): Promise<NumericArray> {
    checkAbort(signal);
    const layout = this.layouts.get(entryId);
    const entry = this.entries.find((e) => e.entry === entryId);
    if (!layout || !entry) throw new RangeError(`gatan-dm: no entry '${entryId}' in ${this.src.name}`);
    const nd = entry.shape.length;
    const { start, count } = selection;
    const step = selection.step ?? new Array<number>(nd).fill(1);
    if (start.length !== nd || count.length !== nd || step.length !== nd) {
      throw new RangeError(`gatan-dm: selection rank ${start.length} does not match entry rank ${nd}`);
    }
    for (let i = 0; i < nd; i++) {
      const st = start[i]!;
      const c = count[i]!;
      const sp = step[i]!;
      if (!Number.isInteger(st) || !Number.isInteger(c) || !Number.isInteger(sp) || st < 0 || c < 0 || sp < 1 || (c > 0 && st + (c - 1) * sp >= entry.shape[i]!)) {
        throw new RangeError(`gatan-dm: selection axis ${i} (start ${st}, count ${c}, step ${sp}) outside size ${entry.shape[i]}`);
      }
    }
    const r = repr(layout.dtype);
    if (count.some((c) => c === 0)) return new r.ctor(0);

    // The storage box: every storage axis, bounding the selection on mapped axes.
    const sshape = layout.storageShape;
    const bStart = new Array<number>(sshape.length).fill(0);
    const bCount = new Array<number>(sshape.length).fill(1);
    layout.axisMap.forEach((s, i) => {
      bStart[s] = start[i]!;
      bCount[s] = (count[i]! - 1) * step[i]! + 1;
    });

    let out: Typed;
    const zero = new Array<number>(sshape.length).fill(0);
    if (layout.packing === 'none') {
      const bytes = await readBox(this.src, layout.data.offset, sshape, bStart, bCount, r.bytes * r.comp, signal);
      const box = toTyped(bytes, r.ctor, r.bytes, layout.littleEndian);
      const identity = layout.axisMap.every((a, i) => i === 0 || a > layout.axisMap[i - 1]!) && step.every((x) => x === 1);
      out = identity ? box : gather(box, bCount, zero, r.comp, layout.axisMap, count, step);
    } else if (layout.packing === 'fft-half') {
      // Read whole packed rows for the selected leading indices, unpack, then pick columns.
      const last = sshape.length - 1;
      const nx = sshape[last]!;
      const h = Math.floor(nx / 2) + 1;
      const pShape = [...sshape.slice(0, last), h];
      const pStart = [...bStart.slice(0, last), 0];
      const pCount = [...bCount.slice(0, last), h];
      const bytes = await readBox(this.src, layout.data.offset, pShape, pStart, pCount, r.bytes * 2, signal);
      const packed = toTyped(bytes, r.ctor, r.bytes, layout.littleEndian);
      const rows = unpackHalfRows(packed, packed.length / (2 * h), nx);
      const boxShape = [...bCount.slice(0, last), nx];
      const origin = [...zero.slice(0, last), bStart[last]!];
      out = gather(rows, boxShape, origin, 2, layout.axisMap, count, step);
    } else {
      const n = sshape[0]!;
      const bytes = await this.src.read(layout.data.offset, n * n * 4);
      const floats = toTyped(bytes, Float32Array, 4, layout.littleEndian) as Float32Array;
      out = gather(unpackOldPacked(floats, n), sshape, bStart, 2, layout.axisMap, count, step);
    }
    checkAbort(signal);
    if (layout.dtype === 'rgba8') swizzleRgba(out as Uint8Array, layout.littleEndian);
    if (layout.dtype === 'bool') for (let i = 0; i < out.length; i++) out[i] = out[i] ? 1 : 0;
    return out as NumericArray;
  }

  async close(): Promise<void> {
    await this.src.close();
  }
}

/** DM RGB(A) elements are a 32-bit 0xAARRGGBB word: B,G,R,A in little-endian files. Output R,G,B,A. */
function swizzleRgba(b: Uint8Array, fileLE: boolean): void {
  for (let i = 0; i + 3 < b.length; i += 4) {
    if (fileLE) {
      const t = b[i]!;
      b[i] = b[i + 2]!;
      b[i + 2] = t;
    } else {
      const a = b[i]!;
      b[i] = b[i + 1]!;
      b[i + 1] = b[i + 2]!;
      b[i + 2] = b[i + 3]!;
      b[i + 3] = a;
    }
  }
}

export const gatanDmReader: Reader = {
  id: GATAN_DM_ID,
  name: GATAN_DM_NAME,
  version: GATAN_DM_VERSION,
  extensions: GATAN_DM_EXTENSIONS,
  sniff: sniffGatanDm,
  async open(source: FileSource): Promise<OpenedFile> {
    // A wrong version number means "not a DM file": decline so the registry tries another reader.
    const head = await source.read(0, Math.min(16, source.size));
    if (head.byteLength < 4 || ![3, 4].includes(new DataView(head.buffer, head.byteOffset, head.byteLength).getInt32(0, false))) {
      throw new FormatDeclined(GATAN_DM_ID, 'first 4 bytes are not DM version 3 or 4');
    }
    await parseDmHeader(source);
    const tags = await parseDmTags(source);
    const { entries, layouts } = mapDataset(tags, source.name);
    return new DmOpenedFile(source, entries, layouts);
  },
};

export { FormatError };
