import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../../main/formats/file-source.js';
import { FormatDeclined, FormatError } from '../../../main/formats/format-error.js';
import { parseMsaDate, parseMsaTime } from '../../../main/formats/emsa/map-msa.js';
import { parseKeywordLine, parseMsa, parseMsaNumber } from '../../../main/formats/emsa/parse-msa.js';
import { emsaReader } from '../../../main/formats/emsa/reader.js';
import { sniffEmsa } from '../../../main/formats/emsa/spec.js';
import { msaBytes, msaLine, writeMsa, type WriteMsaOptions } from '../../fixtures/writers/msa-writer.js';

const Y = Array.from({ length: 64 }, (_, i) => Math.round(1000 * Math.exp(-((i - 30) ** 2) / 40)) + i / 8);

async function open(text: string, name = 'fixture.msa') {
  return emsaReader.open(new MemorySource(name, msaBytes(text)));
}

function base(extra: Partial<WriteMsaOptions> = {}): WriteMsaOptions {
  return {
    title: 'LNMO | LiPON interface, Mn L2,3',
    date: new Date(Date.UTC(2024, 2, 7, 14, 5)),
    owner: 'Interphase tests',
    dataType: 'Y',
    y: Y,
    xperchan: 0.25,
    offset: 620,
    xunits: 'eV',
    yunits: 'counts',
    xlabel: 'Energy loss',
    signalType: 'ELS',
    keywords: [
      { keyword: 'BEAMKV', unit: 'kV', value: 200 },
      { keyword: 'PROBECUR', unit: 'nA', value: 0.05 },
      { keyword: 'CONVANGLE', unit: 'mR', value: 21.5 },
      { keyword: 'COLLANGLE', unit: 'mR', value: 62 },
      { keyword: 'LIVETIME', unit: 's', value: 1.5 },
      { keyword: 'REALTIME', unit: 's', value: 1.75 },
      { keyword: 'ELEVANGLE', unit: 'dg', value: 18 },
      { keyword: 'AZIMANGLE', unit: 'dg', value: 45 },
      { keyword: 'MAGCAM', value: 320000 },
      { keyword: 'OPERMODE', value: 'SCAN' },
    ],
    ...extra,
  };
}

