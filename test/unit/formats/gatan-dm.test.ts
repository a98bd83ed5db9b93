import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySource, NodeFileSource, type FileSource } from '../../../main/formats/file-source.js';
import { FormatDeclined, FormatError } from '../../../main/formats/format-error.js';
import { gatanDmReader } from '../../../main/formats/gatan-dm/reader.js';
import { parseDmDate, parseDmTime } from '../../../main/formats/gatan-dm/map-dataset.js';
import type { OpenedFile } from '../../../main/formats/types.js';
import { writeDm, writeDmToFile, type DmWriteOptions } from '../../fixtures/writers/dm-writer.js';

const full = (shape: number[]) => ({ start: shape.map(() => 0), count: shape });

async function openBytes(bytes: Uint8Array, name = 'test.dm4'): Promise<OpenedFile> {
  return gatanDmReader.open(new MemorySource(name, bytes));
}

type TA = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array;

/** Plain number list of a numeric typed array (test comparisons). */
function list(a: ArrayLike<number | bigint>): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) out.push(Number(a[i]));
  return out;
}

function ramp<T extends TA>(ctor: new (n: number) => T, n: number, f = (i: number) => i): T {
  const a = new ctor(n);
  for (let i = 0; i < n; i++) a[i] = f(i);
  return a;
}

/** Reference C-order slice of a flat array (comp components per element). */
function refSlice(a: ArrayLike<number>, shape: number[], start: number[], count: number[], comp = 1, step?: number[]): number[] {
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

async function expectFormatError(p: Promise<unknown>): Promise<FormatError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(FormatError);
    const fe = e as FormatError;
    expect(fe.readerId ?? 'gatan-dm').toBe('gatan-dm');
    return fe;
  }
  throw new Error('expected a FormatError');
}

describe('gatan-dm sniff', () => {
  const dm3 = writeDm({ version: 3, data: new Float32Array(4), shape: [2, 2], dtypeCode: 2 });
  const dm4 = writeDm({ version: 4, data: new Float32Array(4), shape: [2, 2], dtypeCode: 2 });
  it('recognises DM3 and DM4 magic, with the extension as tiebreaker', () => {
    expect(gatanDmReader.sniff(dm3.subarray(0, 4096), 'a.dm3')).toBe('yes');
    expect(gatanDmReader.sniff(dm4.subarray(0, 4096), 'a.DM4')).toBe('yes');
    expect(gatanDmReader.sniff(dm4.subarray(0, 4096), 'a.bin')).toBe('maybe');
  });
  it('rejects other versions, bad byte-order flags and short heads', () => {
    const bad = dm4.slice(0, 64);
    bad[3] = 5;
    expect(gatanDmReader.sniff(bad, 'a.dm4')).toBe('no');
    const bo = dm3.slice(0, 64);
    bo[11] = 7;
    expect(gatanDmReader.sniff(bo, 'a.dm3')).toBe('no');
    expect(gatanDmReader.sniff(dm3.subarray(0, 8), 'a.dm3')).toBe('no');
    expect(gatanDmReader.sniff(new TextEncoder().encode('%PDF-1.7 hello world....'), 'a.dm3')).toBe('no');
    expect(gatanDmReader.id).toBe('gatan-dm');
    expect(gatanDmReader.extensions).toEqual(['dm3', 'dm4']);
  });
});

