import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../../main/formats/file-source.js';
import { FormatDeclined, FormatError } from '../../../main/formats/format-error.js';
import { mapColumnLabel, mapColumnLabels, splitLabel } from '../../../main/formats/biologic-mpt/columns.js';
import { parseEcLabDate, parseMpt } from '../../../main/formats/biologic-mpt/parse-mpt.js';
import { biologicMptReader, createBiologicMptReader } from '../../../main/formats/biologic-mpt/reader.js';
import { biologicMptSpec } from '../../../main/formats/biologic-mpt/spec.js';
import { formatEcLab, mptBytes, synthGcpl, writeMpt, type MptColumn } from '../../fixtures/writers/mpt-writer.js';

const STARTED = new Date(Date.UTC(2024, 0, 10, 11, 2, 29, 886));

function fixture(decimalComma: boolean, extra: Partial<Parameters<typeof writeMpt>[0]> = {}) {
  const synth = synthGcpl({ cycles: 3, capacity_mAh: 0.012, ce: 0.996, fade: 0.001, currentmA: 0.003, pointsPerHalfCycle: 25, restSeconds: 600 });
  const text = writeMpt({
    technique: 'Galvanostatic Cycling with Potential Limitation',
    columns: synth.columns,
    activeMass_mg: 0.875,
    area_cm2: 1.131,
    started: STARTED,
    decimalComma,
    params: [
      ['Ns', ['0', '1', '2']],
      ['Is', ['0.000', '3.000', '-3.000']],
      ['unit Is', ['mA', 'µA', 'µA']],
      ['vs.', ['<None>', '<None>', '<None>']],
    ],
    loops: [[0, synth.columns[0]!.values.length - 1]],
    ...extra,
  });
  return { synth, text, bytes: mptBytes(text) };
}

/** What the reader must return for a written value: exactly Number() of the written token. */
function written(col: MptColumn, comma: boolean): Float64Array {
  const fmt = col.format ?? (['mode', 'ox/red', 'error', 'control changes', 'Ns changes', 'counter inc.', 'Ns', 'half cycle'].includes(col.label) ? 'int' : /^(Ewe|I|control)\//.test(col.label) ? 7 : 15);
  return Float64Array.from(col.values as ArrayLike<number>, (v) => Number(formatEcLab(v, fmt, comma).replace(',', '.')));
}

async function open(bytes: Uint8Array, name = 'fixture.mpt', reader = biologicMptReader) {
  return reader.open(new MemorySource(name, bytes));
}

describe('biologic-mpt spec', () => {
  it('sniffs EC-Lab and BT-Lab magics and nothing else', () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    expect(biologicMptSpec.sniff(enc('EC-Lab ASCII FILE\r\nNb header lines : 3'), 'a.mpt')).toBe('yes');
    expect(biologicMptSpec.sniff(enc('BT-Lab ASCII FILE\nNb header lines : 3'), 'a.txt')).toBe('yes');
    expect(biologicMptSpec.sniff(enc('EC-Lab ASCII FILEX\n'), 'a.mpt')).toBe('no');
    expect(biologicMptSpec.sniff(enc('BIO-LOGIC MODULAR FILE\x1a'), 'a.mpr')).toBe('no');
    expect(biologicMptSpec.sniff(new Uint8Array(0), 'a.mpt')).toBe('no');
    expect(biologicMptSpec.id).toBe('biologic-mpt');
    expect(biologicMptSpec.extensions).toEqual(['mpt']);
  });
});

