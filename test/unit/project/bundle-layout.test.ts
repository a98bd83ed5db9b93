import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../../main/api/contract.js';
import { bundleDirName, checkRelativePath, ensureBundleDirs, safeBundlePath } from '../../../main/project/bundle-layout.js';
import { makeTempDir } from './helpers.js';

describe('checkRelativePath (lexical rules for untrusted paths)', () => {
  it('accepts normal bundle-relative paths', () => {
    expect(checkRelativePath('raw/ab12.dm4', 'raw')).toBe('raw/ab12.dm4');
    expect(checkRelativePath('figures/x.json')).toBe('figures/x.json');
  });

  it.each([
    ['../x', "'..'"],
    ['raw/../../etc/passwd', "'..'"],
    ['/etc/passwd', 'absolute'],
    ['C:\\Windows\\system.ini', 'backslash'],
    ['C:/Windows/system.ini', 'absolute'],
    ['raw\\..\\x', 'backslash'],
    ['raw//x', 'normalised'],
    ['./raw/x', 'normalised'],
    ['raw/x\0.dm4', 'NUL'],
    ['', 'non-empty'],
  ])('refuses %j', (p, why) => {
    try {
      checkRelativePath(p);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).code).toBe('forbidden');
      expect((err as ApiError).message).toContain(why);
    }
  });

  it('enforces the expected sub-directory', () => {
    expect(() => checkRelativePath('derived/x.h5', 'raw')).toThrow(/inside raw\//);
    expect(() => checkRelativePath('raw', 'raw')).toThrow(/inside raw\//);
  });
});

describe('safeBundlePath (symlink rules)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let bundle: string;
  let outside: string;
  beforeEach(async () => {
    ({ dir, cleanup } = await makeTempDir('layout'));
    bundle = join(dir, 'P.interphase');
    outside = join(dir, 'outside');
    await mkdir(bundle);
    await mkdir(outside);
    await writeFile(join(outside, 'secret.txt'), 'secret');
    await ensureBundleDirs(bundle);
  });
  afterEach(() => cleanup());

  it('resolves existing and not-yet-existing paths inside the bundle', async () => {
    await writeFile(join(bundle, 'raw', 'a.bin'), 'x');
    expect(await safeBundlePath(bundle, 'raw/a.bin')).toBe(join(bundle, 'raw', 'a.bin'));
    expect(await safeBundlePath(bundle, 'raw/new/deeper.bin')).toBe(join(bundle, 'raw', 'new', 'deeper.bin'));
  });

  it('refuses a file symlink pointing out of the bundle', async () => {
    await symlink(join(outside, 'secret.txt'), join(bundle, 'raw', 'evil.txt'));
    await expect(safeBundlePath(bundle, 'raw/evil.txt')).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('refuses a directory symlink out, also for files that do not exist yet beneath it', async () => {
    await symlink(outside, join(bundle, 'figures', 'out'));
    await expect(safeBundlePath(bundle, 'figures/out/secret.txt')).rejects.toMatchObject({ code: 'forbidden' });
    await expect(safeBundlePath(bundle, 'figures/out/new.json')).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('refuses dangling symlinks and allows symlinks that stay inside', async () => {
    await symlink(join(dir, 'nowhere'), join(bundle, 'raw', 'dangling'));
    await expect(safeBundlePath(bundle, 'raw/dangling')).rejects.toMatchObject({ code: 'forbidden' });
    await writeFile(join(bundle, 'raw', 'real.bin'), 'x');
    await symlink(join(bundle, 'raw', 'real.bin'), join(bundle, 'raw', 'alias.bin'));
    expect(await safeBundlePath(bundle, 'raw/alias.bin')).toBe(join(bundle, 'raw', 'alias.bin'));
  });

  it('refuses a standard sub-directory that is a symlink', async () => {
    const b2 = join(dir, 'Q.interphase');
    await mkdir(b2);
    await symlink(outside, join(b2, 'raw'));
    await expect(ensureBundleDirs(b2)).rejects.toMatchObject({ code: 'forbidden' });
  });
});

describe('bundleDirName', () => {
  it('makes file-system-safe bundle names', () => {
    expect(bundleDirName('LNMO cell 3')).toBe('LNMO cell 3.interphase');
    expect(bundleDirName('a/b\\c:d')).toBe('a_b_c_d.interphase');
    expect(bundleDirName('../..')).toBe('_.interphase');
    expect(bundleDirName('...')).toBe('Untitled.interphase');
    expect(bundleDirName('Foo.interphase')).toBe('Foo.interphase');
    expect(bundleDirName('CON')).toBe('CON_.interphase');
  });
});
