/**
 * The delimited-text cycler readers (maccor, novonix, pec, bdf-csv, generic-csv) on files written
 * by test/fixtures/writers/cycler-text-writers.ts: round trips, cycling capacities recovered by
 * main/analysis/echem/cycling.ts, streaming = eager, sniffing, and bad input → FormatError with
 * line numbers.
 */
import type { ColumnArray } from '../../../main/api/dataset.js';
import { describe, expect, it } from 'vitest';
import { cycleCurves, cycleMetrics } from '../../../main/analysis/echem/cycling.js';
import type { DatasetEntry } from '../../../main/api/dataset.js';
import { MemorySource } from '../../../main/formats/file-source.js';
import { FormatDeclined, FormatError } from '../../../main/formats/format-error.js';
import { bdfCsvReader } from '../../../main/formats/bdf-csv/reader.js';
import { applyMapping, guessMapping, headerSignature, mappedColumns } from '../../../main/formats/generic-csv/mapping.js';
import { createGenericCsvReader, genericCsvReader } from '../../../main/formats/generic-csv/reader.js';
import { detectNumberStyle, parseDateTimeString, parseDuration, parseNumber } from '../../../main/formats/generic-csv/text-table.js';
import { splitLabel } from '../../../main/formats/generic-csv/units.js';
import { createMaccorReader, maccorReader } from '../../../main/formats/maccor/reader.js';
import { novonixReader } from '../../../main/formats/novonix/reader.js';
import { createPecReader, pecReader } from '../../../main/formats/pec/reader.js';
import { rankReaders } from '../../../main/formats/registry.js';
import type { Reader } from '../../../main/formats/types.js';
import {
  syntheticCycling,
  utf8,
  writeBdf,
  writeGenericCsv,
  writeMaccor,
  writeNovonix,
  writePec,
  type SyntheticCycling,
} from '../../fixtures/writers/cycler-text-writers.js';

const ds = syntheticCycling();

interface Loaded {
  entry: DatasetEntry;
  data: Record<string, ColumnArray>;
  entries: DatasetEntry[];
}

async function load(reader: Reader, name: string, text: string | Uint8Array): Promise<Loaded> {
  const f = await reader.open(new MemorySource(name, typeof text === 'string' ? utf8(text) : text));
  const entry = f.entries[0]!;
  const data = await f.readColumns!(entry.entry, entry.columns!.map((c) => c.name));
  // Also keyed by vendor label, the key that survives applyMapping (as the UI reads them).
  const byLabel = await f.readColumns!(entry.entry, entry.columns!.map((c) => c.sourceName!));
  for (const [k, v] of Object.entries(byLabel)) data[k] ??= v;
  await f.close();
  return { entry, data, entries: f.entries };
}

function cyclingOf(l: Loaded) {
  return mappedColumns(l.entry, l.data);
}

/**
 * cycleCurves + cycleMetrics recover the writer's known capacities, both ways: ∫I dt over the
 * written samples (to `rtol`), and by default from the file's own capacity counters, which are
 * exact to the precision the format prints them with (`printed_mAh`, half a last digit).
 */
function expectCapacities(l: Loaded, d: SyntheticCycling, rtol = 1e-6, printed_mAh = 0) {
  const cols = cyclingOf(l);
  for (const source of ['integrate', 'auto'] as const) {
    const curves = cycleCurves(cols, { capacitySource: source });
    const m = cycleMetrics(curves);
    const cycles = [...m.cycle.values];
    expect(cycles).toEqual(d.chargeCapacity_mAh.map((_, i) => i + 1));
    d.chargeCapacity_mAh.forEach((q, i) => {
      const tol = source === 'auto' ? Math.max(rtol * q, printed_mAh) : rtol * q;
      expect(Math.abs(m.chargeCapacity.values[i]! - q), `${source} (${curves.capacitySource}) charge ${i + 1}`).toBeLessThanOrEqual(tol);
      expect(Math.abs(m.dischargeCapacity.values[i]! - d.dischargeCapacity_mAh[i]!), `${source} (${curves.capacitySource}) discharge ${i + 1}`).toBeLessThanOrEqual(tol);
    });
  }
}

async function expectFormatError(reader: Reader, name: string, text: string, pattern: RegExp): Promise<FormatError> {
  let caught: unknown;
  try {
    await load(reader, name, text);
  } catch (e) {
    caught = e;
  }
  expect(caught, 'a FormatError').toBeInstanceOf(FormatError);
  expect((caught as FormatError).message).toMatch(pattern);
  return caught as FormatError;
}