describe('emsa: round trips through the ISO 22029 writer', () => {
  it('Y data: values, calibration, normalised metadata with units', async () => {
    const f = await open(writeMsa(base()));
    const e = f.entries[0]!;
    expect(e.kind).toBe('spectrum');
    expect(e.dtype).toBe('float64');
    expect(e.shape).toEqual([64]);
    expect(e.axes[0]).toMatchObject({ name: 'Energy loss', units: 'eV', size: 64, scale: 0.25, offset: 620, navigate: false });
    expect(e.intensity).toEqual({ scale: 1, offset: 0, units: 'counts' });
    const d = await f.readSlice('spectrum', { start: [0], count: [64] });
    expect(Array.from(d as Float64Array)).toEqual(Y);
    const m = e.metadata;
    expect(m.title).toBe('LNMO | LiPON interface, Mn L2,3');
    expect(m.acquisitionTime).toBe('2024-03-07T14:05:00');
    expect(m.beamEnergy).toEqual({ value: 200, unit: 'kV' });
    expect(m.probeCurrent).toEqual({ value: 0.05, unit: 'nA' });
    expect(m.convergenceAngle).toEqual({ value: 21.5, unit: 'mrad' });
    expect(m.collectionAngle).toEqual({ value: 62, unit: 'mrad' });
    expect(m.liveTime).toEqual({ value: 1.5, unit: 's' });
    expect(m.realTime).toEqual({ value: 1.75, unit: 's' });
    expect(m.dispersion).toEqual({ value: 0.25, unit: 'eV' });
    expect(m.magnification).toEqual({ value: 320000, unit: 'x' });
    expect(m.acquisitionMode).toBe('SCAN');
    expect(m.extra?.elevationAngle).toEqual({ value: 18, unit: 'deg' });
    expect(m.extra?.azimuthAngle).toEqual({ value: 45, unit: 'deg' });
    expect(m.extra?.signalType).toBe('EELS');
    expect(m.extra?.owner).toBe('Interphase tests');
    const header = e.original.header as Record<string, unknown>;
    expect(header['BEAMKV-kV']).toBe(200);
    expect(header.VERSION).toBe('TC202v2.0');
    expect(e.warnings).toEqual([]);
    await f.close();
  });

  it('XY data on a uniform grid gives scale/offset; several pairs per line', async () => {
    const x = Y.map((_, i) => 620 + 0.25 * i);
    const f = await open(writeMsa(base({ dataType: 'XY', x, ncolumns: 3 })));
    const e = f.entries[0]!;
    expect(e.axes[0]!.values).toBeUndefined();
    expect(e.axes[0]!.scale).toBe(0.25);
    expect(e.axes[0]!.offset).toBe(620);
    expect(Array.from((await f.readSlice('spectrum', { start: [0], count: [64] })) as Float64Array)).toEqual(Y);
  });

  it('XY data on a non-uniform grid keeps the x values on the axis', async () => {
    const x = Y.map((_, i) => 620 + 0.01 * i * i);
    const f = await open(writeMsa(base({ dataType: 'XY', x })));
    const a = f.entries[0]!.axes[0]!;
    expect(a.values).toEqual(x);
    expect(f.entries[0]!.warnings.join()).toMatch(/non-uniform/);
  });

  it('multi-line TITLE is joined; scientific notation and exponents after a blank', async () => {
    const text = writeMsa(base({ title: ['NiO EELS', ' - second line', ' - third line'], format: (v) => v.toExponential(6).toUpperCase() }))
      .replace('#SPECTRUM', '#TAUWIND  -cm: 2.0 E-06\r\n#SPECTRUM');
    const f = await open(text);
    const e = f.entries[0]!;
    expect(e.title).toBe('NiO EELS - second line - third line');
    const d = (await f.readSlice('spectrum', { start: [0], count: [64] })) as Float64Array;
    Y.forEach((v, i) => expect(d[i]).toBeCloseTo(v, 4));
    expect((e.original.header as Record<string, unknown>)['TAUWIND  -cm']).toBe(2e-6);
  });

  it('keywords are case-insensitive and units in the keyword are converted', async () => {
    const text = writeMsa(base({ keywords: [
      { keyword: 'beamkv', unit: 'V', value: 300000 },
      { keyword: 'LiveTime', unit: 'ms', value: 2500 },
      { keyword: 'PROBECUR', unit: 'pA', value: 50 },
      { keyword: 'OPERMODE', value: 'DIFF' },
      { keyword: 'MAGCAM', value: 80 },
    ] }));
    const m = (await open(text)).entries[0]!.metadata;
    expect(m.beamEnergy).toEqual({ value: 300, unit: 'kV' });
    expect(m.liveTime).toEqual({ value: 2.5, unit: 's' });
    expect(m.probeCurrent!.value).toBeCloseTo(0.05, 12);
    expect(m.cameraLength).toEqual({ value: 80, unit: 'mm' });
    expect(m.magnification).toBeUndefined();
  });
});

