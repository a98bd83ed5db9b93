import { describe, expect, it } from 'vitest';
import { asTable, leafText, searchTree } from '../../renderer/src/util/meta-tree.js';

const tree = {
  ImageList: [{ ImageData: { Calibrations: { Dimension: [{ Scale: 0.025, Units: 'nm' }, { Scale: 0.025, Units: 'nm' }] } }, Name: 'Lamella A' }],
  settings: { technique: 'GCPL', techniqueParams: { Ns: [0, 1, 2], 'Is': [0, 30, -30], 'unit Is': ['mA', 'µA', 'µA'], 'EM (V)': ['pass', 4.5, 3] } },
};

describe('original metadata browsing', () => {
  it('finds leaves by path or value, with array indexes in the path', () => {
    expect(searchTree(tree, 'units').matches).toEqual([
      { path: 'ImageList[0].ImageData.Calibrations.Dimension[0].Units', value: 'nm' },
      { path: 'ImageList[0].ImageData.Calibrations.Dimension[1].Units', value: 'nm' },
    ]);
    expect(searchTree(tree, 'lamella').matches).toEqual([{ path: 'ImageList[0].Name', value: 'Lamella A' }]);
    expect(searchTree(tree, '').matches).toEqual([]);
    const capped = searchTree(tree, 'i', 2);
    expect(capped.matches).toHaveLength(2);
    expect(capped.more).toBe(true);
  });

  it('recognises parameter tables (equal-length arrays of plain values) and nothing else', () => {
    expect(asTable(tree.settings.techniqueParams)).toEqual({ names: ['Ns', 'Is', 'unit Is', 'EM (V)'], width: 3 });
    expect(asTable(tree.settings)).toBeNull();
    expect(asTable({ a: [1, 2], b: [1] })).toBeNull();
    expect(asTable({ a: [1, 2] })).toBeNull();
    expect(asTable([1, 2, 3])).toBeNull();
  });

  it('prints numbers to ten significant digits and null as a dash', () => {
    expect(leafText(0.1 + 0.2)).toBe('0.3');
    expect(leafText(null)).toBe('—');
    expect(leafText(42)).toBe('42');
  });
});
