/**
 * HDF5 access for the EMD readers (velox-emd and berkeley-emd share it): h5wasm behind a guard
 * that turns every library failure into a FormatError, dtype mapping, selection checks and
 * hyperslab reads. No HDF5 parsing of our own — h5wasm (the HDF5 C library compiled to wasm) does
 * it; this layer only decides what to ask for and checks it first.
 *
 * Why each piece exists:
 * - h5wasm opens files by path. A FileSource without `path` (MemorySource: uploads, fuzz tests)
 *   is written to a private temp directory first and removed on close.
 * - HDF5 reports errors by printing its error stack to stderr and returning a failure code, which
 *   h5wasm often ignores (a failed read returns its buffer as it was). While our calls run, that
 *   stderr text is captured (hookStderr): any error report turns the call into a FormatError with
 *   HDF5's own reason. h5wasm's "throwing" error handler is not used: it throws a JS exception
 *   from inside HDF5's error callback, unwinding HDF5 and h5wasm C++ frames without their cleanup
 *   (ids and files left open, a tmpfile stream leaked per error); after a few thousand bad files
 *   the wasm heap was corrupt and every later h5wasm call in the process aborted. All h5wasm calls
 *   are synchronous, so nothing interleaves with the capture, and other h5wasm users in the
 *   process (project/derived-hdf5.ts) are untouched.
 * - h5wasm clamps out-of-range hyperslabs silently and allocates the read buffer from the
 *   selection size: selections are checked against the dataset shape and MAX_ALLOCATION_BYTES
 *   before any read.
 * - h5wasm reads with the file's datatype, so big-endian data arrives byte-swapped: it is swapped
 *   back here.
 * - HDF5 walks a global heap collection (where variable-length strings live) object by object,
 *   stepping by each object's stored size. In wasm32 size_t is 32 bits: a damaged size of 0, or
 *   one that wraps the pointer (0xfffffff0 + header = 2^32), makes that walk spin forever inside
 *   one synchronous call — no timeout can end it. So while our calls run, every block HDF5 reads
 *   that starts with a collection ("GCOL") is checked first (globalHeapDefect) and refused with an
 *   I/O error when its objects do not tile it; HDF5 then fails cleanly and the reason is reported.
 */
import type { Dataset, File as H5File, Group } from 'h5wasm/node';

type H5Lib = (typeof import('h5wasm/node'))['default'];
/**
 * h5wasm is loaded on first use, not at import: every worker imports the reader registry, and
 * most never open an HDF5 file (under tsx, importing h5wasm's multi-megabyte module also costs
 * ~600 MiB of transient memory).
 */
let h5wasm: H5Lib;
import { mkdtemp, open as openFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DType, Selection } from '../../api/dataset.js';
import { DTYPE_BYTES } from '../../api/dataset.js';
import type { FileSource } from '../file-source.js';
import { FormatError, MAX_ALLOCATION_BYTES } from '../format-error.js';
import type { NumericArray } from '../types.js';
import { checkSelection as checkBox } from '../array-io.js';

/** HDF5 format signature (HDF5 File Format Specification v3, "Format Signature"). */
export const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a] as const;

/**
 * The superblock may sit at 0, 512, 1024, 2048… (a user block precedes it). Only offsets inside
 * `head` can be checked; the sniff window is 4 KiB.
 */
export function findHdf5Signature(head: Uint8Array): number {
  for (let off = 0; off + HDF5_MAGIC.length <= head.byteLength; off = off === 0 ? 512 : off * 2) {
    if (HDF5_MAGIC.every((b, i) => head[off + i] === b)) return off;
  }
  return -1;
}

interface EmscriptenStream {
  path?: string;
}

/** The Emscripten FS object h5wasm's HDF5 build reads files through (NODERAWFS). */
interface EmscriptenFs {
  read(stream: EmscriptenStream, buffer: ArrayBufferView, offset: number, length: number, position?: number): number;
  write(stream: EmscriptenStream, buffer: ArrayBufferView, offset: number, length: number, position?: number, canOwn?: boolean): number;
  ErrnoError: new (errno: number) => Error;
}

interface H5Module {
  FS?: EmscriptenFs;
  _malloc?: (n: number) => number;
  HEAPU8?: Uint8Array;
}

