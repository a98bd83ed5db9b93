/** PEC SBT csv reader: one table entry 'data'. Parsing is shared (generic-csv/table-reader.ts). */
import type { FileSource } from '../file-source.js';
import { FormatDeclined } from '../format-error.js';
import { openTable, type ReaderOptions } from '../generic-csv/table-reader.js';
import type { OpenedFile, Reader } from '../types.js';
import { planPec, READER_ID } from './parser.js';
import { pecSpec, sniffPec } from './spec.js';

export function createPecReader(options: ReaderOptions = {}): Reader {
  return {
    ...pecSpec,
    async open(source: FileSource): Promise<OpenedFile> {
      const head = await source.read(0, Math.min(source.size, 4096));
      if (sniffPec(head) !== 'yes') throw new FormatDeclined(READER_ID, 'no PEC header or label line in the first 4 KiB');
      return openTable(source, await planPec(source), options);
    },
  };
}

export const pecReader: Reader = createPecReader();
