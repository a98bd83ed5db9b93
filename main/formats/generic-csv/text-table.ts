/**
 * The delimited-text table engine shared by the cycler text readers (Maccor, Novonix, PEC, BDF,
 * generic CSV/TSV). One pass over the bytes straight into Float64Arrays grown by doubling: no
 * per-row string arrays. Every cell is converted by its column's kind:
 *
 * - 'number': decimal point or comma, optional thousands separator (detectNumberStyle). Numbers
 *   take Clinger's fast path (W. D. Clinger, "How to read floating point numbers accurately",
 *   PLDI 1990: exact when the mantissa has ≤ 15 digits and the decimal exponent is within ±22) and
 *   fall back to Number() otherwise, so every value equals Number(token) of the normalised token.
 *   Empty cells and the usual "missing" spellings (N/A, NA, NaN, -, --, #N/A) are NaN, not errors.
 * - 'duration': elapsed time "[Nd ]h:mm:ss[.fff]" (Maccor TestTime, Neware Time) → seconds.
 * - 'datetime': wall-clock stamps → seconds since 1970-01-01 00:00:00 *of the instrument's own
 *   local clock* (no zone: the files state none), so differences are real durations.
 * - 'category': text (Maccor State, BDF Step Type, PEC Rack) → integer codes 0, 1, … in order of
 *   first appearance; the labels are returned so a mapper can publish the legend.
 *
 * Errors. Structural problems — a row with more non-empty fields or fewer fields than labels, an
 * unterminated quote, a line longer than MAX_LINE_BYTES — throw FormatError(file, byte offset,
 * "line L: …"). A cell that does not convert is NaN and counted; the first few are listed (with
 * line numbers) in `warnings`. When a column has more than max(BAD_CELL_MIN, 1 % of rows) bad
 * cells the file is not what the reader thought: FormatError at the first bad cell of that column.
 */
import { FormatError, MAX_ALLOCATION_BYTES } from '../format-error.js';

export type CellKind = 'number' | 'duration' | 'datetime' | 'category';

export interface NumberStyle {
  /** Decimal separator byte: 0x2e '.' or 0x2c ','. */
  decimal: number;
  /** Thousands separator byte to skip inside numbers, or null. */
  thousands: number | null;
}

export const DOT_STYLE: NumberStyle = { decimal: 0x2e, thousands: null };

export interface TableLayout {
  file: string;
  readerId: string;
  /** Field delimiter byte (0x09 tab, 0x2c comma, 0x3b semicolon, 0x7c pipe). */
  delimiter: number;
  style: NumberStyle;
  kinds: CellKind[];
  /** a/b/YYYY dates: day first (default month first, as US-made cyclers write them). */
  dayFirst?: boolean;
  /** Novonix writes each data row wrapped in one pair of quotes: strip them. */
  unwrapLineQuotes?: boolean;
  /** Byte offset of the first data line, and its 1-based line number. */
  dataOffset: number;
  firstLine: number;
}

export interface ParsedTable {
  rowCount: number;
  /** One per column; null for columns not asked for. */
  columns: (Float64Array | null)[];
  /** Category labels per column (code = index). */
  categories: string[][];
  warnings: string[];
  badCells: number;
  /** Blank lines skipped inside the data. */
  blankLines: number;
}

export const MAX_LINE_BYTES = 16 * 1024 * 1024;
const BAD_CELL_MIN = 20;
const BAD_CELL_LIST = 5;
const MAX_CATEGORIES = 65536;

