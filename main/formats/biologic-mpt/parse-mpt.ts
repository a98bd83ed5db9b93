/**
 * Parser for BioLogic EC-Lab text exports (.mpt). Pure: bytes in, header tree and Float64Array
 * columns out; the reader (reader.ts) does the I/O.
 *
 * Layout (EC-Lab v11.12–v11.61 as seen in the corpus, see README.md for the corpus this was checked against):
 *
 *   line 1        "EC-Lab ASCII FILE"  (BT-Lab: "BT-Lab ASCII FILE")
 *   line 2        "Nb header lines : N" (space padded) — N counts every header line, this one,
 *                 the magic and the column-label line included
 *   line 3        blank
 *   line 4        technique name ("Galvanostatic Cycling with Potential Limitation")
 *   line 5        blank
 *   lines 6…      "key : value" settings; continuation lines start with a tab or space; bare
 *                 flag lines ("Record Power"); then "Cycle Definition : …" followed by the
 *                 technique parameter table in fixed 20-character columns (one per sequence Ns)
 *   (blank, "Number of loops : n", "Loop i from point number a to b", blank)
 *   line N        tab-separated column labels, ending with a tab
 *   lines N+1…    tab-separated numbers, one row per line, in the PC's locale (decimal point or
 *                 decimal comma — EC-Lab never writes thousands separators)
 *
 * A header of exactly 3 lines (magic, count, labels) is what EC-Lab writes when "export header"
 * is unticked. Text is Windows-1252 ("µ" = 0xB5, "²" = 0xB2) unless the bytes are valid UTF-8.
 * Line ends are CRLF as written by EC-Lab; LF-only copies (git-normalised) are accepted too.
 *
 * Numbers are parsed straight from the bytes into Float64Arrays (no per-row string splitting):
 * digits accumulate into an integer mantissa and are scaled by an exact power of ten when the
 * mantissa is below 2^53 and the exponent within ±22 — Clinger's fast path (W. D. Clinger, "How to
 * read floating point numbers accurately", PLDI 1990), which is correctly rounded there. Anything
 * else falls back to Number() on the token, so every value equals what Number(text) would give.
 */
import type { MetaTree, MetaValue, Quantity } from '../../api/dataset.js';
import { FormatError } from '../format-error.js';
import { mapColumnLabels, type MptColumnInfo } from './columns.js';
import { MPT_MAGICS } from './spec.js';

export const READER_ID = 'biologic-mpt';

/** Header lines beyond this are not an EC-Lab file (real headers have < 200 lines). */
export const MAX_HEADER_LINES = 100_000;

export interface MptLoop {
  index: number;
  from: number;
  to: number;
}

export interface MptHeader {
  magic: string;
  nbHeaderLines: number;
  /** Byte offset of the first data line (just after the column-label line's end). */
  dataOffset: number;
  encoding: 'utf-8' | 'windows-1252';
  lineEnding: '\r\n' | '\n';
  technique?: string;
  settings: Record<string, MetaValue>;
  /** Technique parameter table: name → one value per sequence (Ns). */
  params: Record<string, string[]>;
  loops: MptLoop[];
  /** Bare flag lines such as "Record Power" or "EC-Lab for windows v11.50 (software)". */
  flags: string[];
  /** Every header line verbatim (decoded), the column-label line included. */
  rawHeader: string[];
  columnLabels: string[];
  columns: MptColumnInfo[];
  activeMass?: Quantity;
  electrodeArea?: Quantity;
  characteristicMass?: Quantity;
  batteryCapacity?: Quantity;
  acquisitionTime?: string;
  instrument?: string;
  warnings: string[];
}

// ---------------------------------------------------------------------------------------------
// Text decoding

/** Windows-1252 code points for bytes 0x80–0x9F (the rest equal ISO-8859-1). */
const CP1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];

export function decodeWindows1252(bytes: Uint8Array): string {
  let out = '';
  const CHUNK = 8192;
  for (let i = 0; i < bytes.length; i += CHUNK) {
    const end = Math.min(bytes.length, i + CHUNK);
    const codes = new Array<number>(end - i);
    for (let j = i; j < end; j++) {
      const b = bytes[j]!;
      codes[j - i] = b >= 0x80 && b <= 0x9f ? CP1252_HIGH[b - 0x80]! : b;
    }
    out += String.fromCharCode(...codes);
  }
  return out;
}

