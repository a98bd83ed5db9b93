/**
 * Reading columns out of the .mpr data module's packed records, chunk by chunk: the next chunk is
 * read (on libuv's thread pool, i.e. the other core) while this one is decoded, into two reused
 * buffers so no chunk faults in fresh memory. Decoding is a WebAssembly gather per column where
 * available (wasm-gather.ts, at memory speed), else one compiled JS pass over the records.
 */
import type { ColumnArray } from '../../api/dataset.js';
import type { FileSource } from '../file-source.js';
import { compileRecordDecoder, STORED_ARRAY, type MprColumn } from './parse-mpr.js';
import { acquireGather, MAX_GATHER_BYTES, releaseGather, type Gather } from './wasm-gather.js';

export type RecordDecoderKind = 'auto' | 'js';

export interface RecordRead {
  source: FileSource;
  /** File offset of the first record. */
  start: number;
  rows: number;
  recordBytes: number;
  cols: readonly MprColumn[];
  chunkBytes: number;
  signal?: AbortSignal;
  decoder?: RecordDecoderKind;
}

const WIDTH = { u1: 1, u2: 2, u4: 4, f4: 4, f8: 8 } as const;
/**
 * Gathers work through a read chunk in slices of at most this many record bytes, so the packed
 * scratch columns stay in cache between the gather and the copy out whatever the read size (on
 * the bench's 1M-row file 1 MiB reads are fastest: 14.1 ms best of 15, 2 MiB 14.4, 4 MiB 15.1).
 */
const GATHER_SLICE_BYTES = 1024 * 1024;
const align8 = (n: number): number => Math.ceil(n / 8) * 8;

export async function readRecordColumns(o: RecordRead): Promise<ColumnArray[]> {
  const outs = o.cols.map((c) => new STORED_ARRAY[c.type](o.rows));
  if (o.rows === 0) return outs;
  const chunkRows = Math.max(1, Math.min(o.rows, Math.floor(o.chunkBytes / Math.max(1, o.recordBytes))));
  const inBytes = align8(chunkRows * o.recordBytes);
  const sliceRows = Math.max(1, Math.min(chunkRows, Math.floor(GATHER_SLICE_BYTES / Math.max(1, o.recordBytes))));
  const scratch = o.cols.map((c) => align8(sliceRows * WIDTH[c.type]));
  const total = 2 * inBytes + scratch.reduce((a, b) => a + b, 0);
  const gather = o.decoder === 'js' || total > MAX_GATHER_BYTES ? null : acquireGather();
  try {
    if (gather) await chunks(o, chunkRows, gatherDecoder(gather, o, outs, inBytes, sliceRows, scratch, total));
    else await chunks(o, chunkRows, jsDecoder(o, outs, chunkRows));
  } finally {
    if (gather) releaseGather(gather);
  }
  return outs;
}

interface ChunkDecoder {
  /** Where chunk k (k = 0, 1, 2, …) is read to: alternately two buffers. */
  target(k: number, bytes: number): Uint8Array;
  decode(k: number, rows: number, firstRow: number): void;
}

async function chunks(o: RecordRead, chunkRows: number, d: ChunkDecoder): Promise<void> {
  const read = (r: number, k: number): Promise<void> => o.source.readInto(d.target(k, Math.min(chunkRows, o.rows - r) * o.recordBytes), o.start + r * o.recordBytes);
  let pending: Promise<void> | undefined = read(0, 0);
  try {
    for (let r = 0, k = 0; r < o.rows; r += chunkRows, k++) {
      await pending;
      pending = undefined;
      if (o.signal?.aborted) throw o.signal.reason ?? new Error('aborted');
      if (r + chunkRows < o.rows) pending = read(r + chunkRows, k + 1);
      d.decode(k, Math.min(chunkRows, o.rows - r), r);
    }
  } finally {
    // A read still in flight when decoding stopped (abort, error) must not reject unobserved.
    pending?.catch(() => undefined);
  }
}

function jsDecoder(o: RecordRead, outs: ColumnArray[], chunkRows: number): ChunkDecoder {
  const decode = compileRecordDecoder(o.recordBytes, o.cols);
  const buffers = [new Uint8Array(chunkRows * o.recordBytes), new Uint8Array(o.rows > chunkRows ? chunkRows * o.recordBytes : 0)];
  const shown: Uint8Array[] = [];
  return {
    target(k, bytes) {
      return (shown[k % 2] = buffers[k % 2]!.subarray(0, bytes));
    },
    decode(k, rows, firstRow) {
      decode(shown[k % 2]!, rows, outs, firstRow);
    },
  };
}

/**
 * Memory layout: [chunk A | chunk B | one packed scratch column per requested column]. The memory
 * is sized once before the first read, so views into it stay valid while reads are in flight.
 */
function gatherDecoder(g: Gather, o: RecordRead, outs: ColumnArray[], inBytes: number, sliceRows: number, scratch: number[], total: number): ChunkDecoder {
  g.reserve(total);
  const at: number[] = [];
  let off = 2 * inBytes;
  for (const s of scratch) {
    at.push(off);
    off += s;
  }
  const buf = g.memory.buffer;
  const views = o.cols.map((c) => STORED_ARRAY[c.type] as unknown as new (b: ArrayBuffer, off: number, n: number) => ColumnArray);
  const rec = o.recordBytes;
  return {
    target(k, bytes) {
      return new Uint8Array(buf, (k % 2) * inBytes, bytes);
    },
    decode(k, chunkRows, chunkFirstRow) {
      for (let s = 0; s < chunkRows; s += sliceRows) slice((k % 2) * inBytes + s * rec, Math.min(sliceRows, chunkRows - s), chunkFirstRow + s);
    },
  };

  function slice(base: number, rows: number, firstRow: number): void {
    o.cols.forEach((c, j) => {
      const src = base + c.offset;
      const dst = at[j]!;
      switch (c.type) {
        case 'f8':
          g.g8(src, rec, rows, dst);
          break;
        case 'f4':
        case 'u4':
          g.g4(src, rec, rows, dst);
          break;
        case 'u2':
          g.g2(src, rec, rows, dst);
          break;
        case 'u1':
          if (c.isFlag) g.gflag(src, rec, rows, dst, c.mask, c.shift);
          else g.g1(src, rec, rows, dst);
          break;
      }
      // Same element type on both sides: a memcpy into the column.
      (outs[j] as Float64Array).set(new views[j]!(buf, dst, rows) as Float64Array, firstRow);
    });
  }
}
