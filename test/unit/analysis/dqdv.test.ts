import { describe, expect, it } from 'vitest';
import { dqdvCurve, findPeaks, sgDerivative, sgDerivativeWeights } from '../../../main/analysis/echem/dqdv.js';
import { rng } from '../../fixtures/sample-data.js';

const logistic = (x: number) => 1 / (1 + Math.exp(-x));

describe('Savitzky–Golay derivative', () => {
  it('matches the classic 5-point quadratic weights (−2 −1 0 1 2)/10', () => {
    expect(Array.from(sgDerivativeWeights(2, 2)).map((w) => Number(w.toFixed(12)))).toEqual([-0.2, -0.1, 0, 0.1, 0.2]);
  });
  it('is exact for a quadratic everywhere, edges included', () => {
    const h = 0.01;
    const y = Float64Array.from({ length: 50 }, (_, i) => 3 * (i * h) ** 2 - 2 * i * h + 1);
    const d = sgDerivative(y, h, 11, 2);
    d.forEach((v, i) => expect(v).toBeCloseTo(6 * i * h - 2, 9));
  });
});

describe('dQ/dV', () => {
  it('finds a single plateau at its voltage with the right height (charge positive, discharge negative)', () => {
    const Q = 2.9e-3; // mA·h
    const w = 0.02; // V
    const v = Float64Array.from({ length: 2000 }, (_, i) => 4.2 + (0.9 * i) / 1999);
    const q = Float64Array.from(v, (x) => Q * logistic((x - 4.7) / w));
    const ch = dqdvCurve(q, v, 1, { stepV: 0.002, window: 9 });
    expect(ch.peaks).toHaveLength(1);
    expect(ch.peaks[0]!.voltage).toBeCloseTo(4.7, 3);
    // The filter's smoothing lowers a peak of width w slightly; within 2 % for a window < w.
    expect(Math.abs(ch.peaks[0]!.height / (Q / (4 * w)) - 1)).toBeLessThan(0.02);
    const narrow = dqdvCurve(q, v, 1, { stepV: 0.001, window: 5 });
    expect(Math.abs(narrow.peaks[0]!.height / (Q / (4 * w)) - 1)).toBeLessThan(0.002);
    const vd = Float64Array.from(v).reverse();
    const qd = Float64Array.from(vd, (x) => Q * (1 - logistic((x - 4.7) / w)));
    const dis = dqdvCurve(qd, vd, -1, { stepV: 0.002, window: 9 });
    expect(dis.peaks).toHaveLength(1);
    expect(dis.peaks[0]!.voltage).toBeCloseTo(4.7, 3);
    expect(dis.peaks[0]!.height).toBeLessThan(0);
  });

  it('separates the two Ni plateaus of LNMO and ignores noise', () => {
    const r = rng(7);
    const n = 4000;
    const v: number[] = [];
    const q: number[] = [];
    for (let i = 0; i < n; i++) {
      const x = 4.5 + (0.4 * i) / (n - 1);
      v.push(x + (r() - 0.5) * 1e-4);
      q.push(1e-3 * logistic((x - 4.70) / 0.006) + 1e-3 * logistic((x - 4.74) / 0.006));
    }
    const c = dqdvCurve(q, v, 1, { stepV: 0.002, window: 7, minProminence: 0.1 });
    expect(c.peaks.map((p) => Number(p.voltage.toFixed(2)))).toEqual([4.7, 4.74]);
  });

  it('drops points that run against the half cycle (relaxation) instead of folding the curve', () => {
    const v = Float64Array.from([3.9, 4.0, 4.1, 4.05, 4.2, 4.3]);
    const q = Float64Array.from([0, 1, 2, 2.1, 3, 4]);
    const c = dqdvCurve(q, v, 1, { stepV: 0.05, window: 3, order: 1 });
    expect(Array.from(c.voltage).map((x) => Number(x.toFixed(2)))).toEqual([3.9, 3.95, 4.0, 4.05, 4.1, 4.15, 4.2, 4.25, 4.3]);
    expect([...c.dqdv].every((d) => d >= 0)).toBe(true);
  });

  it('reports prominence, not raw height, for shoulders on a slope', () => {
    const x = Float64Array.from({ length: 200 }, (_, i) => i);
    const y = Float64Array.from(x, (t) => 0.01 * t + Math.exp(-0.5 * ((t - 100) / 3) ** 2));
    const p = findPeaks(x, y, 0.2);
    expect(p).toHaveLength(1);
    expect(p[0]!.voltage).toBeCloseTo(100.3, 0);
    expect(p[0]!.prominence).toBeLessThan(p[0]!.height);
  });
});
