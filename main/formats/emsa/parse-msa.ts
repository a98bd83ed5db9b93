/**
 * Parser for EMSA/MAS spectral data files (ISO 22029:2022; EMSA/MAS 1.0 of 1991). Pure: bytes in,
 * keyword table and Float64Array data out. The mapper (map-msa.ts) turns them into a DatasetEntry.
 *
 * Layout (ISO 22029:2022 §5–§7):
 *
 *   #FORMAT      : EMSA/MAS Spectral Data File      keyword lines: '#', keyword (≤ 12 chars incl.
 *   #VERSION     : 1.0                               an optional '-unit' suffix, e.g. "BEAMKV -kV"),
 *   #TITLE       : …                                 ':', value. Keywords are case-insensitive.
 *   …                                                '##KEY' lines are user-defined keywords.
 *   #SPECTRUM    : Spectral Data Starts Here         the data follow this line
 *   520.13, 4066.0                                   DATATYPE Y: y values; XY: x, y pairs; one or
 *   …                                                more values per line (NCOLUMNS), separated by
 *   #ENDOFDATA   :                                   commas and/or blanks; Fortran-style E notation
 *
 * The reader is lenient where files in the wild are (values per line, NPOINTS disagreeing with the
 * data — rosettasciio's example1.msa declares 20 points and holds 21 —, a blank before the
 * exponent "2.0 E-06", missing #ENDOFDATA) and says so in warnings; it is strict where guessing
 * would invent data (a token that is not a number, an odd value count for XY data), raising a
 * FormatError with the byte offset of the line. NPOINTS is never used to size an allocation:
 * arrays grow with the values actually present, and the whole file is bounded by MAX_MSA_BYTES.
 */
import { FormatError } from '../format-error.js';

export const READER_ID = 'emsa';

/** A spectrum file of 4096 channels is ~50 kB; 64 MiB holds several million points. */
export const MAX_MSA_BYTES = 64 * 1024 * 1024;

export interface MsaKeyword {
  /** Upper-case keyword without units, e.g. 'BEAMKV'. */
  key: string;
  /** The keyword field as written, trailing blanks removed, e.g. 'BEAMKV   -kV'. */
  rawKey: string;
  /** Units given in the keyword field ('kV' for '#BEAMKV -kV'), if any. */
  units?: string;
  /** The value, trimmed. */
  value: string;
  /** '##KEY' lines (ISO 22029 user-defined keywords). */
  userDefined: boolean;
  /** 1-based line number and byte offset of the line. */
  line: number;
  offset: number;
}

export interface MsaFile {
  keywords: MsaKeyword[];
  dataType: 'Y' | 'XY';
  y: Float64Array;
  /** XY data only. */
  x?: Float64Array;
  encoding: 'utf-8' | 'latin-1';
  warnings: string[];
}

/**
 * A number as ISO 22029 writes it: Fortran-style free format ("21.", ".5", "1.0E-06"), also with a
 * blank between mantissa and exponent ("2.0 E-06", in the standard's own example 2).
 */
export function parseMsaNumber(text: string): number | undefined {
  let s = text.trim();
  s = s.replace(/^([-+]?(?:\d+\.?\d*|\.\d+))\s+([eEdD][-+]?\d+)$/, '$1$2');
  if (!/^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eEdD][-+]?\d+)?$/.test(s)) return undefined;
  // Fortran double-precision exponents ('D') occur in old files.
  const v = Number(s.replace(/[dD]/, 'e'));
  return Number.isFinite(v) ? v : undefined;
}

function isUtf8(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i]! >= 0x80) {
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes);
        return true;
      } catch {
        return false;
      }
    }
  }
  return true;
}

