/**
 * Novonix (UHPC / HPC) csv export: header parsing and column plan.
 *
 * Layout (BEEP's test_Nova_Form-CH01-01_short.csv, software 2.2.1.6): "[Summary]" … "[End
 * Summary]" with "Key: value" lines (Channel, Cell, Protocol, Mass (g), Capacity (Ah), Area
 * (cm2), Started, Version), "[Protocol]" … "[End Protocol]" (the step list, some lines wrapped in
 * quotes), "[Data]", the label line, then rows. In that file every label and data line is wrapped
 * in one pair of double quotes ("2022-04-11 10:58:07 AM,1,0,…"): the quotes are stripped per line.
 * The "<name>_metadata.csv" sidecar written next to it holds per-cycle summaries.
 */
import type { NormalisedMetadata, Quantity } from '../../api/dataset.js';
import type { FileSource } from '../file-source.js';
import { FormatDeclined, FormatError } from '../format-error.js';
import { averageLineBytes, inferFromSample, planColumns, readHead, readTailLines, sampleRows, type KnownColumn, type TablePlan } from '../generic-csv/table-reader.js';
import { isoFromSeconds, parseDateTimeString, splitLine, splitLines } from '../generic-csv/text-table.js';

export const READER_ID = 'novonix';

function unquote(t: string): string {
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
}

function known(label: string): KnownColumn | undefined {
  switch (label) {
    case 'Date and Time':
      return { name: 'timestamp', kind: 'datetime' };
    case 'Cycle Number':
      return { name: 'cycle number', units: '' };
    case 'Run Time (h)':
      return { name: 'time', units: 'h' };
    case 'Step Time (h)':
      return { name: 'step time', units: 'h' };
    case 'Current (A)':
      return { name: 'I', units: 'A' };
    case 'Potential (V)':
      return { name: 'Ecell', units: 'V' };
    case 'Capacity (Ah)':
      return { name: 'capacity', units: 'A·h' };
    case 'Energy (Wh)':
      return { name: 'energy', units: 'W·h' };
    case 'Step Type':
      return { name: 'Step Type', units: '' };
    default:
      return undefined;
  }
}

function quantity(text: string | undefined, unit: string): Quantity | undefined {
  if (text === undefined) return undefined;
  const v = Number(text.trim());
  return text.trim() !== '' && Number.isFinite(v) ? { value: v, unit } : undefined;
}

export async function planNovonix(source: FileSource): Promise<TablePlan> {
  const { bytes, atEof } = await readHead(source);
  const lines = splitLines(bytes, atEof, 20000);
  if (lines.length === 0 || lines[0]!.text.replace(/^\uFEFF/, '').trim() !== '[Summary]') throw new FormatDeclined(READER_ID, 'first line is not "[Summary]"');
  const dataIdx = lines.findIndex((l) => l.text.trim() === '[Data]');
  if (dataIdx < 0 || dataIdx + 1 >= lines.length) {
    throw new FormatError(source.name, lines[lines.length - 1]!.next, `a "[Data]" section followed by a label line within the first ${bytes.length} bytes`, READER_ID);
  }
  const summary: Record<string, string> = {};
  const protocol: string[] = [];
  let section = '';
  for (const l of lines.slice(0, dataIdx)) {
    const t = unquote(l.text.trim());
    const sec = /^\[(Summary|End Summary|Protocol|End Protocol)\]$/.exec(t);
    if (sec) {
      section = sec[1]!;
      continue;
    }
    if (section === 'Summary') {
      const m = /^([^:]+):\s*(.*)$/.exec(t);
      if (m) summary[m[1]!.trim()] = m[2]!.trim();
      else summary[t] = '';
    } else if (section === 'Protocol') protocol.push(l.text);
  }
  const labelLine = lines[dataIdx + 1]!;
  const labels = splitLine(unquote(labelLine.text.trim()), ',');
  let firstData = dataIdx + 2;
  while (firstData < lines.length && lines[firstData]!.text.trim() === '') firstData++;
  const dataLines = lines.slice(firstData);
  const dataStart = firstData < lines.length ? lines[firstData]!.start : labelLine.next;
  const tail = atEof ? [] : await readTailLines(source, dataStart);
  const sample = sampleRows(dataLines, tail, ',', true);
  const { style, kinds } = inferFromSample(sample, labels.length, ',');
  const columns = planColumns(labels, kinds, known);

  const metadata: NormalisedMetadata = { instrument: 'Novonix' };
  const extra: NonNullable<NormalisedMetadata['extra']> = {};
  const started = summary.Started ? parseDateTimeString(summary.Started) : NaN;
  if (!Number.isNaN(started)) metadata.acquisitionTime = isoFromSeconds(started);
  if (summary.Protocol) metadata.technique = summary.Protocol;
  const mass = quantity(summary['Mass (g)'], 'g');
  if (mass) metadata.activeMass = mass;
  const area = quantity(summary['Area (cm2)'], 'cm²');
  if (area) metadata.electrodeArea = area;
  const cap = quantity(summary['Capacity (Ah)'], 'A·h');
  if (cap) extra.nominalCapacity = cap;
  if (summary.Channel) extra.channel = summary.Channel;
  if (summary.Version) extra.softwareVersion = summary.Version;
  if (Object.keys(extra).length > 0) metadata.extra = extra;
  const header = lines[1]?.text.trim();
  if (header) metadata.instrument = `Novonix (${unquote(header)})`;
  return {
    readerId: READER_ID,
    entry: 'data',
    title: summary.Cell || source.name,
    delimiter: 0x2c,
    style,
    unwrapLineQuotes: true,
    dataOffset: dataStart,
    firstLine: firstData < lines.length ? lines[firstData]!.number : labelLine.number + 1,
    columns,
    metadata,
    original: { summary, protocol },
    warnings: [],
    lineBytes: averageLineBytes(dataLines),
  };
}
