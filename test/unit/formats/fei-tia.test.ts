import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySource, NodeFileSource } from '../../../main/formats/file-source.js';
import { FormatDeclined, FormatError } from '../../../main/formats/format-error.js';
import { feiTiaReader } from '../../../main/formats/fei-tia/reader.js';
import { parseTiaDate } from '../../../main/formats/fei-tia/map-dataset.js';
import { serSpectrumMap, writeEmi, writeSer, type SerWriteOptions } from '../../fixtures/writers/ser-writer.js';
import { CountingSource } from '../../fixtures/counting-source.js';

const full = (shape: number[]) => ({ start: shape.map(() => 0), count: shape });
function list(a: ArrayLike<number | bigint>): number[] {
  return Array.from({ length: a.length }, (_, i) => Number(a[i]));
}


async function expectFormatError(p: Promise<unknown>): Promise<FormatError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(FormatError);
    expect((e as FormatError).readerId).toBe('fei-tia');
    return e as FormatError;
  }
  throw new Error('expected a FormatError');
}

/** A 3 (y) × 4 (x) spectrum image of 16 channels, scanned x fastest, as TIA writes maps. */
function mapOptions(extra: Partial<SerWriteOptions> = {}): SerWriteOptions {
  return serSpectrumMap(3, 4, 16, extra);
}
const mapValue = (y: number, x: number, e: number): number => (y * 4 + x) * 100 + e - 7;

describe('fei-tia sniff and dates', () => {
  it('recognises .ser magic and .emi files', () => {
    const ser = writeSer(mapOptions());
    expect(feiTiaReader.sniff(ser.subarray(0, 4096), 'a_1.ser')).toBe('yes');
    expect(feiTiaReader.sniff(ser.subarray(0, 4096), 'noext')).toBe('yes');
    expect(feiTiaReader.sniff(writeEmi({}).subarray(0, 4096), 'a.emi')).toBe('yes');
    expect(feiTiaReader.sniff(new Uint8Array(64), 'a.emi')).toBe('maybe');
    expect(feiTiaReader.sniff(new Uint8Array(64), 'a.ser')).toBe('no');
    const bad = ser.slice(0, 64);
    bad[4] = 0x30;
    expect(feiTiaReader.sniff(bad, 'a.ser')).toBe('no');
  });
  it('parses TIA AcquireDate', () => {
    expect(parseTiaDate('Mon Feb 22 11:55:58 2016')).toBe('2016-02-22T11:55:58');
    expect(parseTiaDate('Tue Mar  1 09:05:07 2016')).toBe('2016-03-01T09:05:07');
    expect(parseTiaDate('yesterday')).toBeUndefined();
  });
});

