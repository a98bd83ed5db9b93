/**
 * Typed-array helpers shared by the mrc, tiff and fei-tia readers: selection checks, byte-order
 * aware decoding, half-float widening and box reads of C-ordered fixed-size elements.
 */
import type { DType, Selection } from '../api/dataset.js';
import type { FileSource } from './file-source.js';
import type { NumericArray } from './types.js';

/** Arrays these helpers hand back: the readers' NumericArray. */
export type Typed = NumericArray;

/** A typed-array constructor: by length, or as a view on a buffer. */
export type ArrayCtor<T> = { new (n: number): T; new (buffer: ArrayBuffer, byteOffset: number, length: number): T; readonly BYTES_PER_ELEMENT: number };
type Ctor = ArrayCtor<Typed>;

/** Output array type per dtype: constructor, bytes per component, components per element. */
export function repr(dtype: DType): { ctor: Ctor; bytes: number; comp: number } {
  switch (dtype) {
    case 'int8': return { ctor: Int8Array as unknown as Ctor, bytes: 1, comp: 1 };
    case 'uint8': case 'bool': return { ctor: Uint8Array as unknown as Ctor, bytes: 1, comp: 1 };
    case 'rgba8': return { ctor: Uint8Array as unknown as Ctor, bytes: 1, comp: 4 };
    case 'int16': return { ctor: Int16Array as unknown as Ctor, bytes: 2, comp: 1 };
    case 'uint16': return { ctor: Uint16Array as unknown as Ctor, bytes: 2, comp: 1 };
    case 'int32': return { ctor: Int32Array as unknown as Ctor, bytes: 4, comp: 1 };
    case 'uint32': return { ctor: Uint32Array as unknown as Ctor, bytes: 4, comp: 1 };
    case 'int64': return { ctor: BigInt64Array as unknown as Ctor, bytes: 8, comp: 1 };
    case 'uint64': return { ctor: BigUint64Array as unknown as Ctor, bytes: 8, comp: 1 };
    case 'float32': return { ctor: Float32Array as unknown as Ctor, bytes: 4, comp: 1 };
    case 'float64': return { ctor: Float64Array as unknown as Ctor, bytes: 8, comp: 1 };
    case 'complex64': return { ctor: Float32Array as unknown as Ctor, bytes: 4, comp: 2 };
    case 'complex128': return { ctor: Float64Array as unknown as Ctor, bytes: 8, comp: 2 };
  }
}

export const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Interpret bytes as components of `compBytes` each, swapping when file and host order differ.
 * Takes ownership of `bytes` only when it spans a whole ArrayBuffer; otherwise copies (alignment).
 */
export function toTyped(bytes: Uint8Array, ctor: Ctor, compBytes: number, fileLE: boolean): Typed {
  const owned = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
  let b = bytes;
  if (!owned || (fileLE !== HOST_LE && compBytes > 1)) b = new Uint8Array(bytes);
  if (fileLE !== HOST_LE && compBytes > 1) swapInPlace(b, compBytes);
  return new ctor(b.buffer as ArrayBuffer, b.byteOffset, b.byteLength / compBytes);
}

export function swapInPlace(b: Uint8Array, width: number): void {
  for (let i = 0; i + width <= b.length; i += width) {
    for (let lo = i, hi = i + width - 1; lo < hi; lo++, hi--) {
      const t = b[lo]!;
      b[lo] = b[hi]!;
      b[hi] = t;
    }
  }
}

/** IEEE 754 binary16 → binary32 (MRC2014 mode 12). Exact: every half is representable. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

export function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw signal.reason ?? new DOMException('Aborted', 'AbortError');
}

export interface CheckedSelection {
  start: number[];
  count: number[];
  step: number[];
}

/** Validate a selection against a shape; bad selections are caller bugs (RangeError). */
export function checkSelection(readerId: string, shape: readonly number[], sel: Selection): CheckedSelection {
  const nd = shape.length;
  const step = sel.step ?? new Array<number>(nd).fill(1);
  if (sel.start.length !== nd || sel.count.length !== nd || step.length !== nd) {
    throw new RangeError(`${readerId}: selection rank ${sel.start.length} does not match entry rank ${nd}`);
  }
  for (let i = 0; i < nd; i++) {
    const st = sel.start[i]!;
    const c = sel.count[i]!;
    const sp = step[i]!;
    if (!Number.isInteger(st) || !Number.isInteger(c) || !Number.isInteger(sp) || st < 0 || c < 0 || sp < 1 || (c > 0 && st + (c - 1) * sp >= shape[i]!)) {
      throw new RangeError(`${readerId}: selection axis ${i} (start ${st}, count ${c}, step ${sp}) outside size ${shape[i]}`);
    }
  }
  return { start: [...sel.start], count: [...sel.count], step };
}

/** The bounding box of a stepped selection: count along each axis covering first..last index. */
export function boxCount(sel: CheckedSelection): number[] {
  return sel.count.map((c, i) => (c - 1) * sel.step[i]! + 1);
}

