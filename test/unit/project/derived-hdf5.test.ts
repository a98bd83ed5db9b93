import { execFileSync, spawnSync } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Provenance } from '../../../main/api/project-types.js';
import { readDerived, writeDerived, type DerivedContent } from '../../../main/project/derived-hdf5.js';
import { makeTempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await makeTempDir('hdf5')));
afterEach(() => cleanup());

const provenance: Provenance = {
  analysisId: 'eels.white-line-ratio',
  analysisVersion: '1.0.0',
  appVersion: '0.1.0',
  inputs: [{ datasetId: 'ds1', sha256: 'c'.repeat(64) }],
  parameters: { l3Window: [640, 648], l2Window: [651, 660] },
  time: '2025-03-01T12:00:00.000Z',
};

/** Mn L3/L2 ratio profile across the interface (DESIGN.md: 3.85 / 2.6 / 2.0 for Mn2+/3+/4+), plus a 2-D map. */
function content(): DerivedContent {
  const ratio = new Float64Array([3.85, 3.1, 2.6, 2.3, 2.0, 2.0]);
  const position = new Float64Array([0, 2, 4, 6, 8, 10]);
  const map = new Float32Array(12).map((_, i) => i * 0.5);
  return {
    title: 'Mn L3/L2 across the LNMO/LiPON interface',
    appVersion: '0.1.0',
    provenance,
    groups: [
      {
        name: 'ratio_profile',
        signal: { name: 'ratio', data: ratio, units: '', longName: 'L3/L2 ratio', errors: new Float64Array(6).fill(0.05) },
        axes: [{ name: 'position', data: position, units: 'nm' }],
      },
      {
        name: 'grain_map',
        signal: { name: 'grain_size', data: map, shape: [3, 4], units: 'nm' },
        axes: [{ name: 'y', data: new Float64Array([0, 10, 20]), units: 'nm' }, null],
        auxiliary: [{ name: 'phase_id', data: new Int32Array(12).fill(2), shape: [3, 4], units: '' }],
      },
    ],
  };
}

describe('writeDerived / readDerived', () => {
  it('round-trips values, units and NeXus attributes', async () => {
    const path = join(dir, 'a1.h5');
    await writeDerived(path, content());
    expect(await readdir(dir)).toEqual(['a1.h5']); // temp file renamed away
    const r = await readDerived(path);
    expect(r.rootAttrs).toMatchObject({ NX_class: 'NXroot', default: 'entry', creator: 'Interphase', file_name: 'a1.h5' });
    expect(r.entryAttrs).toMatchObject({ NX_class: 'NXentry', default: 'ratio_profile' });
    expect(r.title).toBe('Mn L3/L2 across the LNMO/LiPON interface');
    expect(r.provenance).toEqual(provenance);
    const [profile, map] = r.groups.sort((a, b) => (a.name === 'ratio_profile' ? -1 : b.name === 'ratio_profile' ? 1 : 0));
    expect(profile!.attrs).toMatchObject({ NX_class: 'NXdata', signal: 'ratio', axes: ['position'], position_indices: 0 });
    expect(Array.from(profile!.fields.ratio!.data as Float64Array)).toEqual([3.85, 3.1, 2.6, 2.3, 2.0, 2.0]);
    expect(profile!.fields.ratio!.attrs).toMatchObject({ units: '', long_name: 'L3/L2 ratio' });
    expect(profile!.fields.position!.attrs.units).toBe('nm');
    expect(Array.from(profile!.fields.ratio_errors!.data as Float64Array)).toEqual(new Array(6).fill(0.05));
    expect(map!.attrs).toMatchObject({ signal: 'grain_size', axes: ['y', '.'], y_indices: 0 });
    expect(map!.fields.grain_size!.shape).toEqual([3, 4]);
    expect(map!.fields.grain_size!.data).toBeInstanceOf(Float32Array);
    expect((map!.fields.grain_size!.data as Float32Array)[11]).toBe(5.5);
    expect(Array.from(map!.fields.phase_id!.data as Int32Array)).toEqual(new Array(12).fill(2));
  });

  it('replaces an existing file atomically', async () => {
    const path = join(dir, 'a1.h5');
    await writeDerived(path, content());
    const c = content();
    c.title = 'second';
    await writeDerived(path, c);
    expect((await readDerived(path)).title).toBe('second');
    expect(await readdir(dir)).toEqual(['a1.h5']);
  });

  it('refuses inconsistent content before touching the disk', async () => {
    const path = join(dir, 'bad.h5');
    const wrongShape = content();
    wrongShape.groups[0]!.signal.shape = [5];
    await expect(writeDerived(path, wrongShape)).rejects.toMatchObject({ code: 'bad-request', message: expect.stringMatching(/needs 5 values, got 6/) });
    const wrongAxis = content();
    wrongAxis.groups[0]!.axes = [{ name: 'position', data: new Float64Array(3), units: 'nm' }];
    await expect(writeDerived(path, wrongAxis)).rejects.toThrow(/must be 1-D of length 6/);
    const badName = content();
    badName.groups[0]!.name = '../evil';
    await expect(writeDerived(path, badName)).rejects.toThrow(/invalid group name/);
    expect(await readdir(dir)).toEqual([]);
  });

  // h5py is the reference reader scientists will use (DESIGN.md: "h5py and H5Web open them").
  // The first python3 with h5py: a pyenv/venv python3 on PATH may lack it while Debian's has it.
  const python = ['python3', '/usr/bin/python3'].find((py) => spawnSync(py, ['-c', 'import h5py'], { stdio: 'ignore' }).status === 0);
  const hasH5py = python !== undefined;
  if (!hasH5py) console.warn('derived-hdf5: python3 with h5py not available; skipping the h5py interoperability test (apt-get install python3-h5py)');
  it.skipIf(!hasH5py)('opens in h5py with values, units and NXdata attributes', async () => {
    const path = join(dir, 'a1.h5');
    await writeDerived(path, content());
    const script = `
import h5py, json, sys
def s(x): return x.decode() if isinstance(x, bytes) else str(x)
with h5py.File(sys.argv[1], 'r') as f:
    g = f['entry/ratio_profile']
    m = f['entry/grain_map']
    print(json.dumps({
        'root': s(f.attrs['NX_class']),
        'default': s(f.attrs['default']),
        'signal': s(g.attrs['signal']),
        'axes': [s(a) for a in g.attrs['axes']],
        'ratio': g['ratio'][()].tolist(),
        'units': s(g['position'].attrs['units']),
        'position': g['position'][()].tolist(),
        'map_shape': list(m['grain_size'].shape),
        'map_dtype': str(m['grain_size'].dtype),
        'map_axes': [s(a) for a in m.attrs['axes']],
        'provenance': json.loads(s(f['entry/process/provenance/data'][()])),
        'note_class': s(f['entry/process/provenance'].attrs['NX_class']),
    }))
`;
    const out = JSON.parse(execFileSync(python!, ['-c', script, path], { encoding: 'utf8' }));
    expect(out).toEqual({
      root: 'NXroot',
      default: 'entry',
      signal: 'ratio',
      axes: ['position'],
      ratio: [3.85, 3.1, 2.6, 2.3, 2.0, 2.0],
      units: 'nm',
      position: [0, 2, 4, 6, 8, 10],
      map_shape: [3, 4],
      map_dtype: 'float32',
      map_axes: ['y', '.'],
      provenance,
      note_class: 'NXnote',
    });
  });
});
