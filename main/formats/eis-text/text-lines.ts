/**
 * Shared text plumbing for the EIS text dialects: decoding, lines with byte offsets (so a
 * FormatError can point at the byte where a bad row starts), strict number parsing and the
 * common table model every dialect parser returns.
 */
import type { MetaTree, NormalisedMetadata } from '../../api/dataset.js';
import { FormatError } from '../format-error.js';

export const READER_ID = 'eis-text';

export type EisDialect =
  | 'zplot'
  | 'zplot-plain'
  | 'autolab'
  | 'gamry'
  | 'parstat'
  | 'versastudio'
  | 'powersuite'
  | 'chinstruments'
  | 'csv';

export interface Line {
  /** Byte offset of the first byte of the line in the file. */
  offset: number;
  /** 1-based line number. */
  number: number;
  text: string;
}

/**
 * Split bytes into lines at \n, \r\n, \r — and \r\r\n, which PowerSuite writes — keeping each
 * line's byte offset. Text is UTF-8 when it decodes as such, else Windows-1252/Latin-1 (Gamry and
 * CH Instruments write the instrument's code page; the degree sign is the usual non-ASCII byte).
 * A UTF-8 byte-order mark is skipped.
 */
export function splitLines(bytes: Uint8Array): { lines: Line[]; encoding: 'utf-8' | 'latin1' } {
  let start = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  let encoding: 'utf-8' | 'latin1' = 'utf-8';
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(start));
  } catch {
    encoding = 'latin1';
  }
  const decoder = new TextDecoder(encoding);
  const lines: Line[] = [];
  let lineStart = start;
  let number = 1;
  for (let i = start; i <= bytes.length; i++) {
    const b = i < bytes.length ? bytes[i] : -1;
    if (b !== 0x0a && b !== 0x0d && b !== -1) continue;
    lines.push({ offset: lineStart, number: number++, text: decoder.decode(bytes.subarray(lineStart, i)) });
    if (b === -1) break;
    // consume \r\n and \r\r\n as one line end
    let j = i;
    if (bytes[j] === 0x0d && bytes[j + 1] === 0x0d && bytes[j + 2] === 0x0a) j += 2;
    else if (bytes[j] === 0x0d && bytes[j + 1] === 0x0a) j += 1;
    i = j;
    lineStart = j + 1;
  }
  // A final line end leaves an empty last line; drop it.
  if (lines.length > 0 && lines[lines.length - 1]!.text === '' && lineStart >= bytes.length) lines.pop();
  return { lines, encoding };
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A number token, or null — stricter than Number(), which accepts '' and '0x1f'. */
export function parseNumber(token: string, decimalComma = false): number | null {
  let t = token.trim();
  if (decimalComma) t = t.replace(',', '.');
  if (NUMBER.test(t)) return Number(t);
  if (/^[+-]?(nan|inf|infinity)$/i.test(t)) return /nan/i.test(t) ? NaN : t.startsWith('-') ? -Infinity : Infinity;
  return null;
}

/** Parse every field of a row; FormatError at the line when one is not a number. */
export function numericRow(file: string, line: Line, fields: string[], what: string, decimalComma = false): number[] {
  return fields.map((f, k) => {
    const v = parseNumber(f, decimalComma);
    if (v === null) throw new FormatError(file, line.offset, `${what}: a number in field ${k + 1} of line ${line.number} (got "${f.trim().slice(0, 40)}")`, READER_ID);
    return v;
  });
}

/** One column as the dialect found it, before normalisation. */
export interface SourceColumn {
  /** The vendor's label, verbatim (trimmed). */
  label: string;
  /** Unit as stated by the file ('' when none). */
  unit: string;
  values: Float64Array;
  integer?: boolean;
}

/** Which source columns are f, Z' and Z'', and the sign convention of the Z'' column. */
export interface ImpedanceMapping {
  freq: number;
  re: number;
  im: number;
  /** 'Im(Z)': the column holds Z'' (negative when capacitive); '-Im(Z)': it holds −Z''. */
  imSign: 'Im(Z)' | '-Im(Z)';
  /** Unit of the impedance columns as written (→ Ω after normalisation). */
  impedanceUnit?: string;
}

export interface EisParsed {
  dialect: EisDialect;
  /** Human name of the dialect ("Gamry Framework .DTA"). */
  dialectName: string;
  columns: SourceColumn[];
  mapping: ImpedanceMapping;
  metadata: NormalisedMetadata;
  original: MetaTree;
  warnings: string[];
  /** Entry name; 'data' unless a file holds several spectra. */
  entry?: string;
  title?: string;
}

/** Columns from row-major numbers. */
export function columnsFromRows(labels: string[], units: string[], rows: number[][], integerLabels: ReadonlySet<string> = new Set()): SourceColumn[] {
  return labels.map((label, k) => ({
    label,
    unit: units[k] ?? '',
    values: Float64Array.from(rows, (r) => r[k]!),
    ...(integerLabels.has(label) ? { integer: true } : {}),
  }));
}

/** Split "Freq (Hz)", "Zre (ohms)", "Time(Sec)", "Z'/ohm", "Phase/deg" into quantity and unit. */
export function splitLabelUnit(label: string): { quantity: string; unit: string } {
  const t = label.trim();
  const paren = /^(.*?)\s*\(([^()]*)\)$/.exec(t);
  if (paren && isUnit(paren[2]!)) return { quantity: paren[1]!, unit: paren[2]! };
  const slash = /^(.*?)\/([^/]+)$/.exec(t);
  if (slash && isUnit(slash[2]!)) return { quantity: slash[1]!, unit: slash[2]! };
  return { quantity: t, unit: '' };
}

const UNIT_WORDS = /^(?:[pnµumkM]?(?:V|A|Hz|s|Sec|sec|ohm|ohms|Ohm|Ω|F|W)|deg|°|degrees|cm2|cm²|%|h|min)$/;
function isUnit(s: string): boolean {
  return UNIT_WORDS.test(s.trim());
}

/** Spelling of units in the normalised model ('ohms' → 'Ω', 'Sec' → 's', 'deg' → '°'). */
export function normaliseUnit(u: string): string {
  const t = u.trim();
  const m = /^([pnµumkM]?)(ohm|ohms|Ohm|Ω)$/.exec(t);
  if (m) return `${m[1] === 'u' ? 'µ' : m[1]}Ω`;
  if (t === 'Sec' || t === 'sec') return 's';
  if (t === 'deg' || t === 'degrees' || t === '°') return '°';
  if (t === 'cm2') return 'cm²';
  return t;
}

/** Impedance column values to Ω, given the unit written (Ω, mΩ, kΩ …). */
export function ohmFactor(unit: string): number | null {
  const u = normaliseUnit(unit);
  const table: Record<string, number> = { Ω: 1, '': 1, mΩ: 1e-3, kΩ: 1e3, MΩ: 1e6, µΩ: 1e-6 };
  return table[u] ?? null;
}
