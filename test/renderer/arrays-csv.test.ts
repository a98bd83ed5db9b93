import { describe, expect, it } from 'vitest';
import { arraysToCsv, csvTables, sliceArrays, type ArrayInfo } from '../../renderer/src/util/arrays-csv.js';

// As the derived file stores them: one NXdata group per array, each with its own axis copy.
const arrays: ArrayInfo[] = [
  { name: 'chargeCapacity/cycle', units: '', length: 3, axis: null },
  { name: 'chargeCapacity/chargeCapacity', units: 'mA·h', length: 3, axis: 'chargeCapacity/cycle' },
  { name: 'coulombicEfficiency/cycle', units: '', length: 3, axis: null },
  { name: 'coulombicEfficiency/coulombicEfficiency', units: '%', length: 3, axis: 'coulombicEfficiency/cycle' },
  { name: 'dqdv/voltage', units: 'V', length: 2, axis: null },
  { name: 'dqdv/dqdv', units: 'mA·h V⁻¹', length: 2, axis: 'dqdv/voltage' },
  { name: 'other/cycle', units: '', length: 3, axis: null },
  { name: 'other/retention', units: '%', length: 3, axis: 'other/cycle' },
  { name: 'orphan', units: 'x', length: 5, axis: 'coulombicEfficiency/cycle' },
];
const data = Float64Array.from([
  1, 2, 3, 0.0029, 0.00285, 0.0028,
  1, 2, 3, NaN, 99.61234567890124, 99.7,
  4.1, 4.2, 10, 20,
  // Same axis name, other values (every second cycle): its own table.
  2, 4, 6, 100, 98, 97,
  9, 9, 9, 9, 9,
]);

describe('analysis arrays → CSV', () => {
  it('joins arrays whose axes have the same name and values into one table, and skips length mismatches', () => {
    const t = csvTables(arrays, sliceArrays(arrays, data));
    expect(t.map((x) => [x.axis.name, ...x.arrays.map((a) => a.name)])).toEqual([
      ['chargeCapacity/cycle', 'chargeCapacity/chargeCapacity', 'coulombicEfficiency/coulombicEfficiency'],
      ['dqdv/voltage', 'dqdv/dqdv'],
      ['other/cycle', 'other/retention'],
    ]);
  });

  it('writes provenance comments, unit headers, full precision and empty cells for NaN', () => {
    const values = sliceArrays(arrays, data);
    const csv = arraysToCsv(csvTables(arrays, values)[0]!, values, {
      analysisId: 'echem.cycling-summary',
      analysisVersion: '1.0.0',
      appVersion: '0.1.0',
      time: '2026-11-22T05:00:00Z',
      inputs: [{ name: 'cell, "7".mpr', sha256: 'ab'.repeat(32) }],
      parameters: { convention: 'discharge/charge' },
    });
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe('# Interphase 0.1.0 · echem.cycling-summary v1.0.0 · run 2026-11-22T05:00:00Z');
    expect(lines[1]).toBe(`# input: cell, "7".mpr · sha256 ${'ab'.repeat(32)}`);
    expect(lines[2]).toBe('# parameters: {"convention":"discharge/charge"}');
    expect(lines[3]).toBe('cycle,chargeCapacity (mA·h),coulombicEfficiency (%)');
    expect(lines.slice(4, 7)).toEqual(['1,0.0029,', '2,0.00285,99.61234567890124', '3,0.0028,99.7']);
    expect(lines[7]).toBe('');
  });
});
