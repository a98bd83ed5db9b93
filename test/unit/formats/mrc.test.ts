import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySource, NodeFileSource } from '../../../main/formats/file-source.js';
import { FormatDeclined, FormatError } from '../../../main/formats/format-error.js';
import { mrcReader } from '../../../main/formats/mrc/reader.js';
import { floatToHalf, mrcFrameBytes, packNibbles, writeMrc, writeMrcToFile, type MrcWriteOptions } from '../../fixtures/writers/mrc-writer.js';
import { CountingSource } from '../../fixtures/counting-source.js';

const full = (shape: number[]) => ({ start: shape.map(() => 0), count: shape });

function list(a: ArrayLike<number | bigint>): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) out.push(Number(a[i]));
  return out;
}


async function expectFormatError(p: Promise<unknown>): Promise<FormatError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(FormatError);
    return e as FormatError;
  }
  throw new Error('expected a FormatError');
}

const open = (b: Uint8Array, name = 'a.mrc') => mrcReader.open(new MemorySource(name, b));

describe('mrc sniff', () => {
  const b = writeMrc({ nx: 4, ny: 3, nz: 1, mode: 2, data: new Float32Array(12) });
  it('MAP stamp → yes; plausible old header + extension → maybe; other bytes → no', () => {
    expect(mrcReader.sniff(b, 'x.bin')).toBe('yes');
    const old = writeMrc({ nx: 4, ny: 3, nz: 1, mode: 2, data: new Float32Array(12), mrc2014Stamps: false });
    expect(mrcReader.sniff(old, 'x.mrc')).toBe('maybe');
    expect(mrcReader.sniff(old, 'x.bin')).toBe('no');
    expect(mrcReader.sniff(new Uint8Array(1024), 'x.mrc')).toBe('no');
    expect(mrcReader.sniff(b.subarray(0, 100), 'x.mrc')).toBe('no');
    expect(mrcReader.extensions).toContain('mrcs');
  });
});

