/**
 * Reader for BioLogic EC-Lab binary files (.mpr): walks the modules at open (headers, settings,
 * LOG, loops, ExtDev — a few kB), and reads the data records only when columns are asked for,
 * in chunks, straight from the bytes into one Float64Array per requested column.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Column, ColumnArray, DatasetEntry, NormalisedMetadata, Quantity, Selection } from '../../api/dataset.js';
import { NodeFileSource, type FileSource } from '../file-source.js';
import { checkedSize, FormatDeclined, FormatError } from '../format-error.js';
import type { NumericArray, OpenedFile, Reader } from '../types.js';
import { mapColumnLabels } from '../biologic-mpt/columns.js';
import { biologicMptReader } from '../biologic-mpt/reader.js';
import type { LabelContext } from './column-ids.js';
import {
  buildLayout,
  checkMagic,
  DATA_HEADER_BYTES,
  compileRecordDecoder,
  STORED_ARRAY,
  inferUnknownTypes,
  knownBytes,
  MODULE_HEADER_NEW,
  originalTree,
  parseDataHeader,
  parseExtDev,
  parseLog,
  parseLoops,
  parseModuleHeader,
  parseSettings,
  READER_ID,
  type MprColumn,
  type MprDataHeader,
  type MprExtDevChannel,
  type MprLog,
  type MprLoops,
  type MprModule,
  type MprSettings,
  type MptReference,
  type RecordLayout,
} from './parse-mpr.js';
import { biologicMprSpec, MPR_MAGIC_BYTES, startsWithMprSignature } from './spec.js';
import { readRecordColumns, type RecordDecoderKind } from './record-columns.js';

/** Settings, LOG, loop and ExtDev bodies are a few kB; a larger one is not an EC-Lab module. */
const MAX_SMALL_MODULE = 16 * 1024 * 1024;
/** Rows of a sibling .mpt compared when inferring unknown columns. */
const SAMPLE_ROWS = 64;
// Records are decoded in one pass per chunk while the next chunk is read; 1 MiB keeps the chunk in
// cache and the read short enough to overlap (measured in bench/echem-mpr.ts).
const CHUNK_BYTES = 1024 * 1024;

export interface MprReaderOptions {
  /** Bytes per read while decoding records (tests make it small to cross chunk edges). */
  chunkBytes?: number;
  /** Look for a sibling .mpt when the file has unknown column IDs (default true). */
  useSiblingMpt?: boolean;
  /** 'auto' (WebAssembly gathers where available) or 'js' (the compiled JS pass; tests compare). */
  decoder?: RecordDecoderKind;
}

interface Parsed {
  modules: MprModule[];
  settings?: MprSettings;
  data: MprDataHeader;
  layout: RecordLayout;
  log?: MprLog;
  loops?: MprLoops;
  extDev?: MprExtDevChannel[];
  warnings: string[];
  /** Position → sibling .mpt label that agreed with an unknown column. */
  mptLabels: Map<number, string>;
}

async function walkModules(source: FileSource): Promise<MprModule[]> {
  const modules: MprModule[] = [];
  let offset = MPR_MAGIC_BYTES;
  while (offset < source.size) {
    const bytes = await source.read(offset, Math.min(source.size - offset, 6 + MODULE_HEADER_NEW));
    const mod = parseModuleHeader(bytes, offset, source.size, source.name);
    modules.push(mod);
    offset = mod.bodyOffset + mod.length;
  }
  return modules;
}

async function readSmall(source: FileSource, mod: MprModule): Promise<Uint8Array> {
  const n = checkedSize(mod.length, source.name, mod.offset + 6, `"${mod.shortName}" module length`, MAX_SMALL_MODULE);
  return source.read(mod.bodyOffset, n);
}

/** The .mpt of the same base name in the same directory, if any (EC-Lab exports next to the .mpr). */
function siblingMpt(source: FileSource): string | undefined {
  if (!source.path) return undefined;
  const dir = path.dirname(source.path);
  const base = path.basename(source.path).replace(/\.mpr$/i, '');
  try {
    const hit = readdirSync(dir).find((f) => f.toLowerCase() === `${base.toLowerCase()}.mpt`);
    return hit && existsSync(path.join(dir, hit)) ? path.join(dir, hit) : undefined;
  } catch {
    return undefined;
  }
}

