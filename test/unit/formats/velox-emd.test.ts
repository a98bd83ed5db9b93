import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySource, NodeFileSource } from '../../../main/formats/file-source.js';
import { FormatDeclined, FormatError } from '../../../main/formats/format-error.js';
import { berkeleyEmdReader } from '../../../main/formats/berkeley-emd/reader.js';
import { openSource } from '../../../main/formats/registry.js';
import { veloxEmdReader } from '../../../main/formats/velox-emd/reader.js';
import { sniffVeloxEmd } from '../../../main/formats/velox-emd/spec.js';
import type { OpenedFile } from '../../../main/formats/types.js';
import { writeBerkeleyEmd, writeVeloxEmd, type VeloxStreamSpec } from '../../fixtures/writers/emd-writer.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'velox-emd-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const full = (shape: number[]) => ({ start: shape.map(() => 0), count: shape });

function list(a: ArrayLike<number | bigint>): number[] {
  return Array.from({ length: a.length }, (_, i) => Number(a[i]));
}

/** Reference C-order slice of a flat array. */
function refSlice(a: ArrayLike<number>, shape: number[], start: number[], count: number[], step?: number[], comp = 1): number[] {
  const out: number[] = [];
  const st = step ?? shape.map(() => 1);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((x, y) => x * y, 1));
  const rec = (axis: number, base: number): void => {
    if (axis === shape.length) {
      for (let c = 0; c < comp; c++) out.push(a[base * comp + c]!);
      return;
    }
    for (let j = 0; j < count[axis]!; j++) rec(axis + 1, base + (start[axis]! + j * st[axis]!) * strides[axis]!);
  };
  rec(0, 0);
  return out;
}

async function open(path: string): Promise<OpenedFile> {
  return veloxEmdReader.open(await NodeFileSource.open(path));
}

const COMMON = {
  Instrument: { InstrumentClass: 'Talos', InstrumentModel: 'Talos F200X', InstrumentId: '1234' },
  Acquisition: { AcquisitionStartDatetime: { DateTime: '1600000000' } },
  Optics: { AccelerationVoltage: '200000', CameraLength: '0.098', NominalMagnification: '0' },
  CustomProperties: { StemMagnification: { type: 'bool', value: '40000' } },
  Scan: { DwellTime: '2e-06', FrameTime: '0.5' },
  Stage: { AlphaTilt: '0.1', BetaTilt: '0' },
};

