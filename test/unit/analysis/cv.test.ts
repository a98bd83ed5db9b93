import { describe, expect, it } from 'vitest';
import { cvPeaks, pairPeaks, segmentSweeps } from '../../../main/analysis/echem/cv.js';
import { cvPeaksAnalysis } from '../../../main/analysis/echem/differential-analyses.js';

/**
 * A synthetic LNMO thin-film CV, 3.5 ↔ 5.0 V at 1 mV/s, two redox couples (anodic 4.41 and
 * 4.58 V, cathodic 4.37 and 4.54 V), a small capacitive current and noise-free data: the peak
 * finder must return the couples within a grid step.
 */
function syntheticCv(cycles: number, step = 0.001) {
  const e: number[] = [];
  const i: number[] = [];
  const g = (x: number, c: number, w: number) => Math.exp(-0.5 * ((x - c) / w) ** 2);
  for (let k = 0; k < cycles; k++) {
    for (let x = 3.5; x <= 5.0 + 1e-9; x += step) {
      e.push(x);
      i.push(0.002 + 0.05 * g(x, 4.41, 0.02) + 0.08 * g(x, 4.58, 0.02));
    }
    for (let x = 5.0 - step; x >= 3.5 - 1e-9; x -= step) {
      e.push(x);
      i.push(-0.002 - 0.045 * g(x, 4.37, 0.02) - 0.075 * g(x, 4.54, 0.02));
    }
  }
  return { e, i };
}

describe('cyclic voltammetry', () => {
  it('splits sweeps at the vertices and numbers cycles', () => {
    const { e } = syntheticCv(3);
    const s = segmentSweeps(e);
    expect(s.map((x) => x.direction)).toEqual(['anodic', 'cathodic', 'anodic', 'cathodic', 'anodic', 'cathodic']);
    expect(s.map((x) => x.cycle)).toEqual([1, 1, 2, 2, 3, 3]);
  });

  it('finds both redox couples with ΔEp = 40 mV and E½ in between', () => {
    const { e, i } = syntheticCv(2);
    const peaks = cvPeaks(e, i, segmentSweeps(e));
    const pairs = pairPeaks(peaks).filter((p) => p.cycle === 1);
    expect(pairs).toHaveLength(2);
    expect(pairs[0]!.epa).toBeCloseTo(4.41, 3);
    expect(pairs[0]!.epc).toBeCloseTo(4.37, 3);
    expect(pairs[0]!.deltaEp).toBeCloseTo(0.04, 3);
    expect(pairs[1]!.eHalf).toBeCloseTo(4.56, 3);
    expect(pairs[1]!.ipa).toBeGreaterThan(0);
    expect(pairs[1]!.ipc).toBeLessThan(0);
  });

  it('ignores vertex jitter smaller than the noise threshold', () => {
    const e = [3.5, 3.6, 3.7, 3.8, 3.8005, 3.7995, 3.8, 3.7, 3.6];
    const s = segmentSweeps(e, undefined, 0.002);
    expect(s.map((x) => x.direction)).toEqual(['anodic', 'cathodic']);
  });

  it('reports every peak, paired or not: an irreversible oxidation is counted and listed', () => {
    const cols = (e: number[], i: number[]) => ({ Ewe: { units: 'V', values: Float64Array.from(e) }, I: { units: 'mA', values: Float64Array.from(i) } });
    const rev = syntheticCv(2);
    const a = cvPeaksAnalysis.run(cols(rev.e, rev.i));
    expect([a.results.anodicPeakCount!.value, a.results.cathodicPeakCount!.value, a.results.pairCount!.value]).toEqual([4, 4, 4]);
    expect(a.arrays['peak potential']!.values).toHaveLength(8);
    expect(a.axes!['peak potential']).toBe('peak cycle');
    // Irreversible: the same anodic peaks, a featureless return sweep.
    const irr = { e: [...rev.e], i: rev.i.map((x) => (x < 0 ? -0.002 : x)) };
    const b = cvPeaksAnalysis.run(cols(irr.e, irr.i));
    expect([b.results.anodicPeakCount!.value, b.results.cathodicPeakCount!.value, b.results.pairCount!.value]).toEqual([4, 0, 0]);
    const v = Array.from(b.arrays['peak potential']!.values).slice(0, 2);
    expect(v[0]).toBeCloseTo(4.41, 3);
    expect(v[1]).toBeCloseTo(4.58, 3);
    expect(Array.from(b.arrays['peak current']!.values).every((x) => x > 0)).toBe(true);
  });
});
