/**
 * Neware .nda/.ndax reader on generated fixtures (test/fixtures/writers/neware-writer.ts): round
 * trips of the v29 .nda and the v17 and v5 .ndax layouts, the runInfo gap filling, aux channels,
 * sniffing, the cycling analysis on the mapped names, and bad input (FormatError with offsets,
 * bounded ZIP extraction).
 */
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { cycleCurves, type CyclingColumns } from '../../../main/analysis/echem/cycling.js';
import { MemorySource } from '../../../main/formats/file-source.js';
import { FormatDeclined, FormatError } from '../../../main/formats/format-error.js';
import { chargeFirstCycles, testTime } from '../../../main/formats/neware/map-records.js';
import { newareReader } from '../../../main/formats/neware/reader.js';
import { crc32, ZipArchive } from '../../../main/formats/zip-archive.js';
import { syntheticCycling, writeNda29, writeNdax, type NewareFixtureRecord } from '../../fixtures/writers/neware-writer.js';

async function open(name: string, bytes: Uint8Array) {
  const f = await newareReader.open(new MemorySource(name, bytes));
  const e = f.entries[0]!;
  const cols = await f.readColumns!('data', e.columns!.map((c) => c.name));
  return { f, e, cols };
}

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    if (Math.abs(a[i]! - b[i]!) > tol) throw new Error(`index ${i}: ${a[i]} vs ${b[i]} (tol ${tol})`);
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

const recs = syntheticCycling(3);
const pick = (k: keyof NewareFixtureRecord) => recs.map((r) => r[k] as number);

describe('neware .nda v29', () => {
  it('round-trips every record field, the header and the aux temperature', async () => {
    const { e, cols, f } = await open('cell.nda', writeNda29(recs, { activeMass_mg: 1.25, remarks: 'fixture' }));
    expect(e.kind).toBe('table');
    expect(e.shape).toEqual([recs.length]);
    expect(e.original.layout).toBe('nda v29');
    expect(e.original.timestampZone).toBe('local');
    expect(e.metadata.activeMass).toEqual({ value: 1.25, unit: 'mg' });
    expect(e.metadata.instrument).toBe('Neware BTSServer 7.6.0');
    expectClose(cols.index!, pick('index'), 0);
    expectClose(cols['cycle number']!, pick('cycle'), 0);
    expectClose(cols['step index']!, pick('stepIndex'), 0);
    expectClose(cols['step type']!, pick('status'), 0);
    expectClose(cols['step time']!, pick('stepTime'), 1e-9);
    expectClose(cols.Ecell!, pick('voltage'), 1e-4);
    expectClose(cols.I!, pick('current'), 0.1);
    expectClose(cols['charge capacity']!, pick('chargeCapacity'), 1e-4);
    expectClose(cols['discharge energy']!, pick('dischargeEnergy'), 1e-4);
    expectClose(cols.timestamp!, pick('timestamp'), 0);
    expectClose(cols.T1!, pick('temperature'), 0.051);
    // 4 steps per cycle, counted across the file.
    expect(cols.step![cols.step!.length - 1]).toBe(12);
    const units = Object.fromEntries(e.columns!.map((c) => [c.name, c.units]));
    expect(units).toMatchObject({ I: 'mA', Ecell: 'V', time: 's', 'charge capacity': 'mA·h', 'charge energy': 'mW·h', T1: '°C' });
    expect(e.columns!.find((c) => c.name === 'I')!.sourceName).toMatch(/range factor/);
    expect((e.original.stepTypes as Record<string, string>)['4']).toBe('Rest');
    await f.close();
  });

  it('derives the running test time and the charge-first cycle count', async () => {
    const { cols } = await open('cell.nda', writeNda29(recs));
    // Six 10-s points per step, so each step adds 50 s of step time; timestamps advance 10 s per record.
    const t = cols.time!;
    expect(t[5]).toBe(50);
    expect(t[6]).toBe(50);
    expect(t[recs.length - 1]).toBe(12 * 50);
    // A new charge-first cycle begins at the charge step, so each cycle's leading rest still counts
    // to the cycle before.
    expectClose(cols['cycle (charge-first)']!, recs.map((r) => (r.stepIndex === 1 && r.cycle > 1 ? r.cycle - 1 : r.cycle)), 0);
  });

  it('feeds the cycling analysis through the normalised names', async () => {
    const { e, cols } = await open('cell.nda', writeNda29(recs));
    const units = Object.fromEntries(e.columns!.map((c) => [c.name, c.units]));
    const cc: CyclingColumns = {};
    for (const n of ['time', 'Ecell', 'I', 'cycle number']) cc[n] = { units: units[n]!, values: cols[n]! };
    const curves = cycleCurves(cc);
    expect(curves.capacitySource).toBe('integrated');
    expect(curves.curves.map((c) => c.direction)).toEqual(['charge', 'discharge', 'charge', 'discharge', 'charge', 'discharge']);
    // 2 mA for 50 s = 0.02778 mA·h per half cycle.
    const last = curves.curves[1]!.capacity;
    expect(last[last.length - 1]).toBeCloseTo((2 * 50) / 3600, 4);
  });

  it('rejects bad input with typed errors and offsets', async () => {
    const good = writeNda29(recs);
    const badVersion = good.slice();
    badVersion[14] = 77;
    await expectFormatError(newareReader.open(new MemorySource('v.nda', badVersion)), 14);
    const noRecords = good.slice(0, 2000);
    await expectFormatError(newareReader.open(new MemorySource('t.nda', noRecords)), 0);
    await expect(newareReader.open(new MemorySource('x.nda', new TextEncoder().encode('hello world, not neware')))).rejects.toBeInstanceOf(FormatDeclined);
  });

  it('reports unknown current ranges instead of guessing a scale', async () => {
    const b = writeNda29(recs.slice(0, 3));
    new DataView(b.buffer).setInt32(2560 + 78, 777, true);
    const { e, cols } = await open('r.nda', b);
    expect(Number.isNaN(cols.I![0]!)).toBe(true);
    expect(e.warnings.join(' ')).toMatch(/777/);
  });
});