describe('biologic-mpt columns', () => {
  it('splits labels at the unit, not at the first slash', () => {
    expect(splitLabel('Q charge/discharge/mA.h')).toEqual({ quantity: 'Q charge/discharge', unit: 'mA.h' });
    expect(splitLabel('control/V/mA')).toEqual({ quantity: 'control', unit: 'V/mA' });
    expect(splitLabel('Re(Conductivity)/mS/cm')).toEqual({ quantity: 'Re(Conductivity)', unit: 'mS/cm' });
    expect(splitLabel('ox/red')).toEqual({ quantity: 'ox/red', unit: '' });
    expect(splitLabel('<Ewe/V>')).toEqual({ quantity: '<Ewe>', unit: 'V' });
    expect(splitLabel('cycle number')).toEqual({ quantity: 'cycle number', unit: '' });
  });

  it('normalises known names and unit spellings', () => {
    const cases: [string, string, string, string][] = [
      ['time/s', 'time', 's', 'float64'],
      ['Ewe/V', 'Ewe', 'V', 'float64'],
      ['<I>/mA', '<I>', 'mA', 'float64'],
      ['I/mA', 'I', 'mA', 'float64'],
      ['(Q-Qo)/mA.h', '(Q-Qo)', 'mA·h', 'float64'],
      ['Q charge/discharge/mA.h', 'Q charge/discharge', 'mA·h', 'float64'],
      ['cycle number', 'cycle number', '', 'float64'],
      ['half cycle', 'half cycle', '', 'int32'],
      ['freq/Hz', 'freq', 'Hz', 'float64'],
      ['Re(Z)/Ohm', 'Re(Z)', 'Ω', 'float64'],
      ['-Im(Z)/Ohm', '-Im(Z)', 'Ω', 'float64'],
      ['|Ewe|/V', '|Ewe|', 'V', 'float64'],
      ['Re(Y)/Ohm-1', 'Re(Y)', 'Ω⁻¹', 'float64'],
      ['Phase(Z)/deg', 'Phase(Z)', '°', 'float64'],
      ['Cs/µF', 'Cs', 'µF', 'float64'],
      ['|Energy|/W.h', '|Energy|', 'W·h', 'float64'],
      ['Ns', 'Ns', '', 'int32'],
      ['control/V/mA', 'control', 'V/mA', 'float64'],
    ];
    for (const [label, name, units, dtype] of cases) {
      const c = mapColumnLabel(label);
      expect({ label, name: c.name, units: c.units, dtype: c.dtype, sourceName: c.sourceName }).toEqual({ label, name, units, dtype, sourceName: label });
    }
  });

  it('keeps unknown columns under their raw label with an inferred unit', () => {
    const c = mapColumnLabel('Analog IN 1/V');
    expect(c).toMatchObject({ name: 'Analog IN 1/V', units: 'V', known: false });
    expect(mapColumnLabel('Re(Resistivity)/Ohm.cm')).toMatchObject({ name: 'Re(Resistivity)/Ohm.cm', units: 'Ω·cm' });
    expect(mapColumnLabel('Tan(Delta)')).toMatchObject({ name: 'Tan(Delta)', units: '' });
  });

  it('keeps names unique when two labels normalise alike', () => {
    const cols = mapColumnLabels(['control/V/mA', 'control/V', 'control/mA', 'x', 'x']);
    expect(cols.map((c) => c.name)).toEqual(['control', 'control/V', 'control/mA', 'x', 'x #2']);
  });
});

describe('biologic-mpt dates', () => {
  it('reads EC-Lab month-first dates, day-first when forced, dotted day-first, ISO', () => {
    expect(parseEcLabDate('01/10/2024 11:02:29.886')).toEqual({ iso: '2024-01-10T11:02:29.886' });
    expect(parseEcLabDate('07/30/2025 09:24:35.408')).toEqual({ iso: '2025-07-30T09:24:35.408' });
    expect(parseEcLabDate('30/07/2025 09:24:35')).toEqual({ iso: '2025-07-30T09:24:35' });
    expect(parseEcLabDate('30.07.2025 09:24:35')).toEqual({ iso: '2025-07-30T09:24:35' });
    const ambiguous = parseEcLabDate('03.02.2021 16:17:59');
    expect(ambiguous?.iso).toBe('2021-02-03T16:17:59');
    expect(ambiguous?.warning).toMatch(/ambiguous/);
    expect(parseEcLabDate('2021-03-02 16:17:59')).toEqual({ iso: '2021-03-02T16:17:59' });
    expect(parseEcLabDate('3/2/2021 4:17:59 PM')).toEqual({ iso: '2021-03-02T16:17:59' });
    expect(parseEcLabDate('13/13/2021 00:00:00')).toBeNull();
    expect(parseEcLabDate('yesterday')).toBeNull();
  });
});

