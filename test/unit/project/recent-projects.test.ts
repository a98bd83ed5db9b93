import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RECENT_FILE, RecentProjects } from '../../../main/project/recent-projects.js';
import { makeTempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await makeTempDir('recent')));
afterEach(() => cleanup());

async function fakeBundle(name: string): Promise<string> {
  const p = join(dir, 'projects', `${name}.interphase`);
  await mkdir(p, { recursive: true });
  await writeFile(join(p, 'project.json'), '{}');
  return p;
}

describe('RecentProjects', () => {
  it('keeps most recent first, dedupes by path, caps at 10', async () => {
    const config = join(dir, 'config');
    const recent = new RecentProjects(config);
    const paths: string[] = [];
    for (let i = 0; i < 12; i++) paths.push(await fakeBundle(`p${i}`));
    for (let i = 0; i < 12; i++) await recent.add({ path: paths[i]!, name: `p${i}`, opened: `2025-01-01T00:00:${String(i).padStart(2, '0')}Z` });
    await recent.add({ path: `${paths[5]}/`, name: 'p5 again' }); // same bundle, trailing slash
    const list = await recent.list();
    expect(list).toHaveLength(10);
    expect(list.map((p) => p.name)).toEqual(['p5 again', 'p11', 'p10', 'p9', 'p8', 'p7', 'p6', 'p4', 'p3', 'p2']);
    expect(list.filter((p) => p.path === paths[5])).toHaveLength(1);
    // Persisted as JSON in the config dir.
    const file = JSON.parse(await readFile(join(config, RECENT_FILE), 'utf8'));
    expect(file.projects).toHaveLength(10);
    expect((await new RecentProjects(config).list()).map((p) => p.name)).toEqual(list.map((p) => p.name));
  });

  it('hides entries whose bundle is gone', async () => {
    const recent = new RecentProjects(join(dir, 'config'));
    const a = await fakeBundle('a');
    const b = await fakeBundle('b');
    await recent.add({ path: a, name: 'a' });
    await recent.add({ path: b, name: 'b' });
    await rm(a, { recursive: true });
    expect((await recent.list()).map((p) => p.name)).toEqual(['b']);
    await recent.remove(b);
    expect(await recent.list()).toEqual([]);
  });

  it('treats a corrupt or missing list as empty and serialises concurrent adds', async () => {
    const config = join(dir, 'config');
    await mkdir(config);
    await writeFile(join(config, RECENT_FILE), '{not json');
    const recent = new RecentProjects(config);
    expect(await recent.list()).toEqual([]);
    const paths = await Promise.all(['x', 'y', 'z'].map(fakeBundle));
    await Promise.all(paths.map((p, i) => recent.add({ path: p, name: `n${i}` })));
    expect((await recent.list()).map((p) => p.name).sort()).toEqual(['n0', 'n1', 'n2']);
  });
});
