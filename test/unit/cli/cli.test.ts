import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../main/cli/index.js';
import { sampleGcplMpt, sampleHrtemDm4 } from '../../fixtures/sample-data.js';

let dir: string;
async function cli(...args: string[]): Promise<string> {
  let out = '';
  await run(args, (s) => (out += s));
  return out;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'interphase-cli-'));
  await writeFile(join(dir, 'img.dm4'), sampleHrtemDm4());
  await writeFile(join(dir, 'gcpl.mpt'), sampleGcplMpt());
  process.env.INTERPHASE_CONFIG = join(dir, 'cfg');
  process.env.INTERPHASE_HOME = join(dir, 'home');
});

describe('cli', () => {
  it('inspect prints the reader, shape, dtype, axes with units and metadata', async () => {
    const r = JSON.parse(await cli('inspect', join(dir, 'img.dm4')));
    expect(r.reader).toEqual({ id: 'gatan-dm', name: expect.any(String) });
    expect(r.entries[0].shape).toEqual([384, 384]);
    expect(r.entries[0].dtype).toBe('uint16');
    expect(r.entries[0].axes[1]).toMatchObject({ name: 'x', units: 'nm' });
    expect(r.entries[0].metadata.beamEnergy).toEqual({ value: 300, unit: 'kV' });
    expect(r.entries[0].original).toBeUndefined();
    const t = JSON.parse(await cli('inspect', join(dir, 'gcpl.mpt')));
    expect(t.reader.id).toBe('biologic-mpt');
    expect(t.entries[0].columns.map((c: { name: string }) => c.name)).toContain('Ewe');
  });

  it('project new / add-cell / import / list work headless on a bundle', async () => {
    const bundle = (await cli('project', 'new', join(dir, 'projects'), 'Headless')).trim();
    expect(bundle).toBe(join(dir, 'projects', 'Headless.interphase'));
    const cellId = (await cli('project', 'add-cell', bundle, 'Cell 7', '--chemistry', 'LNMO|LiPON|Li')).trim();
    const imported = JSON.parse(await cli('project', 'import', bundle, join(dir, 'gcpl.mpt'), '--cell', cellId));
    expect(imported[0].reader).toBe('biologic-mpt');
    const listed = JSON.parse(await cli('project', 'list', bundle));
    expect(listed.cells).toEqual([{ id: cellId, name: 'Cell 7', chemistry: 'LNMO|LiPON|Li' }]);
    expect(listed.datasets[0]).toMatchObject({ owner: { kind: 'cell', id: cellId }, kind: 'table', file: 'gcpl.mpt' });
  });

  it('rejects unknown commands with usage', async () => {
    await expect(cli('frobnicate')).rejects.toThrow(/unknown command/);
    await expect(cli('project', 'import', 'only-bundle')).rejects.toThrow(/needs <bundle> <file>/);
  });
});
