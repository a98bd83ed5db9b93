/**
 * Technique parameter table of the .mpr settings module (main/formats/biologic-mpr/technique-params.ts),
 * on fixtures from test/fixtures/writers/mpr-writer.ts: runs without ../shared.
 */
import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../../main/formats/file-source.js';
import { parseTechniqueParams } from '../../../main/formats/biologic-mpr/technique-params.js';
import { biologicMprReader } from '../../../main/formats/biologic-mpr/reader.js';
import { cvSequence, gcplSequence, paramTableOffset, settingsModuleBody, writeMpr, type MprWriterParamTable } from '../../fixtures/writers/mpr-writer.js';

/** File offset of a settings body after a pre-11.50 module header (52 + 6 + 51), for messages. */
const BODY_AT = 109;

/** The three sequences of gcpl.issue_149.mpt (rest, charge to 4.5 V, discharge to 3.0 V at ±30 µA). */
const GCPL_TABLE: MprWriterParamTable = {
  version: 8,
  sequences: [
    gcplSequence({
      'unit Is': 1,
      'unit Is vs.': 2,
      N: 1,
      'I Range': 40,
      Bandwidth: 8,
      'unit Im': 1,
      'dunit dI/dt': 1,
      'E range min (V)': 3,
      'E range max (V)': 4.5,
      'unit dQM': 1,
      'delta SoC (%)': NaN,
      'tR (h:m:s)': 10,
      'dtR (s)': 1,
      'EL (V)': NaN,
    }),
    gcplSequence({
      Is: 30,
      'unit Is': 2,
      'unit Is vs.': 2,
      N: 1,
      't1 (h:m:s)': 10,
      'I Range': 40,
      Bandwidth: 8,
      'dt1 (s)': 1,
      'EM (V)': 4.5,
      'unit Im': 1,
      'dunit dI/dt': 1,
      'E range min (V)': 3,
      'E range max (V)': 4.5,
      dq: 1,
      'dtq (s)': 120,
      'unit dQM': 1,
      'delta SoC (%)': NaN,
      'dER/dt (mV/h)': 0.1,
      'dtR (s)': 120,
      'EL (V)': 4.2,
    }),
    gcplSequence({
      'Set I/C': 1,
      Is: -30,
      'unit Is': 2,
      'unit Is vs.': 2,
      N: 10,
      'I sign': 1,
      't1 (h:m:s)': 36_000,
      'I Range': 40,
      Bandwidth: 8,
      'dt1 (s)': 1,
      'EM (V)': 3,
      'unit Im': 1,
      'dunit dI/dt': 1,
      'E range min (V)': 3,
      'E range max (V)': 4.5,
      dq: 1,
      'dtq (s)': 120,
      'unit dQM': 1,
      'delta SoC (%)': NaN,
      'dER/dt (mV/h)': 0.1,
      'dtR (s)': 120,
      'EL (V)': NaN,
      "goto Ns'": 1,
      'nc cycles': 49,
    }),
  ],
};

/** cv.mpt: 0 V vs Eoc → 1.5 V vs Ref → 5.5 V vs Ref at 0.1 mV/s, 4 extra cycles, Auto I range. */
const CV_TABLE: MprWriterParamTable = {
  version: 5,
  sequences: [
    cvSequence({
      'Ei (V) vs.': 0,
      'dE/dt': 0.1,
      'dE/dt unit': 1,
      'E1 (V)': 1.5,
      'E1 (V) vs.': 4,
      'Step percent': 50,
      N: 10,
      'E range max (V)': 10,
      'I Range': 14,
      'I Range min': 123,
      'I Range max': 123,
      'I Range init': 123,
      Bandwidth: 5,
      'E2 (V)': 5.5,
      'E2 (V) vs.': 4,
      'nc cycles': 4,
      'Reverse Scan': 1,
    }),
  ],
};

