import { describe, expect, it } from 'vitest';
import { CircuitParseError, parseCircuit } from '../../../main/analysis/eis/circuit-parser.js';
import { evaluateCircuit } from '../../../main/analysis/eis/impedance-model.js';
import { fitCircuit, fitMany, type Spectrum } from '../../../main/analysis/eis/fit.js';
import { linKk, linKkMu, timeConstants } from '../../../main/analysis/eis/lin-kk.js';
import { ionicConductivity } from '../../../main/analysis/eis/conductivity.js';
import { eisFitAnalysis, ionicConductivityAnalysis, linKkAnalysis, parseValueMap } from '../../../main/analysis/eis/descriptors.js';

/** Deterministic PRNG (mulberry32) and Box–Muller normals: fixed-seed noise. */
function normal(seed: number): () => number {
  let s = seed >>> 0;
  const u = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

function logFreq(n: number, fmax: number, decades: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => fmax * Math.pow(10, (-decades * i) / (n - 1)));
}

function synth(circuit: string, params: number[], freq: Float64Array, noise = 0, seed = 1): Spectrum {
  const z = evaluateCircuit(parseCircuit(circuit), params, freq);
  if (noise === 0) return { freq, re: z.re, im: z.im };
  const g = normal(seed);
  const re = z.re.map((x, i) => x + noise * Math.hypot(z.re[i]!, z.im[i]!) * g());
  const im = z.im.map((x, i) => x + noise * Math.hypot(z.re[i]!, z.im[i]!) * g());
  return { freq, re, im };
}

function columnsOf(s: Spectrum) {
  return {
    freq: { units: 'Hz', values: s.freq },
    'Re(Z)': { units: 'Ω', values: s.re },
    '-Im(Z)': { units: 'Ω', values: s.im.map((x) => -x) },
  };
}

describe('circuit parser', () => {
  it('numbers instances, names parameters impedance.py-style, with units', () => {
    const c = parseCircuit('R0-p(R1,CPE1)-W');
    expect(c.canonical).toBe('R0-p(R1,CPE1)-W2');
    expect(c.params.map((p) => [p.name, p.unit])).toEqual([
      ['R0', 'Ω'],
      ['R1', 'Ω'],
      ['CPE1_0', 'F·s^(α−1)'],
      ['CPE1_1', ''],
      ['W2', 'Ω·s^-½'],
    ]);
    expect(c.params[3]!).toMatchObject({ label: 'CPE1 α', domain: 'fraction' });
    expect(parseCircuit('R-p(R,CPE)-p(R,CPE)-CPE').canonical).toBe('R0-p(R1,CPE1)-p(R2,CPE2)-CPE3');
    expect(parseCircuit(' R0 - p( R1 - Wo1 , C1 ) ').canonical).toBe('R0-p(R1-Wo1,C1)');
    expect(parseCircuit('L0-R0-p(R1,p(R2,C2)-Ws3,C1)').params.map((p) => p.name)).toEqual(['L0', 'R0', 'R1', 'R2', 'C2', 'Ws3_0', 'Ws3_1', 'C1']);
    expect(parseCircuit('p(R,C)-p(R,C)').canonical).toBe('p(R0,C0)-p(R1,C1)');
    // Unnumbered names skip those written explicitly.
    expect(parseCircuit('R1-p(R,C)').canonical).toBe('R1-p(R2,C1)');
    expect(parseCircuit('Wo1-Ws2').params.map((p) => `${p.name}:${p.unit}`)).toEqual(['Wo1_0:Ω', 'Wo1_1:s', 'Ws2_0:Ω', 'Ws2_1:s']);
  });

  it('reports bad strings with the position and what was expected', () => {
    const bad: [string, RegExp][] = [
      ['', /non-empty/],
      ['R0-X1', /element type .* got "X"/],
      ['R0-p(R1,C1', /'\)' to close/],
      ['R0-p(R1)', /at least two branches/],
      ['R0-R0', /unique element name/],
      ['R0-', /string ended/],
      ['R0-(R1,C1)', /bare '\('/],
      ['R0)', /unbalanced/],
      ['R0,C1', /outside p/],
      ['R0-pR1', /'\(' after 'p'/],
      ['R0-R1x', /after element/],
    ];
    for (const [s, re] of bad) {
      let err: unknown;
      try {
        parseCircuit(s);
      } catch (e) {
        err = e;
      }
      expect(err, s).toBeInstanceOf(CircuitParseError);
      expect((err as Error).message, s).toMatch(re);
    }
    const e = (() => {
      try {
        parseCircuit('R0-p(R1,Q1)');
      } catch (x) {
        return x as CircuitParseError;
      }
      return null;
    })();
    expect(e?.position).toBe(8);
  });
});

