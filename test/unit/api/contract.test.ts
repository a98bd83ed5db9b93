import { describe, expect, it } from 'vitest';
import { ApiError, METHOD_NAMES, contract, isBinaryMethod, parseArgs } from '../../../main/api/contract.js';

describe('contract', () => {
  it('has a schema for every method and rejects junk at the boundary', () => {
    expect(METHOD_NAMES.length).toBeGreaterThan(20);
    for (const m of METHOD_NAMES) {
      expect(contract[m].args, m).toBeDefined();
      // A number where an object is expected is never valid.
      expect(() => parseArgs(m, 42), m).toThrow(ApiError);
    }
  });

  it('fills defaults and validates quantities', () => {
    const cell = parseArgs('cell.add', { name: '  LNMO  ' });
    expect(cell).toEqual({ name: 'LNMO', chemistry: '', layers: [], notes: '' });
    expect(() => parseArgs('cell.add', { name: 'x', activeArea: { value: Number.NaN, unit: 'cm²' } })).toThrow(/activeArea/);
    expect(() => parseArgs('cell.add', { name: '' })).toThrow(/name/);
  });

  it('refuses ids that could be paths and unknown keys on empty-argument methods', () => {
    expect(() => parseArgs('dataset.get', { id: '../../etc/passwd' })).toThrow(ApiError);
    expect(() => parseArgs('app.info', { extra: 1 })).toThrow(ApiError);
  });

  it('marks binary methods', () => {
    expect(isBinaryMethod('dataset.readImage')).toBe(true);
    expect(isBinaryMethod('echem.cycleCurves')).toBe(true);
    expect(isBinaryMethod('project.current')).toBe(false);
  });

  it('errors carry code, message and details', () => {
    const e = new ApiError('format-error', 'bad', { offset: 12 });
    expect(e.toJSON()).toEqual({ code: 'format-error', message: 'bad', details: { offset: 12 } });
    expect(ApiError.from(e.toJSON())).toBeInstanceOf(ApiError);
  });
});