const POW10 = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decode text: UTF-8 when valid, else Windows-1252/Latin-1 (cellpy's maccor_002.txt has stray bytes). */
export function decodeText(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    return latin1.decode(bytes);
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

/** Result flag of the last parseNumber call: the token was not a number (as opposed to missing). */
let badToken = false;

function isMissing(b: Uint8Array, s: number, e: number): boolean {
  const n = e - s;
  if (n === 1) return b[s] === 0x2d; // -
  if (n === 2) {
    const a = b[s]! | 0x20;
    const c = b[s + 1]! | 0x20;
    return (a === 0x6e && c === 0x61) || (b[s] === 0x2d && b[s + 1] === 0x2d); // na, --
  }
  if (n === 3) {
    const a = b[s]! | 0x20;
    const c = b[s + 2]! | 0x20;
    // n/a, nan
    return (a === 0x6e && b[s + 1] === 0x2f && c === 0x61) || (a === 0x6e && (b[s + 1]! | 0x20) === 0x61 && c === 0x6e);
  }
  if (n === 4) return b[s] === 0x23 && (b[s + 1]! | 0x20) === 0x6e && b[s + 2] === 0x2f && (b[s + 3]! | 0x20) === 0x61; // #n/a
  return false;
}

/**
 * Parse bytes [s, e) as a number in the given style. Missing → NaN with badToken false; not a
 * number → NaN with badToken true.
 */
export function parseNumber(b: Uint8Array, s: number, e: number, style: NumberStyle): number {
  badToken = false;
  while (s < e && isSpace(b[s]!)) s++;
  while (e > s && isSpace(b[e - 1]!)) e--;
  if (s >= e) return NaN;
  let i = s;
  let neg = false;
  if (b[i] === 0x2d) {
    neg = true;
    i++;
  } else if (b[i] === 0x2b) i++;
  let mant = 0;
  let sig = 0;
  let exp10 = 0;
  let digits = 0;
  let dot = false;
  let fast = true;
  for (; i < e; i++) {
    const c = b[i]!;
    if (c >= 0x30 && c <= 0x39) {
      digits++;
      if (sig === 0 && c === 0x30) {
        if (dot) exp10--;
        continue;
      }
      if (sig < 15) {
        mant = mant * 10 + (c - 0x30);
        sig++;
        if (dot) exp10--;
      } else {
        fast = false;
        if (!dot) exp10++;
      }
    } else if (c === style.decimal && !dot) {
      dot = true;
    } else if (style.thousands !== null && c === style.thousands && !dot && digits > 0) {
      // skipped: a thousands separator between integer digits
    } else break;
  }
  if (digits === 0) {
    if (isMissing(b, s, e)) return NaN;
    return fallback(b, s, e, style);
  }
  if (i < e) {
    const c = b[i]!;
    if (c !== 0x65 && c !== 0x45) {
      badToken = true;
      return NaN;
    }
    i++;
    let eneg = false;
    if (b[i] === 0x2d) {
      eneg = true;
      i++;
    } else if (b[i] === 0x2b) i++;
    let ex = 0;
    let ed = 0;
    for (; i < e; i++) {
      const d = b[i]!;
      if (d < 0x30 || d > 0x39) break;
      if (ex < 100000) ex = ex * 10 + (d - 0x30);
      ed++;
    }
    if (ed === 0 || i < e) {
      badToken = true;
      return NaN;
    }
    exp10 += eneg ? -ex : ex;
  }
  if (!fast || exp10 > 22 || exp10 < -22) return fallback(b, s, e, style);
  const v = exp10 >= 0 ? mant * POW10[exp10]! : mant / POW10[-exp10]!;
  return neg ? -v : v;
}

/** Slow path: normalise separators and let Number() round correctly. */
function fallback(b: Uint8Array, s: number, e: number, style: NumberStyle): number {
  let str = '';
  for (let i = s; i < e; i++) {
    const c = b[i]!;
    if (style.thousands !== null && c === style.thousands) continue;
    str += c === style.decimal ? '.' : String.fromCharCode(c);
  }
  const t = str.trim();
  // Number('') is 0 and Number('0x1') is 1: only decimal spellings (and Infinity) count.
  if (!/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$|^[+-]?Infinity$/.test(t)) {
    badToken = true;
    return NaN;
  }
  return Number(t);
}

/** "[Nd ]h:mm:ss[.fff]" or "mm:ss[.fff]" → seconds; NaN + badToken otherwise. */
export function parseDuration(b: Uint8Array, s: number, e: number): number {
  badToken = false;
  while (s < e && isSpace(b[s]!)) s++;
  while (e > s && isSpace(b[e - 1]!)) e--;
  if (s >= e) return NaN;
  let days = 0;
  let i = s;
  // optional "Nd "
  let j = i;
  while (j < e && b[j]! >= 0x30 && b[j]! <= 0x39) j++;
  if (j > i && j < e && (b[j] === 0x64 || b[j] === 0x44)) {
    days = parseNumber(b, i, j, DOT_STYLE);
    i = j + 1;
    while (i < e && b[i] === 0x20) i++;
  }
  const parts: number[] = [];
  let start = i;
  for (let k = i; k <= e; k++) {
    if (k === e || b[k] === 0x3a) {
      const v = parseNumber(b, start, k, DOT_STYLE);
      if (badToken || Number.isNaN(v) || v < 0) {
        badToken = true;
        return NaN;
      }
      parts.push(v);
      start = k + 1;
    }
  }
  badToken = false;
  if (parts.length === 3) return days * 86400 + parts[0]! * 3600 + parts[1]! * 60 + parts[2]!;
  if (parts.length === 2) return days * 86400 + parts[0]! * 60 + parts[1]!;
  if (parts.length === 1 && days > 0) return days * 86400 + parts[0]!;
  badToken = true;
  return NaN;
}

const ISO_RE = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]+(\d{1,2}):(\d{2})(?::(\d{2})(\.\d+)?)?\s*([AaPp][Mm])?)?$/;
const DMY_RE = /^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?:,?\s+(\d{1,2}):(\d{2})(?::(\d{2})(\.\d+)?)?\s*([AaPp][Mm])?)?$/;

