/**
 * Differential capacity dQ/dV of galvanostatic half cycles, and its peaks.
 *
 * Method (the usual one for incremental-capacity analysis, e.g. Dubarry & Liaw, J. Power Sources
 * 194 (2009) 541): make Q(V) single-valued by keeping only points where V advances in the
 * half-cycle's direction (running extremum), interpolate Q onto a uniform voltage grid, then take
 * the derivative with a Savitzky–Golay filter (Savitzky & Golay, Anal. Chem. 36 (1964) 1627) —
 * smoothing and differentiation in one least-squares step, so noise in V does not explode.
 * Peaks: local extrema of |dQ/dV| with a topographic prominence above a fraction of the largest,
 * located to sub-grid precision by a parabola through the three highest grid points.
 * Pure: no I/O.
 */

export interface DqdvOptions {
  /** Grid spacing in V (default 5 mV). */
  stepV?: number;
  /** Savitzky–Golay window in grid points, odd (default 11). */
  window?: number;
  /** Savitzky–Golay polynomial order (default 2). */
  order?: number;
  /** Minimum peak prominence as a fraction of the largest |dQ/dV| (default 0.05). */
  minProminence?: number;
}

export interface DqdvPeak {
  /** V */
  voltage: number;
  /** mA·h V⁻¹ (signed like the curve) */
  height: number;
  /** mA·h V⁻¹ */
  prominence: number;
}

export interface DqdvCurve {
  /** Uniform voltage grid, V, in the direction of the half cycle. */
  voltage: Float64Array;
  /** dQ/dV in mA·h V⁻¹: positive on charge (V rising), negative on discharge (V falling). */
  dqdv: Float64Array;
  peaks: DqdvPeak[];
  stepV: number;
}

/**
 * Savitzky–Golay first-derivative weights for a window of 2m+1 points and polynomial order p,
 * evaluated at offset `at` from the window centre (at = 0 for interior points; ±1…±m near the
 * ends, where the window cannot be centred). Solves the normal equations of the local fit.
 */
export function sgDerivativeWeights(m: number, p: number, at = 0): Float64Array {
  const n = 2 * m + 1;
  const k = p + 1;
  // AᵀA (k×k) and Aᵀ (k×n) with A[i][j] = (i − m)^j.
  const ata = Array.from({ length: k }, () => new Float64Array(k));
  const at_ = Array.from({ length: k }, () => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    const x = i - m;
    for (let j = 0; j < k; j++) {
      at_[j]![i] = x ** j;
      for (let l = 0; l < k; l++) ata[j]![l]! += x ** (j + l);
    }
  }
  const inv = invert(ata);
  // Coefficients c = (AᵀA)⁻¹ Aᵀ y; derivative of Σ c_j x^j at x = at is Σ j c_j at^(j−1).
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let d = 0;
    for (let j = 1; j < k; j++) {
      let cj = 0;
      for (let l = 0; l < k; l++) cj += inv[j]![l]! * at_[l]![i]!;
      d += j * cj * at ** (j - 1);
    }
    w[i] = d;
  }
  return w;
}

function invert(a: Float64Array[]): Float64Array[] {
  const n = a.length;
  const m = a.map((row, i) => {
    const r = new Float64Array(2 * n);
    r.set(row);
    r[n + i] = 1;
    return r;
  });
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[piv]![c]!)) piv = r;
    [m[c], m[piv]] = [m[piv]!, m[c]!];
    const d = m[c]![c]!;
    if (Math.abs(d) < 1e-300) throw new Error('singular Savitzky–Golay system (window too small for the order)');
    for (let j = 0; j < 2 * n; j++) m[c]![j]! /= d;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r]![c]!;
      if (f !== 0) for (let j = 0; j < 2 * n; j++) m[r]![j]! -= f * m[c]![j]!;
    }
  }
  return m.map((r) => r.slice(n));
}

/** dy/dx on a uniform grid of spacing h with Savitzky–Golay weights (edges: off-centre fits). */
export function sgDerivative(y: Float64Array, h: number, window: number, order: number): Float64Array {
  const n = y.length;
  const out = new Float64Array(n);
  if (n === 0) return out;
  let m = Math.floor(window / 2);
  if (2 * m + 1 > n) m = Math.floor((n - 1) / 2);
  if (m < 1 || order >= 2 * m + 1) {
    // Too few points for the filter: central differences.
    for (let i = 0; i < n; i++) {
      const a = Math.max(0, i - 1);
      const b = Math.min(n - 1, i + 1);
      out[i] = b > a ? (y[b]! - y[a]!) / ((b - a) * h) : 0;
    }
    return out;
  }
  const centre = sgDerivativeWeights(m, order, 0);
  for (let i = m; i < n - m; i++) {
    let s = 0;
    for (let k = 0; k < centre.length; k++) s += centre[k]! * y[i - m + k]!;
    out[i] = s / h;
  }
  for (let i = 0; i < m; i++) {
    const wl = sgDerivativeWeights(m, order, i - m);
    const wr = sgDerivativeWeights(m, order, m - i);
    let sl = 0;
    let sr = 0;
    for (let k = 0; k < wl.length; k++) {
      sl += wl[k]! * y[k]!;
      sr += wr[k]! * y[n - 2 * m - 1 + k]!;
    }
    out[i] = sl / h;
    out[n - 1 - i] = sr / h;
  }
  return out;
}

