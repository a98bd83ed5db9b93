/**
 * First render of a 1,000,000-point cycling file in headless Chromium (issue #4): the built app in
 * browser mode, a generated 1M-row .mpr imported through the contract, then the time from clicking
 * the dataset to the voltage–capacity chart being drawn — for the default overlay and for all
 * cycles (LTTB-downsampled per half cycle).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthCycling, writeMpr } from '../test/fixtures/writers/mpr-writer.js';
import { callApi, e2eUnavailable, launchBrowser, startServer } from '../test/e2e/harness.js';

export async function benchEchemRender(): Promise<string> {
  const why = e2eUnavailable();
  if (why) return `cycling render benchmark skipped: ${why}`;
  const dir = await mkdtemp(join(tmpdir(), 'interphase-render-'));
  const srv = await startServer({ home: join(dir, 'home'), config: join(dir, 'config') });
  const browser = await launchBrowser();
  try {
    const ROWS = 1_000_000;
    const file = join(dir, 'cycling_1M.mpr');
    await writeFile(file, writeMpr({ rows: ROWS, columns: synthCycling(ROWS), started: '2024-01-10T11:02:29.886' }));
    await callApi(srv, 'project.create', { name: 'Render' });
    const t0 = performance.now();
    await callApi(srv, 'dataset.import', { path: file });
    const importS = (performance.now() - t0) / 1000;
    const page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
    await page.goto(srv.url);
    await page.getByTestId('tree-dataset').first().waitFor();
    const t1 = performance.now();
    await page.getByTestId('tree-dataset').first().click();
    await page.getByTestId('cycle-count').waitFor({ timeout: 120_000 });
    // (The app's CSP forbids string evaluation, so waits go through locators, not waitForFunction.)
    await page.locator('[data-testid="cycling-chart"] canvas').first().waitFor();
    const firstS = (performance.now() - t1) / 1000;
    const shown = await page.getByTestId('cycle-count').textContent();
    const t2 = performance.now();
    await page.getByTestId('cycle-list').fill('all');
    await page.getByTestId('cycle-list').press('Enter');
    for (;;) {
      const text = (await page.getByTestId('cycle-count').textContent()) ?? '';
      const loading = await page.getByText('Loading…').count();
      if (!loading && /half-cycles shown/.test(text) && !/ 20 half-cycles/.test(text)) break;
      if (performance.now() - t2 > 120_000) throw new Error(`all-cycles render did not finish: ${text}`);
      await page.waitForTimeout(20);
    }
    const allS = (performance.now() - t2) / 1000;
    const all = await page.getByTestId('cycle-count').textContent();
    return [
      `1M-point cycling plot in headless Chromium: import (hash + parse + copy) ${importS.toFixed(2)} s`,
      `    first render, default overlay (${shown?.trim()}): ${firstS.toFixed(2)} s`,
      `    all cycles (${all?.trim()}): ${allS.toFixed(2)} s`,
    ].join('\n');
  } finally {
    await browser.close();
    await srv.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
