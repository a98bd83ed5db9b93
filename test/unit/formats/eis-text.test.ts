import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../../main/formats/file-source.js';
import { FormatDeclined, FormatError } from '../../../main/formats/format-error.js';
import { eisTextReader, parseEisText } from '../../../main/formats/eis-text/reader.js';
import { detectDialect, eisTextSpec } from '../../../main/formats/eis-text/spec.js';
import { splitLines } from '../../../main/formats/eis-text/text-lines.js';
import { evaluateCircuit } from '../../../main/analysis/eis/impedance-model.js';
import { parseCircuit } from '../../../main/analysis/eis/circuit-parser.js';
import {
  expo,
  writeAutolab,
  writeChInstruments,
  writeCsv,
  writeGamry,
  writeParstat,
  writePowerSuite,
  writeVersaStudio,
  writeZPlot,
  type EisPoints,
} from '../../fixtures/writers/eis-writers.js';

const enc = (s: string) => new TextEncoder().encode(s);

/** A LiPON-like spectrum: 30 points, 100 kHz … 0.1 Hz, bulk arc then blocking tail. */
function spectrum(): EisPoints {
  const freq = Float64Array.from({ length: 30 }, (_, i) => 1e5 * Math.pow(10, (-6 * i) / 29));
  const c = parseCircuit('R0-p(R1,CPE1)-CPE2');
  const z = evaluateCircuit(c, [12, 400, 2e-9, 0.92, 4e-6, 0.88], freq);
  return { freq, re: z.re, im: z.im };
}

async function open(text: string | Uint8Array, name: string) {
  const bytes = typeof text === 'string' ? enc(text) : text;
  return eisTextReader.open(new MemorySource(name, bytes));
}

/** Open, check the normalised columns against what was written (parsed back from the text). */
async function expectRoundTrip(text: string, name: string, dialect: string, p: EisPoints, rel: number) {
  expect(eisTextSpec.sniff(enc(text).subarray(0, 4096), name)).toBe(dialect === 'csv' ? 'maybe' : 'yes');
  const f = await open(text, name);
  const e = f.entries[0]!;
  expect(e.kind).toBe('table');
  expect(e.metadata.extra?.dialect).toBe(dialect);
  expect(e.columns!.slice(0, 3).map((c) => [c.name, c.units])).toEqual([
    ['freq', 'Hz'],
    ['Re(Z)', 'Ω'],
    ['-Im(Z)', 'Ω'],
  ]);
  expect(e.shape).toEqual([p.freq.length]);
  const cols = await f.readColumns!(e.entry, ['freq', 'Re(Z)', '-Im(Z)']);
  for (let i = 0; i < p.freq.length; i++) {
    expect(Math.abs(cols.freq![i]! - p.freq[i]!)).toBeLessThanOrEqual(rel * p.freq[i]!);
    expect(Math.abs(cols['Re(Z)']![i]! - p.re[i]!)).toBeLessThanOrEqual(rel * Math.abs(p.re[i]!) + 1e-12);
    // '-Im(Z)' holds −Z'' whatever the file stored.
    expect(Math.abs(cols['-Im(Z)']![i]! + p.im[i]!)).toBeLessThanOrEqual(rel * Math.abs(p.im[i]!) + 1e-12);
  }
  await f.close();
  return e;
}

describe('eis-text sniff', () => {
  it('recognises each dialect by content and leaves EC-Lab files to biologic-mpt', () => {
    const p = spectrum();
    const cases: [string, string | null][] = [
      [writeZPlot(p, { comments: true }), 'zplot'],
      [writeZPlot(p, { comments: false }), 'zplot-plain'],
      [writeAutolab(p), 'autolab'],
      [writeGamry(p), 'gamry'],
      [writeParstat(p), 'parstat'],
      [writeVersaStudio(p), 'versastudio'],
      [writePowerSuite(p), 'powersuite'],
      [writeChInstruments(p), 'chinstruments'],
      [writeCsv(p), 'csv'],
      ['EC-Lab ASCII FILE\r\nNb header lines : 3\r\n\r\nfreq/Hz\tRe(Z)/Ohm\t-Im(Z)/Ohm\r\n1\t2\t3\r\n', null],
      ['hello world\nthis is prose\n', null],
      ['', null],
    ];
    for (const [text, dialect] of cases) expect(detectDialect(enc(text).subarray(0, 4096)), text.slice(0, 30)).toBe(dialect);
    expect(eisTextSpec.sniff(enc('hello'), 'a.csv')).toBe('no');
    expect(eisTextSpec.id).toBe('eis-text');
  });

  it('splits CR, LF, CRLF and CR CR LF line ends with byte offsets', () => {
    const { lines } = splitLines(enc('a\r\nbb\rc\r\r\nd\ne'));
    expect(lines.map((l) => [l.text, l.offset])).toEqual([
      ['a', 0],
      ['bb', 3],
      ['c', 6],
      ['d', 10],
      ['e', 12],
    ]);
  });
});

