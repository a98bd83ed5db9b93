/**
 * Layout detection for delimited text tables of unknown origin: delimiter, header row (after any
 * "key: value" preamble), an optional units row, decimal separator, cell kinds. Works on the
 * first HEAD_BYTES and the last 64 KiB only; the data are then streamed by table-reader.ts.
 */
import type { DType } from '../../api/dataset.js';
import type { FileSource } from '../file-source.js';
import { FormatDeclined, FormatError } from '../format-error.js';
import { averageLineBytes, inferFromSample, readHead, readTailLines, sampleRows, type ColumnPlan, type TablePlan } from './table-reader.js';
import { parseNumber, splitLine, splitLines, type NumberStyle, type TextLine } from './text-table.js';
import { respellUnit, splitLabel } from './units.js';

export const GENERIC_ID = 'generic-csv';

const DELIMITERS = ['\t', ';', ',', '|'] as const;

/** Printable text without NUL bytes (first `n` bytes). */
export function looksLikeText(head: Uint8Array, n = 4096): boolean {
  const len = Math.min(head.length, n);
  if (len === 0) return false;
  let control = 0;
  for (let i = 0; i < len; i++) {
    const c = head[i]!;
    if (c === 0) return false;
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0c) control++;
  }
  return control <= len * 0.01;
}

interface DelimiterChoice {
  delimiter: string;
  /** The most frequent field count (≥ 2): the table's width. */
  count: number;
  /** Lines (of those given) with that count. */
  rows: number;
  /** Index (into lines) of the first line with `count` fields followed by another such line. */
  blockStart: number;
}

/**
 * The delimiter whose most frequent field count (≥ 2) covers the most lines; ties go to the
 * earlier of tab, semicolon, comma, pipe (a decimal comma must not make a semicolon or tab file
 * look comma-separated). The table starts at the first line with that count that is followed by
 * another one, so a "key: value" preamble is skipped and a bad row further down does not move it.
 */
export function chooseDelimiter(lines: readonly string[]): DelimiterChoice | null {
  let best: DelimiterChoice | null = null;
  for (const d of DELIMITERS) {
    const counts = lines.map((l) => (l.trim() === '' ? 0 : splitLine(l, d).length));
    const tally = new Map<number, number>();
    for (const c of counts) if (c >= 2) tally.set(c, (tally.get(c) ?? 0) + 1);
    let count = 0;
    let rows = 0;
    for (const [c, n] of tally) if (n > rows || (n === rows && c > count)) [count, rows] = [c, n];
    if (rows === 0) continue;
    let blockStart = -1;
    for (let i = 0; i < counts.length; i++) {
      if (counts[i] !== count) continue;
      let j = i + 1;
      while (j < counts.length && counts[j] === 0) j++;
      if (j >= counts.length || counts[j] === count) {
        blockStart = i;
        break;
      }
    }
    if (blockStart < 0) continue;
    if (!best || rows > best.rows) best = { delimiter: d, count, rows, blockStart };
  }
  return best;
}

function numericFraction(cells: readonly string[], style: NumberStyle): number {
  let n = 0;
  let present = 0;
  for (const c of cells) {
    const t = c.trim();
    if (t === '') continue;
    present++;
    const b = new TextEncoder().encode(t);
    const v = parseNumber(b, 0, b.length, style);
    if (!Number.isNaN(v)) n++;
  }
  return present === 0 ? 0 : n / present;
}

export interface GenericLayout {
  plan: TablePlan;
  preamble: string[];
}

