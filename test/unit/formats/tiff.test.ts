import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../../main/formats/file-source.js';
import { FormatDeclined, FormatError } from '../../../main/formats/format-error.js';
import { tiffReader } from '../../../main/formats/tiff/reader.js';
import { lzwDecode, unpackBits } from '../../../main/formats/tiff/decompress.js';
import { lengthToNm, parseFeiDateTime, parseIni } from '../../../main/formats/tiff/metadata.js';
import { feiIni, lzwEncode, packBits, writeTiff, type TiffPageSpec, type TiffWriteOptions } from '../../fixtures/writers/tiff-writer.js';
import { floatToHalf } from '../../fixtures/writers/mrc-writer.js';
import { CountingSource } from '../../fixtures/counting-source.js';

const full = (shape: number[]) => ({ start: shape.map(() => 0), count: shape });
function list(a: ArrayLike<number | bigint>): number[] {
  return Array.from({ length: a.length }, (_, i) => Number(a[i]));
}
const open = (b: Uint8Array, name = 'a.tif') => tiffReader.open(new MemorySource(name, b));


async function expectFormatError(p: Promise<unknown>): Promise<FormatError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(FormatError);
    expect((e as FormatError).readerId).toBe('tiff');
    return e as FormatError;
  }
  throw new Error('expected a FormatError');
}

const W = 11;
const H = 7;
const value = (i: number): number => ((i * 37) % 251) - 100;

const samples: { type: TiffPageSpec['type']; dtype: string; make: (n: number) => ArrayBufferView; want: (i: number) => number }[] = [
  { type: 'uint8', dtype: 'uint8', make: (n) => Uint8Array.from({ length: n }, (_, i) => value(i) + 100), want: (i) => value(i) + 100 },
  { type: 'int8', dtype: 'int8', make: (n) => Int8Array.from({ length: n }, (_, i) => ((i * 37) % 200) - 100), want: (i) => ((i * 37) % 200) - 100 },
  { type: 'uint16', dtype: 'uint16', make: (n) => Uint16Array.from({ length: n }, (_, i) => value(i) * 200 + 30000), want: (i) => value(i) * 200 + 30000 },
  { type: 'int16', dtype: 'int16', make: (n) => Int16Array.from({ length: n }, (_, i) => value(i) * 97), want: (i) => value(i) * 97 },
  { type: 'uint32', dtype: 'uint32', make: (n) => Uint32Array.from({ length: n }, (_, i) => value(i) * 1e6 + 2e9), want: (i) => value(i) * 1e6 + 2e9 },
  { type: 'int32', dtype: 'int32', make: (n) => Int32Array.from({ length: n }, (_, i) => value(i) * 1e6), want: (i) => value(i) * 1e6 },
  { type: 'float32', dtype: 'float32', make: (n) => Float32Array.from({ length: n }, (_, i) => value(i) / 4), want: (i) => value(i) / 4 },
  { type: 'float64', dtype: 'float64', make: (n) => Float64Array.from({ length: n }, (_, i) => value(i) / 3), want: (i) => value(i) / 3 },
  { type: 'int64', dtype: 'int64', make: (n) => BigInt64Array.from({ length: n }, (_, i) => BigInt(value(i)) * 10n ** 12n), want: (i) => value(i) * 1e12 },
  { type: 'float16', dtype: 'float32', make: (n) => Uint16Array.from({ length: n }, (_, i) => floatToHalf(value(i) / 2)), want: (i) => value(i) / 2 },
];

function refBox(want: (i: number) => number, y0: number, h: number, x0: number, w: number, frame = 0): number[] {
  const out: number[] = [];
  for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) out.push(want(frame * W * H + y * W + x));
  return out;
}

