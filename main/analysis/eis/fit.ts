/**
 * Complex non-linear least squares fit of an equivalent circuit (Macdonald & Garber,
 * J. Electrochem. Soc. 124 (1977) 1022; Boukamp, Solid State Ionics 20 (1986) 31):
 * real and imaginary residuals stacked into one vector, each weighted, minimised by
 * Levenberg–Marquardt with Marquardt's diagonal scaling and Nielsen's damping update
 * (Madsen, Nielsen & Tingleff, "Methods for non-linear least squares problems", DTU 2004, §3.2;
 * Moré, LNM 630 (1978) for the running-max scaling).
 *
 * Weighting (Orazem & Tribollet 2017 §19.5):
 *   'modulus'      w = 1/|Z|                 (default; every decade counts the same)
 *   'unit'         w = 1                      (what impedance.py's CustomCircuit.fit does by default)
 *   'proportional' w' = 1/|Z'|, w'' = 1/|Z''| (Boukamp's proportional weighting)
 *
 * Bounds come from a change of variable, not from clipping: a positive parameter is fitted as
 * u = ln p, a CPE exponent as u = logit α so α stays in (0, 1). (α = 1 exactly, an ideal
 * capacitor, is the limit u → ∞: fix α = 1 or use C instead.)
 *
 * Uncertainties: the covariance of the natural parameters at the optimum is (JᵀWJ)⁻¹·s² with
 * s² = χ²/(2N − n_free) — the "relative weights" convention of scipy.optimize.curve_fit
 * (absolute_sigma=False), which impedance.py uses. J is the weighted Jacobian with respect to
 * the natural parameters, obtained from the transformed one by the chain rule.
 */
import { parseCircuit, paramIndex, type Circuit } from './circuit-parser.js';
import { complexArray, type ComplexArray } from './complex.js';
import { evaluateCircuit } from './impedance-model.js';
import { guessInitialValues, type Spectrum } from './initial-guess.js';
import { choleskySolve, normalInverse } from './linalg.js';

export type { Spectrum } from './initial-guess.js';

export type Weighting = 'modulus' | 'unit' | 'proportional';
export const WEIGHTINGS: readonly Weighting[] = ['modulus', 'unit', 'proportional'];

export interface FitOptions {
  /** Starting values by parameter name ('R0', 'CPE1_0', or label 'CPE1 Q'), or a full vector. */
  initial?: Record<string, number> | ArrayLike<number>;
  /** Parameters held at the given value. */
  fixed?: Record<string, number>;
  weighting?: Weighting;
  maxIterations?: number;
  /** Stop when an accepted step lowers χ² by less than this fraction. */
  ftol?: number;
  /** Stop when the step in the transformed parameters is below this (relative). */
  xtol?: number;
  /**
   * Try extra starting points around the data-derived guess and keep the best (default: only
   * when some parameter had no user-given start).
   */
  multiStart?: boolean;
}

export interface FitParameter {
  name: string;
  label: string;
  unit: string;
  value: number;
  /** One standard error; 0 for fixed parameters, NaN when not estimable. */
  stdError: number;
  fixed: boolean;
  initial: number;
}

export interface CircuitFitResult {
  circuit: string;
  parameters: FitParameter[];
  values: Float64Array;
  /** Free parameter names, in the order of the covariance/correlation rows. */
  freeNames: string[];
  /** Row-major covariance of the free parameters (natural units). */
  covariance: Float64Array;
  /** Row-major correlation matrix of the free parameters. */
  correlation: Float64Array;
  /** Σ (w·r)² over real and imaginary residuals. */
  chiSquare: number;
  /** χ² / dof. */
  reducedChiSquare: number;
  dof: number;
  weighting: Weighting;
  /** Unit of χ²: 'Ω²' for unit weighting, '' otherwise. */
  chiSquareUnit: string;
  iterations: number;
  converged: boolean;
  message: string;
  freq: Float64Array;
  fitted: ComplexArray;
  /** (Z_data − Z_fit)/|Z_data|, real and imaginary parts. */
  residuals: ComplexArray;
  warnings: string[];
}

const LOGIT_EPS = 1e-9;

function toU(p: number, domain: 'positive' | 'fraction'): number {
  if (domain === 'positive') return Math.log(p);
  const a = Math.min(Math.max(p, LOGIT_EPS), 1 - LOGIT_EPS);
  return Math.log(a / (1 - a));
}
function fromU(u: number, domain: 'positive' | 'fraction'): number {
  return domain === 'positive' ? Math.exp(u) : 1 / (1 + Math.exp(-u));
}
/** dp/du */
function dpdu(p: number, domain: 'positive' | 'fraction'): number {
  return domain === 'positive' ? p : p * (1 - p);
}