function decodeText(bytes: Uint8Array): { text: string; encoding: 'utf-8' | 'windows-1252' } {
  let ascii = true;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (!ascii) {
    try {
      return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' };
    } catch {
      // Not UTF-8: EC-Lab's native Windows code page.
    }
  }
  return { text: decodeWindows1252(bytes), encoding: 'windows-1252' };
}

// ---------------------------------------------------------------------------------------------
// Header

export type HeaderLocation = { complete: true; dataOffset: number; nbHeaderLines: number } | { complete: false };

/**
 * Find the end of the header in `bytes` (the first bytes of the file). `atEof` says whether
 * `bytes` is the whole file; otherwise an incomplete header asks the caller for more bytes.
 */
export function locateHeader(bytes: Uint8Array, fileName: string, atEof: boolean): HeaderLocation {
  let start = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  // Line 1: magic.
  const nl1 = bytes.indexOf(0x0a, start);
  if (nl1 < 0) {
    if (!atEof && bytes.length < 4096) return { complete: false };
    throw new FormatError(fileName, start, 'a line "EC-Lab ASCII FILE" ending with a line break', READER_ID);
  }
  const first = asciiLine(bytes, start, nl1);
  if (!(MPT_MAGICS as readonly string[]).includes(first)) {
    throw new FormatError(fileName, start, `"EC-Lab ASCII FILE" on line 1 (found "${first.slice(0, 40)}")`, READER_ID);
  }
  const nl2 = bytes.indexOf(0x0a, nl1 + 1);
  const line2End = nl2 < 0 ? bytes.length : nl2;
  if (nl2 < 0 && !atEof) return { complete: false };
  const second = asciiLine(bytes, nl1 + 1, line2End);
  const m = /^Nb header lines\s*:\s*(\d+)\s*$/.exec(second);
  if (!m) throw new FormatError(fileName, nl1 + 1, `"Nb header lines : N" on line 2 (found "${second.slice(0, 40)}")`, READER_ID);
  const n = Number(m[1]);
  if (!Number.isSafeInteger(n) || n < 3 || n > MAX_HEADER_LINES) {
    throw new FormatError(fileName, nl1 + 1, `a header line count between 3 and ${MAX_HEADER_LINES} (got ${m[1]})`, READER_ID);
  }
  // Walk to the end of line n.
  let pos = line2End + 1;
  for (let line = 3; line <= n; line++) {
    if (pos > bytes.length) {
      if (!atEof) return { complete: false };
      throw new FormatError(fileName, bytes.length, `${n} header lines (file ends after ${line - 1})`, READER_ID);
    }
    const nl = bytes.indexOf(0x0a, pos);
    if (nl < 0) {
      if (!atEof) return { complete: false };
      // The label line may be the last bytes of a file without data (EC-Lab writes no final
      // line break after it then — see wait.mpt in the yadg corpus).
      if (line === n && pos < bytes.length) return { complete: true, dataOffset: bytes.length, nbHeaderLines: n };
      throw new FormatError(fileName, bytes.length, `${n} header lines (file ends after ${line - 1})`, READER_ID);
    }
    pos = nl + 1;
  }
  return { complete: true, dataOffset: pos, nbHeaderLines: n };
}

function asciiLine(bytes: Uint8Array, start: number, end: number): string {
  let e = end;
  if (e > start && bytes[e - 1] === 0x0d) e--;
  let s = '';
  for (let i = start; i < e && i < start + 200; i++) s += String.fromCharCode(bytes[i]!);
  return s.trimEnd();
}

/** Parse a header number written in either locale ("0,001", "1.390"); EC-Lab uses no grouping. */
function headerNumber(s: string): number {
  const t = s.trim().replace(',', '.');
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return NaN;
  return Number(t);
}

const MASS_TO_MG: Record<string, number> = { g: 1000, mg: 1, µg: 1e-3, ug: 1e-3, kg: 1e6 };
const AREA_TO_CM2: Record<string, number> = { 'cm²': 1, cm2: 1, 'mm²': 0.01, mm2: 0.01, 'm²': 1e4, m2: 1e4, 'µm²': 1e-8 };

