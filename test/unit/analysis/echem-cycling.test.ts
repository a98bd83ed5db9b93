import { describe, expect, it } from 'vitest';
import {
  assignCycles,
  cycleCurves,
  cycleMetrics,
  cyclingSummaryAnalysis,
  downsampleLttb,
  downsampleMinMax,
  segmentHalfCycles,
  type CyclingColumns,
} from '../../../main/analysis/echem/cycling.js';
import { MemorySource } from '../../../main/formats/file-source.js';
import { biologicMptReader } from '../../../main/formats/biologic-mpt/reader.js';
import { mptBytes, synthGcpl, writeMpt, type SynthGcplOptions } from '../../fixtures/writers/mpt-writer.js';

/** Write the synthetic run as an .mpt, read it back with the reader, return the columns by name. */
async function throughFile(o: SynthGcplOptions, decimalComma = false) {
  const synth = synthGcpl(o);
  const bytes = mptBytes(
    writeMpt({ technique: 'Galvanostatic Cycling with Potential Limitation', columns: synth.columns, started: new Date(Date.UTC(2025, 0, 2)), decimalComma }),
  );
  const f = await biologicMptReader.open(new MemorySource('synth.mpt', bytes));
  const entry = f.entries[0]!;
  const names = entry.columns!.map((c) => c.name);
  const data = await f.readColumns!('data', names);
  const cols: CyclingColumns = {};
  for (const c of entry.columns!) cols[c.name] = { units: c.units, values: data[c.name]! };
  await f.close();
  return { synth, cols };
}

function without(cols: CyclingColumns, ...names: string[]): CyclingColumns {
  return Object.fromEntries(Object.entries(cols).filter(([k]) => !names.includes(k)));
}

const relErr = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

// A thin-film LNMO/LiPON/Li cell: 12 µA·h, 3 µA, CE 99.6 %, 0.1 % fade per cycle.
const CELL: SynthGcplOptions = { cycles: 25, capacity_mAh: 0.012, ce: 0.996, fade: 0.001, currentmA: 0.003, pointsPerHalfCycle: 40 };

describe('synthetic cycling data', () => {
  it('stays within 3.5–5.1 V with a plateau near 4.7 V', () => {
    const { columns } = synthGcpl(CELL);
    const v = columns.find((c) => c.label === 'Ewe/V')!.values;
    let min = Infinity;
    let max = -Infinity;
    let plateau = 0;
    for (let i = 0; i < v.length; i++) {
      min = Math.min(min, v[i]!);
      max = Math.max(max, v[i]!);
      if (Math.abs(v[i]! - 4.7) < 0.1) plateau++;
    }
    expect(min).toBeGreaterThanOrEqual(3.5);
    expect(max).toBeLessThanOrEqual(5.1);
    expect(plateau / v.length).toBeGreaterThan(0.6);
  });
});

