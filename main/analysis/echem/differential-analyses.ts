/**
 * Descriptors (DESIGN.md "Analyses") for dQ/dV with plateau/peak detection and first-cycle
 * excess capacity, and for CV peaks. `run(columns, params)` is pure; results carry units and
 * uncertainties, arrays go to derived HDF5.
 */
import type { ParamDescriptor } from '../../api/contract.js';
import type { Quantity } from '../../api/dataset.js';
import { cycleCurves, type CyclingColumns, type UnitArray } from './cycling.js';
import { dqdvCurve } from './dqdv.js';
import { cvPeaks, pairPeaks, segmentSweeps } from './cv.js';

export interface AnalysisRun {
  results: Record<string, Quantity>;
  arrays: Record<string, UnitArray>;
  /** array name → the array that is its x axis (for NeXus NXdata groups) */
  axes?: Record<string, string>;
  /** Choices the analysis made from the data (e.g. the capacity source), for the provenance. */
  resolved?: Record<string, string | number | boolean>;
}

function intList(v: unknown, name: string, fallback: number[]): number[] {
  if (v === undefined || v === null) return fallback;
  if (!Array.isArray(v) || !v.every((x) => Number.isInteger(x) && x >= 0)) throw new Error(`${name} must be a list of cycle numbers`);
  return v as number[];
}
function num(v: unknown, name: string, fallback: number, min = 0): number {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw new Error(`${name} must be a number ≥ ${min}`);
  return v;
}

/** Charge capacity accumulated below a voltage (the over-lithiation plateaus near 2.9 and 4 V). */
function capacityBelow(capacity: Float64Array, voltage: Float64Array, threshold: number): number {
  let q = 0;
  for (let i = 1; i < voltage.length; i++) if (voltage[i]! < threshold) q = capacity[i]!;
  return q;
}

const DQDV_PARAMS: ParamDescriptor[] = [
  { name: 'cycles', label: 'Cycles', type: 'integer[]', default: [1, 2], help: 'cycles to differentiate, e.g. 1, 2, 600' },
  { name: 'stepV', label: 'Voltage grid step', type: 'number', unit: 'V', default: 0.005, min: 1e-5 },
  { name: 'window', label: 'Savitzky–Golay window', type: 'integer', unit: 'points', default: 11, min: 3 },
  { name: 'order', label: 'Savitzky–Golay order', type: 'integer', default: 2, min: 1, max: 5 },
  { name: 'minProminence', label: 'Minimum peak prominence', type: 'number', default: 0.05, min: 0, max: 1, help: 'fraction of the largest |dQ/dV|' },
  { name: 'excessBelowV', label: 'Excess-capacity threshold', type: 'number', unit: 'V', default: 4.5, help: 'first-charge capacity below this voltage, minus the second charge’s' },
];

export const dqdvAnalysis = {
  id: 'echem.dqdv',
  // 1.1.0: capacity as in echem.cycling-summary 1.1.0 (cycler counters before ∫I dt).
  version: '1.1.0',
  label: 'Differential capacity dQ/dV (plateaus, first-cycle excess)',
  modality: 'electrochemistry',
  inputKinds: ['table'],
  requiredColumns: [['Ewe', 'Ecell', '<Ewe>'], ['I', '<I>', '(Q-Qo)', 'Q charge/discharge']],
  params: DQDV_PARAMS,
  run(columns: CyclingColumns, params: Record<string, unknown> = {}): AnalysisRun {
    const cycles = intList(params.cycles, 'cycles', [1, 2]);
    const opts = {
      stepV: num(params.stepV, 'stepV', 0.005, 1e-5),
      window: num(params.window, 'window', 11, 3),
      order: num(params.order, 'order', 2, 1),
      minProminence: num(params.minProminence, 'minProminence', 0.05),
    };
    const threshold = num(params.excessBelowV, 'excessBelowV', 4.5);
    const curves = cycleCurves(columns);
    const results: Record<string, Quantity> = {};
    const arrays: Record<string, UnitArray> = {};
    const axes: Record<string, string> = {};
    // A peak position is quantised by the grid before the sub-grid parabola: one standard
    // uncertainty of a uniform quantisation error, step/√12, is the honest floor.
    const u = opts.stepV / Math.sqrt(12);
    for (const c of curves.curves) {
      if (!cycles.includes(c.cycle)) continue;
      const d = dqdvCurve(c.capacity, c.voltage, c.direction === 'charge' ? 1 : -1, opts);
      const key = `c${c.cycle}_${c.direction}`;
      arrays[`${key}_V`] = { units: 'V', values: d.voltage };
      arrays[`${key}_dQdV`] = { units: 'mA·h V⁻¹', values: d.dqdv };
      axes[`${key}_dQdV`] = `${key}_V`;
      d.peaks.forEach((p, k) => {
        results[`${key}_peak${k + 1}_V`] = { value: p.voltage, unit: 'V', uncertainty: u };
        results[`${key}_peak${k + 1}_dQdV`] = { value: p.height, unit: 'mA·h V⁻¹' };
      });
    }
    const ch1 = curves.curves.find((c) => c.cycle === 1 && c.direction === 'charge');
    const ch2 = curves.curves.find((c) => c.cycle === 2 && c.direction === 'charge');
    if (ch1 && ch2) {
      results.firstCycleExcessCapacity = {
        value: capacityBelow(ch1.capacity, ch1.voltage, threshold) - capacityBelow(ch2.capacity, ch2.voltage, threshold),
        unit: 'mA·h',
      };
    }
    return { results, arrays, axes, resolved: { capacitySource: curves.capacitySource, segmentation: curves.segmentation.strategy } };
  },
};

