/**
 * Arbin reader: .res (Access database), CSV export (+ `<name>_Metadata.csv` sidecar) and .xlsx
 * export → one table entry 'data' with the records; a .res with per-cycle statistics adds a
 * 'statistics' table. Everything is parsed at open (the containers are not seekable by row: a Jet
 * database, a zipped XML sheet, or a CSV whose rows are counted anyway) and cached; readColumns
 * returns copies.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Column, DatasetEntry, MetaTree, NormalisedMetadata } from '../../api/dataset.js';
import type { FileSource } from '../file-source.js';
import { checkedSize, FormatDeclined, FormatError, MAX_ALLOCATION_BYTES } from '../format-error.js';
import type { NumericArray, OpenedFile, Reader } from '../types.js';
import { isZipMagic, ZipArchive } from '../zip-archive.js';
import { unixToIso, type ArbinColumn } from './columns.js';
import { isArbinHeader, parseArbinCsv, parseArbinMetadataCsv, READER_ID } from './parse-csv.js';
import { hasJetMagic, parseArbinRes } from './parse-res.js';
import { parseArbinXlsx } from './parse-xlsx.js';
import { arbinSpec, firstLine } from './spec.js';

export const MAX_RES_BYTES = MAX_ALLOCATION_BYTES;
export const MAX_CSV_BYTES = 512 * 1024 * 1024;
const MAX_SIDECAR_BYTES = 1024 * 1024;

interface TableData {
  entry: DatasetEntry;
  data: Float64Array[];
}

function tableEntry(
  entry: string,
  title: string,
  cols: ArbinColumn[],
  data: Float64Array[],
  rowCount: number,
  metadata: NormalisedMetadata,
  original: MetaTree,
  warnings: string[],
): TableData {
  const columns: Column[] = cols.map((c) => ({ name: c.name, units: c.units, dtype: c.dtype, sourceName: c.sourceName ?? c.name }));
  return {
    entry: {
      entry,
      kind: 'table',
      title,
      dtype: 'float64',
      shape: [rowCount],
      axes: [{ name: 'row', units: '', size: rowCount, scale: 1, offset: 0, navigate: false }],
      columns,
      metadata,
      original,
      warnings,
    },
    data,
  };
}

class ArbinOpenedFile implements OpenedFile {
  readonly readerId = READER_ID;
  readonly entries: DatasetEntry[];
  private closed = false;
  constructor(
    private readonly source: FileSource,
    private readonly tables: TableData[],
  ) {
    this.entries = tables.map((t) => t.entry);
  }

  async readSlice(entry: string): Promise<NumericArray> {
    throw new FormatError(this.source.name, null, `entry "${entry}" is a table: tables are read by column (readColumns)`, READER_ID);
  }

  async readColumns(entry: string, names: string[], signal?: AbortSignal): Promise<Record<string, Float64Array>> {
    if (this.closed) throw new FormatError(this.source.name, null, 'an open file (it was closed)', READER_ID);
    if (signal?.aborted) throw signal.reason ?? new Error('aborted');
    const t = this.tables.find((x) => x.entry.entry === entry);
    if (!t) throw new FormatError(this.source.name, null, `an entry named "${entry}" (have: ${this.entries.map((e) => e.entry).join(', ')})`, READER_ID);
    const cols = t.entry.columns!;
    const out: Record<string, Float64Array> = {};
    for (const n of names) {
      let i = cols.findIndex((c) => c.name === n);
      if (i < 0) i = cols.findIndex((c) => c.sourceName === n);
      if (i < 0) throw new FormatError(this.source.name, null, `a column named "${n}" (have: ${cols.map((c) => c.name).join(', ')})`, READER_ID);
      out[n] = t.data[i]!.slice();
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.source.close();
  }
}

async function openRes(source: FileSource): Promise<OpenedFile> {
  const size = checkedSize(source.size, source.name, 0, 'file size', MAX_RES_BYTES);
  const res = parseArbinRes(await source.read(0, size), source.name);
  const g = res.global[0] ?? {};
  const meta: NormalisedMetadata = { title: res.title ?? source.name };
  const sw = typeof g.Software_Version === 'string' ? g.Software_Version : undefined;
  meta.instrument = sw ? `Arbin MITS Pro ${sw}` : 'Arbin';
  if (res.startIso) meta.acquisitionTime = res.startIso;
  if (typeof g.Schedule_File_Name === 'string' && g.Schedule_File_Name) meta.technique = g.Schedule_File_Name;
  const original: MetaTree = { container: 'res', global: res.global, tables: res.tables, version: res.version ?? null };
  const tables = [tableEntry('data', meta.title ?? source.name, res.data.columns, res.data.data, res.data.rowCount, meta, original, res.warnings)];
  if (res.statistics) {
    const s = res.statistics;
    tables.push(tableEntry('statistics', `${meta.title ?? source.name} — Channel_Statistic_Table`, s.columns, s.data, s.rowCount, meta, { container: 'res', table: 'Channel_Statistic_Table' }, []));
  }
  return new ArbinOpenedFile(source, tables);
}

async function openXlsx(source: FileSource): Promise<OpenedFile> {
  const zip = await ZipArchive.open(source, READER_ID);
  if (!zip.find('xl/workbook.xml')) throw new FormatDeclined(READER_ID, 'ZIP archive without xl/workbook.xml (not an .xlsx)');
  const x = await parseArbinXlsx(zip, source.name);
  const meta: NormalisedMetadata = { title: source.name.replace(/\.xlsx$/i, ''), instrument: 'Arbin' };
  const gi = x.globalInfo;
  if (typeof gi['Test Name'] === 'string' && gi['Test Name']) meta.title = gi['Test Name'];
  if (typeof gi['Software Version'] === 'string' && gi['Software Version']) meta.instrument = `Arbin ${gi['Software Version']}`;
  if (typeof gi['Schedule File Name'] === 'string' && gi['Schedule File Name']) meta.technique = gi['Schedule File Name'];
  if (x.startIso) meta.acquisitionTime = x.startIso;
  const original: MetaTree = { container: 'xlsx', sheets: x.sheets, dataSheets: x.dataSheets, globalInfo: x.globalInfo };
  return new ArbinOpenedFile(source, [tableEntry('data', meta.title ?? source.name, x.columns, x.data, x.rowCount, meta, original, x.warnings)]);
}

/** `<dir>/<stem>_Metadata.csv` next to a CSV export, when the source is a file on disk. */
async function readSidecar(source: FileSource): Promise<{ tree: MetaTree | null; name?: string; warning?: string }> {
  if (!source.path) return { tree: null, warning: 'no path for the source: the _Metadata.csv sidecar was not looked for' };
  const dir = path.dirname(source.path);
  const stem = path.basename(source.path).replace(/\.csv$/i, '');
  const p = path.join(dir, `${stem}_Metadata.csv`);
  try {
    const st = await stat(p);
    if (st.size > MAX_SIDECAR_BYTES) return { tree: null, warning: `${path.basename(p)} is larger than ${MAX_SIDECAR_BYTES} bytes; ignored` };
    const tree = parseArbinMetadataCsv(new Uint8Array(await readFile(p)));
    return tree ? { tree, name: path.basename(p) } : { tree: null, warning: `${path.basename(p)} is not a header + values CSV; ignored` };
  } catch {
    return { tree: null };
  }
}