describe('tiff sniff and helpers', () => {
  it('recognises classic and BigTIFF in both byte orders', () => {
    for (const [le, big] of [[true, false], [false, false], [true, true], [false, true]] as const) {
      const b = writeTiff({ littleEndian: le, bigTiff: big, pages: [{ width: 2, height: 2, type: 'uint8', data: new Uint8Array(4) }] });
      expect(tiffReader.sniff(b.subarray(0, 4096), 'x.bin')).toBe('yes');
    }
    expect(tiffReader.sniff(new TextEncoder().encode('II*'), 'x.tif')).toBe('no');
    expect(tiffReader.sniff(new TextEncoder().encode('MM\0+\0\x04\0\0'), 'x.tif')).toBe('no');
    expect(tiffReader.extensions).toContain('tif');
  });
  it('PackBits and LZW round trip through the fixture encoders (LZW across width changes and a Clear)', () => {
    const data = Uint8Array.from({ length: 20000 }, (_, i) => (i % 7 === 0 ? 9 : (i * 2654435761) >>> 27));
    expect(Array.from(unpackBits(packBits(data), data.length))).toEqual(Array.from(data));
    expect(Array.from(lzwDecode(lzwEncode(data), data.length))).toEqual(Array.from(data));
    const runs = new Uint8Array(5000).fill(3);
    expect(Array.from(lzwDecode(lzwEncode(runs), runs.length))).toEqual(Array.from(runs));
  });
  it('FEI INI, dates and length units', () => {
    const ini = parseIni('[Scan]\r\nPixelWidth=1.5e-09\r\n; comment\r\n[Beam]\r\nHV=2000\r\n');
    expect(ini.Scan!.PixelWidth).toBe('1.5e-09');
    expect(parseFeiDateTime('04/21/2021', '03:07:42 PM')).toBe('2021-04-21T15:07:42');
    expect(parseFeiDateTime('12/01/2020', '12:00:01 AM')).toBe('2020-12-01T00:00:01');
    expect(parseFeiDateTime('21.04.2021', '10:00:00')).toBeUndefined();
    expect(lengthToNm('micron')).toBe(1000);
    expect(lengthToNm('\\u00B5m')).toBe(1000);
    expect(lengthToNm('nm')).toBe(1);
    expect(lengthToNm('pixel')).toBeUndefined();
  });
});

describe('tiff round trips', () => {
  for (const s of samples) {
    for (const variant of [{ le: true, big: false }, { le: false, big: true }] as const) {
      it(`${s.type}, ${variant.le ? 'II' : 'MM'} ${variant.big ? 'BigTIFF' : 'classic'}: values and sub-rectangles`, async () => {
        const f = await open(writeTiff({ littleEndian: variant.le, bigTiff: variant.big, pages: [{ width: W, height: H, type: s.type, data: s.make(W * H) }] }));
        const e = f.entries[0]!;
        expect(e.entry).toBe('page0');
        expect(e.kind).toBe('image');
        expect(e.dtype).toBe(s.dtype);
        expect(e.shape).toEqual([H, W]);
        expect(list(await f.readSlice('page0', full(e.shape)))).toEqual(refBox(s.want, 0, H, 0, W));
        expect(list(await f.readSlice('page0', { start: [2, 3], count: [4, 5] }))).toEqual(refBox(s.want, 2, 4, 3, 5));
      });
    }
  }

  const layouts: [string, Partial<TiffWriteOptions>][] = [
    ['one strip', { rowsPerStrip: 1000 }],
    ['strips of 2 rows', { rowsPerStrip: 2 }],
    ['tiles 16×16 (padded edges)', { tile: { width: 16, length: 16 } }],
    ['tiles 4×4, big-endian', { tile: { width: 4, length: 4 }, littleEndian: false }],
    ['Deflate + predictor, strips', { compression: 8, predictor: 2 }],
    ['Deflate, tiles', { compression: 8, tile: { width: 8, length: 4 } }],
    ['PackBits', { compression: 32773 }],
    ['LZW + predictor, big-endian', { compression: 5, predictor: 2, littleEndian: false }],
    ['LZW, tiles, BigTIFF', { compression: 5, tile: { width: 4, length: 8 }, bigTiff: true }],
  ];
  for (const [label, lay] of layouts) {
    it(`layout ${label}: full read and stepped sub-box`, async () => {
      const s = samples[3]!; // int16
      const f = await open(writeTiff({ ...lay, pages: [{ width: W, height: H, type: s.type, data: s.make(W * H) }] }));
      expect(list(await f.readSlice('page0', full([H, W])))).toEqual(refBox(s.want, 0, H, 0, W));
      const got = list(await f.readSlice('page0', { start: [1, 2], count: [3, 4], step: [2, 2] }));
      const want: number[] = [];
      for (const y of [1, 3, 5]) for (const x of [2, 4, 6, 8]) want.push(s.want(y * W + x));
      expect(got).toEqual(want);
    });
  }

  it('RGB and RGBA → rgba8', async () => {
    const rgb = Uint8Array.from({ length: 2 * 2 * 3 }, (_, i) => i * 10);
    const f = await open(writeTiff({ pages: [{ width: 2, height: 2, type: 'rgb8', data: rgb }] }));
    expect(f.entries[0]!.dtype).toBe('rgba8');
    expect(list(await f.readSlice('page0', { start: [1, 0], count: [1, 2] }))).toEqual([60, 70, 80, 255, 90, 100, 110, 255]);
    const rgba = Uint8Array.from({ length: 2 * 1 * 4 }, (_, i) => i + 1);
    const g = await open(writeTiff({ compression: 8, pages: [{ width: 2, height: 1, type: 'rgba8', data: rgba }] }));
    expect(list(await g.readSlice('page0', full([1, 2])))).toEqual(list(rgba));
  });
});

