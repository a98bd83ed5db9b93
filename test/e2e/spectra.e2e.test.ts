/**
 * Spectrum images in the UI: an EELS SI opens on its integrated-intensity map and sum spectrum;
 * clicking a pixel overlays that pixel's spectrum.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ARTIFACTS, e2eUnavailable, openUiSession, type UiSession } from './harness.js';
import { sampleEelsSiDm4 } from '../fixtures/sample-data.js';

const skip = e2eUnavailable();

describe.skipIf(!!skip)('spectra in headless Chromium', () => {
  let ui: UiSession;
  let file: string;

  beforeAll(async () => {
    ui = await openUiSession('si', { width: 1500, height: 950 });
    file = join(ui.dir, 'eels_si.dm4');
    await writeFile(file, sampleEelsSiDm4().bytes);
  });
  afterAll(async () => ui?.close());

  it('shows the map and sum spectrum, then a picked pixel', async () => {
    const { page } = ui;
    await ui.newProject('EELS');
    await ui.importFiles([file]);
    await page.getByTestId('spectrum-view').waitFor({ timeout: 30_000 });
    await expect.poll(() => page.getByTestId('spectrum-info').textContent(), { timeout: 30_000 }).toContain('512 channels');
    const map = page.getByTestId('si-map');
    expect(await map.evaluate((c) => [(c as unknown as { width: number }).width, (c as unknown as { height: number }).height])).toEqual([10, 6]);
    const box = (await map.boundingBox())!;
    await page.mouse.click(box.x + box.width * 0.95, box.y + box.height * 0.5);
    await expect.poll(() => page.getByTestId('spectrum-view').textContent()).toContain('pixel (3, 9)');
    await page.screenshot({ path: join(ARTIFACTS, 'eels-spectrum-image.png') });
    expect(ui.errors).toEqual([]);
  });
});