/** "1.390 mg" → {value, unit}; null when not "number unit". */
function numberWithUnit(s: string): { value: number; unit: string } | null {
  const m = /^\s*([-+]?[\d.,]+(?:[eE][-+]?\d+)?)\s*(\S*)/.exec(s);
  if (!m) return null;
  const value = headerNumber(m[1]!);
  return Number.isFinite(value) ? { value, unit: m[2]! } : null;
}

/**
 * EC-Lab writes "Acquisition started on" in the Windows short-date format of the PC.
 * Month-first "MM/DD/YYYY" is what every export in the corpus uses — including the en_GB and de_DE
 * ones (mb.issue_223.mpt: "07/30/2025"; mb.issue_95.de.mpt: same stamp as its en_US twin) — so
 * "a/b/Y" is read month-first unless a > 12 forces day-first. Dotted "a.b.Y" is the German/French
 * short-date form and is read day-first unless b > 12. "Y-M-D" is ISO. Returns ISO 8601 local time
 * (no zone: the file states none) and a warning when the reading was a guess.
 */
export function parseEcLabDate(text: string): { iso: string; warning?: string } | null {
  const m = /^\s*(\d{1,4})([/.-])(\d{1,2})\2(\d{1,4})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*([AaPp][Mm])?)?\s*$/.exec(text);
  if (!m) return null;
  const [a, sep, b, c] = [Number(m[1]), m[2]!, Number(m[3]), Number(m[4])];
  let year: number;
  let month: number;
  let day: number;
  let warning: string | undefined;
  if (m[1]!.length === 4) {
    [year, month, day] = [a, b, c];
  } else {
    year = m[4]!.length <= 2 ? 2000 + c : c;
    const dayFirst = sep === '.' ? b <= 12 : a > 12;
    [day, month] = dayFirst ? [a, b] : [b, a];
    // Month-first slashes are EC-Lab's habit in every locale seen, so only a dotted date whose
    // order cannot be told from its numbers is flagged.
    if (sep === '.' && a <= 12 && b <= 12 && a !== b) {
      warning = `acquisition date "${text.trim()}" is ambiguous; read day-first (the German/French Windows short-date form)`;
    }
  }
  if (month < 1 || month > 12 || day < 1 || day > 31) return null;
  let hour = m[5] === undefined ? 0 : Number(m[5]);
  const minute = m[6] === undefined ? 0 : Number(m[6]);
  const second = m[7] === undefined ? 0 : Number(m[7]);
  if (m[9]) {
    const pm = m[9].toLowerCase() === 'pm';
    if (hour === 12) hour = pm ? 12 : 0;
    else if (pm) hour += 12;
  }
  if (hour > 23 || minute > 59 || second > 60) return null;
  const p2 = (x: number) => String(x).padStart(2, '0');
  let iso = `${String(year).padStart(4, '0')}-${p2(month)}-${p2(day)}T${p2(hour)}:${p2(minute)}:${p2(second)}`;
  if (m[8]) iso += `.${m[8]}`;
  return warning ? { iso, warning } : { iso };
}

/**
 * Parse the header: `bytes` must hold at least the whole header (see locateHeader).
 */
