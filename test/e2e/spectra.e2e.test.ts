/**
 * Spectrum images in the UI: an EELS SI opens on its integrated-intensity map and sum spectrum;
 * clicking a pixel overlays that pixel's spectrum.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ARTIFACTS, e2eUnavailable, launchBrowser, startServer, watchErrors, type ServerProc } from './harness.js';
import { sampleEelsSiDm4 } from '../fixtures/sample-data.js';

const skip = e2eUnavailable();

describe.skipIf(!!skip)('spectra in headless Chromium', () => {
  let browser: Browser;
  let srv: ServerProc;
  let page: Page;
  let errors: string[];
  let file: string;

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'interphase-e2e-si-'));
    file = join(dir, 'eels_si.dm4');
    await writeFile(file, sampleEelsSiDm4().bytes);
    srv = await startServer({ home: join(dir, 'home'), config: join(dir, 'config') });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
    errors = watchErrors(page);
  });
  afterAll(async () => {
    await browser?.close();
    await srv?.stop();
  });

  it('shows the map and sum spectrum, then a picked pixel', async () => {
    await page.goto(srv.url);
    await page.getByTestId('new-project-name').fill('EELS');
    await page.getByTestId('create-project').click();
    const chooser = page.waitForEvent('filechooser');
    await page.getByTestId('import').click();
    await (await chooser).setFiles(file);
    await page.getByTestId('spectrum-view').waitFor({ timeout: 30_000 });
    await expect.poll(() => page.getByTestId('spectrum-info').textContent(), { timeout: 30_000 }).toContain('512 channels');
    const map = page.getByTestId('si-map');
    expect(await map.evaluate((c) => [(c as unknown as { width: number }).width, (c as unknown as { height: number }).height])).toEqual([10, 6]);
    const box = (await map.boundingBox())!;
    await page.mouse.click(box.x + box.width * 0.95, box.y + box.height * 0.5);
    await expect.poll(() => page.getByTestId('spectrum-view').textContent()).toContain('pixel (3, 9)');
    await page.screenshot({ path: join(ARTIFACTS, 'eels-spectrum-image.png') });
    expect(errors).toEqual([]);
  });
});
