/**
 * Gamry Framework .DTA (EIS experiments: EISPOT, EISGALV).
 *
 * Layout (Gamry "DTA file format" notes; impedance.py's exampleDataGamryABORT.DTA): line 1
 * "EXPLAIN", then one tab-separated setting per line: NAME, TYPE (LABEL, QUANT, IQUANT, POTEN,
 * TOGGLE, SELECTOR, TWOPARAM, TABLE…), value(s), description. A TABLE line opens a table: a label
 * row and a unit row, both starting with a tab, then data rows that start with a tab; the first
 * line that does not start with a tab ends the table. The impedance table is ZCURVE with columns
 * Pt, Time, Freq, Zreal, Zimag, Zsig, Zmod, Zphz, Idc, Vdc, IERange (Zimag with its physical sign).
 * An aborted run ends ZCURVE early with "EXPERIMENTABORTED TOGGLE T" and may append other
 * tables (FRACURVE); the rows up to the abort are kept, as impedance.py does.
 *
 * Numbers use the Windows locale of the measuring PC: a decimal comma is accepted (impedance.py
 * replaces ',' by '.' for the same reason).
 */
import type { MetaTree, MetaValue } from '../../api/dataset.js';
import { FormatDeclined, FormatError } from '../format-error.js';
import { DIALECT_NAMES } from './spec.js';
import { columnsFromRows, numericRow, READER_ID, normaliseUnit, type EisParsed, type Line } from './text-lines.js';

const INTEGER_LABELS = new Set(['Pt', 'IERange']);

/** Gamry DATE is M/D/YYYY (US locale) and TIME HH:MM:SS. */
function isoDate(date: string | undefined, time: string | undefined): string | undefined {
  const d = date ? /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(date.trim()) : null;
  if (!d) return undefined;
  const iso = `${d[3]}-${d[1]!.padStart(2, '0')}-${d[2]!.padStart(2, '0')}`;
  const t = time ? /^(\d{1,2}):(\d{2}):(\d{2})$/.exec(time.trim()) : null;
  return t ? `${iso}T${t[1]!.padStart(2, '0')}:${t[2]}:${t[3]}` : iso;
}

export function parseGamry(file: string, lines: Line[]): EisParsed {
  const original: MetaTree = {};
  const warnings: string[] = [];
  let z = -1;
  let aborted = false;
  for (let i = 1; i < lines.length; i++) {
    const text = lines[i]!.text;
    if (text.startsWith('\t') || text.trim() === '') continue;
    const f = text.split('\t');
    const name = f[0]!.trim();
    const type = (f[1] ?? '').trim();
    if (name === 'ZCURVE' && type === 'TABLE') {
      z = i;
      continue;
    }
    if (name === 'EXPERIMENTABORTED' && (f[2] ?? '').trim() === 'T') aborted = true;
    if (type === 'TABLE') continue;
    const values = f.slice(2, type === 'TWOPARAM' ? 5 : 3).map((s) => s.trim());
    const conv = values.map((v) => {
      const n = Number(v.replace(',', '.'));
      return (v !== '' && Number.isFinite(n) && (type === 'QUANT' || type === 'IQUANT' || type === 'POTEN' || type === 'TWOPARAM') ? n : v) as MetaValue;
    });
    original[name] = conv.length === 1 ? conv[0]! : conv;
  }
  if (z < 0) throw new FormatDeclined(READER_ID, 'Gamry file without a ZCURVE table (not an impedance experiment)');
  const labelLine = lines[z + 1];
  const unitLine = lines[z + 2];
  if (!labelLine || !labelLine.text.startsWith('\t') || !unitLine) throw new FormatError(file, labelLine?.offset ?? lines[z]!.offset, 'ZCURVE label and unit rows after "ZCURVE TABLE"', READER_ID);
  const labels = labelLine.text.split('\t').slice(1).map((s) => s.trim());
  const rawUnits = unitLine.text.split('\t').slice(1).map((s) => s.trim());
  const idx = (n: string) => labels.indexOf(n);
  const fi = idx('Freq');
  const ri = idx('Zreal');
  const ii = idx('Zimag');
  if (fi < 0 || ri < 0 || ii < 0) throw new FormatError(file, labelLine.offset, `ZCURVE columns Freq, Zreal and Zimag (got ${labels.join(', ')})`, READER_ID);
  const rows: number[][] = [];
  let decimalComma = false;
  for (let i = z + 3; i < lines.length; i++) {
    const l = lines[i]!;
    if (!l.text.startsWith('\t')) break;
    const fields = l.text.split('\t').slice(1);
    if (fields.length > 0 && fields[fields.length - 1]!.trim() === '') fields.pop();
    if (fields.length !== labels.length) throw new FormatError(file, l.offset, `${labels.length} ZCURVE fields on line ${l.number} (got ${fields.length})`, READER_ID);
    if (rows.length === 0 && fields.some((x) => /^-?\d+,\d+/.test(x.trim()))) decimalComma = true;
    rows.push(numericRow(file, l, fields, 'ZCURVE row', decimalComma));
  }
  if (rows.length === 0) throw new FormatError(file, unitLine.offset, 'at least one ZCURVE data row', READER_ID);
  // The Zphz unit is a degree sign in the PC's code page; it often arrives mangled.
  const units = labels.map((l, k) => (l === 'Zphz' ? '°' : l === 'Pt' || l === 'IERange' ? '' : normaliseUnit(rawUnits[k] ?? '')));
  if (aborted) warnings.push('the experiment was aborted (EXPERIMENTABORTED): the ZCURVE table holds the points measured before the abort');
  const metadata: EisParsed['metadata'] = {};
  const str = (k: string) => (typeof original[k] === 'string' ? (original[k] as string) : undefined);
  const title = str('TITLE');
  if (title) metadata.title = title;
  const tag = str('TAG');
  if (tag) metadata.technique = tag;
  const pstat = str('PSTAT');
  if (pstat) metadata.instrument = `Gamry ${pstat}`;
  const acq = isoDate(str('DATE'), str('TIME'));
  if (acq) metadata.acquisitionTime = acq;
  const area = original.AREA;
  if (typeof area === 'number' && area > 0) metadata.electrodeArea = { value: area, unit: 'cm²' };
  const extra: NonNullable<EisParsed['metadata']['extra']> = { aborted };
  if (typeof original.VAC === 'number') extra.acAmplitude = { value: original.VAC, unit: 'mV' };
  if (typeof original.VDC === 'number') extra.dcPotential = { value: original.VDC, unit: 'V' };
  if (typeof original.EOC === 'number') extra.openCircuitPotential = { value: original.EOC, unit: 'V' };
  if (decimalComma) extra.decimalSeparator = ',';
  metadata.extra = extra;
  return {
    dialect: 'gamry',
    dialectName: DIALECT_NAMES.gamry,
    columns: columnsFromRows(labels, units, rows, INTEGER_LABELS),
    mapping: { freq: fi, re: ri, im: ii, imSign: 'Im(Z)', impedanceUnit: units[ri] ?? '' },
    metadata,
    original,
    warnings,
    ...(title ? { title } : {}),
  };
}