describe('segmentHalfCycles', () => {
  it('finds the same half cycles with each strategy', async () => {
    const { synth, cols } = await throughFile({ ...CELL, cycles: 5, restSeconds: 1800, restPoints: 4 });
    const expected = synth.expected.halfCycles.map((h) => ({ start: h.first, end: h.last + 1, direction: h.direction }));
    const variants: [string, CyclingColumns][] = [
      ['half-cycle', cols],
      ['cycle-number+sign', without(cols, 'half cycle')],
      ['sign', without(cols, 'half cycle', 'cycle number')],
    ];
    for (const [strategy, c] of variants) {
      const seg = segmentHalfCycles(c);
      expect(seg.strategy).toBe(strategy);
      expect(seg.segments.map((s) => ({ start: s.start, end: s.end, direction: s.direction })), strategy).toEqual(expected);
    }
    const hc = segmentHalfCycles(cols).segments;
    expect(hc.map((s) => s.sourceHalfCycle)).toEqual(expected.map((_, i) => i));
    expect(hc.map((s) => s.sourceCycle)).toEqual(synth.expected.halfCycles.map((h) => h.cycle - 1));
  });

  it('ignores rest below the threshold and splits on sign changes only', () => {
    const I = Float64Array.from([0, 0, 1, 1, 1e-4, 1, 1, 0, -1, -1, -1, 0, 0, 1, 1]);
    const seg = segmentHalfCycles({ I: { units: 'mA', values: I } });
    expect(seg.strategy).toBe('sign');
    expect(seg.restThreshold_mA).toBeCloseTo(0.01);
    expect(seg.segments.map((s) => [s.start, s.end, s.direction])).toEqual([
      [2, 7, 'charge'],
      [8, 11, 'discharge'],
      [13, 15, 'charge'],
    ]);
    // An absolute threshold above the pulse height turns everything into rest.
    expect(segmentHalfCycles({ I: { units: 'mA', values: I } }, { restCurrent_mA: 2 }).segments).toEqual([]);
    // Currents in µA are converted before thresholds apply.
    const inMicro = segmentHalfCycles({ I: { units: 'µA', values: I.map((x) => x * 1000) } }, { restCurrent_mA: 0.5 });
    expect(inMicro.segments).toHaveLength(3);
  });

  it('starts a new half cycle when the cycle number changes even with the same sign', () => {
    const I = Float64Array.from([1, 1, 1, 1, -1, -1]);
    const cyc = Float64Array.from([0, 0, 1, 1, 1, 1]);
    const seg = segmentHalfCycles({ I: { units: 'mA', values: I }, 'cycle number': { units: '', values: cyc } });
    expect(seg.strategy).toBe('cycle-number+sign');
    expect(seg.segments.map((s) => [s.start, s.end, s.sourceCycle])).toEqual([
      [0, 2, 0],
      [2, 4, 1],
      [4, 6, 1],
    ]);
  });

  it('refuses a forced strategy the columns cannot support', () => {
    const I = { units: 'mA', values: Float64Array.from([1, -1]) };
    expect(() => segmentHalfCycles({ I }, { strategy: 'half-cycle' })).toThrow(/half cycle/);
    expect(() => segmentHalfCycles({ Ewe: { units: 'V', values: Float64Array.from([1, 2]) } })).toThrow(/current/);
    expect(() => segmentHalfCycles({ I: { units: 'furlong', values: Float64Array.from([1, 2]) } })).toThrow(/unit/);
  });
});

describe('assignCycles', () => {
  const seg = (d: 'charge' | 'discharge') => ({ start: 0, end: 2, direction: d });
  it('numbers cathode-first cycles from 1 and puts a leading discharge in cycle 0', () => {
    expect(assignCycles(['discharge', 'charge', 'discharge', 'charge', 'discharge'].map((d) => seg(d as 'charge')))).toEqual([0, 1, 1, 2, 2]);
    expect(assignCycles(['charge', 'charge', 'discharge', 'charge'].map((d) => seg(d as 'charge')))).toEqual([1, 1, 1, 2]);
    expect(assignCycles(['charge', 'discharge', 'charge'].map((d) => seg(d as 'charge')), 'charge/discharge')).toEqual([0, 1, 1]);
  });
});