describe('text-table primitives', () => {
  const num = (t: string, style = { decimal: 0x2e, thousands: null as number | null }) => {
    const b = utf8(t);
    return parseNumber(b, 0, b.length, style);
  };
  it('parses numbers exactly as Number() does, with both decimal separators and thousands', () => {
    for (const t of ['0', '-0', '3.86823835', '1e-7', '-4.8400091554', '769267.2400', '1.7976931348623157e308', '0.1234567890123456789', '12345678901234567890']) {
      expect(Object.is(num(t), Number(t))).toBe(true);
    }
    expect(num('3,456', { decimal: 0x2c, thousands: null })).toBe(3.456);
    expect(num('1,234,567.25', { decimal: 0x2e, thousands: 0x2c })).toBe(1234567.25);
    expect(num('1.234.567,25', { decimal: 0x2c, thousands: 0x2e })).toBe(1234567.25);
    expect(num('N/A')).toBeNaN();
    expect(num('abc')).toBeNaN();
  });
  it('detects the decimal and thousands separators', () => {
    expect(detectNumberStyle(['1,5', '2,25'], ';')).toEqual({ decimal: 0x2c, thousands: null });
    expect(detectNumberStyle(['1,234.5', '3.2'], '\t')).toEqual({ decimal: 0x2e, thousands: 0x2c });
    expect(detectNumberStyle(['1,234', '3.25'], '\t')).toEqual({ decimal: 0x2e, thousands: 0x2c });
    expect(detectNumberStyle(['1.234.567', '3'], ';')).toEqual({ decimal: 0x2c, thousands: 0x2e });
    expect(detectNumberStyle(['1,5'], ',')).toEqual({ decimal: 0x2e, thousands: null });
  });
  it('parses durations and wall-clock stamps', () => {
    const d = (t: string) => {
      const b = utf8(t);
      return parseDuration(b, 0, b.length);
    };
    expect(d('  2d 02:52:51.5699996948242')).toBeCloseTo(2 * 86400 + 2 * 3600 + 52 * 60 + 51.5699996948242, 9);
    expect(d('00:01:00')).toBe(60);
    expect(d('  0d 00:00:5')).toBe(5);
    const utc = (...a: [number, number, number, number, number, number]) => Date.UTC(a[0], a[1] - 1, a[2], a[3], a[4], a[5]) / 1000;
    expect(parseDateTimeString('10/21/2019 23:59:59')).toBe(utc(2019, 10, 21, 23, 59, 59));
    expect(parseDateTimeString('5/11/2021 3:40:24 PM')).toBe(utc(2021, 5, 11, 15, 40, 24));
    expect(parseDateTimeString('2022-04-11 10:58:07 AM')).toBe(utc(2022, 4, 11, 10, 58, 7));
    expect(parseDateTimeString('11 December 2020, 12:22:12 PM')).toBe(utc(2020, 12, 11, 12, 22, 12));
    expect(parseDateTimeString('21.10.2019 23:59:59')).toBe(utc(2019, 10, 21, 23, 59, 59));
    expect(parseDateTimeString('02/30/2019 10:00:00')).toBeNaN();
  });
  it('splits units from labels and respells them', () => {
    expect(splitLabel('Voltage (V)')).toEqual({ quantity: 'Voltage', unit: 'V' });
    expect(splitLabel('I/mA')).toEqual({ quantity: 'I', unit: 'mA' });
    expect(splitLabel('Capacity [mAh]')).toEqual({ quantity: 'Capacity', unit: 'mA·h' });
    expect(splitLabel('Test Time / s')).toEqual({ quantity: 'Test Time', unit: 's' });
    expect(splitLabel('Cycle Count / 1')).toEqual({ quantity: 'Cycle Count', unit: '' });
    expect(splitLabel('Internal Resistance 1 (mOhm)')).toEqual({ quantity: 'Internal Resistance 1', unit: 'mΩ' });
    expect(splitLabel('Step Type')).toEqual({ quantity: 'Step Type', unit: '' });
  });
});

