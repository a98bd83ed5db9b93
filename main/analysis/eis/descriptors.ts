/**
 * Analysis descriptors for EIS tables (DESIGN.md "Analyses: pure functions with descriptors"),
 * shaped like echem/cycling.ts's: run(columns, params) → results with units and uncertainties,
 * plus derived arrays.
 *
 * Input columns: the normalised names every EIS reader writes — 'freq' (Hz), 'Re(Z)' (Ω) and
 * '-Im(Z)' (Ω), as in EC-Lab's .mpt and the eis-text readers. 'Im(Z)' (physical sign) is accepted
 * too. Inside the analyses Z'' carries its physical sign (complex.ts).
 */
import type { AnalysisDescriptor, ParamDescriptor } from '../../api/contract.js';
import type { ColumnArray, Quantity } from '../../api/dataset.js';
import { ionicConductivity } from './conductivity.js';
import { fitCircuit, WEIGHTINGS, type CircuitFitResult, type Spectrum, type Weighting } from './fit.js';
import { linKk, type LinKkFitType } from './lin-kk.js';
import { paramIndex, parseCircuit } from './circuit-parser.js';

export interface UnitArray {
  units: string;
  values: Float64Array;
}

export interface EisAnalysisOutput {
  results: Record<string, Quantity>;
  arrays: Record<string, UnitArray>;
}

/** A table column as the reader returned it (any stored width), with units. */
export interface InputColumn {
  units: string;
  values: ColumnArray;
}

export interface EisRunnableAnalysis extends AnalysisDescriptor {
  run(columns: Record<string, InputColumn>, params?: Record<string, unknown>): EisAnalysisOutput;
}

// ---------------------------------------------------------------------------------------------
// Columns → spectrum

const FREQ_NAMES = ['freq', 'freq/Hz', 'Frequency', 'frequency', 'f'];
const RE_NAMES = ['Re(Z)', 'Re(Z)/Ohm', "Z'", 'Zreal', 'Zre'];
const NEG_IM_NAMES = ['-Im(Z)', '-Im(Z)/Ohm', "-Z''", '-Zimag'];
const IM_NAMES = ['Im(Z)', "Z''", 'Zimag', 'Zim'];
const TO_HZ: Record<string, number> = { Hz: 1, mHz: 1e-3, kHz: 1e3, MHz: 1e6 };
const TO_OHM: Record<string, number> = { Ω: 1, Ohm: 1, ohm: 1, ohms: 1, mΩ: 1e-3, kΩ: 1e3, MΩ: 1e6 };

function pick(cols: Record<string, InputColumn>, names: string[]): InputColumn | undefined {
  for (const n of names) if (cols[n]) return cols[n];
  return undefined;
}

function scaledValues(col: InputColumn, table: Record<string, number>, what: string, sign = 1): Float64Array {
  const f = table[col.units];
  if (f === undefined) throw new Error(`${what} column has unit '${col.units}'; expected one of ${Object.keys(table).join(', ')}`);
  return Float64Array.from(col.values, (v) => v * f * sign);
}

export interface SpectrumSelection {
  fMin?: number | null;
  fMax?: number | null;
  /** Drop points with Z'' > 0 (inductive), like impedance.py's ignoreBelowX. */
  dropInductive?: boolean;
}