describe('technique parameter table: GCPL (settings v8)', () => {
  const body = settingsModuleBody(0x04, {}, GCPL_TABLE);
  const warnings: string[] = [];
  const t = parseTechniqueParams(body, BODY_AT, 0x04, warnings);

  it('finds the block at 0x1847 and reads every sequence', () => {
    expect(paramTableOffset(8)).toBe(0x1847);
    expect(warnings).toEqual([]);
    expect(t?.sequences).toBe(3);
    expect(t?.cycleDefinition).toBeUndefined();
  });

  it('returns the values under the names the .mpt prints', () => {
    const p = t!.params;
    expect(Object.keys(p)).toEqual([
      'Ns', 'Set I/C', 'Is', 'unit Is', 'unit Is vs.', 'N', 'I sign', 't1 (h:m:s)', 'I Range', 'Bandwidth', 'dE1 (mV)', 'dt1 (s)',
      'EM (V)', 'tM (h:m:s)', 'Im', 'unit Im', 'dI/dt', 'dunit dI/dt', 'E range min (V)', 'E range max (V)', 'dq', 'unit dq',
      'dtq (s)', 'dQM', 'unit dQM', 'dxM', 'delta SoC (%)', 'tR (h:m:s)', 'dER/dt (mV/h)', 'dER (mV)', 'dtR (s)', 'EL (V)',
      "goto Ns'", 'nc cycles',
    ]);
    expect(p.Ns).toEqual([0, 1, 2]);
    expect(p['Set I/C']).toEqual(['I', 'I', 'C / N']);
    expect(p.Is).toEqual([0, 30, -30]);
    expect(p['unit Is']).toEqual(['mA', 'µA', 'µA']);
    expect(p['unit Is vs.']).toEqual(['<None>', '<None>', '<None>']);
    expect(p.N).toEqual([1, 1, 10]);
    expect(p['I sign']).toEqual(['> 0', '> 0', '< 0']);
    // Durations in seconds: 0:00:10 and 10:00:00.
    expect(p['t1 (h:m:s)']).toEqual([0, 10, 36_000]);
    expect(p['I Range']).toEqual(['100 µA', '100 µA', '100 µA']);
    expect(p.Bandwidth).toEqual([8, 8, 8]);
    expect(p['EM (V)']).toEqual([0, 4.5, 3]);
    expect(p['E range min (V)']).toEqual([3, 3, 3]);
    expect(p['E range max (V)']).toEqual([4.5, 4.5, 4.5]);
    expect(p['unit dq']).toEqual(['A.h', 'A.h', 'A.h']);
    expect(p['dtq (s)']).toEqual([0, 120, 120]);
    // float32 0.1 comes back as the decimal that was typed.
    expect(p['dER/dt (mV/h)']).toEqual([0, 0.1, 0.1]);
    expect(p['tR (h:m:s)']).toEqual([10, 0, 0]);
    // NaN is EC-Lab's "pass" (no limit).
    expect(p['delta SoC (%)']).toEqual(['pass', 'pass', 'pass']);
    expect(p['EL (V)']).toEqual(['pass', 4.2, 'pass']);
    expect(p["goto Ns'"]).toEqual([0, 0, 1]);
    expect(p['nc cycles']).toEqual([0, 0, 49]);
  });

  it('keeps codes without an established meaning as numbers and says so', () => {
    const seqs = GCPL_TABLE.sequences.map((s) => s.map(([ty, v]) => [ty, v] as [typeof ty, number]));
    seqs[1]![7] = ['u1', 77]; // I Range code never seen with a twin
    seqs[1]![20] = ['u1', 2]; // unit dq 2 (µA.h by the series, but no twin shows it)
    const w: string[] = [];
    const r = parseTechniqueParams(settingsModuleBody(0x04, {}, { version: 8, sequences: seqs }), BODY_AT, 0x04, w);
    expect(r!.params['I Range']).toEqual(['100 µA', 77, '100 µA']);
    expect(r!.params['unit dq']).toEqual(['A.h', 2, 'A.h']);
    expect(w).toEqual(['GCPL parameter codes without an established meaning, reported as numbers: I Range 77, unit dq 2']);
  });
});