describe('biologic-mpt round trip through the writer', () => {
  for (const comma of [false, true]) {
    it(`reads back every column exactly (decimal ${comma ? 'comma' : 'point'})`, async () => {
      const { synth, bytes, text } = fixture(comma);
      expect(text.startsWith('EC-Lab ASCII FILE\r\nNb header lines : ')).toBe(true);
      const f = await open(bytes);
      expect(f.readerId).toBe('biologic-mpt');
      expect(f.entries).toHaveLength(1);
      const e = f.entries[0]!;
      const n = synth.columns[0]!.values.length;
      expect(e).toMatchObject({ entry: 'data', kind: 'table', shape: [n], dtype: 'float64' });
      expect(e.columns!.map((c) => c.sourceName)).toEqual(synth.columns.map((c) => c.label));
      expect(e.columns!.map((c) => c.name)).toEqual([
        'mode', 'ox/red', 'error', 'control changes', 'Ns changes', 'counter inc.', 'Ns', 'time', 'control', 'Ewe', 'I',
        'dq', '(Q-Qo)', 'Q charge/discharge', 'half cycle', 'cycle number',
      ]);
      expect(e.metadata.technique).toBe('Galvanostatic Cycling with Potential Limitation');
      expect(e.metadata.activeMass).toEqual({ value: 0.875, unit: 'mg' });
      expect(e.metadata.electrodeArea).toEqual({ value: 1.131, unit: 'cm²' });
      expect(e.metadata.acquisitionTime).toBe('2024-01-10T11:02:29.886');
      expect(e.metadata.extra?.decimalSeparator).toBe(comma ? ',' : '.');
      const original = e.original as Record<string, unknown>;
      expect((original.settings as Record<string, unknown>)['Acquisition started on']).toBe('01/10/2024 11:02:29.886');
      expect((original.params as Record<string, string[]>)['Is']).toEqual(['0.000', '3.000', '-3.000']);
      expect((original.params as Record<string, string[]>)['unit Is vs.']).toEqual(['<None>', '<None>', '<None>']);
      expect(original.loops).toEqual([{ index: 0, from: 0, to: n - 1 }]);
      expect(Array.isArray(original.rawHeader)).toBe(true);
      expect((original.rawHeader as string[]).length).toBe(original.nbHeaderLines);
      const names = e.columns!.map((c) => c.name);
      const cols = await f.readColumns!('data', names);
      synth.columns.forEach((c, i) => {
        expect(cols[names[i]!], c.label).toEqual(written(c, comma));
      });
      await f.close();
    });
  }

  it('gives identical numbers for the two locales and for LF line ends', async () => {
    const a = parseMpt(fixture(false).bytes, 'a.mpt');
    const b = parseMpt(fixture(true).bytes, 'b.mpt');
    const c = parseMpt(fixture(false, { lineEnding: '\n' }).bytes, 'c.mpt');
    expect(c.header.lineEnding).toBe('\n');
    expect(a.header.lineEnding).toBe('\r\n');
    expect(b.data.rowCount).toBe(a.data.rowCount);
    a.data.columns.forEach((col, i) => {
      expect(b.data.columns[i]).toEqual(col);
      expect(c.data.columns[i]).toEqual(col);
    });
  });

  it('reads by name or by source label, and refuses slices and unknown columns', async () => {
    const f = await open(fixture(false).bytes);
    const byLabel = await f.readColumns!('data', ['Ewe/V']);
    const byName = await f.readColumns!('data', ['Ewe']);
    expect(byLabel['Ewe/V']).toEqual(byName['Ewe']);
    await expect(f.readColumns!('data', ['nope'])).rejects.toBeInstanceOf(FormatError);
    await expect(f.readColumns!('other', ['Ewe'])).rejects.toBeInstanceOf(FormatError);
    await expect(f.readSlice('data', { start: [0], count: [1] })).rejects.toThrow(/read by column/);
    await f.close();
  });

  it('streams large files lazily with identical results across chunk boundaries', async () => {
    const { bytes } = fixture(true);
    const eager = await open(bytes);
    for (const chunkBytes of [1, 7, 113, 4096]) {
      const lazy = await open(bytes, 'lazy.mpt', createBiologicMptReader({ eagerBytes: 0, chunkBytes }));
      expect(lazy.entries[0]!.shape).toEqual(eager.entries[0]!.shape);
      expect(lazy.entries[0]!.metadata.extra?.decimalSeparator).toBe(',');
      const names = ['time', 'Ewe', 'I', 'half cycle'];
      expect(await lazy.readColumns!('data', names)).toEqual(await eager.readColumns!('data', names));
      await lazy.close();
    }
    await eager.close();
  });

  it('reads a bare 3-line header (no settings) and a file with no data rows', async () => {
    const cols: MptColumn[] = [
      { label: 'time/s', values: [0, 1.5, 3] },
      { label: 'Ewe/V', values: [3.5, 4.7, 5.1] },
    ];
    const bare = await open(mptBytes(writeMpt({ technique: 'x', columns: cols, started: STARTED, bareHeader: true })));
    const e = bare.entries[0]!;
    expect(e.shape).toEqual([3]);
    expect(e.metadata.technique).toBeUndefined();
    expect(e.metadata.acquisitionTime).toBeUndefined();
    expect((await bare.readColumns!('data', ['Ewe'])).Ewe).toEqual(Float64Array.from([3.5, 4.7, 5.1]));
    // EC-Lab writes no line break after the labels when there is no data (wait.mpt).
    const empty = writeMpt({ technique: 'Wait', columns: cols.map((c) => ({ ...c, values: [] })), started: STARTED });
    expect(empty.endsWith('Ewe/V\t')).toBe(true);
    const z = await open(mptBytes(empty));
    expect(z.entries[0]!.shape).toEqual([0]);
    expect(z.entries[0]!.metadata.technique).toBe('Wait');
    expect((await z.readColumns!('data', ['time'])).time).toHaveLength(0);
  });

  it('parses numbers exactly like Number() on the token', () => {
    const tokens = [
      '0', '-0.0', '1.000000000000000E+000', '3.015299923827115E+001', '9.999999999999999E+022', '1.7976931348623157E+308',
      '4.9406564584124654E-324', '2.2250738585072014E-308', '-6.092006547583474E-010', '1.2345678901234567890E+005',
      '7.2807552868100440E+005', '0.1', '123456789012345678', '5E-3', '+1.5e2', '.5', '5.',
    ];
    const text = ['EC-Lab ASCII FILE', 'Nb header lines : 3', 'v\t', ...tokens].join('\r\n');
    const { data } = parseMpt(mptBytes(text), 't.mpt');
    expect(Array.from(data.columns[0]!)).toEqual(tokens.map((t) => Number(t)));
    // A random sweep of EC-Lab-formatted values
    const values: number[] = [];
    let seed = 12345;
    for (let i = 0; i < 5000; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      values.push((seed / 2 ** 31 - 0.5) * 10 ** ((seed % 40) - 20));
    }
    const t2 = ['EC-Lab ASCII FILE', 'Nb header lines : 3', 'a\tb\t', ...values.map((v) => `${formatEcLab(v, 15)}\t${formatEcLab(v, 7)}`)].join('\n');
    const r = parseMpt(mptBytes(t2), 'r.mpt');
    expect(Array.from(r.data.columns[0]!)).toEqual(values.map((v) => Number(formatEcLab(v, 15))));
    expect(Array.from(r.data.columns[1]!)).toEqual(values.map((v) => Number(formatEcLab(v, 7))));
  });

  it('decodes Windows-1252 header text (µ, ²) and UTF-8 when the bytes are UTF-8', () => {
    const lines = ['EC-Lab ASCII FILE', 'Nb header lines : 8', '', 'Open Circuit Voltage', '', 'Electrode surface area : 113.100 mm²', 'Mass of active material : 1.390 mg', 'Cs/µF\t', '1.0'];
    const cp = parseMpt(mptBytes(lines.join('\r\n')), 'a.mpt');
    expect(cp.header.encoding).toBe('windows-1252');
    expect(cp.header.electrodeArea).toEqual({ value: 1.131, unit: 'cm²' });
    expect(cp.header.columns[0]).toMatchObject({ name: 'Cs', units: 'µF' });
    const u8 = parseMpt(new TextEncoder().encode(lines.join('\r\n')), 'b.mpt');
    expect(u8.header.encoding).toBe('utf-8');
    expect(u8.header.columns[0]).toMatchObject({ name: 'Cs', units: 'µF' });
    expect(u8.header.activeMass).toEqual({ value: 1.39, unit: 'mg' });
  });
});

