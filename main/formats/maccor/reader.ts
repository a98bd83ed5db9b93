/**
 * Maccor text export reader: one table entry 'data' (cycling or impedance columns). Parsing and
 * caching are shared with the other delimited-text cycler readers (generic-csv/table-reader.ts).
 */
import type { FileSource } from '../file-source.js';
import { FormatDeclined } from '../format-error.js';
import { openTable, type ReaderOptions } from '../generic-csv/table-reader.js';
import type { OpenedFile, Reader } from '../types.js';
import { planMaccor, READER_ID } from './parser.js';
import { maccorSpec, sniffMaccor } from './spec.js';

export function createMaccorReader(options: ReaderOptions = {}): Reader {
  return {
    ...maccorSpec,
    async open(source: FileSource): Promise<OpenedFile> {
      const head = await source.read(0, Math.min(source.size, 4096));
      if (sniffMaccor(head) !== 'yes') throw new FormatDeclined(READER_ID, 'no Maccor header or label line in the first 4 KiB');
      return openTable(source, await planMaccor(source), options);
    },
  };
}

export const maccorReader: Reader = createMaccorReader();
