/**
 * Record decoding in WebAssembly: one pass over the packed little-endian records of a chunk that
 * copies every requested field of a row into its packed column. JS can only read such unaligned
 * fields one DataView call at a time (~20 ms for the benchmark's 1M rows × 9 columns); a loop over
 * the rows with the layout baked in runs at memory speed.
 *
 * The module is emitted here, per record layout, from its instructions — no binary blob, no build
 * step. Field offsets within the record and the column addresses are the static `offset` immediates
 * of the loads and stores (memarg), so the loop body per row is just one load and one store per
 * field. The flag byte is loaded once per row and each flag is masked and shifted out of it.
 *
 *   decode(src, n): for i < n: for each field f:
 *     col_f[i] = f.flag ? (byte at src + f.offset & mask) >> shift : the f.width bytes at src + f.offset
 *     src += recordBytes
 *
 * Values are copied as bytes, so the typed-array views over the result read them in the host's
 * byte order: used only on little-endian hosts (the file is little-endian); elsewhere the caller
 * keeps the JS decoder. An access outside the memory traps (a RuntimeError), it never writes
 * elsewhere. Instructions: WebAssembly Core Specification 1.0, §5 (binary format).
 */

const OP = {
  block: 0x02,
  loop: 0x03,
  brIf: 0x0d,
  end: 0x0b,
  localGet: 0x20,
  localSet: 0x21,
  i32Load: 0x28,
  i64Load: 0x29,
  i32Load8u: 0x2d,
  i32Load16u: 0x2f,
  i32Store: 0x36,
  i64Store: 0x37,
  i32Store8: 0x3a,
  i32Store16: 0x3b,
  i32Const: 0x41,
  i32Eqz: 0x45,
  i32LtU: 0x49,
  i32Add: 0x6a,
  i32And: 0x71,
  i32ShrU: 0x76,
} as const;
const EMPTY_BLOCK = 0x40;
const I32 = 0x7f;

function uleb(n: number): number[] {
  if (!Number.isSafeInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`internal: ${n} is not a u32`);
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

/** Signed LEB128 of a non-negative i32 constant. */
function sleb(n: number): number[] {
  if (!Number.isSafeInteger(n) || n < 0 || n > 0x7fffffff) throw new Error(`internal: constant ${n} out of range`);
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n = Math.floor(n / 128);
    // Done once the rest is 0 and the sign bit (0x40) of this byte is clear.
    if (n === 0 && (b & 0x40) === 0) return [...out, b];
    out.push(b | 0x80);
  }
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const name = (s: string): number[] => vec([...s].map((c) => [c.charCodeAt(0)]));
/** memarg: alignment hint 2^0 (records are unaligned), then the static offset. */
const memarg = (offset: number): number[] => [0, ...uleb(offset)];

export type FieldWidth = 1 | 2 | 4 | 8;
const LOAD: Record<FieldWidth, number> = { 8: OP.i64Load, 4: OP.i32Load, 2: OP.i32Load16u, 1: OP.i32Load8u };
const STORE: Record<FieldWidth, number> = { 8: OP.i64Store, 4: OP.i32Store, 2: OP.i32Store16, 1: OP.i32Store8 };

/** One field of a record, and where its packed column starts in the memory. */
export interface RowField {
  /** Byte offset within the record. */
  offset: number;
  width: FieldWidth;
  /** A flag: (byte & mask) >> shift, stored as a byte (width must be 1). */
  flag?: { mask: number; shift: number };
  /** Memory address of element 0 of this field's column. */
  dst: number;
}

/**
 * The module's bytes for one layout: imports env.memory, exports decode(src, n).
 * Locals: 0 src, 1 n (params); 2 i (row), 3 i·2, 4 i·4, 5 i·8 (element byte offsets per width),
 * then one per distinct flag byte.
 */
export function rowDecoderBytes(recordBytes: number, fields: readonly RowField[]): Uint8Array {
  const [src, n, i] = [0, 1, 2];
  const scaled: Record<FieldWidth, number> = { 1: i, 2: 3, 4: 4, 8: 5 };
  const flagBytes = [...new Set(fields.filter((f) => f.flag).map((f) => f.offset))];
  const flagLocal = (offset: number): number => 6 + flagBytes.indexOf(offset);
  const used = new Set(fields.map((f) => f.width));

  const row: number[] = [];
  for (const o of flagBytes) row.push(OP.localGet, src, OP.i32Load8u, ...memarg(o), OP.localSet, flagLocal(o));
  for (const f of fields) {
    if (f.flag) {
      if (f.width !== 1) throw new Error('internal: a flag field is one byte');
      row.push(OP.localGet, i, OP.localGet, flagLocal(f.offset), OP.i32Const, ...sleb(f.flag.mask), OP.i32And);
      if (f.flag.shift) row.push(OP.i32Const, ...sleb(f.flag.shift), OP.i32ShrU);
      row.push(OP.i32Store8, ...memarg(f.dst));
    } else {
      row.push(OP.localGet, scaled[f.width], OP.localGet, src, LOAD[f.width], ...memarg(f.offset), STORE[f.width], ...memarg(f.dst));
    }
  }
  const step = (local: number, by: number): number[] => [OP.localGet, local, OP.i32Const, ...sleb(by), OP.i32Add, OP.localSet, local];
  row.push(...step(src, recordBytes));
  for (const w of [2, 4, 8] as const) if (used.has(w)) row.push(...step(scaled[w], w));
  row.push(...step(i, 1));

  const code = [
    OP.block, EMPTY_BLOCK,
    OP.localGet, n, OP.i32Eqz, OP.brIf, 0,
    OP.loop, EMPTY_BLOCK,
    ...row,
    OP.localGet, i, OP.localGet, n, OP.i32LtU, OP.brIf, 0,
    OP.end,
    OP.end,
    OP.end,
  ];
  const body = [...vec([[4 + flagBytes.length, I32]]), ...code];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec([[I32], [I32]]), ...vec([])]])),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]])),
    ...section(3, vec([[0]])),
    ...section(7, vec([[...name('decode'), 0x00, 0]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ]);
}

