/**
 * Galvanostatic cycling: half-cycle segmentation, voltage–capacity curves and per-cycle metrics.
 * Pure numeric code, no I/O (DESIGN.md "Analyses: pure functions with descriptors").
 *
 * Conventions (written here once, used everywhere below):
 * - Current sign follows EC-Lab: I > 0 is oxidation of the working electrode. For a cathode
 *   half-cell or full cell (LNMO/LiPON/Li) that is 'charge'; I < 0 is 'discharge'.
 * - A half cycle is a run of same-sign current. Rest points (|I| below the rest threshold) at
 *   its edges are left out; rests inside it (GITT-like pauses) are kept, they add no capacity.
 *   Its curve starts at the record just before its first active one (the switch point).
 * - Capacity is in mA·h and restarts at 0 at the first point of every half cycle; it is the
 *   change of EC-Lab's (Q-Qo) (or 'Q charge/discharge') column when one is present and finite,
 *   otherwise ∫I dt by the trapezoid rule. Sign is dropped: capacity grows in both directions.
 * - Cycles are numbered from 1 by this module, not copied from EC-Lab's 'cycle number' (which
 *   starts at 0 and, with "Charge/Discharge alternance", puts an initial discharge alone in cycle
 *   0 — see gcpl.pr_182.1.mpt in the yadg corpus). With convention 'discharge/charge' (cathode
 *   first, the default) cycle n is the n-th charge half cycle plus the discharge that follows it;
 *   a discharge before the first charge is cycle 0. With 'charge/discharge' (anode first) the
 *   roles swap. Coulombic efficiency = second half / first half of each cycle, in %.
 * - Energy is ∫V dQ per half cycle (trapezoid in Q), in W·h; average voltage = energy / capacity.
 */
import type { AnalysisDescriptor, ParamDescriptor } from '../../api/contract.js';
import type { ColumnArray, Quantity } from '../../api/dataset.js';
import { cRate, normalisers, type Normalisers } from './normalise.js';

export interface ColumnData {
  units: string;
  values: ColumnArray;
}
export type CyclingColumns = Record<string, ColumnData>;

export type Direction = 'charge' | 'discharge';
export type SegmentationStrategy = 'half-cycle' | 'cycle-number+sign' | 'sign';
export type CeConvention = 'discharge/charge' | 'charge/discharge';

export interface HalfCycleSegment {
  /** First row (inclusive) and last row + 1 of the half cycle in the input columns. */
  start: number;
  end: number;
  direction: Direction;
  /** EC-Lab's own 'half cycle' / 'cycle number' value for this run, when the file has it. */
  sourceHalfCycle?: number;
  sourceCycle?: number;
}

export interface Segmentation {
  strategy: SegmentationStrategy;
  /** |I| below this (mA) is rest. */
  restThreshold_mA: number;
  segments: HalfCycleSegment[];
}

export interface SegmentOptions {
  /** Absolute rest threshold in mA; the larger of this and the relative one is used. */
  restCurrent_mA?: number;
  /** Rest threshold as a fraction of the largest |I| in the file (default 0.01). */
  restFraction?: number;
  /** Force a strategy instead of picking the best the columns allow. */
  strategy?: SegmentationStrategy;
  /** Half cycles with fewer points are dropped (default 2). */
  minPoints?: number;
}

export interface CurveOptions extends SegmentOptions {
  convention?: CeConvention;
  /**
   * 'auto': (Q-Qo) or Q charge/discharge when usable, else the cycler's own charge/discharge
   * (or step) capacity counters, else integrate I dt.
   */
  capacitySource?: 'auto' | 'integrate' | 'q';
}

export interface HalfCycleCurve {
  cycle: number;
  direction: Direction;
  /** 0-based index among the half cycles found. */
  halfCycle: number;
  /**
   * Rows [start, end) of the curve: the segment's active rows plus, in front, the record just
   * before the first of them (the switch point, capacity 0) when there is one.
   */
  start: number;
  end: number;
  /** mA·h, 0 at the first point. */
  capacity: Float64Array;
  /** V */
  voltage: Float64Array;
}

/**
 * Where the curves' capacity came from: EC-Lab's signed counters, a cycler's unsigned per-
 * direction counters ('charge capacity'/'discharge capacity', 'Q charge'/'Q discharge'), its one
 * unsigned step counter ('capacity'), or the trapezoid ∫I dt over the recorded samples.
 */
export type CapacitySource = 'integrated' | '(Q-Qo)' | 'Q charge/discharge' | 'charge/discharge counters' | 'step capacity counter';

export interface CycleCurves {
  capacityUnit: 'mA·h';
  voltageUnit: 'V';
  capacitySource: CapacitySource;
  segmentation: Segmentation;
  curves: HalfCycleCurve[];
}

export interface UnitArray {
  units: string;
  values: Float64Array;
}

export interface CycleMetrics {
  cycle: UnitArray;
  chargeCapacity: UnitArray;
  dischargeCapacity: UnitArray;
  coulombicEfficiency: UnitArray;
  chargeEnergy: UnitArray;
  dischargeEnergy: UnitArray;
  averageChargeVoltage: UnitArray;
  averageDischargeVoltage: UnitArray;
  /** Capacity of the delivering half (discharge for cathode-first) relative to cycle 1, in %. */
  retention: UnitArray;
}

