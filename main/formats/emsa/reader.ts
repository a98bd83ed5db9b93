/**
 * EMSA/MAS (ISO 22029) reader: one 'spectrum' entry. Spectra are small text files (bounded by
 * MAX_MSA_BYTES), so the file is parsed whole at open and slices are cut from the parsed array.
 */
import type { DatasetEntry, Selection } from '../../api/dataset.js';
import type { FileSource } from '../file-source.js';
import { FormatDeclined, FormatError } from '../format-error.js';
import type { NumericArray, OpenedFile, Reader } from '../types.js';
import { mapMsa } from './map-msa.js';
import { MAX_MSA_BYTES, parseMsa, READER_ID } from './parse-msa.js';
import { emsaSpec, sniffEmsa } from './spec.js';

/** Cut a 1-D selection (start, count, step) out of `data`, checking it against the size. */
export function slice1d(data: Float64Array, selection: Selection, what: string): Float64Array {
  const { start, count } = selection;
  const step = selection.step ?? [1];
  if (start.length !== 1 || count.length !== 1 || step.length !== 1) throw new RangeError(`${what}: selection rank ${start.length} does not match entry rank 1`);
  const s = start[0]!;
  const c = count[0]!;
  const st = step[0]!;
  if (!Number.isInteger(s) || !Number.isInteger(c) || !Number.isInteger(st) || s < 0 || c < 0 || st < 1 || (c > 0 && s + (c - 1) * st >= data.length)) {
    throw new RangeError(`${what}: selection (start ${s}, count ${c}, step ${st}) outside size ${data.length}`);
  }
  const out = new Float64Array(c);
  for (let i = 0; i < c; i++) out[i] = data[s + i * st]!;
  return out;
}

class MsaOpenedFile implements OpenedFile {
  readonly readerId = READER_ID;
  constructor(
    private readonly source: FileSource,
    readonly entries: DatasetEntry[],
    private readonly y: Float64Array,
  ) {}

  async readSlice(entry: string, selection: Selection, signal?: AbortSignal): Promise<NumericArray> {
    if (signal?.aborted) throw signal.reason ?? new DOMException('Aborted', 'AbortError');
    if (entry !== 'spectrum') throw new FormatError(this.source.name, null, `entry "spectrum" (asked for "${entry}")`, READER_ID);
    return slice1d(this.y, selection, `emsa ${this.source.name}`);
  }

  async close(): Promise<void> {
    await this.source.close();
  }
}

export const emsaReader: Reader = {
  ...emsaSpec,
  async open(source: FileSource): Promise<OpenedFile> {
    const head = await source.read(0, Math.min(source.size, 4096));
    if (sniffEmsa(head, source.name) === 'no') throw new FormatDeclined(READER_ID, 'no EMSA/MAS "#FORMAT" / "#KEYWORD :" header');
    if (source.size > MAX_MSA_BYTES) {
      throw new FormatError(source.name, MAX_MSA_BYTES, `an EMSA file of at most ${MAX_MSA_BYTES} bytes (got ${source.size})`, READER_ID);
    }
    const bytes = await source.read(0, source.size);
    const parsed = parseMsa(bytes, source.name);
    return new MsaOpenedFile(source, [mapMsa(parsed, source.name)], parsed.y);
  },
};