let modulePromise: Promise<H5Module> | undefined;
function h5module(): Promise<H5Module> {
  modulePromise ??= import('h5wasm/node').then(async (lib) => {
    h5wasm = lib.default;
    const mod = (await h5wasm.ready) as unknown as H5Module;
    hookReads(mod);
    hookStderr(mod);
    hookMalloc(mod);
    return mod;
  });
  return modulePromise;
}

/**
 * h5wasm reads variable-length data into a malloc'd buffer and, in a `finally`, asks HDF5 to
 * free the strings that buffer points at — also when the read failed and the buffer still holds
 * whatever the allocator left there. Freeing those stale pointers corrupts the wasm heap (abort,
 * "memory access out of bounds", and every later h5wasm call in the process at risk). While our
 * calls run, buffers h5wasm allocates are zeroed, so an unfilled entry is a NULL HDF5 skips.
 */
function hookMalloc(mod: H5Module): void {
  const malloc = mod._malloc;
  if (!malloc || (malloc as { interphaseHooked?: boolean }).interphaseHooked) return;
  const hooked = (n: number): number => {
    const ptr = malloc(n);
    if (readGuard && ptr && n > 0) mod.HEAPU8?.fill(0, ptr, ptr + n);
    return ptr;
  };
  (hooked as { interphaseHooked?: boolean }).interphaseHooked = true;
  mod._malloc = hooked;
}

/** Emscripten's errno for EIO. */
const EIO = 29;

/**
 * Set while one of our guarded calls runs: the HDF5 "size of lengths" of that file (from its
 * superblock), the first defect the read hook refused (reported instead of HDF5's vague "file
 * read failed"), and the error report HDF5 printed.
 */
let readGuard: { lengthSize: number; defect: string | null; diag: string } | null = null;

/**
 * HDF5 reports an error by printing its error stack to stderr (the default automatic handler)
 * and returning a failure code. While our calls run, that text is captured instead of printed:
 * it is how a failure is noticed, and its innermost frame says why.
 */
function hookStderr(mod: H5Module): void {
  const fs = mod.FS;
  if (!fs || (fs.write as { interphaseHooked?: boolean }).interphaseHooked) return;
  const write = fs.write;
  const decoder = new TextDecoder();
  const hooked = function (this: unknown, stream: EmscriptenStream, buffer: ArrayBufferView, offset: number, length: number, position?: number, canOwn?: boolean): number {
    const g = readGuard;
    if (g && stream.path === '/dev/stderr') {
      if (g.diag.length < 1 << 16) g.diag += decoder.decode(new Uint8Array(buffer.buffer, buffer.byteOffset + offset, length));
      return length;
    }
    return write.call(this, stream, buffer, offset, length, position, canOwn);
  };
  (hooked as { interphaseHooked?: boolean }).interphaseHooked = true;
  fs.write = hooked;
}

function hookReads(mod: H5Module): void {
  const fs = mod.FS;
  if (!fs || (fs.read as { interphaseHooked?: boolean }).interphaseHooked) return;
  const read = fs.read;
  const hooked = function (this: unknown, stream: EmscriptenStream, buffer: ArrayBufferView, offset: number, length: number, position?: number): number {
    const n = read.call(this, stream, buffer, offset, length, position);
    const g = readGuard;
    if (!g || !(n >= 4)) return n;
    // The wasm heap arrives as HEAP8 (signed): look at the bytes read as unsigned.
    const block = new Uint8Array(buffer.buffer, buffer.byteOffset + offset, n);
    if (block[0] === 0x47 && block[1] === 0x43 && block[2] === 0x4f && block[3] === 0x4c) {
      const defect = globalHeapDefect(block, g.lengthSize);
      if (defect) {
        g.defect ??= `${defect} (global heap collection at byte ${position ?? '?'})`;
        throw new fs.ErrnoError(EIO);
      }
    }
    return n;
  };
  (hooked as { interphaseHooked?: boolean }).interphaseHooked = true;
  fs.read = hooked;
}

/**
 * Check one global heap collection (HDF5 File Format Specification, "Global Heap": "GCOL",
 * version, 3 reserved bytes, collection size; then objects of index (2), reference count (2),
 * reserved (4), size (L) and data padded to 8 bytes; a last object 0 is the free space, its
 * size including its header). Returns what is wrong when the objects do not tile the collection
 * — exactly the layouts HDF5's own walk cannot leave — or null when they do, or when `block`
 * holds only the first part of the collection (HDF5 reads it whole before walking it).
 */