describe('maccor', () => {
  it('raw export: columns, values, metadata and capacities', async () => {
    const l = await load(maccorReader, 'Synthetic.052', writeMaccor(ds));
    expect(l.entry.shape).toEqual([ds.time.length]);
    const names = l.entry.columns!.map((c) => c.name);
    expect(names.slice(0, 12)).toEqual(['record', 'cycle number', 'Step', 'time', 'step time', 'capacity', 'energy', 'I', 'Ecell', 'state', 'ES', 'timestamp']);
    expect(l.entry.columns!.find((c) => c.name === 'I')).toMatchObject({ units: 'A', sourceName: 'Amps' });
    expect(l.entry.columns!.find((c) => c.name === 'ACImp')).toMatchObject({ units: 'Ω', sourceName: 'ACImp/Ohms' });
    expect([...l.data.time!]).toEqual(ds.time.map((t) => Number(t.toFixed(4))));
    expect([...l.data.Ecell!]).toEqual(ds.voltage.map((v) => Number(v.toFixed(8))));
    expect(Array.from(l.data['WF Chg Cap']!).every((v) => Number.isNaN(v))).toBe(true);
    expect(l.entry.metadata.acquisitionTime).toBe('2024-10-01');
    expect(l.entry.metadata.extra).toMatchObject({ channel: 52, barcode: '0000AB' });
    expect(l.entry.original.categories).toMatchObject({ state: ['R', 'C', 'D'] });
    expect(l.data.timestamp![0]).toBe(ds.start.getTime() / 1000);
    // Already signed: nothing re-signed.
    expect(l.entry.warnings.filter((w) => /re-signed/.test(w))).toEqual([]);
    expectCapacities(l, ds);
  });

  it('unsigned Amps are signed by State, with a warning', async () => {
    const l = await load(maccorReader, 'x.010', writeMaccor(ds, { unsignedCurrent: true }));
    const nD = ds.state.filter((s) => s === 'D').length;
    expect(l.entry.warnings.some((w) => w.includes(`${nD} values re-signed`))).toBe(true);
    expect([...l.data.I!]).toEqual(ds.current.map((i) => Number(i.toFixed(10))));
    expectCapacities(l, ds);
  });

  it('thousands separators in Rec# and Test (Sec)', async () => {
    const big = syntheticCycling({ chargePoints: 200, dt: 30 });
    const l = await load(maccorReader, 'x.001', writeMaccor(big, { thousands: true, lineEnding: '\n' }));
    expect(l.entry.original.thousandsSeparator).toBe(',');
    expect(l.data.record![1100]).toBe(1101);
    expect([...l.data.time!]).toEqual(big.time.map((t) => Number(t.toFixed(4))));
    expectCapacities(l, big);
  });

  it("model one (keyed header lines, 'Nd hh:mm:ss' durations, Aux units)", async () => {
    const l = await load(maccorReader, 'maccor_one.txt', writeMaccor(ds, { variant: 'one', unsignedCurrent: true }));
    expect(l.entry.metadata.acquisitionTime).toBe('2024-10-01T11:02:29');
    expect(l.entry.columns!.find((c) => c.name === 'time')).toMatchObject({ units: 's', sourceName: 'TestTime' });
    expect([...l.data.time!]).toEqual(ds.time);
    // Amp-hr printed with 5 decimals (A·h): ±0.005 mA·h.
    expectCapacities(l, ds, 1e-4, 0.005);
  });

  it('model two (key/value header, minutes measured from DPT Time)', async () => {
    const l = await load(maccorReader, 'maccor_two.txt', writeMaccor(ds, { variant: 'two', unsignedCurrent: true }));
    expect(l.entry.columns!.find((c) => c.name === 'time')).toMatchObject({ units: 'min', sourceName: 'TestTime' });
    expect(l.entry.warnings.some((w) => /time and step time are in min/.test(w))).toBe(true);
    expect(l.entry.metadata.instrument).toBe('Maccor (Maccor #4)');
    expect(l.entry.metadata.acquisitionTime).toBe('2024-10-01T11:02:29');
    expectCapacities(l, ds, 1e-4);
  });

  it('streaming in small chunks gives the same columns as the eager parse', async () => {
    const text = writeMaccor(ds, { unsignedCurrent: true });
    const eager = await load(maccorReader, 'a.052', text);
    const lazy = await load(createMaccorReader({ eagerBytes: 0, chunkBytes: 997 }), 'a.052', text);
    expect(lazy.entry.shape).toEqual(eager.entry.shape);
    expect(lazy.entry.warnings).toEqual(eager.entry.warnings);
    for (const c of eager.entry.columns!) expect([...lazy.data[c.name]!], c.name).toEqual([...eager.data[c.name]!]);
  });

  it('bad rows: FormatError with the line number; a few bad cells: warnings', async () => {
    const lines = writeMaccor(ds).split('\r\n');
    const extra = [...lines];
    extra[10] = `${extra[10]}\t99`;
    await expectFormatError(maccorReader, 'bad.052', extra.join('\r\n'), /line 11: 16 fields/);
    const short = [...lines];
    short[20] = short[20]!.split('\t').slice(0, 5).join('\t');
    await expectFormatError(maccorReader, 'bad.052', short.join('\r\n'), /line 21: 16 fields as in the label line \(found 5\)/);
    const cell = [...lines];
    cell[30] = cell[30]!.replace(/\t[0-9.]+\t[RCD]\t/, '\tx.y\tC\t');
    const l = await load(maccorReader, 'cell.052', cell.join('\r\n'));
    expect(l.entry.warnings.some((w) => /1 cell\(s\) could not be read.*line 31 column 9 "x\.y"/.test(w))).toBe(true);
    expect(l.data.Ecell![28]).toBeNaN();
    const many = lines.map((t, i) => (i >= 2 && i < 60 ? t.replace(/\t[0-9.]+\t[RCD]\t/, '\tbad\tC\t') : t));
    await expectFormatError(maccorReader, 'many.052', many.join('\r\n'), /line 3: column 9: 58 of \d+ cells are not numbers \(first: "bad"\)/);
  });

  it('a Maccor header without a label line is a FormatError, a foreign file is declined', async () => {
    await expectFormatError(maccorReader, 'h.052', "Today's Date 10/10/2019  Date of Test:\t10/10/2019\r\nnothing here\r\n", /label line/);
    await expect(maccorReader.open(new MemorySource('x.txt', utf8('a,b\n1,2\n')))).rejects.toBeInstanceOf(FormatDeclined);
  });
});

