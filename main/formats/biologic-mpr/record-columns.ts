/**
 * Reading columns out of the .mpr data module's packed records, chunk by chunk: the next chunk is
 * read (on libuv's thread pool, i.e. the other core) while this one is decoded, into two reused
 * buffers so no chunk faults in fresh memory. Decoding is one WebAssembly pass over the rows built
 * for the record layout where available (wasm-gather.ts, at memory speed), else one compiled JS
 * pass over the records.
 */
import type { ColumnArray } from '../../api/dataset.js';
import { allocForOverwrite } from '../array-io.js';
import type { FileSource } from '../file-source.js';
import { compileRecordDecoder, STORED_ARRAY, type MprColumn } from './parse-mpr.js';
import { acquireGather, MAX_GATHER_BYTES, releaseGather, type RowDecoderMemory, type RowField } from './wasm-gather.js';

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
 * The decoder works through a read chunk in slices of at most this many record bytes, so the
 * packed scratch columns stay in cache between the decode and the copy out whatever the read size
 * (on the bench's 1M-row file 1 MiB reads were fastest: 14.1 ms best of 15, 2 MiB 14.4, 4 MiB
 * 15.1; slices of 64 KiB to 1 MiB all measured within noise of each other).
 */
const GATHER_SLICE_BYTES = 1024 * 1024;
const align8 = (n: number): number => Math.ceil(n / 8) * 8;

export async function readRecordColumns(o: RecordRead): Promise<ColumnArray[]> {
  // Every row of every column is written below before the arrays are returned (an abort or a
  // read error throws them away), so they need no zero-fill first.
  const outs = o.cols.map((c) => allocForOverwrite(STORED_ARRAY[c.type], o.rows));
  if (o.rows === 0) return outs;
  const chunkRows = Math.max(1, Math.min(o.rows, Math.floor(o.chunkBytes / Math.max(1, o.recordBytes))));
  const inBytes = align8(chunkRows * o.recordBytes);
  // A function of the record size only, so one compiled decoder serves every file of a layout.
  const sliceRows = Math.max(1, Math.floor(GATHER_SLICE_BYTES / Math.max(1, o.recordBytes)));
  const total = 2 * inBytes + o.cols.reduce((a, c) => a + align8(sliceRows * WIDTH[c.type]), 0);
  const gather = o.decoder === 'js' || total > MAX_GATHER_BYTES ? null : acquireGather();
  try {
    if (gather) await chunks(o, chunkRows, gatherDecoder(gather, o, outs, inBytes, sliceRows));
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
    // A read still in flight when decoding stopped (abort, error) must finish before the caller
    // hands its buffer back to the pool — and must not reject unobserved.
    if (pending) await pending.catch(() => undefined);
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
 * Memory layout: [one packed scratch column per requested column | chunk A | chunk B]. The
 * scratch addresses depend on the layout only (they are baked into the decoder module, see
 * wasm-gather.ts), and the memory is sized once before the first read, so views into it stay
 * valid while reads are in flight.
 */
function gatherDecoder(g: RowDecoderMemory, o: RecordRead, outs: ColumnArray[], inBytes: number, sliceRows: number): ChunkDecoder {
  const fields: RowField[] = [];
  let scratchEnd = 0;
  for (const c of o.cols) {
    const width = WIDTH[c.type];
    fields.push({ offset: c.offset, width, dst: scratchEnd, ...(c.isFlag ? { flag: { mask: c.mask, shift: c.shift } } : {}) });
    scratchEnd += align8(sliceRows * width);
  }
  g.reserve(scratchEnd + 2 * inBytes);
  const decodeRows = g.decoder(o.recordBytes, fields);
  const buf = g.memory.buffer;
  const ctors = o.cols.map((c) => STORED_ARRAY[c.type]);
  const rec = o.recordBytes;
  const chunkAt = (k: number): number => scratchEnd + (k % 2) * inBytes;
  return {
    target(k, bytes) {
      return new Uint8Array(buf, chunkAt(k), bytes);
    },
    decode(k, chunkRows, chunkFirstRow) {
      for (let s = 0; s < chunkRows; s += sliceRows) {
        const rows = Math.min(sliceRows, chunkRows - s);
        decodeRows(chunkAt(k) + s * rec, rows);
        // Same element type on both sides: a memcpy into each column.
        fields.forEach((f, j) => (outs[j] as Float64Array).set(new ctors[j]!(buf, f.dst, rows) as Float64Array, chunkFirstRow + s));
      }
    },
  };
}