describe('impedance model', () => {
  it('evaluates elements against closed forms', () => {
    const f = Float64Array.from([0.1, 10, 1e4]);
    const w = (i: number) => 2 * Math.PI * f[i]!;
    const rc = evaluateCircuit(parseCircuit('p(R0,C0)'), [100, 1e-6], f);
    for (let i = 0; i < 3; i++) {
      const d = 1 + (w(i) * 1e-4) ** 2;
      expect(rc.re[i]!).toBeCloseTo(100 / d, 10);
      expect(rc.im[i]!).toBeCloseTo((-100 * w(i) * 1e-4) / d, 10);
    }
    const cpe = evaluateCircuit(parseCircuit('CPE0'), [1e-3, 0.5], f);
    expect(Math.atan2(cpe.im[1]!, cpe.re[1]!)).toBeCloseTo(-Math.PI / 4, 12);
    // Finite-length Warburgs: low-frequency limits R (short) and R/3 + capacitive (open).
    const lo = Float64Array.from([1e-6]);
    expect(evaluateCircuit(parseCircuit('Ws0'), [50, 2], lo).re[0]!).toBeCloseTo(50, 6);
    expect(evaluateCircuit(parseCircuit('Wo0'), [60, 2], lo).re[0]!).toBeCloseTo(20, 4);
    // High frequency: both tend to the semi-infinite Warburg R/√(jωτ).
    const hi = Float64Array.from([1e6]);
    const wo = evaluateCircuit(parseCircuit('Wo0'), [60, 2], hi);
    const ws = evaluateCircuit(parseCircuit('Ws0'), [60, 2], hi);
    expect(wo.re[0]!).toBeCloseTo(ws.re[0]!, 10);
    expect(wo.re[0]!).toBeCloseTo(60 / Math.sqrt(2 * Math.PI * 1e6 * 2 * 2), 10);
    expect(evaluateCircuit(parseCircuit('L0-W0'), [1e-6, 10], f).im[2]!).toBeCloseTo(w(2) * 1e-6 - 10 / Math.sqrt(w(2)), 10);
  });
});

