import h5wasm from 'h5wasm/node';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { berkeleyEmdReader } from '../../../main/formats/berkeley-emd/reader.js';
import { normaliseEmdUnits } from '../../../main/formats/berkeley-emd/map-dataset.js';
import { sniffBerkeleyEmd } from '../../../main/formats/berkeley-emd/spec.js';
import { MemorySource, NodeFileSource } from '../../../main/formats/file-source.js';
import { FormatDeclined, FormatError } from '../../../main/formats/format-error.js';
import { openSource } from '../../../main/formats/registry.js';
import type { OpenedFile } from '../../../main/formats/types.js';
import { veloxEmdReader } from '../../../main/formats/velox-emd/reader.js';
import { writeBerkeleyEmd, writeVeloxEmd } from '../../fixtures/writers/emd-writer.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berkeley-emd-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const full = (shape: number[]) => ({ start: shape.map(() => 0), count: shape });
const list = (a: ArrayLike<number | bigint>): number[] => Array.from({ length: a.length }, (_, i) => Number(a[i]));

function refSlice(a: ArrayLike<number>, shape: number[], start: number[], count: number[], step?: number[]): number[] {
  const out: number[] = [];
  const st = step ?? shape.map(() => 1);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((x, y) => x * y, 1));
  const rec = (axis: number, base: number): void => {
    if (axis === shape.length) {
      out.push(a[base]!);
      return;
    }
    for (let j = 0; j < count[axis]!; j++) rec(axis + 1, base + (start[axis]! + j * st[axis]!) * strides[axis]!);
  };
  rec(0, 0);
  return out;
}

async function open(path: string): Promise<OpenedFile> {
  return berkeleyEmdReader.open(await NodeFileSource.open(path));
}

describe('berkeley-emd: EMD v0.2', () => {
  const shape = [2, 3, 4];
  const data = Float32Array.from({ length: 24 }, (_, i) => i * 0.5 - 3);
  let path: string;
  beforeAll(async () => {
    path = join(dir, 'stack.emd');
    await writeBerkeleyEmd(path, {
      data,
      shape,
      group: '/data/my stack',
      dims: [
        { name: 'Time', units: '[s]', values: [0, 0.5] },
        { name: 'y', units: 'n_m', values: [0, 0.25, 0.75] },
        { name: 'x', units: 'n_m', values: [10, 10.2, 10.4, 10.6] },
      ],
      microscope: { name: 'TEAM 0.5', 'high tension': 300000, magnification: 5.1e6, 'dwell time': 1e-6, binning: 4 },
    });
  });

  it('sniffs HDF5 for .emd/.h5', async () => {
    const head = new Uint8Array(await readFile(path)).subarray(0, 4096);
    expect(sniffBerkeleyEmd(head, 'a.emd')).toBe('yes');
    expect(sniffBerkeleyEmd(head, 'a.h5')).toBe('yes');
    expect(sniffBerkeleyEmd(head, 'a.bin')).toBe('maybe');
    expect(sniffBerkeleyEmd(new Uint8Array(16), 'a.emd')).toBe('no');
  });

  it('maps dims to axes: short form, non-uniform values, uniform vectors, EMD units', async () => {
    const f = await open(path);
    try {
      expect(f.entries).toHaveLength(1);
      const e = f.entries[0]!;
      expect(e.entry).toBe('data/my stack');
      expect(e.title).toBe('my stack');
      expect(e.kind).toBe('image-stack');
      expect(e.dtype).toBe('float32');
      expect(e.shape).toEqual(shape);
      expect(e.axes[0]).toMatchObject({ name: 'Time', units: 's', size: 2, scale: 0.5, offset: 0, navigate: true });
      expect(e.axes[1]).toMatchObject({ name: 'y', units: 'nm', size: 3, values: [0, 0.25, 0.75], navigate: false });
      expect(e.axes[1]!.scale).toBeUndefined();
      expect(e.axes[2]!.units).toBe('nm');
      expect(e.axes[2]!.scale).toBeCloseTo(0.2, 9);
      expect(e.axes[2]!.offset).toBeCloseTo(10, 9);
      expect(e.metadata).toMatchObject({ instrument: 'TEAM 0.5', beamEnergy: { value: 300, unit: 'kV' }, magnification: { value: 5.1e6, unit: '×' } });
      expect(e.metadata.extra).toMatchObject({ binning: 4, dwellTime: { value: 1e-6, unit: 's' } });
      expect((e.original.microscope as Record<string, unknown>).name).toBe('TEAM 0.5');
      expect(e.original.flavour).toBe('emd-0.2');
    } finally {
      await f.close();
    }
  });

  it('round-trips data and strided slices', async () => {
    const f = await open(path);
    try {
      const e = f.entries[0]!;
      expect(list(await f.readSlice(e.entry, full(shape)))).toEqual(list(data));
      const sel = { start: [1, 0, 1], count: [1, 2, 2], step: [1, 2, 2] };
      expect(list(await f.readSlice(e.entry, sel))).toEqual(refSlice(data, shape, sel.start, sel.count, sel.step));
      await expect(f.readSlice(e.entry, { start: [0, 0, 3], count: [1, 1, 2] })).rejects.toThrow(RangeError);
    } finally {
      await f.close();
    }
  });

  it('handles scalar dims, string-valued dims and int64 data', async () => {
    const p = join(dir, 'labels.emd');
    const d = BigInt64Array.from({ length: 6 }, (_, i) => BigInt(i * 1000));
    await writeBerkeleyEmd(p, {
      data: d,
      shape: [3, 2],
      dims: [
        { name: 'element', units: '', values: ['Mn', 'Co', 'O'] },
        { name: 'n', units: '', values: 2 },
      ],
    });
    const f = await open(p);
    try {
      const e = f.entries[0]!;
      expect(e.dtype).toBe('int64');
      expect(e.axes[0]).toMatchObject({ name: 'element', size: 3, scale: 1, offset: 0 });
      expect(e.warnings.join(' ')).toMatch(/string-valued dim \(Mn, Co, O\)/);
      expect(e.axes[1]).toMatchObject({ name: 'n', size: 2, scale: 1, offset: 0 });
      const out = await f.readSlice(e.entry, full([3, 2]));
      expect(out).toBeInstanceOf(BigInt64Array);
      expect(list(out)).toEqual(list(d));
    } finally {
      await f.close();
    }
  });
});

