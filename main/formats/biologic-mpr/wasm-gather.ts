/**
 * Strided gathers in WebAssembly: copy one field out of every fixed-size record of a chunk into a
 * packed column. The .mpr data module is rows of packed, unaligned little-endian records; JS can
 * only read such fields one DataView call at a time (~20 ms for the benchmark's 1M rows × 9
 * columns), while these loops run at memory speed (~8 ms). The module is emitted here from its
 * instructions — no binary blob, no build step — and is 5 functions of a dozen opcodes each:
 *
 *   g8/g4/g2/g1(src, stride, n, dst)        dst[i] = bytes at src + i·stride (8/4/2/1 wide)
 *   gflag(src, stride, n, dst, mask, shift) dst[i] = (byte at src + i·stride & mask) >> shift
 *
 * Values are copied as bytes, so the typed-array views over the result read them in the host's
 * byte order: used only on little-endian hosts (the file is little-endian); elsewhere the caller
 * keeps the JS decoder. Instructions: WebAssembly Core Specification 1.0, §5 (binary format).
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
  i32LtU: 0x49,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32And: 0x71,
  i32Shl: 0x74,
  i32ShrU: 0x76,
} as const;
const EMPTY_BLOCK = 0x40;
const I32 = 0x7f;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

/** Signed LEB128 for the small non-negative constants used here (< 64). */
function sleb(n: number): number[] {
  if (n < 0 || n > 63) throw new Error(`internal: constant ${n} out of range`);
  return [n];
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const name = (s: string): number[] => vec([...s].map((c) => [c.charCodeAt(0)]));

// Unaligned accesses: alignment hint 2^0, offset 0 (memarg).
const MEMARG = [0, 0];

interface Width {
  load: number;
  store: number;
  log2: number;
}
const WIDTHS: Record<8 | 4 | 2 | 1, Width> = {
  8: { load: OP.i64Load, store: OP.i64Store, log2: 3 },
  4: { load: OP.i32Load, store: OP.i32Store, log2: 2 },
  2: { load: OP.i32Load16u, store: OP.i32Store16, log2: 1 },
  1: { load: OP.i32Load8u, store: OP.i32Store8, log2: 0 },
};

/**
 * One gather loop. Params 0 src, 1 stride, 2 n, 3 dst [, 4 mask, 5 shift]; `end` is the local
 * after the params: end = dst + (n << log2); while (dst < end) { store(dst, f(load(src))); … }.
 */
function gatherBody(w: Width, flag: boolean): number[] {
  const [src, stride, n, dst, mask, shift] = [0, 1, 2, 3, 4, 5];
  const end = flag ? 6 : 4;
  const value = flag
    ? [OP.localGet, src, OP.i32Load8u, ...MEMARG, OP.localGet, mask, OP.i32And, OP.localGet, shift, OP.i32ShrU]
    : [OP.localGet, src, w.load, ...MEMARG];
  const code = [
    OP.localGet, dst, OP.localGet, n, ...(w.log2 ? [OP.i32Const, ...sleb(w.log2), OP.i32Shl] : []), OP.i32Add, OP.localSet, end,
    OP.block, EMPTY_BLOCK,
    OP.localGet, dst, OP.localGet, end, OP.i32GeU, OP.brIf, 0,
    OP.loop, EMPTY_BLOCK,
    OP.localGet, dst, ...value, w.store, ...MEMARG,
    OP.localGet, src, OP.localGet, stride, OP.i32Add, OP.localSet, src,
    OP.localGet, dst, OP.i32Const, ...sleb(1 << w.log2), OP.i32Add, OP.localSet, dst,
    OP.localGet, dst, OP.localGet, end, OP.i32LtU, OP.brIf, 0,
    OP.end,
    OP.end,
    OP.end,
  ];
  const locals = vec([[1, I32]]);
  const body = [...locals, ...code];
  return [...uleb(body.length), ...body];
}

/** The module's bytes: imports env.memory, exports g8, g4, g2, g1, gflag. */
export function gatherModuleBytes(): Uint8Array {
  const types = vec([
    [0x60, ...vec([[I32], [I32], [I32], [I32]]), ...vec([])],
    [0x60, ...vec([[I32], [I32], [I32], [I32], [I32], [I32]]), ...vec([])],
  ]);
  const imports = vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]]);
  const funcs = vec([[0], [0], [0], [0], [1]]);
  const exports = vec(['g8', 'g4', 'g2', 'g1', 'gflag'].map((n, i) => [...name(n), 0x00, i]));
  const bodies = vec([gatherBody(WIDTHS[8], false), gatherBody(WIDTHS[4], false), gatherBody(WIDTHS[2], false), gatherBody(WIDTHS[1], false), gatherBody(WIDTHS[1], true)]);
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, types),
    ...section(2, imports),
    ...section(3, funcs),
    ...section(7, exports),
    ...section(10, bodies),
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

export interface Gather {
  readonly memory: WasmMemory;
  g8(src: number, stride: number, n: number, dst: number): void;
  g4(src: number, stride: number, n: number, dst: number): void;
  g2(src: number, stride: number, n: number, dst: number): void;
  g1(src: number, stride: number, n: number, dst: number): void;
  gflag(src: number, stride: number, n: number, dst: number, mask: number, shift: number): void;
  /** Make the memory at least `bytes` long (views made before a grow are detached). */
  reserve(bytes: number): void;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
let compiled: object | null | undefined;
const idle: Gather[] = [];

/** The compiled module, or null where WebAssembly is missing or the host is big-endian. */
function module(): object | null {
  if (compiled === undefined) {
    try {
      compiled = LITTLE_ENDIAN_HOST && wasm ? new wasm.Module(gatherModuleBytes()) : null;
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

const PAGE = 65536;
/** wasm32 addresses; keep well below 4 GiB so offsets stay i32-safe. */
export const MAX_GATHER_BYTES = 1 << 30;

/**
 * An instance with its own scratch memory, from a small pool: reads of several files interleave
 * on one thread (each awaits I/O), so each read holds its instance until `release`.
 */
export function acquireGather(): Gather | null {
  const reused = idle.pop();
  if (reused) return reused;
  const m = module();
  if (!m || !wasm) return null;
  const memory = new wasm.Memory({ initial: 1 });
  const e = new wasm.Instance(m, { env: { memory } }).exports as unknown as Omit<Gather, 'memory' | 'reserve'>;
  return {
    memory,
    g8: e.g8,
    g4: e.g4,
    g2: e.g2,
    g1: e.g1,
    gflag: e.gflag,
    reserve(bytes: number) {
      if (bytes > MAX_GATHER_BYTES) throw new Error(`internal: ${bytes} bytes of gather scratch`);
      const need = Math.ceil(bytes / PAGE) - memory.buffer.byteLength / PAGE;
      if (need > 0) memory.grow(need);
    },
  };
}

/** Back to the pool (a few are kept; their memory is reused by the next read). */
export function releaseGather(g: Gather): void {
  if (idle.length < 4) idle.push(g);
}