describe('circuit fit', () => {
  const randles = 'R0-p(R1,CPE1)-W2';
  const randlesTrue = [20, 500, 3e-6, 0.85, 150];
  const cell = 'R-p(R,CPE)-p(R,CPE)-CPE';
  // LNMO | LiPON | Li-like: electrolyte arc (400 Ω), interface arc, blocking tail.
  const cellTrue = [15, 400, 2e-9, 0.92, 1500, 5e-6, 0.8, 2e-5, 0.9];
  const f = logFreq(61, 1e6, 8);

  it('recovers a Randles circuit R0-p(R1,CPE1)-W from noiseless data within 1 %, starting from the data', () => {
    const fit = fitCircuit(synth(randles, randlesTrue, f), randles);
    expect(fit.converged).toBe(true);
    fit.parameters.forEach((p, i) => expect(Math.abs(p.value / randlesTrue[i]! - 1), p.name).toBeLessThan(0.01));
    // The data-derived start is not the answer already.
    expect(fit.parameters.some((p, i) => Math.abs(p.initial / randlesTrue[i]! - 1) > 0.2)).toBe(true);
  });

  it('recovers R-p(R,CPE)-p(R,CPE)-CPE from noiseless data within 1 %', () => {
    for (const weighting of ['modulus', 'proportional', 'unit'] as const) {
      const fit = fitCircuit(synth(cell, cellTrue, f), cell, { weighting });
      fit.parameters.forEach((p, i) => expect(Math.abs(p.value / cellTrue[i]! - 1), `${weighting} ${p.name}`).toBeLessThan(0.01));
    }
  });

  it('noisy Randles data (0.5 % of |Z|, seed 1): every parameter within 2σ of the truth; χ² and correlations reported', () => {
    const s = synth(randles, randlesTrue, f, 0.005, 1);
    const fit = fitCircuit(s, randles);
    fit.parameters.forEach((p, i) => {
      expect(p.stdError, p.name).toBeGreaterThan(0);
      expect(Math.abs(p.value - randlesTrue[i]!), p.name).toBeLessThanOrEqual(2 * p.stdError);
    });
    // χ²/dof of modulus-weighted residuals ≈ noise variance (0.005²).
    expect(fit.reducedChiSquare).toBeGreaterThan(0.5 * 0.005 ** 2);
    expect(fit.reducedChiSquare).toBeLessThan(2 * 0.005 ** 2);
    expect(fit.dof).toBe(2 * 61 - 5);
    const n = fit.freeNames.length;
    for (let a = 0; a < n; a++) expect(fit.correlation[a * n + a]!).toBeCloseTo(1, 12);
    for (let a = 0; a < n * n; a++) expect(Math.abs(fit.correlation[a]!)).toBeLessThanOrEqual(1 + 1e-12);
    expect(fit.residuals.re.length).toBe(61);
  });

  it('noisy thin-film cell data (seed 4): within 2σ', () => {
    const fit = fitCircuit(synth(cell, cellTrue, f, 0.005, 4), cell);
    fit.parameters.forEach((p, i) => expect(Math.abs(p.value - cellTrue[i]!), p.name).toBeLessThanOrEqual(2 * p.stdError));
  });

  it('honours fixed parameters, user starts by name or vector, and rejects unknown names', () => {
    const s = synth(randles, randlesTrue, f);
    const fixed = fitCircuit(s, randles, { fixed: { CPE1_1: 0.85 }, initial: { R1: 300 } });
    const alpha = fixed.parameters.find((p) => p.name === 'CPE1_1')!;
    expect(alpha).toMatchObject({ value: 0.85, fixed: true, stdError: 0 });
    expect(fixed.freeNames).not.toContain('CPE1_1');
    expect(fixed.parameters.find((p) => p.name === 'R1')!.initial).toBe(300);
    expect(Math.abs(fixed.values[1]! / 500 - 1)).toBeLessThan(1e-6);
    const vec = fitCircuit(s, randles, { initial: [25, 400, 1e-6, 0.8, 100], weighting: 'unit' });
    expect(Math.abs(vec.values[4]! / 150 - 1)).toBeLessThan(1e-6);
    expect(vec.chiSquareUnit).toBe('Ω²');
    expect(() => fitCircuit(s, randles, { fixed: { R9: 1 } })).toThrow(/R9/);
    expect(() => fitCircuit(s, randles, { initial: { 'CPE1 α': 1.5 } })).toThrow(/\(0, 1\]/);
    expect(() => fitCircuit(s, randles, { initial: [1, 2] })).toThrow(/2 values/);
    expect(() => fitCircuit({ freq: Float64Array.from([1, -1]), re: new Float64Array(2), im: new Float64Array(2) }, 'R0')).toThrow(/frequency/);
  });

  it('fitMany warm-starts each spectrum from the previous optimum and returns parameter traces', () => {
    const growth = [400, 430, 470, 520, 580, 650];
    const spectra = growth.map((r1) => synth(cell, [15, r1, 2e-9, 0.92, 1500, 5e-6, 0.8, 2e-5, 0.9], f));
    const batch = fitMany(spectra, cell);
    expect(Array.from(batch.index)).toEqual([0, 1, 2, 3, 4, 5]);
    growth.forEach((r1, k) => expect(Math.abs(batch.parameters.R1!.values[k]! / r1 - 1)).toBeLessThan(0.01));
    expect(batch.parameters.R1!.unit).toBe('Ω');
    // Spectrum 2 started where spectrum 1 ended.
    expect(batch.fits[1]!.parameters.find((p) => p.name === 'R1')!.initial).toBeCloseTo(batch.fits[0]!.values[1]!, 9);
    expect(batch.chiSquare.length).toBe(6);
  });
});

