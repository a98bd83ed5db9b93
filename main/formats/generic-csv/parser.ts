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
  count: number;
  /** Index (into lines) of the first line of the trailing block with `count` fields. */
  blockStart: number;
}

/**
 * The delimiter whose field count is constant (≥ 2) over the trailing block of lines, the longest
 * such block winning; ties go to the earlier of tab, semicolon, comma, pipe (a decimal comma must
 * not make a semicolon or tab file look comma-separated).
 */
export function chooseDelimiter(lines: readonly string[]): DelimiterChoice | null {
  const nonBlank = lines.map((l, i) => ({ l, i })).filter((x) => x.l.trim() !== '');
  if (nonBlank.length === 0) return null;
  let best: DelimiterChoice | null = null;
  let bestLen = 0;
  for (const d of DELIMITERS) {
    const counts = nonBlank.map((x) => splitLine(x.l, d).length);
    const last = counts[counts.length - 1]!;
    if (last < 2) continue;
    let j = counts.length - 1;
    while (j > 0 && counts[j - 1] === last) j--;
    const len = counts.length - j;
    // Require a data block of at least 2 lines unless the whole text is one header + one row.
    if (len > bestLen) {
      best = { delimiter: d, count: last, blockStart: nonBlank[j]!.i };
      bestLen = len;
    }
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
  let block = lines.findIndex((l) => l.start >= lines[choice.blockStart]!.start);
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
