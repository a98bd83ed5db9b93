/**
 * Princeton Applied Research VersaStudio .par: an XML-like text of <Section> … </Section> blocks
 * holding "Key=Value" lines (<Application>, <Instrument>, <Experiment>, <ActionN> …), plus a
 * <SegmentN> block per measured segment whose "Definition=" line lists the comma-separated columns
 * of the rows that follow (Segment #, Point #, E(V), I(A), Elapsed Time(s), …, Frequency(Hz),
 * E Real, E Imag, I Real, I Imag, Z Real, Z Imag, …). Z Imag has its physical sign. The file ends
 * with a real XML <DockingLayout> that is ignored.
 *
 * The Definition of VersaStudio 2.52 ends with a stray ", 0" that has no field in the rows
 * (impedance.py's example: 25 labels, 24 values); trailing labels beyond the row width are
 * dropped with a warning. Segments without Frequency/Z columns (DC actions) are skipped; several
 * impedance segments become entries 'segment1', 'segment2' ….
 */
import type { MetaTree, MetaValue } from '../../api/dataset.js';
import { FormatDeclined, FormatError } from '../format-error.js';
import { DIALECT_NAMES } from './spec.js';
import { columnsFromRows, numericRow, READER_ID, splitLabelUnit, normaliseUnit, type EisParsed, type Line } from './text-lines.js';

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

/** "Thursday, July 19, 2018" + "9:40:30 AM" → "2018-07-19T09:40:30". */
function isoDate(date: unknown, time: unknown): string | undefined {
  if (typeof date !== 'string') return undefined;
  const d = /(\w+)\s+(\d{1,2}),\s*(\d{4})/.exec(date);
  if (!d) return undefined;
  const mon = MONTHS.indexOf(d[1]!.toLowerCase());
  if (mon < 0) return undefined;
  const iso = `${d[3]}-${String(mon + 1).padStart(2, '0')}-${d[2]!.padStart(2, '0')}`;
  const t = typeof time === 'string' ? /^(\d{1,2}):(\d{2}):(\d{2})\s*(AM|PM)?$/i.exec(time.trim()) : null;
  if (!t) return iso;
  let h = Number(t[1]);
  if (t[4]) h = (h % 12) + (t[4].toUpperCase() === 'PM' ? 12 : 0);
  return `${iso}T${String(h).padStart(2, '0')}:${t[2]}:${t[3]}`;
}

export function parseVersaStudio(file: string, lines: Line[]): EisParsed[] {
  const original: MetaTree = {};
  const segments: { name: string; defLine: Line; labels: string[]; rows: Line[] }[] = [];
  let section: string | null = null;
  let current: MetaTree | null = null;
  let seg: (typeof segments)[number] | null = null;
  for (const l of lines) {
    const t = l.text.trim();
    if (t === '<DockingLayout>' || t.startsWith('<?xml')) break;
    const open = /^<([A-Za-z][\w]*)>$/.exec(t);
    const close = /^<\/([A-Za-z][\w]*)>$/.exec(t);
    if (open && section === null) {
      section = open[1]!;
      current = {};
      original[section] = current;
      continue;
    }
    if (close && close[1] === section) {
      if (seg) segments.push(seg);
      section = null;
      current = null;
      seg = null;
      continue;
    }
    if (section === null || current === null || t === '') continue;
    if (/^Segment\d+$/.test(section)) {
      if (t.startsWith('Definition=')) {
        const labels = t.slice('Definition='.length).split(',').map((s) => s.trim());
        seg = { name: section, defLine: l, labels, rows: [] };
        current.Definition = labels;
        continue;
      }
      if (seg) {
        seg.rows.push(l);
        continue;
      }
    }
    const eq = t.indexOf('=');
    if (eq > 0) {
      const k = t.slice(0, eq);
      const v = t.slice(eq + 1);
      const n = Number(v);
      current[k] = (v.trim() !== '' && Number.isFinite(n) ? n : v) as MetaValue;
    }
  }
  const out: EisParsed[] = [];
  const eisSegments = segments.filter((s) => s.labels.includes('Frequency(Hz)') && s.labels.includes('Z Real') && s.labels.includes('Z Imag'));
  if (eisSegments.length === 0) throw new FormatDeclined(READER_ID, 'VersaStudio file without an impedance segment (no Frequency(Hz)/Z Real/Z Imag columns)');
  const instrument = original.Instrument as MetaTree | undefined;
  const experiment = original.Experiment as MetaTree | undefined;
  const acq = isoDate(experiment?.DateAcquired, experiment?.TimeAcquired);
  let area: number | undefined;
  let technique: string | undefined;
  for (const [k, v] of Object.entries(original)) {
    if (!k.startsWith('Action') || typeof v !== 'object' || v === null || Array.isArray(v)) continue;
    const a = (v as MetaTree)['Working Electrode Area (cm2)'];
    if (typeof a === 'number' && a > 0) area = a;
    const name = (v as MetaTree).Name;
    if (typeof name === 'string' && /EIS|Impedance/i.test(name)) technique = name;
  }
  for (const s of eisSegments) {
    const warnings: string[] = [];
    const dataRows = s.rows.filter((r) => r.text.trim() !== '');
    if (dataRows.length === 0) throw new FormatError(file, s.defLine.offset, `data rows in <${s.name}>`, READER_ID);
    const width = dataRows[0]!.text.split(',').length;
    let labels = s.labels;
    if (labels.length > width) {
      const dropped = labels.slice(width);
      labels = labels.slice(0, width);
      warnings.push(`<${s.name}> Definition lists ${s.labels.length} columns, rows have ${width}; ignored trailing label(s): ${dropped.join(', ')}`);
    } else if (labels.length < width) {
      throw new FormatError(file, dataRows[0]!.offset, `${labels.length} fields per row as in the Definition of <${s.name}> (got ${width})`, READER_ID);
    }
    const rows = dataRows.map((r) => {
      const f = r.text.split(',');
      if (f.length !== width) throw new FormatError(file, r.offset, `${width} fields on line ${r.number} (got ${f.length})`, READER_ID);
      return numericRow(file, r, f, `<${s.name}> row`);
    });
    const units = labels.map((l) => normaliseUnit(splitLabelUnit(l).unit));
    labels.forEach((l, k) => {
      if (l === 'Z Real' || l === 'Z Imag') units[k] = 'Ω';
    });
    const metadata: EisParsed['metadata'] = {};
    if (typeof instrument?.Type === 'string') metadata.instrument = `PAR ${instrument.Type}`;
    if (acq) metadata.acquisitionTime = acq;
    if (area !== undefined) metadata.electrodeArea = { value: area, unit: 'cm²' };
    if (technique) metadata.technique = technique;
    out.push({
      dialect: 'versastudio',
      dialectName: DIALECT_NAMES.versastudio,
      columns: columnsFromRows(labels, units, rows, new Set(['Segment #', 'Point #', 'Current Range', 'Status', 'E2 Status', 'ActionId'])),
      mapping: { freq: labels.indexOf('Frequency(Hz)'), re: labels.indexOf('Z Real'), im: labels.indexOf('Z Imag'), imSign: 'Im(Z)' },
      metadata,
      original,
      warnings,
      entry: eisSegments.length === 1 ? 'data' : s.name.toLowerCase(),
      title: technique ?? s.name,
    });
  }
  return out;
}