describe('tiff pages and stacks', () => {
  const page = (k: number, extra: Partial<TiffPageSpec> = {}): TiffPageSpec => ({ width: W, height: H, type: 'uint16', data: Uint16Array.from({ length: W * H }, (_, i) => k * 1000 + i), ...extra });

  it('equal pages become an image-stack [pages, y, x]; frame reads touch only that page', async () => {
    const bytes = writeTiff({ pages: [0, 1, 2, 3, 4].map((k) => page(k)) });
    const src = new CountingSource(new MemorySource('stack.tif', bytes));
    const f = await tiffReader.open(src);
    const e = f.entries[0]!;
    expect(e).toMatchObject({ entry: 'stack', kind: 'image-stack', shape: [5, H, W], dtype: 'uint16' });
    expect(e.axes[0]).toMatchObject({ name: 'frame', navigate: true, size: 5 });
    expect(e.metadata.frameCount).toBe(5);
    src.reads = [];
    const fr = await f.readSlice('stack', { start: [3, 0, 0], count: [1, H, W] });
    expect(list(fr)).toEqual(Array.from({ length: W * H }, (_, i) => 3000 + i));
    // Uncompressed strips of 3 rows: exactly the frame's bytes, in 3 reads.
    expect(src.reads.reduce((a, r) => a + r.length, 0)).toBe(W * H * 2);
    src.reads = [];
    expect(list(await f.readSlice('stack', { start: [0, 4, 5], count: [5, 1, 1], step: [1, 1, 1] }))).toEqual([0, 1, 2, 3, 4].map((k) => k * 1000 + 4 * W + 5));
    expect(src.reads.reduce((a, r) => a + r.length, 0)).toBe(5 * W * 2);
  });

  it('pages of different sizes become one entry per page; reduced-resolution pages are skipped', async () => {
    const small: TiffPageSpec = { width: 3, height: 2, type: 'uint8', data: Uint8Array.from([1, 2, 3, 4, 5, 6]) };
    const f = await open(writeTiff({ pages: [page(0), small, { ...small, subfileType: 1 }] }));
    expect(f.entries.map((e) => [e.entry, e.kind, e.shape.join('×')])).toEqual([['page0', 'image', `${H}×${W}`], ['page1', 'image', '2×3']]);
    expect(list(await f.readSlice('page1', full([2, 3])))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(f.entries[0]!.warnings.join(' ')).toMatch(/reduced-resolution/);
  });

  it('ImageJ single-IFD stacks expand to images=N frames with z spacing', async () => {
    const n = 4;
    const all = Uint16Array.from({ length: n * W * H }, (_, i) => i);
    // ImageJ writes the first frame's IFD and the frames back to back: emulate with one tall strip page.
    const b = writeTiff({ rowsPerStrip: 1000, pages: [{ width: W, height: H, type: 'uint16', data: all.subarray(0, W * H), description: `ImageJ=1.54f\nimages=${n}\nslices=${n}\nunit=micron\nspacing=0.25\n`, resolution: { x: 20, y: 20 } }] });
    // Append frames 1..n-1 right after frame 0's data (frame 0 is the first strip, at offset 8).
    const dv = new DataView(b.buffer);
    expect(dv.getUint32(4, true)).toBeGreaterThan(8);
    const rest = new Uint8Array(all.buffer, W * H * 2);
    const file = new Uint8Array(b.length + rest.length);
    file.set(b.subarray(0, 8 + W * H * 2));
    file.set(rest, 8 + W * H * 2);
    file.set(b.subarray(8 + W * H * 2), 8 + W * H * 2 + rest.length);
    // Shift the IFD pointer and the out-of-line value offsets by the inserted bytes.
    const f = await open(writeTiffShifted(file, rest.length, 8 + W * H * 2));
    const e = f.entries[0]!;
    expect(e.shape).toEqual([n, H, W]);
    expect(e.axes[0]).toMatchObject({ name: 'z', units: 'nm', scale: 250 });
    expect(e.axes[2]).toMatchObject({ units: 'nm', scale: 50 });
    expect(list(await f.readSlice('stack', { start: [3, 6, 10], count: [1, 1, 1] }))).toEqual([3 * W * H + 6 * W + 10]);
  });
});

/**
 * Re-point a classic little-endian TIFF whose bytes after `at` moved by `delta`: the header's IFD
 * offset and every out-of-line offset ≥ at (tags with values stored beyond the entry).
 */
function writeTiffShifted(b: Uint8Array, delta: number, at: number): Uint8Array {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const ifd = dv.getUint32(4, true) + delta;
  dv.setUint32(4, ifd, true);
  const n = dv.getUint16(ifd, true);
  const size: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1, 11: 4, 12: 8 };
  for (let i = 0; i < n; i++) {
    const p = ifd + 2 + 12 * i;
    const type = dv.getUint16(p + 2, true);
    const count = dv.getUint32(p + 4, true);
    if (count * size[type]! > 4) {
      const v = dv.getUint32(p + 8, true);
      if (v >= at) dv.setUint32(p + 8, v + delta, true);
    }
  }
  return b;
}

