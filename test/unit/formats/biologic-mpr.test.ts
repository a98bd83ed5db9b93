import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MemorySource, NodeFileSource } from '../../../main/formats/file-source.js';
import { FormatDeclined, FormatError } from '../../../main/formats/format-error.js';
import { mapColumnLabel } from '../../../main/formats/biologic-mpt/columns.js';
import { DATA_COLUMNS, FLAG_COLUMNS } from '../../../main/formats/biologic-mpr/column-ids.js';
import { compileRecordDecoder, decodeColumns, isoToOle, oleToIso, parseModuleDate, STORED_ARRAY, type DataLayout, type RecordLayout } from '../../../main/formats/biologic-mpr/parse-mpr.js';
import { biologicMprReader, createBiologicMprReader } from '../../../main/formats/biologic-mpr/reader.js';
import { biologicMprSpec } from '../../../main/formats/biologic-mpr/spec.js';
import { mixedMprColumns as mixedColumns, synthCycling, writeMpr, type MprWriterColumn, type WriteMprOptions } from '../../fixtures/writers/mpr-writer.js';
import { mptBytes, writeMpt } from '../../fixtures/writers/mpt-writer.js';

const TMP = mkdtempSync(path.join(tmpdir(), 'interphase-mpr-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

async function open(bytes: Uint8Array, name = 'fixture.mpr', reader = biologicMprReader) {
  return reader.open(new MemorySource(name, bytes));
}

async function readAll(bytes: Uint8Array, reader = biologicMprReader) {
  const f = await open(bytes, 'fixture.mpr', reader);
  const entry = f.entries[0]!;
  const cols = await f.readColumns!('data', entry.columns!.map((c) => c.name));
  await f.close();
  return { entry, cols };
}

/** What the reader must return for a written value: float32 columns come back rounded to float32. */
function stored(c: MprWriterColumn): number[] {
  const t = c.type ?? DATA_COLUMNS.get(c.id)?.type;
  return Array.from(c.values, (v) => (t === 'f4' ? Math.fround(v) : v));
}


const LAYOUTS: DataLayout[] = ['u8@100', 'le16@405', 'le16@406', 'be16@1007'];

describe('biologic-mpr spec', () => {
  it('sniffs the magic and nothing else', () => {
    const bytes = writeMpr({ rows: 1, columns: [{ id: 4, values: [1] }] });
    expect(biologicMprSpec.sniff(bytes.subarray(0, 4096), 'x.mpr')).toBe('yes');
    expect(biologicMprSpec.sniff(new TextEncoder().encode('EC-Lab ASCII FILE\r\n'), 'x.mpr')).toBe('no');
    expect(biologicMprSpec.extensions).toEqual(['mpr']);
  });

  it('parses module dates month-first with POSIX two-digit years', () => {
    expect(parseModuleDate('01.10.18')).toBe('2018-01-10');
    expect(parseModuleDate('12/07/23')).toBe('2023-12-07');
    expect(parseModuleDate('03-15-99')).toBe('1999-03-15');
    expect(parseModuleDate('13/01/20')).toBeUndefined();
  });

  it('converts OLE dates both ways to the millisecond', () => {
    // ocv.mpr's LOG: 43846.59275462963 = "Acquisition started on : 01/16/2020 14:13:34.000" in ocv.mpt.
    expect(oleToIso(43846.59275462963)).toBe('2020-01-16T14:13:34.000');
    expect(oleToIso(isoToOle('2024-01-10T11:02:29.886'))).toBe('2024-01-10T11:02:29.886');
  });
});

describe('biologic-mpr writer round trip', () => {
  for (const layout of LAYOUTS) {
    it(`reads back every column of layout ${layout}`, async () => {
      const rows = 57;
      // u8 IDs cannot hold 467/468: the EC-Lab 10.x layout gets their low-ID siblings 211/212.
      const columns = mixedColumns(rows).map((c) => (layout === 'u8@100' && c.id > 255 ? { ...c, id: c.id - 256 } : c));
      const bytes = writeMpr({ layout, rows, columns, started: '2023-12-07T14:22:24.183' });
      const { entry, cols } = await readAll(bytes);
      expect(entry.shape).toEqual([rows]);
      expect((entry.original as { data: { layout: string } }).data.layout).toBe(layout);
      expect(entry.columns!.length).toBe(columns.length);
      columns.forEach((c, k) => {
        const label = FLAG_COLUMNS.get(c.id)?.label ?? DATA_COLUMNS.get(c.id)!.label;
        const expected = mapColumnLabel(label);
        // Same names and units as the .mpt reader gives the same label.
        expect(entry.columns![k]!.name).toBe(expected.name);
        expect(entry.columns![k]!.units).toBe(expected.units);
        expect(Array.from(cols[entry.columns![k]!.name]!)).toEqual(stored(c));
      });
      expect(entry.columns!.map((c) => c.name).slice(0, 8)).toEqual(['mode', 'ox/red', 'error', 'control changes', 'Ns changes', 'counter inc.', 'Ns', 'time']);
      expect(entry.metadata.acquisitionTime).toBe('2023-12-07T14:22:24.183');
      expect(entry.warnings.filter((w) => w.includes('not in the ID table'))).toEqual([]);
    });
  }

  it('reads across chunk boundaries (chunks smaller than a record)', async () => {
    const rows = 40;
    const columns = mixedColumns(rows);
    const bytes = writeMpr({ rows, columns });
    const whole = await readAll(bytes);
    const chunked = await readAll(bytes, createBiologicMprReader({ chunkBytes: 7 }));
    for (const c of whole.entry.columns!) expect(Array.from(chunked.cols[c.name]!)).toEqual(Array.from(whole.cols[c.name]!));
    const f = await open(bytes);
    const two = await f.readColumns!('data', ['Ewe', 'I Range']);
    expect(Object.keys(two)).toEqual(['Ewe', 'I Range']);
    expect(two['I Range']![1]).toBe(39);
    await f.close();
  });

  it('returns each column in its stored width, and the compiled decoder agrees with the reference decoder', async () => {
    const rows = 33;
    const bytes = writeMpr({ rows, columns: mixedColumns(rows) });
    const f = await open(bytes);
    const entry = f.entries[0]!;
    const cols = await f.readColumns!('data', entry.columns!.map((c) => c.name));
    // Stored width kept (as galvani's numpy arrays keep it): float32 → Float32Array, flags → bytes.
    for (const c of entry.columns!) {
      const want = { float32: Float32Array, float64: Float64Array, uint8: Uint8Array, uint16: Uint16Array, uint32: Uint32Array }[c.dtype as 'float32'];
      expect(cols[c.name], `${c.name} (${c.dtype})`).toBeInstanceOf(want);
    }
    await f.close();
    const parsed = (f as unknown as { parsed: { layout: RecordLayout; data: { recordsOffset: number } } }).parsed;
    const { columns, recordBytes } = parsed.layout;
    const records = bytes.subarray(parsed.data.recordsOffset, parsed.data.recordsOffset + rows * recordBytes);
    const fast = columns.map((c) => new STORED_ARRAY[c.type](rows + 5));
    const slow = columns.map((c) => new STORED_ARRAY[c.type](rows + 5));
    // Into the middle of the outputs, as the chunk loop does.
    compileRecordDecoder(recordBytes, columns)(records, rows, fast, 5);
    decodeColumns(records, rows, recordBytes, columns, slow, 5);
    columns.forEach((c, j) => expect(Array.from(fast[j]!), c.label).toEqual(Array.from(slow[j]!)));
    expect(Array.from(fast[0]!.subarray(0, 5))).toEqual([0, 0, 0, 0, 0]);
  });

  it('refuses to compile a decoder for a column outside the record', () => {
    const col = { id: 4, label: 'time/s', known: true, isFlag: false, type: 'f8' as const, offset: 30, mask: 0, shift: 0, dtype: 'float64' as const };
    expect(() => compileRecordDecoder(33, [col])).toThrow(/ends past the 33-byte record/);
    expect(() => compileRecordDecoder(33.5, [col])).toThrow(/not a non-negative integer/);
  });

  it('reads a file with no rows', async () => {
    const bytes = writeMpr({ rows: 0, columns: [{ id: 1, values: [] }, { id: 4, values: [] }, { id: 6, values: [] }] });
    const { entry, cols } = await readAll(bytes);
    expect(entry.shape).toEqual([0]);
    expect(cols.time!.length).toBe(0);
  });
});

describe('biologic-mpr flags', () => {
  it('expands the flag byte into the separate columns the .mpt has, ignoring bit 0x40', async () => {
    const rows = 8;
    const mode = [0, 1, 2, 3, 3, 2, 1, 0];
    const oxred = [0, 1, 0, 1, 1, 0, 1, 0];
    const counter = [1, 0, 0, 1, 0, 0, 0, 1];
    const bytes = writeMpr({
      rows,
      columns: [
        { id: 4, values: mode.map((_, i) => i) },
        { id: 1, values: mode },
        { id: 2, values: oxred },
        { id: 65, values: counter },
        { id: 6, values: mode.map(() => 1.5) },
      ],
    });
    // Set bit 0x40 (no ID; yadg: a stop bit) in every record: it must not leak into any column.
    const f0 = await open(bytes);
    const orig = f0.entries[0]!.original as { data: { recordsOffset: number; recordBytes: number } };
    await f0.close();
    const patched = bytes.slice();
    for (let r = 0; r < rows; r++) patched[orig.data.recordsOffset + r * orig.data.recordBytes + 8]! |= 0x40;
    const { entry, cols } = await readAll(patched);
    // The flag byte sits where the first flag ID is (after time), shared by all three flags.
    expect(orig.data.recordBytes).toBe(8 + 1 + 4);
    expect(entry.columns!.map((c) => c.name)).toEqual(['time', 'mode', 'ox/red', 'counter inc.', 'Ewe']);
    expect(Array.from(cols.mode!)).toEqual(mode);
    expect(Array.from(cols['ox/red']!)).toEqual(oxred);
    expect(Array.from(cols['counter inc.']!)).toEqual(counter);
    expect(Array.from(cols.Ewe!)).toEqual(mode.map(() => 1.5));
  });
});

describe('biologic-mpr metadata', () => {
  it('reads technique, cell characteristics, LOG, loops and ExtDev', async () => {
    const rows = 12;
    const bytes = writeMpr({
      layout: 'le16@406',
      technique: 0x04,
      rows,
      columns: [{ id: 4, values: Array.from({ length: rows }, (_, i) => i) }, { id: 6, values: new Array(rows).fill(3.9) }, { id: 16, values: new Array(rows).fill(2) }],
      settings: { comments: 'LNMO/LiPON/Li', activeMass_mg: 0.875, electrodeArea: 113.1, areaUnitCode: 3, characteristicMass: 1.39, massUnitCode: 2, batteryCapacity_mAh: 0.105, electrodeMaterial: 'LNMO', electrolyte: 'LiPON' },
      started: '2025-08-04T09:35:26.748',
      log: { channel: 2, channelSerial: 21643, deviceSerial: '0858', ecLabVersion: '11.61' },
      loopIndexes: [0, 5, 12],
      extDev: [{ name: 'Force/N', maxV: 10, minV: 0, maxX: 1100, minX: 0 }],
    });
    const { entry } = await readAll(bytes);
    const m = entry.metadata;
    expect(m.technique).toBe('Galvanostatic Cycling with Potential Limitation');
    expect(m.activeMass).toEqual({ value: 0.875, unit: 'mg' });
    // Reported in cm² like the .mpt reader ("113.100 mm²" → 1.131 cm²).
    expect(m.electrodeArea).toEqual({ value: 1.131, unit: 'cm²' });
    expect(m.acquisitionTime).toBe('2025-08-04T09:35:26.748');
    expect(m.instrument).toBe('BioLogic (SN 0858)');
    expect(m.extra?.channel).toBe(2);
    expect(m.extra?.characteristicMass).toEqual({ value: 1.39, unit: 'mg' });
    expect(m.extra?.batteryCapacity).toEqual({ value: 0.105, unit: 'mA·h' });
    const o = entry.original as Record<string, any>;
    expect(o.settings.comments).toBe('LNMO/LiPON/Li');
    expect(o.settings.electrolyte).toBe('LiPON');
    expect(o.log.channelSerial).toBe(21643);
    expect(o.log.ecLabVersion).toBe('11.61');
    expect(o.loops.loops).toEqual([
      { index: 0, from: 0, to: 4 },
      { index: 1, from: 5, to: 11 },
    ]);
    expect(o.extDev).toEqual([{ name: 'Force/N', maxV: 10, minV: 0, maxX: 1100, minX: 0 }]);
    expect(o.modules.map((x: { shortName: string }) => x.shortName)).toEqual(['VMP Set', 'VMP ExtDev', 'VMP data', 'VMP LOG', 'VMP loop']);
    expect(entry.columns![2]!.name).toBe('Analog IN 1/V');
  });

  it('falls back to the settings date without a LOG module, and names BCD potentials Ecell', async () => {
    const bytes = writeMpr({ technique: 0x88, rows: 2, columns: [{ id: 4, values: [0, 1] }, { id: 6, values: [3, 3.1] }], log: false, started: '2022-02-17T10:00:00.000' });
    const { entry } = await readAll(bytes);
    expect(entry.metadata.acquisitionTime).toBe('2022-02-17');
    expect(entry.warnings.some((w) => w.includes('no LOG start time'))).toBe(true);
    expect(entry.metadata.technique).toBe('Battery Capacity Determination');
    expect(entry.columns![1]!.sourceName).toBe('Ecell/V');
    expect(entry.columns![1]!.name).toBe(mapColumnLabel('Ecell/V').name);
  });

  it('labels power "P/W" before EC-Lab 11.50 and "Pwe/W" after, 174 as Phase(Zwe-ce) next to <Ewe>', async () => {
    for (const [layout, want] of [['le16@406', 'P'], ['be16@1007', 'Pwe/W']] as const) {
      const { entry } = await readAll(writeMpr({ layout, rows: 1, columns: [{ id: 4, values: [0] }, { id: 70, values: [1] }] }));
      expect(entry.columns![1]!.name).toBe(want);
    }
    const { entry } = await readAll(writeMpr({ rows: 1, technique: 0x1d, columns: [{ id: 77, values: [1] }, { id: 174, values: [2] }] }));
    expect(entry.columns!.map((c) => `${c.name}/${c.units}`)).toEqual(['<Ewe>/V', 'Phase(Zwe-ce)/deg/°']);
  });
});

describe('biologic-mpr unknown column IDs', () => {
  const rows = 30;
  const time = Array.from({ length: rows }, (_, i) => i * 0.5);
  const ewe = Array.from({ length: rows }, (_, i) => 3.5 + i * 0.01);
  const counts = Array.from({ length: rows }, (_, i) => i % 4);

  it('infers the width of a single unknown column from the record size (float32, uint32, float64)', async () => {
    for (const [type, values] of [
      ['f4', ewe],
      ['u4', counts],
      ['f8', time],
    ] as const) {
      const bytes = writeMpr({ rows, columns: [{ id: 1, values: counts }, { id: 4, values: time }, { id: 9999, type, values }, { id: 6, values: ewe }] });
      const { entry, cols } = await readAll(bytes);
      const c = entry.columns![2]!;
      expect(c.name).toBe('unknown column 9999');
      expect(c.dtype).toBe({ f4: 'float32', u4: 'uint32', f8: 'float64' }[type]);
      expect(Array.from(cols['unknown column 9999']!)).toEqual(type === 'f4' ? values.map(Math.fround) : values);
      // The known column after it is read at the right offset.
      expect(Array.from(cols.Ewe!)).toEqual(ewe.map(Math.fround));
      expect(entry.warnings.some((w) => w.includes('column ID 9999') && w.includes('record size'))).toBe(true);
    }
  });

  it('lays out two unknown columns of different widths, by plausibility and by a sibling .mpt', async () => {
    const nsLike = counts.map((x) => x + 2);
    const columns: MprWriterColumn[] = [
      { id: 4, values: time },
      { id: 777, type: 'u2', values: nsLike },
      { id: 778, type: 'f4', values: ewe },
      { id: 6, values: ewe },
    ];
    const bytes = writeMpr({ rows, columns });
    const alone = await readAll(bytes, createBiologicMprReader({ useSiblingMpt: false }));
    expect(Array.from(alone.cols['unknown column 777']!)).toEqual(nsLike);
    expect(Array.from(alone.cols['unknown column 778']!)).toEqual(ewe.map(Math.fround));
    expect(alone.entry.warnings.some((w) => w.includes('plausibility'))).toBe(true);

    // With the EC-Lab export next to it: the .mpt's column at the same position confirms it.
    const mprPath = path.join(TMP, 'two_unknown.mpr');
    writeFileSync(mprPath, bytes);
    writeFileSync(
      path.join(TMP, 'two_unknown.mpt'),
      mptBytes(
        writeMpt({
          technique: 'Galvanostatic Cycling with Potential Limitation',
          started: new Date(Date.UTC(2024, 0, 10, 11, 2, 29, 886)),
          columns: [
            { label: 'time/s', values: time },
            { label: 'Nfoo', values: nsLike, format: 'int' },
            { label: 'Ebar/V', values: ewe.map(Math.fround), format: 7 },
            { label: 'Ewe/V', values: ewe.map(Math.fround), format: 7 },
          ],
        }),
      ),
    );
    const f = await biologicMprReader.open(await NodeFileSource.open(mprPath));
    const entry = f.entries[0]!;
    const cols = await f.readColumns!('data', ['unknown column 777', 'unknown column 778', 'Ewe']);
    await f.close();
    expect(Array.from(cols['unknown column 777']!)).toEqual(nsLike);
    expect(Array.from(cols.Ewe!)).toEqual(ewe.map(Math.fround));
    expect(entry.warnings.find((w) => w.includes('column ID 777'))).toMatch(/sibling \.mpt.*"Nfoo" has the same values/);
    expect(entry.warnings.find((w) => w.includes('column ID 778'))).toMatch(/"Ebar\/V" has the same values/);
  });

  it('reports a sibling .mpt whose column does not match', async () => {
    const bytes = writeMpr({ rows, columns: [{ id: 4, values: time }, { id: 9998, type: 'f4', values: ewe }] });
    const mprPath = path.join(TMP, 'mismatch.mpr');
    writeFileSync(mprPath, bytes);
    writeFileSync(
      path.join(TMP, 'mismatch.mpt'),
      mptBytes(writeMpt({ technique: 'Open Circuit Voltage', started: new Date(0), columns: [{ label: 'time/s', values: time }, { label: 'Other/V', values: time, format: 7 }] })),
    );
    const f = await biologicMprReader.open(await NodeFileSource.open(mprPath));
    const cols = await f.readColumns!('data', ['unknown column 9998']);
    expect(Array.from(cols['unknown column 9998']!)).toEqual(ewe.map(Math.fround));
    expect(f.entries[0]!.warnings.find((w) => w.includes('9998'))).toMatch(/\(Other\/V\) does not match/);
    await f.close();
  });
});

describe('biologic-mpr bad input', () => {
  const good = writeMpr({ rows: 20, columns: synthCycling(20, 5), loopIndexes: [0, 10, 20] });

  async function expectFormatError(bytes: Uint8Array, offset?: number | null): Promise<FormatError> {
    try {
      const f = await open(bytes);
      await f.readColumns!('data', f.entries[0]!.columns!.map((c) => c.name));
    } catch (e) {
      expect(e).toBeInstanceOf(FormatError);
      const fe = e as FormatError;
      if (offset !== undefined) expect(fe.offset).toBe(offset);
      expect(fe.readerId).toBe('biologic-mpr');
      return fe;
    }
    throw new Error('expected a FormatError');
  }

  it('declines files that are not .mpr', async () => {
    await expect(open(new TextEncoder().encode('EC-Lab ASCII FILE\r\nNb header lines : 3\r\n'))).rejects.toBeInstanceOf(FormatDeclined);
  });

  it('rejects a damaged magic with its byte offset', async () => {
    const b = good.slice();
    b[30] = 0x41;
    await expectFormatError(b, 30);
  });

  it('rejects truncation inside the data module, at the length field', async () => {
    const f = await open(good);
    const mods = (f.entries[0]!.original as { modules: { shortName: string; offset: number; bodyOffset: number; length: number }[] }).modules;
    await f.close();
    const data = mods.find((m) => m.shortName === 'VMP data')!;
    const e = await expectFormatError(good.subarray(0, data.bodyOffset + 500));
    // ≥ 11.50 header: the length field is 39 bytes into the header, after "MODULE".
    expect(e.offset).toBe(data.offset + 6 + 39);
    await expectFormatError(good.subarray(0, data.offset + 20), data.offset + 6);
  });

  it('rejects something other than "MODULE" between modules', async () => {
    const b = good.slice();
    b.set(new TextEncoder().encode('XODULE'), 52);
    await expectFormatError(b, 52);
  });

  it('rejects an inflated row count before allocating anything', async () => {
    const e = await expectFormatError(writeMpr({ rows: 20, columns: synthCycling(20, 5), declaredRows: 0xfffffff0 }));
    expect(e.expected).toMatch(/rows × 33 bytes within/);
  });

  it('rejects inflated column and loop counts', async () => {
    const f = await open(good);
    const o = f.entries[0]!.original as { modules: { shortName: string; bodyOffset: number }[] };
    await f.close();
    const data = o.modules.find((m) => m.shortName === 'VMP data')!;
    const b = good.slice();
    b[data.bodyOffset + 4] = 250; // 250 columns: the extra IDs are 0, unknown, and cannot fit
    await expectFormatError(b);
    const loop = o.modules.find((m) => m.shortName === 'VMP loop')!;
    const c = good.slice();
    new DataView(c.buffer).setUint32(loop.bodyOffset, 1_000_000, true);
    await expectFormatError(c, loop.bodyOffset);
  });

  it('rejects an unknown data module version', async () => {
    const b = writeMpr({ layout: 'le16@406', rows: 2, columns: [{ id: 4, values: [0, 1] }] });
    const f = await open(b);
    const data = (f.entries[0]!.original as { modules: { shortName: string; offset: number }[] }).modules.find((m) => m.shortName === 'VMP data')!;
    await f.close();
    const c = b.slice();
    new DataView(c.buffer).setUint32(data.offset + 6 + 39, 7, true);
    await expectFormatError(c, data.offset + 6 + 39);
  });

  it('reads columns only by their names, tables only by column', async () => {
    const f = await open(good);
    await expect(f.readColumns!('data', ['nope'])).rejects.toBeInstanceOf(FormatError);
    await expect(f.readColumns!('other', ['time'])).rejects.toBeInstanceOf(FormatError);
    await expect(f.readSlice('data', { start: [0], count: [1] })).rejects.toBeInstanceOf(FormatError);
    await f.close();
    await expect(f.readColumns!('data', ['time'])).rejects.toBeInstanceOf(FormatError);
  });

  it('never fails untyped on bounded random mutations', async () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const base = writeMpr({ rows: 6, columns: mixedColumns(6), loopIndexes: [0, 6], extDev: [{ name: 'T/°C', maxV: 10, minV: 0, maxX: 150, minX: 0 }] });
    let typed = 0;
    for (let i = 0; i < 300; i++) {
      const b = base.slice();
      const n = 1 + Math.floor(rnd() * 4);
      for (let k = 0; k < n; k++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      const cut = rnd() < 0.2 ? Math.floor(rnd() * b.length) : b.length;
      try {
        const f = await open(b.subarray(0, cut));
        await f.readColumns!('data', f.entries[0]!.columns!.map((c) => c.name));
        await f.close();
      } catch (e) {
        if (!(e instanceof FormatError || e instanceof FormatDeclined)) throw e;
        typed++;
      }
    }
    expect(typed).toBeGreaterThan(0);
  });
});

describe('biologic-mpr writer options', () => {
  it('writes what the options say, and refuses unknown IDs without a type', () => {
    const opts: WriteMprOptions = { rows: 1, columns: [{ id: 4242, values: [1] }] };
    expect(() => writeMpr(opts)).toThrow(/give its type/);
    const b = writeMpr({ rows: 3, columns: [{ id: 4, values: [1, 2, 3] }] });
    expect(new TextDecoder().decode(b.subarray(0, 22))).toBe('BIO-LOGIC MODULAR FILE');
  });
});