describe('berkeley-emd: HyperSpy-written files', () => {
  it('presents a HyperSpy-written (transposed) array in the writer\'s order, dims reversed', async () => {
    const p = join(dir, 'hyperspy.emd');
    // HyperSpy stores its [y=2, x=3] image as the transpose [3, 2] with dim1 = x, dim2 = y.
    await writeBerkeleyEmd(p, {
      data: Int32Array.from([0, 3, 1, 4, 2, 5]),
      shape: [3, 2],
      group: '/signals/hs',
      groupAttrs: { record_by: 'image', signal_type: '' },
      dims: [
        { name: 'x', units: 'n_m', values: [0, 0.5] },
        { name: 'y', units: 'n_m', values: [1, 3] },
      ],
    });
    const f = await open(p);
    try {
      const e = f.entries[0]!;
      expect(e.shape).toEqual([2, 3]);
      expect(e.axes.map((a) => [a.name, a.scale, a.offset])).toEqual([
        ['y', 2, 1],
        ['x', 0.5, 0],
      ]);
      expect(list(await f.readSlice(e.entry, full([2, 3])))).toEqual([0, 1, 2, 3, 4, 5]);
      expect(list(await f.readSlice(e.entry, { start: [1, 0], count: [1, 3], step: [1, 1] }))).toEqual([3, 4, 5]);
      expect(list(await f.readSlice(e.entry, { start: [0, 0], count: [2, 2], step: [1, 2] }))).toEqual([0, 2, 3, 5]);
      expect(e.warnings.join(' ')).toMatch(/HyperSpy/);
    } finally {
      await f.close();
    }
  });
});

