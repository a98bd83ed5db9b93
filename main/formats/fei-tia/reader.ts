/**
 * FEI TIA reader. Opening an .emi parses its <ObjectInfo> metadata and opens the sibling
 * `<name>_<n>.ser` files next to it (one entry each, id `ser<n>`); opening a .ser alone gives the
 * same entry with only the .ser's own metadata. Data elements are read lazily: only the
 * selected elements, and of each only the selected channels / rows.
 */
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { DatasetEntry, Selection } from '../../api/dataset.js';
import { NodeFileSource, type FileSource } from '../file-source.js';
import { FormatDeclined, FormatError } from '../format-error.js';
import type { NumericArray, OpenedFile, Reader } from '../types.js';
import { applySteps, boxCount, checkAbort, checkSelection, emptyOf, readBox, repr, toTyped, type Typed } from '../array-io.js';
import { mapTia, type TiaLayout } from './map-dataset.js';
import { findObjectInfoBlocks, parseObjectInfo, type EmiObjectInfo } from './parse-emi.js';
import { DATA_1D, parseSer, readElementHeader } from './parse-ser.js';
import { TIA_EXTENSIONS, TIA_ID, TIA_NAME, TIA_VERSION, isSerHead, sniffTia } from './spec.js';

interface Series {
  src: FileSource;
  layout: TiaLayout;
}

/** `name_3.ser` → 3; a .ser without the TIA suffix counts as series 1. */
export function serIndex(fileName: string): number {
  const m = /_(\d+)\.ser$/i.exec(fileName);
  return m ? Number(m[1]) : 1;
}

class TiaOpenedFile implements OpenedFile {
  readonly readerId = TIA_ID;
  constructor(
    readonly entries: DatasetEntry[],
    private readonly series: Map<string, Series>,
    private readonly owned: FileSource[],
  ) {}

  async readSlice(entryId: string, selection: Selection, signal?: AbortSignal): Promise<NumericArray> {
    checkAbort(signal);
    const s = this.series.get(entryId);
    const entry = this.entries.find((e) => e.entry === entryId);
    if (!s || !entry) throw new RangeError(`fei-tia: no entry '${entryId}'`);
    const sel = checkSelection(TIA_ID, entry.shape, selection);
    if (sel.count.some((c) => c === 0)) return emptyOf(entry.dtype);
    const L = s.layout;
    const nNav = L.navShape.length;
    const r = repr(L.dtype);
    const sigStart = sel.start.slice(nNav);
    const sigCount = sel.count.slice(nNav);
    const sigStep = sel.step.slice(nNav);
    const sigBox = boxCount({ start: sigStart, count: sigCount, step: sigStep });
    const perElem = sigCount.reduce((a, b) => a * b, 1) * r.comp;

    // Flat element indices of the selected navigation positions, C order.
    const navIdx: number[] = [];
    const strides = L.navShape.map((_, i) => L.navShape.slice(i + 1).reduce((a, b) => a * b, 1));
    const walk = (axis: number, base: number): void => {
      if (axis === nNav) {
        navIdx.push(base);
        return;
      }
      for (let j = 0; j < sel.count[axis]!; j++) walk(axis + 1, base + (sel.start[axis]! + j * sel.step[axis]!) * strides[axis]!);
    };
    walk(0, 0);

    const out = new r.ctor(navIdx.length * perElem);
    const fill = /float|complex/.test(L.dtype) ? NaN : 0;
    const BATCH = 64;
    for (let b = 0; b < navIdx.length; b += BATCH) {
      checkAbort(signal);
      const jobs: Promise<void>[] = [];
      for (let k = b; k < Math.min(navIdx.length, b + BATCH); k++) {
        const idx = navIdx[k]!;
        if (idx >= L.validElements) {
          out.fill(fill as never, k * perElem, (k + 1) * perElem);
          continue;
        }
        jobs.push(this.readElement(s, idx, sigStart, sigBox, sigCount, sigStep).then((v) => out.set(v as never, k * perElem)));
      }
      await Promise.all(jobs);
    }
    return out as NumericArray;
  }

  /** One element's selected signal box, checked against element 0's type and size. */
  private async readElement(s: Series, idx: number, start: number[], box: number[], count: number[], step: number[]): Promise<Typed> {
    const L = s.layout;
    const g = L.ser.geometry;
    const off = L.ser.dataOffsets[idx]!;
    const r = repr(L.dtype);
    const eb = g.elemBytes;
    let data: Typed;
    if (L.spectra) {
      // Header and channels up to the end of the box in one read.
      const end = g.headerBytes + (start[0]! + box[0]!) * eb;
      if (off + end > s.src.size) throw new FormatError(s.src.name, off, `element ${idx} (${end} bytes) inside the file`, TIA_ID);
      const bytes = await s.src.read(off, end);
      this.check(s, idx, off, await readElementHeader(s.src, DATA_1D, off, idx, bytes.subarray(0, g.headerBytes)));
      data = toTyped(bytes.subarray(g.headerBytes + start[0]! * eb, end), r.ctor, r.bytes, true);
    } else {
      const head = await s.src.read(off, g.headerBytes);
      this.check(s, idx, off, await readElementHeader(s.src, L.ser.dataTypeId, off, idx, head));
      const [ny] = g.shape as [number, number];
      // Stored bottom row first: presented rows [y0, y0+n) are stored rows [ny−y0−n, ny−y0).
      const y0 = ny - start[0]! - box[0]!;
      const bytes = await readBox(s.src, off + g.headerBytes, g.shape, [y0, start[1]!], box, eb);
      const stored = toTyped(bytes, r.ctor, r.bytes, true);
      const rowLen = box[1]! * r.comp;
      data = new r.ctor(stored.length);
      for (let y = 0; y < box[0]!; y++) data.set(stored.subarray((box[0]! - 1 - y) * rowLen, (box[0]! - y) * rowLen) as never, y * rowLen);
    }
    return applySteps(data, box, count, step, r.comp);
  }