function decodeLine(bytes: Uint8Array, start: number, end: number, utf8: boolean): string {
  if (utf8) return new TextDecoder('utf-8').decode(bytes.subarray(start, end));
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

/** Split a keyword line ("#BEAMKV   -kV: 120.0") into its parts. */
export function parseKeywordLine(line: string, lineNo: number, offset: number): MsaKeyword {
  const userDefined = line.startsWith('##');
  const body = line.replace(/^#+/, '');
  const colon = body.indexOf(':');
  const field = (colon < 0 ? body : body.slice(0, colon)).replace(/\s+$/, '').replace(/^\s+/, '');
  const value = colon < 0 ? '' : body.slice(colon + 1).trim();
  let key = field.toUpperCase();
  let units: string | undefined;
  if (!userDefined) {
    // ISO 22029 §6.2: units may follow the keyword after a '-' ("#CONVANGLE-mR", "#LIVETIME  -s").
    const m = /^([A-Za-z0-9_]+)\s*-\s*(\S(?:.*\S)?)$/.exec(field);
    if (m) {
      key = m[1]!.toUpperCase();
      units = m[2]!;
    }
  }
  return { key, rawKey: field, ...(units !== undefined ? { units } : {}), value, userDefined, line: lineNo, offset };
}

/** Growable float64 buffer: capacity doubles with the data actually read, never from a header. */
class Floats {
  private buf = new Float64Array(256);
  length = 0;
  push(v: number): void {
    if (this.length === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = v;
  }
  get(i: number): number {
    return this.buf[i]!;
  }
  toArray(): Float64Array {
    return this.buf.slice(0, this.length);
  }
}

export function parseMsa(bytes: Uint8Array, fileName: string): MsaFile {
  if (bytes.length > MAX_MSA_BYTES) {
    throw new FormatError(fileName, MAX_MSA_BYTES, `an EMSA file of at most ${MAX_MSA_BYTES} bytes (got ${bytes.length})`, READER_ID);
  }
  const utf8 = isUtf8(bytes);
  const warnings: string[] = [];
  const keywords: MsaKeyword[] = [];
  const values = new Floats();
  let pos = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let lineNo = 0;
  let state: 'header' | 'data' | 'end' = 'header';
  let sawSpectrum = false;
  let sawEnd = false;
  let ignoredInData = 0;
  let trailing = 0;
  let lastDataLine = { offset: 0, line: 0 };

  while (pos < bytes.length) {
    let eol = pos;
    while (eol < bytes.length && bytes[eol] !== 0x0a && bytes[eol] !== 0x0d) eol++;
    const lineStart = pos;
    const line = decodeLine(bytes, pos, eol, utf8);
    lineNo++;
    // CRLF, LF or lone CR line ends (old Macintosh files).
    pos = eol;
    if (bytes[pos] === 0x0d) pos++;
    if (bytes[pos] === 0x0a) pos++;
    const trimmed = line.trim();
    if (state === 'end') {
      if (trimmed.length) trailing++;
      continue;
    }
    if (trimmed.startsWith('#')) {
      const kw = parseKeywordLine(trimmed, lineNo, lineStart);
      if (state === 'data') {
        if (kw.key === 'ENDOFDATA') {
          keywords.push(kw);
          state = 'end';
          sawEnd = true;
        } else ignoredInData++;
        continue;
      }
      keywords.push(kw);
      if (kw.key === 'SPECTRUM') {
        state = 'data';
        sawSpectrum = true;
      } else if (kw.key === 'ENDOFDATA') {
        state = 'end';
        sawEnd = true;
      }
      continue;
    }
    if (state === 'header') {
      if (trimmed.length === 0) continue;
      throw new FormatError(fileName, lineStart, `a '#KEYWORD : value' line before #SPECTRUM on line ${lineNo} (found "${trimmed.slice(0, 40)}")`, READER_ID);
    }
    // Data line: values separated by commas and/or blanks (ISO 22029 §7).
    if (trimmed.length === 0) continue;
    const tokens = trimmed.split(/[\s,;]+/).filter((t) => t.length > 0);
    for (let k = 0; k < tokens.length; k++) {
      let tok = tokens[k]!;
      // "2.0 E-06": an exponent split off by a blank belongs to the previous mantissa.
      if (k + 1 < tokens.length && /^[eEdD][-+]?\d+$/.test(tokens[k + 1]!)) tok += tokens[++k]!;
      const v = parseMsaNumber(tok);
      if (v === undefined) {
        throw new FormatError(fileName, lineStart, `a number on data line ${lineNo} (found "${tok.slice(0, 40)}")`, READER_ID);
      }
      values.push(v);
    }
    lastDataLine = { offset: lineStart, line: lineNo };
  }

  if (!sawSpectrum) {
    throw new FormatError(fileName, bytes.length, 'a #SPECTRUM keyword line followed by the data (ISO 22029 §7)', READER_ID);
  }
  if (!sawEnd) warnings.push('no #ENDOFDATA line: the data run to the end of the file');
  if (ignoredInData) warnings.push(`${ignoredInData} keyword line(s) inside the data section ignored`);
  if (trailing) warnings.push(`${trailing} non-empty line(s) after #ENDOFDATA ignored`);

  const find = (k: string): MsaKeyword | undefined => keywords.find((w) => w.key === k && !w.userDefined);
  const dt = find('DATATYPE');
  let dataType: 'Y' | 'XY';
  const dtv = dt?.value.toUpperCase().replace(/\s+/g, '');
  if (dtv === 'Y' || dtv === 'XY') dataType = dtv;
  else if (dt === undefined || dtv === '') {
    dataType = 'Y';
    warnings.push('no DATATYPE keyword: data read as Y values (ISO 22029 requires DATATYPE)');
  } else {
    throw new FormatError(fileName, dt.offset, `DATATYPE Y or XY on line ${dt.line} (found "${dt.value.slice(0, 20)}")`, READER_ID);
  }

  let y: Float64Array;
  let x: Float64Array | undefined;
  if (dataType === 'XY') {
    if (values.length % 2 !== 0) {
      throw new FormatError(fileName, lastDataLine.offset, `an even number of values for XY data (found ${values.length}; last data line ${lastDataLine.line})`, READER_ID);
    }
    const n = values.length / 2;
    x = new Float64Array(n);
    y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = values.get(2 * i);
      y[i] = values.get(2 * i + 1);
    }
  } else {
    y = values.toArray();
  }
  if (y.length === 0) throw new FormatError(fileName, bytes.length, 'at least one data value after #SPECTRUM', READER_ID);

  const np = find('NPOINTS');
  if (np) {
    const n = parseMsaNumber(np.value);
    if (n === undefined || !Number.isInteger(n) || n < 0) warnings.push(`NPOINTS "${np.value.slice(0, 30)}" is not a non-negative integer; the ${y.length} points present are used`);
    else if (n !== y.length) warnings.push(`NPOINTS says ${n} but the data hold ${y.length} points; the points present are used`);
  } else warnings.push('no NPOINTS keyword');

  return { keywords, dataType, y, ...(x ? { x } : {}), encoding: utf8 ? 'utf-8' : 'latin-1', warnings };
}