export function parseMptHeader(bytes: Uint8Array, fileName: string, atEof = true): MptHeader {
  const loc = locateHeader(bytes, fileName, atEof);
  if (!loc.complete) throw new FormatError(fileName, bytes.length, 'the complete header (more bytes)', READER_ID);
  const headerBytes = bytes.subarray(0, loc.dataOffset);
  const { text, encoding } = decodeText(headerBytes);
  const crlf = text.indexOf('\r\n') >= 0;
  let lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (lines[0]!.charCodeAt(0) === 0xfeff) lines[0] = lines[0]!.slice(1);
  // split leaves an empty string after a final line break
  lines = lines.slice(0, loc.nbHeaderLines);
  const labelLine = lines[loc.nbHeaderLines - 1] ?? '';
  const warnings: string[] = [];
  if (!labelLine.includes('\t') && labelLine.trim().length === 0) {
    throw new FormatError(fileName, labelOffset(bytes, loc.nbHeaderLines), `tab-separated column labels on line ${loc.nbHeaderLines}`, READER_ID);
  }
  // The label line ends with a tab; an empty field marks that terminator. One EC-Lab v11.61 export
  // (yadg peis.issue_225.ewe_ece.mpt) writes a further label after it with no data behind it:
  // the values are matched against the labels before the terminator and the rest is reported.
  const fields = labelLine.split('\t');
  const firstEmpty = fields.findIndex((f) => f.trim() === '');
  const columnLabels = firstEmpty < 0 ? fields : fields.slice(0, firstEmpty);
  const extra = firstEmpty < 0 ? [] : fields.slice(firstEmpty + 1).filter((f) => f.trim() !== '');
  if (extra.length > 0) warnings.push(`labels after the label line's terminating tab have no data and are ignored: ${extra.join(', ')}`);
  if (columnLabels.length === 0) {
    throw new FormatError(fileName, labelOffset(bytes, loc.nbHeaderLines), `at least one column label on line ${loc.nbHeaderLines}`, READER_ID);
  }

  const header: MptHeader = {
    magic: lines[0]!.trim(),
    nbHeaderLines: loc.nbHeaderLines,
    dataOffset: loc.dataOffset,
    encoding,
    lineEnding: crlf ? '\r\n' : '\n',
    settings: {},
    params: {},
    loops: [],
    flags: [],
    rawHeader: lines,
    columnLabels,
    columns: mapColumnLabels(columnLabels),
    warnings,
  };
  parseHeaderBody(lines.slice(2, loc.nbHeaderLines - 1), header);
  deriveMetadata(header);
  return header;
}

function labelOffset(bytes: Uint8Array, lineNo: number): number {
  let pos = 0;
  for (let i = 1; i < lineNo; i++) {
    const nl = bytes.indexOf(0x0a, pos);
    if (nl < 0) return pos;
    pos = nl + 1;
  }
  return pos;
}

function parseHeaderBody(body: string[], h: MptHeader): void {
  const settings: Record<string, MetaValue> = {};
  const continuation = new Map<string, string[]>();
  let lastKey: string | null = null;
  let i = 0;
  // Technique name: the first non-blank line, when it is not itself a setting.
  while (i < body.length && body[i]!.trim() === '') i++;
  if (i < body.length && !body[i]!.includes(' : ')) {
    h.technique = body[i]!.trim();
    i++;
  }
  let inParams = false;
  let prevParam: string | null = null;
  for (; i < body.length; i++) {
    const line = body[i]!;
    if (line.trim() === '') {
      inParams = false;
      lastKey = null;
      continue;
    }
    const loop = /^Loop\s+(\d+)\s+from point number\s+(\d+)\s+to\s+(\d+)\s*$/.exec(line);
    if (loop) {
      h.loops.push({ index: Number(loop[1]), from: Number(loop[2]), to: Number(loop[3]) });
      continue;
    }
    if (inParams || looksLikeParamRow(line)) {
      inParams = true;
      const name0 = line.slice(0, 20).trim();
      const values: string[] = [];
      for (let p = 20; p < line.length; p += 20) values.push(line.slice(p, p + 20).trim());
      while (values.length > 0 && values[values.length - 1] === '' && line.length % 20 !== 0) values.pop();
      // "vs." rows qualify the row above them ("E (V)" then "vs.", several per table), so they
      // are keyed "E (V) vs." — the same reading yadg applies.
      let name: string = name0 === 'vs.' && prevParam ? `${prevParam} ${name0}` : name0;
      for (let k = 2; name in h.params; k++) name = `${name0} #${k}`;
      h.params[name] = values;
      prevParam = name;
      continue;
    }
    if ((line.startsWith('\t') || line.startsWith(' ')) && lastKey !== null) {
      continuation.get(lastKey)!.push(line.trim());
      continue;
    }
    const sep = line.indexOf(' : ');
    const colonEnd = sep < 0 && /\s:\s*$/.test(line);
    if (sep >= 0 || colonEnd) {
      const key = (sep >= 0 ? line.slice(0, sep) : line.replace(/\s:\s*$/, '')).trim();
      const value = sep >= 0 ? line.slice(sep + 3).trim() : '';
      if (key in settings) {
        const prev = settings[key]!;
        settings[key] = Array.isArray(prev) ? [...prev, value] : [prev, value];
      } else {
        settings[key] = value;
        continuation.set(key, []);
      }
      lastKey = key;
      if (key === 'Cycle Definition') inParams = true;
      continue;
    }
    h.flags.push(line.trim());
    lastKey = null;
  }
  for (const [key, cont] of continuation) {
    if (cont.length === 0) continue;
    const value = settings[key];
    const allKeyed = cont.every((c) => c.includes(' : '));
    const details: MetaValue = allKeyed
      ? Object.fromEntries(cont.map((c) => [c.slice(0, c.indexOf(' : ')).trim(), c.slice(c.indexOf(' : ') + 3).trim()]))
      : cont;
    settings[key] = value === '' ? details : { value: value ?? '', details };
  }
  h.settings = settings;
}