export function globalHeapDefect(block: Uint8Array, lengthSize: number): string | null {
  const L = lengthSize;
  const align8 = (x: number): number => Math.ceil(x / 8) * 8;
  const headerBytes = align8(8 + L);
  if (block.length < headerBytes || block[4] !== 1) return null;
  const len = (at: number): number => {
    let v = 0;
    for (let i = L - 1; i >= 0; i--) v = v * 256 + block[at + i]!;
    return v;
  };
  const size = len(8);
  if (size > block.length) return null;
  if (size < headerBytes) return `a global heap collection of at least ${headerBytes} bytes (got ${size})`;
  const objHeader = 8 + L;
  for (let p = headerBytes; p < size; ) {
    if (p + objHeader > size) break; // the tail too small for an object header is free space
    const index = block[p]! | (block[p + 1]! << 8);
    const objSize = len(p + 8);
    const need = index > 0 ? objHeader + align8(objSize) : objSize;
    if (!(need > 0) || need > size - p) {
      return `global heap object ${index} of ${objSize} bytes at byte ${p} of a ${size}-byte collection: objects that fit the collection`;
    }
    p += need;
  }
  return null;
}

/** HDF5 "size of lengths" from the superblock at `sig` (format spec: versions 0/1 byte 14, 2/3 byte 10). */
function superblockLengthSize(head: Uint8Array, sig: number): number {
  const version = head[sig + 8];
  const v = version === 0 || version === 1 ? head[sig + 14] : version === 2 || version === 3 ? head[sig + 10] : undefined;
  return v === 2 || v === 4 || v === 8 || v === 16 || v === 32 ? v : 8;
}

