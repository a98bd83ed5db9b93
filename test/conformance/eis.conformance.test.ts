/**
 * EIS text readers and EIS analyses against ../shared/data/eis and its manifest: impedance.py's
 * example files (MIT) with the arrays its tests assert (np.allclose, rtol 1e-5, atol 1e-8), its
 * Randles fit of exampleData.csv (test_circuits.py::test_Randles, decimal=2 and the 10 Hz
 * prediction with np.isclose) and its Lin-KK test on Circuit3_EIS_1.z (test_validation.py, c = 0.69
 * → M = 10, μ = 0.68438…). .mpt files belong to biologic-mpt and are skipped here.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NodeFileSource } from '../../main/formats/file-source.js';
import { eisTextReader } from '../../main/formats/eis-text/reader.js';
import { fitCircuit } from '../../main/analysis/eis/fit.js';
import { linKk } from '../../main/analysis/eis/lin-kk.js';
import { evaluateCircuit } from '../../main/analysis/eis/impedance-model.js';
import { parseCircuit } from '../../main/analysis/eis/circuit-parser.js';

const DATA = resolve(process.cwd(), '..', 'shared', 'data');
const MANIFEST = join(DATA, 'manifest.json');
const present = existsSync(MANIFEST) && existsSync(join(DATA, 'eis'));
if (!present) console.warn(`eis conformance skipped: ${DATA} is absent`);

interface Expected {
  from_source_repo_tests?: {
    n_points?: number;
    frequency_Hz?: number[];
    Z_ohm?: { real: number[]; imag: number[] };
    analysis_Randles_fit?: { 'parameters_[R0,R1,C1,Wo1_0,Wo1_1]': number[]; decimal: number; predict_10Hz: { real: number; imag: number } };
    'linKK_c0.69'?: { M: number; mu: number };
    'linKK_c0.69_add_cap'?: { M: number; mu: number };
  };
}
interface Entry {
  path: string;
  kind: string;
  expected: Expected;
}

function manifest(): Entry[] {
  // Written by Python: bare NaN/Infinity become null for JSON.parse.
  return JSON.parse(readFileSync(MANIFEST, 'utf8').replace(/([:[,]\s*)(-?Infinity|NaN)(?=\s*[,\]}])/g, '$1null')) as Entry[];
}

/** numpy.isclose: |a − b| ≤ atol + rtol·|b|. */
function isClose(a: number, b: number, rtol = 1e-5, atol = 1e-8): boolean {
  return Math.abs(a - b) <= atol + rtol * Math.abs(b);
}
function expectAllClose(actual: ArrayLike<number>, expected: number[], what: string): void {
  expect(actual.length, what).toBe(expected.length);
  const bad: string[] = [];
  for (let i = 0; i < expected.length; i++) if (!isClose(actual[i]!, expected[i]!)) bad.push(`[${i}] ${actual[i]} vs ${expected[i]}`);
  expect(bad, what).toEqual([]);
}

async function readSpectrum(file: string) {
  const src = await NodeFileSource.open(file);
  const head = await src.read(0, Math.min(4096, src.size));
  const sniff = eisTextReader.sniff(head, file);
  const opened = await eisTextReader.open(src);
  const entry = opened.entries[0]!;
  const cols = await opened.readColumns!(entry.entry, ['freq', 'Re(Z)', '-Im(Z)']);
  await opened.close();
  return { sniff, entry, freq: Float64Array.from(cols.freq!), re: Float64Array.from(cols['Re(Z)']!), im: Float64Array.from(cols['-Im(Z)']!, (x) => -x) };
}

const files = present ? readdirSync(join(DATA, 'eis')).filter((f) => !f.toLowerCase().endsWith('.mpt')).sort() : [];
const results = new Map<string, boolean>();