export function checkSpectrum(s: Spectrum): void {
  const n = s.freq.length;
  if (s.re.length !== n || s.im.length !== n) throw new Error(`freq, Z' and Z'' differ in length (${n}, ${s.re.length}, ${s.im.length})`);
  if (n === 0) throw new Error('the spectrum is empty');
  for (let i = 0; i < n; i++) {
    if (!(s.freq[i]! > 0) || !Number.isFinite(s.freq[i]!)) throw new Error(`frequency at row ${i} is ${s.freq[i]} (must be finite and > 0)`);
    if (!Number.isFinite(s.re[i]!) || !Number.isFinite(s.im[i]!)) throw new Error(`impedance at row ${i} is not finite`);
  }
}

function weights(s: Spectrum, weighting: Weighting): { wr: Float64Array; wi: Float64Array } {
  const n = s.freq.length;
  const wr = new Float64Array(n);
  const wi = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const mod = Math.hypot(s.re[i]!, s.im[i]!);
    if (weighting === 'unit') {
      wr[i] = 1;
      wi[i] = 1;
    } else if (weighting === 'modulus') {
      wr[i] = 1 / mod;
      wi[i] = 1 / mod;
    } else {
      // A component passing through zero would get infinite weight; floor at 1e-3 |Z|.
      wr[i] = 1 / Math.max(Math.abs(s.re[i]!), 1e-3 * mod);
      wi[i] = 1 / Math.max(Math.abs(s.im[i]!), 1e-3 * mod);
    }
  }
  return { wr, wi };
}

/** Resolve `initial` and `fixed` against the circuit; unknown names are errors. */
function resolveStart(circuit: Circuit, s: Spectrum, opts: FitOptions): { start: Float64Array; fixedMask: boolean[]; userGiven: boolean[] } {
  const np = circuit.params.length;
  const guess = guessInitialValues(circuit, s);
  const start = Float64Array.from(guess);
  const fixedMask = new Array<boolean>(np).fill(false);
  const userGiven = new Array<boolean>(np).fill(false);
  const names = () => circuit.params.map((p) => p.name).join(', ');
  for (const [k, v] of Object.entries(opts.fixed ?? {})) {
    const i = paramIndex(circuit, k);
    if (i < 0) throw new Error(`fixed parameter '${k}' is not in ${circuit.canonical} (parameters: ${names()})`);
    if (!Number.isFinite(v)) throw new Error(`fixed parameter '${k}' must be a finite number`);
    start[i] = v;
    fixedMask[i] = true;
    userGiven[i] = true;
  }
  const init = opts.initial;
  if (init !== undefined) {
    if (typeof (init as ArrayLike<number>).length === 'number') {
      const arr = init as ArrayLike<number>;
      const free = [...Array(np).keys()].filter((i) => !fixedMask[i]);
      let targets: number[];
      if (arr.length === np) targets = [...Array(np).keys()].filter((i) => !fixedMask[i]);
      else if (arr.length === free.length) targets = free;
      else throw new Error(`initial guess has ${arr.length} values; ${circuit.canonical} has ${np} parameters (${free.length} free)`);
      targets.forEach((i, k) => {
        const v = arr.length === np ? arr[i]! : arr[k]!;
        if (!Number.isFinite(v)) throw new Error(`initial value for ${circuit.params[i]!.name} must be finite`);
        start[i] = v;
        userGiven[i] = true;
      });
    } else {
      for (const [k, v] of Object.entries(init as Record<string, number>)) {
        const i = paramIndex(circuit, k);
        if (i < 0) throw new Error(`initial value for '${k}': no such parameter in ${circuit.canonical} (parameters: ${names()})`);
        if (fixedMask[i]) continue;
        if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`initial value for '${k}' must be a finite number`);
        start[i] = v;
        userGiven[i] = true;
      }
    }
  }
  circuit.params.forEach((p, i) => {
    if (fixedMask[i]) return;
    if (p.domain === 'positive' && !(start[i]! > 0)) throw new Error(`initial value for ${p.name} must be > 0 (got ${start[i]})`);
    if (p.domain === 'fraction' && !(start[i]! > 0 && start[i]! <= 1)) throw new Error(`initial value for ${p.name} must be in (0, 1] (got ${start[i]})`);
  });
  return { start, fixedMask, userGiven };
}

interface LmOutcome {
  u: Float64Array;
  chi2: number;
  iterations: number;
  converged: boolean;
  message: string;
}

