/**
 * .ndax (BTS 8.x) = a ZIP of .ndc binaries and XML metadata. This module opens the members it
 * needs and joins them into one record table.
 *
 * For layouts v11 and later, data.ndc holds only voltage and current per record index; time,
 * capacities, energies, timestamp and the step counter come from data_runInfo.ndc (joined on the
 * record index, step carried forward), and cycle, step number and step type from data_step.ndc
 * (joined on the step counter). BTS 8 does not write a runInfo row for every record: the missing
 * rows are filled the way BTSDA and NewareNDA fill them — time advanced by the logging interval
 * `dt`, capacity and energy by integrating I·dt and I·V·dt from the last stored row — and every
 * such row is flagged in the `interpolated` column (see README.md).
 *
 * Aux channels: data_AUX_<a>_<b>_<c>.ndc (or data_<n>.ndc) sorted by their numbers are matched,
 * in order, to TestInfo.xml's <Aux…> elements, which give the aux id and the channel type
 * (ChlType 103 = temperature, 335 = second temperature, 345 = humidity) — as described by
 * NewareNDA (NewareNDAx.py, BSD-3-Clause), re-derived here.
 */
import type { MetaTree } from '../../api/dataset.js';
import { FormatError } from '../format-error.js';
import {
  ndcHeader,
  parseNdcAux,
  parseNdcRecords,
  parseNdcRunInfo,
  parseNdcSteps,
  parseNdcVoltageCurrent,
  READER_ID,
  type AuxTable,
} from './parse-ndc.js';
import { nanColumn, type AuxSeries, type NewareRecords, type RecordColumns } from './records.js';
import { decodeXml, findElements, xmlToMeta } from './xml-lite.js';
import type { ZipArchive } from '../zip-archive.js';

/** Upper bound on one inflated .ndc member (the largest real ones are a few hundred MB). */
export const MAX_NDC_BYTES = 768 * 1024 * 1024;
export const MAX_XML_BYTES = 16 * 1024 * 1024;

/** Quantity letter of an aux column → units. */
const AUX_UNITS: Record<string, { units: string; what: string }> = {
  V: { units: 'V', what: 'aux voltage' },
  T: { units: '°C', what: 'temperature' },
  t: { units: '°C', what: 'second temperature' },
  H: { units: '%RH', what: 'humidity' },
};
/** TestInfo.xml ChlType → quantity letter of a v14/v17 aux file's single float column. */
const CHL_TYPE_QUANTITY: Record<string, string> = { '103': 'T', '335': 't', '345': 'H' };

export interface NdaxContents {
  records: NewareRecords;
  xml: MetaTree;
  members: string[];
  ndcVersion: number;
}

async function member(zip: ZipArchive, name: string, limit: number): Promise<Uint8Array | null> {
  const m = zip.find(name);
  return m ? zip.read(m, limit) : null;
}

