/**
 * Battery Data Format (BDF, Battery Data Alliance) csv: header parsing and column plan.
 *
 * BDF fixes the column labels ("preferred labels", quantity / unit in IUPAC notation): required
 * "Test Time / s", "Voltage / V", "Current / A"; recommended "Unix Time / s", "Cycle Count / 1",
 * "Step Count / 1", "Ambient Temperature / degC"; optional "Step Index / 1", "Charging Capacity /
 * Ah", "Discharging Capacity / Ah", "Step Capacity / Ah", "Net Capacity / Ah", "Cumulative
 * Capacity / Ah", the energies in Wh, "Power / W", "Internal Resistance / Ohm", pressures in Pa,
 * "Surface Temperature T1…T5 / degC" (battery-data-alliance/battery-data-format README,
 * "Required/Recommended/Optional quantities"). The first row is the header; there is no preamble.
 *
 * Files in the wild bend the rules: cellpy's batmo_bdf.csv writes "Test Time / h", the older
 * "Charge Capacity / Ah" / "Discharge Capacity / Ah", and text columns "Step Type / 1"
 * (charge/discharge/rest) and "Protocol Name / 1". Units are therefore taken from each label, never
 * assumed, and unknown labels are kept under their quantity name.
 */
import type { NormalisedMetadata } from '../../api/dataset.js';
import type { FileSource } from '../file-source.js';
import { FormatDeclined } from '../format-error.js';
import { averageLineBytes, inferFromSample, planColumns, readHead, readTailLines, sampleRows, type KnownColumn, type TablePlan } from '../generic-csv/table-reader.js';
import { splitLine, splitLines } from '../generic-csv/text-table.js';
import { splitLabel } from '../generic-csv/units.js';

export const READER_ID = 'bdf-csv';

/** BDF quantity (lower case, before " / ") → normalised name for the analyses. */
const NORMALISED: Record<string, string> = {
  'test time': 'time',
  voltage: 'Ecell',
  current: 'I',
  'cycle count': 'cycle number',
  'step time': 'step time',
  'unix time': 'unix time',
  // Charge passed while charging/discharging within an interval: EC-Lab's Q charge/Q discharge.
  'charging capacity': 'Q charge',
  'charge capacity': 'Q charge',
  'discharging capacity': 'Q discharge',
  'discharge capacity': 'Q discharge',
  'charging energy': 'Energy charge',
  'charge energy': 'Energy charge',
  'discharging energy': 'Energy discharge',
  'discharge energy': 'Energy discharge',
};

/** BDF quantities this reader knows (to count how BDF-like a header is). */
const BDF_QUANTITIES = new Set([
  'test time', 'voltage', 'current', 'unix time', 'cycle count', 'step count', 'step index', 'ambient temperature',
  'charging capacity', 'discharging capacity', 'charge capacity', 'discharge capacity', 'step capacity', 'net capacity',
  'cumulative capacity', 'charging energy', 'discharging energy', 'step energy', 'net energy', 'cumulative energy',
  'power', 'internal resistance', 'ambient pressure', 'applied pressure', 'step time', 'step type',
]);

/** "Quantity / unit" with spaces around the slash, as BDF writes every label. */
export function bdfLabel(label: string): { quantity: string; unit: string } | null {
  const m = /^\s*(.+?)\s+\/\s+(\S+)\s*$/.exec(label);
  return m ? { quantity: m[1]!, unit: m[2]! } : null;
}

/** A header is BDF when it has the three required quantities in "Q / unit" form. */
export function isBdfHeader(line: string): boolean {
  const labels = splitLine(line.replace(/^\uFEFF/, ''), ',').map(bdfLabel);
  const q = new Set(labels.filter((x) => x !== null).map((x) => x.quantity.toLowerCase()));
  return q.has('test time') && q.has('voltage') && q.has('current') && labels.every((x) => x !== null);
}

function known(label: string): KnownColumn | undefined {
  const b = bdfLabel(label);
  if (!b) return undefined;
  const q = b.quantity.toLowerCase();
  const units = splitLabel(label).unit;
  if (q === 'step type') return { name: 'Step Type', units: '', kind: 'category' };
  const name = NORMALISED[q];
  return name ? { name, units } : { name: b.quantity, units };
}

export async function planBdf(source: FileSource): Promise<TablePlan> {
  const { bytes, atEof } = await readHead(source);
  const lines = splitLines(bytes, atEof, 400);
  const header = lines[0];
  if (!header || !isBdfHeader(header.text)) throw new FormatDeclined(READER_ID, 'first line is not a BDF header ("Test Time / s,Voltage / V,Current / A,…")');
  const labels = splitLine(header.text.replace(/^\uFEFF/, ''), ',');
  let firstData = 1;
  while (firstData < lines.length && lines[firstData]!.text.trim() === '') firstData++;
  const dataLines = lines.slice(firstData);
  const dataStart = firstData < lines.length ? lines[firstData]!.start : header.next;
  const tail = atEof ? [] : await readTailLines(source, dataStart);
  const sample = sampleRows(dataLines, tail, ',');
  const { style, kinds } = inferFromSample(sample, labels.length, ',');
  const columns = planColumns(labels, kinds, known);
  const warnings: string[] = [];
  const unknown = labels.filter((l) => !BDF_QUANTITIES.has(bdfLabel(l)?.quantity.toLowerCase() ?? ''));
  if (unknown.length > 0) warnings.push(`labels outside the BDF quantity list, kept as written: ${unknown.join(', ')}`);
  const time = labels.find((l) => bdfLabel(l)?.quantity.toLowerCase() === 'test time');
  if (time && bdfLabel(time)!.unit !== 's') warnings.push(`"${time}": BDF fixes Test Time in s; the file's unit (${bdfLabel(time)!.unit}) is kept as stated`);
  const stepType = columns.findIndex((c) => c.name === 'Step Type');
  const current = columns.find((c) => c.name === 'I');
  if (current && stepType >= 0) {
    current.signBy = {
      by: stepType,
      negative: ['discharge'],
      positive: ['charge'],
      why: 'the file\'s Current has the opposite sign to its Step Type (charge rows negative); I follows the I > 0 = charge convention',
    };
  }
  const metadata: NormalisedMetadata = {};
  return {
    readerId: READER_ID,
    entry: 'data',
    title: source.name,
    delimiter: 0x2c,
    style,
    dataOffset: dataStart,
    firstLine: firstData < lines.length ? lines[firstData]!.number : 2,
    columns,
    metadata,
    original: { format: 'Battery Data Format (csv)' },
    warnings,
    lineBytes: averageLineBytes(dataLines),
  };
}
