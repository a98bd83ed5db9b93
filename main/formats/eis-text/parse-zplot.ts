/**
 * Scribner ZPlot .z files and the Autolab export that copies their layout.
 *
 * - 'ZPLOT2 ASCII' (ZPlot 3.x with comment header): "  Key:   value" lines, nested
 *   "Begin X:/End X:" blocks, "Data Points: N", the tab-separated column labels, the literal
 *   "End Comments", then tab-separated rows.
 * - '"ZPlotW Data File: Version 3.2c"' (no comments): quoted header lines, a sweep line
 *   ("0,3,0,1,300000,0.005"), the declared point count, the quoted label line, then rows
 *   separated by ", ".
 * - '"Z60W Data File: Version 1.1"' — what impedance.py calls the Autolab format — is the same
 *   plain layout with "Freq (Hz)" spelled with a space and rows separated by ','.
 *
 * Columns are always Freq(Hz), Ampl, Bias, Time(Sec), Z'(a), Z''(b), GD, Err, Range; Z'' is
 * written with its physical sign (negative on capacitive arcs). The declared point count often
 * disagrees with the rows present (impedance.py's examples declare 56 and 79 for 21 and 31
 * rows: the count is of the planned sweep), so it is reported as a warning, not enforced.
 */
import type { MetaTree, MetaValue } from '../../api/dataset.js';
import { FormatDeclined, FormatError } from '../format-error.js';
import { detectDelimiter, DIALECT_NAMES, splitDelimited } from './spec.js';
import { columnsFromRows, numericRow, READER_ID, splitLabelUnit, normaliseUnit, type EisParsed, type Line } from './text-lines.js';

const STANDARD_LABELS = ['Freq(Hz)', 'Ampl', 'Bias', 'Time(Sec)', "Z'(a)", "Z''(b)", 'GD', 'Err', 'Range'];