describe('mrc round trips', () => {
  const cases: { mode: number; dtype: string; make: (n: number) => ArrayBufferView; expect: (i: number) => number }[] = [
    { mode: 0, dtype: 'int8', make: (n) => Int8Array.from({ length: n }, (_, i) => (i % 200) - 100), expect: (i) => (i % 200) - 100 },
    { mode: 1, dtype: 'int16', make: (n) => Int16Array.from({ length: n }, (_, i) => i * 7 - 300), expect: (i) => i * 7 - 300 },
    { mode: 2, dtype: 'float32', make: (n) => Float32Array.from({ length: n }, (_, i) => i * 0.25 - 3), expect: (i) => i * 0.25 - 3 },
    { mode: 6, dtype: 'uint16', make: (n) => Uint16Array.from({ length: n }, (_, i) => i * 13 + 60000 - 20000), expect: (i) => i * 13 + 40000 },
    { mode: 12, dtype: 'float32', make: (n) => Uint16Array.from({ length: n }, (_, i) => floatToHalf(i * 0.5 - 8)), expect: (i) => i * 0.5 - 8 },
  ];
  for (const c of cases) {
    for (const le of [true, false]) {
      it(`mode ${c.mode} (${c.dtype}), ${le ? 'little' : 'big'}-endian: values, sub-boxes and steps`, async () => {
        const [nx, ny, nz] = [7, 5, 3];
        const f = await open(writeMrc({ nx, ny, nz, mode: c.mode, littleEndian: le, data: c.make(nx * ny * nz), pixelSizeA: [1.5, 1.5, 1.5] }));
        const e = f.entries[0]!;
        expect(e.dtype).toBe(c.dtype);
        expect(e.kind).toBe('image-stack');
        expect(e.shape).toEqual([nz, ny, nx]);
        const all = list(await f.readSlice('data', full(e.shape)));
        expect(all).toEqual(Array.from({ length: nx * ny * nz }, (_, i) => c.expect(i)));
        const box = list(await f.readSlice('data', { start: [1, 2, 3], count: [2, 2, 3] }));
        const want: number[] = [];
        for (const z of [1, 2]) for (const y of [2, 3]) for (const x of [3, 4, 5]) want.push(c.expect(z * 35 + y * 7 + x));
        expect(box).toEqual(want);
        const stepped = list(await f.readSlice('data', { start: [0, 0, 1], count: [2, 3, 3], step: [2, 2, 2] }));
        const ws: number[] = [];
        for (const z of [0, 2]) for (const y of [0, 2, 4]) for (const x of [1, 3, 5]) ws.push(c.expect(z * 35 + y * 7 + x));
        expect(stepped).toEqual(ws);
      });
    }
  }

  it('complex modes 3 (int16 pairs, widened) and 4 come back interleaved re, im', async () => {
    const c3 = Int16Array.from([1, -1, 2, -2, 3, -3, 4, -4]);
    const f3 = await open(writeMrc({ nx: 2, ny: 2, nz: 1, mode: 3, data: c3, littleEndian: false }));
    expect(f3.entries[0]!.dtype).toBe('complex64');
    const r3 = await f3.readSlice('data', full([2, 2]));
    expect(r3).toBeInstanceOf(Float32Array);
    expect(list(r3)).toEqual([1, -1, 2, -2, 3, -3, 4, -4]);
    expect(list(await f3.readSlice('data', { start: [1, 1], count: [1, 1] }))).toEqual([4, -4]);
    const c4 = Float32Array.from([0.5, 1.5, 2.5, 3.5]);
    const f4 = await open(writeMrc({ nx: 2, ny: 1, nz: 1, mode: 4, data: c4 }));
    expect(list(await f4.readSlice('data', full([1, 2])))).toEqual([0.5, 1.5, 2.5, 3.5]);
  });

  it('mode 101 (4-bit packed, odd rows padded) unpacks low nibble first', async () => {
    const [nx, ny, nz] = [5, 3, 2];
    const vals = Array.from({ length: nx * ny * nz }, (_, i) => (i * 7) % 16);
    const f = await open(writeMrc({ nx, ny, nz, mode: 101, data: packNibbles(vals, nx, ny * nz) }));
    const e = f.entries[0]!;
    expect(e.dtype).toBe('uint8');
    expect(list(await f.readSlice('data', full(e.shape)))).toEqual(vals);
    const want: number[] = [];
    for (const y of [1, 2]) for (const x of [1, 2, 3]) want.push(vals[15 + y * 5 + x]!);
    expect(list(await f.readSlice('data', { start: [1, 1, 1], count: [1, 2, 3] }))).toEqual(want);
  });

  it('IMOD mode 0 without the signed flag is uint8', async () => {
    const f = await open(writeMrc({ nx: 2, ny: 1, nz: 1, mode: 0, data: Uint8Array.from([200, 7]), imod: { flags: 0 } }));
    expect(f.entries[0]!.dtype).toBe('uint8');
    expect(list(await f.readSlice('data', full([1, 2])))).toEqual([200, 7]);
    const g = await open(writeMrc({ nx: 2, ny: 1, nz: 1, mode: 0, data: Uint8Array.from([200, 7]), imod: { flags: 1 } }));
    expect(list(await g.readSlice('data', full([1, 2])))).toEqual([-56, 7]);
  });

  it('single image, pixel size Å → nm, extended header skipped, labels kept', async () => {
    const ext = new Uint8Array(256).fill(0xee);
    const f = await open(writeMrc({ nx: 3, ny: 2, nz: 1, mode: 1, data: Int16Array.from([1, 2, 3, 4, 5, 6]), pixelSizeA: [0.82, 0.8, 1], extendedHeader: ext, exttyp: 'FEI1', labels: ['EPU 3.0 movie'] }));
    const e = f.entries[0]!;
    expect(e.kind).toBe('image');
    expect(e.shape).toEqual([2, 3]);
    expect(e.axes.map((a) => a.name)).toEqual(['y', 'x']);
    expect(e.axes[1]!.units).toBe('nm');
    expect(e.axes[1]!.scale).toBeCloseTo(0.082, 6);
    expect(e.axes[0]!.scale).toBeCloseTo(0.08, 6);
    expect((e.original.header as any).exttyp).toBe('FEI1');
    expect((e.original.header as any).nsymbt).toBe(256);
    expect(e.original.labels).toEqual(['EPU 3.0 movie']);
    expect(list(await f.readSlice('data', full(e.shape)))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('a volume (ISPG 1) has a calibrated z axis; a stack (ISPG 0) has frames; uncalibrated files warn', async () => {
    const vol = await open(writeMrc({ nx: 2, ny: 2, nz: 4, mode: 2, ispg: 1, data: new Float32Array(16), pixelSizeA: [2, 2, 3] }));
    expect(vol.entries[0]!.axes[0]).toMatchObject({ name: 'z', units: 'nm', size: 4, navigate: true });
    expect(vol.entries[0]!.axes[0]!.scale).toBeCloseTo(0.3, 6);
    const st = await open(writeMrc({ nx: 2, ny: 2, nz: 4, mode: 2, data: new Float32Array(16) }), 'movie.mrcs');
    const e = st.entries[0]!;
    expect(e.axes[0]).toMatchObject({ name: 'frame', units: '', size: 4, navigate: true });
    expect(e.axes[2]).toMatchObject({ units: '', scale: 1 });
    expect(e.metadata.frameCount).toBe(4);
    expect(e.warnings.join(' ')).toMatch(/no pixel size/);
  });

  it('a file without MRC2014 stamps gets its byte order from the header words', async () => {
    const f = await open(writeMrc({ nx: 3, ny: 1, nz: 1, mode: 1, littleEndian: false, mrc2014Stamps: false, data: Int16Array.from([-1, 2, 300]) }));
    expect(list(await f.readSlice('data', full([1, 3])))).toEqual([-1, 2, 300]);
    expect(f.entries[0]!.warnings.join(' ')).toMatch(/big-endian/);
  });
});

describe('mrc lazy frame reads', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mrc-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reading frame 200 of a 400-frame streamed movie reads only that frame', async () => {
    const path = join(dir, 'movie.mrcs');
    const [nx, ny, nz] = [64, 48, 400];
    await writeMrcToFile(path, { nx, ny, nz, mode: 6, pixelSizeA: [1.1, 1.1, 1], frame: (i) => Uint16Array.from({ length: nx * ny }, (_, k) => (i * 31 + k) & 0xffff) });
    const src = new CountingSource(await NodeFileSource.open(path));
    const f = await mrcReader.open(src);
    expect(src.bytesRead).toBe(1024);
    src.reads = [];
    const frame = await f.readSlice('data', { start: [200, 0, 0], count: [1, ny, nx] });
    expect(src.reads).toEqual([{ offset: 1024 + 200 * nx * ny * 2, length: nx * ny * 2 }]);
    expect(frame).toBeInstanceOf(Uint16Array);
    expect(list(frame.subarray(0, 3))).toEqual([6200, 6201, 6202]);
    src.reads = [];
    await f.readSlice('data', { start: [399, 10, 5], count: [1, 2, 4] });
    expect(src.bytesRead).toBeLessThanOrEqual(mrcFrameBytes({ nx, ny, mode: 6 }));
    await f.close();
  });
});

