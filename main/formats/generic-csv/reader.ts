/**
 * Generic CSV/TSV reader: one table entry 'data' whose columns keep the file's labels (quantity as
 * name, unit parsed from the label). Normalised names for the analyses come from a ColumnMapping
 * (mapping.ts), which the UI proposes with guessMapping and the user confirms.
 */
import type { FileSource } from '../file-source.js';
import type { OpenedFile, Reader } from '../types.js';
import { GENERIC_ID, planGeneric } from './parser.js';
import { genericCsvSpec } from './spec.js';
import { openTable, type ReaderOptions } from './table-reader.js';

export function createGenericCsvReader(options: ReaderOptions = {}): Reader {
  return {
    ...genericCsvSpec,
    async open(source: FileSource): Promise<OpenedFile> {
      const { plan } = await planGeneric(source, GENERIC_ID);
      return openTable(source, plan, options);
    },
  };
}

export const genericCsvReader: Reader = createGenericCsvReader();

export { applyMapping, guessMapping, headerSignature, mappedColumns, ROLE_NAMES, type ColumnMapping } from './mapping.js';
