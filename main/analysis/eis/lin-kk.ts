/**
 * The linear Kramers–Kronig test of Schönleber, Klotz & Ivers-Tiffée, "A method for improving
 * the robustness of linear Kramers–Kronig validity tests", Electrochim. Acta 131 (2014) 20–27
 * (after Boukamp, J. Electrochem. Soc. 142 (1995) 1885).
 *
 * The data are fitted by a KK-compliant model — a series resistance, a series inductance
 * (measurement leads) and M Voigt RC elements with fixed time constants spread log-uniformly over
 * [1/ω_max, 1/ω_min] (their Eq. 6) — which is linear in the resistances, so the fit is one
 * linear least-squares solve with every row divided by |Z| (modulus weighting, their Eq. 9–10).
 *
 * M is chosen automatically (§3.3): starting at M = 1, M grows until
 *     μ = 1 − Σ_{R_k<0} |R_k| / Σ_{R_k≥0} |R_k|  <  c   (Eq. 21; c = 0.85 recommended)
 * i.e. until over-fitting starts to show as negative resistances.
 *
 * The residuals Δ' = (Z' − Ẑ')/|Z|, Δ'' = (Z'' − Ẑ'')/|Z| (Eq. 15) of valid data scatter around
 * zero at the noise level; drift or non-linearity leaves systematic residuals, largest at low
 * frequency. Pass/fail here is max(|Δ'|, |Δ''|) ≤ threshold (default 1 %, a common acceptance
 * level for potentiostat noise; the threshold used is returned with the verdict).
 *
 * 'complex' (the default) fits real and imaginary parts at once (Schönleber Eq. 14). 'real' (the
 * default of impedance.py's linKK) fits the real part with R0 and the R_k, then the inductance
 * from what remains of the imaginary part; 'imag' fits the imaginary part and takes R0 from
 * Boukamp's Eq. 7. The real-only fit can meet μ < c already at M ≈ 4 on spectra with a sharp
 * (near-ideal) arc, before the fit is adequate — a false "fail"; the complex fit does not show
 * this on the same data (test/unit/analysis/eis-fit.test.ts), hence the default.
 * Checked against impedance.py's test_linKK (Circuit3_EIS_1.z, c = 0.69 → M = 10,
 * μ = 0.68438…), whose reference values come from Schönleber's own Lin-KK tool.
 */
import { complexArray, type ComplexArray } from './complex.js';
import { leastSquares } from './linalg.js';
import { checkSpectrum, type Spectrum } from './fit.js';

export type LinKkFitType = 'real' | 'imag' | 'complex';

export interface LinKkOptions {
  /** μ cut-off; null disables the automatic choice and uses maxM elements. Default 0.85. */
  c?: number | null;
  /** Upper limit on M (default 50). */
  maxM?: number;
  /** Default 'complex'. */
  fitType?: LinKkFitType;
  /** Add a series capacitance (for spectra without a low-frequency intercept, e.g. blocking electrodes). */
  addCapacitance?: boolean;
  /** Pass when max |residual| ≤ threshold (relative to |Z|). Default 0.01. */
  threshold?: number;
}

export interface LinKkResult {
  M: number;
  mu: number;
  c: number | null;
  fitType: LinKkFitType;
  /** Time constants of the RC elements, s. */
  tau: Float64Array;
  /** Fitted R_k, Ω. */
  resistances: Float64Array;
  seriesResistance: number;
  /** H */
  seriesInductance: number;
  /** F, when addCapacitance. */
  seriesCapacitance?: number;
  fitted: ComplexArray;
  /** (Z − Ẑ)/|Z| */
  residuals: ComplexArray;
  maxAbsResidual: number;
  threshold: number;
  passed: boolean;
}

