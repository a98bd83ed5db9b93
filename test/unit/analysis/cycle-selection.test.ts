import { describe, expect, it } from 'vitest';
import { defaultCycles } from '../../../main/analysis/echem/cycle-selection.js';

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

describe('defaultCycles', () => {
  it('returns every cycle when there are few', () => {
    expect(defaultCycles(range(1, 7))).toEqual(range(1, 7));
  });
  it('keeps first, second and last and exactly maxShown cycles', () => {
    for (const n of [11, 12, 13, 37, 600]) {
      const pick = defaultCycles(range(1, n));
      expect(pick).toHaveLength(10);
      expect(pick.slice(0, 2)).toEqual([1, 2]);
      expect(pick[pick.length - 1]).toBe(n);
      expect(new Set(pick).size).toBe(10);
      expect([...pick].sort((a, b) => a - b)).toEqual(pick);
    }
  });
  it('spreads picks over a long test', () => {
    const pick = defaultCycles(range(1, 600));
    const gaps = pick.slice(1).map((c, i) => c - pick[i]!);
    expect(Math.max(...gaps.slice(1))).toBeLessThan(110);
  });
});