describe('novonix', () => {
  it('quoted rows, [Summary] metadata, capacities', async () => {
    const l = await load(novonixReader, 'syn.csv', writeNovonix(ds));
    expect(l.entry.shape).toEqual([ds.time.length]);
    expect(l.entry.columns!.map((c) => c.name)).toEqual(['timestamp', 'cycle number', 'Step Type', 'time', 'step time', 'I', 'Ecell', 'capacity', 'Temperature', 'energy', 'Step Number']);
    expect(l.entry.columns!.find((c) => c.name === 'time')!.units).toBe('h');
    expect(l.entry.metadata).toMatchObject({ acquisitionTime: '2024-10-01T11:02:29', technique: 'Synthetic.pro1', activeMass: { value: 0.001, unit: 'g' }, electrodeArea: { value: 1.131, unit: 'cm²' } });
    expect([...l.data.Ecell!]).toEqual(ds.voltage.map((v) => Number(v.toFixed(8))));
    // time is written in hours with 7 decimals (as Novonix does): 0.36 s resolution.
    expectCapacities(l, ds, 2e-4);
  });
  it('a missing [Data] section is a FormatError', async () => {
    await expectFormatError(novonixReader, 'n.csv', '[Summary]\nNovonix HPC data file\nNovonix\n[End Summary]\n', /\[Data\]/);
  });
});

describe('pec', () => {
  it('header block, results check, mV/mA units, capacities and Q charge/Q discharge', async () => {
    const l = await load(pecReader, 'pec.csv', writePec(ds));
    expect(l.entry.shape).toEqual([ds.time.length]);
    const col = (n: string) => l.entry.columns!.find((c) => c.name === n)!;
    expect(col('Ecell')).toMatchObject({ units: 'mV', sourceName: 'Voltage (mV)' });
    expect(col('I')).toMatchObject({ units: 'mA', sourceName: 'Current (mA)' });
    expect(col('Q charge')).toMatchObject({ units: 'mA·h', sourceName: 'Charge Capacity (mAh)' });
    expect(col('Rack').dtype).toBe('int32');
    expect(l.entry.metadata).toMatchObject({ acquisitionTime: '2024-10-01T11:02:29', technique: 'Synthetic C/2', extra: { testId: '42' } });
    expect(l.entry.original).toMatchObject({ resultsCheck: ['ReqYear,Test,CellNr,Type,Value,Reason,', '2024,42,1,1,3000,3,'] });
    expectCapacities(l, ds);
    // The vendor's own per-cycle capacities agree with the analysis at the end of each half cycle.
    const curves = cycleCurves(cyclingOf(l));
    for (const c of curves.curves) {
      const vendor = (c.direction === 'charge' ? l.data['Q charge']! : l.data['Q discharge']!)[c.end - 1]!;
      expect(c.capacity[c.capacity.length - 1]!).toBeCloseTo(vendor, 5);
    }
  });
  it('streams like it parses', async () => {
    const text = writePec(ds);
    const a = await load(pecReader, 'p.csv', text);
    const b = await load(createPecReader({ eagerBytes: 0, chunkBytes: 333 }), 'p.csv', text);
    for (const c of a.entry.columns!) expect([...b.data[c.name]!], c.name).toEqual([...a.data[c.name]!]);
  });
  it('an unterminated quote is a FormatError with its line', async () => {
    const lines = writePec(ds).split('\r\n');
    lines[40] = lines[40]!.replace('SBT0550', '"SBT0550');
    await expectFormatError(pecReader, 'q.csv', lines.join('\r\n'), /line 41: a closing quote/);
  });
});