/** Spectrum from table columns; rows with non-finite values or f ≤ 0 are dropped. */
export function spectrumFromColumns(cols: Record<string, InputColumn>, sel: SpectrumSelection = {}): Spectrum {
  const fc = pick(cols, FREQ_NAMES);
  const rc = pick(cols, RE_NAMES);
  const nic = pick(cols, NEG_IM_NAMES);
  const ic = nic ? undefined : pick(cols, IM_NAMES);
  if (!fc || !rc || !(nic || ic)) {
    throw new Error(`an EIS table needs columns 'freq', 'Re(Z)' and '-Im(Z)' (have: ${Object.keys(cols).join(', ')})`);
  }
  const f = scaledValues(fc, TO_HZ, 'frequency');
  const re = scaledValues(rc, TO_OHM, 'Re(Z)');
  const im = nic ? scaledValues(nic, TO_OHM, '-Im(Z)', -1) : scaledValues(ic!, TO_OHM, 'Im(Z)');
  if (f.length !== re.length || f.length !== im.length) throw new Error('EIS columns differ in length');
  const keep: number[] = [];
  for (let i = 0; i < f.length; i++) {
    if (!(f[i]! > 0) || !Number.isFinite(f[i]!) || !Number.isFinite(re[i]!) || !Number.isFinite(im[i]!)) continue;
    if (sel.fMin != null && f[i]! < sel.fMin) continue;
    if (sel.fMax != null && f[i]! > sel.fMax) continue;
    if (sel.dropInductive && im[i]! >= 0) continue;
    keep.push(i);
  }
  if (keep.length === 0) throw new Error('no usable EIS points (finite, f > 0, inside the frequency window)');
  return { freq: Float64Array.from(keep, (i) => f[i]!), re: Float64Array.from(keep, (i) => re[i]!), im: Float64Array.from(keep, (i) => im[i]!) };
}

// ---------------------------------------------------------------------------------------------
// Parameter parsing

/**
 * Parameter values as an object, a JSON object string, or "R0=10, CPE1_1=0.9" ('=' or ':',
 * separated by ',', ';' or new lines). Empty → {}.
 */
export function parseValueMap(v: unknown, what: string): Record<string, number> {
  if (v === undefined || v === null || v === '') return {};
  if (typeof v === 'object' && !Array.isArray(v)) {
    const out: Record<string, number> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const n = typeof x === 'string' ? Number(x) : x;
      if (typeof n !== 'number' || !Number.isFinite(n)) throw new Error(`${what}: value for '${k}' is not a finite number`);
      out[k] = n;
    }
    return out;
  }
  if (typeof v !== 'string') throw new Error(`${what} must be like "R0=10, CPE1_1=0.9"`);
  const s = v.trim();
  if (s.startsWith('{')) {
    let obj: unknown;
    try {
      obj = JSON.parse(s);
    } catch {
      throw new Error(`${what}: not valid JSON`);
    }
    return parseValueMap(obj, what);
  }
  const out: Record<string, number> = {};
  for (const part of s.split(/[,;\n]+/)) {
    const t = part.trim();
    if (!t) continue;
    const m = /^([^=:]+?)\s*[=:]\s*(\S+)$/.exec(t);
    if (!m) throw new Error(`${what}: cannot read "${t}" (expected name=value)`);
    const n = Number(m[2]);
    if (!Number.isFinite(n)) throw new Error(`${what}: "${m[2]}" is not a number`);
    out[m[1]!.trim()] = n;
  }
  return out;
}

