/**
 * Issue #2's check: `npm run cli -- inspect` on the DM3 files of ../shared/data/dm prints the
 * calibrations the manifest expects (HyperSpy's axes: size, scale, offset, units).
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { run } from '../../main/cli/index.js';

const DATA = resolve(process.cwd(), '..', 'shared', 'data');
const MANIFEST = join(DATA, 'manifest.json');
const present = existsSync(MANIFEST);
if (!present) console.warn(`cli-inspect conformance skipped: ${DATA} is absent`);

interface HsAxis { name: string; size: number; scale: number; offset: number; units: string | null }
interface Entry { path: string; expected: { computed_by_reference_readers?: { hyperspy?: { signals?: { axes_hyperspy_order: HsAxis[] }[] } } } }

function manifest(): Entry[] {
  // Written by Python: bare NaN/Infinity become null for JSON.parse.
  return JSON.parse(readFileSync(MANIFEST, 'utf8').replace(/([:[,]\s*)(-?Infinity|NaN)(?=\s*[,\]}])/g, '$1null')) as Entry[];
}

interface Printed { reader: { id: string }; entries: { axes: { name: string; size: number; scale?: number; offset?: number; units: string }[] }[] }

async function inspect(file: string): Promise<Printed> {
  let out = '';
  await run(['inspect', file], (s) => (out += s));
  return JSON.parse(out) as Printed;
}

function expectCalibration(p: Printed, hs: HsAxis[], file: string): void {
  const axes = p.entries[0]!.axes;
  expect(axes.map((a) => a.size), file).toEqual(hs.map((a) => a.size));
  hs.forEach((h, i) => {
    const a = axes[i]!;
    expect(a.scale!, `${file} axis ${i} scale`).toBeCloseTo(h.scale, 6);
    expect(a.offset ?? 0, `${file} axis ${i} offset`).toBeCloseTo(h.offset, 4);
    expect(a.units, `${file} axis ${i} units`).toBe((h.units ?? '').replace('<undefined>', ''));
  });
}

describe.skipIf(!present)('cli inspect on ../shared/data/dm', () => {
  const files = present ? readdirSync(join(DATA, 'dm')).filter((f) => f.endsWith('.dm3')) : [];
  const byPath = new Map(present ? manifest().map((e) => [e.path, e]) : []);

  it.each(files)('%s: calibrations equal the manifest', async (f) => {
    const hs = byPath.get(`dm/${f}`)?.expected.computed_by_reference_readers?.hyperspy?.signals?.[0]?.axes_hyperspy_order;
    expect(hs, `manifest entry for dm/${f}`).toBeDefined();
    const printed = await inspect(join(DATA, 'dm', f));
    expect(printed.reader.id).toBe('gatan-dm');
    expectCalibration(printed, hs!, f);
  });

  it('the npm script prints the same JSON (test_STEM_image.dm3)', () => {
    const file = join(DATA, 'dm', 'test_STEM_image.dm3');
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'main/cli/index.ts', 'inspect', file], { encoding: 'utf8' });
    const printed = JSON.parse(out) as Printed;
    expectCalibration(printed, byPath.get('dm/test_STEM_image.dm3')!.expected.computed_by_reference_readers!.hyperspy!.signals![0]!.axes_hyperspy_order, 'test_STEM_image.dm3');
    expect(printed.entries[0]!.axes[1]!.scale).toBeCloseTo(0.248538, 5);
  });
});