// ---------------------------------------------------------------------------------------------
// Column lookup and units

const CURRENT_NAMES = ['I', '<I>', 'I/mA', '<I>/mA', 'current'];
const VOLTAGE_NAMES = ['Ewe', '<Ewe>', 'Ecell', 'Ewe-Ece', '<Ewe-Ece>', 'Ewe/V', '<Ewe>/V', 'voltage'];
const TIME_NAMES = ['time', 'time/s'];
const HALF_CYCLE_NAMES = ['half cycle'];
const CYCLE_NAMES = ['cycle number'];
const QQO_NAMES = ['(Q-Qo)', '(Q-Qo)/mA.h', '(Q-Qo)/C'];
const QHALF_NAMES = ['Q charge/discharge', 'Q charge/discharge/mA.h'];
// A cycler's unsigned counters: Neware and Arbin 'charge capacity'/'discharge capacity', BDF and
// PEC 'Q charge'/'Q discharge'; Maccor and Novonix keep one 'capacity' that restarts every step.
const QCHARGE_NAMES = ['charge capacity', 'Q charge'];
const QDISCHARGE_NAMES = ['discharge capacity', 'Q discharge'];
const QSTEP_NAMES = ['capacity'];
// The step a row belongs to: Neware's running 'step', else a schedule step number.
const STEP_NAMES = ['step', 'step index', 'Step', 'Step Index', 'Step Number'];

const TO_MA: Record<string, number> = { A: 1e3, mA: 1, µA: 1e-3, uA: 1e-3, nA: 1e-6 };
const TO_MAH: Record<string, number> = {
  'mA·h': 1, 'mA.h': 1, mAh: 1,
  'A·h': 1e3, 'A.h': 1e3, Ah: 1e3,
  'µA·h': 1e-3, 'µA.h': 1e-3, µAh: 1e-3, uAh: 1e-3,
  'nA·h': 1e-6, 'nA.h': 1e-6, nAh: 1e-6,
  C: 1 / 3.6, mC: 1 / 3600, µC: 1 / 3.6e6,
};
const TO_V: Record<string, number> = { V: 1, mV: 1e-3 };
const TO_S: Record<string, number> = { s: 1, min: 60, h: 3600 };

function find(cols: CyclingColumns, names: readonly string[]): ColumnData | undefined {
  for (const n of names) if (cols[n]) return cols[n];
  return undefined;
}

function scaled(col: ColumnData | undefined, table: Record<string, number>, what: string): Float64Array | undefined {
  if (!col) return undefined;
  const f = table[col.units];
  if (f === undefined) throw new Error(`${what} column has unit "${col.units}"; expected one of ${Object.keys(table).join(', ')}`);
  // Analyses work in float64 whatever width the reader returned.
  if (f === 1) return col.values instanceof Float64Array ? col.values : Float64Array.from(col.values);
  const out = new Float64Array(col.values.length);
  for (let i = 0; i < out.length; i++) out[i] = col.values[i]! * f;
  return out;
}

function currentOf(cols: CyclingColumns): Float64Array | undefined {
  return scaled(find(cols, CURRENT_NAMES), TO_MA, 'current');
}

function rowCount(cols: CyclingColumns): number {
  let n = -1;
  for (const c of Object.values(cols)) {
    if (n < 0) n = c.values.length;
    else if (c.values.length !== n) throw new Error('columns differ in length');
  }
  return Math.max(0, n);
}

// ---------------------------------------------------------------------------------------------
// Segmentation

function restThreshold(current: Float64Array, opts: SegmentOptions): number {
  let max = 0;
  for (let i = 0; i < current.length; i++) {
    const a = Math.abs(current[i]!);
    if (a > max && Number.isFinite(a)) max = a;
  }
  return Math.max(opts.restCurrent_mA ?? 0, (opts.restFraction ?? 0.01) * max);
}

/** Sign of the current at row i: +1, −1, or 0 for rest (or non-finite). */
function signAt(current: Float64Array, i: number, thr: number): number {
  const v = current[i]!;
  if (!(Math.abs(v) >= thr) || v === 0) return 0;
  return v > 0 ? 1 : -1;
}

/**
 * Split the rows into half cycles. Strategy, best first: EC-Lab's 'half cycle' column (each run
 * of equal values is a half cycle, direction from the net current or charge in it); else runs of
 * equal 'cycle number' split further wherever the current changes sign; else sign changes alone.
 * Rest rows never start or end a half cycle.
 */