describe('fei-tia .emi + .ser on disk', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tia-'));
    await writeFile(join(dir, 'map.emi'), writeEmi({ microscope: 'Titan 80-300', highTensionKV: 300, mode: ' STEM nP SA Zoom Diffraction', magnification: 910000, cameraLengthM: 0.1, dwellTimeS: 2e-5, acquireDate: 'Wed Mar  2 14:03:09 2022', blocks: 2 }));
    await writeFile(join(dir, 'map_1.ser'), writeSer(mapOptions()));
    // A second object: a 2-frame series of 3×2 float images (camera frames in diffraction).
    const img = (k: number) => Float32Array.from({ length: 6 }, (_, i) => k * 10 + i);
    await writeFile(join(dir, 'map_2.ser'), writeSer({ elementKind: 'image', dataType: 7, elementShape: [3, 2], calibrations: [{ offset: -1e-9, delta: 2e-10, element: 0 }, { offset: 0, delta: 1e-10 }], dimensions: [{ size: 2, offset: 0, delta: 1, description: 'Number', units: '' }], elements: [img(0), img(1)] }));
    await writeFile(join(dir, 'lonely.emi'), writeEmi({}));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('opens every sibling .ser, maps the spectrum image [y, x, E] and normalises the .emi metadata', async () => {
    const src = await NodeFileSource.open(join(dir, 'map.emi'));
    const f = await feiTiaReader.open(src);
    expect(f.entries.map((e) => e.entry)).toEqual(['ser1', 'ser2']);
    const e = f.entries[0]!;
    expect(e.kind).toBe('spectrum-image');
    expect(e.dtype).toBe('int32');
    expect(e.shape).toEqual([3, 4, 16]);
    expect(e.axes.map((a) => [a.name, a.units, a.navigate])).toEqual([['y', 'nm', true], ['x', 'nm', true], ['Energy', 'eV', false]]);
    expect(e.axes[0]!.scale).toBeCloseTo(-0.5, 9);
    expect(e.axes[0]!.offset).toBeCloseTo(2, 9);
    expect(e.axes[1]!.scale).toBeCloseTo(0.5, 9);
    expect(e.axes[1]!.offset).toBeCloseTo(-1, 9);
    expect(e.axes[2]).toMatchObject({ scale: 0.5, offset: -20, size: 16 });
    const md = e.metadata;
    expect(md.beamEnergy).toEqual({ value: 300, unit: 'kV' });
    expect(md.instrument).toBe('Titan 80-300');
    expect(md.acquisitionMode).toBe('STEM');
    expect(md.magnification).toEqual({ value: 910000, unit: 'x' });
    expect(md.cameraLength).toEqual({ value: 100, unit: 'mm' });
    expect(md.exposure).toEqual({ value: 2e-5, unit: 's' });
    expect(md.extra?.dwellTime).toEqual({ value: 2e-5, unit: 's' });
    expect(md.extra?.stageAlpha).toEqual({ value: 1.5, unit: 'deg' });
    expect(md.acquisitionTime).toBe('2022-03-02T14:03:09');
    expect((e.original.ObjectInfo as any).Manufacturer).toBe('FEI & test');
    const all = list(await f.readSlice('ser1', full(e.shape)));
    expect(all[0]).toBe(mapValue(0, 0, 0));
    expect(all[(2 * 4 + 1) * 16 + 5]).toBe(mapValue(2, 1, 5));
    expect(list(await f.readSlice('ser1', { start: [1, 2, 3], count: [2, 1, 3], step: [1, 1, 4] }))).toEqual([
      mapValue(1, 2, 3), mapValue(1, 2, 7), mapValue(1, 2, 11), mapValue(2, 2, 3), mapValue(2, 2, 7), mapValue(2, 2, 11),
    ]);

    // ser2: image series, rows presented top first (stored bottom first), units from the mode.
    const s2 = f.entries[1]!;
    expect(s2.kind).toBe('image-stack');
    expect(s2.shape).toEqual([2, 3, 2]);
    expect(s2.dtype).toBe('float32');
    expect(s2.axes.map((a) => a.name)).toEqual(['Number', 'y', 'x']);
    // STEM, no camera, unit-less series axis: an image stack in real space (rosettasciio's rule).
    expect(s2.axes[1]!.units).toBe('nm');
    expect(list(await f.readSlice('ser2', full(s2.shape)))).toEqual([4, 5, 2, 3, 0, 1, 14, 15, 12, 13, 10, 11]);
    expect(list(await f.readSlice('ser2', { start: [1, 0, 1], count: [1, 2, 1] }))).toEqual([15, 13]);
    await f.close();
  });

  it('a .ser alone gives the same data and entry id, with less metadata', async () => {
    const f = await feiTiaReader.open(await NodeFileSource.open(join(dir, 'map_1.ser')));
    const e = f.entries[0]!;
    expect(e.entry).toBe('ser1');
    expect(e.shape).toEqual([3, 4, 16]);
    expect(e.metadata.beamEnergy).toBeUndefined();
    expect(e.metadata.acquisitionTime).toBe('2016-02-22T10:56:27Z');
    expect(e.warnings.join(' ')).toMatch(/without its \.emi/);
    expect(list(await f.readSlice('ser1', { start: [2, 3, 0], count: [1, 1, 2] }))).toEqual([mapValue(2, 3, 0), mapValue(2, 3, 1)]);
    await f.close();
  });

  it('an .emi without its .ser, or without a path, is a FormatError that says so', async () => {
    const lonely = await NodeFileSource.open(join(dir, 'lonely.emi'));
    let e = await expectFormatError(feiTiaReader.open(lonely));
    await lonely.close(); // a reader that fails to open leaves the source to its owner
    expect(e.expected).toMatch(/lonely_1\.ser/);
    e = await expectFormatError(feiTiaReader.open(new MemorySource('map.emi', writeEmi({}))));
    expect(e.expected).toMatch(/file path.*map_1\.ser/);
    await expect(feiTiaReader.open(new MemorySource('x.emi', new Uint8Array(100)))).rejects.toBeInstanceOf(FormatDeclined);
  });
});