/** HDF5's error stack as one line: the innermost frame's message says what actually failed. */
export function conciseHdf5Message(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  const frames = [...text.matchAll(/#\d+:.*?\(\):\s*(.+)/g)].map((m) => m[1]!.trim());
  const msg = frames.length ? frames[frames.length - 1]! : text.split('\n')[0]!.trim();
  return msg.length > 240 ? `${msg.slice(0, 240)}…` : msg;
}

/** Attributes are small (names, units, scalars); anything larger is not read. */
const MAX_ATTRIBUTE_ELEMENTS = 1 << 16;
const MAX_ATTRIBUTE_BYTES = 1 << 20;

export type H5Entity = ReturnType<Group['get']>;

export function isGroup(e: H5Entity): e is Group {
  return e instanceof h5wasm.Group;
}

export function isDataset(e: H5Entity): e is Dataset {
  return e instanceof h5wasm.Dataset;
}

/** One open HDF5 file. Every h5wasm call goes through `call`. */
export class Hdf5Handle {
  private closed = false;
  private constructor(
    readonly file: H5File,
    readonly source: FileSource,
    readonly readerId: string,
    private readonly tempDir: string | null,
    private readonly lengthSize: number,
  ) {}

  static async open(source: FileSource, readerId: string): Promise<Hdf5Handle> {
    await h5module();
    const head = await source.read(0, Math.min(4096, source.size));
    const sig = findHdf5Signature(head);
    const lengthSize = sig < 0 ? 8 : superblockLengthSize(head, sig);
    let path = source.path;
    let tempDir: string | null = null;
    if (!path) {
      tempDir = await mkdtemp(join(tmpdir(), 'interphase-h5-'));
      path = join(tempDir, 'source.h5');
      await copySourceTo(source, path);
    }
    try {
      const file = guarded(source.name, readerId, lengthSize, 'an HDF5 file HDF5 can open', () => new h5wasm.File(path, 'r'));
      return new Hdf5Handle(file, source, readerId, tempDir, lengthSize);
    } catch (e) {
      if (tempDir) await rm(tempDir, { recursive: true, force: true });
      throw e;
    }
  }

  /** Run h5wasm code; any throw becomes FormatError(file, null, expected + HDF5's reason). */
  call<T>(expected: string, fn: () => T): T {
    if (this.closed) throw new FormatError(this.source.name, null, `${expected} (file already closed)`, this.readerId);
    return guarded(this.source.name, this.readerId, this.lengthSize, expected, fn);
  }

  fail(expected: string): FormatError {
    return new FormatError(this.source.name, null, expected, this.readerId);
  }

  get(path: string): H5Entity {
    return this.call(`a readable object at ${path}`, () => this.file.get(path));
  }

  group(path: string): Group | null {
    const g = this.get(path);
    return g instanceof h5wasm.Group ? g : null;
  }

  dataset(path: string): Dataset | null {
    const d = this.get(path);
    return d instanceof h5wasm.Dataset ? d : null;
  }

  /** Child names, sorted bytewise (HDF5's name-index order, which h5py also uses). */
  keys(g: Group): string[] {
    return this.call(`the member list of ${g.path}`, () => g.keys()).slice().sort(byteOrder);
  }

  /**
   * Attribute values of an object. Each attribute's declared size is checked before its value is
   * read: a corrupted attribute header can declare billions of elements, and h5wasm would try to
   * materialise them. Oversized attributes are left out (metadata only; no reader needs them).
   */
  attrs(obj: { attrs: Record<string, { json_value: unknown; metadata: { total_size: number; size: number; vlen?: boolean } }>; path: string }): Record<string, unknown> {
    return this.call(`the attributes of ${obj.path}`, () => {
      const out: Record<string, unknown> = {};
      for (const [k, a] of Object.entries(obj.attrs)) {
        const m = a.metadata;
        const n = Number(m.total_size);
        if (!Number.isFinite(n) || n < 0 || n > MAX_ATTRIBUTE_ELEMENTS || n * m.size > MAX_ATTRIBUTE_BYTES) continue;
        out[k] = a.json_value;
      }
      return out;
    });
  }

  /** Release the HDF5 file and any temp copy; the FileSource stays open (decline, failed open). */
  async release(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      guarded(this.source.name, this.readerId, this.lengthSize, 'closing the HDF5 file', () => this.file.close());
    } finally {
      if (this.tempDir) await rm(this.tempDir, { recursive: true, force: true });
    }
  }

  /** Release the HDF5 file and close the source (an OpenedFile's close, as gatan-dm does). */
  async close(): Promise<void> {
    try {
      await this.release();
    } finally {
      await this.source.close();
    }
  }
}

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function guarded<T>(file: string, readerId: string, lengthSize: number, expected: string, fn: () => T): T {
  const outer = readGuard;
  const guard = { lengthSize, defect: null as string | null, diag: '' };
  readGuard = guard;
  let result: T;
  try {
    result = fn();
  } catch (e) {
    if (e instanceof FormatError) throw e;
    throw failure(file, readerId, expected, guard, e);
  } finally {
    readGuard = outer;
  }
  // h5wasm goes on after a failed HDF5 call (a read that failed leaves its buffer as it was):
  // whatever it returned is not data.
  if (guard.defect || /HDF5-DIAG: Error detected/.test(guard.diag)) throw failure(file, readerId, expected, guard, null);
  return result;
}

function failure(file: string, readerId: string, expected: string, guard: { defect: string | null; diag: string }, e: unknown): FormatError {
  if (guard.defect) return new FormatError(file, null, `${expected}: ${guard.defect}`, readerId);
  const reason = guard.diag ? conciseHdf5Message(guard.diag) : conciseHdf5Message(e);
  return new FormatError(file, null, `${expected} (HDF5: ${reason})`, readerId);
}

async function copySourceTo(source: FileSource, path: string): Promise<void> {
  const CHUNK = 16 << 20;
  const out = await openFile(path, 'w');
  try {
    for (let off = 0; off < source.size; off += CHUNK) {
      const bytes = await source.read(off, Math.min(CHUNK, source.size - off));
      await out.write(bytes, 0, bytes.byteLength, off);
    }
  } finally {
    await out.close();
  }
}

/** How a stored HDF5 element maps onto the Dataset model. */
export interface H5TypeInfo {
  dtype: DType;
  littleEndian: boolean;
  /** Compound (re, im) members, for complex data. */
  complex: boolean;
}

/**
 * Map an h5wasm datatype description to a DType, or null when the model has no such type
 * (strings, references, variable-length…). Type classes: HDF5 H5T_class_t (0 integer, 1 float,
 * 6 compound, 8 enum). h5py writes bool as an int8 enum {FALSE, TRUE}; complex as a compound of
 * two floats (names vary: r/i, real/imag, Velox's realFloat/imagFloat and *Half{Even,Odd}).
 */
export function h5TypeInfo(meta: {
  type: number;
  size: number;
  signed: boolean;
  littleEndian: boolean;
  vlen?: boolean;
  compound_type?: { members: { type: number; size: number; offset: number }[] };
  enum_type?: { members: Record<string, number> };
}): H5TypeInfo | null {
  const le = meta.littleEndian !== false;
  if (meta.vlen) return null;
  if (meta.type === 0) {
    const map: Record<number, [DType, DType]> = { 1: ['uint8', 'int8'], 2: ['uint16', 'int16'], 4: ['uint32', 'int32'], 8: ['uint64', 'int64'] };
    const pair = map[meta.size];
    return pair ? { dtype: meta.signed ? pair[1] : pair[0], littleEndian: le, complex: false } : null;
  }
  if (meta.type === 1) {
    if (meta.size === 4) return { dtype: 'float32', littleEndian: le, complex: false };
    if (meta.size === 8) return { dtype: 'float64', littleEndian: le, complex: false };
    return null;
  }
  if (meta.type === 8 && meta.size === 1 && meta.enum_type) {
    const names = Object.keys(meta.enum_type.members).map((n) => n.toUpperCase()).sort();
    if (names.length === 2 && names[0] === 'FALSE' && names[1] === 'TRUE') return { dtype: 'bool', littleEndian: true, complex: false };
    return null;
  }
  if (meta.type === 6 && meta.compound_type) {
    const m = meta.compound_type.members;
    if (m.length === 2 && m.every((x) => x.type === 1 && x.size === m[0]!.size) && m[0]!.offset === 0 && m[1]!.offset === m[0]!.size) {
      if (m[0]!.size === 4) return { dtype: 'complex64', littleEndian: le, complex: true };
      if (m[0]!.size === 8) return { dtype: 'complex128', littleEndian: le, complex: true };
    }
  }
  return null;
}

/** Elements of one component per dtype element (complex → 2). */
export function components(dtype: DType): number {
  return dtype === 'complex64' || dtype === 'complex128' ? 2 : dtype === 'rgba8' ? 4 : 1;
}

/**
 * Check a selection against a shape (RangeError for caller mistakes, as gatan-dm does) and the
 * allocation bound; returns the per-axis step array.
 */
export function checkSelection(readerId: string, shape: readonly number[], sel: Selection, elemBytes: number): number[] {
  const checked = checkBox(readerId, shape, sel);
  const n = checked.count.reduce((a, c) => a * c, 1);
  if (n * elemBytes > MAX_ALLOCATION_BYTES) {
    throw new RangeError(`${readerId}: selection of ${n} elements exceeds ${MAX_ALLOCATION_BYTES} bytes; read it in parts`);
  }
  return checked.step;
}

export function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw signal.reason ?? new DOMException('Aborted', 'AbortError');
}

