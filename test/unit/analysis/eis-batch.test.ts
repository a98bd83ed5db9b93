import { describe, expect, it } from 'vitest';
import { eisBatchFitAnalysis, splitSweeps } from '../../../main/analysis/eis/batch.js';
import { evaluateCircuit } from '../../../main/analysis/eis/impedance-model.js';
import { parseCircuit } from '../../../main/analysis/eis/circuit-parser.js';

/** Five sweeps of R0-p(R1,CPE1) with the interface resistance R1 growing cycle by cycle. */
function series(withCycleColumn: boolean) {
  const c = parseCircuit('R0-p(R1,CPE1)');
  const f: number[] = [];
  const re: number[] = [];
  const im: number[] = [];
  const cyc: number[] = [];
  const r1 = [1000, 1200, 1450, 1750, 2100];
  r1.forEach((R1, k) => {
    const freq = Float64Array.from({ length: 40 }, (_, i) => 1e6 * 10 ** (-i * 0.15));
    const z = evaluateCircuit(c, [50, R1, 2e-7, 0.92], freq);
    freq.forEach((x, i) => {
      f.push(x);
      re.push(z.re[i]!);
      im.push(-z.im[i]!);
      cyc.push(k);
    });
  });
  const cols: Record<string, { units: string; values: Float64Array }> = {
    freq: { units: 'Hz', values: Float64Array.from(f) },
    'Re(Z)': { units: 'Ω', values: Float64Array.from(re) },
    '-Im(Z)': { units: 'Ω', values: Float64Array.from(im) },
  };
  if (withCycleColumn) cols['cycle number'] = { units: '', values: Float64Array.from(cyc) };
  return { cols, r1 };
}

describe('EIS batch fit', () => {
  it('splits sweeps by the cycle column or by the frequency jumping back up', () => {
    expect(splitSweeps(series(true).cols).map((s) => [s.start, s.end, s.label])).toEqual([[0, 40, 0], [40, 80, 1], [80, 120, 2], [120, 160, 3], [160, 200, 4]]);
    expect(splitSweeps(series(false).cols).map((s) => s.label)).toEqual([1, 2, 3, 4, 5]);
  });

  it('recovers the growing interface resistance, with uncertainties, for every sweep', () => {
    const { cols, r1 } = series(true);
    const out = eisBatchFitAnalysis.run(cols, { circuit: 'R0-p(R1,CPE1)' });
    const fitted = Array.from(out.arrays.R1!.values);
    fitted.forEach((v, k) => expect(Math.abs(v / r1[k]! - 1)).toBeLessThan(0.01));
    expect(out.arrays.R1!.units).toBe('Ω');
    expect(Array.from(out.arrays.cycle!.values)).toEqual([0, 1, 2, 3, 4]);
    expect(out.results['R1 (last)']!.value).toBeCloseTo(2100, -1);
    expect(out.results.spectra!.value).toBe(5);
  });
});