function pick(tree: MetaTree | null, key: string): MetaTree[string] | undefined {
  if (!tree) return undefined;
  const k = Object.keys(tree).find((x) => x.toLowerCase() === key);
  return k === undefined ? undefined : tree[k];
}

async function openCsv(source: FileSource): Promise<OpenedFile> {
  const size = checkedSize(source.size, source.name, 0, 'file size', MAX_CSV_BYTES);
  const csv = parseArbinCsv(await source.read(0, size), source.name);
  const side = await readSidecar(source);
  const warnings = [...csv.warnings];
  if (side.warning) warnings.push(side.warning);
  const meta: NormalisedMetadata = { title: source.name.replace(/\.csv$/i, ''), instrument: 'Arbin' };
  const first = pick(side.tree, 'first_start_datetime');
  // BEEP's sidecars hold Unix seconds here (1494645214 = 2017-05-13T03:13:34Z).
  if (typeof first === 'number') {
    const iso = unixToIso(first);
    if (iso) meta.acquisitionTime = iso;
  }
  const sched = pick(side.tree, 'schedule_file_name');
  if (typeof sched === 'string' && sched) meta.technique = sched;
  const original: MetaTree = { container: 'csv', delimiter: csv.delimiter, sidecar: side.tree, sidecarFile: side.name ?? null };
  return new ArbinOpenedFile(source, [tableEntry('data', meta.title ?? source.name, csv.columns, csv.data, csv.rowCount, meta, original, warnings)]);
}

export const arbinReader: Reader = {
  ...arbinSpec,
  async open(source: FileSource): Promise<OpenedFile> {
    const head = await source.read(0, Math.min(source.size, 4096));
    if (hasJetMagic(head)) return openRes(source);
    if (isZipMagic(head)) return openXlsx(source);
    const line = firstLine(head);
    if (line !== null && isArbinHeader(line)) return openCsv(source);
    throw new FormatDeclined(READER_ID, 'not an Access database, a workbook, or a CSV with an Arbin header');
  },
};
