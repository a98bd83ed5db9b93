/**
 * PEC SBT (Battery Test System) csv export: header parsing and column plan.
 *
 * Layout (cellpy's pec.csv, "SAFT VL43EFe dQdV C/25"): "Key:,value" lines (Request Year, Test,
 * TestRegime Name/Suffix/Version, Project Group …, Start Time, End Time, Operator Instructions),
 * an optional "#RESULTS CHECK" … "#END RESULTS CHECK" block (its own small table), then the label
 * line "Test,Cell,Rack,Shelf,Position,Cell ID,Step,Cycle,Total Time (Seconds),…" ending in a
 * comma, and rows ending in a comma too. Units are in the labels: mV, mA, mAh, mWh, °C, mOhm.
 * "Real Time" and "Position Start Time" are "MM/DD/YYYY hh:mm:ss" (month first, as "Start Time:
 * 02/22/2019 16:21:35" shows: there is no 22th month).
 */
import type { NormalisedMetadata } from '../../api/dataset.js';
import type { FileSource } from '../file-source.js';
import { FormatDeclined, FormatError } from '../format-error.js';
import { averageLineBytes, inferFromSample, planColumns, readHead, readTailLines, sampleRows, type KnownColumn, type TablePlan } from '../generic-csv/table-reader.js';
import { isoFromSeconds, parseDateTimeString, splitLine, splitLines } from '../generic-csv/text-table.js';

export const READER_ID = 'pec';

/** The label line: the first fields are always these (PEC SBT export, checked on pec.csv). */
export function isPecLabelLine(text: string): boolean {
  return /^Test,Cell,Rack,Shelf,Position,/.test(text) && /Total Time \(Seconds\)/.test(text);
}

function known(label: string): KnownColumn | undefined {
  switch (label) {
    case 'Cycle':
      return { name: 'cycle number', units: '' };
    case 'Total Time (Seconds)':
      return { name: 'time', units: 's' };
    case 'Step Time (Seconds)':
      return { name: 'step time', units: 's' };
    case 'Voltage (mV)':
      return { name: 'Ecell', units: 'mV' };
    case 'Current (mA)':
      return { name: 'I', units: 'mA' };
    // Charge passed while charging / discharging since the cycle began: EC-Lab's "Q charge" and
    // "Q discharge" have the same meaning (per-interval, unsigned).
    case 'Charge Capacity (mAh)':
      return { name: 'Q charge', units: 'mA·h' };
    case 'Discharge Capacity (mAh)':
      return { name: 'Q discharge', units: 'mA·h' };
    // PEC labels the energies "Capacity (mWh)".
    case 'Charge Capacity (mWh)':
      return { name: 'Energy charge', units: 'mW·h' };
    case 'Discharge Capacity (mWh)':
      return { name: 'Energy discharge', units: 'mW·h' };
    case 'Real Time':
      return { name: 'timestamp', kind: 'datetime' };
    case 'Position Start Time':
      return { name: 'Position Start Time', kind: 'datetime' };
    default:
      return undefined;
  }
}

export async function planPec(source: FileSource): Promise<TablePlan> {
  const { bytes, atEof } = await readHead(source);
  const lines = splitLines(bytes, atEof, 2000);
  const labelIdx = lines.findIndex((l) => isPecLabelLine(l.text));
  if (labelIdx < 0) {
    if (lines.some((l) => /^TestRegime Name:,/.test(l.text))) throw new FormatError(source.name, lines[lines.length - 1]?.next ?? 0, `the label line "Test,Cell,Rack,Shelf,Position,…" within the first ${lines.length} lines`, READER_ID);
    throw new FormatDeclined(READER_ID, 'no PEC label line');
  }
  const settings: Record<string, string> = {};
  const resultsCheck: string[] = [];
  let inCheck = false;
  for (const l of lines.slice(0, labelIdx)) {
    const t = l.text;
    if (t.startsWith('#RESULTS CHECK')) inCheck = true;
    else if (t.startsWith('#END RESULTS CHECK')) inCheck = false;
    else if (inCheck) resultsCheck.push(t);
    else {
      const m = /^([^:]+):,?(.*?),?$/.exec(t);
      if (m) settings[m[1]!.trim()] = m[2]!.trim();
    }
  }
  const labels = splitLine(lines[labelIdx]!.text, ',');
  while (labels.length > 1 && labels[labels.length - 1]!.trim() === '') labels.pop();
  let firstData = labelIdx + 1;
  while (firstData < lines.length && lines[firstData]!.text.trim() === '') firstData++;
  const dataLines = lines.slice(firstData);
  const dataStart = firstData < lines.length ? lines[firstData]!.start : lines[labelIdx]!.next;
  const tail = atEof ? [] : await readTailLines(source, dataStart);
  const sample = sampleRows(dataLines, tail, ',');
  const { style, kinds } = inferFromSample(sample, labels.length, ',');
  const columns = planColumns(labels, kinds, known);
  const metadata: NormalisedMetadata = { instrument: 'PEC SBT' };
  const start = settings['Start Time'] ? parseDateTimeString(settings['Start Time']) : NaN;
  if (!Number.isNaN(start)) metadata.acquisitionTime = isoFromSeconds(start);
  if (settings['TestRegime Name']) metadata.technique = settings['TestRegime Name'];
  const extra: NonNullable<NormalisedMetadata['extra']> = {};
  if (settings.Test) extra.testId = settings.Test;
  if (Object.keys(extra).length > 0) metadata.extra = extra;
  return {
    readerId: READER_ID,
    entry: 'data',
    title: settings['TestRegime Name'] ? `PEC test ${settings.Test ?? ''}: ${settings['TestRegime Name']}`.trim() : source.name,
    delimiter: 0x2c,
    style,
    dataOffset: dataStart,
    firstLine: firstData < lines.length ? lines[firstData]!.number : lines[labelIdx]!.number + 1,
    columns,
    metadata,
    original: { settings, resultsCheck },
    warnings: [],
    lineBytes: averageLineBytes(dataLines),
  };
}