describe('neware .ndax v17', () => {
  it('joins data, runInfo and step files and names the aux channel from TestInfo.xml', async () => {
    const { e, cols, f } = await open('cell.ndax', writeNdax(recs, { layout: 'v17', barcode: 'CELL42' }));
    expect(e.original.layout).toBe('ndc v17');
    expect(e.metadata.title).toBe('CELL42');
    expect(e.metadata.acquisitionTime).toBe('2025-01-02T03:04:05');
    expect(e.metadata.instrument).toMatch(/BTSServer/);
    expect(e.columns!.some((c) => c.name === 'interpolated')).toBe(false);
    expectClose(cols.index!, pick('index'), 0);
    expectClose(cols['cycle number']!, pick('cycle'), 0);
    expectClose(cols['step type']!, pick('status'), 0);
    expectClose(cols.Ecell!, pick('voltage'), 1e-6);
    expectClose(cols.I!, pick('current'), 1e-5);
    expectClose(cols['step time']!, pick('stepTime'), 1e-9);
    expectClose(cols['charge capacity']!, pick('chargeCapacity'), 1e-6);
    expectClose(cols['discharge energy']!, pick('dischargeEnergy'), 1e-5);
    expectClose(cols.timestamp!, pick('timestamp'), 1e-3);
    expectClose(cols.T1!, pick('temperature'), 1e-5);
    const xml = e.original.xml as Record<string, unknown>;
    expect(JSON.stringify(xml.Step)).toContain('fixture & test');
    await f.close();
  });

  it('fills records without a runInfo row from the logging interval and flags them', async () => {
    const skip = new Set([3, 4, 10]);
    const { e, cols } = await open('gaps.ndax', writeNdax(recs, { layout: 'v17', skipRunInfo: skip }));
    const flag = cols.interpolated!;
    for (let i = 0; i < recs.length; i++) expect(flag[i]).toBe(skip.has(i + 1) ? 1 : 0);
    expect(e.warnings.join(' ')).toMatch(/3 of 72 records have no runInfo row/);
    // Constant current within a step: the filled values equal the true ones.
    expectClose(cols['step time']!, pick('stepTime'), 1e-6);
    expectClose(cols['charge capacity']!, pick('chargeCapacity'), 1e-5);
    expectClose(cols.timestamp!, pick('timestamp'), 1e-3);
  });

  it('declines a ZIP without data.ndc and reports missing companion files', async () => {
    await expect(newareReader.open(new MemorySource('a.ndax', zipSync({ 'Step.xml': new Uint8Array(3) })))).rejects.toBeInstanceOf(FormatDeclined);
    const { e, cols } = await open('b.ndax', writeNdax(recs, { layout: 'v17', omit: ['data_runInfo.ndc'] }));
    expect(e.warnings.join(' ')).toMatch(/runInfo/);
    expect(Number.isNaN(cols['step time']![0]!)).toBe(true);
    expectClose(cols.Ecell!, pick('voltage'), 1e-6);
  });

  it('rejects a data.ndc of the wrong file type or version with its offset', async () => {
    const bad = new Uint8Array(8192);
    bad[0] = 1;
    bad[2] = 99;
    const e = await expectFormatError(newareReader.open(new MemorySource('c.ndax', writeNdax(recs, { layout: 'v17', extraMembers: { 'data.ndc': bad } }))), 2);
    expect(e.file).toBe('c.ndax!data.ndc');
    const wrongType = new Uint8Array(8192);
    wrongType[0] = 7;
    wrongType[2] = 17;
    await expectFormatError(newareReader.open(new MemorySource('d.ndax', writeNdax(recs, { layout: 'v17', extraMembers: { 'data.ndc': wrongType } }))), 0);
  });
});