/** Detect the layout and build the plan. Declines text that is no delimited table. */
export async function planGeneric(source: FileSource, readerId = GENERIC_ID): Promise<GenericLayout> {
  const { bytes, atEof } = await readHead(source);
  if (!looksLikeText(bytes)) throw new FormatDeclined(readerId, 'not text (NUL or control bytes)');
  const lines = splitLines(bytes, atEof, 5000);
  const choice = chooseDelimiter(lines.map((l) => l.text));
  if (!choice) throw new FormatDeclined(readerId, 'no delimiter (tab, semicolon, comma, pipe) gives a constant field count ≥ 2');
  const { delimiter, count } = choice;
  let block = choice.blockStart;
  // Header: the first line of the block when it is mostly text; else the line just above it when
  // it has the same number of fields (the block detection may have stopped at it).
  const style0 = { decimal: delimiter === ',' ? 0x2e : 0x2c, thousands: null };
  const cells = (l: TextLine) => splitLine(l.text, delimiter);
  const isLabelRow = (l: TextLine) => numericFraction(cells(l), style0) < 0.5 && numericFraction(cells(l), { decimal: 0x2e, thousands: null }) < 0.5;
  let headerIdx = -1;
  if (isLabelRow(lines[block]!)) headerIdx = block;
  else if (block > 0 && cells(lines[block - 1]!).length >= count - 1 && isLabelRow(lines[block - 1]!)) headerIdx = block - 1;
  let firstData = headerIdx >= 0 ? headerIdx + 1 : block;
  // A units row right under the labels ("s", "V", "mA") is mostly text too.
  let unitsRow: string[] | null = null;
  while (firstData < lines.length && lines[firstData]!.text.trim() === '') firstData++;
  if (headerIdx >= 0 && firstData < lines.length - 1 && isLabelRow(lines[firstData]!) && cells(lines[firstData]!).length === count) {
    unitsRow = cells(lines[firstData]!);
    firstData++;
  }
  while (firstData < lines.length && lines[firstData]!.text.trim() === '') firstData++;
  if (firstData >= lines.length) throw new FormatDeclined(readerId, 'no data rows after the header');
  block = firstData;
  const labelsRaw = headerIdx >= 0 ? cells(lines[headerIdx]!) : Array.from({ length: count }, (_, i) => `Column ${i + 1}`);
  // A trailing delimiter on the label line gives an empty last label; data rows then have it too.
  const labels = labelsRaw.slice(0, count);
  while (labels.length < count) labels.push('');
  const dataLines = lines.slice(firstData);
  const tail = atEof ? [] : await readTailLines(source, lines[firstData]!.start);
  const sample = sampleRows(dataLines, tail, delimiter);
  const { style, kinds } = inferFromSample(sample, count, delimiter);
  const used = new Set<string>();
  const columns: ColumnPlan[] = labels.map((label, k) => {
    const split = splitLabel(label);
    let units = split.unit;
    if (unitsRow && unitsRow[k] !== undefined && unitsRow[k]!.trim() !== '' && units === '') units = respellUnit(unitsRow[k]!.replace(/^[([]|[)\]]$/g, ''));
    const kind = kinds[k]!;
    if (kind === 'duration' || kind === 'datetime') units = 's';
    let name = split.quantity.trim() || `Column ${k + 1}`;
    if (used.has(name)) name = label.trim() || `Column ${k + 1}`;
    let n = 2;
    const base = name;
    while (used.has(name)) name = `${base} (${n++})`;
    used.add(name);
    const dtype: DType = kind === 'category' ? 'int32' : 'float64';
    return { label, name, units, dtype, kind };
  });
  const preamble = lines.slice(0, Math.max(0, headerIdx >= 0 ? headerIdx : block)).map((l) => l.text).filter((t) => t.trim() !== '');
  const settings: Record<string, string> = {};
  for (const p of preamble) {
    const m = /^\s*([^:=\t;,]+?)\s*[:=]\s*[\t;,]?\s*(.*?)[\t;,]*$/.exec(p) ?? /^([^\t;,]+)[\t;,]+(.*?)[\t;,]*$/.exec(p);
    if (m) settings[m[1]!.trim()] = m[2]!.trim();
  }
  const first = lines[firstData]!;
  if (first.start > source.size) throw new FormatError(source.name, first.start, 'data within the file', readerId);
  const plan: TablePlan = {
    readerId,
    entry: 'data',
    title: source.name,
    delimiter: delimiter.charCodeAt(0),
    style,
    dataOffset: first.start,
    firstLine: first.number,
    columns,
    metadata: {},
    original: {
      delimiter: delimiter === '\t' ? 'tab' : delimiter,
      decimalSeparator: String.fromCharCode(style.decimal),
      thousandsSeparator: style.thousands === null ? null : String.fromCharCode(style.thousands),
      headerLine: headerIdx >= 0 ? lines[headerIdx]!.number : null,
      unitsRow,
      preamble,
      settings,
    },
    warnings: headerIdx < 0 ? ['no header row found: columns are named "Column 1", "Column 2", …'] : [],
    lineBytes: averageLineBytes(dataLines),
  };
  return { plan, preamble };
}
