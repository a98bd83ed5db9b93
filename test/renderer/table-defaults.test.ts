/** A table opens on a running x and a measured y, never on an identifier column. */
import { describe, expect, it } from 'vitest';
import { defaultTableAxes } from '../../renderer/src/util/table-defaults.js';

describe('defaultTableAxes', () => {
  it('skips identifier columns for y (Arbin Channel_Statistic_Table)', () => {
    expect(defaultTableAxes(['test id', 'index', 'Vmax on cycle', 'charge time', 'discharge time'])).toEqual({ x: 'index', y: 'Vmax on cycle' });
  });
  it('prefers time against the cell voltage, frequency against Re(Z)', () => {
    expect(defaultTableAxes(['index', 'step', 'time', 'I', 'Ecell'])).toEqual({ x: 'time', y: 'Ecell' });
    expect(defaultTableAxes(['freq', 'Re(Z)', '-Im(Z)'])).toEqual({ x: 'freq', y: 'Re(Z)' });
  });
  it('falls back to the first columns, and to nothing for an empty table', () => {
    expect(defaultTableAxes(['a', 'b'])).toEqual({ x: 'a', y: 'b' });
    expect(defaultTableAxes(['id', 'record'])).toEqual({ x: 'id', y: 'record' });
    expect(defaultTableAxes([])).toEqual({ x: '', y: '' });
  });
});
