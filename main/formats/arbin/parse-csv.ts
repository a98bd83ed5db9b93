/**
 * Arbin CSV exports. Two shapes are seen:
 *  - MITS Pro "Data_Point,Test_Time,DateTime,Step_Time,Step_Index,Cycle_Index,Current,Voltage,…"
 *    with no units in the labels and DateTime as Unix seconds (the exports BEEP reads, with a
 *    `<name>_Metadata.csv` sidecar: one header line and one value line);
 *  - MITS Pro / DataPro exports with units in the labels ("Test_Time(s)", "Current(A)") and
 *    "Date_Time" as text ("10/20/2020 11:31:46").
 * Empty fields are missing values (NaN): BEEP's 2017-05-09_test-TC-contact_CH33.csv leaves
 * Step_Index and Cycle_Index empty on its first rows. Pure: bytes in, columns out.
 */
import type { MetaTree, MetaValue } from '../../api/dataset.js';
import { FormatError } from '../format-error.js';
import { mapArbinLabels, labelKey, splitArbinLabel, type ArbinColumn } from './columns.js';
import { splitLine } from '../generic-csv/text-table.js';

export const READER_ID = 'arbin';

export interface ArbinCsv {
  columns: ArbinColumn[];
  data: Float64Array[];
  rowCount: number;
  delimiter: ',' | '\t';
  warnings: string[];
}


const utf8 = new TextDecoder('utf-8');

function lineAt(b: Uint8Array, start: number): { text: string; next: number } {
  let end = b.indexOf(0x0a, start);
  const next = end < 0 ? b.length : end + 1;
  if (end < 0) end = b.length;
  if (end > start && b[end - 1] === 0x0d) end--;
  return { text: utf8.decode(b.subarray(start, end)), next };
}

/** Is this header line an Arbin data export? */
export function isArbinHeader(line: string): boolean {
  const delim = line.includes('\t') && !line.includes(',') ? '\t' : ',';
  const keys = new Set(splitLine(line.replace(/^\uFEFF/, ''), delim).map((l) => labelKey(splitArbinLabel(l).base)));
  return (keys.has('datapoint') || keys.has('testtime')) && (keys.has('cycleindex') || keys.has('stepindex')) && keys.has('voltage');
}

/**
 * Text dates Arbin writes: "MM/DD/YYYY hh:mm:ss(.fff)" (US locale, what MITS Pro writes) or ISO-ish
 * "YYYY-MM-DD hh:mm:ss". Returned as the wall-clock time read as UTC, in seconds.
 */
export function parseArbinDate(s: string): number {
  let m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})[ T](\d{1,2}):(\d{2}):(\d{2}(?:\.\d+)?)\s*(AM|PM)?$/i.exec(s.trim());
  if (m) {
    let h = Number(m[4]);
    if (m[7]) h = (h % 12) + (m[7].toUpperCase() === 'PM' ? 12 : 0);
    return Date.UTC(Number(m[3]), Number(m[1]) - 1, Number(m[2]), h, Number(m[5])) / 1000 + Number(m[6]);
  }
  m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(s.trim());
  if (m) return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5])) / 1000 + Number(m[6]);
  return NaN;
}

