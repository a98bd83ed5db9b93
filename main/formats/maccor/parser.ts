/**
 * Maccor text exports: header parsing and the column plan. Three layouts are known (README.md):
 *
 * - "raw" export (BEEP's test files, .052/.010/.041): one header line mixing spaces and tabs,
 *   `Today's Date 10/10/2019  Date of Test:\t10/10/2019\t Filename:\t…\\X.052 Procedure: P.000\t
 *   Comment/Barcode: 00001E`, then the labels `Rec#\tCyc#\tStep\tTest (Sec)\t…`.
 * - cellpy's model "one" (maccor_001.txt): three header lines `Today's Date:\t14 December 2020\t
 *   Date of Test:\t11 December 2020, 12:22:12 PM`, `Filename:\t…\tTester Channel:\t1`,
 *   `Procedure:\t…\tDescription:` then labels with durations "  2d 02:52:51.57" as TestTime.
 * - cellpy's model "two" (maccor_002.txt): `key[:]\tvalue` lines (Name, Channel, Tester,
 *   Procedure, Description, Started, SCap, C Rate, limits), a blank line, labels `Rec\tCycle P\t
 *   Cycle C\tStep\tTestTime\tStepTime\tCap. [Ah]\t…\tMd\tES\tDPT Time…`, a blank line, data.
 *
 * plus the impedance export (`…EDA0001.041`): "MACCOR, INC.    AC Impedance Test", settings lines,
 * labels `Freq(Hz)\tPolar(V)\t…`, a blank line, 13-field rows under 24 labels.
 */
import type { NormalisedMetadata } from '../../api/dataset.js';
import type { FileSource } from '../file-source.js';
import { FormatDeclined, FormatError } from '../format-error.js';
import {
  averageLineBytes,
  inferFromSample,
  planColumns,
  readHead,
  readTailLines,
  sampleRows,
  type ColumnPlan,
  type KnownColumn,
  type TablePlan,
} from '../generic-csv/table-reader.js';
import { isoFromSeconds, parseDateTimeString, splitLine, splitLines, type TextLine } from '../generic-csv/text-table.js';

export const READER_ID = 'maccor';

const HEADER_KEYS = ["Today's Date", 'Date of Test', 'Filename', 'Procedure', 'Comment/Barcode', 'Tester Channel', 'Description'];

/** Is this line the label line of a cycling export? */
export function isMaccorLabelLine(text: string): boolean {
  const f = text.split('\t').map((x) => x.trim());
  return (f[0] === 'Rec#' && f[1] === 'Cyc#') || (f[0] === 'Rec' && f[1] === 'Cycle P' && f[2] === 'Cycle C');
}

export function isEdaMagic(text: string): boolean {
  return /^MACCOR, INC\.\s+AC Impedance/.test(text);
}

/** key → value from the raw / model-one header lines (keys may be followed by ':' and tabs). */
export function parseKeyedHeader(text: string): Record<string, string> {
  const re = new RegExp(`(${HEADER_KEYS.map((k) => k.replace(/[/.]/g, (c) => `\\${c}`)).join('|')}):?`, 'g');
  const hits = [...text.matchAll(re)];
  const out: Record<string, string> = {};
  hits.forEach((m, i) => {
    const end = i + 1 < hits.length ? hits[i + 1]!.index! : text.length;
    out[m[1]!] = text.slice(m.index! + m[0].length, end).replace(/^[\s:]+|\s+$/g, '');
  });
  return out;
}

/** Cycling columns: Maccor labels → the names main/analysis/echem/cycling.ts looks up. */
function knownCycling(label: string): KnownColumn | undefined {
  switch (label) {
    case 'Cyc#':
      return { name: 'cycle number', units: '' };
    case 'Test (Sec)':
    case 'TestTime':
    case 'Test Time (sec)':
      return { name: 'time', units: 's' };
    case 'Step (Sec)':
    case 'StepTime':
    case 'Step Time (sec)':
      return { name: 'step time', units: 's' };
    case 'Amp-hr':
    case 'Cap. [Ah]':
      return { name: 'capacity', units: 'A·h' };
    case 'Watt-hr':
    case 'Ener. [Wh]':
      return { name: 'energy', units: 'W·h' };
    case 'Amps':
    case 'Current [A]':
      return { name: 'I', units: 'A' };
    case 'Volts':
    case 'Voltage [V]':
      return { name: 'Ecell', units: 'V' };
    case 'State':
    case 'Md':
      return { name: 'state', units: '', kind: 'category' };
    case 'DPt Time':
    case 'DPT Time':
      return { name: 'timestamp', kind: 'datetime' };
    case 'Rec#':
    case 'Rec':
      return { name: 'record', units: '' };
    default:
      return undefined;
  }
}