async function loadReference(file: string, positions: number): Promise<MptReference> {
  const src = await NodeFileSource.open(file);
  try {
    const opened = await biologicMptReader.open(src);
    const entry = opened.entries[0]!;
    const cols = (entry.columns ?? []).slice(0, positions);
    const data = await opened.readColumns!('data', cols.map((c) => c.name));
    await opened.close();
    return {
      labels: cols.map((c) => c.sourceName ?? c.name),
      names: cols.map((c) => c.name),
      values: cols.map((c) => data[c.name]?.slice(0, SAMPLE_ROWS)),
    };
  } finally {
    await src.close();
  }
}

async function parse(source: FileSource, useSibling: boolean): Promise<Parsed> {
  const file = source.name;
  checkMagic(await source.read(0, Math.min(source.size, MPR_MAGIC_BYTES)), file);
  const modules = await walkModules(source);
  const warnings: string[] = [];
  const byName = (n: string) => modules.filter((m) => m.shortName === n);
  const dataMods = byName('VMP data');
  if (dataMods.length === 0) throw new FormatError(file, null, `a "VMP data" module (found: ${modules.map((m) => m.shortName).join(', ') || 'none'})`, READER_ID);
  if (dataMods.length > 1) warnings.push(`${dataMods.length} data modules; the first (@ byte ${dataMods[0]!.offset}) is read`);
  const known = new Set(['VMP Set', 'VMP data', 'VMP LOG', 'VMP loop', 'VMP ExtDev']);
  for (const m of modules) if (!known.has(m.shortName)) warnings.push(`module "${m.shortName}" (${m.longName}) @ byte ${m.offset} is not interpreted`);

  const setMod = byName('VMP Set')[0];
  let settings: MprSettings | undefined;
  if (setMod) settings = parseSettings(await readSmall(source, setMod), setMod.bodyOffset, warnings);
  else warnings.push('no settings module: technique and cell characteristics unknown');
  const logMod = byName('VMP LOG')[0];
  const log = logMod ? parseLog(await readSmall(source, logMod), logMod.bodyOffset, setMod?.isoDate, warnings) : undefined;
  const loopMod = byName('VMP loop')[0];
  const loops = loopMod ? parseLoops(await readSmall(source, loopMod), loopMod.bodyOffset, file) : undefined;
  const extMod = byName('VMP ExtDev')[0];
  const extDev = extMod ? parseExtDev(await readSmall(source, extMod)) : undefined;

  const dataMod = dataMods[0]!;
  const data = parseDataHeader(dataMod, await source.read(dataMod.bodyOffset, Math.min(dataMod.length, DATA_HEADER_BYTES)), file);
  const ctx: LabelContext = { techniqueId: settings?.techniqueId, ecLab1150: dataMod.headerLayout === '11.50', ids: data.columnIds };
  const { bytes: knownRecordBytes, unknown } = knownBytes(data.columnIds, ctx);
  const rows = data.rowCount;
  if (data.columnIds.length === 0 && rows > 0) throw new FormatError(file, data.rowCountOffset + 4, `at least one column for ${rows} rows`, READER_ID);

  let recordBytes: number | null = null;
  let mptLabels = new Map<number, string>();
  let layout: RecordLayout;
  if (unknown.length === 0) {
    layout = buildLayout(data.columnIds, ctx, new Map());
    recordBytes = layout.recordBytes;
  } else {
    if (rows > 0) {
      if (data.recordsBytes % rows !== 0) {
        throw new FormatError(file, data.rowCountOffset, `${rows} rows to divide the ${data.recordsBytes} record bytes evenly (needed to size unknown column IDs ${unknown.map((k) => data.columnIds[k]).join(', ')})`, READER_ID);
      }
      recordBytes = data.recordsBytes / rows;
    }
    const sampleRows = Math.min(rows, SAMPLE_ROWS);
    const sample = recordBytes === null ? new Uint8Array(0) : await source.read(data.recordsOffset, sampleRows * recordBytes);
    let reference: MptReference | undefined;
    const mptPath = useSibling && rows > 0 ? siblingMpt(source) : undefined;
    if (mptPath) {
      try {
        reference = await loadReference(mptPath, data.columnIds.length);
      } catch (e) {
        warnings.push(`sibling ${path.basename(mptPath)} could not be read for cross-checking: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    const inferred = inferUnknownTypes(data.columnIds, ctx, recordBytes, sample, sampleRows, reference, file, data.recordsOffset);
    mptLabels = inferred.mptLabels;
    layout = buildLayout(data.columnIds, ctx, inferred.types);
    for (const k of unknown) {
      const c = layout.columns[k]!;
      const id = data.columnIds[k]!;
      let w = `column ID ${id} (position ${k}) is not in the ID table: read as ${c.type} from the ${inferred.basis}`;
      if (recordBytes !== null) w += ` (record ${recordBytes} bytes, known columns ${knownRecordBytes})`;
      w += `, named "unknown column ${id}"`;
      const label = mptLabels.get(k);
      if (label !== undefined) w += `; the sibling .mpt's column ${k} "${label}" has the same values`;
      else if (reference) w += `; the sibling .mpt's column ${k} (${reference.labels[k] ?? 'absent'}) does not match it`;
      warnings.push(w);
    }
  }
  if (rows > 0) {
    const rec = layout.recordBytes;
    // Never trust the row count: it must fit in the module before anything is sized by it.
    if (rows * rec > data.recordsBytes) {
      throw new FormatError(file, data.rowCountOffset, `${rows} rows × ${rec} bytes within the ${data.recordsBytes} bytes of the data module's records`, READER_ID);
    }
    if (rows * rec < data.recordsBytes) warnings.push(`${data.recordsBytes - rows * rec} bytes after the last record of the data module are not interpreted`);
  }
  return { modules, settings, data, layout, log, loops, extDev, warnings, mptLabels };
}

/** EC-Lab's placeholder for a value nobody entered (the .mpt reader reports it the same way). */
const DEFAULT_ENTRY = 0.001;

/**
 * The sweep rate of CV, CVA and LSV ("dE/dt" with its "dE/dt unit"), when every sequence has the
 * same one and its unit code is known; the full table stays in original.settings.techniqueParams.
 */
function scanRate(params: MprSettings['techniqueParams']): Quantity | undefined {
  const v = params?.['dE/dt'];
  const u = params?.['dE/dt unit'];
  if (!v || !u || v.length === 0) return undefined;
  const value = v[0];
  const unit = u[0];
  if (typeof value !== 'number' || typeof unit !== 'string') return undefined;
  if (!v.every((x) => x === value) || !u.every((x) => x === unit)) return undefined;
  return { value, unit };
}

function buildEntry(source: FileSource, p: Parsed): DatasetEntry {
  const labels = p.layout.columns.map((c) => c.label);
  const mapped = mapColumnLabels(labels);
  const columns: Column[] = p.layout.columns.map((c, k) => ({
    name: mapped[k]!.name,
    units: mapped[k]!.units,
    dtype: c.dtype,
    sourceName: c.known ? c.label : `column ID ${c.id}`,
  }));
  const warnings = [...p.warnings];
  const metadata: NormalisedMetadata = {};
  const s = p.settings;
  const extra: NonNullable<NormalisedMetadata['extra']> = {};
  if (s?.technique) metadata.technique = s.technique;
  if (s?.activeMass) {
    metadata.activeMass = s.activeMass;
    if (s.activeMass.value === DEFAULT_ENTRY) warnings.push('active mass 0.001 mg is EC-Lab\'s default: probably never entered');
  }
  if (s?.electrodeArea) {
    // Reported in cm², as the .mpt reader does (it converts "113.100 mm²" to 1.131 cm²).
    const a = s.electrodeArea;
    const cm2 = a.unit === 'mm²' ? Number((a.value / 100).toPrecision(9)) : a.value;
    if (cm2 === 0) warnings.push('electrode area 0: not entered, omitted');
    else {
      metadata.electrodeArea = { value: cm2, unit: 'cm²' };
      if (cm2 === DEFAULT_ENTRY) warnings.push('electrode area 0.001 cm² is EC-Lab\'s default: probably never entered');
    }
  }
  if (s?.sequences !== undefined) extra.sequences = s.sequences;
  if (s?.cycleDefinition !== undefined) extra.cycleDefinition = s.cycleDefinition;
  const rate = scanRate(s?.techniqueParams);
  if (rate) extra.scanRate = rate;
  if (s?.characteristicMass) extra.characteristicMass = s.characteristicMass;
  if (s?.batteryCapacity && s.batteryCapacity.value !== 0) extra.batteryCapacity = s.batteryCapacity;
  if (p.log?.acquisitionTime) metadata.acquisitionTime = p.log.acquisitionTime;
  else {
    const setDate = p.modules.find((m) => m.shortName === 'VMP Set')?.isoDate;
    if (setDate) {
      metadata.acquisitionTime = setDate;
      warnings.push('no LOG start time: acquisition time is the settings module date only');
    }
  }
  if (p.log?.deviceSerial !== undefined) metadata.instrument = `BioLogic (SN ${p.log.deviceSerial})`;
  if (p.log?.channel !== undefined) extra.channel = p.log.channel;
  if (p.log?.ecLabVersion) extra.ecLabVersion = p.log.ecLabVersion;
  if (Object.keys(extra).length > 0) metadata.extra = extra;
  const rows = p.data.rowCount;
  return {
    entry: 'data',
    kind: 'table',
    title: s?.technique ?? source.name,
    dtype: 'float64',
    shape: [rows],
    axes: [{ name: 'row', units: '', size: rows, scale: 1, offset: 0, navigate: false }],
    columns,
    metadata,
    original: originalTree({ modules: p.modules, settings: p.settings, data: p.data, recordBytes: p.layout.recordBytes, log: p.log, loops: p.loops, extDev: p.extDev }),
    warnings,
  };
}

class MprOpenedFile implements OpenedFile {
  readonly readerId = READER_ID;
  private closed = false;

  constructor(
    private readonly source: FileSource,
    private readonly parsed: Parsed,
    readonly entries: DatasetEntry[],
    private readonly chunkBytes: number,
    private readonly decoder: RecordDecoderKind,
  ) {}

  async readSlice(entry: string, _selection: Selection, _signal?: AbortSignal): Promise<NumericArray> {
    throw new FormatError(this.source.name, null, `entry "${entry}" is a table: tables are read by column (readColumns)`, READER_ID);
  }

  async readColumns(entry: string, names: string[], signal?: AbortSignal): Promise<Record<string, ColumnArray>> {
    if (entry !== 'data') throw new FormatError(this.source.name, null, `entry "data" (asked for "${entry}")`, READER_ID);
    if (this.closed) throw new FormatError(this.source.name, null, 'an open file (it was closed)', READER_ID);
    const described = this.entries[0]!.columns!;
    const cols: MprColumn[] = names.map((n) => {
      let i = described.findIndex((c) => c.name === n);
      if (i < 0) i = described.findIndex((c) => c.sourceName === n);
      if (i < 0) throw new FormatError(this.source.name, null, `a column named "${n}" (have: ${described.map((c) => c.name).join(', ')})`, READER_ID);
      return this.parsed.layout.columns[i]!;
    });
    const rows = this.parsed.data.rowCount;
    const rec = this.parsed.layout.recordBytes;
    // rows × rec was checked against the module length at open; at most 8 bytes per row per column.
    checkedSize(rows * 8, this.source.name, this.parsed.data.rowCountOffset, 'column bytes', Number.MAX_SAFE_INTEGER);
    const outs = await readRecordColumns({
      source: this.source,
      start: this.parsed.data.recordsOffset,
      rows,
      recordBytes: rec,
      cols,
      chunkBytes: this.chunkBytes,
      signal,
      decoder: this.decoder,
    });
    const out: Record<string, ColumnArray> = {};
    names.forEach((n, k) => (out[n] = outs[k]!));
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.source.close();
  }
}

export function createBiologicMprReader(options: MprReaderOptions = {}): Reader {
  const chunkBytes = Math.max(1, options.chunkBytes ?? CHUNK_BYTES);
  const useSibling = options.useSiblingMpt ?? true;
  return {
    ...biologicMprSpec,
    async open(source: FileSource): Promise<OpenedFile> {
      const head = await source.read(0, Math.min(source.size, MPR_MAGIC_BYTES));
      if (!startsWithMprSignature(head)) throw new FormatDeclined(READER_ID, 'first bytes are not "BIO-LOGIC MODULAR FILE"');
      const parsed = await parse(source, useSibling);
      return new MprOpenedFile(source, parsed, [buildEntry(source, parsed)], chunkBytes, options.decoder ?? 'auto');
    },
  };
}

export const biologicMprReader: Reader = createBiologicMprReader();