describe.skipIf(!present)('eis conformance (../shared/data/eis)', () => {
  const entries = present ? manifest() : [];
  afterAll(() => {
    const passed = [...results.values()].filter(Boolean).length;
    const failed = [...results.entries()].filter(([, ok]) => !ok).map(([f]) => f);
    console.log(`eis conformance: ${passed}/${files.length}${failed.length ? ` (failed: ${failed.join(', ')})` : ''}`);
  });

  for (const name of files) {
    it(name, async () => {
      results.set(name, false);
      const m = entries.find((e) => e.path === `eis/${name}`);
      expect(m, `manifest entry for eis/${name}`).toBeDefined();
      const s = await readSpectrum(join(DATA, 'eis', name));
      expect(s.sniff).not.toBe('no');
      expect(s.entry.kind).toBe('table');
      const t = m!.expected.from_source_repo_tests ?? {};
      if (t.n_points !== undefined) expect(s.freq.length).toBe(t.n_points);
      if (t.frequency_Hz) expectAllClose(s.freq, t.frequency_Hz, `${name} frequency`);
      if (t.Z_ohm) {
        expectAllClose(s.re, t.Z_ohm.real, `${name} Re(Z)`);
        expectAllClose(s.im, t.Z_ohm.imag, `${name} Im(Z)`);
      }
      if (!t.frequency_Hz) {
        // No arrays in the manifest (impedance.py uses these files in docs only): the rows read
        // must be every non-empty line after the header, with positive frequencies.
        const text = readFileSync(join(DATA, 'eis', name), 'latin1').split(/\r?\n/);
        const start = text.findIndex((l) => l.trim() === 'End Comments');
        if (start >= 0) expect(s.freq.length).toBe(text.slice(start + 1).filter((l) => l.trim() !== '').length);
        for (const f of s.freq) expect(f).toBeGreaterThan(0);
      }

      const randles = t.analysis_Randles_fit;
      if (randles) {
        // impedance.py: Randles(initial_guess=[.01, .005, .01, 200, .1]).fit(f[Im Z < 0], Z[Im Z < 0])
        // — circuit R0-p(R1-Wo1,C1), unweighted, parameters in the order the string names them.
        const keep = [...s.freq.keys()].filter((i) => s.im[i]! < 0);
        const spec = { freq: Float64Array.from(keep, (i) => s.freq[i]!), re: Float64Array.from(keep, (i) => s.re[i]!), im: Float64Array.from(keep, (i) => s.im[i]!) };
        const fit = fitCircuit(spec, 'R0-p(R1-Wo1,C1)', { initial: [0.01, 0.005, 0.01, 200, 0.1], weighting: 'unit' });
        const expected = randles['parameters_[R0,R1,C1,Wo1_0,Wo1_1]'];
        // numpy.testing.assert_almost_equal(decimal=2): |actual − desired| < 1.5 × 10⁻²
        fit.parameters.forEach((p, i) => expect(Math.abs(p.value - expected[i]!), p.name).toBeLessThan(1.5 * 10 ** -randles.decimal));
        const z10 = evaluateCircuit(parseCircuit('R0-p(R1-Wo1,C1)'), fit.values, [10]);
        expect(isClose(z10.re[0]!, randles.predict_10Hz.real), `Re Z(10 Hz) ${z10.re[0]}`).toBe(true);
        expect(isClose(z10.im[0]!, randles.predict_10Hz.imag), `Im Z(10 Hz) ${z10.im[0]}`).toBe(true);
      }
      const kk = t['linKK_c0.69'];
      if (kk) {
        const spec = { freq: s.freq, re: s.re, im: s.im };
        const r = linKk(spec, { c: 0.69, fitType: 'real' });
        expect(r.M).toBe(kk.M);
        expect(isClose(r.mu, kk.mu)).toBe(true);
        const kc = t['linKK_c0.69_add_cap']!;
        const rc = linKk(spec, { c: 0.69, fitType: 'real', addCapacitance: true });
        expect(rc.M).toBe(kc.M);
        expect(isClose(rc.mu, kc.mu)).toBe(true);
        // Fixed M = 10 gives the same as the automatic choice (test_validation.py).
        const rf = linKk(spec, { c: null, maxM: 10, fitType: 'real', addCapacitance: true });
        expect(isClose(rf.mu, kc.mu)).toBe(true);
        expectAllClose(rf.fitted.re, Array.from(rc.fitted.re), 'Lin-KK fixed vs automatic M');
      }
      results.set(name, true);
    });
  }
});