/** Impedance export columns (the first seven agree with each other: |Z|² = Z'² + Z''², phase). */
function knownEis(label: string): KnownColumn | undefined {
  switch (label) {
    case 'Freq(Hz)':
      return { name: 'freq', units: 'Hz' };
    case "Z'(a)":
      return { name: 'Re(Z)', units: 'Ω' };
    case "Z''(b)":
      return { name: 'Im(Z)', units: 'Ω' };
    case 'Phase_Angle':
      return { name: 'Phase(Z)', units: '°' };
    case 'Z-Mag':
      return { name: '|Z|', units: 'Ω' };
    case 'time(sec)':
      return { name: 'time', units: 's' };
    default:
      return undefined;
  }
}

function isoDate(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const s = parseDateTimeString(text.replace(/\s+/g, ' '));
  if (Number.isNaN(s)) return undefined;
  // A date without a time of day stays a date: no invented midnight.
  return /\d:\d/.test(text) ? isoFromSeconds(s) : isoFromSeconds(s).slice(0, 10);
}

/** The Maccor channel is the numbered extension of the data file name (".052" = channel 52). */
function channelFrom(fileName: string | undefined): number | undefined {
  const m = fileName ? /\.(\d{3})$/.exec(fileName.trim()) : null;
  return m ? Number(m[1]) : undefined;
}

/**
 * The key/value export (cellpy's maccor_002.txt) writes TestTime and StepTime as plain numbers
 * whose unit no label states: there, consecutive records one minute apart by "DPT Time" differ by
 * 1.0 in TestTime, i.e. minutes. The unit is therefore measured: elapsed wall-clock time between
 * the first and last sample rows over the TestTime difference (≈1 → s, ≈60 → min, ≈3600 → h).
 */
function inferTimeUnits(columns: ColumnPlan[], sample: string[][], warnings: string[]): void {
  const ti = columns.findIndex((c) => c.name === 'time');
  const ci = columns.findIndex((c) => c.name === 'timestamp');
  if (ti < 0 || ci < 0 || columns[ti]!.kind !== 'number' || columns[ci]!.kind !== 'datetime' || sample.length < 2) return;
  const first = sample[0]!;
  const last = sample[sample.length - 1]!;
  const dt = Number((last[ti] ?? '').replace(/,/g, '')) - Number((first[ti] ?? '').replace(/,/g, ''));
  const dc = parseDateTimeString(last[ci] ?? '') - parseDateTimeString(first[ci] ?? '');
  if (!(dt > 0) || !(dc >= 60)) return;
  const ratio = dc / dt;
  const unit = Math.abs(ratio - 60) < 0.05 * 60 ? 'min' : Math.abs(ratio - 3600) < 0.05 * 3600 ? 'h' : 's';
  if (unit === 's') return;
  for (const name of ['time', 'step time']) {
    const c = columns.find((x) => x.name === name);
    if (c && c.kind === 'number') c.units = unit;
  }
  warnings.push(`"${columns[ti]!.label}" states no unit; it advances by 1 per ${unit === 'min' ? 'minute' : 'hour'} of "${columns[ci]!.label}", so time and step time are in ${unit}`);
}

