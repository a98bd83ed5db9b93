import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../../main/formats/file-source.js';
import { FormatDeclined, FormatError } from '../../../main/formats/format-error.js';
import { brukerBcfReader } from '../../../main/formats/bruker-bcf/reader.js';
import { sniffBrukerBcf } from '../../../main/formats/bruker-bcf/spec.js';
import { brukerDateTime } from '../../../main/formats/bruker-spx/map-spectrum.js';
import { brukerSpxReader } from '../../../main/formats/bruker-spx/reader.js';
import { sniffBrukerSpx } from '../../../main/formats/bruker-spx/spec.js';
import { decodeXml, parseBrukerNumber, parseXml } from '../../../main/formats/bruker-spx/xml.js';
import { spxBytes, writeSpx } from '../../fixtures/writers/spx-writer.js';
import { buildBcf, COUNTS, sfs, spxOpts } from '../../fixtures/writers/bcf-writer.js';


async function openSpx(text: string, name = 'fixture.spx') {
  return brukerSpxReader.open(new MemorySource(name, spxBytes(text)));
}

describe('bruker-spx: round trips through the writer', () => {
  it('counts, calibration, times, beam energy, angles, elements', async () => {
    const f = await openSpx(writeSpx(spxOpts()));
    const e = f.entries[0]!;
    expect(e).toMatchObject({ entry: 'spectrum', kind: 'spectrum', dtype: 'uint32', shape: [256], title: 'LiPON region 3' });
    expect(e.axes[0]).toMatchObject({ name: 'Energy', units: 'keV', size: 256, scale: 0.01, offset: -0.4725 });
    const d = (await f.readSlice('spectrum', { start: [0], count: [256] })) as Uint32Array;
    expect(Array.from(d)).toEqual(COUNTS);
    const m = e.metadata;
    expect(m.acquisitionTime).toBe('2018-03-04T10:06:04');
    expect(m.liveTime).toEqual({ value: 25, unit: 's' });
    expect(m.realTime).toEqual({ value: 40, unit: 's' });
    expect(m.beamEnergy).toEqual({ value: 15, unit: 'kV' });
    expect(m.magnification).toEqual({ value: 666.6666667, unit: 'x' });
    expect(m.extra).toMatchObject({ elevationAngle: { value: 35, unit: 'deg' }, azimuthAngle: { value: 45, unit: 'deg' }, deadTime: { value: 38, unit: '%' }, elements: 'Mn, Ni, O, P', signalType: 'EDS' });
    expect(e.warnings).toEqual([]);
    const sl = (await f.readSlice('spectrum', { start: [8], count: [3], step: [2] })) as Uint32Array;
    expect(Array.from(sl)).toEqual([COUNTS[8], COUNTS[10], COUNTS[12]]);
    await f.close();
  });

  it('decimal-comma locale files and micro-XRF headers', async () => {
    const e = (await openSpx(writeSpx(spxOpts({ decimalComma: true, calibAbs: -0.95550444, calibLin: 0.009999 })))).entries[0]!;
    expect(e.axes[0]!.scale).toBe(0.009999);
    expect(e.axes[0]!.offset).toBe(-0.95550444);
    const x = (await openSpx(writeSpx(spxOpts({ xrfVoltage_kV: 50 })))).entries[0]!;
    expect(x.metadata.beamEnergy).toEqual({ value: 50, unit: 'kV' });
    expect(x.metadata.acquisitionMode).toBe('XRF');
  });

  it('ChannelCount disagreeing with the data is a warning; the values present are used', async () => {
    const e = (await openSpx(writeSpx(spxOpts({ channelCount: 1_000_000_000_000 })))).entries[0]!;
    expect(e.shape).toEqual([256]);
    expect(e.warnings[0]).toMatch(/ChannelCount says 1000000000000/);
  });

  it('Esprit dates', () => {
    expect(brukerDateTime('2.3.2018', '13:53:4')).toBe('2018-03-02T13:53:04');
    expect(brukerDateTime('29.2.2023', '1:2:3')).toBeUndefined();
    expect(brukerDateTime('12.9.2018', '25:00:00')).toBe('2018-09-12');
    expect(parseBrukerNumber('0,966497572879044')).toBe(0.966497572879044);
    expect(parseBrukerNumber('2E4')).toBe(20000);
    expect(parseBrukerNumber('1,2,3')).toBeUndefined();
  });
});