const CV_PARAMS: ParamDescriptor[] = [
  { name: 'minProminence', label: 'Minimum peak prominence', type: 'number', default: 0.1, min: 0, max: 1, help: 'fraction of the sweep’s largest |I|' },
  { name: 'maxPairSeparation', label: 'Largest peak separation of a couple', type: 'number', unit: 'V', default: 0.3, min: 0 },
  { name: 'directionNoise', label: 'Potential noise at vertices', type: 'number', unit: 'V', default: 0.001, min: 0 },
];

const TO_MA: Record<string, number> = { A: 1e3, mA: 1, µA: 1e-3, uA: 1e-3, nA: 1e-6 };

export const cvPeaksAnalysis = {
  id: 'echem.cv-peaks',
  // 1.1.0: every peak found is reported (counts, and potential/current per peak), paired or not.
  version: '1.1.0',
  label: 'CV peaks (Epa, Epc, ΔEp, E½ per cycle)',
  modality: 'electrochemistry',
  inputKinds: ['table'],
  requiredColumns: [['Ewe', 'Ecell', '<Ewe>'], ['I', '<I>']],
  params: CV_PARAMS,
  run(columns: CyclingColumns, params: Record<string, unknown> = {}): AnalysisRun {
    const e = columns.Ewe ?? columns['<Ewe>'] ?? columns.Ecell;
    const i = columns.I ?? columns['<I>'];
    if (!e || !i) throw new Error('CV needs a potential (Ewe or Ecell) and a current (I) column');
    const f = TO_MA[i.units];
    if (f === undefined) throw new Error(`current in "${i.units}" cannot be used`);
    const current = f === 1 ? i.values : i.values.map((x) => x * f);
    const sweeps = segmentSweeps(e.values, columns['cycle number']?.values, num(params.directionNoise, 'directionNoise', 0.001));
    const peaks = cvPeaks(e.values, current, sweeps, { minProminence: num(params.minProminence, 'minProminence', 0.1) });
    const pairs = pairPeaks(peaks, num(params.maxPairSeparation, 'maxPairSeparation', 0.3));
    // Every peak found is reported, paired or not: an irreversible oxidation (no return peak)
    // is a result too, and a pair count of 0 alone would hide it.
    const anodic = peaks.filter((p) => p.direction === 'anodic');
    const cathodic = peaks.filter((p) => p.direction === 'cathodic');
    const results: Record<string, Quantity> = {
      sweepCount: { value: sweeps.length, unit: '' },
      anodicPeakCount: { value: anodic.length, unit: '' },
      cathodicPeakCount: { value: cathodic.length, unit: '' },
      pairCount: { value: pairs.length, unit: '' },
    };
    // Potentials are read on the sampled grid: the sampling step bounds their uncertainty.
    let step = Infinity;
    for (let k = 1; k < e.values.length; k++) {
      const d = Math.abs(e.values[k]! - e.values[k - 1]!);
      if (d > 0 && d < step) step = d;
    }
    const u = Number.isFinite(step) ? step / Math.sqrt(12) : undefined;
    const first = Math.min(...pairs.map((p) => p.cycle));
    pairs
      .filter((p) => p.cycle === first)
      .forEach((p, k) => {
        const q = (value: number, unit: string, unc?: number): Quantity => (unc !== undefined ? { value, unit, uncertainty: unc } : { value, unit });
        results[`c${p.cycle}_couple${k + 1}_Epa`] = q(p.epa, 'V', u);
        results[`c${p.cycle}_couple${k + 1}_Epc`] = q(p.epc, 'V', u);
        results[`c${p.cycle}_couple${k + 1}_deltaEp`] = q(p.deltaEp, 'V', u !== undefined ? u * Math.SQRT2 : undefined);
        results[`c${p.cycle}_couple${k + 1}_Ehalf`] = q(p.eHalf, 'V', u !== undefined ? u / Math.SQRT2 : undefined);
        results[`c${p.cycle}_couple${k + 1}_ipa`] = q(p.ipa, 'mA');
        results[`c${p.cycle}_couple${k + 1}_ipc`] = q(p.ipc, 'mA');
      });
    const col = (get: (p: (typeof pairs)[number]) => number, units: string): UnitArray => ({ units, values: Float64Array.from(pairs, get) });
    return {
      results,
      arrays: {
        cycle: col((p) => p.cycle, ''),
        Epa: col((p) => p.epa, 'V'),
        Epc: col((p) => p.epc, 'V'),
        ipa: col((p) => p.ipa, 'mA'),
        ipc: col((p) => p.ipc, 'mA'),
        deltaEp: col((p) => p.deltaEp, 'V'),
        Ehalf: col((p) => p.eHalf, 'V'),
        // All peaks, one row each: potential and signed current against the peak's cycle.
        'peak cycle': { units: '', values: Float64Array.from(peaks, (p) => p.cycle) },
        'peak potential': { units: 'V', values: Float64Array.from(peaks, (p) => p.potential) },
        'peak current': { units: 'mA', values: Float64Array.from(peaks, (p) => p.current) },
      },
      axes: { 'peak potential': 'peak cycle', 'peak current': 'peak cycle' },
    };
  },
};