const NAMED_RE =
  /^(?:[A-Za-z]+,?\s+)?(?:(\d{1,2})[-\s]+([A-Za-z]{3,9})|([A-Za-z]{3,9})\s+(\d{1,2}))[-,\s]+(\d{4}|\d{2})(?:,?\s+(\d{1,2}):(\d{2})(?::(\d{2})(\.\d+)?)?\s*([AaPp][Mm])?)?$/;
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

function monthIndex(name: string): number {
  const n = name.toLowerCase();
  if (n.length < 3) return -1;
  const i = MONTHS.indexOf(n.slice(0, 3));
  // Full names must be spelled out correctly ("Sept" is tolerated).
  if (i < 0 || (n.length > 3 && !'january february march april may june july august september october november december'.split(' ')[i]!.startsWith(n))) return -1;
  return i;
}

/**
 * A wall-clock stamp → seconds since 1970-01-01 00:00:00 of the same (unstated) zone. Accepts
 * ISO-like "YYYY-MM-DD[ T]hh:mm[:ss[.f]][ AM|PM]" and "a/b/YYYY[ hh:mm[:ss[.f]][ AM|PM]]" (month
 * first unless dayFirst or a > 12; dotted a.b.YYYY is day first), and named months ("11 December
 * 2020, 12:22:12 PM", "21-Oct-19 11:59:59 PM", "Wednesday, November 2, 2016").
 */