describe('neware .ndax v5', () => {
  it('round-trips complete integer records', async () => {
    const { e, cols } = await open('old.ndax', writeNdax(recs, { layout: 'v5' }));
    expect(e.original.layout).toBe('ndc v5');
    expect(e.original.timestampZone).toBe('local');
    expectClose(cols.index!, pick('index'), 0);
    expectClose(cols['cycle number']!, pick('cycle'), 0);
    expectClose(cols.Ecell!, pick('voltage'), 1e-4);
    expectClose(cols.I!, pick('current'), 0.1);
    expectClose(cols['discharge capacity']!, pick('dischargeCapacity'), 1e-4);
    expectClose(cols.timestamp!, pick('timestamp'), 0);
  });
});

describe('neware sniff', () => {
  it('recognises both containers by their first bytes', () => {
    expect(newareReader.sniff(writeNda29(recs).subarray(0, 4096), 'x.bin')).toBe('yes');
    expect(newareReader.sniff(writeNdax(recs, { layout: 'v17' }).subarray(0, 4096), 'x.zip')).toBe('yes');
    expect(newareReader.sniff(zipSync({ 'other.txt': new Uint8Array(1) }).subarray(0, 4096), 'x.ndax')).toBe('maybe');
    expect(newareReader.sniff(zipSync({ 'other.txt': new Uint8Array(1) }).subarray(0, 4096), 'x.zip')).toBe('no');
    expect(newareReader.sniff(new TextEncoder().encode('Data_Point,Test_Time\n'), 'x.nda')).toBe('no');
  });
});