/** τ_1 = 1/ω_max, τ_M = 1/ω_min, log-uniform in between (Schönleber Eq. 6). */
export function timeConstants(freq: ArrayLike<number>, M: number): Float64Array {
  let fmin = Infinity;
  let fmax = -Infinity;
  for (let i = 0; i < freq.length; i++) {
    fmin = Math.min(fmin, freq[i]!);
    fmax = Math.max(fmax, freq[i]!);
  }
  const tmin = 1 / (2 * Math.PI * fmax);
  const tmax = 1 / (2 * Math.PI * fmin);
  const ts = new Float64Array(M);
  ts[0] = tmin;
  if (M > 1) {
    ts[M - 1] = tmax;
    for (let k = 1; k < M - 1; k++) ts[k] = Math.pow(10, Math.log10(tmin) + (k / (M - 1)) * Math.log10(tmax / tmin));
  }
  return ts;
}

/** μ of Eq. 21. */
export function linKkMu(resistances: ArrayLike<number>): number {
  let neg = 0;
  let pos = 0;
  for (let i = 0; i < resistances.length; i++) {
    const r = resistances[i]!;
    if (r < 0) neg += -r;
    else pos += r;
  }
  return 1 - neg / pos;
}

interface Elements {
  r0: number;
  rk: Float64Array;
  l: number;
  /** 1/C, so that "no capacitor" is exactly 0. */
  invC: number;
}

function evalModel(el: Elements, ts: Float64Array, freq: ArrayLike<number>): ComplexArray {
  const out = complexArray(freq.length);
  for (let i = 0; i < freq.length; i++) {
    const w = 2 * Math.PI * freq[i]!;
    let re = el.r0;
    let im = w * el.l - el.invC / w;
    for (let k = 0; k < ts.length; k++) {
      const wt = w * ts[k]!;
      const d = 1 + wt * wt;
      re += el.rk[k]! / d;
      im -= (el.rk[k]! * wt) / d;
    }
    out.re[i] = re;
    out.im[i] = im;
  }
  return out;
}

function fitOnce(s: Spectrum, ts: Float64Array, fitType: LinKkFitType, addCap: boolean): Elements {
  const n = s.freq.length;
  const M = ts.length;
  const mod = new Float64Array(n);
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    mod[i] = Math.hypot(s.re[i]!, s.im[i]!);
    w[i] = 2 * Math.PI * s.freq[i]!;
  }
  // Basis columns, each row divided by |Z|: R0 | R_1…R_M | L | (1/C).
  const rkRe = (k: number) => Float64Array.from(w, (wi, i) => 1 / (1 + (wi * ts[k]!) ** 2) / mod[i]!);
  const rkIm = (k: number) => Float64Array.from(w, (wi, i) => -(wi * ts[k]!) / (1 + (wi * ts[k]!) ** 2) / mod[i]!);
  const bRe = Float64Array.from(s.re, (x, i) => x / mod[i]!);
  const bIm = Float64Array.from(s.im, (x, i) => x / mod[i]!);
  const lIm = Float64Array.from(w, (wi, i) => wi / mod[i]!);
  const cIm = Float64Array.from(w, (wi, i) => -1 / (wi * mod[i]!));

  if (fitType === 'real') {
    const cols = [Float64Array.from(mod, (m) => 1 / m)];
    for (let k = 0; k < M; k++) cols.push(rkRe(k));
    const x = leastSquares(cols, bRe);
    const el: Elements = { r0: x[0]!, rk: x.slice(1, M + 1), l: 0, invC: 0 };
    // Series L (and 1/C) from what the RC part leaves of the imaginary component.
    const zfit = evalModel(el, ts, s.freq);
    const rest = Float64Array.from(s.im, (x2, i) => (x2 - zfit.im[i]!) / mod[i]!);
    const y = leastSquares(addCap ? [lIm, cIm] : [lIm], rest);
    el.l = y[0]!;
    if (addCap) el.invC = y[1]!;
    return el;
  }
  if (fitType === 'imag') {
    const cols: Float64Array[] = [];
    for (let k = 0; k < M; k++) cols.push(rkIm(k));
    cols.push(lIm);
    if (addCap) cols.push(cIm);
    const x = leastSquares(cols, bIm);
    const el: Elements = { r0: 0, rk: x.slice(0, M), l: x[M]!, invC: addCap ? x[M + 1]! : 0 };
    // R0 from the real part, weighted by 1/|Z|² (Boukamp 1995, Eq. 7).
    const zfit = evalModel(el, ts, s.freq);
    let num = 0;
    let den = 0;
    for (let i = 0; i < n; i++) {
      const ws = 1 / (mod[i]! * mod[i]!);
      num += ws * (s.re[i]! - zfit.re[i]!);
      den += ws;
    }
    el.r0 = num / den;
    return el;
  }
  // complex: real and imaginary rows stacked (Schönleber Eq. 14).
  const stack = (a: Float64Array, b: Float64Array) => {
    const out = new Float64Array(2 * n);
    out.set(a, 0);
    out.set(b, n);
    return out;
  };
  const cols = [stack(Float64Array.from(mod, (m) => 1 / m), new Float64Array(n))];
  for (let k = 0; k < M; k++) cols.push(stack(rkRe(k), rkIm(k)));
  cols.push(stack(new Float64Array(n), lIm));
  if (addCap) cols.push(stack(new Float64Array(n), cIm));
  const x = leastSquares(cols, stack(bRe, bIm));
  return { r0: x[0]!, rk: x.slice(1, M + 1), l: x[M + 1]!, invC: addCap ? x[M + 2]! : 0 };
}