export function segmentHalfCycles(cols: CyclingColumns, opts: SegmentOptions = {}): Segmentation {
  const n = rowCount(cols);
  const current = currentOf(cols);
  const half = find(cols, HALF_CYCLE_NAMES)?.values;
  const cycle = find(cols, CYCLE_NAMES)?.values;
  const q = scaled(find(cols, QQO_NAMES) ?? find(cols, QHALF_NAMES), TO_MAH, 'charge');
  const minPoints = Math.max(1, opts.minPoints ?? 2);
  let strategy: SegmentationStrategy;
  if (opts.strategy) strategy = opts.strategy;
  else if (half) strategy = 'half-cycle';
  else if (cycle && current) strategy = 'cycle-number+sign';
  else strategy = 'sign';
  if (strategy === 'half-cycle' && !half) throw new Error("strategy 'half-cycle' needs a 'half cycle' column");
  if (strategy === 'cycle-number+sign' && !(cycle && current)) throw new Error("strategy 'cycle-number+sign' needs 'cycle number' and current columns");
  if (strategy !== 'half-cycle' && !current) throw new Error(`strategy '${strategy}' needs a current column (I or <I>)`);
  const thr = current ? restThreshold(current, opts) : 0;
  const segments: HalfCycleSegment[] = [];
  const push = (s: HalfCycleSegment) => {
    if (s.end - s.start >= minPoints) segments.push(s);
  };

  if (strategy === 'half-cycle') {
    let runStart = 0;
    for (let i = 1; i <= n; i++) {
      if (i < n && half![i] === half![i - 1]) continue;
      // run [runStart, i): trim rest rows at its edges and decide its direction
      let a = runStart;
      let b = i;
      if (current) {
        while (a < b && signAt(current, a, thr) === 0) a++;
        while (b > a && signAt(current, b - 1, thr) === 0) b--;
      }
      if (b > a) {
        let net = 0;
        if (current) for (let k = a; k < b; k++) net += signAt(current, k, thr) * Math.abs(current[k]!);
        else if (q) net = q[b - 1]! - q[a]!;
        if (current && net !== 0) {
          // EC-Lab sometimes increments 'half cycle' one record after the current reversed
          // (mb.issue_95.mpt, row 22): edge rows of the other sign belong to the neighbour.
          const dir = net > 0 ? 1 : -1;
          while (a < b && signAt(current, a, thr) !== dir) a++;
          while (b > a && signAt(current, b - 1, thr) !== dir) b--;
        }
        if (net !== 0 && b > a) {
          const seg: HalfCycleSegment = { start: a, end: b, direction: net > 0 ? 'charge' : 'discharge', sourceHalfCycle: half![runStart]! };
          if (cycle) seg.sourceCycle = cycle[runStart]!;
          push(seg);
        }
      }
      runStart = i;
    }
  } else {
    const I = current!;
    let segStart = -1;
    let segSign = 0;
    let lastActive = -1;
    for (let i = 0; i < n; i++) {
      const s = signAt(I, i, thr);
      const newCycle = strategy === 'cycle-number+sign' && segStart >= 0 && cycle![i] !== cycle![segStart];
      if (s === 0 && !newCycle) continue;
      if (segStart >= 0 && (newCycle || (s !== 0 && s !== segSign))) {
        const seg: HalfCycleSegment = { start: segStart, end: lastActive + 1, direction: segSign > 0 ? 'charge' : 'discharge' };
        if (cycle) seg.sourceCycle = cycle[segStart]!;
        push(seg);
        segStart = -1;
      }
      if (s === 0) continue;
      if (segStart < 0) {
        segStart = i;
        segSign = s;
      }
      lastActive = i;
    }
    if (segStart >= 0) {
      const seg: HalfCycleSegment = { start: segStart, end: lastActive + 1, direction: segSign > 0 ? 'charge' : 'discharge' };
      if (cycle) seg.sourceCycle = cycle[segStart]!;
      push(seg);
    }
  }
  return { strategy, restThreshold_mA: thr, segments };
}

/**
 * Number the half cycles into cycles (see the module comment): returns one cycle label per
 * segment. The first half of a cycle is 'charge' for 'discharge/charge' (cathode first).
 */
export function assignCycles(segments: readonly HalfCycleSegment[], convention: CeConvention = 'discharge/charge'): number[] {
  const lead: Direction = convention === 'discharge/charge' ? 'charge' : 'discharge';
  const labels: number[] = [];
  let cycle = 0;
  let prev: Direction | null = null;
  for (const s of segments) {
    // A new cycle starts at every leading-direction half cycle; consecutive same-direction half
    // cycles (an interrupted charge resumed) stay in the cycle they began.
    if (s.direction === lead && prev !== lead) cycle++;
    labels.push(cycle);
    prev = s.direction;
  }
  return labels;
}

// ---------------------------------------------------------------------------------------------
// Curves