function looksLikeParamRow(line: string): boolean {
  // Parameter rows are fixed 20-character cells: "Ns                  0                   1   ".
  return line.length >= 40 && line.length % 20 === 0 && line[19] === ' ' && !line.includes(' : ');
}

function settingString(settings: Record<string, MetaValue>, key: string): string | undefined {
  const v = settings[key];
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  if (v && typeof v === 'object' && !Array.isArray(v) && typeof v.value === 'string') return v.value;
  return undefined;
}

function deriveMetadata(h: MptHeader): void {
  const s = h.settings;
  const acq = settingString(s, 'Acquisition started on');
  if (acq !== undefined) {
    const d = parseEcLabDate(acq);
    if (d) {
      h.acquisitionTime = d.iso;
      if (d.warning) h.warnings.push(d.warning);
    } else h.warnings.push(`unrecognised acquisition date "${acq}"`);
  }
  const mass = settingString(s, 'Mass of active material');
  if (mass !== undefined) {
    const q = numberWithUnit(mass);
    const f = q ? MASS_TO_MG[q.unit] : undefined;
    if (q && f !== undefined && q.value > 0) {
      h.activeMass = { value: q.value * f, unit: 'mg' };
      // 0.001 (in any unit) is the value EC-Lab fills in when the user entered none.
      if (q.value === 0.001) h.warnings.push(`active mass ${mass} is EC-Lab's default value; it may not have been entered`);
    } else h.warnings.push(`active mass "${mass}" not usable`);
  }
  const cmass = settingString(s, 'Characteristic mass');
  if (cmass !== undefined) {
    const q = numberWithUnit(cmass);
    const f = q ? MASS_TO_MG[q.unit] : undefined;
    if (q && f !== undefined && q.value > 0) h.characteristicMass = { value: q.value * f, unit: 'mg' };
  }
  const area = settingString(s, 'Electrode surface area');
  if (area !== undefined) {
    const q = numberWithUnit(area);
    const f = q ? AREA_TO_CM2[q.unit] : undefined;
    if (q && f !== undefined && q.value > 0) {
      h.electrodeArea = { value: q.value * f, unit: 'cm²' };
      if (q.value === 0.001) h.warnings.push(`electrode area ${area} is EC-Lab's default value; it may not have been entered`);
    } else h.warnings.push(`electrode area "${area}" not usable (EC-Lab writes 0 when none was entered)`);
  }
  const cap = settingString(s, 'Battery capacity');
  if (cap !== undefined) {
    const q = numberWithUnit(cap);
    if (q && q.value > 0) h.batteryCapacity = { value: q.value, unit: q.unit.replace('.h', '·h') };
  }
  const device = settingString(s, 'Device');
  if (device) h.instrument = `BioLogic ${device}`;
}

// ---------------------------------------------------------------------------------------------
// Data

const POW10 = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];
const TWO53 = 9007199254740992;

export interface MptData {
  rowCount: number;
  /** One array per column (null for columns not requested), each exactly rowCount long. */
  columns: (Float64Array | null)[];
  /** The decimal separator seen in the data; null when no value had a fractional part. */
  decimalSeparator: '.' | ',' | null;
}

/**
 * Incremental data parser: push chunks of the data section in order, then finish(). Only the
 * requested columns are converted; every row's field count is still checked.
 */
export class MptDataParser {
  private carry: Uint8Array | null = null;
  /** Absolute file offset of the first byte of the next buffer (carry included). */
  private bufferOffset: number;
  private lineNo: number;
  private rows = 0;
  private capacity: number;
  private readonly arrays: (Float64Array | null)[];
  private decimal: 0x2e | 0x2c | 0 = 0;

