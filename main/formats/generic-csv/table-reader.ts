/**
 * The OpenedFile shared by the delimited-text cycler readers: a vendor module parses its header
 * into a TablePlan (where the data start, the columns with their normalised names, units and cell
 * kinds, metadata); this module streams the data section through TableParser.
 *
 * Files whose data section is at most EAGER_BYTES are parsed whole at open and cached. Larger
 * ones are streamed once at open (row count, row shapes, category legends, re-signing check) and
 * again per readColumns call converting only the requested columns, so memory holds only what was
 * asked for (DESIGN.md "Data is read lazily"), as in the biologic-mpt reader.
 */
import type { Column, ColumnArray, DatasetEntry, DType, MetaTree, NormalisedMetadata } from '../../api/dataset.js';
import type { FileSource } from '../file-source.js';
import { FormatError } from '../format-error.js';
import type { NumericArray, OpenedFile } from '../types.js';
import {
  decodeText,
  detectNumberStyle,
  inferKinds,
  splitLine,
  splitLines,
  TableParser,
  type CellKind,
  type NumberStyle,
  type ParsedTable,
  type TableLayout,
  type TextLine,
} from './text-table.js';
import { splitLabel } from './units.js';

export const EAGER_BYTES = 64 * 1024 * 1024;
export const CHUNK_BYTES = 8 * 1024 * 1024;
/** Bytes read at open for the header and the head sample. */
export const HEAD_BYTES = 1024 * 1024;
/** Bytes read from the end of the file for the tail sample. */
const TAIL_BYTES = 64 * 1024;
const SAMPLE_ROWS = 200;

export interface ColumnPlan {
  /** Verbatim vendor label. */
  label: string;
  name: string;
  units: string;
  dtype: DType;
  kind: CellKind;
  /**
   * Re-sign from a state column: rows whose state label is in `negative` get −|v|, in `positive`
   * +|v|, others are kept. Idempotent on files that are already signed that way.
   */
  signBy?: { by: number; negative: string[]; positive: string[]; why: string };
}

export interface TablePlan {
  readerId: string;
  entry: string;
  title: string;
  delimiter: number;
  style: NumberStyle;
  dayFirst?: boolean;
  unwrapLineQuotes?: boolean;
  dataOffset: number;
  firstLine: number;
  columns: ColumnPlan[];
  metadata: NormalisedMetadata;
  original: MetaTree;
  warnings: string[];
  /** Average bytes per data line in the sample, to size the first allocation. */
  lineBytes: number;
}

export interface ReaderOptions {
  eagerBytes?: number;
  chunkBytes?: number;
}

/** A small, fully parsed extra table (e.g. the Novonix summary sidecar). */
export interface ExtraTable {
  entry: DatasetEntry;
  data: Record<string, ColumnArray>;
}

/** Read up to `limit` leading bytes: enough for the header and a head sample. */
export async function readHead(source: FileSource, limit = HEAD_BYTES): Promise<{ bytes: Uint8Array; atEof: boolean }> {
  const len = Math.min(source.size, limit);
  return { bytes: await source.read(0, len), atEof: len === source.size };
}

/** Complete lines of the last TAIL_BYTES of the file (the first partial line dropped). */
export async function readTailLines(source: FileSource, from: number): Promise<string[]> {
  const start = Math.max(from, source.size - TAIL_BYTES);
  if (start >= source.size) return [];
  const bytes = await source.read(start, source.size - start);
  const lines = splitLines(bytes, true);
  if (start > from) lines.shift();
  return lines.map((l) => l.text).filter((t) => t.trim() !== '');
}

/**
 * Sample rows (head lines after the label line, plus the tail) split into fields, for number
 * style and kind inference. `dataLines` are head lines from the first data line on.
 */
export function sampleRows(dataLines: readonly TextLine[], tail: readonly string[], delimiter: string, unwrap = false): string[][] {
  const rows: string[][] = [];
  const take = (t: string) => {
    if (t.trim() === '') return;
    let x = t;
    if (unwrap && x.length >= 2 && x.startsWith('"') && x.endsWith('"')) x = x.slice(1, -1);
    rows.push(splitLine(x, delimiter));
  };
  for (const l of dataLines.slice(0, SAMPLE_ROWS)) take(l.text);
  for (const t of tail.slice(-SAMPLE_ROWS)) take(t);
  return rows;
}

/** Number style and kinds from sample rows. */
export function inferFromSample(rows: string[][], ncols: number, delimiter: string, dayFirst = false): { style: NumberStyle; kinds: CellKind[] } {
  const tokens: string[] = [];
  for (const r of rows) for (const t of r) tokens.push(t);
  const style = detectNumberStyle(tokens, delimiter);
  return { style, kinds: inferKinds(rows, ncols, style, dayFirst) };
}

export function averageLineBytes(lines: readonly TextLine[]): number {
  if (lines.length === 0) return 64;
  const n = Math.min(lines.length, SAMPLE_ROWS);
  return Math.max(8, (lines[n - 1]!.next - lines[0]!.start) / n);
}

