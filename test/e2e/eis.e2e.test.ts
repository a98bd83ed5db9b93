/**
 * Impedance in the UI: a ZPlot file opens on Nyquist/Bode; an equivalent-circuit fit run from the
 * analysis panel reports R with its uncertainty and is overlaid on the Nyquist plot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ARTIFACTS, canvasInk, e2eUnavailable, openUiSession, type UiSession } from './harness.js';
import { writeCsv, writeZPlot } from '../fixtures/writers/eis-writers.js';
import { evaluateCircuit } from '../../main/analysis/eis/impedance-model.js';
import { parseCircuit } from '../../main/analysis/eis/circuit-parser.js';

const skip = e2eUnavailable();

describe.skipIf(!!skip)('impedance in headless Chromium', () => {
  let ui: UiSession;
  let file: string;

  beforeAll(async () => {
    ui = await openUiSession('eis');
    file = join(ui.dir, 'LiPON_EIS.z');
    // A LiPON film between blocking electrodes: bulk arc then the electrode's capacitive tail.
    const freq = Float64Array.from({ length: 50 }, (_, i) => 1e6 * 10 ** (-i * 0.12));
    const z = evaluateCircuit(parseCircuit('R0-p(R1,CPE1)-CPE2'), [40, 4000, 3e-10, 0.93, 2e-6, 0.9], freq);
    await writeFile(file, writeZPlot({ freq, re: z.re, im: z.im }, { comments: true }), 'latin1');
  });
  afterAll(async () => ui?.close());

  it('plots Nyquist/Bode, fits R0-p(R1,CPE1)-CPE2, overlays the fit', async () => {
    const { page } = ui;
    await ui.newProject('EIS');
    await ui.importFiles([file]);
    await page.getByTestId('eis-view').waitFor({ timeout: 30_000 });
    await expect.poll(() => page.getByTestId('eis-count').textContent()).toContain('50 frequencies');
    await page.getByTestId('analysis-eis.circuit-fit').click();
    await page.getByTestId('param-circuit').fill('R0-p(R1,CPE1)-CPE2');
    await page.getByTestId('run-eis.circuit-fit').click();
    await page.getByTestId('analysis-view').waitFor({ timeout: 60_000 });
    const text = (await page.getByTestId('analysis-results').textContent())!;
    const r1 = /R1\s*([\d.e+-]+) ± ([\d.e+-]+) Ω/.exec(text);
    expect(r1, text).not.toBeNull();
    expect(Math.abs(Number(r1![1]) / 4000 - 1)).toBeLessThan(0.01);
    // Correlations read as one matrix (not a row per pair); every parameter of this synthetic
    // spectrum is determined, so none carries the warning.
    expect(text).not.toContain('corr(');
    expect(await page.getByTestId('analysis-correlation').textContent()).toContain('CPE1_0');
    expect(await page.getByTestId('undetermined').count()).toBe(0);
    await page.screenshot({ path: join(ARTIFACTS, 'eis-fit-results.png') });
    await page.getByTestId('tree-dataset').first().click();
    await expect.poll(() => page.getByTestId('eis-view').textContent(), { timeout: 30_000 }).toContain('fit: R0-p(R1,CPE1)-CPE2');
    await page.screenshot({ path: join(ARTIFACTS, 'eis-nyquist-fit.png') });
    expect(ui.errors).toEqual([]);
  });

  it('fits every spectrum of a file and plots a parameter against cycle', async () => {
    const { page } = ui;
    // Six sweeps one after the other (the frequency jumps back up at each), R1 growing 100 → 150 Ω.
    const f1 = Array.from({ length: 30 }, (_, i) => 1e5 * 10 ** (-i * 0.2));
    const parts = [0, 1, 2, 3, 4, 5].map((k) => evaluateCircuit(parseCircuit('R0-p(R1,C1)'), [20, 100 + 10 * k, 1e-6], Float64Array.from(f1)));
    const batchFile = join(ui.dir, 'interface_growth.csv');
    const freq = Float64Array.from(parts.flatMap(() => f1));
    const re = Float64Array.from(parts.flatMap((z) => Array.from(z.re)));
    const im = Float64Array.from(parts.flatMap((z) => Array.from(z.im)));
    await writeFile(batchFile, writeCsv({ freq, re, im }));
    await ui.importFiles([batchFile]);
    await page.getByTestId('tree-dataset').filter({ hasText: 'interface_growth' }).click();
    await page.getByTestId('eis-view').waitFor({ timeout: 30_000 });
    await page.getByTestId('analysis-eis.batch-fit').click();
    await page.getByTestId('param-circuit').fill('R0-p(R1,C1)');
    await page.getByTestId('run-eis.batch-fit').click();
    await page.getByTestId('analysis-view').waitFor({ timeout: 60_000 });
    const text = (await page.getByTestId('analysis-results').textContent())!;
    expect(text).toMatch(/spectra\s*6(?!\d)/);
    const first = /R1 \(first\)\s*([\d.e+-]+) ± [\d.e+-]+ Ω/.exec(text);
    const last = /R1 \(last\)\s*([\d.e+-]+) ± [\d.e+-]+ Ω/.exec(text);
    expect(Number(first![1])).toBeCloseTo(100, 3);
    expect(Number(last![1])).toBeCloseTo(150, 3);
    // R1 against cycle is drawn.
    await page.getByTestId('arrays-choice').selectOption({ label: 'R1 vs cycle' });
    await expect.poll(() => canvasInk(page, '[data-testid="arrays-plot"]'), { timeout: 30_000 }).toBeGreaterThan(500);
    await page.screenshot({ path: join(ARTIFACTS, 'eis-batch-fit.png') });
    expect(ui.errors).toEqual([]);
  });
});
