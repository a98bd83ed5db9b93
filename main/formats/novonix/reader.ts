/**
 * Novonix reader. A data file gives the table entry 'data' and, when the "<stem>_metadata.csv"
 * sidecar sits next to it, a second table entry 'summary' (per-cycle Qc, Qd, CE, average voltages
 * as Novonix computed them). The sidecar opened on its own gives just 'summary'.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ColumnArray, DatasetEntry } from '../../api/dataset.js';
import { NodeFileSource, type FileSource } from '../file-source.js';
import { FormatDeclined, FormatError } from '../format-error.js';
import { planGeneric } from '../generic-csv/parser.js';
import { openTable, type ExtraTable, type ReaderOptions } from '../generic-csv/table-reader.js';
import type { OpenedFile, Reader } from '../types.js';
import { planNovonix, READER_ID } from './parser.js';
import { isNovonixData, isNovonixSummary, novonixSpec } from './spec.js';

/** Sidecars are a few lines; anything bigger is not one. */
const MAX_SIDECAR_BYTES = 16 * 1024 * 1024;

/** Summary column units, from the Novonix data columns they summarise (Q in A·h, E in W·h). */
const SUMMARY_UNITS: Record<string, string> = {
  AverageChargeVoltage: 'V',
  AverageDischargeVoltage: 'V',
  DeltaV: 'V',
  Qc: 'A·h',
  Qd: 'A·h',
  Ec: 'W·h',
  Ed: 'W·h',
  CEndPt: 'A·h',
  DEndPt: 'A·h',
};

async function readSummary(source: FileSource, options: ReaderOptions): Promise<ExtraTable> {
  const { plan } = await planGeneric(source, READER_ID);
  plan.entry = 'summary';
  plan.title = `${source.name} (Novonix cycle summary)`;
  for (const c of plan.columns) {
    if (c.label.trim() === '') c.name = 'row';
    if (c.units === '' && SUMMARY_UNITS[c.name]) c.units = SUMMARY_UNITS[c.name]!;
  }
  plan.warnings.push('units of the summary columns are not in the file; V, A·h and W·h are assumed from the data columns they summarise (Qc, Qd, Ec, Ed, average voltages)');
  // Small by construction: parse it whole and keep it.
  const file = await openTable(source, plan, { ...options, eagerBytes: MAX_SIDECAR_BYTES });
  const entry = file.entries[0]!;
  const data = await file.readColumns!('summary', entry.columns!.map((c) => c.name));
  return { entry, data };
}

export function createNovonixReader(options: ReaderOptions = {}): Reader {
  return {
    ...novonixSpec,
    async open(source: FileSource): Promise<OpenedFile> {
      const head = await source.read(0, Math.min(source.size, 4096));
      if (isNovonixSummary(head)) {
        if (source.size > MAX_SIDECAR_BYTES) throw new FormatError(source.name, 0, `a summary sidecar of at most ${MAX_SIDECAR_BYTES} bytes`, READER_ID);
        const extra = await readSummary(source, options);
        return summaryOnly(source, extra);
      }
      if (!isNovonixData(head)) throw new FormatDeclined(READER_ID, 'no "[Summary]" … Novonix header');
      const plan = await planNovonix(source);
      const extras: ExtraTable[] = [];
      if (source.path) {
        const sidecar = source.path.replace(/\.csv$/i, '') + '_metadata.csv';
        if (sidecar !== source.path && existsSync(sidecar)) {
          const side = await NodeFileSource.open(sidecar);
          try {
            if (side.size <= MAX_SIDECAR_BYTES && isNovonixSummary(await side.read(0, Math.min(side.size, 4096)))) extras.push(await readSummary(side, options));
            else plan.warnings.push(`${path.basename(sidecar)} is not a Novonix summary; ignored`);
          } finally {
            await side.close();
          }
        }
      }
      return openTable(source, plan, options, extras);
    },
  };
}

function summaryOnly(source: FileSource, extra: ExtraTable): OpenedFile {
  const entries: DatasetEntry[] = [extra.entry];
  let closed = false;
  return {
    readerId: READER_ID,
    entries,
    async readSlice(entry: string) {
      throw new FormatError(source.name, null, `entry "${entry}" is a table: tables are read by column (readColumns)`, READER_ID);
    },
    async readColumns(entry: string, names: string[]) {
      if (closed) throw new FormatError(source.name, null, 'an open file (it was closed)', READER_ID);
      if (entry !== 'summary') throw new FormatError(source.name, null, `entry "summary" (asked for "${entry}")`, READER_ID);
      const out: Record<string, ColumnArray> = {};
      for (const n of names) {
        const col = extra.entry.columns!.find((c) => c.name === n || c.sourceName === n);
        const v = col ? extra.data[col.name] : undefined;
        if (!v) throw new FormatError(source.name, null, `a column named "${n}" in entry "summary"`, READER_ID);
        out[n] = v.slice();
      }
      return out;
    },
    async close() {
      if (closed) return;
      closed = true;
      await source.close();
    },
  };
}

export const novonixReader: Reader = createNovonixReader();
