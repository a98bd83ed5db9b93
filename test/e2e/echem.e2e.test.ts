/**
 * Electrochemistry in the UI: dQ/dV view with marked plateaus, and an analysis run from the
 * descriptor-built form whose results (with units) and provenance are shown.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ARTIFACTS, canvasInk, e2eUnavailable, openUiSession, type UiSession } from './harness.js';
import { sampleGcplMpt } from '../fixtures/sample-data.js';
import { gcplSequence, writeMpr } from '../fixtures/writers/mpr-writer.js';

const skip = e2eUnavailable();

describe.skipIf(!!skip)('electrochemistry views in headless Chromium', () => {
  let ui: UiSession;
  let file: string;

  beforeAll(async () => {
    ui = await openUiSession('echem');
    file = join(ui.dir, 'LNMO_GCPL.mpt');
    await writeFile(file, sampleGcplMpt());
  });
  afterAll(async () => ui?.close());

  it('shows dQ/dV peaks and runs a cycling summary with normalisation', async () => {
    const { page } = ui;
    await ui.newProject('Echem');
    await ui.importFiles([file]);
    await page.getByTestId('cycling-view').waitFor({ timeout: 30_000 });
    await expect.poll(async () => (await page.getByTestId('cycle-points').textContent()) ?? '', { timeout: 30_000 }).toMatch(/points drawn/);
    // A table's shape reads as rows × columns (each column keeps its own stored type).
    expect(await page.getByTestId('shape').textContent()).toMatch(/^[\d,]+ rows × \d+ columns$/);
    // Zoom into the curves: the worker re-reads just the points inside the new capacity range.
    const box = (await page.getByTestId('cycling-chart').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.35, box.y + box.height * 0.5);
    for (let i = 0; i < 4; i++) await page.mouse.wheel(0, -120);
    await expect.poll(async () => (await page.getByTestId('cycle-points').textContent()) ?? '', { timeout: 30_000 }).toMatch(/^\s*in view: [\d,]+ of [\d,]+ points drawn/);
    await page.screenshot({ path: join(ARTIFACTS, 'cycling-zoomed.png') });
    await page.getByRole('button', { name: 'dQ/dV', exact: true }).click();
    await expect.poll(async () => Number((await page.getByTestId('dqdv-peaks').textContent())?.split(' ')[0]), { timeout: 30_000 }).toBeGreaterThan(0);
    await page.screenshot({ path: join(ARTIFACTS, 'dqdv.png') });

    await page.getByTestId('analysis-echem.cycling-summary').click();
    await page.getByTestId('param-area_cm2').fill('0.05');
    await page.getByTestId('param-thickness_um').fill('1');
    await page.getByTestId('run-echem.cycling-summary').click();
    await page.getByTestId('analysis-view').waitFor({ timeout: 30_000 });
    const results = await page.getByTestId('analysis-results').textContent();
    expect(results).toContain('firstCycleChargeCapacityVolumetric');
    expect(results).toContain('58 µA·h cm⁻² µm⁻¹');
    expect(results).toMatch(/meanCoulombicEfficiency\s*99\.6\d* ± /);
    const provenance = (await page.getByTestId('analysis-provenance').textContent()) ?? '';
    expect(provenance).toContain('echem.cycling-summary v1.1.0');
    // What the data decided is recorded next to the parameters given.
    expect(provenance).toMatch(/capacitySource \(from the data\)\s*\(Q-Qo\)/);
    // The per-cycle arrays are drawn (Coulombic efficiency vs cycle): the chart's canvas exists
    // and has ink on it, not just a white box.
    await expect.poll(() => canvasInk(page, '[data-testid="arrays-plot"]'), { timeout: 30_000 }).toBeGreaterThan(500);
    await page.screenshot({ path: join(ARTIFACTS, 'cycling-summary.png') });

    // The per-cycle table leaves as CSV with units and provenance.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
    await download.saveAs(join(ARTIFACTS, 'cycling-summary.csv'));
    const csv = await readFile(join(ARTIFACTS, 'cycling-summary.csv'), 'utf8');
    const lines = csv.split('\r\n');
    expect(lines[0]).toMatch(/^# Interphase .* · echem\.cycling-summary v1\.1\.0 · run /);
    expect(lines[1]).toMatch(/^# input: LNMO_GCPL\.mpt — Galvanostatic Cycling with Potential Limitation · sha256 [0-9a-f]{64}$/);
    expect(lines[2]).toContain('"area_cm2":0.05');
    expect(lines[3]).toBe('# resolved from the data: {"capacitySource":"(Q-Qo)","segmentation":"half-cycle"}');
    const head = lines[4]!.split(',');
    expect(head[0]).toBe('cycle');
    const ce = head.indexOf('coulombicEfficiency (%)');
    expect(ce).toBeGreaterThan(0);
    const rows = lines.slice(5).filter((l) => l && !l.startsWith('#')).map((l) => l.split(','));
    expect(rows.map((r) => Number(r[0]))).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    const ces = rows.slice(1).map((r) => Number(r[ce]));
    const mean = ces.reduce((x, y) => x + y, 0) / ces.length;
    expect(mean).toBeCloseTo(99.6, 1);
    expect(ui.errors).toEqual([]);
  });

  it('shows an .mpr technique parameter table in the original metadata', async () => {
    const { page } = ui;
    const mpr = join(ui.dir, 'GCPL_params.mpr');
    await writeFile(
      mpr,
      writeMpr({
        technique: 0x04,
        rows: 3,
        columns: [{ id: 4, values: [0, 1, 2] }, { id: 6, values: [3.5, 3.6, 3.7] }],
        paramTable: { version: 8, sequences: [gcplSequence({ N: 1, 'EM (V)': 4.5, 'nc cycles': 0 }), gcplSequence({ N: 2, 'EM (V)': 3, 'nc cycles': 49 })] },
      }),
    );
    await ui.importFiles([mpr]);
    await page.getByTestId('meta-tree').waitFor({ timeout: 30_000 });
    const tree = page.getByTestId('meta-tree');
    await tree.locator('summary', { hasText: 'settings' }).first().click();
    await tree.locator('summary', { hasText: 'techniqueParams' }).first().click();
    type Cells = { rows: ArrayLike<{ cells: ArrayLike<{ textContent: string | null }> }> };
    const rows = await page.getByTestId('meta-table').evaluate((t) => Array.from((t as unknown as Cells).rows, (r) => Array.from(r.cells, (c) => (c.textContent ?? '').trim())));
    const row = (name: string) => rows.find((r) => r[0] === name)?.slice(1);
    expect(rows[0]).toEqual(['', '0', '1']); // one column per sequence Ns
    expect(row('EM (V)')).toEqual(['4.5', '3']);
    expect(row('nc cycles')).toEqual(['0', '49']);
    expect(row('N')).toEqual(['1', '2']);
    await page.screenshot({ path: join(ARTIFACTS, 'mpr-technique-parameters.png') });
    expect(ui.errors).toEqual([]);
  });
});
