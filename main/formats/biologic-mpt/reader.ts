/**
 * BioLogic EC-Lab .mpt reader: one table entry 'data' whose columns are the file's columns.
 *
 * Files up to EAGER_BYTES are parsed in one pass at open and kept; larger ones (a million-row
 * GCPL export is ~150 MB) are streamed once at open to count and check rows, and streamed again
 * per readColumns call converting only the requested columns — so memory holds only what was
 * asked for (DESIGN.md "Data is read lazily").
 */
import type { DatasetEntry, NormalisedMetadata } from '../../api/dataset.js';
import type { FileSource } from '../file-source.js';
import { FormatDeclined, FormatError } from '../format-error.js';
import type { NumericArray, OpenedFile, Reader } from '../types.js';
import {
  estimateRows,
  headerTree,
  locateHeader,
  MptDataParser,
  parseMptHeader,
  READER_ID,
  type MptData,
  type MptHeader,
} from './parse-mpt.js';
import { biologicMptSpec, startsWithMptMagic } from './spec.js';

/** Data sections up to this size are parsed whole at open. */
export const EAGER_BYTES = 64 * 1024 * 1024;
export const CHUNK_BYTES = 8 * 1024 * 1024;

export interface MptReaderOptions {
  /** Parse at open and cache when the data section is at most this many bytes. */
  eagerBytes?: number;
  /** Read size while streaming the data section. */
  chunkBytes?: number;
}
/** Headers are a few kB; anything past this is not an EC-Lab header. */
const MAX_HEADER_BYTES = 16 * 1024 * 1024;

async function readHeader(source: FileSource): Promise<MptHeader> {
  let len = Math.min(source.size, 64 * 1024);
  for (;;) {
    const bytes = await source.read(0, len);
    const atEof = len === source.size;
    const loc = locateHeader(bytes, source.name, atEof);
    if (loc.complete) return parseMptHeader(bytes.subarray(0, loc.dataOffset), source.name, true);
    if (len >= MAX_HEADER_BYTES) {
      throw new FormatError(source.name, len, `a header within ${MAX_HEADER_BYTES} bytes`, READER_ID);
    }
    len = Math.min(source.size, len * 4, MAX_HEADER_BYTES);
  }
}

async function streamData(
  source: FileSource,
  header: MptHeader,
  wanted: boolean[],
  chunkBytes: number,
  signal?: AbortSignal,
): Promise<MptData> {
  const start = header.dataOffset;
  const parser = new MptDataParser(
    source.name,
    header.columns.length,
    wanted,
    start,
    header.nbHeaderLines + 1,
    estimateRows(source.size - start, header.columns.length),
  );
  for (let off = start; off < source.size; off += chunkBytes) {
    if (signal?.aborted) throw signal.reason ?? new Error('aborted');
    parser.push(await source.read(off, Math.min(chunkBytes, source.size - off)));
  }
  return parser.finish();
}

function buildEntry(source: FileSource, header: MptHeader, data: MptData): DatasetEntry {
  const metadata: NormalisedMetadata = {};
  if (header.technique !== undefined) metadata.technique = header.technique;
  if (header.activeMass) metadata.activeMass = header.activeMass;
  if (header.electrodeArea) metadata.electrodeArea = header.electrodeArea;
  if (header.acquisitionTime !== undefined) metadata.acquisitionTime = header.acquisitionTime;
  if (header.instrument !== undefined) metadata.instrument = header.instrument;
  const extra: NonNullable<NormalisedMetadata['extra']> = {};
  if (header.characteristicMass) extra.characteristicMass = header.characteristicMass;
  if (header.batteryCapacity) extra.batteryCapacity = header.batteryCapacity;
  if (data.decimalSeparator) extra.decimalSeparator = data.decimalSeparator;
  if (Object.keys(extra).length > 0) metadata.extra = extra;
  const warnings = [...header.warnings];
  const unknown = header.columns.filter((c) => !c.known).map((c) => c.sourceName ?? c.name);
  if (unknown.length > 0) warnings.push(`columns kept under their raw labels (not in the known list): ${unknown.join(', ')}`);
  return {
    entry: 'data',
    kind: 'table',
    title: header.technique ?? source.name,
    dtype: 'float64',
    shape: [data.rowCount],
    axes: [{ name: 'row', units: '', size: data.rowCount, scale: 1, offset: 0, navigate: false }],
    columns: header.columns.map((c) => ({ name: c.name, units: c.units, dtype: c.dtype, sourceName: c.sourceName ?? c.name })),
    metadata,
    original: headerTree(header, data.decimalSeparator),
    warnings,
  };
}