describe('velox-emd: images', () => {
  const shape = [3, 4, 5];
  const data = Uint16Array.from({ length: 60 }, (_, i) => i * 7 + 1);
  let path: string;
  beforeAll(async () => {
    path = join(dir, 'stack.emd');
    await writeVeloxEmd(path, {
      common: COMMON,
      images: [
        { data, shape, detector: 'HAADF', pixelSize: { width: 2e-10, height: 3e-10 }, offset: { x: -1e-9, y: 2e-9 } },
        { data: Float32Array.from({ length: 20 }, (_, i) => i / 2), shape: [4, 5], detector: 'BF', pixelSize: { width: 2e-10, height: 2e-10 } },
      ],
    });
  });

  it('sniffs HDF5 and names .emd', async () => {
    const head = new Uint8Array(await readFile(path)).subarray(0, 4096);
    expect(sniffVeloxEmd(head, 'x.emd')).toBe('yes');
    expect(sniffVeloxEmd(head, 'x.h5')).toBe('maybe');
    expect(sniffVeloxEmd(new Uint8Array(64), 'x.emd')).toBe('no');
  });

  it('maps a stack to [frames, y, x] with calibrated axes and normalised metadata', async () => {
    const f = await open(path);
    try {
      expect(f.entries.map((e) => e.title)).toEqual(['HAADF', 'BF']);
      const e = f.entries[0]!;
      expect(e.kind).toBe('image-stack');
      expect(e.dtype).toBe('uint16');
      expect(e.shape).toEqual([3, 4, 5]);
      expect(e.axes.map((a) => [a.name, a.units, a.size, a.navigate])).toEqual([
        ['Time', 's', 3, true],
        ['y', 'nm', 4, false],
        ['x', 'nm', 5, false],
      ]);
      expect(e.axes[0]!.scale).toBeCloseTo(0.5, 12);
      expect(e.axes[1]!.scale).toBeCloseTo(0.3, 12);
      expect(e.axes[1]!.offset).toBeCloseTo(2, 12);
      expect(e.axes[2]!.scale).toBeCloseTo(0.2, 12);
      expect(e.axes[2]!.offset).toBeCloseTo(-1, 12);
      const m = e.metadata;
      expect(m.beamEnergy).toEqual({ value: 200, unit: 'kV' });
      expect(m.magnification).toEqual({ value: 40000, unit: '×' });
      expect(m.cameraLength!.value).toBeCloseTo(98, 9);
      expect(m.cameraLength!.unit).toBe('mm');
      expect(m.acquisitionTime).toBe('2020-09-13T12:26:40Z');
      expect(m.instrument).toBe('Talos');
      expect(m.acquisitionMode).toBe('STEM');
      expect(m.frameCount).toBe(3);
      expect(m.extra?.dwellTime).toEqual({ value: 2e-6, unit: 's' });
      expect((m.extra?.stageAlpha as { value: number }).value).toBeCloseTo(5.7296, 3);
      expect(e.entry).toMatch(/^Data\/Image\/[0-9a-f]{32}$/);
      const bf = f.entries[1]!;
      expect(bf.kind).toBe('image');
      expect(bf.shape).toEqual([4, 5]);
    } finally {
      await f.close();
    }
  });

  it('round-trips data and reads frames and strided boxes lazily', async () => {
    const f = await open(path);
    try {
      const e = f.entries[0]!;
      expect(list(await f.readSlice(e.entry, full(shape)))).toEqual(list(data));
      const frame = await f.readSlice(e.entry, { start: [1, 0, 0], count: [1, 4, 5] });
      expect(frame).toBeInstanceOf(Uint16Array);
      expect(list(frame)).toEqual(list(data.subarray(20, 40)));
      const sel = { start: [0, 1, 1], count: [2, 2, 2], step: [2, 2, 3] };
      expect(list(await f.readSlice(e.entry, sel))).toEqual(refSlice(data, shape, sel.start, sel.count, sel.step));
      const bf = await f.readSlice(f.entries[1]!.entry, { start: [3, 1], count: [1, 3] });
      expect(list(bf)).toEqual([8, 8.5, 9]);
      await expect(f.readSlice(e.entry, { start: [0, 0, 0], count: [4, 4, 5] })).rejects.toThrow(RangeError);
      await expect(f.readSlice('nope', full(shape))).rejects.toThrow(RangeError);
    } finally {
      await f.close();
    }
  });

  it('reads complex images interleaved (re, im) and flags half-plane FFTs', async () => {
    const p = join(dir, 'complex.emd');
    const re = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const im = Float32Array.from([-1, -2, -3, -4, -5, -6]);
    await writeVeloxEmd(p, {
      common: COMMON,
      images: [
        { data: re, imag: im, shape: [2, 3], detector: 'DF4', pixelSize: { width: 1e-10, height: 1e-10 } },
        { data: re, imag: im, shape: [2, 3], detector: 'HAADF', complexMembers: ['realFloatHalfEven', 'imagFloatHalfEven'], pixelSize: { width: 1e6, height: 1e6, unit: '1/m' } },
      ],
    });
    const f = await open(p);
    try {
      const [dpc, fft] = f.entries;
      expect(dpc!.dtype).toBe('complex64');
      expect(list(await f.readSlice(dpc!.entry, full([2, 3])))).toEqual([1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, -6]);
      expect(list(await f.readSlice(dpc!.entry, { start: [1, 1], count: [1, 2] }))).toEqual([5, -5, 6, -6]);
      expect(fft!.warnings.join(' ')).toMatch(/half-plane FFT/);
      expect(fft!.axes[1]!.units).toBe('1/nm');
      expect(fft!.axes[1]!.scale).toBeCloseTo(1e-3, 12);
    } finally {
      await f.close();
    }
  });

  it('opens from memory through a temp file that is removed on close', async () => {
    // Other test files run in parallel and make their own temp dirs: follow only the ones this
    // open created.
    const before = new Set((await readdir(tmpdir())).filter((n) => n.startsWith('interphase-h5-')));
    const bytes = new Uint8Array(await readFile(path));
    const f = await veloxEmdReader.open(new MemorySource('stack.emd', bytes));
    const mine = (await readdir(tmpdir())).filter((n) => n.startsWith('interphase-h5-') && !before.has(n));
    expect(mine.length).toBeGreaterThanOrEqual(1);
    expect(list(await f.readSlice(f.entries[0]!.entry, { start: [2, 3, 4], count: [1, 1, 1] }))).toEqual([data[59]!]);
    await f.close();
    const left = new Set(await readdir(tmpdir()));
    // The dir this open made is gone. (A concurrent test's dir that appeared meanwhile may stay,
    // so: fewer of the new dirs remain than appeared.)
    expect(mine.filter((n) => left.has(n)).length).toBeLessThan(mine.length);
  });
});

