/**
 * EIS text reader: one reader, one sub-parser per dialect (spec.ts decides which from the first
 * bytes). EIS exports are small (a few hundred rows), so the file is parsed whole at open — with
 * a hard size limit so that a mislabelled multi-GB file is refused rather than read.
 */
import type { DatasetEntry } from '../../api/dataset.js';
import type { FileSource } from '../file-source.js';
import { FormatDeclined, FormatError } from '../format-error.js';
import type { NumericArray, OpenedFile, Reader } from '../types.js';
import { mapToDataset, type MappedTable } from './map-dataset.js';
import { parseGamry } from './parse-gamry.js';
import { parseChInstruments, parseCsv, parseParstat, parsePowerSuite } from './parse-tabular.js';
import { parseVersaStudio } from './parse-versastudio.js';
import { parseZPlot } from './parse-zplot.js';
import { detectDialect, eisTextSpec } from './spec.js';
import { READER_ID, splitLines, type EisDialect, type EisParsed } from './text-lines.js';

/** Largest EIS text file read (a 10⁵-point sweep with 25 columns is ~30 MB). */
export const MAX_EIS_TEXT_BYTES = 64 * 1024 * 1024;

/** Parse bytes of a known dialect (exported for tests and for callers that know the dialect). */
export function parseEisText(file: string, bytes: Uint8Array, dialect: EisDialect): EisParsed[] {
  const { lines } = splitLines(bytes);
  if (lines.length === 0) throw new FormatError(file, 0, 'a non-empty text file', READER_ID);
  switch (dialect) {
    case 'zplot':
    case 'zplot-plain':
    case 'autolab':
      return [parseZPlot(file, lines, dialect)];
    case 'gamry':
      return [parseGamry(file, lines)];
    case 'versastudio':
      return parseVersaStudio(file, lines);
    case 'parstat':
      return [parseParstat(file, lines)];
    case 'powersuite':
      return [parsePowerSuite(file, lines)];
    case 'chinstruments':
      return [parseChInstruments(file, lines)];
    case 'csv':
      return [parseCsv(file, lines)];
  }
}

class EisTextOpenedFile implements OpenedFile {
  readonly readerId = READER_ID;
  readonly entries: DatasetEntry[];
  private closed = false;
  constructor(
    private readonly source: FileSource,
    private readonly tables: MappedTable[],
    readonly dialect: EisDialect,
  ) {
    this.entries = tables.map((t) => t.entry);
  }

  async readSlice(entry: string): Promise<NumericArray> {
    throw new FormatError(this.source.name, null, `entry "${entry}" is a table: tables are read by column (readColumns)`, READER_ID);
  }

  async readColumns(entry: string, names: string[]): Promise<Record<string, Float64Array>> {
    if (this.closed) throw new FormatError(this.source.name, null, 'an open file (it was closed)', READER_ID);
    const t = this.tables.find((x) => x.entry.entry === entry);
    if (!t) throw new FormatError(this.source.name, null, `an entry named "${entry}" (have: ${this.entries.map((e) => e.entry).join(', ')})`, READER_ID);
    const out: Record<string, Float64Array> = {};
    for (const n of names) {
      let col = t.values[n];
      if (!col) {
        const bySource = t.entry.columns?.find((c) => c.sourceName === n);
        if (bySource) col = t.values[bySource.name];
      }
      if (!col) throw new FormatError(this.source.name, null, `a column named "${n}" (have: ${t.entry.columns?.map((c) => c.name).join(', ')})`, READER_ID);
      out[n] = col.slice();
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.source.close();
  }
}

export const eisTextReader: Reader = {
  ...eisTextSpec,
  async open(source: FileSource): Promise<OpenedFile> {
    const head = await source.read(0, Math.min(source.size, 4096));
    const dialect = detectDialect(head);
    if (dialect === null) throw new FormatDeclined(READER_ID, 'not a recognised EIS text export');
    if (source.size > MAX_EIS_TEXT_BYTES) {
      throw new FormatError(source.name, 0, `an EIS text file of at most ${MAX_EIS_TEXT_BYTES} bytes (got ${source.size})`, READER_ID);
    }
    const bytes = await source.read(0, source.size);
    const parsed = parseEisText(source.name, bytes, dialect);
    return new EisTextOpenedFile(source, parsed.map((p) => mapToDataset(source.name, p)), dialect);
  },
};