describe('fei-tia series shapes and types', () => {
  const open = (o: SerWriteOptions, name = 's_1.ser') => feiTiaReader.open(new MemorySource(name, writeSer(o)));

  it('scan order from position tags: y changing first means Dim-1 is the slow axis', async () => {
    const o = mapOptions();
    // Same elements, but positions say Dim-1 (size 4) is y (slow) and Dim-2 (size 3) x.
    const positions = o.positions!.map((_, i) => ({ x: Math.floor(i / 3) * 1e-9, y: (i % 3) * 1e-9 }));
    const f = await open({ ...o, positions, dimensions: [{ ...o.dimensions[0]!, size: 4 }, { ...o.dimensions[1]!, size: 3 }] });
    expect(f.entries[0]!.shape).toEqual([4, 3, 16]);
    expect(f.entries[0]!.axes.map((a) => a.name)).toEqual(['y', 'x', 'Energy']);
    expect(list(await f.readSlice('ser1', { start: [1, 0, 0], count: [1, 1, 1] }))).toEqual([list(o.elements[3]! as Int32Array)[0]!]);
  });

  it('line profiles are [n, E]; a single spectrum is a spectrum; series stopped early are shortened', async () => {
    const spec = (k: number) => Uint16Array.from({ length: 8 }, (_, e) => k * 8 + e);
    const base: SerWriteOptions = { elementKind: 'spectrum', dataType: 2, elementShape: [8], calibrations: [{ offset: 0, delta: 10, element: 2 }], dimensions: [{ size: 5, offset: 0, delta: 1e-9, description: 'Position', units: 'meters' }], elements: [0, 1, 2, 3, 4].map(spec) };
    const line = await open(base);
    expect(line.entries[0]).toMatchObject({ kind: 'spectrum-image', shape: [5, 8], dtype: 'uint16' });
    expect(line.entries[0]!.axes[0]).toMatchObject({ name: 'x', units: 'nm', scale: 1 });
    expect(line.entries[0]!.axes[1]).toMatchObject({ name: 'Energy', offset: -20, scale: 10 });
    expect(list(await line.readSlice('ser1', { start: [4, 6], count: [1, 2] }))).toEqual([38, 39]);
    const point = await open({ ...base, dimensions: [{ ...base.dimensions[0]!, size: 1 }], elements: [spec(3)] });
    expect(point.entries[0]).toMatchObject({ kind: 'spectrum', shape: [8] });
    expect(list(await point.readSlice('ser1', full([8])))).toEqual(list(spec(3)));
    const stopped = await open({ ...base, totalElements: 5, elements: [0, 1, 2].map(spec) });
    expect(stopped.entries[0]!.shape).toEqual([3, 8]);
    expect(stopped.entries[0]!.warnings.join(' ')).toMatch(/3 of 5/);
  });

  it('unacquired map positions read as NaN (float) and 64-bit offsets (version 0x220) work', async () => {
    const o = mapOptions();
    const floats = o.elements.slice(0, 7).map((e) => Float32Array.from(e as Int32Array));
    const f = await open({ ...o, dataType: 7, elements: floats, positions: o.positions!.slice(0, 7), seriesVersion: 0x220 });
    const e = f.entries[0]!;
    expect(e.shape).toEqual([3, 4, 16]);
    const px = list(await f.readSlice('ser1', { start: [1, 2, 0], count: [1, 2, 1] }));
    expect(px[0]).toBe(mapValue(1, 2, 0));
    expect(px[1]).toBeNaN();
  });

  it('single complex image: interleaved re/im, rows flipped, metres → nm without .emi', async () => {
    const c = Float32Array.from([1, -1, 2, -2, 3, -3, 4, -4]); // stored rows: [1,2], [3,4]
    const f = await open({ elementKind: 'image', dataType: 9, elementShape: [2, 2], calibrations: [{ offset: 0, delta: 1e-10 }, { offset: 0, delta: 1e-10 }], dimensions: [{ size: 1, offset: 0, delta: 1, units: '' }], elements: [c] });
    const e = f.entries[0]!;
    expect(e).toMatchObject({ kind: 'image', dtype: 'complex64', shape: [2, 2] });
    expect(e.axes[0]).toMatchObject({ name: 'y', units: 'nm' });
    expect(e.axes[0]!.scale).toBeCloseTo(0.1, 9);
    expect(list(await f.readSlice('ser1', full([2, 2])))).toEqual([3, -3, 4, -4, 1, -1, 2, -2]);
  });

  it('reads only the selected spectrum bytes', async () => {
    const bytes = writeSer(mapOptions());
    const src = new CountingSource(new MemorySource('m_1.ser', bytes));
    const f = await feiTiaReader.open(src);
    src.reads = [];
    await f.readSlice('ser1', { start: [2, 3, 4], count: [1, 1, 2] });
    expect(src.reads).toHaveLength(1);
    expect(src.reads[0]!.length).toBe(26 + 6 * 4);
  });
});

