/**
 * A CSV from software the app does not know: the column-mapping panel names time, voltage and
 * current; the voltage–capacity view appears; a second file with the same header maps itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ARTIFACTS, e2eUnavailable, openUiSession, type UiSession } from './harness.js';
import { synthGcpl } from '../fixtures/writers/mpt-writer.js';

const skip = e2eUnavailable();

describe.skipIf(!!skip)('column mapping in headless Chromium', () => {
  let ui: UiSession;
  let files: string[];

  beforeAll(async () => {
    ui = await openUiSession('csv');
    const dir = ui.dir;
    const g = synthGcpl({ cycles: 3, capacity_mAh: 0.4, ce: 0.99, fade: 0, currentmA: 0.8, pointsPerHalfCycle: 30 });
    const col = (l: string) => g.columns.find((c) => c.label === l)!.values;
    const t = col('time/s');
    const e = col('Ewe/V');
    const i = col('I/mA');
    const lines = ['Zeit (s)\tSpannung (V)\tStrom (mA)'];
    for (let k = 0; k < t.length; k++) lines.push(`${t[k]}\t${e[k]}\t${i[k]}`);
    files = [join(dir, 'run1.tsv'), join(dir, 'run2.tsv')];
    for (const f of files) await writeFile(f, lines.join('\n') + '\n');
  });
  afterAll(async () => ui?.close());

  const importFile = (f: string) => ui.importFiles([f]);

  it('maps the columns, then remembers the mapping for the next file', async () => {
    const { page } = ui;
    await ui.newProject('CSV');
    await importFile(files[0]!);
    await page.getByTestId('column-mapping').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('cycling-view').count()).toBe(0);
    await page.getByTestId('map-time').selectOption('Zeit (s)');
    await page.getByTestId('map-voltage').selectOption('Spannung (V)');
    await page.getByTestId('map-current').selectOption('Strom (mA)');
    await page.getByTestId('map-apply').click();
    await expect.poll(() => page.getByTestId('cycle-count').textContent(), { timeout: 30_000 }).toContain('3 cycles in file');
    await page.screenshot({ path: join(ARTIFACTS, 'csv-mapped.png') });
    await importFile(files[1]!);
    await expect.poll(() => page.getByTestId('column-mapping').textContent(), { timeout: 30_000 }).toContain('applied: time ← Zeit (s)');
    await expect.poll(() => page.getByTestId('cycle-count').textContent(), { timeout: 30_000 }).toContain('3 cycles in file');
    expect(ui.errors).toEqual([]);
  });
});
