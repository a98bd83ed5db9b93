/**
 * MRC / MRCS reader: the header at open, then only the bytes of the requested frames/rows per
 * readSlice (reading frame 200 of a 400-frame movie reads exactly that frame's bytes).
 */
import type { DatasetEntry, Selection } from '../../api/dataset.js';
import type { FileSource } from '../file-source.js';
import type { NumericArray, OpenedFile, Reader } from '../types.js';
import { applySteps, boxCount, checkAbort, checkSelection, emptyOf, halfToFloat, readBox, repr, toTyped, type Typed } from '../array-io.js';
import { mapMrc, type MrcLayout } from './map-dataset.js';
import { parseMrcHeader } from './parse-header.js';
import { MRC_EXTENSIONS, MRC_ID, MRC_NAME, MRC_VERSION, sniffMrc } from './spec.js';

class MrcOpenedFile implements OpenedFile {
  readonly readerId = MRC_ID;
  constructor(
    private readonly src: FileSource,
    readonly entries: DatasetEntry[],
    private readonly layout: MrcLayout,
  ) {}

  async readSlice(entryId: string, selection: Selection, signal?: AbortSignal): Promise<NumericArray> {
    checkAbort(signal);
    const entry = this.entries.find((e) => e.entry === entryId);
    if (!entry) throw new RangeError(`mrc: no entry '${entryId}' in ${this.src.name}`);
    const sel = checkSelection(MRC_ID, entry.shape, selection);
    if (sel.count.some((c) => c === 0)) return emptyOf(entry.dtype);
    const L = this.layout;
    // Selections on a 2-D entry address frame 0 of the [nz, ny, nx] storage.
    const start = entry.shape.length === 2 ? [0, ...sel.start] : sel.start;
    const box = entry.shape.length === 2 ? [1, ...boxCount(sel)] : boxCount(sel);
    let out: Typed;
    if (L.mode === 101) {
      out = await this.readNibbles(start, box, signal);
    } else {
      const bytes = await readBox(this.src, L.dataOffset, L.storageShape, start, box, L.elemBytes, signal);
      out = decode(bytes, L);
    }
    checkAbort(signal);
    const r = repr(entry.dtype);
    return applySteps(out, entry.shape.length === 2 ? box.slice(1) : box, sel.count, sel.step, r.comp) as NumericArray;
  }

  /** Mode 101: read whole packed rows of the box, unpack low nibble first, crop columns. */
  private async readNibbles(start: number[], box: number[], signal?: AbortSignal): Promise<Uint8Array> {
    const L = this.layout;
    const [nz, ny] = L.storageShape;
    const rows = await readBox(this.src, L.dataOffset, [nz, ny, L.rowBytes], [start[0]!, start[1]!, 0], [box[0]!, box[1]!, L.rowBytes], 1, signal);
    const out = new Uint8Array(box[0]! * box[1]! * box[2]!);
    let o = 0;
    for (let r = 0; r < box[0]! * box[1]!; r++) {
      const base = r * L.rowBytes;
      for (let x = start[2]!; x < start[2]! + box[2]!; x++) {
        const byte = rows[base + (x >> 1)]!;
        out[o++] = x & 1 ? byte >> 4 : byte & 0x0f;
      }
    }
    return out;
  }

  async close(): Promise<void> {
    await this.src.close();
  }
}

function decode(bytes: Uint8Array, L: MrcLayout): Typed {
  switch (L.mode) {
    case 3: {
      // Complex int16 pairs (re, im) → complex64.
      const ints = toTyped(bytes, Int16Array as never, 2, L.littleEndian) as Int16Array;
      return Float32Array.from(ints);
    }
    case 12: {
      const halves = toTyped(bytes, Uint16Array as never, 2, L.littleEndian) as Uint16Array;
      const f = new Float32Array(halves.length);
      for (let i = 0; i < halves.length; i++) f[i] = halfToFloat(halves[i]!);
      return f;
    }
    case 4:
      return toTyped(bytes, Float32Array as never, 4, L.littleEndian);
    default: {
      const r = repr(L.dtype);
      return toTyped(bytes, r.ctor, r.bytes, L.littleEndian);
    }
  }
}

export const mrcReader: Reader = {
  id: MRC_ID,
  name: MRC_NAME,
  version: MRC_VERSION,
  extensions: MRC_EXTENSIONS,
  sniff: sniffMrc,
  async open(source: FileSource): Promise<OpenedFile> {
    const header = await parseMrcHeader(source);
    const { entry, layout } = mapMrc(header, source.name, source.size);
    return new MrcOpenedFile(source, [entry], layout);
  },
};