describe('bruker-spx: bad input', () => {
  it('a bad channel token is a FormatError at the <Channels> element', async () => {
    const text = writeSpx(spxOpts()).replace('<Channels>0,', '<Channels>0,x7,');
    const err = (await openSpx(text).catch((e: unknown) => e)) as FormatError;
    expect(err).toBeInstanceOf(FormatError);
    expect(err.offset).toBe(text.indexOf('<Channels>'));
    expect(err.expected).toMatch(/channel 1/);
    expect(err.readerId).toBe('bruker-spx');
  });

  it('truncated XML, DTD entities, foreign roots', async () => {
    const text = writeSpx(spxOpts());
    await expect(openSpx(text.slice(0, text.length - 40))).rejects.toBeInstanceOf(FormatError);
    const bomb = '<?xml version="1.0"?><!DOCTYPE TRTSpectrum [<!ENTITY a "aaaa">]><TRTSpectrum>&a;</TRTSpectrum>';
    await expect(openSpx(bomb)).rejects.toThrow(/DTD internal subset/);
    await expect(openSpx('<?xml version="1.0"?><Other/>')).rejects.toBeInstanceOf(FormatDeclined);
    await expect(openSpx('<?xml version="1.0"?><TRTSpectrum><RTHeader/></TRTSpectrum>')).rejects.toThrow(/ClassInstance Type="TRTSpectrum"/);
    await expect(brukerSpxReader.open(new MemorySource('a.spx', spxBytes('plain text')))).rejects.toBeInstanceOf(FormatDeclined);
  });

  it('the XML scanner: entities, CDATA, comments, bounded depth', () => {
    const root = parseXml('<?xml version="1.0"?><!-- c --><a x="1 &amp; 2"><b>&lt;&#65;&#x42;</b><![CDATA[<raw>]]></a>', 'x.xml');
    expect(root.attrs.x).toBe('1 & 2');
    expect(root.children[0]!.text).toBe('<AB');
    expect(root.text).toBe('<raw>');
    expect(() => parseXml('<a>&bogus;</a>', 'x.xml')).toThrow(FormatError);
    expect(() => parseXml('<a><b></a>', 'x.xml')).toThrow(/<\/b>/);
    expect(() => parseXml('<a>'.repeat(300) + '</a>'.repeat(300), 'x.xml')).toThrow(/nesting/);
    expect(decodeXml(Uint8Array.from([...'<?xml version="1.0" encoding="WINDOWS-1252"?><a>'].map((c) => c.charCodeAt(0)).concat([0x80, 0xb5]))).endsWith('€µ')).toBe(true);
    expect(sniffBrukerSpx(spxBytes(writeSpx(spxOpts())), 'a.xml')).toBe('yes');
    expect(sniffBrukerSpx(spxBytes('<?xml version="1.0"?><x/>'), 'a.spx')).toBe('maybe');
  });
});

/* ---------- synthetic .bcf containers: test/fixtures/writers/bcf-writer.ts ---------- */

async function openBcf(bytes: Uint8Array, name = 'map.bcf') {
  return brukerBcfReader.open(new MemorySource(name, bytes));
}

