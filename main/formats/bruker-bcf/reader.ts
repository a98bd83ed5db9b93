/**
 * Bruker Esprit .bcf reader. At open: the SFS directory, the XML header (images, sum spectra,
 * calibration) and each hypermap's 12-byte stream header — a few hundred kB at most. The hypermap
 * itself is decoded per readSlice, streaming the packed data once up to the last requested line
 * and unpacking only the requested pixels (DESIGN.md: "Data is read lazily by slice").
 */
import { elementCount, type DatasetEntry, type Selection } from '../../api/dataset.js';
import type { FileSource } from '../file-source.js';
import { FormatDeclined, FormatError, MAX_ALLOCATION_BYTES } from '../format-error.js';
import type { NumericArray, OpenedFile, Reader } from '../types.js';
import { checkSelection as checkBox } from '../array-io.js';
import { decodeXml, parseXml } from '../bruker-spx/xml.js';
import { decodeHypermap, readHypermapHeader } from './hypermap.js';
import { mapBcfHeader, type BcfLayout } from './map-header.js';
import { READER_ID, readSfs, SfsFile, type SfsContainer } from './sfs.js';
import { brukerBcfSpec, sniffBrukerBcf } from './spec.js';

/** Esprit headers are tens of kB to a few MB (base64 images); beyond this is not a header. */
const MAX_HEADER_BYTES = 256 * 1024 * 1024;

/** Rank and bounds of a selection (array-io's check); the step per axis. */
function checkSelection(entry: DatasetEntry, sel: Selection): number[] {
  return checkBox(READER_ID, entry.shape, sel).step;
}

const CTORS = { uint8: Uint8Array, uint16: Uint16Array, uint32: Uint32Array } as const;
const MAXV = { uint8: 0xff, uint16: 0xffff, uint32: 0xffffffff } as const;

class BcfOpenedFile implements OpenedFile {
  readonly readerId = READER_ID;
  constructor(
    private readonly src: FileSource,
    private readonly sfs: SfsContainer,
    readonly entries: DatasetEntry[],
    private readonly layouts: Map<string, BcfLayout>,
  ) {}

  async readSlice(entryId: string, sel: Selection, signal?: AbortSignal): Promise<NumericArray> {
    if (signal?.aborted) throw signal.reason ?? new DOMException('Aborted', 'AbortError');
    const entry = this.entries.find((e) => e.entry === entryId);
    const layout = this.layouts.get(entryId);
    if (!entry || !layout) throw new RangeError(`bruker-bcf: no entry '${entryId}' in ${this.src.name}`);
    const step = checkSelection(entry, sel);
    const n = elementCount(sel.count);
    if (layout.kind === 'array') {
      const data = layout.data;
      const out = new (data.constructor as { new (n: number): typeof data })(n);
      if (n === 0) return out;
      if (entry.shape.length === 1) {
        for (let i = 0; i < n; i++) out[i] = data[sel.start[0]! + i * step[0]!]!;
      } else {
        const w = entry.shape[1]!;
        const [cy, cx] = sel.count as [number, number];
        for (let a = 0; a < cy; a++) for (let b = 0; b < cx; b++) out[a * cx + b] = data[(sel.start[0]! + a * step[0]!) * w + sel.start[1]! + b * step[1]!]!;
      }
      return out;
    }
    const ctor = CTORS[layout.dtype];
    if (n * ctor.BYTES_PER_ELEMENT > MAX_ALLOCATION_BYTES) throw new RangeError(`bruker-bcf: selection of ${n} elements exceeds ${MAX_ALLOCATION_BYTES} bytes; read it in parts`);
    const out = new ctor(n);
    if (n === 0) return out;
    const [y0, x0, c0] = sel.start as [number, number, number];
    const [cy, cx, cc] = sel.count as [number, number, number];
    const [sy, sx, sc] = step as [number, number, number];
    const lastRow = y0 + (cy - 1) * sy;
    const max = MAXV[layout.dtype];
    const file = await SfsFile.open(this.src, this.sfs, layout.path);
    const wanted = (y: number, x: number): boolean => y >= y0 && (y - y0) % sy === 0 && x >= x0 && (x - x0) % sx === 0 && (x - x0) / sx < cx;
    await decodeHypermap(
      file,
      this.src.name,
      layout.header,
      layout.channels,
      lastRow,
      wanted,
      (y, x, spec) => {
        const base = (((y - y0) / sy) * cx + (x - x0) / sx) * cc;
        for (let k = 0; k < cc; k++) {
          const v = spec[c0 + k * sc]!;
          if (v > max) {
            throw new FormatError(this.src.name, null, `pixel (${x}, ${y}) channel ${c0 + k * sc}: a count ≤ ${max}, the bound the header's sum spectrum gives (got ${v})`, READER_ID);
          }
          out[base + k] = v;
        }
      },
      signal,
    );
    return out;
  }

  async close(): Promise<void> {
    await this.src.close();
  }
}

export const brukerBcfReader: Reader = {
  ...brukerBcfSpec,
  async open(src: FileSource): Promise<OpenedFile> {
    const head = await src.read(0, Math.min(src.size, 64));
    if (sniffBrukerBcf(head, src.name) === 'no') throw new FormatDeclined(READER_ID, 'no SFS magic "AAMVHFSS"');
    const sfs = await readSfs(src);
    if (!sfs.items.some((i) => !i.isDir && i.path === 'EDSDatabase/HeaderData')) {
      throw new FormatDeclined(READER_ID, 'SFS container without EDSDatabase/HeaderData (not a Bruker .bcf)');
    }
    const headerFile = await SfsFile.open(src, sfs, 'EDSDatabase/HeaderData');
    const xml = await headerFile.readAll(MAX_HEADER_BYTES);
    let root;
    try {
      root = parseXml(decodeXml(xml), src.name);
    } catch (e) {
      // Offsets inside the header file are not file offsets: report the header's first chunk.
      if (e instanceof FormatError) throw new FormatError(src.name, headerFile.compressed ? null : headerFile.fileOffset(e.offset ?? 0), `EDSDatabase/HeaderData: ${e.expected}`, READER_ID);
      throw e;
    }
    const maps: { index: number; path: string; header: Awaited<ReturnType<typeof readHypermapHeader>> }[] = [];
    for (const it of sfs.items) {
      const m = /^EDSDatabase\/SpectrumData(\d+)$/.exec(it.path);
      if (!m || it.isDir) continue;
      const f = await SfsFile.open(src, sfs, it.path);
      maps.push({ index: Number(m[1]), path: it.path, header: await readHypermapHeader(f, src.name) });
    }
    maps.sort((a, b) => a.index - b.index);
    const mapped = mapBcfHeader(root, src.name, maps);
    return new BcfOpenedFile(src, sfs, mapped.entries, mapped.layouts);
  },
};