describe('bounded ZIP extraction', () => {
  /** Patch the central directory entry of `name`: its uncompressed size (offset 24) or CRC (16). */
  function patchCentral(zip: Uint8Array, name: string, field: 16 | 24, value: number): Uint8Array {
    const b = zip.slice();
    const dv = new DataView(b.buffer);
    for (let p = b.length - 22; p >= 0; p--) {
      if (dv.getUint32(p, true) !== 0x02014b50) continue;
      const n = dv.getUint16(p + 28, true);
      if (new TextDecoder().decode(b.subarray(p + 46, p + 46 + n)) === name) {
        dv.setUint32(p + field, value >>> 0, true);
        return b;
      }
    }
    throw new Error(`no central entry ${name}`);
  }

  it('refuses a member that declares more than the limit, before inflating it', async () => {
    const bomb = patchCentral(writeNdax(recs, { layout: 'v17' }), 'data.ndc', 24, 0xfffffff0);
    const e = await expectFormatError(newareReader.open(new MemorySource('bomb.ndax', bomb)));
    expect(e.expected).toMatch(/at most .* bytes uncompressed/);
  });

  it('stops a stream that inflates past its declared size', async () => {
    const zeros = new Uint8Array(4 << 20); // 4 MiB of zeros deflates to a few kB
    const z = zipSync({ 'data.ndc': zeros });
    const lying = patchCentral(z, 'data.ndc', 24, 1000);
    const zip = await ZipArchive.open(new MemorySource('lie.zip', lying), 'neware');
    const e = await expectFormatError(zip.read(zip.find('data.ndc')!, 1 << 20));
    expect(e.expected).toMatch(/it is longer/);
  });

  it('verifies CRC-32', async () => {
    const z = patchCentral(zipSync({ 'a.txt': new TextEncoder().encode('abc') }), 'a.txt', 16, 1234);
    const zip = await ZipArchive.open(new MemorySource('crc.zip', z), 'neware');
    await expectFormatError(zip.read(zip.find('a.txt')!, 100));
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('rejects a truncated archive with the offset of the missing directory', async () => {
    const z = writeNdax(recs, { layout: 'v17' });
    await expectFormatError(ZipArchive.open(new MemorySource('cut.zip', z.subarray(0, 200)), 'neware'), 0);
  });
});

describe('derived columns', () => {
  it('counts cycles charge-first, a SIM step counting as discharge', () => {
    // Rest, CC_Chg, CC_DChg, CC_Chg, SIM, CCCV_Chg, CC_DChg
    expect(Array.from(chargeFirstCycles(Float64Array.of(4, 1, 2, 1, 17, 7, 2)))).toEqual([1, 1, 1, 2, 2, 3, 3]);
  });
  it('accumulates step times into test time', () => {
    expect(Array.from(testTime(Float64Array.of(1, 1, 2, 2, 3), Float64Array.of(0, 5, 0, 7, 1)))).toEqual([0, 5, 5, 12, 13]);
    // A NaN step time at a step's start: the restart is judged on its first finite time.
    expect(Array.from(testTime(Float64Array.of(1, 1, 2, 2), Float64Array.of(0, 5, NaN, 2)))).toEqual([0, 5, NaN, 7]);
  });
  it('does not add a step time that runs on across steps (NewareNDA issue 72)', () => {
    // Step 2 starts where step 1 ended, step 3 where step 2 ended: the time is already running.
    const steps = Float64Array.of(1, 1, 2, 2, 3, 3);
    const runOn = Float64Array.of(0, 10800, 10800.01, 15347.5, 15347.51, 15400);
    expect(Array.from(testTime(steps, runOn))).toEqual(Array.from(runOn));
    // The wall clock agrees (0.01 s between the rows either side of each step change).
    const clock = Float64Array.of(1e9, 1e9 + 10800, 1e9 + 10800.01, 1e9 + 15347.5, 1e9 + 15347.51, 1e9 + 15400);
    expect(Array.from(testTime(steps, runOn, clock))).toEqual(Array.from(runOn));
  });
  it('adds the earlier steps to a step time that restarts, by the wall clock when the file has one', () => {
    // Step 2's first record comes 5 s into it, after a 2 s step 1: without a clock this is
    // ambiguous, and a file that never plainly restarts is taken to run on.
    expect(Array.from(testTime(Float64Array.of(1, 1, 2, 2), Float64Array.of(0, 2, 5, 10)))).toEqual([0, 2, 5, 10]);
    // The clock says 5 s passed between the two rows: a restart.
    expect(Array.from(testTime(Float64Array.of(1, 1, 2, 2), Float64Array.of(0, 2, 5, 10), Float64Array.of(100, 102, 107, 112)))).toEqual([0, 2, 7, 12]);
    // A file that plainly restarts elsewhere (step 3 starts at 1 s) restarts at every step.
    expect(Array.from(testTime(Float64Array.of(1, 1, 2, 2, 3), Float64Array.of(0, 2, 5, 10, 1)))).toEqual([0, 2, 7, 12, 13]);
  });
});