describe('Lin-KK (Schönleber et al. 2014)', () => {
  const f = logFreq(71, 1e6, 8);
  const valid = 'R0-p(R1,CPE1)-p(R2,CPE2)';
  const truth = [20, 500, 1e-7, 0.9, 2000, 1e-5, 0.85];

  it('time constants and μ follow the paper', () => {
    expect(Array.from(timeConstants(Float64Array.from([1000, 100, 10, 1, 0.1]).map((x) => x / (2 * Math.PI)), 3))).toEqual([
      expect.closeTo(0.001, 15),
      expect.closeTo(0.1, 14),
      expect.closeTo(10, 12),
    ]);
    expect(linKkMu([1, 2, 3, -3, -2, -1])).toBe(0);
    expect(linKkMu([-1, 2, 4, -3, 4, -1])).toBe(0.5);
  });

  it('passes valid (KK-compliant) data with 0.2 % noise', () => {
    const r = linKk(synth(valid, truth, f, 0.002, 11));
    expect(r.c).toBe(0.85);
    expect(r.mu).toBeLessThan(0.85);
    expect(r.passed).toBe(true);
    expect(r.maxAbsResidual).toBeLessThan(r.threshold);
    expect(r.threshold).toBe(0.01);
    expect(r.residuals.re.length).toBe(71);
  });

  it('fails data with a drift artefact (R2 grows 30 % over the measurement time)', () => {
    const c = parseCircuit(valid);
    const re = new Float64Array(f.length);
    const im = new Float64Array(f.length);
    // Each point takes two periods plus 1 s of settling; R2 drifts linearly in elapsed time.
    const total = f.reduce((a, x) => a + 2 / x + 1, 0);
    let t = 0;
    for (let i = 0; i < f.length; i++) {
      t += 2 / f[i]! + 1;
      const p = [...truth];
      p[4] = truth[4]! * (1 + (0.3 * t) / total);
      const z = evaluateCircuit(c, p, [f[i]!]);
      re[i] = z.re[0]!;
      im[i] = z.im[0]!;
    }
    const r = linKk({ freq: f, re, im });
    expect(r.passed).toBe(false);
    expect(r.maxAbsResidual).toBeGreaterThan(0.05);
  });

  it('fixed M and the series capacitance option', () => {
    const s = synth('R0-p(R1,CPE1)-C2', [20, 500, 1e-7, 0.9, 1e-4], f);
    const r = linKk(s, { c: null, maxM: 20, addCapacitance: true });
    expect(r.M).toBe(20);
    expect(r.seriesCapacitance).toBeGreaterThan(0);
    expect(() => linKk(s, { c: 2 })).toThrow(/c must be/);
  });
});

describe('ionic conductivity σ = t/(R·A)', () => {
  it('R = 400 Ω, t = 1 µm, A = 0.1 cm² → 2.5 × 10⁻⁶ S/cm, with propagated uncertainty', () => {
    const s = ionicConductivity({ value: 1, unit: 'µm' }, { value: 0.1, unit: 'cm²' }, { value: 400, unit: 'Ω' });
    expect(s.unit).toBe('S/cm');
    expect(s.value).toBeCloseTo(2.5e-6, 18);
    expect(s.uncertainty).toBeUndefined();
    const u = ionicConductivity({ value: 1, unit: 'µm', uncertainty: 0.03 }, { value: 0.1, unit: 'cm²', uncertainty: 0.004 }, { value: 400, unit: 'Ω', uncertainty: 12 });
    expect(u.uncertainty!).toBeCloseTo(2.5e-6 * Math.sqrt(0.03 ** 2 + 0.04 ** 2 + 0.03 ** 2), 18);
    expect(ionicConductivity({ value: 1000, unit: 'nm' }, { value: 10, unit: 'mm²' }, { value: 0.4, unit: 'kΩ' }).value).toBeCloseTo(2.5e-6, 18);
    expect(() => ionicConductivity({ value: 1, unit: 'inch' }, { value: 1, unit: 'cm²' }, { value: 1, unit: 'Ω' })).toThrow(/unit/);
    expect(() => ionicConductivity({ value: -1, unit: 'µm' }, { value: 1, unit: 'cm²' }, { value: 1, unit: 'Ω' })).toThrow(/positive/);
  });
});

