/** BDF csv reader: one table entry 'data'. Parsing is shared (generic-csv/table-reader.ts). */
import type { FileSource } from '../file-source.js';
import { FormatDeclined } from '../format-error.js';
import { openTable, type ReaderOptions } from '../generic-csv/table-reader.js';
import type { OpenedFile, Reader } from '../types.js';
import { planBdf, READER_ID } from './parser.js';
import { bdfCsvSpec, sniffBdf } from './spec.js';

export function createBdfCsvReader(options: ReaderOptions = {}): Reader {
  return {
    ...bdfCsvSpec,
    async open(source: FileSource): Promise<OpenedFile> {
      const head = await source.read(0, Math.min(source.size, 4096));
      if (sniffBdf(head) !== 'yes') throw new FormatDeclined(READER_ID, 'first line is not a BDF header');
      return openTable(source, await planBdf(source), options);
    },
  };
}

export const bdfCsvReader: Reader = createBdfCsvReader();