/**
 * Read a box (start/count per axis) of fixed-size elements stored C-order at `base`.
 * One read when contiguous or when the runs lie close together, else one read per run.
 */
export async function readBox(
  src: FileSource,
  base: number,
  shape: readonly number[],
  start: readonly number[],
  count: readonly number[],
  elemBytes: number,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  const nd = shape.length;
  const strides = new Array<number>(nd);
  let s = 1;
  for (let i = nd - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  // Trailing axes read completely fold into one contiguous run.
  let k = nd - 1;
  while (k > 0 && start[k] === 0 && count[k] === shape[k]) k--;
  const runBytes = count[k]! * strides[k]! * elemBytes;
  let nRuns = 1;
  for (let i = 0; i < k; i++) nRuns *= count[i]!;
  const total = runBytes * nRuns;
  let first = 0;
  let last = 0;
  for (let i = 0; i < nd; i++) {
    first += start[i]! * strides[i]!;
    last += (start[i]! + count[i]! - 1) * strides[i]!;
  }
  const spanBytes = (last - first + 1) * elemBytes;
  if (nRuns === 1 || spanBytes === total) return src.read(base + first * elemBytes, total);
  const out = new Uint8Array(total);
  const idx = new Array<number>(k).fill(0);
  const runOffset = (): number => {
    let e = start[k]! * strides[k]!;
    for (let i = 0; i < k; i++) e += (start[i]! + idx[i]!) * strides[i]!;
    return e;
  };
  const next = (): void => {
    for (let i = k - 1; i >= 0; i--) {
      if (++idx[i]! < count[i]!) return;
      idx[i] = 0;
    }
  };
  if (spanBytes <= Math.max(4 * total, 8 << 20)) {
    const span = await src.read(base + first * elemBytes, spanBytes);
    for (let r = 0; r < nRuns; r++) {
      const off = (runOffset() - first) * elemBytes;
      out.set(span.subarray(off, off + runBytes), r * runBytes);
      next();
    }
    return out;
  }
  const BATCH = 64;
  for (let r = 0; r < nRuns; r += BATCH) {
    checkAbort(signal);
    const jobs: Promise<void>[] = [];
    for (let j = r; j < Math.min(nRuns, r + BATCH); j++) {
      const off = base + runOffset() * elemBytes;
      const dst = j * runBytes;
      jobs.push(src.read(off, runBytes).then((b) => out.set(b, dst)));
      next();
    }
    await Promise.all(jobs);
  }
  return out;
}

/**
 * Pick a stepped selection out of a dense C-order box (`box` holds boxShape elements of `comp`
 * components, the selection starting at the box origin). Returns the box itself when no step.
 */
export function applySteps(box: Typed, boxShape: readonly number[], count: readonly number[], step: readonly number[], comp: number): Typed {
  if (step.every((x) => x === 1)) return box;
  const nd = boxShape.length;
  const str = new Array<number>(nd);
  let s = comp;
  for (let i = nd - 1; i >= 0; i--) {
    str[i] = s;
    s *= boxShape[i]!;
  }
  let n = 1;
  for (const c of count) n *= c;
  const ctor = box.constructor as Ctor;
  const out = new ctor(n * comp);
  const idx = new Array<number>(nd).fill(0);
  for (let o = 0; o < n; o++) {
    let b = 0;
    for (let i = 0; i < nd; i++) b += idx[i]! * step[i]! * str[i]!;
    for (let c = 0; c < comp; c++) (out as Float64Array)[o * comp + c] = (box as Float64Array)[b + c]!;
    for (let i = nd - 1; i >= 0; i--) {
      if (++idx[i]! < count[i]!) break;
      idx[i] = 0;
    }
  }
  return out;
}

export function emptyOf(dtype: DType): NumericArray {
  const r = repr(dtype);
  return new r.ctor(0) as NumericArray;
}

const nodeBuffer = (globalThis as { Buffer?: { allocUnsafeSlow(n: number): Uint8Array } }).Buffer;

/**
 * A typed array of `n` elements that the caller will overwrite in full before anyone reads it.
 * Under Node its memory is not zero-filled first (Buffer.allocUnsafeSlow: its own ArrayBuffer at
 * offset 0, so any element alignment holds): for a large table that zero-fill is a second pass
 * over every output byte — 3–4 ms of the benchmark's 1M-row .mpr read. Elsewhere, a plain array.
 * Never hand the array out unless every element was written.
 */
export function allocForOverwrite<T>(Ctor: ArrayCtor<T>, n: number): T {
  const bytes = n * Ctor.BYTES_PER_ELEMENT;
  if (!nodeBuffer || bytes < 4096) return new Ctor(n);
  return new Ctor(nodeBuffer.allocUnsafeSlow(bytes).buffer as ArrayBuffer, 0, n);
}