describe('cycleCurves and cycleMetrics', () => {
  for (const capacitySource of ['auto', 'integrate'] as const) {
    for (const comma of [false, true]) {
      it(`recovers the known capacities and CE (${capacitySource}, decimal ${comma ? 'comma' : 'point'})`, async () => {
        const { synth, cols } = await throughFile({ ...CELL, restSeconds: 600 }, comma);
        const curves = cycleCurves(cols, { capacitySource });
        expect(curves.capacitySource).toBe(capacitySource === 'auto' ? '(Q-Qo)' : 'integrated');
        expect(curves.curves).toHaveLength(2 * CELL.cycles);
        for (const c of curves.curves) {
          expect(c.capacity[0]).toBe(0);
          expect(c.capacity.length).toBe(c.voltage.length);
          for (let j = 1; j < c.capacity.length; j++) expect(c.capacity[j]!).toBeGreaterThanOrEqual(c.capacity[j - 1]!);
          expect(c.capacity[c.capacity.length - 1]!).toBeGreaterThan(0);
        }
        const m = cycleMetrics(curves);
        expect(Array.from(m.cycle.values)).toEqual(Array.from({ length: CELL.cycles }, (_, i) => i + 1));
        expect(m.chargeCapacity.units).toBe('mA·h');
        expect(m.coulombicEfficiency.units).toBe('%');
        for (let k = 0; k < CELL.cycles; k++) {
          expect(relErr(m.chargeCapacity.values[k]!, synth.expected.chargeCapacity_mAh[k]!)).toBeLessThan(1e-6);
          expect(relErr(m.dischargeCapacity.values[k]!, synth.expected.dischargeCapacity_mAh[k]!)).toBeLessThan(1e-6);
          expect(relErr(m.coulombicEfficiency.values[k]!, 100 * synth.expected.ce[k]!)).toBeLessThan(1e-6);
          expect(relErr(m.chargeEnergy.values[k]!, synth.expected.chargeEnergy_Wh[k]!)).toBeLessThan(1e-6);
          expect(relErr(m.dischargeEnergy.values[k]!, synth.expected.dischargeEnergy_Wh[k]!)).toBeLessThan(1e-6);
          const retention = (100 * synth.expected.dischargeCapacity_mAh[k]!) / synth.expected.dischargeCapacity_mAh[0]!;
          expect(relErr(m.retention.values[k]!, retention)).toBeLessThan(1e-6);
          // LNMO: average voltage on the ~4.7 V plateau, charge above discharge by the overpotential.
          expect(m.averageChargeVoltage.values[k]!).toBeGreaterThan(m.averageDischargeVoltage.values[k]!);
          expect(m.averageDischargeVoltage.values[k]!).toBeGreaterThan(4.5);
          expect(m.averageChargeVoltage.values[k]!).toBeLessThan(4.9);
        }
      });
    }
  }

  it('swaps roles with the anode-first convention', async () => {
    const { synth, cols } = await throughFile({ ...CELL, cycles: 4 });
    const curves = cycleCurves(cols, { convention: 'charge/discharge' });
    expect(curves.curves.map((c) => c.cycle)).toEqual([0, 1, 1, 2, 2, 3, 3, 4]);
    const m = cycleMetrics(curves, 'charge/discharge');
    expect(Array.from(m.cycle.values)).toEqual([0, 1, 2, 3, 4]);
    const { chargeCapacity_mAh: qc, dischargeCapacity_mAh: qd } = synth.expected;
    // cycle k (k ≥ 1) = discharge k then charge k+1: CE = Q(charge k+1) / Q(discharge k)
    for (let k = 1; k <= 3; k++) expect(relErr(m.coulombicEfficiency.values[k]!, (100 * qc[k]!) / qd[k - 1]!)).toBeLessThan(1e-9);
    expect(m.coulombicEfficiency.values[4]).toBeNaN();
    expect(m.dischargeCapacity.values[0]).toBeNaN();
  });

  it('needs a voltage column and some way to get capacity', () => {
    const I = { units: 'mA', values: Float64Array.from([1, 1, -1, -1]) };
    expect(() => cycleCurves({ I })).toThrow(/voltage/);
    expect(() => cycleCurves({ I, Ewe: { units: 'V', values: Float64Array.from([4, 4.1, 4, 3.9]) } })).toThrow(/capacity/);
    expect(() => cycleCurves({ I, Ewe: { units: 'V', values: Float64Array.from([4, 4.1, 4, 3.9]) } }, { capacitySource: 'q' })).toThrow(/Q/);
  });

  it("uses a cycler's own capacity counters over ∫I dt of sparse samples (pulse logging), through resets", () => {
    // A pulsed discharge logged at the pulse edges only: 1700 mA for 0.46 s, then 100 mA for
    // 0.0041 s... as the samples say, but the cycler's counter integrated the true waveform
    // (≈ 300 mA mean) — the trapezoid over the samples cannot know it. Neware logs discharge
    // capacity negative; the counter restarts at every step (row 5, a new step).
    const t = [0, 0.46, 0.4641, 0.9241, 0.9282, 1.3882, 1.3923, 1.8523];
    const I = [-1700, -100, -1700, -100, -1700, -100, -1700, -100];
    const dcap = [0, -0.0383, -0.0384, -0.0767, -0.0768, -0.0383, -0.0384, -0.0767];
    const cols: CyclingColumns = {
      time: { units: 's', values: Float64Array.from(t) },
      I: { units: 'mA', values: Float64Array.from(I) },
      Ecell: { units: 'V', values: Float64Array.from([4.09, 4.03, 4.09, 4.03, 4.09, 4.03, 4.09, 4.03]) },
      'charge capacity': { units: 'A·h', values: new Float64Array(8) },
      'discharge capacity': { units: 'A·h', values: Float64Array.from(dcap, (q) => q / 1000) },
    };
    const c = cycleCurves(cols);
    expect(c.capacitySource).toBe('charge/discharge counters');
    expect(c.curves).toHaveLength(1);
    // 0.0768 before the reset at row 5, then 0.0383 and 0.0767 − 0.0383 more after it.
    const cap = Array.from(c.curves[0]!.capacity);
    expect(cap[4]).toBeCloseTo(0.0768, 12);
    expect(cap[7]).toBeCloseTo(0.0768 + 0.0767, 12);
    expect(cap.every((v, i) => i === 0 || v >= cap[i - 1]!)).toBe(true);
    // ∫I dt over the samples says otherwise: that is why the counters win.
    const integrated = cycleCurves(cols, { capacitySource: 'integrate' }).curves[0]!.capacity;
    expect(integrated[7]! / cap[7]!).toBeGreaterThan(2);
    // One unsigned step counter (Maccor 'capacity') serves both directions.
    const step = cycleCurves({ time: cols.time, I: cols.I, Ecell: cols.Ecell, capacity: { units: 'mA·h', values: Float64Array.from(dcap, Math.abs) } });
    expect(step.capacitySource).toBe('step capacity counter');
    expect(step.curves[0]!.capacity[7]).toBeCloseTo(0.0768 + 0.0767, 12);
  });

  it("does not take a net, signed charge mapped as 'capacity' for a counter", () => {
    // 1 mA for 1 h up, then down: the net charge rises to 1 mA·h and falls back to 0.
    const t = Float64Array.from({ length: 13 }, (_, i) => i * 600);
    const I = Float64Array.from(t, (_, i) => (i < 6 ? 1 : i === 6 ? -1 : -1));
    const net = Float64Array.from(t, (_, i) => (i <= 6 ? i / 6 : (12 - i) / 6));
    const c = cycleCurves({ time: { units: 's', values: t }, I: { units: 'mA', values: I }, Ecell: { units: 'V', values: new Float64Array(13).fill(4) }, capacity: { units: 'mA·h', values: net } });
    expect(c.capacitySource).toBe('integrated');
    const dis = c.curves.find((x) => x.direction === 'discharge')!;
    expect(dis.capacity[dis.capacity.length - 1]).toBeCloseTo(1, 1);
    // Asked to use a capacity column ('q'), there is none that counts: an error, not ∫I dt.
    expect(() => cycleCurves({ time: { units: 's', values: t }, I: { units: 'mA', values: I }, Ecell: { units: 'V', values: new Float64Array(13).fill(4) }, capacity: { units: 'mA·h', values: net } }, { capacitySource: 'q' })).toThrow(/counters do not count/);
  });

  it('does not take an empty counter column for a counter', () => {
    const t = Float64Array.from({ length: 40 }, (_, i) => i * 60);
    const I = Float64Array.from(t, (_, i) => (i < 20 ? 100 : -100));
    const cols: CyclingColumns = { time: { units: 's', values: t }, I: { units: 'mA', values: I }, Ecell: { units: 'V', values: new Float64Array(40).fill(4) }, capacity: { units: 'mA·h', values: new Float64Array(40) } };
    const c = cycleCurves(cols);
    expect(c.capacitySource).toBe('integrated');
    expect(cycleMetrics(c).chargeCapacity.values[0]).toBeCloseTo(100 * 19 * 60 / 3600 + 0.5 * 0, 6);
  });

  it('resets a per-step counter at every step change, even a step logged once at its end', () => {
    // Ten 1 h half cycles at ±5 mA, each logged at half time and at its end (2.5, 5 mA·h) and
    // followed by a rest logging 0: the counter drops at (nearly) every step change, so it restarts
    // per step. In the first charge a second 1 h step follows, logged once at its end: its
    // counter shows 5 again — the same as before the step change, yet 5 mA·h more charge.
    const rows: [number, number, number, number][] = []; // time s, I mA, counter mA·h, step
    let t = 0;
    let step = 1;
    const push = (dt: number, i: number, q: number) => rows.push([(t += dt), i, q, step]);
    rows.push([0, 0, 0, step]);
    for (let k = 0; k < 10; k++) {
      const i = k % 2 === 0 ? 5 : -5;
      step++;
      push(1800, i, 2.5);
      push(1800, i, 5);
      if (k === 0) {
        step++;
        push(3600, i, 5);
      }
      step++;
      push(60, 0, 0);
    }
    const col = (j: number, units: string) => ({ units, values: Float64Array.from(rows, (r) => r[j]!) });
    const c = cycleCurves({ time: col(0, 's'), I: col(1, 'mA'), Ecell: { units: 'V', values: new Float64Array(rows.length).fill(4) }, capacity: col(2, 'mA·h'), step: col(3, '') });
    expect(c.capacitySource).toBe('step capacity counter');
    expect(c.curves.map((h) => h.capacity[h.capacity.length - 1])).toEqual([10, 5, 5, 5, 5, 5, 5, 5, 5, 5]);
    // Without the step column the second step's charge cannot be told from no change.
    const blind = cycleCurves({ time: col(0, 's'), I: col(1, 'mA'), Ecell: { units: 'V', values: new Float64Array(rows.length).fill(4) }, capacity: col(2, 'mA·h') });
    expect(blind.curves[0]!.capacity[blind.curves[0]!.capacity.length - 1]).toBe(5);
  });

  it('integrates I dt with the trapezoid rule in mixed units', () => {
    // 2 µA for 1 h then -1 µA for 2 h (time in minutes): 2 µA·h each way.
    const cols: CyclingColumns = {
      time: { units: 'min', values: Float64Array.from([0, 30, 60, 60.01, 120.01, 180.01]) },
      I: { units: 'µA', values: Float64Array.from([2, 2, 2, -1, -1, -1]) },
      Ewe: { units: 'mV', values: Float64Array.from([4700, 4700, 4700, 4600, 4600, 4600]) },
    };
    const c = cycleCurves(cols);
    expect(c.capacitySource).toBe('integrated');
    expect(Array.from(c.curves[0]!.capacity)).toEqual([0, 0.001, 0.002]);
    // The discharge curve starts at the last charge record (row 2): the 0.6 s switch interval is
    // integrated with the trapezoid across the reversal, 0.5 × (2 − 1) µA × 0.6 s = 8.3e-8 mA·h.
    const dis = c.curves[1]!;
    expect(dis.start).toBe(2);
    expect(dis.capacity).toHaveLength(4);
    expect(dis.capacity[3]).toBeCloseTo(0.002 - (0.5 * 1e-3 * 0.6) / 3600, 15);
    expect(Array.from(c.curves[0]!.voltage)).toEqual([4.7, 4.7, 4.7]);
    // mV → V: 4600 × 1e-3 is 4.6000000000000005 in binary floating point.
    Array.from(dis.voltage).forEach((v, i) => expect(v).toBeCloseTo([4.7, 4.6, 4.6, 4.6][i]!, 14));
    const m = cycleMetrics(c);
    expect(m.coulombicEfficiency.values[0]).toBeCloseTo(100, 2);
    expect(m.chargeEnergy.values[0]).toBeCloseTo(0.002 * 4.7e-3, 15);
    expect(m.averageDischargeVoltage.values[0]).toBeCloseTo(4.6, 3);
  });
});