describe('tiff calibration and metadata', () => {
  const img = (extra: Partial<TiffPageSpec>): Uint8Array => writeTiff({ pages: [{ width: 4, height: 3, type: 'uint8', data: new Uint8Array(12), ...extra }] });

  for (const tag of [34682, 34680] as const) {
    it(`FEI tag ${tag}: pixel size m → nm, HV V → kV, instrument, date, dwell, magnification`, async () => {
      const f = await open(img({ fei: feiIni({ pixelWidthM: 2.5e-9, pixelHeightM: 2.6e-9, hvV: 2000, systemType: 'Helios 5 CX', dwellS: 1e-6, hfwM: 1.27e-5, canvasM: 0.127 }), feiTag: tag }));
      const e = f.entries[0]!;
      expect(e.axes[1]).toMatchObject({ name: 'x', units: 'nm' });
      expect(e.axes[1]!.scale).toBeCloseTo(2.5, 9);
      expect(e.axes[0]!.scale).toBeCloseTo(2.6, 9);
      const md = e.metadata;
      expect(md.beamEnergy).toEqual({ value: 2, unit: 'kV' });
      expect(md.instrument).toBe('Helios 5 CX');
      expect(md.acquisitionMode).toBe('SEM');
      expect(md.acquisitionTime).toBe('2021-04-21T15:07:42');
      expect(md.magnification?.value).toBeCloseTo(10000, 6);
      expect(md.probeCurrent).toEqual({ value: 1e-10, unit: 'A' });
      expect(md.extra?.dwellTime).toEqual({ value: 1e-6, unit: 's' });
      expect((e.original.fei as any).Scan.PixelWidth).toBe('2.5e-9');
    });
  }

  it('FEI ion-beam images: FIB mode and the IBeam HV', async () => {
    const f = await open(img({ fei: feiIni({ pixelWidthM: 1e-8, beam: 'IBeam', hvV: 30000 }) }));
    expect(f.entries[0]!.metadata.acquisitionMode).toBe('FIB');
    expect(f.entries[0]!.metadata.beamEnergy).toEqual({ value: 30, unit: 'kV' });
  });

  it('ImageJ unit and resolution; TIFF resolution in cm; display DPI ignored; DateTime and Make/Model', async () => {
    let e = (await open(img({ description: 'ImageJ=1.53t\nunit=nm\n', resolution: { x: 0.5, y: 0.25 } }))).entries[0]!;
    expect(e.axes[1]).toMatchObject({ units: 'nm', scale: 2 });
    expect(e.axes[0]).toMatchObject({ units: 'nm', scale: 4 });
    e = (await open(img({ resolution: { x: 1e5, y: 1e5, unit: 3 }, dateTime: '2022:05:06 07:08:09', make: 'JEOL', model: 'JSM-7800F' }))).entries[0]!;
    expect(e.axes[1]!.units).toBe('nm');
    expect(e.axes[1]!.scale).toBeCloseTo(100, 9);
    expect(e.metadata.acquisitionTime).toBe('2022-05-06T07:08:09');
    expect(e.metadata.instrument).toBe('JEOL JSM-7800F');
    e = (await open(img({ resolution: { x: 72, y: 72, unit: 2 } }))).entries[0]!;
    expect(e.axes[1]).toMatchObject({ units: '', scale: 1 });
    expect(e.warnings.join(' ')).toMatch(/display default/);
  });
});