class Problem {
  readonly n: number;
  readonly free: number[];
  private readonly w: { wr: Float64Array; wi: Float64Array };
  constructor(
    readonly circuit: Circuit,
    readonly s: Spectrum,
    readonly base: Float64Array,
    fixedMask: boolean[],
    weighting: Weighting,
  ) {
    this.n = s.freq.length;
    this.free = [...Array(circuit.params.length).keys()].filter((i) => !fixedMask[i]);
    this.w = weights(s, weighting);
  }
  params(u: ArrayLike<number>): Float64Array {
    const p = Float64Array.from(this.base);
    this.free.forEach((i, k) => (p[i] = fromU(u[k]!, this.circuit.params[i]!.domain)));
    return p;
  }
  residual(u: ArrayLike<number>, out = new Float64Array(2 * this.n)): Float64Array {
    const z = evaluateCircuit(this.circuit, this.params(u), this.s.freq);
    for (let i = 0; i < this.n; i++) {
      out[i] = (z.re[i]! - this.s.re[i]!) * this.w.wr[i]!;
      out[this.n + i] = (z.im[i]! - this.s.im[i]!) * this.w.wi[i]!;
    }
    return out;
  }
  /** Central-difference Jacobian in u, as columns. */
  jacobian(u: Float64Array): Float64Array[] {
    const cols: Float64Array[] = [];
    for (let k = 0; k < u.length; k++) {
      const h = 1e-6 * Math.max(1, Math.abs(u[k]!));
      const up = Float64Array.from(u);
      const um = Float64Array.from(u);
      up[k]! += h;
      um[k]! -= h;
      const rp = this.residual(up);
      const rm = this.residual(um);
      const col = new Float64Array(rp.length);
      for (let i = 0; i < col.length; i++) col[i] = (rp[i]! - rm[i]!) / (2 * h);
      cols.push(col);
    }
    return cols;
  }
}

function sumSq(r: Float64Array): number {
  let s = 0;
  for (const x of r) s += x * x;
  return s;
}

function levenbergMarquardt(prob: Problem, u0: Float64Array, opts: Required<Pick<FitOptions, 'maxIterations' | 'ftol' | 'xtol'>>): LmOutcome {
  const m = u0.length;
  let u = Float64Array.from(u0);
  let r = prob.residual(u);
  let chi2 = sumSq(r);
  if (!Number.isFinite(chi2)) return { u, chi2, iterations: 0, converged: false, message: 'model is not finite at the starting point' };
  if (m === 0) return { u, chi2, iterations: 0, converged: true, message: 'no free parameters' };
  let mu = 1e-3;
  let nu = 2;
  const dScale = new Float64Array(m);
  let it = 0;
  let needJ = true;
  let A = new Float64Array(m * m);
  let g = new Float64Array(m);
  for (; it < opts.maxIterations; it++) {
    if (needJ) {
      const J = prob.jacobian(u);
      A = new Float64Array(m * m);
      g = new Float64Array(m);
      for (let a = 0; a < m; a++) {
        const ja = J[a]!;
        let ga = 0;
        for (let i = 0; i < r.length; i++) ga += ja[i]! * r[i]!;
        g[a] = ga;
        for (let b = 0; b <= a; b++) {
          const jb = J[b]!;
          let s = 0;
          for (let i = 0; i < r.length; i++) s += ja[i]! * jb[i]!;
          A[a * m + b] = s;
          A[b * m + a] = s;
        }
        dScale[a] = Math.max(dScale[a]!, A[a * m + a]!, 1e-300);
      }
      let gmax = 0;
      for (const x of g) gmax = Math.max(gmax, Math.abs(x));
      if (gmax <= 1e-30 * Math.max(chi2, 1e-300) || chi2 === 0) return { u, chi2, iterations: it, converged: true, message: 'gradient vanished' };
      needJ = false;
    }
    const M = Float64Array.from(A);
    for (let a = 0; a < m; a++) M[a * m + a]! += mu * dScale[a]!;
    const negG = g.map((x) => -x);
    const delta = choleskySolve(M, negG, m);
    if (!delta) {
      mu *= nu;
      nu *= 2;
      continue;
    }
    let stepNorm = 0;
    let uNorm = 0;
    for (let a = 0; a < m; a++) {
      stepNorm += delta[a]! * delta[a]!;
      uNorm += u[a]! * u[a]!;
    }
    stepNorm = Math.sqrt(stepNorm);
    uNorm = Math.sqrt(uNorm);
    const uNew = u.map((x, a) => x + delta[a]!);
    const rNew = prob.residual(uNew);
    const chiNew = sumSq(rNew);
    // Predicted reduction of ½‖r‖²: ½ δᵀ(μDδ − g).
    let pred = 0;
    for (let a = 0; a < m; a++) pred += delta[a]! * (mu * dScale[a]! * delta[a]! - g[a]!);
    pred *= 0.5;
    const actual = 0.5 * (chi2 - chiNew);
    const rho = pred > 0 ? actual / pred : -1;
    if (Number.isFinite(chiNew) && rho > 0) {
      const rel = (chi2 - chiNew) / Math.max(chi2, 1e-300);
      u = uNew;
      r = rNew;
      chi2 = chiNew;
      mu *= Math.max(1 / 3, 1 - Math.pow(2 * rho - 1, 3));
      nu = 2;
      needJ = true;
      if (rel < opts.ftol) return { u, chi2, iterations: it + 1, converged: true, message: `relative χ² change below ${opts.ftol}` };
      if (stepNorm <= opts.xtol * (uNorm + opts.xtol)) return { u, chi2, iterations: it + 1, converged: true, message: `step below ${opts.xtol}` };
    } else {
      if (stepNorm <= opts.xtol * (uNorm + opts.xtol)) return { u, chi2, iterations: it + 1, converged: true, message: 'no further decrease possible (step at machine precision)' };
      mu *= nu;
      nu *= 2;
      if (mu > 1e30) return { u, chi2, iterations: it + 1, converged: true, message: 'damping saturated: no further decrease possible' };
    }
  }
  return { u, chi2, iterations: it, converged: false, message: `stopped after ${opts.maxIterations} iterations` };
}

