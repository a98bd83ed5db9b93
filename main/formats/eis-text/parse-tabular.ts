/**
 * Dialects that are one labelled (or unlabelled) table of numbers:
 *
 * - Parstat (PAR, VersaStudio's predecessor export): tab-separated with a trailing tab, first line
 *   "Potential (V) Current (A) Elapsed Time (s) Frequency (Hz) Zre (ohms) Zim (ohms) |Vac| (V)
 *   |Iac| (A)". DC rows recorded before the sweep have Frequency 0 and are not impedance points:
 *   they are dropped, as impedance.py's readParstat does, and counted in a warning.
 * - PowerSuite: "Frequency, Zre, Zimg" tab-separated, lines ended by CR CR LF, blank lines between.
 * - CH Instruments: a dated header ("A.C. Impedance", "Instrument Model: CHI660E", settings
 *   "Name (unit) = value"), then "Freq/Hz, Z'/ohm, Z"/ohm, Z/ohm, Phase/deg", a blank line, and
 *   comma-separated rows. Z" has its physical sign.
 * - Generic CSV (impedance.py's readCSV/saveCSV layout and hand-made files): optional header or
 *   '#' comment lines, then rows of ≥ 3 numbers separated by ',', ';', tab or spaces; a decimal
 *   comma is accepted with ';' or tab. Columns are f, Z', Z'' unless a header says otherwise.
 *   The sign of the imaginary column is taken from its label when there is one ("-Im(Z)",
 *   "-Z''" → −Z''; "Im(Z)", "Z''" → Z''); otherwise it is detected from the data: impedance
 *   spectra of electrochemical cells are capacitive over most of the range, so a column that is
 *   mostly negative is Z'' and one that is mostly positive is −Z''. The decision and its evidence
 *   are stated in the warnings and in metadata.extra.imaginaryColumn.
 */
import type { MetaTree } from '../../api/dataset.js';
import { FormatDeclined, FormatError } from '../format-error.js';
import { detectDelimiter, DIALECT_NAMES, splitDelimited } from './spec.js';
import { columnsFromRows, numericRow, parseNumber, READER_ID, splitLabelUnit, normaliseUnit, type EisParsed, type ImpedanceMapping, type Line } from './text-lines.js';

function readRows(file: string, lines: Line[], what: string): { rows: number[][]; fields: number; delim: string | null; decimalComma: boolean } {
  const data = lines.filter((l) => l.text.trim() !== '');
  if (data.length === 0) throw new FormatError(file, lines[0]?.offset ?? 0, `${what}: at least one data row`, READER_ID);
  const layout = detectDelimiter(data.slice(0, 5).map((l) => l.text));
  if (!layout) throw new FormatError(file, data[0]!.offset, `${what}: rows of at least 3 numbers with one delimiter`, READER_ID);
  const rows = data.map((l) => {
    const f = splitDelimited(l.text, layout.delim);
    if (f.length !== layout.fields) throw new FormatError(file, l.offset, `${what}: ${layout.fields} fields on line ${l.number} (got ${f.length})`, READER_ID);
    return numericRow(file, l, f, what, layout.decimalComma);
  });
  return { rows, ...layout };
}