describe('tiff Gatan DigitalMicrograph tags', () => {
  // Tags as RosettaSciIO writes them for DigitalMicrograph: 65003/65006/65009 x (width) units,
  // origin, scale; 65004/65007/65010 y; 65005/65008/65011 z; 65022/65024/65025 intensity.
  const latin1 = (s: string) => [...s].map((c) => c.charCodeAt(0)).concat(0);
  const gatan = (o: { x?: [string, number, number]; y?: [string, number, number]; z?: [string, number, number]; intensity?: [string, number, number] }): TiffPageSpec['extraTags'] => {
    const tags: NonNullable<TiffPageSpec['extraTags']> = [];
    const put = (u: number, or: number, sc: number, v?: [string, number, number]) => {
      if (!v) return;
      // Units as Latin-1 bytes (BYTE-typed ASCII), the way DM writes "µm".
      tags.push({ tag: u, type: 2, values: v[0] }, { tag: or, type: 12, values: [v[1]] }, { tag: sc, type: 12, values: [v[2]] });
    };
    put(65003, 65006, 65009, o.x);
    put(65004, 65007, 65010, o.y);
    put(65005, 65008, 65011, o.z);
    if (o.intensity) tags.push({ tag: 65022, type: 2, values: o.intensity[0] }, { tag: 65024, type: 12, values: [o.intensity[1]] }, { tag: 65025, type: 12, values: [o.intensity[2]] });
    return tags;
  };

  it('reads per-axis units, origin and scale, and the intensity calibration', async () => {
    const bytes = writeTiff({ pages: [{ width: 4, height: 3, type: 'uint16', data: new Uint16Array(12), extraTags: gatan({ x: ['nm', -1.5, 0.125], y: ['nm', 2, 0.25], intensity: ['e-', 100, 0.5] }) }] });
    const e = (await open(bytes)).entries[0]!;
    expect(e.axes[1]).toMatchObject({ name: 'x', units: 'nm', scale: 0.125, offset: -1.5 });
    expect(e.axes[0]).toMatchObject({ name: 'y', units: 'nm', scale: 0.25, offset: 2 });
    expect(e.intensity).toEqual({ scale: 0.5, offset: 100, units: 'e-' });
    expect(e.metadata.extra?.calibrationSource).toBe('Gatan DigitalMicrograph TIFF tags');
    expect(e.warnings.join(' ')).not.toMatch(/no pixel size/);
  });

  it('wins over the resolution tags, reads Latin-1 µ, and calibrates the stack axis of a multi-page file', async () => {
    const page = (k: number): TiffPageSpec => ({
      width: 4, height: 3, type: 'uint8', data: new Uint8Array(12).fill(k), resolution: { x: 72, y: 72, unit: 2 },
      extraTags: [
        ...gatan({ y: ['', 0, 0.002], z: ['s', 10, 0.5] })!,
        // 65003 written as raw Latin-1 bytes: "µm" with 0xB5.
        { tag: 65003, type: 1, values: latin1('\u00b5m') },
        { tag: 65009, type: 12, values: [0.002] },
      ],
    });
    const e = (await open(writeTiff({ pages: [page(0), page(1), page(2)] }))).entries[0]!;
    expect(e.kind).toBe('image-stack');
    expect(e.axes[0]).toMatchObject({ name: 'frame', units: 's', size: 3, scale: 0.5, offset: 10 });
    expect(e.axes[2]).toMatchObject({ name: 'x', units: 'µm', scale: 0.002 });
    // y had no units of its own in this file; its scale still comes from 65010.
    expect(e.axes[1]).toMatchObject({ name: 'y', scale: 0.002 });
    expect(e.intensity).toBeUndefined();
  });

  it('a zero scale is reported and the axis falls back to the other lateral axis', async () => {
    const bytes = writeTiff({ pages: [{ width: 4, height: 3, type: 'uint8', data: new Uint8Array(12), extraTags: gatan({ x: ['nm', 0, 0.3], y: ['nm', 0, 0] }) }] });
    const e = (await open(bytes)).entries[0]!;
    expect(e.axes[0]).toMatchObject({ units: 'nm', scale: 0.3 });
    expect(e.warnings.join(' ')).toMatch(/Gatan y scale \(tag 65010\) is 0/);
  });
});

