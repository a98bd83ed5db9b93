/**
 * Mapper: Neware record columns → the table `DatasetEntry` (DESIGN.md "One data model").
 *
 * Names follow the normalised names the cycling analyses look up (main/analysis/echem/cycling.ts):
 * the cell voltage is `Ecell` (a two-electrode cycler measures the cell, not a working electrode
 * against a reference), the current `I` (mA), the instrument's cycle counter `cycle number`.
 * Neware's "Time" restarts at every step, so it is `step time`; the running test time `time` is
 * derived (see `testTime`) and says so in its sourceName. Neware's capacities and energies restart
 * at every step, so they are *not* EC-Lab's per-half-cycle `Q charge/discharge` and keep their own
 * names. Units are those NewareNDA reports (mA, mA·h, mW·h); the integer layouts are scaled by the
 * current-range factor and the float layouts by their stored unit — each column's sourceName says
 * which conversion was applied.
 */
import type { Column, MetaTree } from '../../api/dataset.js';
import { countChanges, STEP_TYPE_NAMES, type NewareRecords } from './records.js';

export interface MappedTable {
  columns: Column[];
  data: Float64Array[];
  rowCount: number;
  warnings: string[];
}

/**
 * Running test time: the step time plus the final step time of every earlier step (what BTSDA
 * shows as "Total Time"). NaN step times are skipped over, keeping the offset.
 *
 * Only a step whose time restarts adds an offset: in some files the step time runs on across
 * steps (NewareNDA issue 72, TestFile.nda: step 3 starts at 15347.5 s, where step 2 ended), and
 * adding it again doubled the time — and every ∫I dt over it. Which it is, at each step change:
 * - with wall-clock timestamps on both rows, the reading that matches the clock's gap Δ: a restart
 *   puts the new step time near Δ, a run-on puts it near the last one plus Δ (all 60 step changes
 *   of the corpus files decide as their step times plainly show);
 * - without them, the file's own habit: it restarts if any step's time plainly restarts (starts
 *   below the last one), else it runs on. One step logged late cannot be told apart otherwise.
 */
export function testTime(step: Float64Array, stepTime: Float64Array, timestamp?: Float64Array): Float64Array {
  const n = step.length;
  // Pass 1: does the file restart its step time anywhere, plainly?
  let restarts = false;
  {
    let last = NaN;
    let changed = false;
    for (let i = 0; i < n && !restarts; i++) {
      if (i > 0 && step[i] !== step[i - 1]) changed = true;
      const t = stepTime[i]!;
      if (!Number.isFinite(t)) continue;
      if (changed && t < last) restarts = true;
      changed = false;
      last = t;
    }
  }
  const out = new Float64Array(n);
  let offset = 0;
  let lastTime = NaN;
  let lastRow = -1;
  let stepChanged = false;
  for (let i = 0; i < n; i++) {
    if (i > 0 && step[i] !== step[i - 1]) stepChanged = true;
    const t = stepTime[i]!;
    if (stepChanged && Number.isFinite(t)) {
      if (Number.isFinite(lastTime)) {
        const gap = timestamp && lastRow >= 0 ? timestamp[i]! - timestamp[lastRow]! : NaN;
        const restart = Number.isFinite(gap) ? Math.abs(t - gap) <= Math.abs(t - lastTime - gap) : restarts;
        if (restart) offset += lastTime;
      }
      stepChanged = false;
    }
    if (Number.isFinite(t)) {
      lastTime = t;
      lastRow = i;
    }
    out[i] = offset + t;
  }
  return out;
}

/**
 * Cycle numbering of BTSDA's "charge first" circular statistic, the convention NewareNDA
 * reproduces by default (cycle_mode 'chg'): a new cycle begins where a charge step (CC, CCCV or
 * CP charge) starts after a discharge step (or a SIM step) has been seen in the current cycle.
 * Written from that description; checked against NewareNDA's reference frames.
 */
export function chargeFirstCycles(status: Float64Array): Float64Array {
  const out = new Float64Array(status.length);
  let cycle = 1;
  let sawDischarge = false;
  let prevInc = false;
  for (let i = 0; i < status.length; i++) {
    const name = STEP_TYPE_NAMES[status[i]!] ?? '';
    const isInc = name === 'CC_Chg' || name === 'CCCV_Chg' || name === 'CP_Chg';
    const startsInc = i === 0 || (isInc && !prevInc);
    prevInc = isInc;
    const us = name.indexOf('_');
    if (us < 0) {
      if (name === 'SIM') sawDischarge = true;
    } else if (startsInc && sawDischarge) {
      cycle++;
      sawDischarge = false;
    } else if (name.slice(us + 1) === 'DChg') sawDischarge = true;
    out[i] = cycle;
  }
  return out;
}

function allNaN(a: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isNaN(a[i]!)) return false;
  return true;
}

/** Left-join a series keyed by record index onto the table's index (first value per index wins). */
function joinOnIndex(index: Float64Array, keys: Float64Array, values: Float64Array): Float64Array {
  const m = new Map<number, number>();
  for (let i = 0; i < keys.length; i++) if (!m.has(keys[i]!)) m.set(keys[i]!, values[i]!);
  const out = new Float64Array(index.length);
  for (let i = 0; i < index.length; i++) out[i] = m.get(index[i]!) ?? NaN;
  return out;
}