export async function parseNdax(zip: ZipArchive, file: string): Promise<NdaxContents> {
  const names = zip.names();
  const warnings: string[] = [];
  const xml: MetaTree = {};
  for (const n of names.filter((x) => x.toLowerCase().endsWith('.xml'))) {
    const bytes = await member(zip, n, MAX_XML_BYTES);
    if (!bytes) continue;
    const tree = xmlToMeta(decodeXml(bytes));
    // BTSDA wraps every file in <root>; keep what is inside it.
    const inner = tree && tree.root && typeof tree.root === 'object' && !Array.isArray(tree.root) ? tree.root : tree;
    if (inner) xml[n.replace(/\.xml$/i, '')] = inner;
    else warnings.push(`${n}: not well-formed XML, kept out of the metadata`);
  }

  const dataName = 'data.ndc';
  const data = await member(zip, dataName, MAX_NDC_BYTES);
  if (!data) throw new FormatError(file, null, `a "data.ndc" member in the .ndax (members: ${names.join(', ')})`, READER_ID);
  const where = `${file}!${dataName}`;
  const h = ndcHeader(data, where);
  if (h.fileType !== 1) throw new FormatError(where, 0, `file type 1 (records) in data.ndc (got ${h.fileType})`, READER_ID);

  let columns: RecordColumns;
  let interpolated: Float64Array | undefined;
  let timestampZone: NewareRecords['timestampZone'] = 'utc';
  if (h.version === 2 || h.version === 5) {
    columns = parseNdcRecords(data, h, where, warnings);
    timestampZone = 'local';
  } else {
    const vc = parseNdcVoltageCurrent(data, h, where, warnings);
    const n = vc.index.length;
    columns = {
      index: vc.index,
      voltage: vc.voltage,
      current: vc.current,
      cycle: nanColumn(n),
      stepKey: nanColumn(n),
      stepIndex: nanColumn(n),
      status: nanColumn(n),
      stepTime: nanColumn(n),
      chargeCapacity: nanColumn(n),
      dischargeCapacity: nanColumn(n),
      chargeEnergy: nanColumn(n),
      dischargeEnergy: nanColumn(n),
      timestamp: nanColumn(n),
    };
    const runBytes = await member(zip, 'data_runInfo.ndc', MAX_NDC_BYTES);
    const stepBytes = await member(zip, 'data_step.ndc', MAX_NDC_BYTES);
    if (runBytes && stepBytes) {
      const runWhere = `${file}!data_runInfo.ndc`;
      const stepWhere = `${file}!data_step.ndc`;
      const rh = ndcHeader(runBytes, runWhere);
      const sh = ndcHeader(stepBytes, stepWhere);
      if (rh.fileType !== 18) throw new FormatError(runWhere, 0, `file type 18 (run info) (got ${rh.fileType})`, READER_ID);
      if (sh.fileType !== 7) throw new FormatError(stepWhere, 0, `file type 7 (steps) (got ${sh.fileType})`, READER_ID);
      const run = parseNdcRunInfo(runBytes, rh, runWhere, warnings);
      const steps = parseNdcSteps(stepBytes, sh, stepWhere, warnings);
      interpolated = joinRunInfo(columns, run, steps, warnings);
    } else {
      warnings.push(`data.ndc v${h.version} holds only voltage and current; data_runInfo.ndc/data_step.ndc are missing, so time, capacity, step and cycle are NaN`);
    }
  }

  const aux = await readAux(zip, file, names, warnings);
  return {
    records: { columns, interpolated, aux, timestampZone, layout: `ndc v${h.version}`, warnings },
    xml,
    members: names,
    ndcVersion: h.version,
  };
}

/** Join runInfo (on index) and steps (on the step counter) into `cols`; returns the interpolated flags. */
function joinRunInfo(
  cols: RecordColumns,
  run: ReturnType<typeof parseNdcRunInfo>,
  steps: ReturnType<typeof parseNdcSteps>,
  warnings: string[],
): Float64Array | undefined {
  const n = cols.index.length;
  const rowOf = new Map<number, number>();
  for (let j = 0; j < run.index.length; j++) rowOf.set(run.index[j]!, j);
  const dt = new Float64Array(n).fill(NaN);
  const valid = new Uint8Array(n);
  let step = NaN;
  for (let i = 0; i < n; i++) {
    const j = rowOf.get(cols.index[i]!);
    if (j !== undefined) {
      valid[i] = 1;
      cols.stepTime[i] = run.stepTime[j]!;
      cols.chargeCapacity[i] = run.chargeCapacity[j]!;
      cols.dischargeCapacity[i] = run.dischargeCapacity[j]!;
      cols.chargeEnergy[i] = run.chargeEnergy[j]!;
      cols.dischargeEnergy[i] = run.dischargeEnergy[j]!;
      cols.timestamp[i] = run.timestamp[j]!;
      dt[i] = run.dt[j]!;
      step = run.step[j]!;
    }
    // The step counter is carried forward over records that have no runInfo row.
    cols.stepKey[i] = step;
    const s = steps.cycle.length > 0 && Number.isInteger(step) && step >= 1 && step <= steps.cycle.length ? step - 1 : -1;
    if (s >= 0) {
      cols.cycle[i] = steps.cycle[s]!;
      cols.stepIndex[i] = steps.stepIndex[s]!;
      cols.status[i] = steps.status[s]!;
    }
  }
  let missing = 0;
  for (let i = 0; i < n; i++) if (!valid[i]) missing++;
  if (missing === 0) return undefined;

  // Fill the gaps from the last stored row: t += dt, Q += I·dt/3600 (mA·h), E += I·V·dt/3600 (mW·h),
  // the increments going to the charge or discharge total by their sign.
  const flags = new Float64Array(n);
  let lastDt = NaN;
  let accT = 0;
  let accQ = 0;
  let accE = 0;
  let base = -1;
  for (let i = 0; i < n; i++) {
    if (valid[i]) {
      base = i;
      lastDt = dt[i]!;
      accT = accQ = accE = 0;
      continue;
    }
    if (base < 0) continue;
    flags[i] = 1;
    accT += lastDt;
    const q = (lastDt * cols.current[i]!) / 3600;
    accQ += q;
    accE += q * cols.voltage[i]!;
    cols.stepTime[i] = cols.stepTime[base]! + accT;
    cols.timestamp[i] = cols.timestamp[base]! + accT;
    cols.chargeCapacity[i] = Math.abs(cols.chargeCapacity[base]!) + Math.max(accQ, 0);
    cols.dischargeCapacity[i] = Math.abs(cols.dischargeCapacity[base]!) + Math.abs(Math.min(accQ, 0));
    cols.chargeEnergy[i] = Math.abs(cols.chargeEnergy[base]!) + Math.max(accE, 0);
    cols.dischargeEnergy[i] = Math.abs(cols.dischargeEnergy[base]!) + Math.abs(Math.min(accE, 0));
  }
  warnings.push(
    `${missing} of ${n} records have no runInfo row; their time, timestamp, capacities and energies were interpolated from the logging interval (flagged in "interpolated")`,
  );
  return flags;
}