describe('bdf-csv', () => {
  it('units from the header, normalised names, capacities', async () => {
    const l = await load(bdfCsvReader, 'x.bdf.csv', writeBdf(ds));
    expect(l.entry.columns!.map((c) => `${c.name}[${c.units}]`)).toEqual(['time[s]', 'I[A]', 'Ecell[V]', 'cycle number[]', 'Step Index[]', 'Q charge[A·h]', 'Q discharge[A·h]']);
    expect([...l.data.time!]).toEqual(ds.time);
    expect(l.entry.warnings).toEqual([]);
    expectCapacities(l, ds, 1e-9);
  });
  it("hours and the batmo sign (charge negative, Step Type text) are handled and stated", async () => {
    const l = await load(bdfCsvReader, 'batmo.csv', writeBdf(ds, { timeUnit: 'h', chargeNegative: true, stepType: true }));
    expect(l.entry.columns!.find((c) => c.name === 'time')!.units).toBe('h');
    expect(l.entry.warnings.some((w) => /Test Time in s/.test(w))).toBe(true);
    expect(l.entry.warnings.some((w) => /re-signed/.test(w))).toBe(true);
    expect([...l.data.I!]).toEqual(ds.current);
    expectCapacities(l, ds, 1e-9);
  });
});

describe('generic-csv', () => {
  it('comma CSV with units in parentheses; mapping, signature and capacities', async () => {
    const l = await load(genericCsvReader, 'g.csv', writeGenericCsv(ds));
    expect(l.entry.columns!.map((c) => `${c.name}[${c.units}]`)).toEqual(['Test Time[s]', 'Voltage[V]', 'Current[mA]', 'Cycle[]', 'Capacity[mA·h]', 'Status[]']);
    const mapping = guessMapping(l.entry.columns!);
    expect(mapping).toEqual({ time: 'Test Time (s)', voltage: 'Voltage (V)', current: 'Current (mA)', cycle: 'Cycle', capacity: 'Capacity (mAh)' });
    const mapped = applyMapping(l.entry, mapping);
    expect(mapped.columns!.map((c) => c.name)).toEqual(['time', 'Ecell', 'I', 'cycle number', 'capacity', 'Status']);
    expect(mapped.columns!.map((c) => c.sourceName)).toEqual(l.entry.columns!.map((c) => c.sourceName));
    expectCapacities({ ...l, entry: mapped }, ds, 1e-9, 5e-7); // Capacity (mAh) printed with 6 decimals
    // Same header → same signature, whatever the data; any label change → another one.
    const again = await load(genericCsvReader, 'h.csv', writeGenericCsv(syntheticCycling({ cycles: 1 })));
    expect(headerSignature(again.entry.columns!)).toBe(headerSignature(l.entry.columns!));
    expect(headerSignature(l.entry.columns!)).toMatch(/^6:[0-9a-f]{16}$/);
    expect(headerSignature(['Test Time (s)', 'Voltage (V)'])).not.toBe(headerSignature(['Voltage (V)', 'Test Time (s)']));
  });

  it('semicolon CSV with decimal commas, slash units and a preamble', async () => {
    const text = writeGenericCsv(ds, { delimiter: ';', decimalComma: true, labels: 'slash', preamble: ['Instrument: Synthetic', 'Operator: test', ''] });
    const l = await load(genericCsvReader, 'de.csv', text);
    expect(l.entry.original).toMatchObject({ delimiter: ';', decimalSeparator: ',', settings: { Instrument: 'Synthetic', Operator: 'test' } });
    expect([...l.data.Voltage!]).toEqual(ds.voltage.map((v) => Number(v.toFixed(6))));
    const mapped = applyMapping(l.entry, { ...guessMapping(l.entry.columns!), units: { current: 'mA' } });
    expectCapacities({ ...l, entry: mapped }, ds, 1e-9, 5e-7); // Capacity (mAh) printed with 6 decimals
  });

  it('TSV with bracket units and hh:mm:ss durations; streaming = eager', async () => {
    const text = writeGenericCsv(ds, { delimiter: '\t', labels: 'brackets', durations: true });
    const l = await load(genericCsvReader, 't.tsv', text);
    expect(l.entry.columns![0]).toMatchObject({ name: 'Test Time', units: 's' });
    expect([...l.data['Test Time']!]).toEqual(ds.time);
    const s = await load(createGenericCsvReader({ eagerBytes: 0, chunkBytes: 101 }), 't.tsv', text);
    for (const c of l.entry.columns!) expect([...s.data[c.name]!], c.name).toEqual([...l.data[c.name]!]);
    expectCapacities({ ...l, entry: applyMapping(l.entry, guessMapping(l.entry.columns!)) }, ds, 1e-9, 5e-7); // 6 decimals (mAh)
  });

  it('applyMapping: unit overrides, name clashes, unknown columns', async () => {
    const l = await load(genericCsvReader, 'g.csv', writeGenericCsv(ds));
    const m = applyMapping(l.entry, { voltage: 'Voltage (V)', units: { 'Current (mA)': 'µA' } });
    expect(m.columns!.find((c) => c.sourceName === 'Current (mA)')!.units).toBe('µA');
    expect(m.warnings.some((w) => /units of "Current" set to "µA"/.test(w))).toBe(true);
    expect(() => applyMapping(l.entry, { time: 'nope' })).toThrow(/no column "nope"/);
    expect(() => applyMapping(l.entry, { time: 'Cycle', cycle: 'Cycle' })).toThrow(/mapped twice/);
  });

  it('sniffs maybe only; vendor readers win the ranking', () => {
    const all = [genericCsvReader, maccorReader, novonixReader, pecReader, bdfCsvReader];
    const files: [string, string, string][] = [
      ['a.052', writeMaccor(ds), 'maccor'],
      ['n.csv', writeNovonix(ds), 'novonix'],
      ['p.csv', writePec(ds), 'pec'],
      ['b.csv', writeBdf(ds), 'bdf-csv'],
      ['g.csv', writeGenericCsv(ds), 'generic-csv'],
    ];
    for (const [name, text, id] of files) {
      const head = utf8(text).subarray(0, 4096);
      // 'maybe' on plain delimited tables; Novonix rows are whole-line quoted (one field each), so
      // the generic reader may say 'no' there.
      expect(['maybe', 'no'], name).toContain(genericCsvReader.sniff(head, name));
      if (id !== 'novonix') expect(genericCsvReader.sniff(head, name), name).toBe('maybe');
      const ranked = rankReaders(head, name, all).map((r) => r.id);
      expect(ranked[0], name).toBe(id);
      for (const r of all) if (r.id !== id && r.id !== 'generic-csv') expect(r.sniff(head, name), `${r.id} on ${name}`).toBe('no');
    }
    expect(genericCsvReader.sniff(new Uint8Array([0, 1, 2, 3, 0x2c, 0x0a]), 'x.bin')).toBe('no');
  });

  it('binary or single-column input is declined, never an untyped error', async () => {
    await expect(genericCsvReader.open(new MemorySource('b.bin', new Uint8Array([1, 0, 2, 0, 3, 10, 4, 0])))).rejects.toBeInstanceOf(FormatDeclined);
    await expect(genericCsvReader.open(new MemorySource('one.txt', utf8('hello\nworld\n')))).rejects.toBeInstanceOf(FormatDeclined);
  });

  it('rows with too many fields → FormatError with the line number', async () => {
    const lines = writeGenericCsv(ds).split('\n');
    lines[100] = `${lines[100]},1,2`;
    const e = await expectFormatError(genericCsvReader, 'x.csv', lines.join('\n'), /line 101: 6 fields as in the label line/);
    expect(e.offset).toBeGreaterThan(0);
  });
});