export function parseArbinCsv(b: Uint8Array, file: string): ArbinCsv {
  let start = 0;
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) start = 3;
  const first = lineAt(b, start);
  const delim: ',' | '\t' = first.text.includes('\t') && !first.text.includes(',') ? '\t' : ',';
  const labels = splitLine(first.text, delim);
  if (!isArbinHeader(first.text)) {
    throw new FormatError(file, start, 'an Arbin header line (Data_Point/Test_Time, Cycle_Index/Step_Index, Voltage)', READER_ID);
  }
  const columns = mapArbinLabels(labels);
  const ncol = labels.length;
  const cap = Math.max(16, Math.floor(b.length / Math.max(8, ncol * 4)));
  let bufs = columns.map(() => new Float64Array(cap));
  let rows = 0;
  const warnings: string[] = [];
  const dateCol = columns.findIndex((c) => c.isDate);
  let dateText = false;
  let dateNumeric = false;
  const textInUnknown = new Set<number>();
  let pos = first.next;
  let lineNo = 1;
  while (pos < b.length) {
    const lineStart = pos;
    const { text, next } = lineAt(b, pos);
    pos = next;
    lineNo++;
    if (text.trim() === '') continue;
    let fields = splitLine(text, delim);
    // A trailing delimiter (some exports end every line with one) adds one empty field.
    if (fields.length === ncol + 1 && fields[ncol] === '') fields = fields.slice(0, ncol);
    if (fields.length !== ncol) {
      throw new FormatError(file, lineStart, `line ${lineNo}: ${ncol} fields like the header (got ${fields.length})`, READER_ID);
    }
    if (rows === bufs[0]!.length) {
      bufs = bufs.map((a) => {
        const n = new Float64Array(a.length * 2);
        n.set(a);
        return n;
      });
    }
    for (let j = 0; j < ncol; j++) {
      const f = fields[j]!.trim();
      let v: number;
      if (f === '') v = NaN;
      else {
        v = Number(f);
        if (Number.isNaN(v) && f !== 'NaN') {
          if (j === dateCol) {
            v = parseArbinDate(f);
            dateText = true;
            if (Number.isNaN(v)) throw new FormatError(file, lineStart, `line ${lineNo}: a date in column "${labels[j]}" (got "${f.slice(0, 40)}")`, READER_ID);
          } else if (!columns[j]!.known) {
            textInUnknown.add(j);
          } else {
            throw new FormatError(file, lineStart, `line ${lineNo}: a number in column "${labels[j]}" (got "${f.slice(0, 40)}")`, READER_ID);
          }
        } else if (j === dateCol) dateNumeric = true;
      }
      bufs[j]![rows] = v;
    }
    rows++;
  }
  if (dateCol >= 0) {
    const c = columns[dateCol]!;
    if (dateText && dateNumeric) warnings.push(`column "${c.sourceName}" mixes text dates and numbers`);
    if (dateText) {
      c.units = 's';
      c.sourceName = `${c.sourceName} (text date → seconds of the wall-clock time read as UTC; the file states no zone)`;
    } else {
      // Numeric: Unix seconds in the BEEP-style exports; Excel serial days are < 1e6.
      let big = false;
      for (let i = 0; i < rows; i++) if (bufs[dateCol]![i]! > 1e6) big = true;
      c.units = big || rows === 0 ? 's' : 'd';
      c.sourceName = big || rows === 0 ? `${c.sourceName} (Unix seconds)` : `${c.sourceName} (Excel serial days since 1899-12-30, local time)`;
    }
  }
  for (const j of textInUnknown) warnings.push(`column "${labels[j]}" holds text; non-numeric values are NaN`);
  const unknown = columns.filter((c) => !c.known).map((c) => c.sourceName);
  if (unknown.length) warnings.push(`columns kept under their raw labels: ${unknown.join(', ')}`);
  return { columns, data: bufs.map((a) => a.slice(0, rows)), rowCount: rows, delimiter: delim, warnings };
}

/** The `_Metadata.csv` sidecar: a header line and one value line → key/value tree. */
export function parseArbinMetadataCsv(b: Uint8Array): MetaTree | null {
  let start = 0;
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) start = 3;
  const h = lineAt(b, start);
  const v = lineAt(b, h.next);
  if (!h.text.trim() || !v.text.trim()) return null;
  const keys = splitLine(h.text, ',');
  const vals = splitLine(v.text, ',');
  if (keys.length !== vals.length) return null;
  const out: MetaTree = {};
  keys.forEach((k, i) => {
    const key = k.trim() || '(row)';
    const raw = vals[i]!;
    const num = Number(raw);
    const value: MetaValue = raw.trim() !== '' && Number.isFinite(num) ? num : raw;
    out[key] = value;
  });
  return out;
}
