/**
 * An analysis's derived arrays as CSV for other tools (Origin, Excel, pandas): one table per axis
 * — the axis array first, then every array plotted against it — with units in the column headers
 * and the provenance as leading `#` comment lines, so a number that leaves the app still says
 * where it came from. Numbers keep full float64 precision; NaN (no value) is an empty cell.
 */
export interface ArrayInfo {
  name: string;
  units: string;
  length: number;
  axis: string | null;
}

export interface CsvProvenance {
  analysisId: string;
  analysisVersion: string;
  appVersion: string;
  time: string;
  inputs: { name: string; sha256: string }[];
  parameters: Record<string, unknown>;
  /** What the analysis decided from the data (Provenance.resolved). */
  resolved?: Record<string, unknown>;
}

/** Arrays sliced out of the concatenated float64 buffer, in `arrays` order. */
export function sliceArrays(arrays: readonly ArrayInfo[], data: Float64Array): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  let off = 0;
  for (const a of arrays) {
    out.set(a.name, data.subarray(off, off + a.length));
    off += a.length;
  }
  return out;
}

/** Name without its NXdata group ("coulombicEfficiency/cycle" → "cycle"). */
export const shortName = (n: string): string => n.split('/').pop() ?? n;

function sameValues(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!(a[i] === b[i] || (Number.isNaN(a[i]!) && Number.isNaN(b[i]!)))) return false;
  return true;
}

export interface CsvTable {
  axis: ArrayInfo;
  arrays: ArrayInfo[];
}

/**
 * The tables an export offers. Derived files keep one NXdata group per array, each with its own
 * copy of the axis; arrays whose axes have the same name and the same values are one table
 * (e.g. every per-cycle quantity against cycle).
 */
export function csvTables(arrays: readonly ArrayInfo[], values: Map<string, Float64Array>): CsvTable[] {
  const tables: CsvTable[] = [];
  for (const a of arrays) {
    if (!a.axis) continue;
    const axis = arrays.find((x) => x.name === a.axis);
    if (!axis || axis.length !== a.length) continue;
    const t = tables.find((x) => shortName(x.axis.name) === shortName(axis.name) && sameValues(values.get(x.axis.name)!, values.get(axis.name)!));
    if (t) t.arrays.push(a);
    else tables.push({ axis, arrays: [a] });
  }
  return tables;
}

function cell(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const header = (a: ArrayInfo): string => cell(a.units ? `${shortName(a.name)} (${a.units})` : shortName(a.name));

export function arraysToCsv(table: CsvTable, values: Map<string, Float64Array>, prov: CsvProvenance): string {
  const columns = [table.axis, ...table.arrays];
  const lines = [
    `# Interphase ${prov.appVersion} · ${prov.analysisId} v${prov.analysisVersion} · run ${prov.time}`,
    ...prov.inputs.map((i) => `# input: ${i.name.replace(/[\r\n]+/g, ' ')} · sha256 ${i.sha256}`),
    `# parameters: ${JSON.stringify(prov.parameters)}`,
    ...(prov.resolved ? [`# resolved from the data: ${JSON.stringify(prov.resolved)}`] : []),
    columns.map(header).join(','),
  ];
  const n = columns[0]?.length ?? 0;
  const cols = columns.map((c) => values.get(c.name)!);
  for (let i = 0; i < n; i++) lines.push(cols.map((v) => (Number.isFinite(v[i]!) ? String(v[i]) : '')).join(','));
  return lines.join('\r\n') + '\r\n';
}