export async function planMaccor(source: FileSource): Promise<TablePlan> {
  const { bytes, atEof } = await readHead(source);
  const lines = splitLines(bytes, atEof, 400);
  if (lines.length === 0) throw new FormatDeclined(READER_ID, 'empty file');
  const eda = isEdaMagic(lines[0]!.text);
  const labelIdx = lines.findIndex((l) => (eda ? l.text.startsWith('Freq(Hz)\t') : isMaccorLabelLine(l.text)));
  if (labelIdx < 0) {
    if (eda || /Today's Date/.test(lines[0]!.text)) {
      throw new FormatError(source.name, lines[lines.length - 1]!.next, `a label line (${eda ? '"Freq(Hz)…"' : '"Rec#\\tCyc#…"'}) within the first ${lines.length} lines`, READER_ID);
    }
    throw new FormatDeclined(READER_ID, 'no Maccor label line');
  }
  const headerLines = lines.slice(0, labelIdx).map((l) => l.text);
  let firstData = labelIdx + 1;
  while (firstData < lines.length && lines[firstData]!.text.trim() === '') firstData++;
  const dataLines: TextLine[] = lines.slice(firstData);
  const dataStart = firstData < lines.length ? lines[firstData]!.start : lines[labelIdx]!.next;
  const firstLine = firstData < lines.length ? lines[firstData]!.number : lines[labelIdx]!.number + 1;
  let labels = splitLine(lines[labelIdx]!.text, '\t');
  const warnings: string[] = [];
  // A trailing tab on the label line (model two) leaves an empty last label.
  while (labels.length > 1 && labels[labels.length - 1]!.trim() === '') labels.pop();
  const tail = atEof ? [] : await readTailLines(source, dataStart);
  const sample = sampleRows(dataLines, tail, '\t');
  if (eda && sample.length > 0) {
    // The impedance export writes 24 labels over 13 values per row: labels past the data are
    // reported in warnings (and kept in original.headerLines).
    const width = Math.max(...sample.map((r) => r.length));
    if (width < labels.length) {
      warnings.push(`${labels.length} labels but ${width} fields per row: labels after "${labels[width - 1]}" have no values (${labels.slice(width).join(', ')})`);
      labels = labels.slice(0, width);
    }
  }
  const { style, kinds } = inferFromSample(sample, labels.length, '\t');
  const columns = planColumns(labels, kinds, eda ? knownEis : knownCycling);
  inferTimeUnits(columns, sample, warnings);
  const stateIdx = columns.findIndex((c) => c.name === 'state');
  const iCol = columns.find((c) => c.name === 'I');
  if (iCol && stateIdx >= 0) {
    iCol.signBy = {
      by: stateIdx,
      negative: ['D'],
      positive: ['C'],
      why: 'this export writes Amps unsigned; I follows the I > 0 = charge convention, negative where State is D (discharge)',
    };
  }

  const settings: Record<string, string> = {};
  let variant: string;
  if (eda) {
    variant = 'impedance (EDA)';
    headerLines.forEach((t, i) => (settings[`line ${i + 1}`] = t));
  } else if (/Today's Date/.test(headerLines[0] ?? '')) {
    variant = headerLines.length === 1 ? 'raw export (one header line)' : 'text export (keyed header lines)';
    Object.assign(settings, parseKeyedHeader(headerLines.join('\t')));
  } else {
    variant = 'text export (key/value header)';
    for (const t of headerLines) {
      const f = t.split('\t');
      const key = f[0]!.trim().replace(/:$/, '');
      if (key !== '') settings[key] = f.slice(1).join('\t').trim();
    }
  }
  const metadata: NormalisedMetadata = { instrument: 'Maccor' };
  const extra: NonNullable<NormalisedMetadata['extra']> = {};
  let started: string | undefined;
  if (eda) {
    const m = /Start Date:\s*(.*?)\s*Start Time:\s*(\S+)/.exec(headerLines.join('\n'));
    if (m) started = isoDate(`${m[1]} ${m[2]}`);
    metadata.technique = headerLines[0]!.replace(/^MACCOR, INC\.\s+/, '').trim();
  } else {
    started = isoDate(settings['Date of Test'] ?? settings.Started);
    if (settings.Procedure) metadata.technique = settings.Procedure;
  }
  if (started) metadata.acquisitionTime = started;
  const fileField = settings.Filename ?? settings.Name;
  const channel = channelFrom(fileField) ?? (settings['Tester Channel'] ?? settings.Channel ? Number(settings['Tester Channel'] ?? settings.Channel) : undefined);
  if (channel !== undefined && Number.isFinite(channel)) extra.channel = channel;
  if (settings['Comment/Barcode']) extra.barcode = settings['Comment/Barcode'];
  if (settings.Tester) metadata.instrument = `Maccor (${settings.Tester})`;
  if (settings.SCap) {
    const v = Number(settings.SCap);
    if (Number.isFinite(v)) extra.specifiedCapacity = { value: v, unit: 'A·h' };
  }
  if (Object.keys(extra).length > 0) metadata.extra = extra;
  return {
    readerId: READER_ID,
    entry: 'data',
    title: fileField ? fileField.split(/[\\/]/).pop()! : source.name,
    delimiter: 0x09,
    style,
    dataOffset: dataStart,
    firstLine,
    columns,
    metadata,
    original: { variant, settings, headerLines, decimalSeparator: String.fromCharCode(style.decimal), thousandsSeparator: style.thousands === null ? null : String.fromCharCode(style.thousands) },
    warnings,
    lineBytes: averageLineBytes(dataLines),
  };
}
