/**
 * raw/: imported instrument files, verbatim, named by content (DESIGN.md "The project on disk":
 * "raw/ imported instrument files, verbatim, named by sha256, never modified"; "Files larger than
 * a threshold may be linked instead of copied (path hint + sha256 + size)").
 *
 * Naming by sha256 makes a re-import of the same bytes free (dedupe) and makes every dataset's
 * provenance (`DatasetSource.sha256`) checkable against the file it points at. The copy is hashed
 * while it streams (one read of the source, never whole in memory: DM4 movies are many GB), lands
 * in a temp file in raw/, and is renamed to its final name only when complete and fsync'ed, so a
 * file named <sha>.<ext> always has that sha.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, lstat, mkdir, open, readdir, realpath, rename, rm, stat, unlink } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { basename, extname, join } from 'node:path';
import { ApiError } from '../api/contract.js';
import type { DatasetRecord } from '../api/project-types.js';
import { fsyncDirectory, tempPathFor } from './atomic-write.js';
import { RAW_DIR, safeBundlePath } from './bundle-layout.js';

export type RawRef = DatasetRecord['raw'];

export interface ImportRawOptions {
  /** Files strictly larger than this are linked, not copied. Default: never link. */
  linkThresholdBytes?: number;
  /**
   * The sha256 the caller already computed (e.g. while inspecting the file). A link then skips
   * re-hashing a multi-GB file; a copy is still hashed while it streams and a mismatch (the file
   * changed in between) is refused with 'conflict'.
   */
  sha256?: string;
}

export interface ImportRawResult {
  raw: RawRef;
  sha256: string;
  size: number;
  /** True when raw/<sha>.<ext> already existed and no copy was made. */
  deduplicated: boolean;
  linked: boolean;
}

/** Extension used in raw/ names: the source's last extension, lower-cased, [a-z0-9] only, else 'bin'. */
export function rawExtension(sourcePath: string): string {
  const ext = extname(sourcePath).slice(1).toLowerCase();
  return /^[a-z0-9]{1,16}$/.test(ext) ? ext : 'bin';
}

/** Refuse anything but a regular file: reading a FIFO or a device could block or never end. */
async function requireRegularFile(path: string): Promise<{ size: number }> {
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ApiError('not-found', `file not found: ${path}`, { path });
    throw new ApiError('io-error', `cannot read ${path}: ${(err as Error).message}`, { path, code });
  }
  if (!st.isFile()) throw new ApiError('bad-request', `not a regular file: ${path}`, { path });
  return { size: st.size };
}

/** Stream-hash a file (sha256, lowercase hex) without holding it in memory. */
export async function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  await requireRegularFile(path);
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
      const buf = chunk as Buffer;
      hash.update(buf);
      size += buf.length;
    }
  } catch (err) {
    throw new ApiError('io-error', `cannot read ${path}: ${(err as Error).message}`, { path });
  }
  return { sha256: hash.digest('hex'), size };
}

/**
 * Import one instrument file into the bundle. Small files are copied to raw/<sha256>.<ext> (skipped
 * when that file already exists: same bytes, same name); files above `linkThresholdBytes` are only
 * hashed and recorded as a link {linkedPath (absolute, symlinks resolved), sha256, size}.
 */
