/**
 * Velox EDS "SpectrumStream" decoding (/Data/SpectrumStream/<uuid>/Data, uint16 [N, 1]).
 *
 * The stream is the detector's event list in scan order: a value v ≠ 65535 is one X-ray counted
 * in channel v for the current pixel; 65535 ends the current pixel (FEI's "gate pulse", as
 * documented by Thermo Fisher to the RosettaSciIO developers). Pixels run x fastest, then y, then
 * frame; the last pixel of a stream may lack its separator. Checked against the public Velox v11
 * and v13 files: separator counts are frames × height × width (16×16×2 = 512) or one less
 * (16×20 − 1 = 319).
 *
 * A dense cube of a real SI is tens of GB, so nothing dense is built at open. On the first read
 * the stream is scanned once, in blocks, to record where every scan row starts (one float64 per
 * row per frame: 13 MB for 1024 rows × 1600 frames). A read of rows y0…y1 then decodes only those
 * rows' stretches of the stream in each frame, summing frames (and, in the reader, detectors).
 */
import type { Dataset } from 'h5wasm/node';
import { FormatError } from '../format-error.js';
import { checkAbort, readHyperslab, type Hdf5Handle } from '../hdf5/hdf5-file.js';

export const STREAM_SEPARATOR = 65535;
/** Values per block read from the stream (8 MiB of uint16). */
export const STREAM_BLOCK = 1 << 22;

export interface StreamGeometry {
  height: number;
  width: number;
  channels: number;
}

/** Selection of the summed [y, x, channel] cube to accumulate into `out` (C order). */
export interface StreamBox {
  start: [number, number, number];
  count: [number, number, number];
  step: [number, number, number];
}

export class SpectrumStream {
  private rowStarts: Float64Array | null = null;
  private rows = 0;

  constructor(
    private readonly h: Hdf5Handle,
    private readonly ds: Dataset,
    readonly length: number,
    readonly geometry: StreamGeometry,
  ) {}

  get path(): string {
    return this.ds.path;
  }

  private read(start: number, count: number): Uint16Array {
    const info = { dtype: 'uint16' as const, littleEndian: true, complex: false };
    return readHyperslab(this.h, this.ds, info, [start, 0], [count, 1], [1, 1]) as Uint16Array;
  }

  /** One pass over the stream recording the offset at which each scan row begins. */
  private buildIndex(signal?: AbortSignal): void {
    if (this.rowStarts) return;
    const { width } = this.geometry;
    let starts = new Float64Array(1024);
    let n = 0;
    const push = (v: number): void => {
      if (n === starts.length) {
        const grown = new Float64Array(starts.length * 2);
        grown.set(starts);
        starts = grown;
      }
      starts[n++] = v;
    };
    push(0);
    let x = 0;
    for (let off = 0; off < this.length; off += STREAM_BLOCK) {
      checkAbort(signal);
      const block = this.read(off, Math.min(STREAM_BLOCK, this.length - off));
      for (let i = 0; i < block.length; i++) {
        if (block[i] === STREAM_SEPARATOR && ++x === width) {
          x = 0;
          push(off + i + 1);
        }
      }
    }
    // The final row runs to the end of the stream (its last pixel may lack a separator).
    if (starts[n - 1] !== this.length) push(this.length);
    this.rowStarts = starts.subarray(0, n);
    this.rows = n - 1;
  }

  /** Number of complete-or-partial scan rows in the stream (all frames), after indexing. */
  rowCount(signal?: AbortSignal): number {
    this.buildIndex(signal);
    return this.rows;
  }

  /** Add this stream's counts in `box` (all frames summed) into `out`, C order [y, x, channel]. */
  accumulate(out: Uint32Array, box: StreamBox, signal?: AbortSignal): void {
    this.buildIndex(signal);
    const starts = this.rowStarts!;
    const { height, width, channels } = this.geometry;
    const [y0, x0, c0] = box.start;
    const [ny, nx, nc] = box.count;
    const [sy, sx, sc] = box.step;
    if (ny === 0 || nx === 0 || nc === 0) return;
    const yLast = y0 + (ny - 1) * sy;
    const frames = Math.ceil(this.rows / height);
    for (let f = 0; f < frames; f++) {
      const gFirst = f * height + y0;
      if (gFirst >= this.rows) break;
      const gEnd = Math.min(f * height + yLast + 1, this.rows);
      const from = starts[gFirst]!;
      const to = starts[gEnd]!;
      let y = y0;
      let x = 0;
      for (let off = from; off < to; off += STREAM_BLOCK) {
        checkAbort(signal);
        const block = this.read(off, Math.min(STREAM_BLOCK, to - off));
        for (let i = 0; i < block.length; i++) {
          const v = block[i]!;
          if (v === STREAM_SEPARATOR) {
            if (++x === width) {
              x = 0;
              y++;
            }
            continue;
          }
          if (v >= channels) {
            throw new FormatError(this.h.source.name, null, `channel indices below ${channels} in ${this.path} (got ${v} at value ${off + i})`, this.h.readerId);
          }
          const dy = y - y0;
          if (dy % sy !== 0) continue;
          const dx = x - x0;
          if (dx < 0 || dx % sx !== 0) continue;
          const xi = dx / sx;
          if (xi >= nx) continue;
          const dc = v - c0;
          if (dc < 0 || dc % sc !== 0) continue;
          const ci = dc / sc;
          if (ci >= nc) continue;
          out[((dy / sy) * nx + xi) * nc + ci]!++;
        }
      }
    }
  }
}