describe('fei-tia bad input', () => {
  const good = () => writeSer(mapOptions());
  const open = (b: Uint8Array, name = 'b_1.ser') => feiTiaReader.open(new MemorySource(name, b));
  const patch = (b: Uint8Array, at: number, v: number, width: 2 | 4 = 4): Uint8Array => {
    const c = b.slice();
    const dv = new DataView(c.buffer);
    if (width === 2) dv.setUint16(at, v, true);
    else dv.setUint32(at, v, true);
    return c;
  };

  it('declines files that are neither .ser nor .emi', async () => {
    await expect(open(new TextEncoder().encode('not a tia file at all'), 'x.dat')).rejects.toBeInstanceOf(FormatDeclined);
  });

  it('every truncation is a FormatError (at open or on read), never another exception', async () => {
    const b = good();
    // (The last element's tag is never needed, so cutting only into it is not an error.)
    for (const cut of [10, 29, 40, 120, 200, 400, b.length - 30, b.length - 25]) {
      try {
        const f = await open(b.subarray(0, cut));
        await f.readSlice('ser1', full(f.entries[0]!.shape));
        throw new Error(`cut ${cut} was accepted`);
      } catch (e) {
        expect(e, `cut ${cut}`).toBeInstanceOf(FormatError);
      }
    }
  });

  it('inflated counts and offsets fail with the offending offset, before allocating', async () => {
    let e = await expectFormatError(open(patch(good(), 14, 0xfffffff0)));
    expect(e.offset).toBe(14);
    e = await expectFormatError(open(patch(good(), 18, 13)));
    expect(e.offset).toBe(18);
    e = await expectFormatError(open(patch(good(), 22, 0x7ffffff0)));
    expect(e.offset).toBe(22);
    e = await expectFormatError(open(patch(good(), 26, 1000)));
    expect(e.offset).toBe(26);
    e = await expectFormatError(open(patch(good(), 6, 0x9999)));
    expect(e.offset).toBe(6);
    // Dimension 1's description length.
    e = await expectFormatError(open(patch(good(), 30 + 24, 0x7fffffff)));
    expect(e.expected).toMatch(/description/);
  });

  it('a data offset outside the file, a bad DataType, and an element unlike element 0', async () => {
    const b = good();
    const dv = new DataView(b.buffer);
    const oao = dv.getUint32(22, true);
    let e = await expectFormatError(open(patch(b, oao + 4, b.length + 10)));
    expect(e.offset).toBe(oao + 4);
    const first = dv.getUint32(oao, true);
    e = await expectFormatError(open(patch(b, first + 20, 77, 2)));
    expect(e.offset).toBe(first + 20);
    // Element 5 claims a longer array: found when read, as a FormatError.
    const fifth = dv.getUint32(oao + 20, true);
    const f = await open(patch(b, fifth + 22, 17));
    await expectFormatError(f.readSlice('ser1', full([3, 4, 16])));
    const g = await open(patch(b, fifth + 22, 0x7fffffff));
    await expectFormatError(g.readSlice('ser1', { start: [1, 1, 0], count: [1, 1, 16] }));
  });

  it('malformed ObjectInfo XML is a FormatError', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tia-bad-'));
    try {
      const emi = new TextEncoder().encode('JK\0\x02<ObjectInfo><AcquireInfo><DwellTimePath>1</AcquireInfo></ObjectInfo>');
      await writeFile(join(dir, 'bad.emi'), emi);
      await writeFile(join(dir, 'bad_1.ser'), good());
      const src = await NodeFileSource.open(join(dir, 'bad.emi'));
      const e = await expectFormatError(feiTiaReader.open(src));
      await src.close();
      expect(e.expected).toMatch(/well-formed/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('fei-tia bounded mutations', () => {
  it('300 seeded byte mutations give data or a FormatError/FormatDeclined, never another exception', async () => {
    const bases = [writeSer(mapOptions()), writeSer({ ...mapOptions(), seriesVersion: 0x220 })];
    let seed = 4242;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    for (let k = 0; k < 300; k++) {
      const b = bases[k % 2]!.slice();
      // Most mutations land in the header, offset arrays and first element, where parsing happens.
      for (let m = 0; m < 1 + rnd(4); m++) b[rnd(Math.min(b.length, 400))] = rnd(256);
      try {
        const f = await feiTiaReader.open(new MemorySource('m_1.ser', b));
        for (const e of f.entries) await f.readSlice(e.entry, full(e.shape));
      } catch (e) {
        if (!(e instanceof FormatError) && !(e instanceof FormatDeclined)) throw new Error(`mutation ${k}: ${(e as Error).stack}`);
      }
    }
  });
});