type TypedCtor = new (n: number) => NumericArray;

export function arrayCtor(dtype: DType): TypedCtor {
  switch (dtype) {
    case 'int8': return Int8Array;
    case 'uint8': case 'bool': case 'rgba8': return Uint8Array;
    case 'int16': return Int16Array;
    case 'uint16': return Uint16Array;
    case 'int32': return Int32Array;
    case 'uint32': return Uint32Array;
    case 'int64': return BigInt64Array;
    case 'uint64': return BigUint64Array;
    case 'float32': case 'complex64': return Float32Array;
    case 'float64': case 'complex128': return Float64Array;
  }
}

function swapBytes(a: NumericArray): void {
  const w = a.BYTES_PER_ELEMENT;
  if (w === 1) return;
  const b = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  for (let i = 0; i < b.length; i += w) {
    for (let lo = i, hi = i + w - 1; lo < hi; lo++, hi--) {
      const t = b[lo]!;
      b[lo] = b[hi]!;
      b[hi] = t;
    }
  }
}

/**
 * Read a hyperslab of `ds` (storage order): start/count/step per storage axis. Returns a typed
 * array in storage C order; complex data interleaved (re, im).
 */
export function readHyperslab(
  h: Hdf5Handle,
  ds: Dataset,
  info: H5TypeInfo,
  start: number[],
  count: number[],
  step: number[],
): NumericArray {
  const n = count.reduce((a, b) => a * b, 1);
  const comp = components(info.dtype);
  const ctor = arrayCtor(info.dtype);
  if (n === 0) return new ctor(0);
  const ranges = start.map((s, i) => [s, s + (count[i]! - 1) * step[i]! + 1, step[i]!] as [number, number, number]);
  const raw = h.call(`${n} elements of ${ds.path}`, () => (ranges.length === 0 ? ds.value : ds.slice(ranges)));
  if (info.complex) {
    // h5wasm returns compound elements as [re, im] pairs.
    if (!Array.isArray(raw) || raw.length !== n) throw h.fail(`${n} complex elements from ${ds.path}`);
    const out = new ctor(n * comp) as Float32Array | Float64Array;
    for (let i = 0; i < n; i++) {
      const pair = raw[i] as unknown as number[];
      out[2 * i] = Number(pair[0]);
      out[2 * i + 1] = Number(pair[1]);
    }
    if (!info.littleEndian) throw h.fail(`little-endian complex data in ${ds.path}`);
    return out;
  }
  let arr: NumericArray;
  if (typeof raw === 'number' || typeof raw === 'bigint' || typeof raw === 'boolean') {
    arr = new ctor(1);
    (arr as unknown as (number | bigint)[])[0] = ctor === BigInt64Array || ctor === BigUint64Array ? BigInt(raw) : Number(raw);
  } else if (ArrayBuffer.isView(raw)) {
    const r = raw as unknown as NumericArray;
    arr = r instanceof ctor ? r : (ctor as unknown as { from(x: ArrayLike<number>): NumericArray }).from(r as ArrayLike<number>);
  } else if (Array.isArray(raw) && info.dtype === 'bool') {
    arr = Uint8Array.from(raw as unknown as ArrayLike<number>, (v) => (v ? 1 : 0));
  } else {
    throw h.fail(`numeric data in ${ds.path}`);
  }
  if (arr.length !== n) throw h.fail(`${n} elements from ${ds.path} (got ${arr.length})`);
  if (!info.littleEndian) swapBytes(arr);
  if (info.dtype === 'bool') for (let i = 0; i < arr.length; i++) (arr as Uint8Array)[i] = arr[i] ? 1 : 0;
  return arr;
}

