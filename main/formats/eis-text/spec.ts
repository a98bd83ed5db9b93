/**
 * EIS text exports of eight instrument families: spec and content sniff. Each dialect is
 * recognised from its first lines, never from the extension alone (.txt and .csv say nothing).
 * Signatures were collected from impedance.py's example files (MIT; data/ at 0b302ca) and the
 * vendors' export descriptions; see README.md.
 */
import type { FormatSpec, SniffResult } from '../types.js';
import { parseNumber, READER_ID, type EisDialect } from './text-lines.js';

export const DIALECT_NAMES: Readonly<Record<EisDialect, string>> = {
  zplot: 'Scribner ZPlot .z (ZPLOT2 ASCII, with comment header)',
  'zplot-plain': 'Scribner ZPlot/ZPlotW .z (no comment header)',
  autolab: 'Metrohm Autolab (Z60W-style text export)',
  gamry: 'Gamry Framework .DTA (ZCURVE table)',
  parstat: 'Princeton Applied Research Parstat text export',
  versastudio: 'Princeton Applied Research VersaStudio .par',
  powersuite: 'Princeton Applied Research PowerSuite text export',
  chinstruments: 'CH Instruments A.C. Impedance text export',
  csv: 'Generic delimited text (frequency, Re Z, Im Z)',
};

function headText(head: Uint8Array): string {
  let start = 0;
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) start = 3;
  // latin1 keeps one character per byte, enough for ASCII signatures.
  return new TextDecoder('latin1').decode(head.subarray(start));
}

function headLines(text: string, max = 60): string[] {
  return text.split(/\r\n|\r|\n/).slice(0, max);
}

const DELIMS = [',', ';', '\t'] as const;

/** Split a delimited row; whitespace-only separation is accepted when no delimiter is present. */
export function splitDelimited(line: string, delim: string | null): string[] {
  const t = line.trim();
  if (delim === null) return t.split(/\s+/);
  const parts = line.split(delim).map((s) => s.trim());
  // Parstat ends every row with a tab: drop one empty trailing field.
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/**
 * The delimiter of a block of numeric rows: the one that splits every row into the same number
 * (≥ 3) of numeric fields. Decimal-comma files use ';' or tab as the delimiter.
 */
export function detectDelimiter(rows: string[]): { delim: string | null; decimalComma: boolean; fields: number } | null {
  for (const delim of [...DELIMS, null]) {
    for (const decimalComma of delim === ',' ? [false] : [false, true]) {
      let fields = -1;
      let ok = rows.length > 0;
      for (const r of rows) {
        const f = splitDelimited(r, delim);
        if (f.length < 3 || (fields >= 0 && f.length !== fields) || f.some((x) => parseNumber(x, decimalComma) === null)) {
          ok = false;
          break;
        }
        fields = f.length;
      }
      if (ok) return { delim, decimalComma, fields };
    }
  }
  return null;
}

/** Which dialect the first bytes are, or null. */
export function detectDialect(head: Uint8Array): EisDialect | null {
  const text = headText(head);
  const lines = headLines(text);
  const first = (lines[0] ?? '').trim();
  if (/^(EC-Lab|BT-Lab) ASCII FILE/.test(first)) return null; // biologic-mpt's
  if (first === 'ZPLOT2 ASCII') return 'zplot';
  if (/^"ZPlotW? Data File/i.test(first)) return 'zplot-plain';
  if (/^"Z60W Data File/i.test(first)) return 'autolab';
  if (first === 'EXPLAIN' && /^TAG\t/.test(lines[1] ?? '')) return 'gamry';
  if (first === '<Application>' && /VersaStudio/i.test(text)) return 'versastudio';
  const fields = first.split('\t').map((s) => s.trim());
  if (fields.includes('Frequency (Hz)') && fields.includes('Zre (ohms)') && fields.includes('Zim (ohms)')) return 'parstat';
  if (fields[0] === 'Frequency' && fields[1] === 'Zre' && fields[2] === 'Zimg') return 'powersuite';
  if (lines.slice(0, 5).some((l) => l.trim() === 'A.C. Impedance') && lines.some((l) => /^Instrument Model:\s*CHI/i.test(l) || /^Freq\/Hz/.test(l))) return 'chinstruments';
  if (looksLikeCsv(lines)) return 'csv';
  return null;
}

/**
 * Generic table: at most a few header/comment lines, then rows of ≥ 3 numbers in a consistent
 * layout whose first column is positive (a frequency).
 */
function looksLikeCsv(lines: string[]): boolean {
  let k = 0;
  while (k < lines.length && k < 5 && (lines[k]!.trim() === '' || !/^[\s+\-.\d]/.test(lines[k]!) || /^\s*#/.test(lines[k]!))) k++;
  const rows = lines.slice(k, k + 8).filter((l) => l.trim() !== '');
  // The last line of the sniff window may be cut mid-row.
  if (rows.length > 2) rows.pop();
  if (rows.length === 0) return false;
  const d = detectDelimiter(rows);
  if (!d) return false;
  return rows.every((r) => (parseNumber(splitDelimited(r, d.delim)[0]!, d.decimalComma) ?? 0) > 0);
}

export const eisTextSpec: FormatSpec = {
  id: READER_ID,
  name: 'EIS text exports (ZPlot, Gamry, Autolab, Parstat, VersaStudio, PowerSuite, CH Instruments, CSV)',
  version: '1.0.0',
  extensions: ['z', 'dta', 'par', 'txt', 'csv'],
  text: true,
  sniff(head: Uint8Array, _fileName: string): SniffResult {
    const d = detectDialect(head);
    if (d === null) return 'no';
    // A bare numeric table could be anything; let specific readers win ties.
    return d === 'csv' ? 'maybe' : 'yes';
  },
};