async function readAux(zip: ZipArchive, file: string, names: string[], warnings: string[]): Promise<AuxSeries[]> {
  const found: { name: string; key: number[] }[] = [];
  for (const n of names) {
    const m = /^data_AUX_(\d+)_(\d+)_(\d+)\.ndc$/.exec(n);
    if (m) found.push({ name: n, key: [Number(m[1]), Number(m[2]), Number(m[3])] });
    else {
      const m2 = /^data_(\d+)\.ndc$/.exec(n);
      if (m2) found.push({ name: n, key: [Number(m2[1]), 0, 0] });
    }
  }
  if (found.length === 0) return [];
  found.sort((a, b) => a.key[0]! - b.key[0]! || a.key[1]! - b.key[1]! || a.key[2]! - b.key[2]!);

  let auxInfo: Record<string, string>[] = [];
  const ti = await member(zip, 'TestInfo.xml', MAX_XML_BYTES);
  if (ti) auxInfo = findElements(decodeXml(ti), (name) => /^Aux\d*$/.test(name)).map((e) => e.attrs);
  if (auxInfo.length !== found.length) {
    warnings.push(`${found.length} aux file(s) but ${auxInfo.length} <Aux…> entries in TestInfo.xml: aux ids taken from the records or numbered -1, -2, …`);
    auxInfo = [];
  }

  const out: AuxSeries[] = [];
  for (let k = 0; k < found.length; k++) {
    const name = found[k]!.name;
    const where = `${file}!${name}`;
    const bytes = await member(zip, name, MAX_NDC_BYTES);
    if (!bytes) continue;
    const h = ndcHeader(bytes, where);
    if (h.fileType !== 5) {
      warnings.push(`${name}: file type ${h.fileType}, not an aux channel (5); skipped`);
      continue;
    }
    let t: AuxTable;
    try {
      t = parseNdcAux(bytes, h, where, warnings);
    } catch (e) {
      if (e instanceof FormatError) {
        warnings.push(`${name}: ${e.expected}; skipped`);
        continue;
      }
      throw e;
    }
    const info = auxInfo[k];
    const groups = new Map<number, number[]>();
    if (!info?.AuxID && t.aux && t.aux.length) {
      // Records carry their aux channel number: one series per channel.
      for (let i = 0; i < t.aux.length; i++) {
        const a = t.aux[i]!;
        let l = groups.get(a);
        if (!l) groups.set(a, (l = []));
        l.push(i);
      }
    } else {
      const id = info?.AuxID !== undefined ? Number(info.AuxID) : -(k + 1);
      groups.set(Number.isFinite(id) ? id : -(k + 1), Array.from(t.index, (_, i) => i));
    }
    for (const [auxId, rows] of groups) {
      for (const [q0, vals] of Object.entries(t.values)) {
        let q = q0;
        if (q === '?') {
          const chl = info?.ChlType;
          const mapped = chl !== undefined ? CHL_TYPE_QUANTITY[chl] : undefined;
          if (!mapped) {
            warnings.push(`${name}: channel type ${chl ?? '(none)'} unknown; values kept as "aux${auxId}" without units`);
          }
          q = mapped ?? 'aux';
        }
        const u = AUX_UNITS[q];
        out.push({
          name: `${q}${auxId}`,
          quantity: q,
          units: u?.units ?? '',
          index: Float64Array.from(rows, (i) => t.index[i]!),
          values: Float64Array.from(rows, (i) => vals[i]!),
          sourceName: `${name} ${u?.what ?? 'value'} (aux id ${auxId}${info?.ChlType ? `, ChlType ${info.ChlType}` : ''})`,
        });
      }
    }
  }
  return out;
}