/** Run the Lin-KK test. `spectrum.im` is Z'' with its physical sign. */
export function linKk(spectrum: Spectrum, opts: LinKkOptions = {}): LinKkResult {
  checkSpectrum(spectrum);
  const c = opts.c === undefined ? 0.85 : opts.c;
  const maxM = Math.max(1, Math.floor(opts.maxM ?? 50));
  const fitType = opts.fitType ?? 'complex';
  if (!['real', 'imag', 'complex'].includes(fitType)) throw new Error(`fitType must be 'real', 'imag' or 'complex'`);
  const addCap = opts.addCapacitance ?? false;
  const threshold = opts.threshold ?? 0.01;
  if (c !== null && !(c > 0 && c <= 1)) throw new Error(`c must be in (0, 1] (got ${c})`);
  if (!(threshold > 0)) throw new Error('threshold must be > 0');

  let M = c === null ? maxM : 0;
  let mu = 1;
  let ts: Float64Array = new Float64Array(0);
  let el: Elements | null = null;
  if (c === null) {
    ts = timeConstants(spectrum.freq, M);
    el = fitOnce(spectrum, ts, fitType, addCap);
    mu = linKkMu(el.rk);
  } else {
    while (mu > c && M < maxM) {
      M++;
      ts = timeConstants(spectrum.freq, M);
      el = fitOnce(spectrum, ts, fitType, addCap);
      mu = linKkMu(el.rk);
    }
  }
  const fitted = evalModel(el!, ts, spectrum.freq);
  const residuals = complexArray(spectrum.freq.length);
  let maxAbs = 0;
  for (let i = 0; i < spectrum.freq.length; i++) {
    const mod = Math.hypot(spectrum.re[i]!, spectrum.im[i]!);
    residuals.re[i] = (spectrum.re[i]! - fitted.re[i]!) / mod;
    residuals.im[i] = (spectrum.im[i]! - fitted.im[i]!) / mod;
    maxAbs = Math.max(maxAbs, Math.abs(residuals.re[i]!), Math.abs(residuals.im[i]!));
  }
  const result: LinKkResult = {
    M,
    mu,
    c,
    fitType,
    tau: ts,
    resistances: el!.rk,
    seriesResistance: el!.r0,
    seriesInductance: el!.l,
    fitted,
    residuals,
    maxAbsResidual: maxAbs,
    threshold,
    passed: maxAbs <= threshold,
  };
  if (addCap) result.seriesCapacitance = el!.invC !== 0 ? 1 / el!.invC : Infinity;
  return result;
}