export function parseDateTimeString(text: string, dayFirst = false): number {
  const t = text.trim();
  let y: number, mo: number, d: number, h = 0, mi = 0, sec = 0, frac = 0, ampm: string | undefined;
  let m = ISO_RE.exec(t);
  if (m) {
    y = +m[1]!;
    mo = +m[2]!;
    d = +m[3]!;
    if (m[4] !== undefined) {
      h = +m[4];
      mi = +m[5]!;
      sec = m[6] !== undefined ? +m[6] : 0;
      frac = m[7] !== undefined ? +m[7] : 0;
      ampm = m[8];
    }
  } else if ((m = DMY_RE.exec(t))) {
    const a = +m[1]!;
    const bb = +m[3]!;
    const dayFirstHere = m[2] === '.' || (dayFirst ? bb <= 12 : a > 12);
    d = dayFirstHere ? a : bb;
    mo = dayFirstHere ? bb : a;
    y = +m[4]!;
    if (m[5] !== undefined) {
      h = +m[5];
      mi = +m[6]!;
      sec = m[7] !== undefined ? +m[7] : 0;
      frac = m[8] !== undefined ? +m[8] : 0;
      ampm = m[9];
    }
  } else if ((m = NAMED_RE.exec(t))) {
    // "11 December 2020, 12:22:12 PM" (Maccor), "21-Oct-19 11:59:59 PM", "November 2, 2016"
    const day = m[1] ?? m[4];
    const mon = monthIndex(m[2] ?? m[3]!);
    if (mon < 0 || day === undefined) return NaN;
    d = +day;
    mo = mon + 1;
    y = +m[5]!;
    if (m[5]!.length === 2) y += y < 70 ? 2000 : 1900;
    if (m[6] !== undefined) {
      h = +m[6];
      mi = +m[7]!;
      sec = m[8] !== undefined ? +m[8] : 0;
      frac = m[9] !== undefined ? +m[9] : 0;
      ampm = m[10];
    }
  } else return NaN;
  if (ampm) {
    if (h < 1 || h > 12) return NaN;
    const pm = ampm.toLowerCase() === 'pm';
    h = (h % 12) + (pm ? 12 : 0);
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return NaN;
  const ms = Date.UTC(y, mo - 1, d, h, mi, sec);
  const back = new Date(ms);
  if (back.getUTCDate() !== d) return NaN; // 31 February
  return ms / 1000 + frac;
}

/** Seconds from parseDateTimeString → "YYYY-MM-DDThh:mm:ss" (ISO 8601 local time, no zone). */
export function isoFromSeconds(s: number): string {
  const ms = Math.round(s * 1000);
  const iso = new Date(ms).toISOString(); // "YYYY-MM-DDThh:mm:ss.sssZ"
  return ms % 1000 === 0 ? iso.slice(0, 19) : iso.slice(0, 23);
}

// ---------------------------------------------------------------------------------------------
// Sampling and inference (on a bounded number of lines, as strings)

/** Split one line into fields; double-quoted fields may hold the delimiter ("" is a quote). */
export function splitLine(line: string, delimiter: string): string[] {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    if (line[i] === '"') {
      let v = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) {
          v += line.slice(i);
          i = n;
          break;
        }
        v += line.slice(i, q);
        if (line[q + 1] === '"') {
          v += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      const d = line.indexOf(delimiter, i);
      v += d < 0 ? line.slice(i) : line.slice(i, d);
      out.push(v);
      if (d < 0) break;
      i = d + 1;
    } else {
      const d = line.indexOf(delimiter, i);
      if (d < 0) {
        out.push(line.slice(i));
        break;
      }
      out.push(line.slice(i, d));
      i = d + 1;
    }
  }
  return out;
}

const NUMLIKE = /^[+-]?[\d.,' ]*\d[\d.,' ]*(?:[eE][+-]?\d+)?$/;
const DURATION_RE = /^(?:\d+[dD]\s+)?\d+:\d{1,2}(?::\d{1,2}(?:\.\d+)?)?$/;

/**
 * Decide the decimal and thousands separators from sample tokens. A comma can only be a decimal
 * separator in files not delimited by commas. Both '.' and ',' in one token: the later one is the
 * decimal. Only commas: thousands when every such token is grouped by three digits and other
 * tokens use a decimal point, else decimal comma (a German "3,456" V is likelier than a 3456 V).
 */
export function detectNumberStyle(tokens: Iterable<string>, delimiter: string): NumberStyle {
  if (delimiter === ',') return DOT_STYLE;
  let both: NumberStyle | null = null;
  let commaTokens = 0;
  let commaGrouped = 0;
  let dotTokens = 0;
  let multiDot = 0;
  for (const raw of tokens) {
    const t = raw.trim();
    if (!NUMLIKE.test(t)) continue;
    const c = t.lastIndexOf(',');
    const d = t.lastIndexOf('.');
    if (c >= 0 && d >= 0) {
      both = c > d ? { decimal: 0x2c, thousands: 0x2e } : { decimal: 0x2e, thousands: 0x2c };
      break;
    }
    if (c >= 0) {
      commaTokens++;
      if (/^[+-]?\d{1,3}(?:,\d{3})+$/.test(t)) commaGrouped++;
    } else if (d >= 0) {
      dotTokens++;
      if (t.indexOf('.') !== d) multiDot++;
    }
  }
  if (both) return both;
  if (multiDot > 0) return { decimal: 0x2c, thousands: 0x2e };
  if (commaTokens > 0) {
    if (commaGrouped === commaTokens && dotTokens > 0) return { decimal: 0x2e, thousands: 0x2c };
    return { decimal: 0x2c, thousands: null };
  }
  return DOT_STYLE;
}

