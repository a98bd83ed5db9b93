/** Overlays of many cycles are drawn as a few colour groups, with a point budget shared by all. */
import { describe, expect, it } from 'vitest';
import type { CycleCurvesMeta } from '../../main/api/contract.js';
import { COLOUR_GROUPS, cycleSeries, MANY_CYCLES, pointsPerSegment } from '../../renderer/src/plots/cycle-series.js';

function overlay(cycles: number, pts = 3): { m: CycleCurvesMeta; data: Float64Array } {
  const segments: CycleCurvesMeta['segments'] = [];
  for (let c = 1; c <= cycles; c++) for (const direction of ['charge', 'discharge'] as const) segments.push({ cycle: c, direction, offset: segments.length * pts, length: pts });
  const n = segments.length * pts;
  const data = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    data[i] = i; // capacity
    data[n + i] = 3 + i / n; // voltage
  }
  return { m: { datasetId: 'd', capacityUnit: 'mA·h', voltageUnit: 'V', segments, cycles: [], pointsInView: n, pointsShown: n, capacitySource: '(Q-Qo)' }, data };
}

describe('cycleSeries', () => {
  it('gives each half cycle its own series up to MANY_CYCLES cycles', () => {
    const { m, data } = overlay(MANY_CYCLES);
    const s = cycleSeries(m, data, 2);
    expect(s).toHaveLength(2 * MANY_CYCLES);
    expect(s[2]).toMatchObject({ name: 'cycle 2', shade: 1 / (MANY_CYCLES - 1) });
    expect(s[2]!.data[0]).toEqual([12, 3 + 6 / (2 * MANY_CYCLES * 3)]);
    // dQ/dV scales y (µA·h V⁻¹), not x.
    expect(cycleSeries(m, data, 1, 1000)[2]!.data[0]).toEqual([6, (3 + 6 / (2 * MANY_CYCLES * 3)) * 1000]);
  });

  it('draws 1000 cycles as COLOUR_GROUPS series of neighbouring cycles, every point kept, half cycles separated', () => {
    const { m, data } = overlay(1000, 2);
    const s = cycleSeries(m, data, 1);
    expect(s).toHaveLength(COLOUR_GROUPS);
    expect(s[0]!.name).toBe('cycles 1–21');
    expect(s[COLOUR_GROUPS - 1]!.name).toMatch(/–1000$/);
    expect(s.map((x) => x.shade)).toEqual(Array.from({ length: COLOUR_GROUPS }, (_, g) => g / (COLOUR_GROUPS - 1)));
    const real = s.reduce((n, x) => n + x.data.filter(([a]) => !Number.isNaN(a)).length, 0);
    const breaks = s.reduce((n, x) => n + x.data.filter(([a]) => Number.isNaN(a)).length, 0);
    expect(real).toBe(4000);
    expect(breaks).toBe(2000 - COLOUR_GROUPS);
  });

  it('shares a point budget among the half cycles asked for', () => {
    expect(pointsPerSegment(undefined)).toBe(1500);
    expect(pointsPerSegment([1, 2, 600])).toBe(1500);
    expect(pointsPerSegment(Array.from({ length: 1000 }, (_, i) => i + 1))).toBe(150);
    expect(pointsPerSegment(Array.from({ length: 5000 }, (_, i) => i + 1))).toBe(100);
  });
});