function labelsOf(line: string, delim: string | null, n: number): string[] | null {
  const parts = splitDelimited(line.replace(/^\s*#\s*/, ''), delim).map((s) => s.replace(/^"|"$/g, '').trim());
  return parts.length === n ? parts : null;
}

export function parseParstat(file: string, lines: Line[]): EisParsed {
  const header = lines[0]!;
  const labels = header.text.split('\t').map((s) => s.trim());
  if (labels[labels.length - 1] === '') labels.pop();
  const { rows } = readRows(file, lines.slice(1), 'Parstat row');
  if (rows[0]!.length !== labels.length) throw new FormatError(file, lines[1]!.offset, `${labels.length} fields per row as labelled (got ${rows[0]!.length})`, READER_ID);
  const fi = labels.indexOf('Frequency (Hz)');
  const kept = rows.filter((r) => r[fi] !== 0);
  if (kept.length === 0) throw new FormatError(file, lines[1]!.offset, 'rows with a non-zero frequency (only DC rows found)', READER_ID);
  const warnings = kept.length < rows.length ? [`${rows.length - kept.length} DC rows (Frequency 0) before the sweep were left out`] : [];
  return {
    dialect: 'parstat',
    dialectName: DIALECT_NAMES.parstat,
    columns: columnsFromRows(labels, labels.map((l) => normaliseUnit(splitLabelUnit(l).unit)), kept),
    mapping: { freq: fi, re: labels.indexOf('Zre (ohms)'), im: labels.indexOf('Zim (ohms)'), imSign: 'Im(Z)' },
    metadata: {},
    original: { droppedDcRows: rows.length - kept.length },
    warnings,
  };
}

export function parsePowerSuite(file: string, lines: Line[]): EisParsed {
  const labels = lines[0]!.text.split('\t').map((s) => s.trim());
  const { rows } = readRows(file, lines.slice(1), 'PowerSuite row');
  if (rows[0]!.length !== labels.length) throw new FormatError(file, lines[1]?.offset ?? 0, `${labels.length} fields per row as labelled (got ${rows[0]!.length})`, READER_ID);
  return {
    dialect: 'powersuite',
    dialectName: DIALECT_NAMES.powersuite,
    columns: columnsFromRows(labels, labels.map(() => ''), rows),
    mapping: { freq: labels.indexOf('Frequency'), re: labels.indexOf('Zre'), im: labels.indexOf('Zimg'), imSign: 'Im(Z)' },
    metadata: {},
    original: {},
    warnings: [],
  };
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

export function parseChInstruments(file: string, lines: Line[]): EisParsed {
  const li = lines.findIndex((l) => /^Freq\/Hz/.test(l.text.trim()));
  if (li < 0) throw new FormatError(file, lines[lines.length - 1]?.offset ?? 0, 'a "Freq/Hz, Z\'/ohm, Z"/ohm" label line', READER_ID);
  const original: MetaTree = {};
  const metadata: EisParsed['metadata'] = { technique: 'A.C. Impedance' };
  const header: string[] = [];
  for (const l of lines.slice(0, li)) {
    const t = l.text.trim();
    if (!t) continue;
    header.push(t);
    const kv = /^(.+?)\s*[=:]\s+(.*)$/.exec(t);
    if (kv) {
      const n = Number(kv[2]);
      original[kv[1]!] = kv[2] !== '' && Number.isFinite(n) ? n : kv[2]!;
    }
    const date = /^(\w{3})\w*\.?\s+(\d{1,2}),\s*(\d{4})\s+(\d{1,2}):(\d{2}):(\d{2})$/.exec(t);
    const mon = date ? MONTHS.indexOf(date[1]!.toLowerCase()) : -1;
    if (date && mon >= 0) metadata.acquisitionTime = `${date[3]}-${String(mon + 1).padStart(2, '0')}-${date[2]!.padStart(2, '0')}T${date[4]!.padStart(2, '0')}:${date[5]}:${date[6]}`;
  }
  original.header = header;
  const model = original['Instrument Model'];
  if (typeof model === 'string') metadata.instrument = `CH Instruments ${model}`;
  const { rows, delim } = readRows(file, lines.slice(li + 1), 'CH Instruments row');
  const labels = labelsOf(lines[li]!.text, delim, rows[0]!.length);
  if (!labels) throw new FormatError(file, lines[li]!.offset, `${rows[0]!.length} labels matching the data rows`, READER_ID);
  const units = labels.map((l) => normaliseUnit(splitLabelUnit(l).unit));
  return {
    dialect: 'chinstruments',
    dialectName: DIALECT_NAMES.chinstruments,
    columns: columnsFromRows(labels, units, rows),
    mapping: { freq: 0, re: 1, im: 2, imSign: 'Im(Z)', impedanceUnit: units[1] ?? '' },
    metadata,
    original,
    warnings: [],
  };
}

/** Column roles from header labels; null when the labels do not name them. */
function rolesFromLabels(labels: string[]): ImpedanceMapping | null {
  const norm = labels.map((l) => l.replace(/\s+/g, '').toLowerCase());
  const fi = norm.findIndex((l) => /^(freq|frequency|f)\b|^freq|^f\(|^f\/|hz/.test(l));
  const isNegIm = (l: string) => /^-(im|z''|z"|zimag|zim|imag)/.test(l);
  const isIm = (l: string) => /^(im|z''|z"|zimag|zim|imag|zi\b|zi\(|zi\/)/.test(l) || /imag/.test(l);
  const ii = norm.findIndex((l) => isNegIm(l) || isIm(l));
  const ri = norm.findIndex((l, k) => k !== fi && k !== ii && (/^(re|z'|zreal|zre|real|zr\b|zr\(|zr\/)/.test(l) || /real/.test(l)) && !/^z''/.test(l));
  if (fi < 0 || ri < 0 || ii < 0) return null;
  const unit = splitLabelUnit(labels[ri]!).unit;
  return { freq: fi, re: ri, im: ii, imSign: isNegIm(norm[ii]!) ? '-Im(Z)' : 'Im(Z)', ...(unit ? { impedanceUnit: unit } : {}) };
}

export function parseCsv(file: string, lines: Line[]): EisParsed {
  // Header: leading lines that are not numeric rows.
  let k = 0;
  const isData = (t: string) => /^[\s]*[+\-.\d]/.test(t) && !/^\s*#/.test(t) && parseNumber(t.trim().split(/[,;\t\s]+/)[0] ?? '') !== null;
  while (k < lines.length && !isData(lines[k]!.text)) k++;
  if (k >= lines.length) throw new FormatDeclined(READER_ID, 'no numeric rows');
  const headerLines = lines.slice(0, k).map((l) => l.text).filter((t) => t.trim() !== '');
  const { rows, fields, delim } = readRows(file, lines.slice(k), 'CSV row');
  const warnings: string[] = [];
  const lastHeader = headerLines[headerLines.length - 1];
  let labels = lastHeader !== undefined ? labelsOf(lastHeader, delim, fields) : null;
  let mapping = labels ? rolesFromLabels(labels) : null;
  if (!labels) labels = Array.from({ length: fields }, (_, c) => `column ${c + 1}`);
  const extra: Record<string, string> = {};
  if (!mapping) {
    // Unlabelled: f, Z', Z'' by position, sign of the third column from the data.
    let neg = 0;
    let pos = 0;
    for (const r of rows) {
      if (r[2]! < 0) neg++;
      else if (r[2]! > 0) pos++;
    }
    const imSign = neg >= pos ? 'Im(Z)' : '-Im(Z)';
    mapping = { freq: 0, re: 1, im: 2, imSign };
    const why = `${neg} of ${rows.length} values negative, ${pos} positive`;
    extra.imaginaryColumn = `${imSign} (detected: ${why})`;
    warnings.push(
      `no header naming the columns: read as frequency, Re(Z), ${imSign}; the sign convention of column 3 was detected from the data (${why}; capacitive spectra have Im(Z) < 0)`,
    );
  } else {
    extra.imaginaryColumn = `${mapping.imSign} (from the column label "${labels[mapping.im]}")`;
  }
  for (const r of rows) {
    if (!(r[mapping.freq]! > 0)) throw new FormatDeclined(READER_ID, `column "${labels[mapping.freq]}" is not a positive frequency in every row`);
  }
  const units = labels.map((l) => normaliseUnit(splitLabelUnit(l).unit));
  return {
    dialect: 'csv',
    dialectName: DIALECT_NAMES.csv,
    columns: columnsFromRows(labels, units, rows),
    mapping,
    metadata: { extra },
    original: { header: headerLines },
    warnings,
  };
}