const NUMERIC_NAMES = new Set(['I', 'Ecell', 'cycle number', 'capacity', 'energy', 'Q charge', 'Q discharge', 'Energy charge', 'Energy discharge', 'record', 'freq', 'Re(Z)', 'Im(Z)']);

/** What a vendor module knows about one of its labels. */
export interface KnownColumn {
  name: string;
  /** Units when the label does not state them (else parsed from the label). */
  units?: string;
  kind?: CellKind;
  dtype?: DType;
  signBy?: ColumnPlan['signBy'];
}

/**
 * Column plans from labels and inferred kinds: known labels get their normalised name, the rest
 * keep the quantity part of their label (unit split off by splitLabel). Names are made unique:
 * a clash falls back to the full label, then to a numbered suffix. Duration and datetime cells
 * are converted to seconds, so their units are 's'.
 */
export function planColumns(labels: readonly string[], kinds: readonly CellKind[], known: (label: string) => KnownColumn | undefined): ColumnPlan[] {
  const used = new Set<string>();
  return labels.map((label, k) => {
    const hit = known(label.trim());
    const split = splitLabel(label);
    // Normalised quantities are numbers by definition: mostly-text cells there are bad cells
    // (warned, or a FormatError when many), not a reason to read the column as text.
    const kind = hit?.kind ?? (hit && NUMERIC_NAMES.has(hit.name) ? 'number' : (kinds[k] ?? 'number'));
    let units = hit?.units ?? split.unit;
    if (kind === 'duration' || kind === 'datetime') units = 's';
    let name = hit?.name ?? (split.quantity.trim() || `Column ${k + 1}`);
    if (used.has(name)) name = label.trim() || `Column ${k + 1}`;
    const base = name;
    let n = 2;
    while (used.has(name)) name = `${base} (${n++})`;
    used.add(name);
    const plan: ColumnPlan = { label, name, units, dtype: hit?.dtype ?? (kind === 'category' ? 'int32' : 'float64'), kind };
    if (hit?.signBy) plan.signBy = hit.signBy;
    return plan;
  });
}

function layoutOf(source: FileSource, plan: TablePlan): TableLayout {
  const layout: TableLayout = {
    file: source.name,
    readerId: plan.readerId,
    delimiter: plan.delimiter,
    style: plan.style,
    kinds: plan.columns.map((c) => c.kind),
    dataOffset: plan.dataOffset,
    firstLine: plan.firstLine,
  };
  if (plan.dayFirst !== undefined) layout.dayFirst = plan.dayFirst;
  if (plan.unwrapLineQuotes !== undefined) layout.unwrapLineQuotes = plan.unwrapLineQuotes;
  return layout;
}

async function stream(source: FileSource, plan: TablePlan, wanted: boolean[], chunkBytes: number, signal?: AbortSignal): Promise<ParsedTable> {
  const start = plan.dataOffset;
  const parser = new TableParser(layoutOf(source, plan), wanted, (source.size - start) / plan.lineBytes + 16);
  for (let off = start; off < source.size; off += chunkBytes) {
    if (signal?.aborted) throw signal.reason ?? new Error('aborted');
    parser.push(await source.read(off, Math.min(chunkBytes, source.size - off)), off);
  }
  return parser.finish();
}

/** Apply the signBy transforms in place; returns how many values changed sign per column. */
function applySigns(plan: TablePlan, data: ParsedTable): Map<number, number> {
  const changed = new Map<number, number>();
  plan.columns.forEach((c, k) => {
    const values = data.columns[k];
    const by = c.signBy ? data.columns[c.signBy.by] : null;
    if (!c.signBy || !values || !by) return;
    const cats = data.categories[c.signBy.by]!;
    const sign = cats.map((label) => (c.signBy!.negative.includes(label) ? -1 : c.signBy!.positive.includes(label) ? 1 : 0));
    let n = 0;
    for (let i = 0; i < values.length; i++) {
      const code = by[i]!;
      if (!(code >= 0)) continue;
      const s = sign[code]!;
      const v = values[i]!;
      if (s === 0 || v === 0 || Number.isNaN(v)) continue;
      const w = s * Math.abs(v);
      if (w !== v) {
        values[i] = w;
        n++;
      }
    }
    changed.set(k, n);
  });
  return changed;
}