function isNumberToken(t: string, style: NumberStyle): 'num' | 'missing' | 'bad' {
  const bytes = latin1Bytes(t);
  const v = parseNumber(bytes, 0, bytes.length, style);
  if (badToken) return 'bad';
  return Number.isNaN(v) ? 'missing' : 'num';
}

function latin1Bytes(t: string): Uint8Array {
  const b = new Uint8Array(t.length);
  for (let i = 0; i < t.length; i++) b[i] = t.charCodeAt(i) & 0xff;
  return b;
}

/**
 * Kind of each column from sample rows (head and tail of the data): number when ≥ 90 % of the
 * non-missing tokens are numbers, else duration, datetime, or category when all of them are.
 */
export function inferKinds(rows: string[][], ncols: number, style: NumberStyle, dayFirst = false): CellKind[] {
  const kinds: CellKind[] = [];
  for (let k = 0; k < ncols; k++) {
    let num = 0;
    let dur = 0;
    let dt = 0;
    let present = 0;
    for (const r of rows) {
      const t = (r[k] ?? '').trim();
      if (t === '') continue;
      const n = isNumberToken(t, style);
      if (n === 'missing') continue;
      present++;
      if (n === 'num') num++;
      else if (DURATION_RE.test(t)) dur++;
      else if (!Number.isNaN(parseDateTimeString(t, dayFirst))) dt++;
    }
    if (present === 0 || num >= 0.9 * present) kinds.push('number');
    else if (dur === present) kinds.push('duration');
    else if (dt === present) kinds.push('datetime');
    else kinds.push('category');
  }
  return kinds;
}

/** Lines of a decoded text with their byte offsets (for header parsing on a bounded head). */
export interface TextLine {
  text: string;
  /** Byte offset of the line start and of the next line's start. */
  start: number;
  next: number;
  /** 1-based. */
  number: number;
}

/**
 * Split a byte buffer into lines (LF or CRLF; a lone CR too). Text of each line is decoded with
 * `decode`. Only complete lines (ending in a line break, or at EOF when atEof) are returned.
 */
export function splitLines(bytes: Uint8Array, atEof: boolean, maxLines = Infinity, decode: (b: Uint8Array) => string = decodeText): TextLine[] {
  const out: TextLine[] = [];
  let s = 0;
  let n = 1;
  for (let i = 0; i < bytes.length && out.length < maxLines; i++) {
    const c = bytes[i]!;
    if (c === 0x0a || c === 0x0d) {
      let next = i + 1;
      if (c === 0x0d && bytes[i + 1] === 0x0a) next = i + 2;
      else if (c === 0x0d && i + 1 === bytes.length && !atEof) break; // CR at the end: LF may follow
      out.push({ text: decode(bytes.subarray(s, i)), start: s, next, number: n++ });
      s = next;
      i = next - 1;
    }
  }
  if (atEof && s < bytes.length && out.length < maxLines) out.push({ text: decode(bytes.subarray(s)), start: s, next: bytes.length, number: n });
  return out;
}

// ---------------------------------------------------------------------------------------------
// The streaming parser

export class TableParser {
  private carry: Uint8Array | null = null;
  private carryOffset = 0;
  private line: number;
  private rows = 0;
  private cap: number;
  private readonly cols: (Float64Array | null)[];
  private readonly catMaps: Map<string, number>[];
  private readonly catLists: string[][];
  private readonly badPerCol: number[];
  private readonly firstBad: ({ line: number; offset: number; token: string } | null)[];
  private badListed: string[] = [];
  private badTotal = 0;
  private blank = 0;
  private readonly ncols: number;
  private readonly decodeCat = new TextDecoder('utf-8');

