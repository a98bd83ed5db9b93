/**
 * Bruker Esprit .spx reader: one 'spectrum' entry. An .spx is a small XML file (tens to hundreds
 * of kB), parsed whole at open (bounded by MAX_SPX_BYTES) with the bounded scanner in xml.ts.
 */
import type { DatasetEntry, Selection } from '../../api/dataset.js';
import type { FileSource } from '../file-source.js';
import { FormatDeclined, FormatError } from '../format-error.js';
import type { NumericArray, OpenedFile, Reader } from '../types.js';
import { mapTrtSpectrum } from './map-spectrum.js';
import { BRUKER_SPX_ID, brukerSpxSpec, sniffBrukerSpx } from './spec.js';
import { classInstance, decodeXml, parseXml } from './xml.js';

export const MAX_SPX_BYTES = 64 * 1024 * 1024;

/** Cut a 1-D selection out of a typed array (same semantics as every reader's readSlice). */
export function sliceTyped<T extends Uint32Array | Float64Array>(data: T, selection: Selection, what: string): T {
  const { start, count } = selection;
  const step = selection.step ?? [1];
  if (start.length !== 1 || count.length !== 1 || step.length !== 1) throw new RangeError(`${what}: selection rank ${start.length} does not match entry rank 1`);
  const s = start[0]!;
  const c = count[0]!;
  const st = step[0]!;
  if (!Number.isInteger(s) || !Number.isInteger(c) || !Number.isInteger(st) || s < 0 || c < 0 || st < 1 || (c > 0 && s + (c - 1) * st >= data.length)) {
    throw new RangeError(`${what}: selection (start ${s}, count ${c}, step ${st}) outside size ${data.length}`);
  }
  const out = new (data.constructor as { new (n: number): T })(c);
  for (let i = 0; i < c; i++) out[i] = data[s + i * st]!;
  return out;
}

class SpxOpenedFile implements OpenedFile {
  readonly readerId = BRUKER_SPX_ID;
  constructor(
    private readonly source: FileSource,
    readonly entries: DatasetEntry[],
    private readonly data: Uint32Array | Float64Array,
  ) {}
  async readSlice(entry: string, selection: Selection, signal?: AbortSignal): Promise<NumericArray> {
    if (signal?.aborted) throw signal.reason ?? new DOMException('Aborted', 'AbortError');
    if (entry !== 'spectrum') throw new FormatError(this.source.name, null, `entry "spectrum" (asked for "${entry}")`, BRUKER_SPX_ID);
    return sliceTyped(this.data, selection, `bruker-spx ${this.source.name}`);
  }
  async close(): Promise<void> {
    await this.source.close();
  }
}

export const brukerSpxReader: Reader = {
  ...brukerSpxSpec,
  async open(source: FileSource): Promise<OpenedFile> {
    const head = await source.read(0, Math.min(source.size, 4096));
    if (sniffBrukerSpx(head, source.name) === 'no') throw new FormatDeclined(BRUKER_SPX_ID, 'not an XML file with a <TRTSpectrum> root');
    if (source.size > MAX_SPX_BYTES) throw new FormatError(source.name, MAX_SPX_BYTES, `an .spx of at most ${MAX_SPX_BYTES} bytes (got ${source.size})`, BRUKER_SPX_ID);
    const bytes = await source.read(0, source.size);
    let root;
    try {
      root = parseXml(decodeXml(bytes), source.name);
    } catch (e) {
      if (e instanceof FormatError) throw new FormatError(e.file, e.offset, e.expected, BRUKER_SPX_ID);
      throw e;
    }
    if (root.name !== 'TRTSpectrum') {
      if (sniffBrukerSpx(head, source.name) === 'maybe') throw new FormatDeclined(BRUKER_SPX_ID, `XML root is <${root.name}>, not <TRTSpectrum>`);
      throw new FormatError(source.name, root.offset, `a <TRTSpectrum> root element (found <${root.name}>)`, BRUKER_SPX_ID);
    }
    const node = classInstance(root, 'TRTSpectrum');
    if (!node) throw new FormatError(source.name, root.offset, 'a <ClassInstance Type="TRTSpectrum"> inside <TRTSpectrum>', BRUKER_SPX_ID);
    let mapped;
    try {
      mapped = mapTrtSpectrum(node, source.name, { entry: 'spectrum', fallbackTitle: source.name });
    } catch (e) {
      if (e instanceof FormatError) throw new FormatError(e.file, e.offset, e.expected, BRUKER_SPX_ID);
      throw e;
    }
    return new SpxOpenedFile(source, [mapped.entry], mapped.data);
  },
};