/**
 * Q on a uniform V grid from one half cycle. `direction` +1 for charge (V rising), −1 for
 * discharge. Points that go against the direction (IR relaxation, noise) are dropped.
 */
export function resampleOnVoltage(capacity: ArrayLike<number>, voltage: ArrayLike<number>, direction: 1 | -1, stepV: number): { v: Float64Array; q: Float64Array } {
  const vs: number[] = [];
  const qs: number[] = [];
  let best = -Infinity;
  for (let i = 0; i < voltage.length; i++) {
    const v = direction * voltage[i]!;
    const q = capacity[i]!;
    if (!Number.isFinite(v) || !Number.isFinite(q)) continue;
    if (v > best) {
      best = v;
      vs.push(v);
      qs.push(q);
    }
  }
  if (vs.length < 2) return { v: new Float64Array(0), q: new Float64Array(0) };
  const v0 = Math.ceil(vs[0]! / stepV) * stepV;
  const v1 = vs[vs.length - 1]!;
  const n = Math.max(0, Math.floor((v1 - v0) / stepV + 1e-9) + 1);
  const v = new Float64Array(n);
  const q = new Float64Array(n);
  let j = 0;
  for (let k = 0; k < n; k++) {
    const x = v0 + k * stepV;
    while (j < vs.length - 2 && vs[j + 1]! < x) j++;
    const xa = vs[j]!;
    const xb = vs[j + 1]!;
    const t = xb > xa ? (x - xa) / (xb - xa) : 0;
    q[k] = qs[j]! + Math.min(1, Math.max(0, t)) * (qs[j + 1]! - qs[j]!);
    v[k] = direction * x;
  }
  return { v, q };
}

/** Peaks of |y| with topographic prominence ≥ minProm, sorted by voltage as the grid runs. */
export function findPeaks(x: Float64Array, y: Float64Array, minProminenceFraction: number): DqdvPeak[] {
  const n = y.length;
  const a = Float64Array.from(y, Math.abs);
  let max = 0;
  for (const v of a) if (Number.isFinite(v) && v > max) max = v;
  const minProm = minProminenceFraction * max;
  const peaks: DqdvPeak[] = [];
  for (let i = 1; i < n - 1; i++) {
    if (!(a[i]! > a[i - 1]! && a[i]! >= a[i + 1]!)) continue;
    // Prominence: height above the higher of the two lowest points reached before a higher peak.
    let leftMin = a[i]!;
    for (let k = i - 1; k >= 0 && a[k]! <= a[i]!; k--) leftMin = Math.min(leftMin, a[k]!);
    let rightMin = a[i]!;
    for (let k = i + 1; k < n && a[k]! <= a[i]!; k++) rightMin = Math.min(rightMin, a[k]!);
    const prominence = a[i]! - Math.max(leftMin, rightMin);
    if (prominence < minProm || prominence <= 0) continue;
    // Sub-grid location: vertex of the parabola through i−1, i, i+1.
    const den = a[i - 1]! - 2 * a[i]! + a[i + 1]!;
    const off = den !== 0 ? (0.5 * (a[i - 1]! - a[i + 1]!)) / den : 0;
    const dx = x[i + 1]! - x[i]!;
    peaks.push({ voltage: x[i]! + Math.max(-0.5, Math.min(0.5, off)) * dx, height: y[i]!, prominence: Math.sign(y[i]!) * prominence });
  }
  return peaks;
}

export function dqdvCurve(capacity: ArrayLike<number>, voltage: ArrayLike<number>, direction: 1 | -1, opts: DqdvOptions = {}): DqdvCurve {
  const stepV = opts.stepV ?? 0.005;
  const window = opts.window ?? 11;
  const order = opts.order ?? 2;
  if (!(stepV > 0)) throw new Error('stepV must be positive');
  if (window < 3 || window % 2 === 0) throw new Error('window must be an odd number ≥ 3');
  const { v, q } = resampleOnVoltage(capacity, voltage, direction, stepV);
  // Derivative with respect to the grid coordinate (direction·V), then back to V: dQ/dV keeps the
  // sign convention positive on charge, negative on discharge.
  const d = sgDerivative(q, stepV, window, order);
  for (let i = 0; i < d.length; i++) d[i] = direction * d[i]!;
  return { voltage: v, dqdv: d, peaks: findPeaks(v, d, opts.minProminence ?? 0.05), stepV };
}