describe('biologic-mpt bad input', () => {
  const head = 'EC-Lab ASCII FILE\r\nNb header lines : 3\r\na/V\tb/V\t\r\n';

  function formatError(text: string): FormatError {
    try {
      parseMpt(mptBytes(text), 'bad.mpt');
    } catch (e) {
      expect(e).toBeInstanceOf(FormatError);
      return e as FormatError;
    }
    throw new Error('expected a FormatError');
  }

  it('declines files that are not EC-Lab exports', async () => {
    await expect(open(mptBytes('mode\ttime/s\r\n1\t2\r\n'))).rejects.toBeInstanceOf(FormatDeclined);
    expect(formatError('Hello\r\n').expected).toMatch(/EC-Lab ASCII FILE/);
  });

  it('rejects a broken header line count', () => {
    expect(formatError('EC-Lab ASCII FILE\r\nNb header lines : x\r\n').expected).toMatch(/Nb header lines/);
    expect(formatError('EC-Lab ASCII FILE\r\nNb header lines : 2\r\n').expected).toMatch(/between 3/);
    expect(formatError('EC-Lab ASCII FILE\r\nNb header lines : 99999999999\r\n').expected).toMatch(/between 3/);
    const e = formatError('EC-Lab ASCII FILE\r\nNb header lines : 40\r\n\r\nOCV\r\n');
    expect(e.expected).toMatch(/40 header lines/);
  });

  it('reports the line and byte offset of rows with the wrong number of values', () => {
    const few = formatError(`${head}1.0\t2.0\r\n3.0\r\n`);
    expect(few.expected).toMatch(/^line 5: 2 tab-separated values \(found 1\)/);
    expect(few.offset).toBeGreaterThan(head.length);
    const many = formatError(`${head}1.0\t2.0\t3.0\r\n`);
    expect(many.expected).toMatch(/^line 4: .*found 3/);
    expect(many.offset).toBe(head.length + 8);
  });

  it('rejects tokens that are not numbers and mixed decimal separators', () => {
    const e = formatError(`${head}1.0\tabc\r\n`);
    expect(e.expected).toMatch(/line 4: a number in column 2 \(found "abc"\)/);
    expect(e.offset).toBe(head.length + 4);
    expect(formatError(`${head}1.0\t2.0\r\n1,5\t2.0\r\n`).expected).toMatch(/line 5: .*decimal separator/);
    expect(formatError(`${head}1.0\t\r\n`).expected).toMatch(/line 4: a number in column 2/);
    expect(formatError(`${head}1.0E\t2\r\n`).expected).toMatch(/exponent/);
  });

  it('accepts blank lines and NaN tokens', () => {
    const { data } = parseMpt(mptBytes(`${head}1.0\tNaN\r\n\r\n2.0\t-Inf\r\n\r\n`), 'ok.mpt');
    expect(data.rowCount).toBe(2);
    expect(Array.from(data.columns[1]!)).toEqual([NaN, -Infinity]);
  });

  it('reports labels written after the terminating tab without data', () => {
    const { header, data } = parseMpt(mptBytes('EC-Lab ASCII FILE\r\nNb header lines : 3\r\na/V\tb/V\t\tc/V\r\n1\t2\r\n'), 'x.mpt');
    expect(header.columnLabels).toEqual(['a/V', 'b/V']);
    expect(header.warnings.join(' ')).toMatch(/c\/V/);
    expect(data.rowCount).toBe(1);
  });
});