describe('velox-emd: spectra and the EDS spectrum stream', () => {
  const H = 3;
  const W = 4;
  const C = 16;
  const FRAMES = 2;
  // Deterministic pseudo-random events: detector d, frame k, pixel p gets (p + k + d) % 4 events.
  const makeFrames = (d: number): number[][][] =>
    Array.from({ length: FRAMES }, (_, k) => Array.from({ length: H * W }, (_, p) => Array.from({ length: (p + k + d) % 4 }, (_, j) => (p * 3 + j * 5 + d + k) % C)));
  const streams: VeloxStreamSpec[] = [0, 1].map((d) => ({ height: H, width: W, channels: C, frames: makeFrames(d), detector: `SuperXG2${d + 1}`, dispersionEv: 10, offsetEv: -250, pixelSize: 1e-9 }));
  const expected = new Uint32Array(H * W * C);
  for (const s of streams) for (const fr of s.frames) fr.forEach((events, p) => events.forEach((c) => expected[p * C + c]!++));
  let path: string;

  beforeAll(async () => {
    path = join(dir, 'si.emd');
    await writeVeloxEmd(path, {
      common: COMMON,
      images: [{ data: Uint16Array.from({ length: FRAMES * H * W }, (_, i) => i), shape: [FRAMES, H, W], detector: 'HAADF', pixelSize: { width: 1e-9, height: 1e-9 } }],
      spectra: [{ counts: Uint32Array.from({ length: C }, (_, i) => i), detector: 'SuperXG21', dispersionEv: 10, offsetEv: -250 }],
      streams,
      elementSelection: [6, 8, 29],
    });
  });

  it('lists spectra, images, then the summed EDS SI', async () => {
    const f = await open(path);
    try {
      expect(f.entries.map((e) => [e.kind, e.title])).toEqual([
        ['spectrum', 'EDS SuperXG21'],
        ['image-stack', 'HAADF'],
        ['spectrum-image', 'EDS'],
      ]);
      const sp = f.entries[0]!;
      expect(sp.shape).toEqual([C]);
      expect(sp.axes[0]).toMatchObject({ units: 'keV', scale: 0.01, offset: -0.25 });
      expect(sp.metadata.liveTime).toEqual({ value: 1.5, unit: 's' });
      expect(list(await f.readSlice(sp.entry, full([C])))).toEqual(list(Uint32Array.from({ length: C }, (_, i) => i)));
      const si = f.entries[2]!;
      expect(si.entry).toBe('Data/SpectrumStream');
      expect(si.shape).toEqual([H, W, C]);
      expect(si.dtype).toBe('uint32');
      expect(si.axes.map((a) => [a.name, a.units, a.navigate])).toEqual([
        ['y', 'nm', true],
        ['x', 'nm', true],
        ['X-ray energy', 'keV', false],
      ]);
      expect(si.metadata.extra?.elements).toBe('C, O, Cu');
      expect(si.metadata.frameCount).toBe(2);
      expect(si.metadata.dispersion).toEqual({ value: 10, unit: 'eV' });
    } finally {
      await f.close();
    }
  });

  it('decodes the stream (frames and detectors summed) in full, by rows and strided', async () => {
    const f = await open(path);
    try {
      const si = f.entries[2]!;
      expect(list(await f.readSlice(si.entry, full([H, W, C])))).toEqual(list(expected));
      const row = { start: [1, 0, 0], count: [1, W, C] };
      expect(list(await f.readSlice(si.entry, row))).toEqual(refSlice(expected, [H, W, C], row.start, row.count));
      const box = { start: [0, 1, 2], count: [2, 2, 5], step: [2, 2, 3] };
      expect(list(await f.readSlice(si.entry, box))).toEqual(refSlice(expected, [H, W, C], box.start, box.count, box.step));
      const ac = new AbortController();
      ac.abort();
      await expect(f.readSlice(si.entry, full([H, W, C]), ac.signal)).rejects.toThrow();
    } finally {
      await f.close();
    }
  });

  it('accepts a last pixel without separator', async () => {
    const p = join(dir, 'si-nosep.emd');
    await writeVeloxEmd(p, { common: COMMON, images: [], streams: [{ ...streams[0]!, frames: [streams[0]!.frames[0]!], dropLastSeparator: true }] });
    const f = await open(p);
    try {
      const want = new Uint32Array(H * W * C);
      streams[0]!.frames[0]!.forEach((ev, px) => ev.forEach((c) => want[px * C + c]!++));
      expect(list(await f.readSlice('Data/SpectrumStream', full([H, W, C])))).toEqual(list(want));
    } finally {
      await f.close();
    }
  });

  it('rejects a channel index beyond bincount with a FormatError on read', async () => {
    const p = join(dir, 'si-bad.emd');
    const bad = { ...streams[0]!, channels: 8 };
    await writeVeloxEmd(p, { common: COMMON, images: [], streams: [bad] });
    const f = await open(p);
    try {
      await expect(f.readSlice('Data/SpectrumStream', full([H, W, 8]))).rejects.toBeInstanceOf(FormatError);
    } finally {
      await f.close();
    }
  });
});