/** Voltage–capacity curve of every half cycle. */
export function cycleCurves(cols: CyclingColumns, opts: CurveOptions = {}): CycleCurves {
  const seg = segmentHalfCycles(cols, opts);
  const voltage = scaled(find(cols, VOLTAGE_NAMES), TO_V, 'voltage');
  if (!voltage) throw new Error('cycling curves need a voltage column (Ewe, <Ewe>, Ecell or Ewe-Ece)');
  const source = opts.capacitySource ?? 'auto';
  const qqo = scaled(find(cols, QQO_NAMES), TO_MAH, '(Q-Qo)');
  const qhalf = scaled(find(cols, QHALF_NAMES), TO_MAH, 'Q charge/discharge');
  const current = currentOf(cols);
  const time = scaled(find(cols, TIME_NAMES), TO_S, 'time');
  const qCharge = scaled(find(cols, QCHARGE_NAMES), TO_MAH, 'charge capacity');
  const qDischarge = scaled(find(cols, QDISCHARGE_NAMES), TO_MAH, 'discharge capacity');
  const qStep = scaled(find(cols, QSTEP_NAMES), TO_MAH, 'capacity');
  let q: Float64Array | undefined;
  let counters: Counters | undefined;
  let capacitySource: CapacitySource = 'integrated';
  if (source !== 'integrate') {
    if (qqo && allFinite(qqo)) {
      q = qqo;
      capacitySource = '(Q-Qo)';
    } else if (qhalf && allFinite(qhalf)) {
      q = qhalf;
      capacitySource = 'Q charge/discharge';
    } else if (qCharge && qDischarge && allFinite(qCharge) && allFinite(qDischarge)) {
      // The cycler integrates the current at its own internal rate; the logged samples may be
      // far sparser (pulse tests log the pulse edges only), so its counters beat ∫I dt over them.
      counters = { charge: qCharge, discharge: qDischarge, steps: null };
      capacitySource = 'charge/discharge counters';
    } else if (qStep && allFinite(qStep)) {
      counters = { charge: qStep, discharge: qStep, steps: null };
      capacitySource = 'step capacity counter';
    } else if (source === 'q') throw new Error('no usable (Q-Qo), Q charge/discharge or cycler capacity column');
  }
  if (!q && !counters && !(current && time)) throw new Error('capacity needs a (Q-Qo) or capacity column, or current and time columns to integrate');
  if (counters) counters.steps = perStepCounters(counters, find(cols, STEP_NAMES)?.values);
  // A column that only looks like a counter — a net, signed charge mapped as 'capacity' falls
  // while current flows; an empty one never moves — is not used: ∫I dt, when the file allows
  // it ('q' asked for a capacity column: none is usable).
  if (counters && current && time && !countersCount(seg.segments, counters, current, time)) {
    if (source === 'q') throw new Error('the capacity counters do not count the charge that flowed (they fall, or stay empty, while current flows)');
    counters = undefined;
    capacitySource = 'integrated';
  }
  const labels = assignCycles(seg.segments, opts.convention);
  const curves: HalfCycleCurve[] = seg.segments.map((s, k) => {
    // The curve starts one record before the first active one: the last record before the
    // current reversed or came on. Charge passed between that record and the first active one
    // belongs to this half cycle — EC-Lab's own 'Q charge'/'Q discharge' count it (checked
    // against gcpl.issue_226.I.mpt, where the first active record comes 10 s after the switch).
    const from = s.start > 0 ? s.start - 1 : s.start;
    const len = s.end - from;
    const cap = new Float64Array(len);
    const v = voltage.slice(from, s.end);
    if (counters) {
      counterCapacity(s.direction === 'charge' ? counters.charge : counters.discharge, counters.steps, from, cap);
    } else if (q) {
      const q0 = q[from]!;
      const sign = s.direction === 'charge' ? 1 : -1;
      // 0 - d rather than -1 × d: a discharge curve starts at +0, not -0.
      for (let j = 0; j < len; j++) cap[j] = sign > 0 ? q[from + j]! - q0 : 0 - (q[from + j]! - q0);
    } else {
      const I = current!;
      const t = time!;
      let acc = 0;
      const sign = s.direction === 'charge' ? 1 : -1;
      for (let j = 1; j < len; j++) {
        const i = from + j;
        // mA × s / 3600 = mA·h
        acc += (0.5 * (I[i - 1]! + I[i]!) * (t[i]! - t[i - 1]!)) / 3600;
        cap[j] = sign > 0 ? acc : 0 - acc;
      }
    }
    return { cycle: labels[k]!, direction: s.direction, halfCycle: k, start: from, end: s.end, capacity: cap, voltage: v };
  });
  return { capacityUnit: 'mA·h', voltageUnit: 'V', capacitySource, segmentation: seg, curves };
}

/**
 * A cycler's unsigned capacity counters (their sign ignored: Neware logs discharge capacity
 * negative) and how they restart. Counters that restart at every step are told by the data: at
 * nearly every step change (of the file's step column) where the counter held charge, it drops.
 * Then every step change is a reset — even one whose first logged value is no smaller than the
 * last, as when each step is logged once, at its end. Otherwise (no step column, or counters that
 * run on over a cycle, as Arbin's do) a drop to below half the last value is a reset.
 */
interface Counters {
  charge: Float64Array;
  discharge: Float64Array;
  /** Step column when the counters restart at every step, else null. */
  steps: ArrayLike<number> | null;
}

function perStepCounters(counters: { charge: Float64Array; discharge: Float64Array }, steps: ArrayLike<number> | undefined): ArrayLike<number> | null {
  if (!steps) return null;
  let changes = 0;
  let drops = 0;
  for (let i = 1; i < steps.length; i++) {
    if (steps[i] === steps[i - 1]) continue;
    for (const c of counters.charge === counters.discharge ? [counters.charge] : [counters.charge, counters.discharge]) {
      const before = Math.abs(c[i - 1]!);
      if (!(before > 0)) continue;
      changes++;
      if (Math.abs(c[i]!) < before) drops++;
    }
  }
  return changes >= 2 && drops >= 0.9 * changes ? steps : null;
}

/**
 * Walk a counter over rows (from, end): `step(i, increment)` for each row, the increment being
 * new charge, or, for a fall that is not a reset, a negative value.
 */
