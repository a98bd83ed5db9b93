import { describe, expect, it } from 'vitest';
import { plotsFor } from '../../renderer/src/plots/registry.js';
import type { Dataset } from '../../main/api/dataset.js';

function ds(over: Partial<Dataset>): Dataset {
  return {
    id: 'd', entry: 'e', kind: 'table', title: '', dtype: 'float64', shape: [10], axes: [], metadata: {}, original: {}, warnings: [],
    source: { sha256: '0', fileName: 'f', size: 1, readerId: 'r', readerVersion: '1', entry: 'e' },
    ...over,
  };
}
const col = (name: string, units = '') => ({ name, units, dtype: 'float64' as const });

describe('plot registry', () => {
  it('opens impedance tables on Nyquist/Bode even though they also have Ewe and I', () => {
    const d = ds({ columns: [col('freq', 'Hz'), col('Re(Z)', 'Ω'), col('-Im(Z)', 'Ω'), col('Ewe', 'V'), col('I', 'mA')] });
    expect(plotsFor(d).map((p) => p.id)).toEqual(['impedance', 'voltage-capacity', 'dqdv', 'table']);
  });
  it('offers voltage–capacity for cycling tables and the column plot for any table', () => {
    expect(plotsFor(ds({ columns: [col('time', 's'), col('Ewe', 'V'), col('I', 'mA')] })).map((p) => p.id)).toEqual(['voltage-capacity', 'dqdv', 'table']);
    expect(plotsFor(ds({ columns: [col('a'), col('b')] })).map((p) => p.id)).toEqual(['table']);
    // Cycler exports call the voltage Ecell.
    expect(plotsFor(ds({ columns: [col('time', 's'), col('Ecell', 'V'), col('I', 'A')] })).map((p) => p.id)).toEqual(['voltage-capacity', 'dqdv', 'table']);
  });
  it('shows images, spectra and spectrum images with their viewers', () => {
    expect(plotsFor(ds({ kind: 'image', shape: [4, 4] }))[0]!.id).toBe('image');
    expect(plotsFor(ds({ kind: 'spectrum', shape: [2048] }))[0]!.id).toBe('spectrum');
    expect(plotsFor(ds({ kind: 'spectrum-image', shape: [3, 3, 670] }))[0]!.id).toBe('spectrum');
    expect(plotsFor(ds({ kind: 'other', shape: [2, 2, 2, 2, 2] }))).toEqual([]);
  });
});

describe('cyclic voltammetry files', () => {
  it('open on the I–E plot', () => {
    const d = ds({ columns: [col('time', 's'), col('Ewe', 'V'), col('<I>', 'mA'), col('cycle number')], metadata: { technique: 'Cyclic Voltammetry' } });
    expect(plotsFor(d)[0]!.id).toBe('cv');
  });
});