describe('downsampling', () => {
  const n = 10_000;
  const x = Float64Array.from({ length: n }, (_, i) => i);
  const y = Float64Array.from({ length: n }, (_, i) => Math.sin(i / 300) + (i === 4321 ? 5 : 0) - (i === 777 ? 3 : 0));

  it('min–max keeps first, last and the extremes within budget', () => {
    const idx = downsampleMinMax(y, 200);
    expect(idx.length).toBeLessThanOrEqual(200);
    expect(idx[0]).toBe(0);
    expect(idx[idx.length - 1]).toBe(n - 1);
    expect(Array.from(idx)).toContain(4321);
    expect(Array.from(idx)).toContain(777);
    for (let i = 1; i < idx.length; i++) expect(idx[i]!).toBeGreaterThan(idx[i - 1]!);
    expect(Array.from(downsampleMinMax(Float64Array.from([1, 2, 3]), 10))).toEqual([0, 1, 2]);
  });

  it('LTTB returns exactly maxPoints, first and last included', () => {
    const idx = downsampleLttb(x, y, 500);
    expect(idx.length).toBe(500);
    expect(idx[0]).toBe(0);
    expect(idx[499]).toBe(n - 1);
    expect(Array.from(idx)).toContain(4321);
    for (let i = 1; i < idx.length; i++) expect(idx[i]!).toBeGreaterThan(idx[i - 1]!);
  });
});