describe('EIS analysis descriptors', () => {
  const f = logFreq(61, 1e6, 8);
  const cell = 'R0-p(R1,CPE1)-CPE2';
  const s = synth(cell, [10, 400, 2e-9, 0.92, 3e-6, 0.9], f, 0.002, 3);

  it('eis.circuit-fit: parameters with units and uncertainties, fitted arrays, fixed values', () => {
    expect(eisFitAnalysis.id).toBe('eis.circuit-fit');
    expect(eisFitAnalysis.params.map((p) => p.name)).toEqual(expect.arrayContaining(['circuit', 'initial', 'weighting', 'fixed']));
    const out = eisFitAnalysis.run(columnsOf(s), { circuit: cell, initial: 'R1=300', fixed: 'CPE2_1=0.9', weighting: 'modulus' });
    expect(out.results.R1!.unit).toBe('Ω');
    expect(Math.abs(out.results.R1!.value - 400)).toBeLessThan(3 * out.results.R1!.uncertainty!);
    expect(out.results.CPE2_1).toEqual({ value: 0.9, unit: '' });
    expect(out.results.CPE1_0!.unit).toBe('F·s^(α−1)');
    expect(out.results['corr(R1,CPE1_0)']!.value).toBeGreaterThanOrEqual(-1);
    expect(out.arrays['Re(Z) fit']!.values.length).toBe(61);
    expect(out.arrays['-Im(Z) fit']!.units).toBe('Ω');
    expect(out.arrays['residual Im(Z)']!.values.length).toBe(61);
    expect(() => eisFitAnalysis.run(columnsOf(s), { circuit: 'R0-' })).toThrow(/circuit/);
    expect(() => eisFitAnalysis.run({ x: { units: '', values: new Float64Array(1) } }, {})).toThrow(/'freq'/);
  });

  it('eis.lin-kk', () => {
    const out = linKkAnalysis.run(columnsOf(synth('R0-p(R1,CPE1)-p(R2,CPE2)', [20, 500, 1e-7, 0.9, 2000, 1e-5, 0.85], logFreq(71, 1e6, 8), 0.002, 11)), {});
    expect(linKkAnalysis.id).toBe('eis.lin-kk');
    expect(out.results.passed!.value).toBe(1);
    expect(out.results.threshold!.value).toBe(0.01);
    expect(out.arrays.tau!.units).toBe('s');
    expect(out.arrays.R_k!.values.length).toBe(out.results.M!.value);
  });

  it('eis.ionic-conductivity: LiPON-like film, σ from the fitted bulk resistance', () => {
    expect(ionicConductivityAnalysis.id).toBe('eis.ionic-conductivity');
    const out = ionicConductivityAnalysis.run(columnsOf(s), { circuit: cell, resistanceParameter: 'R1', thickness: 1, area: 0.1 });
    const sigma = out.results.conductivity!;
    expect(sigma.unit).toBe('S/cm');
    expect(Math.abs(sigma.value / 2.5e-6 - 1)).toBeLessThan(0.01);
    expect(sigma.uncertainty!).toBeGreaterThan(0);
    expect(sigma.uncertainty! / sigma.value).toBeCloseTo(out.results.resistance!.uncertainty! / out.results.resistance!.value, 12);
    const direct = ionicConductivityAnalysis.run({}, { resistance: 400, thickness: 1, area: 0.1 });
    expect(direct.results.conductivity!.value).toBeCloseTo(2.5e-6, 18);
    expect(() => ionicConductivityAnalysis.run({}, { resistance: 400, area: 0.1 })).toThrow(/thickness/);
    expect(() => ionicConductivityAnalysis.run(columnsOf(s), { circuit: cell, resistanceParameter: 'CPE1_0', thickness: 1, area: 0.1 })).toThrow(/not Ω/);
  });

  it('parameter maps from strings, JSON and objects', () => {
    expect(parseValueMap('R0=10, CPE1_1: 0.9; R2 = 1e3', 'x')).toEqual({ R0: 10, CPE1_1: 0.9, R2: 1000 });
    expect(parseValueMap('{"R0": 5}', 'x')).toEqual({ R0: 5 });
    expect(parseValueMap({ R0: '7' }, 'x')).toEqual({ R0: 7 });
    expect(parseValueMap('', 'x')).toEqual({});
    expect(() => parseValueMap('R0', 'initial')).toThrow(/name=value/);
  });
});