/** The part of the WebAssembly JS API used here (the node typings do not declare it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (d: { initial: number }) => WasmMemory;
}
const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
const LITTLE_ENDIAN_HOST = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** Compiled modules by layout; a handful of layouts cover every file a lab writes. */
const modules = new Map<string, object>();
const MAX_MODULES = 64;

function layoutKey(recordBytes: number, fields: readonly RowField[]): string {
  return `${recordBytes}:${fields.map((f) => `${f.offset}.${f.width}.${f.flag ? `${f.flag.mask}>${f.flag.shift}` : ''}@${f.dst}`).join(',')}`;
}

export type RowDecode = (src: number, n: number) => void;

export interface RowDecoderMemory {
  readonly memory: WasmMemory;
  /** Make the memory at least `bytes` long (views made before a grow are detached). */
  reserve(bytes: number): void;
  /** decode(src, n) for this layout, writing into this memory. */
  decoder(recordBytes: number, fields: readonly RowField[]): RowDecode;
}

const PAGE = 65536;
/** wasm32 addresses; keep well below 4 GiB so offsets stay u32-safe. */
export const MAX_GATHER_BYTES = 1 << 30;
const idle: RowDecoderMemory[] = [];

/**
 * A memory with its own instances, from a small pool, or null where WebAssembly is missing or the
 * host is big-endian. Reads of several files interleave on one thread (each awaits I/O), so each
 * read holds its memory until `releaseGather`.
 */
export function acquireGather(): RowDecoderMemory | null {
  const reused = idle.pop();
  if (reused) return reused;
  if (!LITTLE_ENDIAN_HOST || !wasm) return null;
  const memory = new wasm.Memory({ initial: 1 });
  const instances = new Map<string, RowDecode>();
  return {
    memory,
    reserve(bytes: number) {
      if (bytes > MAX_GATHER_BYTES) throw new Error(`internal: ${bytes} bytes of gather scratch`);
      const need = Math.ceil(bytes / PAGE) - memory.buffer.byteLength / PAGE;
      if (need > 0) memory.grow(need);
    },
    decoder(recordBytes, fields) {
      const key = layoutKey(recordBytes, fields);
      let fn = instances.get(key);
      if (!fn) {
        let m = modules.get(key);
        if (!m) {
          if (modules.size >= MAX_MODULES) modules.clear();
          m = new wasm.Module(rowDecoderBytes(recordBytes, fields));
          modules.set(key, m);
        }
        if (instances.size >= MAX_MODULES) instances.clear();
        fn = new wasm.Instance(m, { env: { memory } }).exports.decode as RowDecode;
        instances.set(key, fn);
      }
      return fn;
    },
  };
}

/** Back to the pool (a few are kept; their memory is reused by the next read). */
export function releaseGather(g: RowDecoderMemory): void {
  if (idle.length < 4) idle.push(g);
}