function str(p: Record<string, unknown>, k: string, d: string): string {
  const v = p[k] ?? d;
  if (typeof v !== 'string') throw new Error(`${k} must be a string`);
  return v;
}
function num(p: Record<string, unknown>, k: string, d: number | null): number | null {
  const v = p[k] ?? d;
  if (v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${k} must be a finite number`);
  return v;
}
function bool(p: Record<string, unknown>, k: string, d: boolean): boolean {
  const v = p[k] ?? d;
  if (typeof v !== 'boolean') throw new Error(`${k} must be true or false`);
  return v;
}
function weightingOf(p: Record<string, unknown>): Weighting {
  const w = str(p, 'weighting', 'modulus');
  if (!(WEIGHTINGS as readonly string[]).includes(w)) throw new Error(`weighting must be one of ${WEIGHTINGS.join(', ')}`);
  return w as Weighting;
}

// ---------------------------------------------------------------------------------------------
// Circuit fit

/** The thin-film cell model: electrolyte (bulk) arc, interface arc, blocking capacitance. */
export const DEFAULT_CIRCUIT = 'R0-p(R1,CPE1)-p(R2,CPE2)-CPE3';

const SELECTION_PARAMS: ParamDescriptor[] = [
  { name: 'fMin', label: 'Lowest frequency used', type: 'number', unit: 'Hz', default: null, min: 0, help: 'Empty: no lower limit.' },
  { name: 'fMax', label: 'Highest frequency used', type: 'number', unit: 'Hz', default: null, min: 0, help: 'Empty: no upper limit.' },
  { name: 'dropInductive', label: 'Drop inductive points (Z″ > 0)', type: 'boolean', default: false },
];

const FIT_PARAMS: ParamDescriptor[] = [
  {
    name: 'circuit',
    label: 'Equivalent circuit',
    type: 'string',
    default: DEFAULT_CIRCUIT,
    help: "impedance.py notation: elements R, C, L, CPE, W, Wo, Ws; '-' series; p(a, b) parallel. E.g. R0-p(R1,CPE1)-W2.",
  },
  {
    name: 'initial',
    label: 'Initial values',
    type: 'string',
    default: '',
    help: 'e.g. "R1=2e4, CPE1_0=1e-9, CPE1_1=0.9"; parameters not listed are estimated from the spectrum.',
  },
  { name: 'fixed', label: 'Fixed parameters', type: 'string', default: '', help: 'e.g. "CPE3_1=1"; held at these values.' },
  {
    name: 'weighting',
    label: 'Weighting',
    type: 'string',
    default: 'modulus',
    help: "'modulus' (1/|Z|, default), 'unit' (none), 'proportional' (1/|Z'|, 1/|Z''|).",
  },
  ...SELECTION_PARAMS,
];

function selectionOf(p: Record<string, unknown>): SpectrumSelection {
  return { fMin: num(p, 'fMin', null), fMax: num(p, 'fMax', null), dropInductive: bool(p, 'dropInductive', false) };
}

function runFit(columns: Record<string, InputColumn>, p: Record<string, unknown>): CircuitFitResult {
  const circuit = parseCircuit(str(p, 'circuit', DEFAULT_CIRCUIT));
  const spectrum = spectrumFromColumns(columns, selectionOf(p));
  return fitCircuit(spectrum, circuit, {
    initial: parseValueMap(p.initial, 'initial'),
    fixed: parseValueMap(p.fixed, 'fixed'),
    weighting: weightingOf(p),
  });
}

function fitOutput(fit: CircuitFitResult): EisAnalysisOutput {
  const results: Record<string, Quantity> = {};
  for (const q of fit.parameters) {
    results[q.name] = Number.isFinite(q.stdError) && !q.fixed ? { value: q.value, unit: q.unit, uncertainty: q.stdError } : { value: q.value, unit: q.unit };
  }
  results.chiSquare = { value: fit.chiSquare, unit: fit.chiSquareUnit };
  results.reducedChiSquare = { value: fit.reducedChiSquare, unit: fit.chiSquareUnit };
  results.degreesOfFreedom = { value: fit.dof, unit: '' };
  results.iterations = { value: fit.iterations, unit: '' };
  results.converged = { value: fit.converged ? 1 : 0, unit: '' };
  const nf = fit.freeNames.length;
  for (let a = 0; a < nf; a++) {
    for (let b = a + 1; b < nf; b++) {
      const r = fit.correlation[a * nf + b]!;
      if (Number.isFinite(r)) results[`corr(${fit.freeNames[a]},${fit.freeNames[b]})`] = { value: r, unit: '' };
    }
  }
  return {
    results,
    arrays: {
      freq: { units: 'Hz', values: fit.freq },
      'Re(Z) fit': { units: 'Ω', values: fit.fitted.re },
      '-Im(Z) fit': { units: 'Ω', values: fit.fitted.im.map((x) => -x) },
      'residual Re(Z)': { units: '', values: fit.residuals.re },
      'residual Im(Z)': { units: '', values: fit.residuals.im },
      // Row-major over the free parameters in the order of the results above.
      correlation: { units: '', values: fit.correlation },
    },
  };
}

export const eisFitAnalysis: EisRunnableAnalysis = {
  id: 'eis.circuit-fit',
  version: '1.0.0',
  label: 'Equivalent-circuit fit (complex non-linear least squares)',
  modality: 'electrochemistry',
  inputKinds: ['table'],
  requiredColumns: [['freq'], ['Re(Z)'], ['-Im(Z)', 'Im(Z)']],
  params: FIT_PARAMS,
  run(columns, params = {}) {
    return fitOutput(runFit(columns, params));
  },
};

// ---------------------------------------------------------------------------------------------
// Lin-KK

const LINKK_PARAMS: ParamDescriptor[] = [
  { name: 'c', label: 'μ cut-off', type: 'number', default: 0.85, min: 0, max: 1, help: 'Schönleber et al. 2014 recommend 0.85.' },
  { name: 'maxM', label: 'Maximum number of RC elements', type: 'integer', default: 50, min: 1 },
  { name: 'fitType', label: 'Fit', type: 'string', default: 'complex', help: "'complex' (Schönleber Eq. 14), 'real' (impedance.py's default) or 'imag'." },
  { name: 'addCapacitance', label: 'Series capacitance', type: 'boolean', default: false, help: 'For spectra without a low-frequency intercept (blocking electrodes).' },
  { name: 'threshold', label: 'Pass threshold (max |residual| / |Z|)', type: 'number', default: 0.01, min: 0 },
  ...SELECTION_PARAMS,
];

export const linKkAnalysis: EisRunnableAnalysis = {
  id: 'eis.lin-kk',
  version: '1.0.0',
  label: 'Lin-KK validity test (Schönleber 2014)',
  modality: 'electrochemistry',
  inputKinds: ['table'],
  requiredColumns: [['freq'], ['Re(Z)'], ['-Im(Z)', 'Im(Z)']],
  params: LINKK_PARAMS,
  run(columns, params = {}) {
    const fitType = str(params, 'fitType', 'complex');
    if (fitType !== 'real' && fitType !== 'imag' && fitType !== 'complex') throw new Error("fitType must be 'real', 'imag' or 'complex'");
    const r = linKk(spectrumFromColumns(columns, selectionOf(params)), {
      c: num(params, 'c', 0.85),
      maxM: num(params, 'maxM', 50) ?? 50,
      fitType: fitType as LinKkFitType,
      addCapacitance: bool(params, 'addCapacitance', false),
      threshold: num(params, 'threshold', 0.01) ?? 0.01,
    });
    const results: Record<string, Quantity> = {
      M: { value: r.M, unit: '' },
      mu: { value: r.mu, unit: '' },
      maxAbsResidual: { value: r.maxAbsResidual, unit: '' },
      threshold: { value: r.threshold, unit: '' },
      passed: { value: r.passed ? 1 : 0, unit: '' },
      seriesResistance: { value: r.seriesResistance, unit: 'Ω' },
      seriesInductance: { value: r.seriesInductance, unit: 'H' },
    };
    if (r.seriesCapacitance !== undefined) results.seriesCapacitance = { value: r.seriesCapacitance, unit: 'F' };
    const freq = spectrumFromColumns(columns, selectionOf(params)).freq;
    return {
      results,
      arrays: {
        freq: { units: 'Hz', values: freq },
        'Re(Z) fit': { units: 'Ω', values: r.fitted.re },
        '-Im(Z) fit': { units: 'Ω', values: r.fitted.im.map((x) => -x) },
        'residual Re(Z)': { units: '', values: r.residuals.re },
        'residual Im(Z)': { units: '', values: r.residuals.im },
        tau: { units: 's', values: r.tau },
        R_k: { units: 'Ω', values: r.resistances },
      },
    };
  },
};

// ---------------------------------------------------------------------------------------------
// Ionic conductivity

const CONDUCTIVITY_PARAMS: ParamDescriptor[] = [
  { name: 'thickness', label: 'Electrolyte thickness', type: 'number', unit: 'µm', default: null, min: 0, help: 'Required.' },
  { name: 'thicknessUncertainty', label: 'Thickness uncertainty (1σ)', type: 'number', unit: 'µm', default: 0, min: 0 },
  { name: 'area', label: 'Electrode area', type: 'number', unit: 'cm²', default: null, min: 0, help: 'Required.' },
  { name: 'areaUncertainty', label: 'Area uncertainty (1σ)', type: 'number', unit: 'cm²', default: 0, min: 0 },
  {
    name: 'resistanceParameter',
    label: 'Electrolyte resistance parameter',
    type: 'string',
    default: 'R1',
    help: 'Which fitted resistance is the electrolyte (bulk) arc, e.g. R1 of R0-p(R1,CPE1)-….',
  },
  {
    name: 'resistance',
    label: 'Resistance (skip the fit)',
    type: 'number',
    unit: 'Ω',
    default: null,
    min: 0,
    help: 'When given, used instead of fitting the circuit.',
  },
  { name: 'resistanceUncertainty', label: 'Resistance uncertainty (1σ)', type: 'number', unit: 'Ω', default: 0, min: 0 },
  ...FIT_PARAMS,
];

export const ionicConductivityAnalysis: EisRunnableAnalysis = {
  id: 'eis.ionic-conductivity',
  version: '1.0.0',
  label: 'Ionic conductivity σ = t/(R·A)',
  modality: 'electrochemistry',
  inputKinds: ['table'],
  requiredColumns: [['freq'], ['Re(Z)'], ['-Im(Z)', 'Im(Z)']],
  params: CONDUCTIVITY_PARAMS,
  run(columns, params = {}) {
    const t = num(params, 'thickness', null);
    const a = num(params, 'area', null);
    if (t === null || !(t > 0)) throw new Error('thickness (µm) is required and must be > 0');
    if (a === null || !(a > 0)) throw new Error('area (cm²) is required and must be > 0');
    const thickness: Quantity = { value: t, unit: 'µm', uncertainty: num(params, 'thicknessUncertainty', 0) ?? 0 };
    const area: Quantity = { value: a, unit: 'cm²', uncertainty: num(params, 'areaUncertainty', 0) ?? 0 };
    const direct = num(params, 'resistance', null);
    let resistance: Quantity;
    let out: EisAnalysisOutput = { results: {}, arrays: {} };
    if (direct !== null) {
      resistance = { value: direct, unit: 'Ω', uncertainty: num(params, 'resistanceUncertainty', 0) ?? 0 };
    } else {
      const fit = runFit(columns, params);
      const name = str(params, 'resistanceParameter', 'R1');
      const circuit = parseCircuit(str(params, 'circuit', DEFAULT_CIRCUIT));
      const i = paramIndex(circuit, name);
      if (i < 0) throw new Error(`resistanceParameter '${name}' is not a parameter of ${circuit.canonical}`);
      const q = fit.parameters[i]!;
      if (q.unit !== 'Ω') throw new Error(`resistanceParameter '${name}' is in ${q.unit || 'no unit'}, not Ω`);
      resistance = Number.isFinite(q.stdError) ? { value: q.value, unit: 'Ω', uncertainty: q.stdError } : { value: q.value, unit: 'Ω' };
      out = fitOutput(fit);
    }
    const sigma = ionicConductivity(thickness, area, resistance);
    return { results: { conductivity: sigma, resistance, thickness, area, ...out.results }, arrays: out.arrays };
  },
};

export const EIS_ANALYSES: readonly EisRunnableAnalysis[] = [eisFitAnalysis, linKkAnalysis, ionicConductivityAnalysis];
