/**
 * Neware .nda / .ndax reader: one table entry 'data' with one row per record.
 *
 * Both containers are parsed whole at open (records are fixed-size binary and the largest real
 * files are a few hundred MB; an .ndax's members are inflated one at a time with their declared
 * sizes checked first), and the columns are cached as Float64Arrays; readColumns hands out copies.
 */
import type { DatasetEntry, MetaTree, NormalisedMetadata } from '../../api/dataset.js';
import type { FileSource } from '../file-source.js';
import { checkedSize, FormatDeclined, FormatError, MAX_ALLOCATION_BYTES } from '../format-error.js';
import type { NumericArray, OpenedFile, Reader } from '../types.js';
import { mapRecords, stepTypeTable, type MappedTable } from './map-records.js';
import { hasNdaMagic, ndaMetadata, parseNda } from './parse-nda.js';
import { READER_ID } from './parse-ndc.js';
import { parseNdax } from './parse-ndax.js';
import type { NewareRecords } from './records.js';
import { newareSpec } from './spec.js';
import { isZipMagic, ZipArchive } from '../zip-archive.js';

/** Largest .nda read into memory. */
export const MAX_NDA_BYTES = MAX_ALLOCATION_BYTES;

function metaString(tree: MetaTree | undefined, ...path: string[]): string | undefined {
  let v: unknown = tree;
  for (const p of path) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[p];
  }
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

/** "2025-09-24 15:20:56" → "2025-09-24T15:20:56" (local time, no zone: TestInfo states none). */
function isoLocal(s: string | undefined): string | undefined {
  if (!s) return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/.exec(s);
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}` : undefined;
}

function isoFromSeconds(t: number, zone: 'utc' | 'local'): string | undefined {
  if (!Number.isFinite(t)) return undefined;
  const iso = new Date(Math.round(t * 1000)).toISOString();
  return zone === 'utc' ? iso : iso.slice(0, -1);
}

function buildEntry(source: FileSource, rec: NewareRecords, mapped: MappedTable, original: MetaTree, meta: NormalisedMetadata): DatasetEntry {
  return {
    entry: 'data',
    kind: 'table',
    title: meta.title ?? source.name,
    dtype: 'float64',
    shape: [mapped.rowCount],
    axes: [{ name: 'row', units: '', size: mapped.rowCount, scale: 1, offset: 0, navigate: false }],
    columns: mapped.columns,
    metadata: meta,
    original: { ...original, layout: rec.layout, timestampZone: rec.timestampZone, stepTypes: stepTypeTable() },
    warnings: [...rec.warnings, ...mapped.warnings],
  };
}

class NewareOpenedFile implements OpenedFile {
  readonly readerId = READER_ID;
  private closed = false;
  constructor(
    private readonly source: FileSource,
    readonly entries: DatasetEntry[],
    private readonly mapped: MappedTable,
  ) {}

  async readSlice(entry: string): Promise<NumericArray> {
    throw new FormatError(this.source.name, null, `entry "${entry}" is a table: tables are read by column (readColumns)`, READER_ID);
  }

  async readColumns(entry: string, names: string[], signal?: AbortSignal): Promise<Record<string, Float64Array>> {
    if (entry !== 'data') throw new FormatError(this.source.name, null, `entry "data" (asked for "${entry}")`, READER_ID);
    if (this.closed) throw new FormatError(this.source.name, null, 'an open file (it was closed)', READER_ID);
    if (signal?.aborted) throw signal.reason ?? new Error('aborted');
    const cols = this.mapped.columns;
    const out: Record<string, Float64Array> = {};
    for (const n of names) {
      let i = cols.findIndex((c) => c.name === n);
      if (i < 0) i = cols.findIndex((c) => c.sourceName === n);
      if (i < 0) throw new FormatError(this.source.name, null, `a column named "${n}" (have: ${cols.map((c) => c.name).join(', ')})`, READER_ID);
      out[n] = this.mapped.data[i]!.slice();
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.source.close();
  }
}

async function openNda(source: FileSource): Promise<OpenedFile> {
  const size = checkedSize(source.size, source.name, 0, 'file size', MAX_NDA_BYTES);
  const bytes = await source.read(0, size);
  const rec = parseNda(bytes, source.name);
  const header = ndaMetadata(bytes);
  const mapped = mapRecords(rec);
  const meta: NormalisedMetadata = { instrument: 'Neware BTS', title: source.name.replace(/\.nda$/i, '') };
  if (typeof header.serverVersion === 'string' && header.serverVersion) meta.instrument = `Neware ${header.serverVersion}`;
  const t0 = isoFromSeconds(rec.columns.timestamp[0] ?? NaN, rec.timestampZone);
  if (t0) meta.acquisitionTime = t0;
  if (typeof header.activeMass_mg === 'number' && header.activeMass_mg > 0) meta.activeMass = { value: header.activeMass_mg, unit: 'mg' };
  return new NewareOpenedFile(source, [buildEntry(source, rec, mapped, { container: 'nda', header }, meta)], mapped);
}

async function openNdax(source: FileSource): Promise<OpenedFile> {
  const zip = await ZipArchive.open(source, READER_ID);
  if (!zip.find('data.ndc')) throw new FormatDeclined(READER_ID, 'ZIP archive without a data.ndc member (not an .ndax)');
  const c = await parseNdax(zip, source.name);
  const mapped = mapRecords(c.records);
  const meta: NormalisedMetadata = { instrument: 'Neware BTS' };
  const server = metaString(c.xml, 'VersionInfo', 'config', 'ZwjVersion', 'SvrVer');
  if (server) meta.instrument = `Neware ${server}`;
  const barcode = metaString(c.xml, 'TestInfo', 'config', 'TestInfo', 'Barcode');
  const remark = metaString(c.xml, 'TestInfo', 'config', 'TestInfo', 'Remark');
  meta.title = barcode ?? remark ?? source.name.replace(/\.ndax$/i, '');
  const start = isoLocal(metaString(c.xml, 'TestInfo', 'config', 'TestInfo', 'StartTime'));
  const t0 = start ?? isoFromSeconds(c.records.columns.timestamp[0] ?? NaN, c.records.timestampZone);
  if (t0) meta.acquisitionTime = t0;
  const stepFile = metaString(c.xml, 'TestInfo', 'config', 'TestInfo', 'StepName');
  if (stepFile) meta.technique = stepFile;
  return new NewareOpenedFile(source, [buildEntry(source, c.records, mapped, { container: 'ndax', members: c.members, xml: c.xml }, meta)], mapped);
}

export const newareReader: Reader = {
  ...newareSpec,
  async open(source: FileSource): Promise<OpenedFile> {
    const head = await source.read(0, Math.min(source.size, 64));
    if (hasNdaMagic(head)) return openNda(source);
    if (isZipMagic(head)) return openNdax(source);
    throw new FormatDeclined(READER_ID, 'neither "NEWARE" (.nda) nor a ZIP archive (.ndax)');
  },
};