describe('velox-emd: declines and bad input', () => {
  it('declines a Berkeley EMD so the registry picks berkeley-emd', async () => {
    const p = join(dir, 'berkeley.emd');
    await writeBerkeleyEmd(p, { data: Int32Array.from([1, 2, 3]), shape: [3], dims: [{ name: 'E', units: 'eV', values: [0, 1, 2] }] });
    const src = await NodeFileSource.open(p);
    try {
      await expect(veloxEmdReader.open(src)).rejects.toBeInstanceOf(FormatDeclined);
      const r = await openSource(src, [veloxEmdReader, berkeleyEmdReader]);
      expect(r.reader.id).toBe('berkeley-emd');
      expect(r.declined.map((d) => d.readerId)).toEqual(['velox-emd']);
      await r.file.close();
    } finally {
      await src.close();
    }
  });

  it('declines bytes without an HDF5 signature', async () => {
    await expect(veloxEmdReader.open(new MemorySource('x.emd', new Uint8Array(100)))).rejects.toBeInstanceOf(FormatDeclined);
  });

  it('turns truncated and corrupted files into FormatError, never an untyped error', async () => {
    const p = join(dir, 'good.emd');
    await writeVeloxEmd(p, { common: COMMON, images: [{ data: Uint16Array.from({ length: 400 }, (_, i) => i), shape: [20, 20], detector: 'HAADF', pixelSize: { width: 1e-9, height: 1e-9 } }] });
    const bytes = new Uint8Array(await readFile(p));
    const cases: Uint8Array[] = [bytes.subarray(0, 600), bytes.subarray(0, Math.floor(bytes.length / 2)), bytes.subarray(0, bytes.length - 100)];
    // Keep the signature, scramble the superblock and the object headers behind it.
    const scrambled = bytes.slice();
    for (let i = 8; i < scrambled.length; i += 7) scrambled[i] = (scrambled[i]! * 31 + 17) & 0xff;
    cases.push(scrambled);
    for (const c of cases) {
      let err: unknown;
      try {
        const f = await veloxEmdReader.open(new MemorySource('bad.emd', c));
        // Some truncations leave the metadata readable: then the data read must fail typed.
        for (const e of f.entries) await f.readSlice(e.entry, full(e.shape));
        await f.close();
      } catch (e) {
        err = e;
      }
      if (err !== undefined) expect(err instanceof FormatError || err instanceof FormatDeclined).toBe(true);
    }
    const first = await veloxEmdReader.open(new MemorySource('bad.emd', cases[0]!)).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(FormatError);
    expect((first as FormatError).readerId).toBe('velox-emd');
    expect((first as FormatError).expected).toMatch(/HDF5/);
  });

  it('rejects malformed metadata JSON with a FormatError naming the dataset', async () => {
    const p = join(dir, 'badjson.emd');
    await writeVeloxEmd(p, { common: COMMON, images: [{ data: Uint16Array.from([1, 2, 3, 4]), shape: [2, 2], detector: 'HAADF', pixelSize: { width: 1e-9, height: 1e-9 } }] });
    const bytes = new Uint8Array(await readFile(p));
    // Break the JSON text in place ('"Core"' → '"Core\x01'): same length, the HDF5 structure intact.
    const needle = new TextEncoder().encode('"Core"');
    let at = -1;
    for (let i = 0; i < bytes.length - needle.length && at < 0; i++) if (needle.every((b, j) => bytes[i + j] === b)) at = i;
    expect(at).toBeGreaterThan(0);
    bytes[at + 5] = 1;
    await writeFile(p, bytes);
    const err = await open(p).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).expected).toMatch(/JSON.*Metadata/);
  });
});