/** Fit `circuit` to the spectrum. Z'' in `spectrum.im` carries its physical sign. */
export function fitCircuit(spectrum: Spectrum, circuitIn: string | Circuit, opts: FitOptions = {}): CircuitFitResult {
  checkSpectrum(spectrum);
  const circuit = typeof circuitIn === 'string' ? parseCircuit(circuitIn) : circuitIn;
  const weighting = opts.weighting ?? 'modulus';
  if (!WEIGHTINGS.includes(weighting)) throw new Error(`weighting must be one of ${WEIGHTINGS.join(', ')} (got '${String(weighting)}')`);
  const { start, fixedMask, userGiven } = resolveStart(circuit, spectrum, opts);
  const prob = new Problem(circuit, spectrum, start, fixedMask, weighting);
  const warnings: string[] = [];
  const n = spectrum.freq.length;
  const nFree = prob.free.length;
  if (2 * n <= nFree) throw new Error(`${nFree} free parameters need more than ${n} frequencies`);
  const lmOpts = { maxIterations: opts.maxIterations ?? 2000, ftol: opts.ftol ?? 1e-15, xtol: opts.xtol ?? 1e-13 };

  const u0 = Float64Array.from(prob.free, (i) => toU(start[i]!, circuit.params[i]!.domain));
  const starts: Float64Array[] = [u0];
  const allUser = prob.free.every((i) => userGiven[i]);
  if (opts.multiStart ?? !allUser) {
    // Alternative starts: guessed (not user-given) resistances ×/÷ 3, exponents lowered to 0.7.
    for (const factor of [3, 1 / 3]) {
      starts.push(
        Float64Array.from(prob.free, (i, k) => {
          const p = circuit.params[i]!;
          if (userGiven[i]) return u0[k]!;
          if (p.domain === 'fraction') return toU(0.7, 'fraction');
          return p.unit === 'Ω' ? u0[k]! + Math.log(factor) : u0[k]!;
        }),
      );
    }
  }
  let best: LmOutcome | null = null;
  for (const s of starts) {
    const out = levenbergMarquardt(prob, s, lmOpts);
    if (Number.isFinite(out.chi2) && (!best || out.chi2 < best.chi2 * (1 - 1e-9))) best = out;
  }
  if (!best) throw new Error(`the model ${circuit.canonical} is not finite at any starting point`);
  if (!best.converged) warnings.push(best.message);

  const values = prob.params(best.u);
  const dof = 2 * n - nFree;
  const s2 = dof > 0 ? best.chi2 / dof : NaN;
  // Covariance in natural parameters. (J_uᵀJ_u)⁻¹ is computed in the transformed variables, which
  // are well scaled (a Q of 1e-9 F·s^(α−1) next to an α of 0.9 would otherwise look singular),
  // then mapped by the chain rule: cov_p = D·cov_u·D with D = diag(dp/du).
  const Ju = prob.jacobian(best.u);
  const dp = prob.free.map((i) => dpdu(values[i]!, circuit.params[i]!.domain));
  const covariance = new Float64Array(nFree * nFree);
  const correlation = new Float64Array(nFree * nFree);
  const stdFree = new Float64Array(nFree).fill(NaN);
  if (nFree > 0) {
    const { inv, rankDeficient } = normalInverse(Ju, 1e-13);
    if (rankDeficient) warnings.push('the Jacobian is rank-deficient: some parameters are not determined by the data (uncertainties not estimable)');
    for (let a = 0; a < nFree; a++) {
      for (let b = 0; b < nFree; b++) covariance[a * nFree + b] = rankDeficient ? NaN : inv[a * nFree + b]! * s2 * dp[a]! * dp[b]!;
    }
    for (let a = 0; a < nFree; a++) stdFree[a] = Math.sqrt(covariance[a * nFree + a]!);
    for (let a = 0; a < nFree; a++) for (let b = 0; b < nFree; b++) correlation[a * nFree + b] = covariance[a * nFree + b]! / (stdFree[a]! * stdFree[b]!);
  }
  circuit.params.forEach((p, i) => {
    if (p.domain === 'fraction' && !fixedMask[i] && values[i]! > 1 - 1e-6) warnings.push(`${p.name} (α) converged to its bound 1: the element behaves as an ideal capacitor`);
  });

  const fitted = evaluateCircuit(circuit, values, spectrum.freq);
  const residuals = complexArray(n);
  for (let i = 0; i < n; i++) {
    const mod = Math.hypot(spectrum.re[i]!, spectrum.im[i]!);
    residuals.re[i] = (spectrum.re[i]! - fitted.re[i]!) / mod;
    residuals.im[i] = (spectrum.im[i]! - fitted.im[i]!) / mod;
  }
  const parameters: FitParameter[] = circuit.params.map((p, i) => {
    const k = prob.free.indexOf(i);
    return { name: p.name, label: p.label, unit: p.unit, value: values[i]!, stdError: k < 0 ? 0 : stdFree[k]!, fixed: k < 0, initial: start[i]! };
  });
  return {
    circuit: circuit.canonical,
    parameters,
    values,
    freeNames: prob.free.map((i) => circuit.params[i]!.name),
    covariance,
    correlation,
    chiSquare: best.chi2,
    reducedChiSquare: s2,
    dof,
    weighting,
    chiSquareUnit: weighting === 'unit' ? 'Ω²' : '',
    iterations: best.iterations,
    converged: best.converged,
    message: best.message,
    freq: Float64Array.from(spectrum.freq),
    fitted,
    residuals,
    warnings,
  };
}