describe('mrc bad input', () => {
  const good = (o: Partial<MrcWriteOptions> = {}) => writeMrc({ nx: 8, ny: 8, nz: 2, mode: 2, data: new Float32Array(128), ...o } as MrcWriteOptions & { data: ArrayBufferView });

  it('declines tiny or implausible files', async () => {
    await expect(open(new Uint8Array(8))).rejects.toBeInstanceOf(FormatDeclined);
    await expect(open(new Uint8Array(2048))).rejects.toBeInstanceOf(FormatDeclined);
  });

  it('every truncation is a FormatError, never another exception', async () => {
    const b = good();
    for (const cut of [100, 1023, 1024, 1500, b.length - 1]) {
      const e = await expectFormatError(open(b.subarray(0, cut)));
      expect(e.offset).not.toBeNull();
    }
  });

  it('inflated sizes, NSYMBT and mode fail before allocating, with offsets', async () => {
    let e = await expectFormatError(open(good({ rawWords: { 0: 1 << 30, 1: 1 << 30 } })));
    expect(e.offset).toBe(1024);
    e = await expectFormatError(open(good({ rawWords: { 23: 0x7fffffff } })));
    expect(e.offset).toBe(92);
    e = await expectFormatError(open(good({ rawWords: { 23: -5 } })));
    expect(e.offset).toBe(92);
    e = await expectFormatError(open(good({ rawWords: { 3: 9 } })));
    expect(e.offset).toBe(12);
    e = await expectFormatError(open(good({ rawWords: { 2: 0 } })));
    expect(e.offset).toBe(8);
    expect(e.readerId).toBe('mrc');
  });

  it('out-of-range selections are RangeErrors', async () => {
    const f = await open(good());
    await expect(f.readSlice('data', { start: [2, 0, 0], count: [1, 1, 1] })).rejects.toBeInstanceOf(RangeError);
    await expect(f.readSlice('nope', { start: [0, 0, 0], count: [1, 1, 1] })).rejects.toBeInstanceOf(RangeError);
  });
});

describe('mrc bounded mutations', () => {
  it('300 seeded header mutations give data or a FormatError/FormatDeclined, never another exception', async () => {
    const base = writeMrc({ nx: 6, ny: 4, nz: 3, mode: 1, data: new Int16Array(72), extendedHeader: new Uint8Array(64), pixelSizeA: [1, 1, 1] });
    let seed = 777;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    for (let k = 0; k < 300; k++) {
      const b = base.slice();
      for (let m = 0; m < 1 + rnd(4); m++) b[rnd(1024)] = rnd(256);
      try {
        const f = await open(b);
        const e = f.entries[0]!;
        await f.readSlice('data', full(e.shape));
      } catch (e) {
        if (!(e instanceof FormatError) && !(e instanceof FormatDeclined)) throw new Error(`mutation ${k}: ${(e as Error).stack}`);
      }
    }
  });
});