describe('emsa: lenient where files in the wild are, with warnings', () => {
  it('wrong DATE/TIME and empty fields keep the file readable', async () => {
    const text = writeMsa(base({ date: '01-09-1991', time: '12:100', keywords: [{ keyword: 'MAGCAM', value: '' }] }));
    const e = (await open(text)).entries[0]!;
    expect(e.metadata.acquisitionTime).toBeUndefined();
    expect(e.metadata.magnification).toBeUndefined();
    expect(e.warnings.some((w) => w.includes('DATE "01-09-1991"'))).toBe(true);
    expect(e.warnings.some((w) => w.includes('TIME "12:100"'))).toBe(true);
  });

  it('dates and times in the standard forms', () => {
    expect(parseMsaDate('01-OCT-1991')).toBe('1991-10-01');
    expect(parseMsaDate('1-oct-1991')).toBe('1991-10-01');
    expect(parseMsaDate('2024-02-29')).toBe('2024-02-29');
    expect(parseMsaDate('30-FEB-2024')).toBeUndefined();
    expect(parseMsaDate('01-09-1991')).toBeUndefined();
    expect(parseMsaTime('12:00')).toBe('12:00:00');
    expect(parseMsaTime('9:05:07')).toBe('09:05:07');
    expect(parseMsaTime('24:00')).toBeUndefined();
  });

  it('a date without a valid time gives the date only', async () => {
    const e = (await open(writeMsa(base({ date: '07-MAR-2024', time: '' })))).entries[0]!;
    expect(e.metadata.acquisitionTime).toBe('2024-03-07');
  });

  it('NPOINTS of 1e12 allocates nothing: the points present are read, with a warning', async () => {
    const e = (await open(writeMsa(base({ npoints: '1000000000000.' })))).entries[0]!;
    expect(e.shape).toEqual([64]);
    expect(e.warnings.some((w) => /NPOINTS says 1000000000000/.test(w))).toBe(true);
  });

  it('missing #ENDOFDATA and missing keywords are warnings', async () => {
    const text = writeMsa(base({ omitEndOfData: true })).replace(/#YUNITS[^\n]*\n/, '');
    const e = (await open(text)).entries[0]!;
    expect(e.shape).toEqual([64]);
    expect(e.warnings).toContain('no #ENDOFDATA line: the data run to the end of the file');
    expect(e.warnings.some((w) => w.includes('#YUNITS'))).toBe(true);
  });

  it('number and keyword-line syntax', () => {
    expect(parseMsaNumber('21.')).toBe(21);
    expect(parseMsaNumber('.5')).toBe(0.5);
    expect(parseMsaNumber('2.0 E-06')).toBe(2e-6);
    expect(parseMsaNumber('1.0D+02')).toBe(100);
    expect(parseMsaNumber('12:00')).toBeUndefined();
    expect(parseKeywordLine('#BEAMKV   -kV: 120.0', 1, 0)).toMatchObject({ key: 'BEAMKV', units: 'kV', rawKey: 'BEAMKV   -kV', value: '120.0' });
    expect(parseKeywordLine('##ALPHA-1    : 3.14', 1, 0)).toMatchObject({ key: 'ALPHA-1', userDefined: true, value: '3.14' });
    expect(parseKeywordLine('#TIME : 12:00', 1, 0).value).toBe('12:00');
  });
});

describe('emsa: bad input is a typed FormatError with the line offset', () => {
  it('a token that is not a number names its line and byte offset', async () => {
    const text = writeMsa(base());
    const bad = text.replace(/\r\n(\d[^\r]*)\r\n#ENDOFDATA/, '\r\n12x\r\n#ENDOFDATA');
    const offset = msaBytes(bad).length - msaBytes(bad.slice(bad.indexOf('12x\r\n#ENDOFDATA'))).length;
    const err = await open(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).offset).toBe(offset);
    expect((err as FormatError).expected).toMatch(/a number on data line \d+ \(found "12x"\)/);
    expect((err as FormatError).readerId).toBe('emsa');
  });

  it('no #SPECTRUM, odd XY count, unknown DATATYPE, text before #SPECTRUM', async () => {
    const noSpec = writeMsa(base()).replace(/#SPECTRUM[^\n]*\n[\s\S]*$/, '');
    await expect(open(noSpec)).rejects.toThrow(/#SPECTRUM keyword line/);
    const odd = writeMsa(base({ dataType: 'XY', x: Y.map((_, i) => i) })).replace(/\r\n#ENDOFDATA/, '\r\n7\r\n#ENDOFDATA');
    await expect(open(odd)).rejects.toThrow(/even number of values for XY data/);
    await expect(open(writeMsa(base()).replace('#DATATYPE    : Y', '#DATATYPE    : Z'))).rejects.toBeInstanceOf(FormatError);
    await expect(open(writeMsa(base()).replace('#OWNER', 'stray text\r\n#OWNER'))).rejects.toThrow(/'#KEYWORD : value' line/);
  });

  it('sniff and decline', async () => {
    const head = msaBytes(writeMsa(base()));
    expect(sniffEmsa(head, 'a.msa')).toBe('yes');
    expect(sniffEmsa(head, 'a.txt')).toBe('yes');
    expect(sniffEmsa(msaBytes(`${msaLine('TITLE', 'x')}\r\n`), 'a.msa')).toBe('maybe');
    expect(sniffEmsa(msaBytes('EC-Lab ASCII FILE\r\n'), 'a.msa')).toBe('no');
    await expect(emsaReader.open(new MemorySource('x.msa', msaBytes('hello\n')))).rejects.toBeInstanceOf(FormatDeclined);
  });

  it('readSlice honours steps and rejects out-of-range selections', async () => {
    const f = await open(writeMsa(base()));
    const d = (await f.readSlice('spectrum', { start: [3], count: [5], step: [4] })) as Float64Array;
    expect(Array.from(d)).toEqual([3, 7, 11, 15, 19].map((i) => Y[i]));
    await expect(f.readSlice('spectrum', { start: [60], count: [5] })).rejects.toBeInstanceOf(RangeError);
    await expect(f.readSlice('other', { start: [0], count: [1] })).rejects.toBeInstanceOf(FormatError);
  });

  it('parseMsa on bytes: encoding detection keeps Latin-1 titles', () => {
    const text = writeMsa(base({ title: 'Probe 5 µm' }));
    const latin = Uint8Array.from(text, (c) => c.charCodeAt(0));
    const parsed = parseMsa(latin, 'latin.msa');
    expect(parsed.encoding).toBe('latin-1');
    expect(parsed.keywords.find((k) => k.key === 'TITLE')!.value).toBe('Probe 5 µm');
  });
});