describe('tiff bad input', () => {
  const good = (o: Partial<TiffWriteOptions> = {}) => writeTiff({ pages: [{ width: 8, height: 6, type: 'uint16', data: Uint16Array.from({ length: 48 }, (_, i) => i) }], ...o });

  it('declines non-TIFF bytes', async () => {
    await expect(open(new TextEncoder().encode('GIF89a........'))).rejects.toBeInstanceOf(FormatDeclined);
  });

  it('every truncation is a FormatError (at open or on read)', async () => {
    for (const o of [{}, { compression: 8 as const }, { bigTiff: true }]) {
      const b = good(o);
      for (let cut = 4; cut < b.length; cut += 7) {
        try {
          const f = await open(b.subarray(0, cut));
          await f.readSlice(f.entries[0]!.entry, full(f.entries[0]!.shape));
          throw new Error(`cut ${cut} accepted`);
        } catch (e) {
          if (!(e instanceof FormatError) && !(e instanceof FormatDeclined)) throw e;
        }
      }
    }
  });

  function entryOffset(b: Uint8Array, tag: number): number {
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const ifd = dv.getUint32(4, true);
    const n = dv.getUint16(ifd, true);
    for (let i = 0; i < n; i++) if (dv.getUint16(ifd + 2 + 12 * i, true) === tag) return ifd + 2 + 12 * i;
    throw new Error(`no tag ${tag}`);
  }

  it('inflated counts, sizes and offsets fail before allocating, with the entry offset', async () => {
    // IFD offset past the end.
    let b = good().slice();
    new DataView(b.buffer).setUint32(4, b.length + 100, true);
    let e = await expectFormatError(open(b));
    expect(e.offset).toBe(b.length + 100);
    // Entry count of 65535.
    b = good().slice();
    const ifd = new DataView(b.buffer).getUint32(4, true);
    new DataView(b.buffer).setUint16(ifd, 65535, true);
    e = await expectFormatError(open(b));
    expect(e.offset).toBe(ifd);
    // A huge width: strips no longer fit the file.
    b = good().slice();
    let at = entryOffset(b, 256);
    new DataView(b.buffer).setUint32(at + 8, 1 << 30, true);
    e = await expectFormatError(open(b));
    expect(e.expected).toMatch(/chunk 0 of \d+ uncompressed bytes/);
    // A value count far beyond the file (StripOffsets with 2^30 values).
    b = good().slice();
    at = entryOffset(b, 273);
    new DataView(b.buffer).setUint32(at + 4, 1 << 30, true);
    e = await expectFormatError(open(b));
    expect(e.offset).toBe(at);
    // A strip offset beyond the end.
    b = good({ rowsPerStrip: 100 }).slice();
    at = entryOffset(b, 273);
    new DataView(b.buffer).setUint32(at + 8, b.length - 4, true);
    e = await expectFormatError(open(b));
    expect(e.offset).toBe(at);
    // An IFD chain that loops back to itself.
    b = good().slice();
    const n = new DataView(b.buffer).getUint16(ifd, true);
    new DataView(b.buffer).setUint32(ifd + 2 + 12 * n, ifd, true);
    e = await expectFormatError(open(b));
    expect(e.expected).toMatch(/loop/);
  });

  it('unsupported compression is named; corrupt Deflate is a FormatError on read', async () => {
    let b = good().slice();
    const at = entryOffset(b, 259);
    new DataView(b.buffer).setUint16(at + 8, 7, true);
    const e = await expectFormatError(open(b));
    expect(e.expected).toMatch(/compression JPEG/);
    b = good({ compression: 8, rowsPerStrip: 100 }).slice();
    b[8 + 5] ^= 0xff;
    b[8 + 6] ^= 0xff;
    const f = await open(b);
    await expectFormatError(f.readSlice('page0', full([6, 8])));
  });
});

describe('tiff bounded mutations', () => {
  it('300 seeded byte mutations give data or a FormatError/FormatDeclined, never another exception', async () => {
    const bases = [
      writeTiff({ pages: [{ width: 8, height: 6, type: 'uint16', data: Uint16Array.from({ length: 48 }, (_, i) => i), fei: feiIni({ pixelWidthM: 1e-9 }) }] }),
      writeTiff({ compression: 5, predictor: 2, tile: { width: 4, length: 4 }, bigTiff: true, pages: [0, 1].map(() => ({ width: 8, height: 6, type: 'float32' as const, data: new Float32Array(48).fill(1.5) })) }),
    ];
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    for (let k = 0; k < 300; k++) {
      const b = bases[k % 2]!.slice();
      for (let m = 0; m < 1 + rnd(4); m++) b[rnd(b.length)] = rnd(256);
      try {
        const f = await open(b);
        for (const e of f.entries) await f.readSlice(e.entry, full(e.shape));
      } catch (e) {
        if (!(e instanceof FormatError) && !(e instanceof FormatDeclined)) throw new Error(`mutation ${k}: ${(e as Error).stack}`);
      }
    }
  });
});