function buildEntry(plan: TablePlan, data: ParsedTable, changed: Map<number, number>): DatasetEntry {
  const warnings = [...plan.warnings, ...data.warnings];
  for (const [k, n] of changed) {
    const c = plan.columns[k]!;
    if (n > 0) warnings.push(`${c.name} (from "${c.label}"): ${n} values re-signed — ${c.signBy!.why}`);
  }
  const categories: Record<string, string[]> = {};
  plan.columns.forEach((c, k) => {
    if (c.kind === 'category') categories[c.name] = data.categories[k] ?? [];
  });
  const columns: Column[] = plan.columns.map((c) => ({ name: c.name, units: c.units, dtype: c.dtype, sourceName: c.label }));
  const original: MetaTree = { ...plan.original, columnLabels: plan.columns.map((c) => c.label), categories };
  const kinds: Record<string, string> = {};
  plan.columns.forEach((c) => {
    if (c.kind === 'datetime') kinds[c.name] = 'seconds since 1970-01-01T00:00:00 of the instrument clock (no zone stated)';
    else if (c.kind === 'duration') kinds[c.name] = 'elapsed time written as [Nd ]h:mm:ss, converted to seconds';
    else if (c.kind === 'category') kinds[c.name] = 'text codes: index into original.categories';
  });
  if (Object.keys(kinds).length > 0) original.columnEncodings = kinds;
  return {
    entry: plan.entry,
    kind: 'table',
    title: plan.title,
    dtype: 'float64',
    shape: [data.rowCount],
    axes: [{ name: 'row', units: '', size: data.rowCount, scale: 1, offset: 0, navigate: false }],
    columns,
    metadata: plan.metadata,
    original,
    warnings,
  };
}

class TextTableFile implements OpenedFile {
  private closed = false;

  constructor(
    readonly readerId: string,
    private readonly source: FileSource,
    private readonly plan: TablePlan,
    readonly entries: DatasetEntry[],
    private cache: ParsedTable | null,
    private readonly extras: ExtraTable[],
    private readonly chunkBytes: number,
  ) {}

  async readSlice(entry: string): Promise<NumericArray> {
    throw new FormatError(this.source.name, null, `entry "${entry}" is a table: tables are read by column (readColumns)`, this.readerId);
  }

  async readColumns(entry: string, names: string[], signal?: AbortSignal): Promise<Record<string, ColumnArray>> {
    if (this.closed) throw new FormatError(this.source.name, null, 'an open file (it was closed)', this.readerId);
    const extra = this.extras.find((x) => x.entry.entry === entry);
    if (extra) {
      const out: Record<string, ColumnArray> = {};
      for (const n of names) {
        const col = extra.entry.columns!.find((c) => c.name === n) ?? extra.entry.columns!.find((c) => c.sourceName === n);
        const v = col ? extra.data[col.name] : undefined;
        if (!v) throw new FormatError(this.source.name, null, `a column named "${n}" in entry "${entry}"`, this.readerId);
        out[n] = v.slice();
      }
      return out;
    }
    if (entry !== this.plan.entry) {
      throw new FormatError(this.source.name, null, `entry ${this.entries.map((e) => `"${e.entry}"`).join(' or ')} (asked for "${entry}")`, this.readerId);
    }
    const cols = this.plan.columns;
    const indices = names.map((n) => {
      let i = cols.findIndex((c) => c.name === n);
      if (i < 0) i = cols.findIndex((c) => c.label === n);
      if (i < 0) throw new FormatError(this.source.name, null, `a column named "${n}" (have: ${cols.map((c) => c.name).join(', ')})`, this.readerId);
      return i;
    });
    let data = this.cache;
    if (!data) {
      const wanted = cols.map((_, i) => indices.includes(i));
      indices.forEach((i) => {
        const s = cols[i]!.signBy;
        if (s) wanted[s.by] = true;
      });
      data = await stream(this.source, this.plan, wanted, this.chunkBytes, signal);
      applySigns(this.plan, data);
    }
    const out: Record<string, Float64Array> = {};
    names.forEach((n, k) => {
      const arr = data.columns[indices[k]!];
      if (!arr) throw new FormatError(this.source.name, null, `column "${n}" to be parsed`, this.readerId);
      // Copies from the cache: callers own what they receive and cannot corrupt it.
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

/** Parse the data section described by `plan` and return the OpenedFile. */
export async function openTable(source: FileSource, plan: TablePlan, options: ReaderOptions = {}, extras: ExtraTable[] = []): Promise<OpenedFile> {
  if (plan.columns.length === 0) throw new FormatError(source.name, plan.dataOffset, 'at least one column label', plan.readerId);
  const eagerBytes = options.eagerBytes ?? EAGER_BYTES;
  const chunkBytes = Math.max(1, options.chunkBytes ?? CHUNK_BYTES);
  const eager = source.size - plan.dataOffset <= eagerBytes;
  // Lazy files still get one full pass here: the row count is part of the entry and every row's
  // shape is checked before anything is shown. Category columns are parsed for their legends,
  // sign sources and their targets for the re-signing warning.
  const wanted = plan.columns.map((c) => eager || c.kind === 'category' || c.signBy !== undefined);
  const firstNumber = plan.columns.findIndex((c) => c.kind === 'number');
  if (firstNumber >= 0) wanted[firstNumber] = true;
  const data = await stream(source, plan, wanted, chunkBytes);
  const changed = applySigns(plan, data);
  const entry = buildEntry(plan, data, changed);
  return new TextTableFile(plan.readerId, source, plan, [entry, ...extras.map((x) => x.entry)], eager ? data : null, extras, chunkBytes);
}

export { decodeText };