function walkCounter(c: Float64Array, steps: ArrayLike<number> | null, from: number, end: number, step: (i: number, inc: number) => void): void {
  let prev = Math.abs(c[from]!);
  for (let i = from + 1; i < end; i++) {
    const v = Math.abs(c[i]!);
    const reset = steps ? steps[i] !== steps[i - 1] : v < 0.5 * prev;
    step(i, reset ? v : v - prev);
    prev = v;
  }
}

/** Capacity passed since row `from`: the sum of the counter's increments (a fall adds as it is). */
function counterCapacity(c: Float64Array, steps: ArrayLike<number> | null, from: number, out: Float64Array): void {
  let acc = 0;
  out[0] = 0;
  walkCounter(c, steps, from, from + out.length, (i, inc) => {
    acc += inc;
    out[i - from] = acc;
  });
}

/**
 * Whether the counters count what flowed, over every half cycle: their falls, other than resets,
 * add up to at most 1 % of what they count (float noise and rounding pass; a net, signed charge
 * falling through a discharge does not); and half cycles over which they did not move at all
 * while current flowed (a counter left empty) carry at most 1 % of the charge of ∫|I| dt.
 */
function countersCount(segments: readonly HalfCycleSegment[], counters: Counters, current: Float64Array, time: Float64Array): boolean {
  let flowed = 0;
  let unfilled = 0;
  for (const s of segments) {
    const c = s.direction === 'charge' ? counters.charge : counters.discharge;
    const from = s.start > 0 ? s.start - 1 : s.start;
    let up = 0;
    let down = 0;
    walkCounter(c, counters.steps, from, s.end, (_, inc) => {
      if (inc >= 0) up += inc;
      else down -= inc;
    });
    if (down > 0.01 * up + 1e-12) return false;
    let q = 0;
    for (let i = from + 1; i < s.end; i++) q += (0.5 * Math.abs(current[i - 1]! + current[i]!) * Math.abs(time[i]! - time[i - 1]!)) / 3600;
    flowed += q;
    if (up === 0) unfilled += q;
  }
  return !(unfilled > 0.01 * flowed);
}

function allFinite(a: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return false;
  return a.length > 0;
}

/** ∫V dQ over one curve, trapezoid in Q; mA·h × V = mW·h, returned in W·h. */
export function curveEnergy(c: Pick<HalfCycleCurve, 'capacity' | 'voltage'>): number {
  let e = 0;
  for (let j = 1; j < c.capacity.length; j++) {
    e += 0.5 * (c.voltage[j - 1]! + c.voltage[j]!) * (c.capacity[j]! - c.capacity[j - 1]!);
  }
  return e / 1000;
}

// ---------------------------------------------------------------------------------------------
// Per-cycle metrics

/**
 * Per-cycle capacities, efficiency, energies, average voltages and retention. Cycle 0 (a lone
 * half cycle before the first complete cycle) is reported too; retention and the "first cycle"
 * in summaries refer to cycle 1. Half cycles split by an interruption are summed.
 */
export function cycleMetrics(curves: CycleCurves, convention: CeConvention = 'discharge/charge'): CycleMetrics {
  const byCycle = new Map<number, { qc: number; qd: number; ec: number; ed: number; hc: boolean; hd: boolean }>();
  for (const c of curves.curves) {
    let m = byCycle.get(c.cycle);
    if (!m) byCycle.set(c.cycle, (m = { qc: 0, qd: 0, ec: 0, ed: 0, hc: false, hd: false }));
    const cap = c.capacity.length > 0 ? c.capacity[c.capacity.length - 1]! : 0;
    const e = curveEnergy(c);
    if (c.direction === 'charge') {
      m.qc += cap;
      m.ec += e;
      m.hc = true;
    } else {
      m.qd += cap;
      m.ed += e;
      m.hd = true;
    }
  }
  const cycles = [...byCycle.keys()].sort((a, b) => a - b);
  const n = cycles.length;
  const out = {
    cycle: new Float64Array(n),
    qc: new Float64Array(n),
    qd: new Float64Array(n),
    ce: new Float64Array(n),
    ec: new Float64Array(n),
    ed: new Float64Array(n),
    vc: new Float64Array(n),
    vd: new Float64Array(n),
    ret: new Float64Array(n),
  };
  const delivering = (m: { qc: number; qd: number; hc: boolean; hd: boolean }) =>
    convention === 'discharge/charge' ? (m.hd ? m.qd : NaN) : m.hc ? m.qc : NaN;
  const ref = byCycle.get(1);
  const refCap = ref ? delivering(ref) : NaN;
  cycles.forEach((cy, k) => {
    const m = byCycle.get(cy)!;
    out.cycle[k] = cy;
    out.qc[k] = m.hc ? m.qc : NaN;
    out.qd[k] = m.hd ? m.qd : NaN;
    const ce = convention === 'discharge/charge' ? m.qd / m.qc : m.qc / m.qd;
    out.ce[k] = m.hc && m.hd && Number.isFinite(ce) ? 100 * ce : NaN;
    out.ec[k] = m.hc ? m.ec : NaN;
    out.ed[k] = m.hd ? m.ed : NaN;
    // W·h / mA·h = kV: ×1000 gives volts.
    out.vc[k] = m.hc && m.qc > 0 ? (1000 * m.ec) / m.qc : NaN;
    out.vd[k] = m.hd && m.qd > 0 ? (1000 * m.ed) / m.qd : NaN;
    out.ret[k] = refCap > 0 ? (100 * delivering(m)) / refCap : NaN;
  });
  return {
    cycle: { units: '', values: out.cycle },
    chargeCapacity: { units: 'mA·h', values: out.qc },
    dischargeCapacity: { units: 'mA·h', values: out.qd },
    coulombicEfficiency: { units: '%', values: out.ce },
    chargeEnergy: { units: 'W·h', values: out.ec },
    dischargeEnergy: { units: 'W·h', values: out.ed },
    averageChargeVoltage: { units: 'V', values: out.vc },
    averageDischargeVoltage: { units: 'V', values: out.vd },
    retention: { units: '%', values: out.ret },
  };
}