class MptOpenedFile implements OpenedFile {
  readonly readerId = READER_ID;
  private closed = false;

  constructor(
    private readonly source: FileSource,
    private readonly header: MptHeader,
    readonly entries: DatasetEntry[],
    private cache: MptData | null,
    private readonly chunkBytes: number,
  ) {}

  async readSlice(entry: string, _selection: unknown, _signal?: AbortSignal): Promise<NumericArray> {
    throw new FormatError(this.source.name, null, `entry "${entry}" is a table: tables are read by column (readColumns)`, READER_ID);
  }

  async readColumns(entry: string, names: string[], signal?: AbortSignal): Promise<Record<string, Float64Array>> {
    if (entry !== 'data') throw new FormatError(this.source.name, null, `entry "data" (asked for "${entry}")`, READER_ID);
    if (this.closed) throw new FormatError(this.source.name, null, 'an open file (it was closed)', READER_ID);
    const cols = this.header.columns;
    const indices = names.map((n) => {
      let i = cols.findIndex((c) => c.name === n);
      if (i < 0) i = cols.findIndex((c) => c.sourceName === n);
      if (i < 0) throw new FormatError(this.source.name, null, `a column named "${n}" (have: ${cols.map((c) => c.name).join(', ')})`, READER_ID);
      return i;
    });
    let data = this.cache;
    if (!data) {
      const wanted = cols.map((_, i) => indices.includes(i));
      data = await streamData(this.source, this.header, wanted, this.chunkBytes, signal);
    }
    const out: Record<string, Float64Array> = {};
    names.forEach((n, k) => {
      const arr = data.columns[indices[k]!];
      if (!arr) throw new FormatError(this.source.name, null, `column "${n}" to be parsed`, READER_ID);
      // Copies: callers own what they receive and cannot corrupt the cache.
      out[n] = this.cache ? arr.slice() : arr;
    });
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cache = null;
    await this.source.close();
  }
}

/** A reader with non-default thresholds (tests use it to exercise the streaming path). */
export function createBiologicMptReader(options: MptReaderOptions = {}): Reader {
  const eagerBytes = options.eagerBytes ?? EAGER_BYTES;
  const chunkBytes = Math.max(1, options.chunkBytes ?? CHUNK_BYTES);
  return {
    ...biologicMptSpec,
    async open(source: FileSource): Promise<OpenedFile> {
      const head = await source.read(0, Math.min(source.size, 64));
      if (!startsWithMptMagic(head)) throw new FormatDeclined(READER_ID, 'first line is not "EC-Lab ASCII FILE"');
      const header = await readHeader(source);
      const eager = source.size - header.dataOffset <= eagerBytes;
      // Lazy files still get one full pass here: the row count is part of the entry and every
      // row's shape is checked before anything is shown. One float column is converted so the
      // decimal separator is known.
      const probe = header.columns.findIndex((c) => c.dtype === 'float64');
      const data = await streamData(source, header, header.columns.map((_, i) => eager || i === probe), chunkBytes);
      return new MptOpenedFile(source, header, [buildEntry(source, header, data)], eager ? data : null, chunkBytes);
    },
  };
}

export const biologicMptReader: Reader = createBiologicMptReader();