describe('technique parameter table: CV (short settings module, Ns at 0x572)', () => {
  const body = settingsModuleBody(0x06, {}, CV_TABLE);
  const warnings: string[] = [];
  const t = parseTechniqueParams(body, BODY_AT, 0x06, warnings);

  it('reads the one sequence with 1-byte reference codes', () => {
    expect(paramTableOffset(5)).toBe(0x572);
    expect(body.length).toBe(0x740); // the size of cv.mpr's settings module
    expect(warnings).toEqual([]);
    expect(t?.sequences).toBe(1);
    expect(t!.params).toEqual({
      'Ei (V)': [0],
      'Ei (V) vs.': ['Eoc'],
      'dE/dt': [0.1],
      'dE/dt unit': ['mV/s'],
      'E1 (V)': [1.5],
      'E1 (V) vs.': ['Ref'],
      'Step percent': [50],
      N: [10],
      'E range min (V)': [0],
      'E range max (V)': [10],
      'I Range': ['Auto'],
      'I Range min': ['Unset'],
      'I Range max': ['Unset'],
      'I Range init': ['Unset'],
      Bandwidth: [5],
      'E2 (V)': [5.5],
      'E2 (V) vs.': ['Ref'],
      'nc cycles': [4],
      'Reverse Scan': [1],
      'Ef (V)': [0],
      'Ef (V) vs.': ['Eoc'],
    });
  });

  it('shows in the reader: original settings and normalised scan rate', async () => {
    const bytes = writeMpr({ layout: 'le16@405', technique: 0x06, rows: 2, columns: [{ id: 4, values: [0, 1] }, { id: 6, values: [0.1, 0.2] }], paramTable: CV_TABLE });
    const f = await biologicMprReader.open(new MemorySource('cv.mpr', bytes));
    const e = f.entries[0]!;
    await f.close();
    const s = (e.original as { settings: Record<string, unknown> }).settings;
    expect(s.sequences).toBe(1);
    expect((s.techniqueParams as Record<string, unknown[]>)['E2 (V)']).toEqual([5.5]);
    expect((s.techniqueParams as Record<string, unknown[]>)['dE/dt unit']).toEqual(['mV/s']);
    expect(e.metadata.extra?.sequences).toBe(1);
    expect(e.metadata.extra?.scanRate).toEqual({ value: 0.1, unit: 'mV/s' });
    expect(e.warnings.filter((w) => /parameter/.test(w))).toEqual([]);
  });

  it('shows a GCPL table in the reader without a scan rate', async () => {
    const bytes = writeMpr({ technique: 0x04, rows: 2, columns: [{ id: 4, values: [0, 1] }, { id: 6, values: [3.5, 3.6] }], paramTable: GCPL_TABLE });
    const f = await biologicMprReader.open(new MemorySource('gcpl.mpr', bytes));
    const e = f.entries[0]!;
    await f.close();
    const s = (e.original as { settings: Record<string, unknown> }).settings;
    expect((s.techniqueParams as Record<string, unknown[]>)['unit Is']).toEqual(['mA', 'µA', 'µA']);
    expect(e.metadata.extra?.sequences).toBe(3);
    expect(e.metadata.extra?.scanRate).toBeUndefined();
  });
});