// ---------------------------------------------------------------------------------------------
// Downsampling for plots

/**
 * Min–max decimation: split the points into buckets and keep, in order, the rows of the smallest
 * and largest y of each bucket, plus the first and last rows. Extremes (voltage limits, capacity
 * end points) survive exactly, which LTTB does not guarantee. Returns row indices, ascending.
 */
export function downsampleMinMax(y: ArrayLike<number>, maxPoints: number): Uint32Array {
  const n = y.length;
  if (n <= maxPoints || n <= 2) return Uint32Array.from({ length: n }, (_, i) => i);
  const budget = Math.max(4, Math.floor(maxPoints));
  const buckets = Math.max(1, Math.floor((budget - 2) / 2));
  const out: number[] = [0];
  const inner = n - 2;
  for (let b = 0; b < buckets; b++) {
    const s = 1 + Math.floor((b * inner) / buckets);
    const e = 1 + Math.floor(((b + 1) * inner) / buckets);
    if (e <= s) continue;
    let iMin = s;
    let iMax = s;
    for (let i = s + 1; i < e; i++) {
      const v = y[i]!;
      if (v < y[iMin]!) iMin = i;
      if (v > y[iMax]!) iMax = i;
    }
    if (iMin === iMax) out.push(iMin);
    else if (iMin < iMax) out.push(iMin, iMax);
    else out.push(iMax, iMin);
  }
  out.push(n - 1);
  return Uint32Array.from(out);
}

/**
 * Largest-Triangle-Three-Buckets (S. Steinarsson, "Downsampling time series for visual
 * representation", MSc thesis, University of Iceland, 2013): keeps the visual shape with
 * exactly `maxPoints` points, first and last included. Returns row indices, ascending.
 */
/**
 * Indices of the points with lo ≤ x ≤ hi, each run of them widened by one point on either side so
 * a zoomed line still reaches the edges of the plot (ECharts clips what falls outside).
 */
export function indicesInWindow(x: ArrayLike<number>, lo: number, hi: number): Uint32Array {
  const keep = new Uint8Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (v >= lo && v <= hi) {
      keep[i] = 1;
      if (i > 0) keep[i - 1] = 1;
      if (i + 1 < x.length) keep[i + 1] = 1;
    }
  }
  let n = 0;
  for (let i = 0; i < keep.length; i++) n += keep[i]!;
  const out = new Uint32Array(n);
  for (let i = 0, k = 0; i < keep.length; i++) if (keep[i]) out[k++] = i;
  return out;
}