describe('gatan-dm round trips through the writer', () => {
  const cases: { code: number; ctor: new (n: number) => TA; dtype: string; comp?: number }[] = [
    { code: 1, ctor: Int16Array, dtype: 'int16' },
    { code: 2, ctor: Float32Array, dtype: 'float32' },
    { code: 3, ctor: Float32Array, dtype: 'complex64', comp: 2 },
    { code: 6, ctor: Uint8Array, dtype: 'uint8' },
    { code: 7, ctor: Int32Array, dtype: 'int32' },
    { code: 9, ctor: Int8Array, dtype: 'int8' },
    { code: 10, ctor: Uint16Array, dtype: 'uint16' },
    { code: 11, ctor: Uint32Array, dtype: 'uint32' },
    { code: 12, ctor: Float64Array, dtype: 'float64' },
    { code: 13, ctor: Float64Array, dtype: 'complex128', comp: 2 },
  ];
  for (const version of [3, 4] as const) {
    for (const c of cases) {
      it(`DM${version} ${c.dtype} 2-D: shape, dtype, values and sub-rectangles`, async () => {
        const shape = [5, 7];
        const comp = c.comp ?? 1;
        const data = ramp(c.ctor, 35 * comp, (i: number) => (c.code === 9 ? (i % 200) - 100 : i * (c.code === 2 ? 0.5 : 1)));
        const f = await openBytes(writeDm({ version, data, shape, dtypeCode: c.code, title: 'ramp' }), `r.dm${version}`);
        expect(f.entries).toHaveLength(1);
        const e = f.entries[0]!;
        expect(e.dtype).toBe(c.dtype);
        expect(e.shape).toEqual(shape);
        expect(e.kind).toBe('image');
        expect(e.title).toBe('ramp');
        const all = await f.readSlice(e.entry, full(shape));
        expect(all).toBeInstanceOf(c.ctor);
        expect(list(all)).toEqual(list(data));
        const sub = await f.readSlice(e.entry, { start: [1, 2], count: [3, 4] });
        expect(list(sub)).toEqual(refSlice(data, shape, [1, 2], [3, 4], comp));
        const stepped = await f.readSlice(e.entry, { start: [0, 1], count: [3, 3], step: [2, 2] });
        expect(list(stepped)).toEqual(refSlice(data, shape, [0, 1], [3, 3], comp, [2, 2]));
        await f.close();
      });
    }
  }

  it('1-D spectrum with calibration and intensity units (DM3)', async () => {
    const data = ramp(Float32Array, 100, (i) => Math.sin(i));
    const bytes = writeDm({
      version: 3,
      data,
      shape: [100],
      dtypeCode: 2,
      title: 'EELS',
      calibrations: [{ scale: 0.25, origin: -40, units: 'eV' }],
      intensity: { scale: 2, origin: 0, units: 'counts' },
      tags: { 'Meta Data': { Format: 'Spectrum', Signal: 'EELS' } },
    });
    const f = await openBytes(bytes, 's.dm3');
    const e = f.entries[0]!;
    expect(e.kind).toBe('spectrum');
    expect(e.axes).toHaveLength(1);
    expect(e.axes[0]).toMatchObject({ name: 'Energy loss', units: 'eV', size: 100, scale: 0.25, offset: 10, navigate: false });
    expect(e.intensity).toEqual({ scale: 2, offset: 0, units: 'counts' });
    expect(list(await f.readSlice(e.entry, { start: [10], count: [5] }))).toEqual(list(data.subarray(10, 15)));
  });

  it('3-D image stack: axes in C order, frame and sub-box reads (DM4)', async () => {
    const shape = [4, 6, 8];
    const data = ramp(Uint16Array, 4 * 6 * 8);
    const f = await openBytes(
      writeDm({
        version: 4,
        data,
        shape,
        dtypeCode: 10,
        calibrations: [
          { scale: 1, origin: 0, units: 's' },
          { scale: 0.5, origin: 2, units: 'nm' },
          { scale: 0.25, origin: 0, units: 'nm' },
        ],
      }),
    );
    const e = f.entries[0]!;
    expect(e.kind).toBe('image-stack');
    expect(e.axes.map((a) => [a.name, a.size, a.scale, a.offset, a.units, a.navigate])).toEqual([
      ['z', 4, 1, 0, 's', true],
      ['y', 6, 0.5, -1, 'nm', false],
      ['x', 8, 0.25, 0, 'nm', false],
    ]);
    const frame = await f.readSlice(e.entry, { start: [2, 0, 0], count: [1, 6, 8] });
    expect(list(frame)).toEqual(list(data.subarray(96, 144)));
    const box = await f.readSlice(e.entry, { start: [1, 2, 3], count: [2, 3, 4] });
    expect(list(box)).toEqual(refSlice(data, shape, [1, 2, 3], [2, 3, 4]));
  });

  it('spectrum image is presented [y, x, E] and sliced per spectrum', async () => {
    // DM stores an SI energy-slowest: C shape [E, y, x].
    const E = 16, Y = 3, X = 4;
    const data = ramp(Float32Array, E * Y * X);
    const f = await openBytes(
      writeDm({
        version: 4,
        data,
        shape: [E, Y, X],
        dtypeCode: 2,
        calibrations: [
          { scale: 2, origin: -5, units: 'eV' },
          { scale: 0.1, origin: 0, units: 'nm' },
          { scale: 0.1, origin: 0, units: 'nm' },
        ],
        tags: { 'Meta Data': { Format: 'Spectrum image', Signal: 'EELS' } },
      }),
    );
    const e = f.entries[0]!;
    expect(e.kind).toBe('spectrum-image');
    expect(e.shape).toEqual([Y, X, E]);
    expect(e.axes.map((a) => a.navigate)).toEqual([true, true, false]);
    expect(e.axes[2]).toMatchObject({ units: 'eV', scale: 2, offset: 10, name: 'Energy loss' });
    const spec = await f.readSlice(e.entry, { start: [1, 2, 0], count: [1, 1, E] });
    expect(list(spec)).toEqual(Array.of(...Array.from({ length: E }, (_, k) => data[k * Y * X + 1 * X + 2]!)));
    const all = await f.readSlice(e.entry, full(e.shape));
    expect(all[(2 * X + 3) * E + 5]).toBe(data[5 * Y * X + 2 * X + 3]);
  });

  it('4-D data is diffraction-4d with two navigation axes; size-1 axes are dropped', async () => {
    const f = await openBytes(writeDm({ version: 4, data: ramp(Float32Array, 2 * 3 * 4 * 5), shape: [2, 3, 4, 5], dtypeCode: 2 }));
    expect(f.entries[0]!.kind).toBe('diffraction-4d');
    expect(f.entries[0]!.axes.map((a) => a.navigate)).toEqual([true, true, false, false]);
    const g = await openBytes(writeDm({ version: 3, data: ramp(Float32Array, 9), shape: [1, 9], dtypeCode: 2 }), 'x.dm3');
    expect(g.entries[0]!.kind).toBe('spectrum');
    expect(g.entries[0]!.shape).toEqual([9]);
    expect(list(await g.readSlice('image1', { start: [3], count: [2] }))).toEqual([3, 4]);
  });

  it('RGB(A) comes back as R,G,B,A bytes and bool as 0/1', async () => {
    // DM stores RGBA as a little-endian 0xAARRGGBB word: bytes B,G,R,A.
    const px = new Uint8Array([3, 2, 1, 9, 30, 20, 10, 90]);
    const f = await openBytes(writeDm({ version: 4, data: px, shape: [2], dtypeCode: 23 }));
    expect(f.entries[0]!.dtype).toBe('rgba8');
    expect(list(await f.readSlice('image1', full([2])))).toEqual([1, 2, 3, 9, 10, 20, 30, 90]);
    const b = await openBytes(writeDm({ version: 3, data: new Uint8Array([0, 1, 1, 0]), shape: [2, 2], dtypeCode: 14 }), 'b.dm3');
    expect(b.entries[0]!.dtype).toBe('bool');
    expect(list(await b.readSlice('image1', full([2, 2])))).toEqual([0, 1, 1, 0]);
  });

  it('packed-complex FFT (type 27) unpacks half-plane rows', async () => {
    // Rows of floor(nx/2)+1 complex values; full row = reversed row, then conjugates of 1..nx-H.
    const ny = 2, nx = 4, h = 3;
    const packed = new Float32Array(ny * h * 2);
    for (let r = 0; r < ny; r++) for (let j = 0; j < h; j++) {
      packed[(r * h + j) * 2] = 10 * r + j;
      packed[(r * h + j) * 2 + 1] = 100 + 10 * r + j;
    }
    const f = await openBytes(writeDm({ version: 4, data: packed, shape: [ny, nx], dtypeCode: 27 }));
    const e = f.entries[0]!;
    expect(e.dtype).toBe('complex64');
    expect(e.shape).toEqual([2, 4]);
    const all = list(await f.readSlice(e.entry, full(e.shape)));
    expect(all.slice(0, 8)).toEqual([2, 102, 1, 101, 0, 100, 1, -101]);
    expect(all.slice(8)).toEqual([12, 112, 11, 111, 10, 110, 11, -111]);
    expect(list(await f.readSlice(e.entry, { start: [1, 1], count: [1, 2] }))).toEqual([11, 111, 10, 110]);
  });

  it('big-endian files are byte-swapped', async () => {
    const data = ramp(Int32Array, 12, (i) => i * 1000003 - 5);
    const f = await openBytes(writeDm({ version: 3, data, shape: [3, 4], dtypeCode: 7, littleEndian: false, title: 'BE' }), 'be.dm3');
    expect(f.entries[0]!.title).toBe('BE');
    expect(list(await f.readSlice('image1', full([3, 4])))).toEqual(list(data));
  });

  it('normalises metadata: date/time, voltage → kV, STEM camera length, exposure', async () => {
    const f = await openBytes(
      writeDm({
        version: 4,
        data: new Uint16Array(4),
        shape: [2, 2],
        dtypeCode: 10,
        title: 'HAADF',
        acquisitionDate: '8/8/2016',
        acquisitionTime: '4:26:37 PM',
        tags: {
          DataBar: { 'Exposure Time (s)': 0.5 },
          'Microscope Info': { Voltage: 300000, Name: 'Test TEM', 'Illumination Mode': 'STEM NANOPROBE', 'Indicated Magnification': 1e6, 'STEM Camera Length': 77 },
          DigiScan: { 'Sample Time': 2 },
        },
      }),
    );
    const md = f.entries[0]!.metadata;
    expect(md.acquisitionTime).toBe('2016-08-08T16:26:37');
    expect(md.beamEnergy).toEqual({ value: 300, unit: 'kV' });
    expect(md.instrument).toBe('Test TEM');
    expect(md.acquisitionMode).toBe('STEM');
    expect(md.magnification).toEqual({ value: 1e6, unit: 'x' });
    expect(md.cameraLength).toEqual({ value: 77, unit: 'mm' });
    expect(md.exposure).toEqual({ value: 0.5, unit: 's' });
    expect(md.extra?.dwellTime).toEqual({ value: 2e-6, unit: 's' });
    expect(f.entries[0]!.original).toHaveProperty('ImageList');
    const img = (f.entries[0]!.original.ImageList as any[])[1];
    expect(img.ImageData.Data).toMatchObject({ count: 4, type: 'uint16' });
  });

  it('writes big files by frames to disk and reads them back by slice', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dm-'));
    try {
      const path = join(dir, 'stack.dm4');
      const shape = [6, 32, 48];
      await writeDmToFile(path, { version: 4, shape, dtypeCode: 10, frame: (i) => ramp(Uint16Array, 32 * 48, (k) => i * 10000 + k) });
      const src = await NodeFileSource.open(path);
      const f = await gatanDmReader.open(src);
      const e = f.entries[0]!;
      expect(e.shape).toEqual(shape);
      const px = await f.readSlice(e.entry, { start: [0, 5, 7], count: [6, 1, 1] });
      expect(list(px)).toEqual([0, 1, 2, 3, 4, 5].map((i) => i * 10000 + 5 * 48 + 7));
      await f.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('gatan-dm dates and times', () => {
  it('parses locale variants without the host locale', () => {
    expect(parseDmDate('8/8/2016')).toBe('2016-08-08');
    expect(parseDmDate('27.08.2016')).toBe('2016-08-27');
    expect(parseDmDate('27/08/2016')).toBe('2016-08-27');
    expect(parseDmDate('2016/08/27')).toBe('2016-08-27');
    expect(parseDmDate('09/11/2020')).toBe('2020-09-11');
    expect(parseDmDate('09/11/2020', new Date(Date.UTC(2020, 10, 9, 10)))).toBe('2020-11-09');
    expect(parseDmDate('not a date')).toBeUndefined();
    expect(parseDmTime('4:26:37 PM')).toBe('16:26:37');
    expect(parseDmTime('12:05:00 AM')).toBe('00:05:00');
    expect(parseDmTime('20:54:33')).toBe('20:54:33');
    expect(parseDmTime('25:00:00')).toBeUndefined();
  });
});

describe('gatan-dm bad input', () => {
  const good = (v: 3 | 4, extra: Partial<DmWriteOptions> = {}) =>
    writeDm({ version: v, data: ramp(Float32Array, 64 * 64), shape: [64, 64], dtypeCode: 2, title: 'x', ...extra });

  it('declines a file that is not DM at all', async () => {
    await expect(gatanDmReader.open(new MemorySource('a.dm3', new TextEncoder().encode('hello, this is not a DM file')))).rejects.toBeInstanceOf(FormatDeclined);
  });

  it('rejects a bad byte-order flag with its offset', async () => {
    const b = good(3).slice();
    b[11] = 9;
    const e = await expectFormatError(openBytes(b, 'bo.dm3'));
    expect(e.offset).toBe(8);
  });

  for (const v of [3, 4] as const) {
    it(`DM${v}: every truncation is a FormatError with an offset, never another exception`, async () => {
      const b = good(v);
      // Cut inside the header, the tag stream, the data array and the closing tags.
      const cuts = [4, 13, 40, 200, 700, 1000, b.length - 9000, b.length - 400, b.length - 20];
      for (const cut of cuts) {
        const err = await expectFormatError(openBytes(b.subarray(0, cut), `t.dm${v}`));
        expect(err.offset === null || err.offset <= cut).toBe(true);
      }
    });

    it(`DM${v}: inflated counts and lengths fail before allocating`, async () => {
      const b = good(v);
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      // Find every '%%%%' delimiter; inflate the info-array length and the first info word after it.
      const w = v === 4 ? 8 : 4;
      let hits = 0;
      for (let i = 0; i + 4 < b.length && hits < 40; i++) {
        if (b[i] === 0x25 && b[i + 1] === 0x25 && b[i + 2] === 0x25 && b[i + 3] === 0x25) {
          hits++;
          for (const where of [i + 4, i + 4 + w, i + 4 + 2 * w, i + 4 + 3 * w]) {
            const m = b.slice();
            const mv = new DataView(m.buffer);
            if (v === 4) mv.setBigInt64(where, 0x7fff_ffff_ffffn, false);
            else mv.setInt32(where, 0x7fff_fff0, false);
            try {
              const f = await openBytes(m, `i.dm${v}`);
              // Some words are values, not lengths; then the file must still read consistently.
              for (const e of f.entries) await f.readSlice(e.entry, { start: e.shape.map(() => 0), count: e.shape.map(() => 1) });
            } catch (e) {
              expect(e).toBeInstanceOf(FormatError);
            }
          }
        }
      }
      expect(hits).toBeGreaterThan(10);
      // The root tag count itself.
      const m = b.slice();
      if (v === 4) new DataView(m.buffer).setBigInt64(18, 0x7fff_ffff_ffffn, false);
      else new DataView(m.buffer).setInt32(14, 0x7fff_ffff, false);
      const err = await expectFormatError(openBytes(m, `r.dm${v}`));
      expect(err.offset).toBe(v === 4 ? 18 : 14);
      expect(dv.getInt32(0, false)).toBe(v);
    });
  }

  it('image dimensions larger than the stored data are a FormatError at the data offset', async () => {
    const b = good(4);
    // Patch the first Dimensions value (x = 64) to 65 so the data array is too short.
    const f = await openBytes(b);
    const dataOffset = (f.entries[0]!.original.ImageList as any)[1].ImageData.Data.offset as number;
    const needle = new TextEncoder().encode('Dimensions');
    let at = -1;
    for (let i = dataOffset; i < b.length; i++) if (needle.every((c, k) => b[i + k] === c)) { at = i; break; }
    expect(at).toBeGreaterThan(0);
    const m = b.slice();
    // Within the Dimensions group the first int32 value 64 (LE) after the name.
    for (let i = at; i < at + 200; i++) if (m[i] === 64 && m[i + 1] === 0 && m[i + 2] === 0 && m[i + 3] === 0) { m[i] = 65; break; }
    const err = await expectFormatError(openBytes(m));
    expect(err.offset).toBe(dataOffset);
  });

  it('deep nesting is bounded', async () => {
    // Hand-built DM3: root with one group nested 100 deep.
    const parts: number[] = [0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1];
    for (let d = 0; d < 100; d++) parts.push(20, 0, 1, 0x41, 0, 0, 0, 0, 0, 1);
    const b = new Uint8Array([...parts, ...new Array(16).fill(0)]);
    const err = await expectFormatError(openBytes(b, 'deep.dm3'));
    expect(err.message).toMatch(/nested/);
  });

  it('a FileSource read beyond the end surfaces as FormatError', async () => {
    const b = good(3);
    const src: FileSource = new MemorySource('short.dm3', b.subarray(0, b.length - 3000));
    await expectFormatError(gatanDmReader.open(src));
  });
});

describe('gatan-dm performance shape', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dmperf-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  it('reads a 1024×1024 float32 image as one contiguous block', async () => {
    const path = join(dir, 'big.dm4');
    const data = ramp(Float32Array, 1024 * 1024, (i) => i % 4093);
    await writeDmToFile(path, { version: 4, shape: [1024, 1024], dtypeCode: 2, data });
    const src = await NodeFileSource.open(path);
    let reads = 0;
    let bytesRead = 0;
    const counting: FileSource = {
      name: src.name,
      size: src.size,
      read: async (o, l) => {
        reads++;
        bytesRead += l;
        return src.read(o, l);
      },
      readInto: async (t, o) => {
        reads++;
        bytesRead += t.byteLength;
        return src.readInto(t, o);
      },
      close: () => src.close(),
    };
    const f = await gatanDmReader.open(counting);
    const tagReads = reads;
    expect(bytesRead).toBeLessThan(2 * (1 << 18) + 4096); // tag windows only, not the 4 MiB block
    const all = await f.readSlice('image1', full([1024, 1024]));
    expect(reads - tagReads).toBe(1);
    expect(all).toBeInstanceOf(Float32Array);
    expect(all[1024 * 1024 - 1]).toBe((1024 * 1024 - 1) % 4093);
    await f.close();
  });
});