/** "  Freq(Hz)    Ampl   Freq (Hz) …" → labels; a "(unit)" token separated by a space joins its name. */
function tokenizeLabels(line: string): string[] {
  const raw = line.replace(/"/g, '').trim();
  const parts = raw.includes('\t') ? raw.split('\t').map((s) => s.trim()).filter(Boolean) : raw.split(/\s+/);
  const out: string[] = [];
  for (const p of parts) {
    if (p.startsWith('(') && out.length > 0) out[out.length - 1] = `${out[out.length - 1]} ${p}`;
    else out.push(p);
  }
  return out;
}

function unquote(s: string): string {
  const t = s.trim();
  return t.startsWith('"') && t.endsWith('"') && t.length >= 2 ? t.slice(1, -1) : t;
}

/** ZPlot dates are MM-DD-YYYY, times HH:MM:SS (local). */
function isoDate(date: string | undefined, time: string | undefined): string | undefined {
  const d = date ? /^(\d{1,2})-(\d{1,2})-(\d{4})$/.exec(date.trim()) : null;
  if (!d) return undefined;
  const iso = `${d[3]}-${d[1]!.padStart(2, '0')}-${d[2]!.padStart(2, '0')}`;
  const t = time ? /^(\d{1,2}):(\d{2}):(\d{2})$/.exec(time.trim()) : null;
  return t ? `${iso}T${t[1]!.padStart(2, '0')}:${t[2]}:${t[3]}` : iso;
}

export function parseZPlot(file: string, lines: Line[], dialect: 'zplot' | 'zplot-plain' | 'autolab'): EisParsed {
  const original: MetaTree = {};
  const warnings: string[] = [];
  let labelLine = -1;
  let dataStart = -1;
  let declared: number | null = null;
  let date: string | undefined;
  let time: string | undefined;
  let area: number | undefined;

  if (dialect === 'zplot') {
    // Nested Begin/End blocks become sub-objects of the original tree.
    const stack: MetaTree[] = [original];
    for (let i = 1; i < lines.length; i++) {
      const text = lines[i]!.text;
      if (text.trim() === 'End Comments') {
        dataStart = i + 1;
        break;
      }
      if (/Freq\s*\(Hz\)/.test(text) && !text.includes(':')) {
        labelLine = i;
        continue;
      }
      const m = /^\s*([^:]+?):\s*(.*)$/.exec(text);
      if (!m) continue;
      const key = m[1]!.trim();
      const value = m[2]!.trim();
      const top = stack[stack.length - 1]!;
      if (key.startsWith('Begin ')) {
        const child: MetaTree = {};
        top[key.slice(6)] = child;
        stack.push(child);
        continue;
      }
      if (key.startsWith('End ') && stack.length > 1) {
        stack.pop();
        continue;
      }
      const num = Number(value);
      top[key] = (value !== '' && Number.isFinite(num) ? num : value) as MetaValue;
      if (key === 'Date') date = value;
      if (key === 'Time') time = value;
      if (key === 'Surface Area' && Number.isFinite(num) && num > 0) area = num;
      if (key === 'Data Points' && Number.isFinite(num)) declared = num;
    }
    if (dataStart < 0) throw new FormatError(file, lines[lines.length - 1]?.offset ?? 0, 'an "End Comments" line ending the ZPlot header', READER_ID);
  } else {
    const header: string[] = [];
    for (let i = 0; i < lines.length && i < 200; i++) {
      const text = lines[i]!.text;
      if (/Freq\s*\(Hz\)/.test(text)) {
        labelLine = i;
        dataStart = i + 1;
        break;
      }
      header.push(unquote(text));
      const dt = /Date:\s*(\S+)\s+Time:\s*(\S+)/.exec(text);
      if (dt) {
        date = dt[1];
        time = dt[2];
      }
    }
    if (labelLine < 0) throw new FormatDeclined(READER_ID, 'no "Freq(Hz)" label line in the first 200 lines');
    original.header = header;
    // The line just before the labels is the declared point count.
    const countLine = header[header.length - 1];
    if (countLine !== undefined && /^\d+$/.test(countLine.trim())) declared = Number(countLine.trim());
  }

  const dataLines = lines.slice(dataStart).filter((l) => l.text.trim() !== '');
  if (dataLines.length === 0) throw new FormatError(file, lines[dataStart - 1]?.offset ?? 0, 'at least one data row after the header', READER_ID);
  const layout = detectDelimiter(dataLines.slice(0, 5).map((l) => l.text));
  if (!layout) throw new FormatError(file, dataLines[0]!.offset, 'rows of numbers separated by tabs or commas', READER_ID);
  const rows = dataLines.map((l) => {
    const f = splitDelimited(l.text, layout.delim);
    if (f.length !== layout.fields) throw new FormatError(file, l.offset, `${layout.fields} fields on line ${l.number} (got ${f.length})`, READER_ID);
    return numericRow(file, l, f, 'ZPlot data row', layout.decimalComma);
  });

  let labels = labelLine >= 0 ? tokenizeLabels(lines[labelLine]!.text) : [];
  if (labels.length !== layout.fields) {
    if (layout.fields === STANDARD_LABELS.length) labels = STANDARD_LABELS;
    else labels = Array.from({ length: layout.fields }, (_, k) => STANDARD_LABELS[k] ?? `column ${k + 1}`);
    warnings.push('column labels do not match the data; the standard ZPlot column order was assumed');
  }
  if (layout.fields < 6) throw new FormatError(file, dataLines[0]!.offset, `at least 6 columns (Freq, Ampl, Bias, Time, Z', Z'') (got ${layout.fields})`, READER_ID);
  if (declared !== null && declared !== rows.length) warnings.push(`header declares ${declared} data points; the file holds ${rows.length}`);
  const units = labels.map((l) => normaliseUnit(splitLabelUnit(l).unit));
  const metadata: EisParsed['metadata'] = {};
  const sweep = Array.isArray(original.header) ? original.header.find((h) => typeof h === 'string' && /^Sweep /.test(h)) : undefined;
  if (typeof sweep === 'string') metadata.technique = sweep;
  const acq = isoDate(date, time);
  if (acq) metadata.acquisitionTime = acq;
  if (area !== undefined) metadata.electrodeArea = { value: area, unit: 'cm²' };
  const exp = original['Experiment Type'];
  if (typeof exp === 'string') metadata.technique = exp;
  return {
    dialect,
    dialectName: DIALECT_NAMES[dialect],
    columns: columnsFromRows(labels, units, rows, new Set(['Err', 'Range'])),
    // Z'(a) and Z''(b) are always the 5th and 6th columns; Z'' carries its physical sign.
    mapping: { freq: 0, re: 4, im: 5, imSign: 'Im(Z)' },
    metadata,
    original,
    warnings,
  };
}