describe('eis-text dialects (generated files)', () => {
  const p = spectrum();

  it('ZPlot with comment header: metadata, declared count, Z" sign', async () => {
    const e = await expectRoundTrip(writeZPlot(p, { comments: true, declaredPoints: 56 }), 'cell.z', 'zplot', p, 1e-4);
    expect(e.metadata.acquisitionTime).toBe('2018-10-12T11:04:34');
    expect(e.metadata.electrodeArea).toEqual({ value: 0.1, unit: 'cm²' });
    expect(e.metadata.technique).toBe('Sweep Frequency, Control Voltage');
    expect(e.warnings.some((w) => /declares 56/.test(w))).toBe(true);
    expect(e.columns!.map((c) => c.sourceName).slice(0, 3)).toEqual(['Freq(Hz)', "Z'(a)", "Z''(b)"]);
    expect(e.columns!.find((c) => c.sourceName === 'Time(Sec)')).toMatchObject({ name: 'time', units: 's' });
  });

  it('ZPlot without comments (ZPlotW)', async () => {
    const e = await expectRoundTrip(writeZPlot(p, { comments: false }), 'cell.z', 'zplot-plain', p, 1e-4);
    expect(e.metadata.acquisitionTime).toBe('2019-12-17T16:24:35');
  });

  it('Autolab (Z60W) with BOM', async () => {
    await expectRoundTrip(writeAutolab(p), 'cell.txt', 'autolab', p, 1e-14);
  });

  it('Gamry .DTA, complete and aborted, with decimal comma', async () => {
    const e = await expectRoundTrip(writeGamry(p), 'cell.DTA', 'gamry', p, 1e-14);
    expect(e.metadata.instrument).toBe('Gamry REF600P-36072');
    expect(e.metadata.acquisitionTime).toBe('2020-03-18T16:54:44');
    expect(e.metadata.electrodeArea).toEqual({ value: 0.1, unit: 'cm²' });
    expect(e.metadata.extra?.aborted).toBe(false);
    expect(e.columns!.find((c) => c.sourceName === 'Zmod')).toMatchObject({ name: '|Z|', units: 'Ω' });
    expect(e.columns!.find((c) => c.sourceName === 'Pt')).toMatchObject({ dtype: 'int32' });
    const a = await expectRoundTrip(writeGamry(p, { aborted: true }), 'cell.DTA', 'gamry', p, 1e-14);
    expect(a.metadata.extra?.aborted).toBe(true);
    expect(a.warnings.join(' ')).toMatch(/aborted/);
    await expectRoundTrip(writeGamry(p, { decimalComma: true }), 'cell.DTA', 'gamry', p, 1e-14);
  });

  it('Parstat: DC rows before the sweep are left out', async () => {
    const e = await expectRoundTrip(writeParstat(p, 4), 'cell.txt', 'parstat', p, 1e-14);
    expect(e.warnings.join(' ')).toMatch(/4 DC rows/);
    expect(e.columns!.find((c) => c.sourceName === 'Potential (V)')).toMatchObject({ name: 'Potential', units: 'V' });
  });

  it('VersaStudio .par: segment definition with a stray trailing label', async () => {
    const e = await expectRoundTrip(writeVersaStudio(p), 'cell.par', 'versastudio', p, 1e-14);
    expect(e.metadata.instrument).toBe('PAR VersaSTAT4');
    expect(e.metadata.acquisitionTime).toBe('2018-07-19T21:40:30');
    expect(e.metadata.electrodeArea).toEqual({ value: 0.1, unit: 'cm²' });
    expect(e.warnings.join(' ')).toMatch(/ignored trailing label/);
  });

  it('PowerSuite with CR CR LF line ends', async () => {
    await expectRoundTrip(writePowerSuite(p), 'cell.txt', 'powersuite', p, 1e-14);
  });

  it('CH Instruments', async () => {
    const e = await expectRoundTrip(writeChInstruments(p), 'cell.txt', 'chinstruments', p, 1e-3);
    expect(e.metadata.instrument).toBe('CH Instruments CHI660E');
    expect(e.metadata.acquisitionTime).toBe('2020-02-20T15:55:08');
    expect(e.original['Amplitude (V)']).toBe(0.005);
  });

  it('generic CSV: sign of Z" detected from the data when unlabelled, and stated', async () => {
    const e = await expectRoundTrip(writeCsv(p), 'cell.csv', 'csv', p, 1e-14);
    expect(e.metadata.extra?.imaginaryColumn).toMatch(/^Im\(Z\) \(detected: 30 of 30 values negative/);
    expect(e.warnings.join(' ')).toMatch(/sign convention/);
    const n = await expectRoundTrip(writeCsv(p, { negativeImaginary: true }), 'cell.csv', 'csv', p, 1e-14);
    expect(n.metadata.extra?.imaginaryColumn).toMatch(/^-Im\(Z\) \(detected/);
  });

  it('generic CSV: labels decide the sign; impedance.py saveCSV header; ; with decimal comma', async () => {
    const a = await expectRoundTrip(writeCsv(p, { header: '# freq,Re(Z),Im(Z)' }), 'a.csv', 'csv', p, 1e-14);
    expect(a.metadata.extra?.imaginaryColumn).toMatch(/from the column label "Im\(Z\)"/);
    const b = await expectRoundTrip(writeCsv(p, { header: "Frequency (Hz),Z' (Ω),-Z'' (Ω)", negativeImaginary: true }), 'b.csv', 'csv', p, 1e-14);
    expect(b.metadata.extra?.imaginaryColumn).toMatch(/^-Im\(Z\)/);
    await expectRoundTrip(writeCsv(p, { delimiter: ';', decimalComma: true, header: 'f;Re(Z);-Im(Z)', negativeImaginary: true }), 'c.csv', 'csv', p, 1e-14);
  });
});

describe('eis-text bad input', () => {
  const p = spectrum();
  const expectFormatError = async (text: string, name: string, pattern: RegExp) => {
    const err = await open(text, name).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).message).toMatch(pattern);
  };

  it('a broken ZCURVE row names its line and byte offset', async () => {
    const text = writeGamry(p).replace('\t3\t7\t', '\t3\tx7\t');
    const err = (await open(text, 'bad.DTA').catch((e: unknown) => e)) as FormatError;
    expect(err).toBeInstanceOf(FormatError);
    // The offset is the first byte of the bad line (UTF-8: the unit row holds a 2-byte '°').
    expect(err.offset).toBe(enc(text.slice(0, text.indexOf('\r\n\t3\tx7') + 2)).length);
    expect(err.message).toMatch(/field 2 of line/);
  });

  it('short rows, missing headers, empty tables and truncated ZPlot files', async () => {
    await expectFormatError(writeGamry(p).replace(/(\r\n\t5\t[^\r]*)\t9\r\n/, '$1\r\n'), 'short.DTA', /ZCURVE fields/);
    await expectFormatError(writeZPlot(p, { comments: true }).replace('End Comments\n', ''), 'noend.z', /End Comments/);
    await expectFormatError(writeZPlot(p, { comments: true }).split('End Comments')[0]! + 'End Comments\n', 'empty.z', /at least one data row/);
    await expectFormatError(writeVersaStudio(p).replace(/\r\n0,5,[^\r]*/, '\r\n0,5,1,2'), 'short.par', /24 fields/);
    await expectFormatError(writeCsv(p) + '1,2,oops\n', 'bad.csv', /a number in field 3/);
    await expectFormatError(writeChInstruments(p).replace(/Freq\/Hz.*\n\n/, 'Freq/Hz, Z\'/ohm\n\n'), 'bad.txt', /labels matching/);
    await expectFormatError(writeParstat(p, 2).split('\n').slice(0, 3).join('\n') + '\n', 'dc.txt', /non-zero frequency/);
  });

  it('declines files that are not EIS after a closer look', async () => {
    const noZ = 'EXPLAIN\r\nTAG\tCV\r\nTITLE\tLABEL\tCyclic Voltammetry\tTest\r\nCURVE\tTABLE\r\n\tPt\tT\r\n\t#\ts\r\n\t0\t1\r\n';
    await expect(open(noZ, 'cv.DTA')).rejects.toBeInstanceOf(FormatDeclined);
    await expect(open('just some words\n', 'x.txt')).rejects.toBeInstanceOf(FormatDeclined);
    // A numeric table whose first column is not a frequency.
    await expect(open('1,2,3\n-1,2,3\n2,3,4\n', 'x.csv')).rejects.toBeInstanceOf(FormatDeclined);
  });

  it('parseEisText rejects an empty file', () => {
    expect(() => parseEisText('e.z', new Uint8Array(0), 'zplot')).toThrow(FormatError);
  });

  it('readColumns: unknown entry or column is a FormatError; columns are copies', async () => {
    const f = await open(writeCsv(p), 'a.csv');
    await expect(f.readColumns!('nope', ['freq'])).rejects.toBeInstanceOf(FormatError);
    await expect(f.readColumns!('data', ['nope'])).rejects.toBeInstanceOf(FormatError);
    await expect(f.readSlice('data', { start: [0], count: [1] })).rejects.toBeInstanceOf(FormatError);
    const a = await f.readColumns!('data', ['freq']);
    a.freq![0] = -1;
    const b = await f.readColumns!('data', ['column 1']);
    expect(b['column 1']![0]).toBeCloseTo(p.freq[0]!, 6);
    await f.close();
  });

  it('writes numbers the way the instruments do (helper check)', () => {
    expect(expo(300000, 6)).toBe('3.000000E+05');
    expect(expo(-0.011335, 4)).toBe('-1.1335E-02');
  });
});