  constructor(
    private readonly layout: TableLayout,
    private readonly wanted: readonly boolean[],
    estimatedRows: number,
  ) {
    this.ncols = layout.kinds.length;
    this.line = layout.firstLine;
    const nWanted = wanted.filter(Boolean).length;
    const perRow = Math.max(1, nWanted) * 8;
    this.cap = Math.max(16, Math.min(Math.ceil(estimatedRows), Math.floor(MAX_ALLOCATION_BYTES / perRow), 1 << 24));
    this.cols = layout.kinds.map((_, k) => (wanted[k] ? new Float64Array(this.cap) : null));
    this.catMaps = layout.kinds.map(() => new Map());
    this.catLists = layout.kinds.map(() => []);
    this.badPerCol = layout.kinds.map(() => 0);
    this.firstBad = layout.kinds.map(() => null);
  }

  private fail(offset: number, line: number, what: string): never {
    throw new FormatError(this.layout.file, offset, `line ${line}: ${what}`, this.layout.readerId);
  }

  /** Feed the next bytes of the data section; `fileOffset` is the file offset of chunk[0]. */
  push(chunk: Uint8Array, fileOffset: number): void {
    let buf = chunk;
    let base = fileOffset;
    if (this.carry) {
      buf = new Uint8Array(this.carry.length + chunk.length);
      buf.set(this.carry);
      buf.set(chunk, this.carry.length);
      base = this.carryOffset;
      this.carry = null;
    }
    let s = 0;
    const n = buf.length;
    for (let i = 0; i < n; i++) {
      const c = buf[i]!;
      if (c === 0x0a) {
        this.processLine(buf, s, i, base + s);
        s = i + 1;
      } else if (c === 0x0d && i + 1 < n && buf[i + 1] !== 0x0a) {
        // a lone CR (old Mac line end)
        this.processLine(buf, s, i, base + s);
        s = i + 1;
      }
    }
    if (s < n) {
      if (n - s > MAX_LINE_BYTES) this.fail(base + s, this.line, `a line break within ${MAX_LINE_BYTES} bytes`);
      this.carry = buf.slice(s);
      this.carryOffset = base + s;
    }
  }

  finish(): ParsedTable {
    if (this.carry) {
      const c = this.carry;
      this.carry = null;
      this.processLine(c, 0, c.length, this.carryOffset);
    }
    const rows = this.rows;
    for (let k = 0; k < this.ncols; k++) {
      const bad = this.badPerCol[k]!;
      if (bad > Math.max(BAD_CELL_MIN, 0.01 * rows)) {
        const fb = this.firstBad[k]!;
        this.fail(fb.offset, fb.line, `column ${k + 1}: ${bad} of ${rows} cells are not ${this.layout.kinds[k]}s (first: "${fb.token}")`);
      }
    }
    const warnings: string[] = [];
    if (this.badTotal > 0) {
      warnings.push(`${this.badTotal} cell(s) could not be read and are NaN: ${this.badListed.join('; ')}${this.badTotal > this.badListed.length ? '; …' : ''}`);
    }
    return {
      rowCount: rows,
      columns: this.cols.map((c) => (c ? c.subarray(0, rows) : null)),
      categories: this.catLists,
      warnings,
      badCells: this.badTotal,
      blankLines: this.blank,
    };
  }

  private grow(): void {
    const next = this.cap * 2;
    const nWanted = this.cols.filter(Boolean).length;
    if (next * 8 * Math.max(1, nWanted) > MAX_ALLOCATION_BYTES * 4) {
      this.fail(this.carryOffset, this.line, `at most ${this.cap} rows for ${nWanted} columns (memory bound)`);
    }
    for (let k = 0; k < this.cols.length; k++) {
      const c = this.cols[k];
      if (!c) continue;
      const g = new Float64Array(next);
      g.set(c);
      this.cols[k] = g;
    }
    this.cap = next;
  }