export function mapRecords(rec: NewareRecords): MappedTable {
  const c = rec.columns;
  const n = c.index.length;
  const warnings: string[] = [];
  const columns: Column[] = [];
  const data: Float64Array[] = [];
  const add = (col: Column, values: Float64Array): void => {
    columns.push(col);
    data.push(values);
  };
  const step = countChanges(c.stepKey);
  const intScaled = rec.layout === 'nda v29' || rec.layout === 'ndc v2' || rec.layout === 'ndc v5';
  const tsNote = rec.timestampZone === 'utc' ? 'Unix seconds (UTC)' : "the instrument PC's local wall-clock time, as Unix-like seconds read as if UTC (the file states no zone)";

  add({ name: 'index', units: '', dtype: 'uint32', sourceName: 'Index (record number)' }, c.index);
  if (!allNaN(c.cycle)) add({ name: 'cycle number', units: '', dtype: 'int32', sourceName: 'Cycle (stored 0-based, +1 as BTSDA shows it)' }, c.cycle);
  if (!allNaN(c.status)) {
    add(
      { name: 'cycle (charge-first)', units: '', dtype: 'int32', sourceName: 'derived: BTSDA "charge first" cycle numbering from the step types (NewareNDA\'s default Cycle)' },
      chargeFirstCycles(c.status),
    );
  }
  add({ name: 'step', units: '', dtype: 'int32', sourceName: 'Step (running count of step changes, derived)' }, step);
  add({ name: 'step index', units: '', dtype: 'int32', sourceName: 'Step_Index (schedule step number)' }, c.stepIndex);
  add({ name: 'step type', units: '', dtype: 'int32', sourceName: 'Status (step type code; names in original.stepTypes)' }, c.status);
  add({ name: 'time', units: 's', dtype: 'float64', sourceName: 'derived: running test time = step time + final step time of earlier steps' }, testTime(step, c.stepTime, c.timestamp));
  add(
    {
      name: 'step time',
      units: 's',
      dtype: 'float64',
      sourceName: rec.layout.startsWith('nda v130') ? 'Time (stored in µs or s+ns → s)' : 'Time (stored in ms → s)',
    },
    c.stepTime,
  );
  const tenthMv = intScaled || rec.layout === 'ndc v11' || rec.layout === 'ndc v16';
  add({ name: 'Ecell', units: 'V', dtype: 'float64', sourceName: tenthMv ? 'Voltage (stored in 0.1 mV → V)' : 'Voltage' }, c.voltage);
  add(
    {
      name: 'I',
      units: 'mA',
      dtype: 'float64',
      sourceName: intScaled ? 'Current(mA) (stored integer × current-range factor → mA)' : rec.layout === 'ndc v14' || rec.layout === 'ndc v17' ? 'Current(mA) (stored in A → mA)' : 'Current(mA)',
    },
    c.current,
  );
  const qNote = intScaled ? 'stored integer × range factor (mA·s) ÷ 3600' : rec.layout === 'ndc v14' || rec.layout === 'ndc v17' ? 'stored in A·h → mA·h' : 'stored in mA·s ÷ 3600';
  const eNote = intScaled ? 'stored integer × range factor (mW·s) ÷ 3600' : rec.layout === 'ndc v14' || rec.layout === 'ndc v17' ? 'stored in W·h → mW·h' : 'stored in mW·s ÷ 3600';
  add({ name: 'charge capacity', units: 'mA·h', dtype: 'float64', sourceName: `Charge_Capacity(mAh) (per step; ${qNote})` }, c.chargeCapacity);
  add({ name: 'discharge capacity', units: 'mA·h', dtype: 'float64', sourceName: `Discharge_Capacity(mAh) (per step; ${qNote})` }, c.dischargeCapacity);
  add({ name: 'charge energy', units: 'mW·h', dtype: 'float64', sourceName: `Charge_Energy(mWh) (per step; ${eNote})` }, c.chargeEnergy);
  add({ name: 'discharge energy', units: 'mW·h', dtype: 'float64', sourceName: `Discharge_Energy(mWh) (per step; ${eNote})` }, c.dischargeEnergy);
  add({ name: 'timestamp', units: 's', dtype: 'float64', sourceName: `Timestamp (${tsNote})` }, c.timestamp);
  if (rec.interpolated) add({ name: 'interpolated', units: '', dtype: 'uint8', sourceName: 'derived: 1 where time, timestamp, capacity and energy were filled in (no runInfo row)' }, rec.interpolated);

  const used = new Set(columns.map((x) => x.name));
  for (const a of rec.aux) {
    const values = joinOnIndex(c.index, a.index, a.values);
    if (allNaN(values)) {
      warnings.push(`aux column ${a.name} has no value for any record; omitted`);
      continue;
    }
    let name = a.name;
    for (let k = 2; used.has(name); k++) name = `${a.name} #${k}`;
    used.add(name);
    add({ name, units: a.units, dtype: 'float64', sourceName: a.sourceName }, values);
  }
  return { columns, data, rowCount: n, warnings };
}

/** The step type code → name table, for `original`. */
export function stepTypeTable(): MetaTree {
  const t: MetaTree = {};
  for (const [k, v] of Object.entries(STEP_TYPE_NAMES)) t[k] = v;
  return t;
}