export async function importRaw(bundle: string, sourcePath: string, opts: ImportRawOptions = {}): Promise<ImportRawResult> {
  const { size: statSize } = await requireRegularFile(sourcePath);
  const ext = rawExtension(sourcePath);
  const threshold = opts.linkThresholdBytes ?? Number.POSITIVE_INFINITY;

  if (statSize > threshold) {
    const linkedPath = await realpath(sourcePath);
    const known = opts.sha256 !== undefined && /^[0-9a-f]{64}$/.test(opts.sha256) ? opts.sha256 : undefined;
    const { sha256, size } = known ? { sha256: known, size: statSize } : await hashFile(linkedPath);
    return { raw: { linkedPath, sha256, size }, sha256, size, deduplicated: false, linked: true };
  }

  const rawDir = await safeBundlePath(bundle, RAW_DIR);
  const temp = tempPathFor(`${rawDir}/import.${ext}`);
  const hash = createHash('sha256');
  let size = 0;
  const out = await open(temp, 'wx', 0o444);
  try {
    try {
      for await (const chunk of createReadStream(sourcePath, { highWaterMark: 1 << 20 })) {
        const buf = chunk as Buffer;
        hash.update(buf);
        size += buf.length;
        let off = 0;
        while (off < buf.length) off += (await out.write(buf, off, buf.length - off)).bytesWritten;
      }
      await out.sync();
    } finally {
      await out.close();
    }
    const sha256 = hash.digest('hex');
    if (opts.sha256 !== undefined && opts.sha256 !== sha256) {
      throw new ApiError('conflict', `${sourcePath} changed during import (sha256 differs from the one given)`, { path: sourcePath });
    }
    const rel = `${RAW_DIR}/${sha256}.${ext}`;
    const target = await safeBundlePath(bundle, rel, RAW_DIR);
    let exists = false;
    try {
      const st = await lstat(target);
      // Same name means same sha; a wrong size means someone tampered with raw/ — refuse to trust it.
      if (!st.isFile() || st.size !== size) {
        throw new ApiError('conflict', `${rel} exists but does not match its name (size ${st.size}, expected ${size})`, { path: rel });
      }
      exists = true;
    } catch (err) {
      if (err instanceof ApiError) throw err;
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (exists) {
      await unlink(temp);
      return { raw: { path: rel }, sha256, size, deduplicated: true, linked: false };
    }
    await rename(temp, target);
    await fsyncDirectory(rawDir);
    return { raw: { path: rel }, sha256, size, deduplicated: false, linked: false };
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    if (err instanceof ApiError) throw err;
    throw new ApiError('io-error', `import of ${sourcePath} failed: ${(err as Error).message}`, { path: sourcePath });
  }
}

/**
 * Import a file that only works together with its siblings (e.g. a TIA .emi and its .ser files):
 * all of them, verbatim and under their own names, into raw/<sha256 of the primary>.set/, built
 * under a temp name and renamed into place whole. The raw reference points at the primary.
 */
export async function importRawSet(bundle: string, primary: string, companions: string[]): Promise<ImportRawResult> {
  const files = [primary, ...companions];
  for (const f of files) {
    const name = basename(f);
    if (!/^[^\u0000-\u001f/\\]{1,255}$/.test(name) || name === '.' || name === '..') {
      throw new ApiError('bad-request', `cannot import a file named '${name}'`, { path: f });
    }
    await requireRegularFile(f);
  }
  const { sha256, size } = await hashFile(primary);
  const rel = `${RAW_DIR}/${sha256}.set`;
  const target = await safeBundlePath(bundle, rel, RAW_DIR);
  const ref = { path: `${rel}/${basename(primary)}` };
  try {
    const have = new Set(await readdir(target));
    if (files.every((f) => have.has(basename(f)))) return { raw: ref, sha256, size, deduplicated: true, linked: false };
    throw new ApiError('conflict', `${rel} exists but lacks some of the files being imported`, { path: rel });
  } catch (err) {
    if (err instanceof ApiError) throw err;
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const rawDir = await safeBundlePath(bundle, RAW_DIR);
  const temp = join(rawDir, `.tmp-${randomUUID()}.set`);
  await mkdir(temp);
  try {
    for (const f of files) {
      const dest = join(temp, basename(f));
      await copyFile(f, dest);
      const fh = await open(dest, 'r');
      await fh.sync();
      await fh.close();
    }
    await fsyncDirectory(temp);
    await rename(temp, target);
    await fsyncDirectory(rawDir);
  } catch (err) {
    await rm(temp, { recursive: true, force: true }).catch(() => undefined);
    throw err instanceof ApiError ? err : new ApiError('io-error', `import of ${primary} failed: ${(err as Error).message}`, { path: primary });
  }
  return { raw: ref, sha256, size, deduplicated: false, linked: false };
}

export interface ResolveRawOptions {
  /** Also re-hash the file and compare with the recorded sha256 (reads the whole file). */
  verifySha256?: boolean;
  /** Expected sha256 for an in-bundle file (e.g. DatasetSource.sha256) when verifySha256 is set. */
  expectedSha256?: string;
}

/**
 * The absolute path of a dataset's raw bytes. In-bundle paths go through safeBundlePath (no
 * escapes, no symlinks out). Links are followed only when the target is still a regular file of
 * the recorded size (and sha256 on request): a moved or edited file is reported, never silently
 * read as if it were the original.
 */
export async function resolveRaw(bundle: string, raw: RawRef, opts: ResolveRawOptions = {}): Promise<string> {
  if ('path' in raw) {
    const abs = await safeBundlePath(bundle, raw.path, RAW_DIR);
    await requireRegularFile(abs);
    const expected = opts.expectedSha256 ?? /^raw\/([0-9a-f]{64})\./.exec(raw.path)?.[1];
    if (opts.verifySha256 && expected) {
      const { sha256 } = await hashFile(abs);
      if (sha256 !== expected) throw new ApiError('conflict', `${raw.path}: content does not match sha256 ${expected}`, { path: raw.path });
    }
    return abs;
  }
  let target: string;
  try {
    target = await realpath(raw.linkedPath);
  } catch {
    throw new ApiError('not-found', `linked file is missing: ${raw.linkedPath}`, { linkedPath: raw.linkedPath });
  }
  const { size } = await requireRegularFile(target);
  if (size !== raw.size) {
    throw new ApiError('conflict', `linked file ${raw.linkedPath} changed: size ${size}, recorded ${raw.size}`, {
      linkedPath: raw.linkedPath,
      size,
      expectedSize: raw.size,
    });
  }
  if (opts.verifySha256) {
    const { sha256 } = await hashFile(target);
    if (sha256 !== raw.sha256) {
      throw new ApiError('conflict', `linked file ${raw.linkedPath} changed: sha256 differs from the recorded one`, { linkedPath: raw.linkedPath });
    }
  }
  return target;
}