  private check(s: Series, idx: number, off: number, got: { dataType: number; shape: number[] }): void {
    const g = s.layout.ser.geometry;
    if (got.dataType !== g.dataType || got.shape.join('×') !== g.shape.join('×')) {
      throw new FormatError(s.src.name, off, `element ${idx} of DataType ${g.dataType} and size ${g.shape.join('×')} like element 0 (got ${got.dataType}, ${got.shape.join('×')})`, TIA_ID);
    }
  }

  async close(): Promise<void> {
    for (const s of this.owned) await s.close();
  }
}

async function openSer(src: FileSource, emi: EmiObjectInfo | undefined, emiName?: string): Promise<{ entry: DatasetEntry; series: Series }> {
  const ser = await parseSer(src);
  const { entry, layout } = mapTia(ser, src.name, `ser${serIndex(src.name)}`, emi, emiName);
  return { entry, series: { src, layout } };
}

async function openEmi(source: FileSource): Promise<OpenedFile> {
  const blocks = await findObjectInfoBlocks(source);
  if (blocks.length === 0) throw new FormatDeclined(TIA_ID, 'no <ObjectInfo> metadata block in the .emi');
  const stem = source.name.replace(/\.emi$/i, '');
  if (!source.path) {
    throw new FormatError(source.name, null, `a file path: the data of ${source.name} live in the sibling ${stem}_1.ser, which cannot be found without one`, TIA_ID);
  }
  const dir = dirname(source.path);
  const pathStem = basename(source.path).replace(/\.emi$/i, '');
  const escaped = pathStem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`^${escaped}_(\\d+)\\.ser$`, 'i');
  const siblings = (await readdir(dir)).filter((n) => re.test(n)).sort((a, b) => serIndex(a) - serIndex(b));
  if (siblings.length === 0) throw new FormatError(source.name, null, `the sibling data file ${pathStem}_1.ser next to the .emi (in ${dir})`, TIA_ID);
  const entries: DatasetEntry[] = [];
  const series = new Map<string, Series>();
  const owned: FileSource[] = [source];
  try {
    for (const name of siblings) {
      const n = serIndex(name);
      // The n-th ObjectInfo block describes <name>_n.ser (rosettasciio pairs them the same way).
      const xml = blocks[n - 1] ?? blocks[0]!;
      const emi = parseObjectInfo(xml, source.name);
      const src = await NodeFileSource.open(join(dir, name));
      owned.push(src);
      const { entry, series: s } = await openSer(src, emi, source.name);
      if (!blocks[n - 1]) entry.warnings.push(`${source.name} has no ObjectInfo block ${n}; metadata from block 1`);
      entries.push(entry);
      series.set(entry.entry, s);
    }
  } catch (e) {
    for (const s of owned.slice(1)) await s.close();
    throw e;
  }
  return new TiaOpenedFile(entries, series, owned);
}

export const feiTiaReader: Reader = {
  id: TIA_ID,
  name: TIA_NAME,
  version: TIA_VERSION,
  extensions: TIA_EXTENSIONS,
  sniff: sniffTia,
  /** An .emi holds metadata only: its data are the `<name>_<n>.ser` files next to it. */
  async companions(path: string): Promise<string[]> {
    if (!/\.emi$/i.test(path)) return [];
    const stem = basename(path).replace(/\.emi$/i, '');
    const re = new RegExp(`^${stem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}_(\\d+)\\.ser$`, 'i');
    return (await readdir(dirname(path))).filter((n) => re.test(n)).map((n) => join(dirname(path), n));
  },
  async open(source: FileSource): Promise<OpenedFile> {
    const head = await source.read(0, Math.min(source.size, 64));
    if (isSerHead(head)) {
      const { entry, series } = await openSer(source, undefined);
      entry.warnings.push('opened without its .emi: instrument metadata are not available');
      return new TiaOpenedFile([entry], new Map([[entry.entry, series]]), [source]);
    }
    if (/\.emi$/i.test(source.name)) return openEmi(source);
    throw new FormatDeclined(TIA_ID, 'neither a TIA .ser (magic 0x4949 0x0197) nor an .emi');
  },
};