  private bad(k: number, b: Uint8Array, s: number, e: number, offset: number): void {
    this.badPerCol[k]!++;
    this.badTotal++;
    const token = latin1.decode(b.subarray(s, Math.min(e, s + 40))).trim();
    // processLine has already advanced the counter past the current line.
    const line = this.line - 1;
    if (!this.firstBad[k]) this.firstBad[k] = { line, offset, token };
    if (this.badListed.length < BAD_CELL_LIST) this.badListed.push(`line ${line} column ${k + 1} "${token}"`);
  }

  private processLine(b: Uint8Array, s: number, e: number, offset: number): void {
    const lineNo = this.line++;
    if (e > s && b[e - 1] === 0x0d) e--;
    let blank = true;
    for (let i = s; i < e; i++) {
      if (!isSpace(b[i]!)) {
        blank = false;
        break;
      }
    }
    if (blank) {
      this.blank++;
      return;
    }
    if (this.layout.unwrapLineQuotes && b[s] === 0x22 && b[e - 1] === 0x22 && e - s >= 2) {
      s++;
      e--;
    }
    if (this.rows === this.cap) this.grow();
    const row = this.rows;
    const delim = this.layout.delimiter;
    const kinds = this.layout.kinds;
    const ncols = this.ncols;
    let k = 0;
    let p = s;
    for (;;) {
      let fs = p;
      let fe: number;
      let quoted = false;
      if (b[p] === 0x22) {
        // quoted field: up to the closing quote ("" escapes a quote)
        quoted = true;
        let q = p + 1;
        for (;;) {
          while (q < e && b[q] !== 0x22) q++;
          if (q >= e) this.fail(offset + (p - s), lineNo, `a closing quote for the field starting at column ${k + 1}`);
          if (b[q + 1] === 0x22) {
            q += 2;
            continue;
          }
          break;
        }
        fs = p + 1;
        fe = q;
        p = q + 1;
        while (p < e && b[p] !== delim) p++;
      } else {
        while (p < e && b[p] !== delim) p++;
        fe = p;
      }
      if (k < ncols) {
        const col = this.cols[k];
        if (col) {
          let v: number;
          switch (kinds[k]) {
            case 'number':
              v = parseNumber(b, fs, fe, this.layout.style);
              break;
            case 'duration':
              v = parseDuration(b, fs, fe);
              break;
            case 'datetime': {
              const t = latin1.decode(b.subarray(fs, fe)).trim();
              badToken = false;
              if (t === '') v = NaN;
              else {
                v = parseDateTimeString(t, this.layout.dayFirst);
                badToken = Number.isNaN(v);
              }
              break;
            }
            default: {
              badToken = false;
              let t = this.decodeCat.decode(b.subarray(fs, fe)).trim();
              if (quoted) t = t.replace(/""/g, '"');
              if (t === '') v = NaN;
              else {
                const m = this.catMaps[k]!;
                let code = m.get(t);
                if (code === undefined) {
                  if (m.size >= MAX_CATEGORIES) {
                    badToken = true;
                    v = NaN;
                    break;
                  }
                  code = m.size;
                  m.set(t, code);
                  this.catLists[k]!.push(t);
                }
                v = code;
              }
            }
          }
          if (badToken) this.bad(k, b, fs, fe, offset + (fs - s));
          col[row] = v;
        }
      } else {
        for (let i = fs; i < fe; i++) {
          if (!isSpace(b[i]!)) this.fail(offset + (fs - s), lineNo, `${ncols} fields as in the label line (found a value in field ${k + 1})`);
        }
      }
      k++;
      if (p >= e) break;
      p++; // past the delimiter
      if (p === e) {
        // trailing delimiter: one more, empty field
        if (k < ncols) {
          const col = this.cols[k];
          if (col) col[row] = NaN;
        }
        k++;
        break;
      }
    }
    if (k < ncols) {
      this.fail(offset, lineNo, `${ncols} fields as in the label line (found ${k})`);
    }
    this.rows++;
  }
}