export function downsampleLttb(x: ArrayLike<number>, y: ArrayLike<number>, maxPoints: number): Uint32Array {
  const n = y.length;
  if (maxPoints >= n || maxPoints < 3) return Uint32Array.from({ length: n }, (_, i) => i);
  const out = new Uint32Array(maxPoints);
  const every = (n - 2) / (maxPoints - 2);
  let a = 0;
  out[0] = 0;
  for (let b = 0; b < maxPoints - 2; b++) {
    const s = Math.floor(b * every) + 1;
    const e = Math.min(Math.floor((b + 1) * every) + 1, n - 1);
    const ns = e;
    const ne = Math.min(Math.floor((b + 2) * every) + 1, n);
    let ax = 0;
    let ay = 0;
    for (let i = ns; i < ne; i++) {
      ax += x[i]!;
      ay += y[i]!;
    }
    const cnt = Math.max(1, ne - ns);
    ax /= cnt;
    ay /= cnt;
    let best = s;
    let bestArea = -1;
    for (let i = s; i < e; i++) {
      const area = Math.abs((x[a]! - ax) * (y[i]! - y[a]!) - (x[a]! - x[i]!) * (ay - y[a]!));
      if (area > bestArea) {
        bestArea = area;
        best = i;
      }
    }
    out[b + 1] = best;
    a = best;
  }
  out[maxPoints - 1] = n - 1;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Descriptor

export interface CyclingSummaryParams {
  activeMass_mg: number | null;
  area_cm2: number | null;
  thickness_um: number | null;
  theoreticalCapacity_mAh: number | null;
  convention: CeConvention;
  restCurrent_mA: number;
  restFraction: number;
  capacitySource: 'auto' | 'integrate' | 'q';
  minPoints: number;
}

const PARAMS: ParamDescriptor[] = [
  {
    name: 'convention',
    label: 'Coulombic efficiency convention',
    type: 'string',
    default: 'discharge/charge',
    help: "'discharge/charge': cathode first (cycle = charge then discharge, CE = Qdis/Qch); 'charge/discharge': anode first.",
  },
  {
    name: 'restCurrent_mA',
    label: 'Rest current threshold (absolute)',
    type: 'number',
    unit: 'mA',
    default: 0,
    min: 0,
    help: '|I| below this is rest; the larger of this and the relative threshold applies.',
  },
  {
    name: 'restFraction',
    label: 'Rest current threshold (fraction of max |I|)',
    type: 'number',
    default: 0.01,
    min: 0,
    max: 1,
  },
  {
    name: 'capacitySource',
    label: 'Capacity from',
    type: 'string',
    default: 'auto',
    help: "'auto': EC-Lab's (Q-Qo) column when present, else the cycler's own charge/discharge capacity counters, else ∫I dt; 'integrate': always ∫I dt; 'q': require a capacity column.",
  },
  { name: 'minPoints', label: 'Minimum points per half cycle', type: 'integer', default: 2, min: 1 },
  // Normalisation: filled from the cell the dataset belongs to (project-session.ts), or by hand.
  { name: 'activeMass_mg', label: 'Active mass', type: 'number', unit: 'mg', default: null, min: 0, help: 'for mA·h g⁻¹; from the cell record' },
  { name: 'area_cm2', label: 'Electrode area', type: 'number', unit: 'cm²', default: null, min: 0, help: 'for µA·h cm⁻²; from the cell record' },
  { name: 'thickness_um', label: 'Active film thickness', type: 'number', unit: 'µm', default: null, min: 0, help: 'for µA·h cm⁻² µm⁻¹; the cathode layer of the cell record' },
  { name: 'theoreticalCapacity_mAh', label: 'Theoretical capacity', type: 'number', unit: 'mA·h', default: null, min: 0, help: 'for C-rates; from the cell record' },
];

function resolveParams(p: Record<string, unknown>): CyclingSummaryParams {
  const convention = p.convention ?? 'discharge/charge';
  if (convention !== 'discharge/charge' && convention !== 'charge/discharge') throw new Error(`convention must be 'discharge/charge' or 'charge/discharge'`);
  const capacitySource = p.capacitySource ?? 'auto';
  if (capacitySource !== 'auto' && capacitySource !== 'integrate' && capacitySource !== 'q') throw new Error(`capacitySource must be 'auto', 'integrate' or 'q'`);
  const num = (k: string, d: number) => {
    const v = p[k] ?? d;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`${k} must be a non-negative number`);
    return v;
  };
  const opt = (k: string) => {
    const v = p[k];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new Error(`${k} must be a positive number`);
    return v;
  };
  return {
    activeMass_mg: opt('activeMass_mg'),
    area_cm2: opt('area_cm2'),
    thickness_um: opt('thickness_um'),
    theoreticalCapacity_mAh: opt('theoreticalCapacity_mAh'),
    convention,
    capacitySource,
    restCurrent_mA: num('restCurrent_mA', 0),
    restFraction: num('restFraction', 0.01),
    minPoints: Math.round(num('minPoints', 2)),
  };
}

function meanStd(values: number[]): { mean: number; std: number } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std };
}

export interface CyclingSummaryResult {
  results: Record<string, Quantity>;
  arrays: Record<string, UnitArray>;
  /** What the data decided: the capacity source and the segmentation strategy used. */
  resolved: { capacitySource: CapacitySource; segmentation: SegmentationStrategy };
}

export interface CyclingSummaryAnalysis extends AnalysisDescriptor {
  run(columns: CyclingColumns, params?: Record<string, unknown>): CyclingSummaryResult;
}

