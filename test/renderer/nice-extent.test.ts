/**
 * Axes pinned to their data end on short labels: ECharts prints a pinned min/max in full, so the
 * 0.9867813769294805 mAh end of a real GCPL file's capacity axis must become 1.
 */
import { describe, expect, it } from 'vitest';
import { decadeBounds, niceExtent, niceDataBounds } from '../../renderer/src/plots/echarts-setup.js';

describe('niceExtent', () => {
  it('widens to 1-2-5 steps of about a tenth of the span', () => {
    expect(niceExtent(0, 0.9867813769294805)).toEqual([0, 1]);
    expect(niceExtent(0, 0.9)).toEqual([0, 0.9]);
    expect(niceExtent(-0.2534, 20.47)).toEqual([-2, 22]);
    expect(niceExtent(3.4999, 5.1003)).toEqual([3.4, 5.2]);
    expect(niceExtent(0.1, 0.3)).toEqual([0.1, 0.3]);
    expect(niceExtent(1e-7, 9.87e-6)).toEqual([0, 1e-5]);
    expect(niceExtent(-1234.5, -17)).toEqual([-1300, 0]);
    // Any scale: capacities of nanoamp-hour films, or values in the 1e-22 range.
    expect(niceExtent(1e-22, 3e-22)).toEqual([1e-22, 3e-22]);
    expect(niceExtent(1.03e-22, 2.97e-22)).toEqual([1e-22, 3e-22]);
  });

  it('never narrows the data and adds at most one step per end', () => {
    for (const [lo, hi] of [[0, 0.987], [2.05, 3.81], [-7.3e-4, 1.2e-3], [100, 100.5], [0.1, 0.30000000000000004]] as const) {
      const [a, b] = niceExtent(lo, hi);
      // Float noise (0.30000000000000004) may round onto the nice value, nothing more.
      expect(a).toBeLessThanOrEqual(lo + 1e-9 * (hi - lo));
      expect(b).toBeGreaterThanOrEqual(hi - 1e-9 * (hi - lo));
      expect(b - a).toBeLessThanOrEqual((hi - lo) * 1.4 + 1e-12);
      // Short labels: at most a few significant digits.
      for (const v of [a, b]) expect(String(v).replace(/^-/, '').replace(/^0\.0*/, '').replace('.', '').replace(/0+$/, '').length).toBeLessThanOrEqual(5);
    }
  });

  it('leaves empty or flat extents alone, and serves as ECharts min/max callbacks', () => {
    expect(niceExtent(2, 2)).toEqual([2, 2]);
    expect(niceExtent(Number.NaN, 1)).toEqual([Number.NaN, 1]);
    expect([niceDataBounds.min({ min: 0.013, max: 0.987 }), niceDataBounds.max({ min: 0.013, max: 0.987 })]).toEqual([0, 1]);
  });

  it('bounds a log axis by the decades around the data', () => {
    expect([decadeBounds.min({ min: 0.0031623 }), decadeBounds.max({ max: 10000 })]).toEqual([0.001, 10000]);
    expect([decadeBounds.min({ min: 1 }), decadeBounds.max({ max: 12.5 })]).toEqual([1, 100]);
  });
});
