/**
 * TIFF / BigTIFF reader: IFDs at open; readSlice reads only the strips/tiles (and, for
 * uncompressed data, only the rows) that the selection touches, page by page.
 */
import type { DatasetEntry, Selection } from '../../api/dataset.js';
import type { FileSource } from '../file-source.js';
import { FormatError } from '../format-error.js';
import type { NumericArray, OpenedFile, Reader } from '../types.js';
import { applySteps, boxCount, checkAbort, checkSelection, emptyOf, halfToFloat, repr, toTyped, type Typed } from '../array-io.js';
import { DecodeError, decompress, undoHorizontalDifferencing, COMPRESSION_NAMES } from './decompress.js';
import { mapTiff, type TiffLayout, type TiffPage } from './map-dataset.js';
import { parseTiff } from './parse-ifd.js';
import { TIFF_EXTENSIONS, TIFF_ID, TIFF_NAME, TIFF_VERSION, sniffTiff } from './spec.js';

/** Stored pixel bytes of rows [y0, y0+h) × columns [x0, x0+w) of one page, file byte order. */
export async function readRegion(src: FileSource, p: TiffPage, le: boolean, y0: number, h: number, x0: number, w: number): Promise<Uint8Array> {
  const pb = p.pixelBytes;
  const out = new Uint8Array(h * w * pb);
  const cw = p.chunkWidth;
  const ch = p.chunkHeight;
  const across = Math.ceil(p.width / cw);
  const cRowBytes = cw * pb;
  const jobs: Promise<void>[] = [];
  for (let ty = Math.floor(y0 / ch); ty * ch < y0 + h; ty++) {
    for (let tx = Math.floor(x0 / cw); tx * cw < x0 + w; tx++) {
      const idx = ty * across + tx;
      const cy0 = ty * ch;
      const cx0 = tx * cw;
      // Strips at the bottom hold only the remaining rows; tiles are always full size (TIFF 6.0 §15).
      const chunkRows = p.tiled ? ch : Math.min(ch, p.height - cy0);
      const r0 = Math.max(y0, cy0);
      const r1 = Math.min(y0 + h, cy0 + chunkRows);
      const c0 = Math.max(x0, cx0);
      const c1 = Math.min(x0 + w, cx0 + cw, p.width);
      jobs.push(
        (async () => {
          let bytes: Uint8Array;
          let baseRow: number;
          if (p.compression === 1) {
            bytes = await src.read(p.offsets[idx]! + (r0 - cy0) * cRowBytes, (r1 - r0) * cRowBytes);
            baseRow = r0;
          } else {
            const raw = await src.read(p.offsets[idx]!, p.byteCounts![idx]!);
            try {
              bytes = decompress(p.compression, raw, chunkRows * cRowBytes);
            } catch (e) {
              if (e instanceof DecodeError) throw new FormatError(src.name, p.offsets[idx]!, `a valid ${COMPRESSION_NAMES[p.compression]} chunk ${idx} of IFD ${p.ifd} (${e.message})`, TIFF_ID);
              throw e;
            }
            if (p.predictor === 2) undoHorizontalDifferencing(bytes, chunkRows, cw, p.spp, p.sampleBytes, le);
            baseRow = cy0;
          }
          for (let r = r0; r < r1; r++) {
            const from = (r - baseRow) * cRowBytes + (c0 - cx0) * pb;
            out.set(bytes.subarray(from, from + (c1 - c0) * pb), ((r - y0) * w + (c0 - x0)) * pb);
          }
        })(),
      );
    }
  }
  await Promise.all(jobs);
  return out;
}

/** Stored bytes → output elements: byte order, half → float32, RGB → RGBA. */
function convert(bytes: Uint8Array, p: TiffPage, le: boolean): Typed {
  if (p.dtype === 'rgba8') {
    if (p.spp === 4) return bytes;
    const n = bytes.length / 3;
    const out = new Uint8Array(n * 4);
    for (let i = 0; i < n; i++) {
      out[4 * i] = bytes[3 * i]!;
      out[4 * i + 1] = bytes[3 * i + 1]!;
      out[4 * i + 2] = bytes[3 * i + 2]!;
      out[4 * i + 3] = 255;
    }
    return out;
  }
  if (p.half) {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const out = new Float32Array(bytes.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = halfToFloat(dv.getUint16(2 * i, le));
    return out;
  }
  const r = repr(p.dtype);
  return toTyped(bytes, r.ctor, r.bytes, le);
}

class TiffOpenedFile implements OpenedFile {
  readonly readerId = TIFF_ID;
  constructor(
    private readonly src: FileSource,
    readonly entries: DatasetEntry[],
    private readonly layouts: Map<string, TiffLayout>,
  ) {}

  async readSlice(entryId: string, selection: Selection, signal?: AbortSignal): Promise<NumericArray> {
    checkAbort(signal);
    const entry = this.entries.find((e) => e.entry === entryId);
    const L = this.layouts.get(entryId);
    if (!entry || !L) throw new RangeError(`tiff: no entry '${entryId}' in ${this.src.name}`);
    const sel = checkSelection(TIFF_ID, entry.shape, selection);
    if (sel.count.some((c) => c === 0)) return emptyOf(entry.dtype);
    const r = repr(entry.dtype);
    const stack = entry.shape.length === 3;
    const box = boxCount(sel);
    const [y0, x0] = stack ? [sel.start[1]!, sel.start[2]!] : [sel.start[0]!, sel.start[1]!];
    const [h, w] = stack ? [box[1]!, box[2]!] : [box[0]!, box[1]!];
    const ySel = { count: stack ? sel.count.slice(1) : sel.count, step: stack ? sel.step.slice(1) : sel.step };
    const frames = stack ? Array.from({ length: sel.count[0]! }, (_, k) => sel.start[0]! + k * sel.step[0]!) : [0];
    const perFrame = ySel.count[0]! * ySel.count[1]! * r.comp;
    const out = new r.ctor(frames.length * perFrame);
    for (let k = 0; k < frames.length; k++) {
      checkAbort(signal);
      const p = L.pages[frames[k]!]!;
      const bytes = await readRegion(this.src, p, L.le, y0, h, x0, w);
      const plane = applySteps(convert(bytes, p, L.le), [h, w], ySel.count, ySel.step, r.comp);
      out.set(plane as never, k * perFrame);
    }
    return out as NumericArray;
  }

  async close(): Promise<void> {
    await this.src.close();
  }
}

export const tiffReader: Reader = {
  id: TIFF_ID,
  name: TIFF_NAME,
  version: TIFF_VERSION,
  extensions: TIFF_EXTENSIONS,
  sniff: sniffTiff,
  async open(source: FileSource): Promise<OpenedFile> {
    const file = await parseTiff(source);
    const { entries, layouts } = mapTiff(file, source.name, source.size);
    return new TiffOpenedFile(source, entries, layouts);
  },
};