describe('cyclingSummaryAnalysis', () => {
  it('declares its parameters with units and defaults', () => {
    expect(cyclingSummaryAnalysis).toMatchObject({ id: 'echem.cycling-summary', version: '1.1.0', modality: 'electrochemistry', inputKinds: ['table'] });
    const byName = Object.fromEntries(cyclingSummaryAnalysis.params.map((p) => [p.name, p]));
    expect(byName.convention!.default).toBe('discharge/charge');
    expect(byName.restCurrent_mA!.unit).toBe('mA');
    expect(byName.restFraction!.default).toBe(0.01);
    expect(byName.capacitySource!.default).toBe('auto');
  });

  it('summarises a run: first-cycle capacity, mean CE ± sd over cycles 2..N, retention', async () => {
    const ces = Array.from({ length: 12 }, (_, k) => 0.99 + 0.0005 * k);
    const { synth, cols } = await throughFile({ ...CELL, cycles: 12, ce: ces });
    const { results, arrays } = cyclingSummaryAnalysis.run(cols, {});
    // The choices made from the data are reported for the provenance.
    expect(cyclingSummaryAnalysis.run(cols, {}).resolved).toEqual({ capacitySource: '(Q-Qo)', segmentation: 'half-cycle' });
    expect(results.cycleCount).toEqual({ value: 12, unit: '' });
    expect(results.firstCycleChargeCapacity!.unit).toBe('mA·h');
    expect(relErr(results.firstCycleChargeCapacity!.value, 0.012)).toBeLessThan(1e-6);
    expect(relErr(results.firstCycleCoulombicEfficiency!.value, 99)).toBeLessThan(1e-6);
    const later = ces.slice(1).map((c) => 100 * c);
    const mean = later.reduce((a, b) => a + b, 0) / later.length;
    const sd = Math.sqrt(later.reduce((a, b) => a + (b - mean) ** 2, 0) / (later.length - 1));
    expect(results.meanCoulombicEfficiency!.unit).toBe('%');
    expect(relErr(results.meanCoulombicEfficiency!.value, mean)).toBeLessThan(1e-6);
    expect(relErr(results.meanCoulombicEfficiency!.uncertainty!, sd)).toBeLessThan(1e-4);
    const qd = synth.expected.dischargeCapacity_mAh;
    expect(relErr(results.capacityRetention!.value, (100 * qd[11]!) / qd[0]!)).toBeLessThan(1e-6);
    expect(results.lastCycle!.value).toBe(12);
    expect(arrays.coulombicEfficiency!.units).toBe('%');
    expect(arrays.dischargeCapacity!.values).toHaveLength(12);
    expect(() => cyclingSummaryAnalysis.run(cols, { convention: 'sideways' })).toThrow(/convention/);
    expect(() => cyclingSummaryAnalysis.run(cols, { restFraction: -1 })).toThrow(/restFraction/);
  });
});