describe('technique parameter table: damaged or foreign input', () => {
  const good = settingsModuleBody(0x04, {}, GCPL_TABLE);
  const at = paramTableOffset(8);

  function parse(body: Uint8Array, technique = 0x04) {
    const warnings: string[] = [];
    const r = parseTechniqueParams(body, BODY_AT, technique, warnings);
    return { r, warnings };
  }

  it('a settings module without a table (the writer default) gives a warning naming technique and offset', () => {
    const { r, warnings } = parse(settingsModuleBody(0x04, {}));
    expect(r).toBeUndefined();
    expect(warnings).toEqual([`technique 0x04: no technique parameter table found in the settings module @ byte ${BODY_AT} (1024 bytes)`]);
  });

  it('a truncated block is not read', () => {
    for (const cut of [at + 2, at + 4, at + 60, at + 4 + 3 * 108, good.length - 155]) {
      const { r, warnings } = parse(good.subarray(0, cut));
      expect(r, `cut at ${cut}`).toBeUndefined();
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/no technique parameter table found in the settings module @ byte 109/);
    }
  });

  it('a parameter count matching no layout is reported, not guessed', () => {
    const { r, warnings } = parse(settingsModuleBody(0x04, {}, { ...GCPL_TABLE, declaredParams: 34 }));
    expect(r).toBeUndefined();
    expect(warnings).toEqual([
      `GCPL (technique 0x04) parameter table (3 sequence(s) × 34 parameters of 108 bytes @ byte ${BODY_AT + at}, settings module @ byte ${BODY_AT}) matches none of the known layouts (32/98 B, 33/102 B, 33/108 B): not decoded`,
    ]);
  });

  it('an unknown technique keeps its table undecoded', () => {
    const { r, warnings } = parse(settingsModuleBody(0x0c, {}, GCPL_TABLE), 0x0c);
    expect(r).toBeUndefined();
    expect(warnings).toEqual([`technique 0x0c has no known parameter layout: its table (3 sequence(s) × 33 parameters of 108 bytes @ byte ${BODY_AT + at}, settings module @ byte ${BODY_AT}) is not decoded`]);
  });

  it('values that fail the sanity checks are not reported', () => {
    const seqs = GCPL_TABLE.sequences.map((s) => s.slice());
    seqs[2]![18] = ['f4', 2.5]; // E range max (V) below E range min 3 V
    const { r, warnings } = parse(settingsModuleBody(0x04, {}, { version: 8, sequences: seqs }));
    expect(r).toBeUndefined();
    expect(warnings[0]).toMatch(/^GCPL parameter table \(3 sequence\(s\).*fails its sanity checks \(E range min 3 > max 2\.5 \(Ns 2\)\): not decoded$/);
    const huge = GCPL_TABLE.sequences.map((s) => s.slice());
    huge[0]![1] = ['f4', Infinity];
    expect(parse(settingsModuleBody(0x04, {}, { version: 8, sequences: huge })).warnings[0]).toMatch(/sanity checks \(Is = Infinity\)/);
  });

  it('an inflated sequence count is bounded by the module before anything is allocated', () => {
    const b = good.slice();
    new DataView(b.buffer).setUint16(at, 0xffff, true);
    const { r, warnings } = parse(b);
    expect(r).toBeUndefined();
    expect(warnings).toHaveLength(1);
    const l = good.slice();
    new DataView(l.buffer).setUint32(at - 4, 0xffffffff, true);
    expect(parse(l).r).toBeUndefined();
  });

  it('finds a block moved to another offset by its length field, with a warning', () => {
    // The same block two bytes later (an unknown settings version 9): the layout checks still hold.
    const moved = new Uint8Array(good.length + 2);
    moved.set(good.subarray(0, at - 5), 0);
    moved.set(good.subarray(at - 5), at - 3);
    moved[0x467] = 9;
    const { r, warnings } = parse(moved);
    expect(r?.params['EM (V)']).toEqual([0, 4.5, 3]);
    expect(warnings).toEqual([`GCPL parameter table found at an unusual offset (Ns @ byte ${BODY_AT + at + 2}, not at 0x572 or 0x1845–0x1847 of the settings module @ byte ${BODY_AT})`]);
  });

  it('garbage never throws (20 000 mutated settings bodies)', () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    let decoded = 0;
    const bad: string[] = [];
    for (let k = 0; k < 20_000; k++) {
      const b = good.slice();
      const n = 1 + Math.floor(rand() * 8);
      for (let i = 0; i < n; i++) {
        // Mostly hit the block head and records, sometimes anywhere.
        const p = rand() < 0.8 ? at - 5 + Math.floor(rand() * (4 + 9 + 3 * 108)) : Math.floor(rand() * b.length);
        b[p] = Math.floor(rand() * 256);
      }
      const body = rand() < 0.2 ? b.subarray(0, Math.floor(rand() * b.length)) : b;
      const w: string[] = [];
      const r = parseTechniqueParams(body, BODY_AT, rand() < 0.9 ? 0x04 : Math.floor(rand() * 256), w);
      if (r) {
        decoded++;
        for (const [name, v] of Object.entries(r.params)) if (v.length !== r.sequences) bad.push(`${k}: ${name} has ${v.length} values for ${r.sequences} sequences`);
      } else if (w.length === 0) bad.push(`${k}: not decoded and no warning`);
    }
    expect(bad).toEqual([]);
    expect(decoded).toBeGreaterThan(0);
  });
});