export interface BatchFitResult {
  fits: CircuitFitResult[];
  /** Spectrum index 0…n−1. */
  index: Float64Array;
  /** Per parameter name: value and standard error against index. */
  parameters: Record<string, { unit: string; values: Float64Array; stdErrors: Float64Array }>;
  chiSquare: Float64Array;
}

/**
 * Fit a series of spectra (e.g. one per cycle) with one circuit, each fit starting from the
 * previous optimum: neighbouring spectra of a cycling series differ little, so the warm start
 * keeps each fit in the same basin and the parameter traces continuous. The first fit starts
 * from opts.initial (or the data); a failed fit (non-finite χ²) does not seed the next one.
 */
export function fitMany(spectra: readonly Spectrum[], circuitIn: string | Circuit, opts: FitOptions = {}): BatchFitResult {
  const circuit = typeof circuitIn === 'string' ? parseCircuit(circuitIn) : circuitIn;
  const fits: CircuitFitResult[] = [];
  let previous: Record<string, number> | undefined;
  for (const s of spectra) {
    const initial = previous ?? opts.initial;
    // Warm-started fits skip the multi-start: the previous optimum is the better guess.
    const multiStart = opts.multiStart ?? (previous === undefined ? undefined : false);
    const fit = fitCircuit(s, circuit, { ...opts, ...(initial !== undefined ? { initial } : {}), ...(multiStart !== undefined ? { multiStart } : {}) });
    fits.push(fit);
    if (Number.isFinite(fit.chiSquare)) {
      previous = {};
      for (const p of fit.parameters) if (!p.fixed) previous[p.name] = p.value;
    }
  }
  const parameters: BatchFitResult['parameters'] = {};
  circuit.params.forEach((p, i) => {
    parameters[p.name] = {
      unit: p.unit,
      values: Float64Array.from(fits, (f) => f.values[i]!),
      stdErrors: Float64Array.from(fits, (f) => f.parameters[i]!.stdError),
    };
  });
  return {
    fits,
    index: Float64Array.from(fits, (_, k) => k),
    parameters,
    chiSquare: Float64Array.from(fits, (f) => f.chiSquare),
  };
}