  constructor(
    private readonly fileName: string,
    private readonly nCols: number,
    private readonly wanted: readonly boolean[],
    dataOffset: number,
    /** 1-based line number of the first data line. */
    firstLine: number,
    capacityHint = 1024,
  ) {
    this.bufferOffset = dataOffset;
    this.lineNo = firstLine;
    this.capacity = Math.max(16, Math.min(capacityHint, 1 << 27));
    this.arrays = wanted.map((w) => (w ? new Float64Array(this.capacity) : null));
  }

  push(chunk: Uint8Array): void {
    let buf = chunk;
    if (this.carry && this.carry.length > 0) {
      buf = new Uint8Array(this.carry.length + chunk.length);
      buf.set(this.carry, 0);
      buf.set(chunk, this.carry.length);
    }
    const lastNl = buf.lastIndexOf(0x0a);
    if (lastNl < 0) {
      this.carry = buf.slice();
      return;
    }
    this.parseLines(buf, lastNl + 1);
    this.bufferOffset += lastNl + 1;
    this.carry = buf.slice(lastNl + 1);
  }

  finish(): MptData {
    if (this.carry && this.carry.length > 0) {
      const buf = this.carry;
      this.carry = null;
      this.parseLines(buf, buf.length);
      this.bufferOffset += buf.length;
    }
    const n = this.rows;
    return {
      rowCount: n,
      columns: this.arrays.map((a) => (a ? (a.length === n ? a : a.slice(0, n)) : null)),
      decimalSeparator: this.decimal === 0x2c ? ',' : this.decimal === 0x2e ? '.' : null,
    };
  }

  private grow(): void {
    const cap = this.capacity * 2;
    for (let c = 0; c < this.arrays.length; c++) {
      const a = this.arrays[c];
      if (!a) continue;
      const b = new Float64Array(cap);
      b.set(a);
      this.arrays[c] = b;
    }
    this.capacity = cap;
  }

  private fail(pos: number, what: string): never {
    throw new FormatError(this.fileName, this.bufferOffset + pos, `line ${this.lineNo}: ${what}`, READER_ID);
  }

  /** Parse the complete lines in buf[0, end). */
  private parseLines(buf: Uint8Array, end: number): void {
    const nCols = this.nCols;
    const wanted = this.wanted;
    let pos = 0;
    while (pos < end) {
      let eol = buf.indexOf(0x0a, pos);
      if (eol < 0 || eol > end) eol = end;
      let lineEnd = eol;
      if (lineEnd > pos && buf[lineEnd - 1] === 0x0d) lineEnd--;
      // Blank lines (some exports end with one; yadg issue #151) carry no row.
      let blank = true;
      for (let k = pos; k < lineEnd; k++) {
        const ch = buf[k]!;
        if (ch !== 0x20 && ch !== 0x09) {
          blank = false;
          break;
        }
      }
      if (!blank) {
        if (this.rows === this.capacity) this.grow();
        const row = this.rows;
        let p = pos;
        for (let c = 0; c < nCols; c++) {
          if (p > lineEnd) this.fail(lineEnd, `${nCols} tab-separated values (found ${c})`);
          let q = p;
          while (q < lineEnd && buf[q] !== 0x09) q++;
          if (wanted[c]) this.arrays[c]![row] = this.parseNumber(buf, p, q, c);
          p = q + 1;
        }
        // After the last column: end of line, or one trailing tab, or trailing blanks.
        if (p <= lineEnd) {
          for (let k = p; k < lineEnd; k++) {
            const ch = buf[k]!;
            if (ch !== 0x20 && ch !== 0x09) {
              let extra = 1;
              for (let j = k; j < lineEnd; j++) if (buf[j] === 0x09) extra++;
              this.fail(k, `${nCols} tab-separated values, as many as column labels (found ${nCols + extra})`);
            }
          }
        }
        this.rows = row + 1;
      }
      this.lineNo++;
      pos = eol + 1;
    }
  }

