/**
 * Just enough complex arithmetic for impedance models: spectra are pairs of Float64Arrays
 * (real, imaginary), scalars are [re, im] tuples. Sign convention throughout main/analysis/eis:
 * Z = Z' + jZ'' with the physical sign of Z'' (negative for capacitive behaviour); readers store
 * '-Im(Z)' and the analyses convert at their boundary (descriptors.ts).
 */

export interface ComplexArray {
  re: Float64Array;
  im: Float64Array;
}

export type Complex = readonly [number, number];

export function complexArray(n: number): ComplexArray {
  return { re: new Float64Array(n), im: new Float64Array(n) };
}

export function cmul(a: Complex, b: Complex): Complex {
  return [a[0] * b[0] - a[1] * b[1], a[0] * b[1] + a[1] * b[0]];
}

/** a / b, scaled (Smith's algorithm) so that neither |b|² overflows nor underflows. */
export function cdiv(a: Complex, b: Complex): Complex {
  const [c, d] = b;
  if (Math.abs(c) >= Math.abs(d)) {
    const r = d / c;
    const den = c + d * r;
    return [(a[0] + a[1] * r) / den, (a[1] - a[0] * r) / den];
  }
  const r = c / d;
  const den = c * r + d;
  return [(a[0] * r + a[1]) / den, (a[1] * r - a[0]) / den];
}

export function cinv(b: Complex): Complex {
  return cdiv([1, 0], b);
}

/** Principal square root. */
export function csqrt(z: Complex): Complex {
  const [x, y] = z;
  if (x === 0 && y === 0) return [0, 0];
  const m = Math.hypot(x, y);
  if (x >= 0) {
    const t = Math.sqrt((m + x) / 2);
    return [t, y / (2 * t)];
  }
  const t = Math.sqrt((m - x) / 2);
  return [Math.abs(y) / (2 * t), y >= 0 ? t : -t];
}

/**
 * tanh(a + ib) = (sinh 2a + i sin 2b) / (cosh 2a + cos 2b). For |a| > 20 the result is ±1 to
 * double precision; the direct formula would overflow cosh, so the limit is returned.
 */
export function ctanh(z: Complex): Complex {
  const [a, b] = z;
  if (Math.abs(a) > 20) return [Math.sign(a), 0];
  const den = Math.cosh(2 * a) + Math.cos(2 * b);
  return [Math.sinh(2 * a) / den, Math.sin(2 * b) / den];
}

export function cabs(z: Complex): number {
  return Math.hypot(z[0], z[1]);
}
