import { createHash } from 'node:crypto';
import { appendFile, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureBundleDirs } from '../../../main/project/bundle-layout.js';
import { hashFile, importRaw, rawExtension, resolveRaw } from '../../../main/project/raw-store.js';
import { makeTempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let bundle: string;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir('raw'));
  bundle = join(dir, 'P.interphase');
  await mkdir(bundle);
  await ensureBundleDirs(bundle);
});
afterEach(() => cleanup());

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

async function source(name: string, content: Buffer | string): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, content);
  return p;
}

describe('importRaw', () => {
  it('copies verbatim to raw/<sha256>.<ext>', async () => {
    // Larger than one 1 MiB stream chunk, so hashing and copying span several chunks.
    const content = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < content.length; i++) content[i] = (i * 31) & 0xff;
    const src = await source('Spot 0.DM4', content);
    const r = await importRaw(bundle, src);
    expect(r).toMatchObject({ sha256: sha(content), size: content.length, deduplicated: false, linked: false });
    expect(r.raw).toEqual({ path: `raw/${sha(content)}.dm4` });
    expect((await readFile(join(bundle, 'raw', `${sha(content)}.dm4`))).equals(content)).toBe(true);
  });

  it('dedupes by sha: the same bytes imported twice (from another name) make one file', async () => {
    const a = await source('a.mpt', 'EC-Lab ASCII FILE\n1\t2\n');
    const b = await source('b.mpt', 'EC-Lab ASCII FILE\n1\t2\n');
    const r1 = await importRaw(bundle, a);
    const r2 = await importRaw(bundle, b);
    expect(r2.deduplicated).toBe(true);
    expect(r2.raw).toEqual(r1.raw);
    expect(await readdir(join(bundle, 'raw'))).toEqual([`${r1.sha256}.mpt`]);
  });

  it('links files above the threshold instead of copying', async () => {
    const content = 'x'.repeat(5000);
    const src = await source('movie.dm4', content);
    const r = await importRaw(bundle, src, { linkThresholdBytes: 4096 });
    expect(r.linked).toBe(true);
    expect(r.raw).toEqual({ linkedPath: src, sha256: sha(content), size: 5000 });
    expect(await readdir(join(bundle, 'raw'))).toEqual([]);
    expect(await resolveRaw(bundle, r.raw)).toBe(src);
    // At or below the threshold: copied.
    const small = await importRaw(bundle, await source('small.dm4', 'y'.repeat(4096)), { linkThresholdBytes: 4096 });
    expect(small.linked).toBe(false);
  });

  it('uses a caller-supplied sha256 for links and checks it for copies', async () => {
    const src = await source('big.ang', 'z'.repeat(100));
    const given = 'a'.repeat(64);
    const linked = await importRaw(bundle, src, { linkThresholdBytes: 10, sha256: given });
    expect(linked.raw).toMatchObject({ sha256: given, size: 100 });
    await expect(importRaw(bundle, src, { sha256: given })).rejects.toMatchObject({ code: 'conflict' });
    expect(await readdir(join(bundle, 'raw'))).toEqual([]);
  });

  it('refuses directories and missing files', async () => {
    await expect(importRaw(bundle, dir)).rejects.toMatchObject({ code: 'bad-request' });
    await expect(importRaw(bundle, join(dir, 'nope.dm4'))).rejects.toMatchObject({ code: 'not-found' });
  });

  it('sanitises the extension', () => {
    expect(rawExtension('/x/a.DM4')).toBe('dm4');
    expect(rawExtension('/x/noext')).toBe('bin');
    expect(rawExtension('/x/a.we ird')).toBe('bin');
    expect(rawExtension('/x/archive.tar.gz')).toBe('gz');
  });
});

describe('resolveRaw', () => {
  it('detects a linked file that changed size, and on request a same-size edit', async () => {
    const src = await source('movie.dm4', 'abcdef'.repeat(100));
    const r = await importRaw(bundle, src, { linkThresholdBytes: 1 });
    await writeFile(src, 'ABCDEF'.repeat(100)); // same size, different bytes
    expect(await resolveRaw(bundle, r.raw)).toBe(src);
    await expect(resolveRaw(bundle, r.raw, { verifySha256: true })).rejects.toMatchObject({ code: 'conflict' });
    await appendFile(src, 'more');
    await expect(resolveRaw(bundle, r.raw)).rejects.toMatchObject({ code: 'conflict' });
  });

  it('reports a moved linked file as not-found', async () => {
    await expect(resolveRaw(bundle, { linkedPath: join(dir, 'gone.dm4'), sha256: 'a'.repeat(64), size: 1 })).rejects.toMatchObject({ code: 'not-found' });
  });

  it('verifies in-bundle files against the sha in their name', async () => {
    const r = await importRaw(bundle, await source('x.emd', 'payload'));
    const abs = await resolveRaw(bundle, r.raw, { verifySha256: true });
    expect((await stat(abs)).size).toBe(7);
    expect((await hashFile(abs)).sha256).toBe(r.sha256);
  });

  it('refuses traversal and symlinks out of the bundle', async () => {
    await expect(resolveRaw(bundle, { path: '../x.dm4' })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(resolveRaw(bundle, { path: '/etc/passwd' })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(resolveRaw(bundle, { path: 'derived/x.h5' })).rejects.toMatchObject({ code: 'forbidden' });
    const outside = await source('secret.txt', 'secret');
    await symlink(outside, join(bundle, 'raw', 'evil.txt'));
    await expect(resolveRaw(bundle, { path: 'raw/evil.txt' })).rejects.toMatchObject({ code: 'forbidden' });
  });
});
