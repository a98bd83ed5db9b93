/**
 * Small dense linear algebra for the fitter and the Lin-KK test: problems have a few hundred rows
 * and at most ~50 columns, so clarity beats blocking. Matrices are arrays of columns
 * (Float64Array each), which is what the column-oriented Jacobi SVD wants.
 */

export interface Svd {
  /** m × n left vectors, as n columns of length m (zero columns where σ = 0). */
  u: Float64Array[];
  /** Singular values, not sorted. */
  s: Float64Array;
  /** n × n right vectors, as n columns. */
  v: Float64Array[];
}

/**
 * Thin SVD by one-sided Jacobi rotations (Hestenes 1958; Demmel & Veselić, SIAM J. Matrix Anal.
 * Appl. 13 (1992) 1204): orthogonalises column pairs until every pair is orthogonal to working
 * precision. Accurate for the badly scaled columns Lin-KK produces (time constants over 8 decades).
 * `columns` (m rows each, m ≥ 1) is not modified.
 */
export function svdColumns(columns: readonly Float64Array[]): Svd {
  const n = columns.length;
  const m = n > 0 ? columns[0]!.length : 0;
  const a = columns.map((c) => Float64Array.from(c));
  const v: Float64Array[] = [];
  for (let j = 0; j < n; j++) {
    const e = new Float64Array(n);
    e[j] = 1;
    v.push(e);
  }
  const eps = 2.220446049250313e-16;
  for (let sweep = 0; sweep < 80; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const ap = a[p]!;
        const aq = a[q]!;
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < m; i++) {
          alpha += ap[i]! * ap[i]!;
          beta += aq[i]! * aq[i]!;
          gamma += ap[i]! * aq[i]!;
        }
        if (gamma === 0 || Math.abs(gamma) <= eps * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < m; i++) {
          const x = ap[i]!;
          const y = aq[i]!;
          ap[i] = c * x - s * y;
          aq[i] = s * x + c * y;
        }
        const vp = v[p]!;
        const vq = v[q]!;
        for (let i = 0; i < n; i++) {
          const x = vp[i]!;
          const y = vq[i]!;
          vp[i] = c * x - s * y;
          vq[i] = s * x + c * y;
        }
      }
    }
    if (!rotated) break;
  }
  const s = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let norm = 0;
    const col = a[j]!;
    for (let i = 0; i < m; i++) norm += col[i]! * col[i]!;
    norm = Math.sqrt(norm);
    s[j] = norm;
    if (norm > 0) for (let i = 0; i < m; i++) col[i]! /= norm;
  }
  return { u: a, s, v };
}

/** The relative cut-off numpy.linalg.pinv uses (rcond = 1e-15), so Lin-KK matches impedance.py. */
export const PINV_RCOND = 1e-15;

/**
 * Minimum-norm least-squares solution of A x ≈ b (A given by columns), discarding singular values
 * below rcond·σmax — the same answer as numpy.linalg.pinv(A) @ b.
 */
export function leastSquares(columns: readonly Float64Array[], b: ArrayLike<number>, rcond = PINV_RCOND): Float64Array {
  const { u, s, v } = svdColumns(columns);
  const n = columns.length;
  let smax = 0;
  for (const x of s) smax = Math.max(smax, x);
  const x = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    if (!(s[j]! > rcond * smax)) continue;
    let ub = 0;
    const uj = u[j]!;
    for (let i = 0; i < uj.length; i++) ub += uj[i]! * b[i]!;
    const coef = ub / s[j]!;
    const vj = v[j]!;
    for (let k = 0; k < n; k++) x[k]! += coef * vj[k]!;
  }
  return x;
}

/**
 * (AᵀA)⁻¹ from the SVD of A: V Σ⁻² Vᵀ, row-major n × n. Singular directions (σ ≤ rcond·σmax)
 * make the matrix unusable; they are reported so the caller can flag the parameters.
 */
export function normalInverse(columns: readonly Float64Array[], rcond = 1e-12): { inv: Float64Array; rankDeficient: boolean } {
  const { s, v } = svdColumns(columns);
  const n = columns.length;
  let smax = 0;
  for (const x of s) smax = Math.max(smax, x);
  const inv = new Float64Array(n * n);
  let rankDeficient = false;
  for (let j = 0; j < n; j++) {
    if (!(s[j]! > rcond * smax)) {
      rankDeficient = true;
      continue;
    }
    const w = 1 / (s[j]! * s[j]!);
    const vj = v[j]!;
    for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) inv[r * n + c]! += w * vj[r]! * vj[c]!;
  }
  return { inv, rankDeficient };
}

/** Solve the symmetric positive-definite system M x = b (row-major n × n) by Cholesky; null if not SPD. */
export function choleskySolve(mat: Float64Array, b: Float64Array, n: number): Float64Array | null {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = mat[i * n + j]!;
      for (let k = 0; k < j; k++) sum -= l[i * n + k]! * l[j * n + k]!;
      if (i === j) {
        if (!(sum > 0)) return null;
        l[i * n + i] = Math.sqrt(sum);
      } else l[i * n + j] = sum / l[j * n + j]!;
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = b[i]!;
    for (let k = 0; k < i; k++) sum -= l[i * n + k]! * y[k]!;
    y[i] = sum / l[i * n + i]!;
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let sum = y[i]!;
    for (let k = i + 1; k < n; k++) sum -= l[k * n + i]! * x[k]!;
    x[i] = sum / l[i * n + i]!;
  }
  return x;
}