export const cyclingSummaryAnalysis: CyclingSummaryAnalysis = {
  id: 'echem.cycling-summary',
  // 1.1.0: capacity from the cycler's own charge/discharge (or step) counters when the file has
  // them, before ∫I dt; what was used is recorded under `resolved` in the provenance.
  version: '1.1.0',
  label: 'Cycling summary (capacity, Coulombic efficiency, energy, retention)',
  modality: 'electrochemistry',
  inputKinds: ['table'],
  requiredColumns: [['Ewe', 'Ecell', '<Ewe>'], ['I', '<I>', '(Q-Qo)', 'Q charge/discharge']],
  params: PARAMS,
  run(columns: CyclingColumns, params: Record<string, unknown> = {}): CyclingSummaryResult {
    const p = resolveParams(params);
    const curves = cycleCurves(columns, {
      convention: p.convention,
      restCurrent_mA: p.restCurrent_mA,
      restFraction: p.restFraction,
      capacitySource: p.capacitySource,
      minPoints: p.minPoints,
    });
    const m = cycleMetrics(curves, p.convention);
    const results: Record<string, Quantity> = {};
    const set = (k: string, value: number, unit: string, uncertainty?: number) => {
      if (!Number.isFinite(value)) return;
      results[k] = uncertainty !== undefined && Number.isFinite(uncertainty) ? { value, unit, uncertainty } : { value, unit };
    };
    const cyc = m.cycle.values;
    const k1 = cyc.indexOf(1);
    set('cycleCount', cyc.filter((c) => c >= 1).length, '');
    if (k1 >= 0) {
      set('firstCycleChargeCapacity', m.chargeCapacity.values[k1]!, 'mA·h');
      set('firstCycleDischargeCapacity', m.dischargeCapacity.values[k1]!, 'mA·h');
      set('firstCycleCoulombicEfficiency', m.coulombicEfficiency.values[k1]!, '%');
    }
    const ces: number[] = [];
    for (let k = 0; k < cyc.length; k++) {
      const ce = m.coulombicEfficiency.values[k]!;
      if (cyc[k]! >= 2 && Number.isFinite(ce)) ces.push(ce);
    }
    if (ces.length > 0) {
      const { mean, std } = meanStd(ces);
      set('meanCoulombicEfficiency', mean, '%', std);
    }
    // Last cycle with a delivering half: the final cycle is often cut short by the stop.
    for (let k = cyc.length - 1; k >= 0; k--) {
      const r = m.retention.values[k]!;
      if (Number.isFinite(r)) {
        set('capacityRetention', r, '%');
        set('lastCycle', cyc[k]!, '');
        break;
      }
    }
    const vdis = [...m.averageDischargeVoltage.values].filter((v, k) => cyc[k]! >= 1 && Number.isFinite(v));
    if (vdis.length > 0) {
      const { mean, std } = meanStd(vdis);
      set('meanAverageDischargeVoltage', mean, 'V', std);
    }
    const arrays: Record<string, UnitArray> = { ...m };
    // Energy efficiency per cycle, and the capacity lost to side reactions summed over cycles
    // (Σ (Q_in − Q_out)): the running cost of an unstable interface.
    const delivering = p.convention === 'discharge/charge';
    const eIn = delivering ? m.chargeEnergy.values : m.dischargeEnergy.values;
    const eOut = delivering ? m.dischargeEnergy.values : m.chargeEnergy.values;
    const qIn = delivering ? m.chargeCapacity.values : m.dischargeCapacity.values;
    const qOut = delivering ? m.dischargeCapacity.values : m.chargeCapacity.values;
    const ee = eIn.map((e, k) => (e > 0 && Number.isFinite(eOut[k]!) ? (100 * eOut[k]!) / e : NaN));
    let acc = 0;
    const irr = qIn.map((q, k) => {
      const d = q - qOut[k]!;
      if (Number.isFinite(d) && cyc[k]! >= 1) acc += d;
      return acc;
    });
    arrays.energyEfficiency = { units: '%', values: ee };
    arrays.cumulativeIrreversibleCapacity = { units: 'mA·h', values: irr };
    const ees = [...ee].filter((v, k) => cyc[k]! >= 2 && Number.isFinite(v));
    if (ees.length > 0) {
      const { mean, std } = meanStd(ees);
      set('meanEnergyEfficiency', mean, '%', std);
    }
    set('cumulativeIrreversibleCapacity', acc, 'mA·h');
    // Normalised capacities, when the cell's mass / area / film thickness are known.
    const norm = normalisers({
      ...(p.activeMass_mg ? { activeMass: { value: p.activeMass_mg, unit: 'mg' } } : {}),
      ...(p.area_cm2 ? { area: { value: p.area_cm2, unit: 'cm²' } } : {}),
      ...(p.thickness_um ? { thickness: { value: p.thickness_um, unit: 'µm' } } : {}),
      ...(p.theoreticalCapacity_mAh ? { theoreticalCapacity: { value: p.theoreticalCapacity_mAh, unit: 'mAh' } } : {}),
    });
    const scaleArr = (a: UnitArray, f: number, units: string): UnitArray => ({ units, values: a.values.map((x) => x * f) });
    const variants: [keyof Normalisers, string, string][] = [
      ['perMass', 'mA·h g⁻¹', 'Specific'],
      ['perArea', 'µA·h cm⁻²', 'Areal'],
      ['perVolume', 'µA·h cm⁻² µm⁻¹', 'Volumetric'],
    ];
    for (const [key, units, prefix] of variants) {
      const f = norm[key];
      if (!f) continue;
      arrays[`chargeCapacity${prefix}`] = scaleArr(m.chargeCapacity, f, units);
      arrays[`dischargeCapacity${prefix}`] = scaleArr(m.dischargeCapacity, f, units);
      if (k1 >= 0) {
        set(`firstCycleChargeCapacity${prefix}`, m.chargeCapacity.values[k1]! * f, units);
        set(`firstCycleDischargeCapacity${prefix}`, m.dischargeCapacity.values[k1]! * f, units);
      }
    }
    if (norm.theoretical_mAh) {
      // C-rate of each charge half cycle from its median |I| (robust to the switch records).
      const rates: number[] = [];
      for (const c of curves.curves) {
        if (c.direction !== 'charge') continue;
        const cur = currentOf(columns);
        if (!cur) break;
        const seg = Array.from(cur.subarray(c.start, c.end), Math.abs).filter((x) => x > 0).sort((a, b) => a - b);
        if (seg.length) rates.push(cRate(seg[seg.length >> 1]!, norm.theoretical_mAh));
      }
      if (rates.length) {
        const { mean, std } = meanStd(rates);
        set('chargeCRate', mean, 'h⁻¹', std);
      }
      if (k1 >= 0) set('firstCycleDischargeUtilisation', (100 * m.dischargeCapacity.values[k1]!) / norm.theoretical_mAh, '%');
    }
    return { results, arrays, resolved: { capacitySource: curves.capacitySource, segmentation: curves.segmentation.strategy } };
  },
};
