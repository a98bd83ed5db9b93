/**
 * Arbin reader on generated fixtures (test/fixtures/writers/arbin-writer.ts): CSV (both label
 * styles, with the _Metadata.csv sidecar), .xlsx (multi-sheet, shared and inline strings),
 * sniffing, the cycling analysis on the mapped names, and bad input. The .res path needs an Access
 * database, which is not generated here: its tests are in
 * test/conformance/cyclers-neware-arbin.conformance.test.ts (plus the Jet-header checks below).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { cycleCurves, type CyclingColumns } from '../../../main/analysis/echem/cycling.js';
import { mapArbinLabel, splitArbinLabel } from '../../../main/formats/arbin/columns.js';
import { parseArbinDate } from '../../../main/formats/arbin/parse-csv.js';
import { splitLine } from '../../../main/formats/generic-csv/text-table.js';
import { arbinReader } from '../../../main/formats/arbin/reader.js';
import { MemorySource, NodeFileSource } from '../../../main/formats/file-source.js';
import { newareReader } from '../../../main/formats/neware/reader.js';
import { openSource } from '../../../main/formats/registry.js';
import { syntheticCycling, writeNdax } from '../../fixtures/writers/neware-writer.js';
import { FormatDeclined, FormatError } from '../../../main/formats/format-error.js';
import { excelDays, syntheticArbin, writeArbinCsv, writeArbinMetadataCsv, writeArbinXlsx, type ArbinFixtureRow } from '../../fixtures/writers/arbin-writer.js';

const rows = syntheticArbin(3);
const pick = (k: keyof ArbinFixtureRow) => rows.map((r) => r[k]);
const enc = (s: string) => new TextEncoder().encode(s);
const dir = mkdtempSync(path.join(tmpdir(), 'arbin-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function openBytes(name: string, bytes: Uint8Array) {
  const f = await arbinReader.open(new MemorySource(name, bytes));
  const e = f.entries[0]!;
  const cols = await f.readColumns!('data', e.columns!.map((c) => c.name));
  return { f, e, cols };
}

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    if (!(Math.abs(a[i]! - b[i]!) <= tol)) throw new Error(`index ${i}: ${a[i]} vs ${b[i]} (tol ${tol})`);
  }
}

async function expectFormatError(p: Promise<unknown>, offset?: number | null): Promise<FormatError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(FormatError);
    if (offset !== undefined) expect((e as FormatError).offset).toBe(offset);
    return e as FormatError;
  }
  throw new Error('expected a FormatError');
}

describe('arbin CSV', () => {
  it('round-trips the BEEP-style export and reads the _Metadata.csv sidecar', async () => {
    const p = path.join(dir, 'cell_CH7.csv');
    writeFileSync(p, writeArbinCsv(rows, { emptyIndexRows: 2 }));
    writeFileSync(path.join(dir, 'cell_CH7_Metadata.csv'), writeArbinMetadataCsv({ testId: 153, firstStart: 1494645214, schedule: 'a\\b.sdu', databases: 'ArbinResult_6,ArbinResult_7,' }));
    const f = await arbinReader.open(await NodeFileSource.open(p));
    const e = f.entries[0]!;
    const cols = await f.readColumns!('data', e.columns!.map((c) => c.name));
    expect(e.shape).toEqual([rows.length]);
    expect(e.metadata.acquisitionTime).toBe('2017-05-13T03:13:34Z');
    expect(e.metadata.technique).toBe('a\\b.sdu');
    expect((e.original.sidecar as Record<string, unknown>).databases).toBe('ArbinResult_6,ArbinResult_7,');
    const byName = Object.fromEntries(e.columns!.map((c) => [c.name, c]));
    expect(byName.I).toMatchObject({ units: 'A', sourceName: 'Current' });
    expect(byName.Ecell).toMatchObject({ units: 'V', sourceName: 'Voltage' });
    expect(byName.time).toMatchObject({ units: 's', sourceName: 'Test_Time' });
    expect(byName['charge capacity']!.units).toBe('A·h');
    expect(byName['date time']!.units).toBe('s');
    expectClose(cols.index!, pick('dataPoint'), 0);
    expectClose(cols.Ecell!, pick('voltage'), 1e-12);
    expectClose(cols.I!, pick('current'), 1e-12);
    expectClose(cols['discharge energy']!, pick('dischargeEnergy'), 1e-12);
    expectClose(cols['date time']!, pick('dateTime'), 1e-6);
    // Empty fields are missing values, not zeros.
    expect(Number.isNaN(cols['cycle number']![0]!)).toBe(true);
    expect(Number.isNaN(cols['step index']![1]!)).toBe(true);
    expect(cols['cycle number']![2]).toBe(1);
    await f.close();
  });

  it('reads labelled exports with text dates, as the wall-clock time', async () => {
    const { e, cols } = await openBytes('u.csv', enc(writeArbinCsv(rows, { units: true, lineEnding: '\n' })));
    const dt = e.columns!.find((c) => c.name === 'date time')!;
    expect(dt.units).toBe('s');
    expect(dt.sourceName).toMatch(/read as UTC/);
    expectClose(cols['date time']!, pick('dateTime'), 1e-6);
    expect(e.columns!.find((c) => c.name === 'internal resistance')).toMatchObject({ units: 'Ω', sourceName: 'Internal Resistance(Ohm)' });
    expect(e.metadata.acquisitionTime).toBeUndefined();
  });

  it('feeds the cycling analysis through the normalised names (A → mA by the analysis)', async () => {
    const { e, cols } = await openBytes('c.csv', enc(writeArbinCsv(rows)));
    const cc: CyclingColumns = {};
    for (const n of ['time', 'Ecell', 'I', 'cycle number']) cc[n] = { units: e.columns!.find((c) => c.name === n)!.units, values: cols[n]! };
    const curves = cycleCurves(cc);
    expect(curves.curves).toHaveLength(6);
    const first = curves.curves[0]!.capacity;
    // 2 mA for 4 minutes = 0.1333 mA·h.
    expect(first[first.length - 1]).toBeCloseTo((2 * 240) / 3600, 6);
  });

  it('rejects rows of the wrong width and non-numbers with the line offset', async () => {
    const text = writeArbinCsv(rows.slice(0, 3), { lineEnding: '\n' });
    const lines = text.split('\n');
    lines[2] = lines[2] + ',99';
    const offset = lines[0]!.length + 1 + lines[1]!.length + 1;
    const e = await expectFormatError(arbinReader.open(new MemorySource('w.csv', enc(lines.join('\n')))), offset);
    expect(e.expected).toMatch(/line 3/);
    const bad = text.split('\n');
    bad[1] = bad[1]!.replace(/^1,0,/, '1,zero,');
    await expectFormatError(arbinReader.open(new MemorySource('n.csv', enc(bad.join('\n')))), lines[0]!.length + 1);
  });

  it('declines CSVs that are not Arbin exports, including the metadata sidecar itself', async () => {
    await expect(arbinReader.open(new MemorySource('m.csv', enc(writeArbinMetadataCsv({ testId: 1, firstStart: 1, schedule: 's', databases: 'd' }))))).rejects.toBeInstanceOf(FormatDeclined);
    await expect(arbinReader.open(new MemorySource('x.csv', enc('a,b,c\n1,2,3\n')))).rejects.toBeInstanceOf(FormatDeclined);
  });
});

describe('arbin xlsx', () => {
  it('round-trips records split over several Channel sheets, with Global_Info metadata', async () => {
    const start = rows[0]!.dateTime;
    const { e, cols, f } = await openBytes('w.xlsx', writeArbinXlsx(rows, { rowsPerSheet: 7, testName: 'cell<1>', schedule: 'x.sdu', start }));
    expect(e.shape).toEqual([rows.length]);
    expect(e.original.dataSheets).toEqual(['Channel_11_1', 'Channel_11_2', 'Channel_11_3', 'Channel_11_4', 'Channel_11_5']);
    expect(e.metadata.title).toBe('cell<1>');
    expect(e.metadata.technique).toBe('x.sdu');
    expect(e.metadata.acquisitionTime).toBe(new Date(start * 1000).toISOString().slice(0, 19));
    expect((e.original.globalInfo as Record<string, unknown>).Creator).toBe('fixture & co');
    const dt = e.columns!.find((c) => c.name === 'date time')!;
    expect(dt.units).toBe('d');
    expectClose(cols['date time']!, rows.map((r) => excelDays(r.dateTime)), 1e-9);
    expectClose(cols.time!, pick('testTime'), 0);
    expectClose(cols['cycle number']!, pick('cycleIndex'), 0);
    expectClose(cols.Ecell!, pick('voltage'), 0);
    expectClose(cols.I!, pick('current'), 0);
    expectClose(cols['charge capacity']!, pick('chargeCapacity'), 0);
    expectClose(cols['dV/dt']!, pick('dvdt'), 0);
    await f.close();
  });

  it('declines workbooks without an Arbin sheet and bounds cell references', async () => {
    await expect(openBytes('o.xlsx', writeArbinXlsx(rows, { header: ['a', 'b', 'c'] }))).rejects.toBeInstanceOf(FormatDeclined);
    const huge =
      '<?xml version="1.0"?><worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Data_Point</t></is></c><c r="B1" t="inlineStr"><is><t>Test_Time</t></is></c><c r="C1" t="inlineStr"><is><t>Cycle_Index</t></is></c><c r="D1" t="inlineStr"><is><t>Voltage</t></is></c></row>' +
      '<row r="99999999"><c r="A99999999"><v>1</v></c></row></sheetData></worksheet>';
    const e = await expectFormatError(openBytes('h.xlsx', writeArbinXlsx(rows.slice(0, 2), { extraSheetXml: huge })));
    expect(e.expected).toMatch(/row number within/);
    const wide =
      '<?xml version="1.0"?><worksheet><sheetData><row r="1"><c r="ZZZZ1"><v>1</v></c></row></sheetData></worksheet>';
    await expectFormatError(openBytes('w2.xlsx', writeArbinXlsx(rows.slice(0, 2), { extraSheetXml: wide })));
  });

  it('declines a ZIP that is not a workbook', async () => {
    await expect(arbinReader.open(new MemorySource('z.xlsx', zipSync({ 'a.txt': enc('x') })))).rejects.toBeInstanceOf(FormatDeclined);
  });
});

describe('arbin .res header checks', () => {
  it('claims Jet databases by magic and rejects a broken one with a FormatError', async () => {
    const b = new Uint8Array(8192);
    b.set([0, 1, 0, 0], 0);
    b.set(enc('Standard Jet DB'), 4);
    expect(arbinReader.sniff(b.subarray(0, 4096), 'x.res')).toBe('yes');
    expect(arbinReader.sniff(b.subarray(0, 4096), 'x.mdb')).toBe('maybe');
    await expectFormatError(arbinReader.open(new MemorySource('x.res', b)));
  });
});

describe('arbin sniff and labels', () => {
  it('lets the registry tell the two ZIP formats and the CSV apart', async () => {
    const readers = [newareReader, arbinReader];
    const x = await openSource(new MemorySource('a.xlsx', writeArbinXlsx(rows.slice(0, 3))), readers);
    expect(x.reader.id).toBe('arbin');
    const n = await openSource(new MemorySource('a.ndax', writeNdax(syntheticCycling(1), { layout: 'v17' })), readers);
    expect(n.reader.id).toBe('neware');
    const c = await openSource(new MemorySource('a.csv', enc(writeArbinCsv(rows.slice(0, 3)))), readers);
    expect(c.reader.id).toBe('arbin');
    expect(c.file.entries[0]!.shape).toEqual([3]);
  });

  it('sniffs CSV headers, workbooks by extension, and nothing else', () => {
    expect(arbinReader.sniff(enc(writeArbinCsv(rows.slice(0, 2))), 'a.txt')).toBe('yes');
    expect(arbinReader.sniff(writeArbinXlsx(rows.slice(0, 2)).subarray(0, 4096), 'a.xlsx')).toBe('maybe');
    expect(arbinReader.sniff(writeArbinXlsx(rows.slice(0, 2)).subarray(0, 4096), 'a.zip')).toBe('no');
    expect(arbinReader.sniff(enc('EC-Lab ASCII FILE\r\n'), 'a.csv')).toBe('no');
  });

  it('splits units off labels and maps known quantities without rescaling', () => {
    expect(splitArbinLabel('dV/dt(V/s)')).toEqual({ base: 'dV/dt', unit: 'V/s' });
    expect(mapArbinLabel('Charge_Capacity(mAh)')).toMatchObject({ name: 'charge capacity', units: 'mA·h' });
    expect(mapArbinLabel('Aux_Temperature_1(C)')).toMatchObject({ name: 'Aux_Temperature_1(C)', units: '°C', known: false });
    expect(splitLine('0,"a,""b""",,3', ',')).toEqual(['0', 'a,"b"', '', '3']);
    expect(parseArbinDate('10/20/2020 01:02:03.5 PM')).toBe(Date.UTC(2020, 9, 20, 13, 2, 3) / 1000 + 0.5);
    expect(Number.isNaN(parseArbinDate('yesterday'))).toBe(true);
  });
});
