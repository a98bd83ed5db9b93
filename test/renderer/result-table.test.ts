/** Fit results read as a parameter table, a correlation matrix and flags on undetermined values. */
import { describe, expect, it } from 'vitest';
import { arrangeResults } from '../../renderer/src/util/result-table.js';

describe('arrangeResults', () => {
  const results = {
    R0: { value: 0.0159, unit: 'Ω', uncertainty: 3.5e-4 },
    Wo1_0: { value: 0.141, unit: 'Ω', uncertainty: 1.4 },
    Wo1_1: { value: 1267, unit: 's', uncertainty: 25000 },
    chiSquare: { value: 0.917, unit: '' },
    'corr(R0,Wo1_0)': { value: -0.0054, unit: '' },
    'corr(R0,Wo1_1)': { value: -0.0053, unit: '' },
    'corr(Wo1_0,Wo1_1)': { value: 0.99997, unit: '' },
  };

  it('takes the correlations out of the rows into a lower-triangle matrix in parameter order', () => {
    const { rows, correlation } = arrangeResults(results);
    expect(rows.map((r) => r.key)).toEqual(['R0', 'Wo1_0', 'Wo1_1', 'chiSquare']);
    expect(correlation!.names).toEqual(['R0', 'Wo1_0', 'Wo1_1']);
    expect(correlation!.rows).toEqual([[], [-0.0054], [-0.0053, 0.99997]]);
  });

  it('flags a parameter whose standard error is as large as its value', () => {
    const flags = Object.fromEntries(arrangeResults(results).rows.map((r) => [r.key, r.undetermined]));
    expect(flags).toEqual({ R0: false, Wo1_0: true, Wo1_1: true, chiSquare: false });
  });

  it('leaves results without correlations as they are', () => {
    const { rows, correlation } = arrangeResults({ cycleCount: { value: 6, unit: '' } });
    expect(correlation).toBeNull();
    expect(rows).toEqual([{ key: 'cycleCount', q: { value: 6, unit: '' }, undetermined: false }]);
  });
});
