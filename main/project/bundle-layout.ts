/**
 * The `Name.interphase/` directory bundle (DESIGN.md "The project on disk"):
 *
 *   project.json        the document (cells, samples, lamellae, datasets, analyses, figures)
 *   journal/ops.jsonl   append-only operation log, one JSON object per line
 *   raw/                imported instrument files, verbatim, named <sha256>.<ext>, never modified
 *   derived/            analysis outputs as HDF5 (NeXus NXdata)
 *   figures/            figure specs (JSON)
 *
 * Project files are untrusted input ("nothing in them is ... allowed to name a path outside the
 * bundle"), so every bundle-relative path read from a file goes through `checkRelativePath`
 * (lexical rules) and, before touching the disk, `safeBundlePath` (symlink rules).
 */
import { lstat, mkdir, readdir, realpath, stat, unlink } from 'node:fs/promises';
import { basename, isAbsolute, join, relative as pathRelative, resolve, sep } from 'node:path';
import { ApiError } from '../api/contract.js';
import { isTempFileName } from './atomic-write.js';

export const BUNDLE_EXTENSION = '.interphase';
export const PROJECT_FILE = 'project.json';
export const JOURNAL_DIR = 'journal';
export const JOURNAL_FILE = 'journal/ops.jsonl';
export const RAW_DIR = 'raw';
export const DERIVED_DIR = 'derived';
export const FIGURES_DIR = 'figures';
export const BUNDLE_DIRS = [JOURNAL_DIR, RAW_DIR, DERIVED_DIR, FIGURES_DIR] as const;

/** Longest bundle-relative path accepted; real ones are ~80 characters (raw/<64 hex>.<ext>). */
const MAX_RELATIVE_LENGTH = 1024;

/**
 * A file-system-safe bundle directory name for a project name: characters that are illegal on
 * Windows/macOS or are path separators become '_', leading/trailing dots and spaces are trimmed
 * (Windows drops trailing dots; a leading dot would hide the bundle), and the result is capped.
 */
export function bundleDirName(projectName: string): string {
  let stem = projectName.endsWith(BUNDLE_EXTENSION) ? projectName.slice(0, -BUNDLE_EXTENSION.length) : projectName;
  stem = stem.replace(/[<>:"/\\|?*\u0000-\u001f\u007f]/g, '_').replace(/^[\s.]+|[\s.]+$/g, '');
  if (stem.length > 120) stem = stem.slice(0, 120).trimEnd();
  if (stem === '' || /^(con|prn|aux|nul|com\d|lpt\d)$/i.test(stem)) stem = stem === '' ? 'Untitled' : `${stem}_`;
  return `${stem}${BUNDLE_EXTENSION}`;
}

/** The project's display name implied by a bundle path (`/x/Cell A.interphase` → `Cell A`). */
export function nameFromBundlePath(bundlePath: string): string {
  const base = basename(bundlePath);
  return base.endsWith(BUNDLE_EXTENSION) ? base.slice(0, -BUNDLE_EXTENSION.length) : base;
}

function forbidden(relative: string, why: string): ApiError {
  return new ApiError('forbidden', `refused bundle path ${JSON.stringify(relative)}: ${why}`, { path: relative, reason: why });
}

/**
 * Lexical check of a bundle-relative path from an untrusted file. Accepts only forward-slash,
 * relative, normalised paths: no absolute paths (POSIX '/x', Windows 'C:\x', '\\server'), no
 * backslashes (a separator on Windows), no '.' or '..' segments, no empty segments, no NUL.
 * Returns the path unchanged when it is acceptable; throws ApiError('forbidden') otherwise.
 */
export function checkRelativePath(relative: unknown, under?: string): string {
  if (typeof relative !== 'string' || relative.length === 0) throw forbidden(String(relative), 'not a non-empty string');
  if (relative.length > MAX_RELATIVE_LENGTH) throw forbidden(relative.slice(0, 64), 'too long');
  if (relative.includes('\0')) throw forbidden(relative, 'contains NUL');
  if (relative.includes('\\')) throw forbidden(relative, 'contains a backslash');
  if (relative.startsWith('/') || isAbsolute(relative) || /^[A-Za-z]:/.test(relative)) throw forbidden(relative, 'absolute path');
  const segments = relative.split('/');
  for (const s of segments) {
    if (s === '..') throw forbidden(relative, "contains '..'");
    if (s === '' || s === '.') throw forbidden(relative, 'not normalised');
  }
  if (under !== undefined && (segments.length < 2 || segments[0] !== under)) throw forbidden(relative, `must be inside ${under}/`);
  return relative;
}

function isInside(root: string, candidate: string): boolean {
  const rel = pathRelative(root, candidate);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel) && rel.split(sep)[0] !== '..');
}

/**
 * Resolve a bundle-relative path to an absolute one that is guaranteed (at call time) to lie inside
 * the bundle after symlinks are resolved. The deepest existing ancestor of the target (the target
 * itself if it exists) is realpath'ed and must be inside realpath(bundle): this catches a symlink
 * anywhere along the path (raw/ itself, or raw/x) pointing out of the bundle. Components that do
 * not exist yet cannot be symlinks, so checking the deepest existing one suffices.
 */
export async function safeBundlePath(bundle: string, relative: string, under?: string): Promise<string> {
  checkRelativePath(relative, under);
  const root = await realpath(bundle);
  const target = join(root, ...relative.split('/'));
  let probe = target;
  for (;;) {
    try {
      await lstat(probe);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      const parent = resolve(probe, '..');
      if (parent === probe) break;
      probe = parent;
    }
  }
  let real: string;
  try {
    real = await realpath(probe);
  } catch (err) {
    // A dangling symlink: realpath fails with ENOENT. It points somewhere we cannot vouch for.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw forbidden(relative, 'dangling symlink');
    throw err;
  }
  if (!isInside(root, real)) throw forbidden(relative, 'resolves outside the bundle (symlink)');
  return target;
}

/** Create the fixed sub-directories (missing ones only: a bundle unpacked from .eln may lack empty dirs). */
export async function ensureBundleDirs(bundle: string): Promise<void> {
  for (const dir of BUNDLE_DIRS) {
    const p = join(bundle, dir);
    try {
      const st = await lstat(p);
      if (st.isSymbolicLink() || !st.isDirectory()) throw forbidden(dir, 'must be a real directory, not a symlink or file');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await mkdir(p);
    }
  }
}

/** True when `path` looks like a bundle: a directory holding a project.json. */
export async function isBundle(path: string): Promise<boolean> {
  try {
    return (await stat(join(path, PROJECT_FILE))).isFile();
  } catch {
    return false;
  }
}

/**
 * Remove temp files left by a killed writer (atomic-write.ts names) in the bundle root and its
 * fixed sub-directories. Only files older than `minAgeMs` go, so a writer in another process that
 * is mid-write right now keeps its temp file.
 */
export async function removeStaleTempFiles(bundle: string, minAgeMs = 60_000): Promise<number> {
  let removed = 0;
  const now = Date.now();
  for (const dir of ['', ...BUNDLE_DIRS]) {
    const abs = dir === '' ? bundle : join(bundle, dir);
    let names: string[];
    try {
      names = await readdir(abs);
    } catch {
      continue;
    }
    for (const name of names) {
      if (!isTempFileName(name)) continue;
      const p = join(abs, name);
      try {
        const st = await lstat(p);
        if (st.isFile() && now - st.mtimeMs >= minAgeMs) {
          await unlink(p);
          removed++;
        }
      } catch {
        // Raced with its owner; nothing to clean.
      }
    }
  }
  return removed;
}