/**
 * Reorder a box read in storage order into public axis order. `axisMap[i]` is the storage axis of
 * public axis i; `boxShape` is the box's storage shape; `comp` components per element.
 */
export function permute(box: NumericArray, boxShape: number[], axisMap: number[], comp: number): NumericArray {
  const nd = axisMap.length;
  if (axisMap.every((a, i) => a === i)) return box;
  const bstr = new Array<number>(boxShape.length);
  let s = comp;
  for (let i = boxShape.length - 1; i >= 0; i--) {
    bstr[i] = s;
    s *= boxShape[i]!;
  }
  const outShape = axisMap.map((a) => boxShape[a]!);
  const lstr = axisMap.map((a) => bstr[a]!);
  const n = outShape.reduce((a, b) => a * b, 1);
  const Ctor = box.constructor as TypedCtor;
  const out = new Ctor(n * comp);
  const idx = new Array<number>(nd).fill(0);
  for (let o = 0; o < n; o++) {
    let b = 0;
    for (let i = 0; i < nd; i++) b += idx[i]! * lstr[i]!;
    for (let c = 0; c < comp; c++) (out as unknown as number[])[o * comp + c] = (box as unknown as number[])[b + c]!;
    for (let i = nd - 1; i >= 0; i--) {
      if (++idx[i]! < outShape[i]!) break;
      idx[i] = 0;
    }
  }
  return out;
}

export function elementBytes(dtype: DType): number {
  return DTYPE_BYTES[dtype];
}

/** Text of a scalar or one-element string dataset/attribute value. */
export function asText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.length >= 1 && typeof v[0] === 'string') return v[0];
  if (v instanceof Uint8Array) return new TextDecoder().decode(v).replace(/\0+$/, '');
  return null;
}