  private parseNumber(buf: Uint8Array, s: number, e: number, col: number): number {
    // Trim blanks (EC-Lab does not pad, but hand-edited files may).
    while (s < e && buf[s] === 0x20) s++;
    while (e > s && buf[e - 1] === 0x20) e--;
    let i = s;
    let neg = false;
    if (buf[i] === 0x2d) {
      neg = true;
      i++;
    } else if (buf[i] === 0x2b) i++;
    let mant = 0;
    let exact = true;
    let digits = 0;
    let scale = 0;
    let ch = buf[i];
    while (i < e && ch! >= 0x30 && ch! <= 0x39) {
      mant = mant * 10 + (ch! - 0x30);
      digits++;
      i++;
      ch = buf[i];
    }
    if (i < e && (ch === 0x2e || ch === 0x2c)) {
      if (this.decimal === 0) this.decimal = ch;
      else if (this.decimal !== ch) {
        this.fail(i, `a number in column ${col + 1} with the decimal separator "${String.fromCharCode(this.decimal)}" used by the rest of the file`);
      }
      i++;
      ch = buf[i];
      while (i < e && ch! >= 0x30 && ch! <= 0x39) {
        mant = mant * 10 + (ch! - 0x30);
        digits++;
        scale--;
        i++;
        ch = buf[i];
      }
    }
    if (digits === 0) return this.parseSpecial(buf, s, e, col);
    if (mant >= TWO53) exact = false;
    if (i < e && (ch === 0x45 || ch === 0x65)) {
      i++;
      let eneg = false;
      if (buf[i] === 0x2d) {
        eneg = true;
        i++;
      } else if (buf[i] === 0x2b) i++;
      let ex = 0;
      let ed = 0;
      while (i < e && buf[i]! >= 0x30 && buf[i]! <= 0x39) {
        if (ex < 100000) ex = ex * 10 + (buf[i]! - 0x30);
        ed++;
        i++;
      }
      if (ed === 0) this.fail(i, `a number in column ${col + 1} (exponent without digits)`);
      scale += eneg ? -ex : ex;
    }
    if (i !== e) this.fail(s, `a number in column ${col + 1} (found "${latin1(buf, s, e)}")`);
    let v: number;
    if (exact && scale >= -22 && scale <= 22) {
      v = scale < 0 ? mant / POW10[-scale]! : mant * POW10[scale]!;
    } else {
      v = Number(latin1(buf, s, e).replace(',', '.'));
      return v;
    }
    return neg ? -v : v;
  }

  private parseSpecial(buf: Uint8Array, s: number, e: number, col: number): number {
    const t = latin1(buf, s, e).toLowerCase();
    if (t === 'nan' || t === '-nan' || t === '+nan') return NaN;
    if (t === 'inf' || t === '+inf' || t === 'infinity' || t === '+infinity') return Infinity;
    if (t === '-inf' || t === '-infinity') return -Infinity;
    this.fail(s, `a number in column ${col + 1} (found "${latin1(buf, s, e).slice(0, 40)}")`);
  }
}

function latin1(buf: Uint8Array, s: number, e: number): string {
  let out = '';
  for (let i = s; i < e && i < s + 64; i++) out += String.fromCharCode(buf[i]!);
  return out;
}

/** Parse a whole in-memory .mpt file: header plus all columns. */
export function parseMpt(bytes: Uint8Array, fileName: string): { header: MptHeader; data: MptData } {
  const header = parseMptHeader(bytes, fileName, true);
  const parser = new MptDataParser(
    fileName,
    header.columns.length,
    header.columns.map(() => true),
    header.dataOffset,
    header.nbHeaderLines + 1,
    estimateRows(bytes.length - header.dataOffset, header.columns.length),
  );
  parser.push(bytes.subarray(header.dataOffset));
  return { header, data: parser.finish() };
}

/** A row-count guess from the data size (about 14 bytes per value in EC-Lab's E-notation). */
export function estimateRows(dataBytes: number, nCols: number): number {
  return Math.max(16, Math.ceil(dataBytes / Math.max(1, nCols * 14)));
}

/** The original-metadata tree the reader exposes. */
export function headerTree(h: MptHeader, decimalSeparator: '.' | ',' | null): MetaTree {
  const tree: MetaTree = {
    magic: h.magic,
    nbHeaderLines: h.nbHeaderLines,
    encoding: h.encoding,
    lineEnding: h.lineEnding === '\r\n' ? 'CRLF' : 'LF',
    decimalSeparator,
    settings: h.settings,
    params: h.params,
    loops: h.loops.map((l) => ({ index: l.index, from: l.from, to: l.to })),
    flags: h.flags,
    columnLabels: h.columnLabels,
    rawHeader: h.rawHeader,
  };
  if (h.technique !== undefined) tree.technique = h.technique;
  return tree;
}