describe('berkeley-emd: EMD 1.0 (py4DSTEM)', () => {
  it('reads an emd_group_type "array" datacube with zero-based dims', async () => {
    const p = join(dir, 'cube.h5');
    const data = Float32Array.from({ length: 2 * 3 * 4 * 5 }, (_, i) => Math.sin(i));
    await writeBerkeleyEmd(p, {
      flavour: 'emd-1.0',
      data,
      shape: [2, 3, 4, 5],
      dims: [
        { name: 'Rx', units: 'nm', values: [0, 0.125] },
        { name: 'Ry', units: 'nm', values: [0, 0.125] },
        { name: 'Qx', units: 'A^-1', values: [0, 0.04] },
        { name: 'Qy', units: 'A^-1', values: [0, 0.04] },
      ],
    });
    const f = await open(p);
    try {
      const e = f.entries[0]!;
      expect(e.entry).toBe('root/datacube');
      expect(e.kind).toBe('diffraction-4d');
      expect(e.axes.map((a) => [a.name, a.units, a.scale, a.navigate])).toEqual([
        ['Rx', 'nm', 0.125, true],
        ['Ry', 'nm', 0.125, true],
        ['Qx', '1/Å', 0.04, false],
        ['Qy', '1/Å', 0.04, false],
      ]);
      expect(e.original.flavour).toBe('emd-1.0');
      const one = await f.readSlice(e.entry, { start: [1, 2, 0, 0], count: [1, 1, 4, 5] });
      expect(list(one)).toEqual(refSlice(data, [2, 3, 4, 5], [1, 2, 0, 0], [1, 1, 4, 5]));
    } finally {
      await f.close();
    }
  });

  it('normalises EMD unit spellings', () => {
    expect(normaliseEmdUnits('n_m')).toBe('nm');
    expect(normaliseEmdUnits('[]')).toBe('');
    expect(normaliseEmdUnits('[n_m]')).toBe('nm');
    expect(normaliseEmdUnits('A^-1')).toBe('1/Å');
    expect(normaliseEmdUnits('nm^-1')).toBe('1/nm');
    expect(normaliseEmdUnits('eV')).toBe('eV');
  });
});

describe('berkeley-emd: declines and bad input', () => {
  it('declines a Velox EMD (the registry then picks velox-emd)', async () => {
    const p = join(dir, 'velox.emd');
    await writeVeloxEmd(p, { images: [{ data: Uint16Array.from([1, 2, 3, 4]), shape: [2, 2], detector: 'HAADF', pixelSize: { width: 1e-9, height: 1e-9 } }] });
    const src = await NodeFileSource.open(p);
    try {
      const err = await berkeleyEmdReader.open(src).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FormatDeclined);
      expect((err as FormatDeclined).reason).toMatch(/Velox/);
      const r = await openSource(src, [berkeleyEmdReader, veloxEmdReader]);
      expect(r.reader.id).toBe('velox-emd');
      expect(r.declined.map((d) => d.readerId)).toEqual(['berkeley-emd']);
      await r.file.close();
    } finally {
      await src.close();
    }
  });

  it('declines an HDF5 file without EMD groups', async () => {
    await h5wasm.ready;
    const p = join(dir, 'plain.h5');
    const f = new h5wasm.File(p, 'w');
    f.create_dataset({ name: 'x', data: Float64Array.from([1, 2]), shape: [2], dtype: '<d' });
    f.close();
    await expect(open(p)).rejects.toBeInstanceOf(FormatDeclined);
  });

  it('opens from memory and turns truncated files into FormatError', async () => {
    const p = join(dir, 'small.emd');
    await writeBerkeleyEmd(p, { data: Uint16Array.from({ length: 64 * 64 }, (_, i) => i), shape: [64, 64], dims: [{ name: 'y', units: 'n_m', values: [0, 1] }, { name: 'x', units: 'n_m', values: [0, 1] }] });
    const bytes = new Uint8Array(await readFile(p));
    const f = await berkeleyEmdReader.open(new MemorySource('small.emd', bytes));
    expect(list(await f.readSlice(f.entries[0]!.entry, { start: [63, 62], count: [1, 2] }))).toEqual([4094, 4095]);
    await f.close();
    for (const cut of [512, 2048, bytes.length - 4096]) {
      const err = await (async () => {
        const g = await berkeleyEmdReader.open(new MemorySource('small.emd', bytes.subarray(0, cut)));
        await g.readSlice(g.entries[0]!.entry, full(g.entries[0]!.shape));
        await g.close();
      })().catch((e: unknown) => e);
      expect(err instanceof FormatError || err instanceof FormatDeclined, `cut ${cut}: ${String(err)}`).toBe(true);
    }
    const first = await berkeleyEmdReader.open(new MemorySource('small.emd', bytes.subarray(0, 512))).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(FormatError);
  });
});