describe('bruker-bcf: synthetic containers (all three pixel packings)', () => {
  for (const compressed of [false, true]) {
    it(`${compressed ? 'zlib (AACS)' : 'uncompressed'}: hypermap, image and sum spectrum`, async () => {
      const { m, image, bytes } = buildBcf({ compressed, chunk: 1024, seed: compressed ? 7 : 3 });
      const f = await openBcf(bytes);
      expect(f.entries.map((e) => e.entry)).toEqual(['image0', 'sum0', 'hypermap0']);
      const img = f.entries[0]!;
      expect(img).toMatchObject({ kind: 'image', dtype: 'uint16', shape: [4, 5], title: 'BSE' });
      expect(img.axes.map((a) => [a.name, a.units, a.scale])).toEqual([['y', 'µm', 0.25], ['x', 'µm', 0.5]]);
      expect(img.warnings.join()).toMatch(/plane 1 \(SEI\) is marked not valid/);
      expect(Array.from((await f.readSlice('image0', { start: [0, 0], count: [4, 5] })) as Uint16Array)).toEqual(Array.from(image));
      const hm = f.entries[2]!;
      expect(hm).toMatchObject({ kind: 'spectrum-image', shape: [4, 5, 40], dtype: 'uint16' });
      expect(hm.axes.map((a) => a.navigate)).toEqual([true, true, false]);
      expect(hm.axes[2]).toMatchObject({ name: 'Energy', units: 'keV', scale: 0.009997, offset: -0.47095867 });
      expect(hm.metadata).toMatchObject({ beamEnergy: { value: 20, unit: 'kV' }, magnification: { value: 3138.54272, unit: 'x' }, acquisitionTime: '2018-09-12T13:09:11' });
      const full = (await f.readSlice('hypermap0', { start: [0, 0, 0], count: [4, 5, 40] })) as Uint16Array;
      expect(Array.from(full)).toEqual(m.pixels.flat(2));
      const part = (await f.readSlice('hypermap0', { start: [1, 1, 2], count: [2, 2, 5], step: [2, 3, 7] })) as Uint16Array;
      const want: number[] = [];
      for (const y of [1, 3]) for (const x of [1, 4]) for (let k = 0; k < 5; k++) want.push(m.pixels[y]![x]![2 + 7 * k]!);
      expect(Array.from(part)).toEqual(want);
      const sum = (await f.readSlice('sum0', { start: [0], count: [40] })) as Uint32Array;
      expect(sum[3]).toBe(m.pixels.flat().reduce((a, s) => a + s[3]!, 0));
      await f.close();
    });
  }

  it('a pixel count above the sum-spectrum bound is a FormatError, not a wrapped value', async () => {
    const { bytes } = buildBcf({ compressed: false, chunk: 1024, seed: 11, sumScale: 0.001 });
    const f = await openBcf(bytes);
    const hm = f.entries.find((e) => e.kind === 'spectrum-image')!;
    expect(hm.dtype).toBe('uint8');
    await expect(f.readSlice(hm.entry, { start: [0, 0, 0], count: hm.shape })).rejects.toThrow(/the bound the header's sum spectrum gives/);
  });

  it('bad containers: truncation, chunk size, item count, not a bcf', async () => {
    const { bytes } = buildBcf({ compressed: false, chunk: 1024, seed: 5 });
    expect(sniffBrukerBcf(bytes, 'x.bcf')).toBe('yes');
    expect(sniffBrukerBcf(bytes, 'x.sfs')).toBe('maybe');
    const cut = await openBcf(bytes.slice(0, 3000)).catch((e: unknown) => e);
    expect(cut).toBeInstanceOf(FormatError);
    expect((cut as FormatError).offset).not.toBeNull();
    const badChunk = bytes.slice();
    new DataView(badChunk.buffer).setUint32(0x128, 8, true);
    await expect(openBcf(badChunk)).rejects.toThrow(/chunk size/);
    const many = bytes.slice();
    new DataView(many.buffer).setUint32(0x144, 0xffffffff, true);
    await expect(openBcf(many)).rejects.toThrow(/tree item count/);
    const streamCut = bytes.slice(0, bytes.length - 1024);
    await expect(openBcf(streamCut)).rejects.toBeInstanceOf(FormatError);
    const other = sfs([{ name: 'Something', data: new Uint8Array(10) }], 1024);
    await expect(openBcf(other)).rejects.toBeInstanceOf(FormatDeclined);
    await expect(openBcf(new Uint8Array(100))).rejects.toBeInstanceOf(FormatDeclined);
  });
});
