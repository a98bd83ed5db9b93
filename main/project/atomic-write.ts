/**
 * Crash-safe writes (DESIGN.md "The project on disk": "Every write is atomic (temp file, fsync,
 * rename, fsync directory): a kill at any instant leaves the old or the new state, never a torn
 * one").
 *
 * Why each step:
 * - the temp file lives in the target's own directory, because rename(2) is only atomic within one
 *   file system, and a sibling is guaranteed to be on the same one;
 * - the temp file is fsync'ed before the rename, otherwise after a power loss the rename (a
 *   metadata change) can be durable while the data blocks are not, yielding an empty file under the
 *   final name (the classic ext4 "zero-length file" failure);
 * - the directory is fsync'ed after the rename so that the new directory entry itself is durable.
 * A SIGKILL (process death, not power loss) is covered by the rename alone; the fsyncs cover the
 * machine going down.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Prefix and suffix of every temp file this module creates; `isTempFileName` recognises them. */
export const TEMP_PREFIX = '.~';
export const TEMP_SUFFIX = '.tmp';

/** A unique temp path next to `target` (same directory, hence same file system). */
export function tempPathFor(target: string): string {
  const tag = `${process.pid}-${randomBytes(6).toString('hex')}`;
  return join(dirname(target), `${TEMP_PREFIX}${basename(target)}.${tag}${TEMP_SUFFIX}`);
}

/** True for names produced by `tempPathFor` (leftovers of a killed writer). */
export function isTempFileName(name: string): boolean {
  return name.startsWith(TEMP_PREFIX) && name.endsWith(TEMP_SUFFIX);
}

/**
 * fsync a directory so that entries created/renamed in it survive a crash. Windows cannot open a
 * directory for fsync (EPERM/EISDIR); NTFS journals metadata itself, so that is ignored there.
 */
export async function fsyncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (process.platform === 'win32' && (code === 'EPERM' || code === 'EISDIR' || code === 'EACCES')) return;
    throw err;
  } finally {
    await handle?.close();
  }
}

/** fsync an existing file by path (used after a third party, e.g. h5wasm, wrote it). */
export async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Move a fully written temp file over `target`: fsync the file, rename, fsync the directory.
 * On failure the temp file is removed and the target is untouched.
 */
export async function commitTempFile(tempPath: string, target: string): Promise<void> {
  try {
    await fsyncFile(tempPath);
    await rename(tempPath, target);
  } catch (err) {
    await unlink(tempPath).catch(() => undefined);
    throw err;
  }
  await fsyncDirectory(dirname(target));
}

/** Write `data` to `path` so that readers (and a crash) see either the old or the new content. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temp = tempPathFor(path);
  // 'wx': never follow or clobber something already at the temp name (e.g. a planted symlink).
  const handle = await open(temp, 'wx', 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await fsyncDirectory(dirname(path));
}

/**
 * Append one line (a newline is added; the line itself must not contain one) and fsync before
 * returning, so an acknowledged journal entry is durable. A kill mid-append can leave a torn final
 * line; readers tolerate exactly that (journal.ts).
 */
export async function appendJournalLine(path: string, line: string): Promise<void> {
  if (line.includes('\n') || line.includes('\r')) throw new Error('journal line must not contain a newline');
  let created = false;
  let handle;
  try {
    handle = await open(path, 'ax');
    created = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    handle = await open(path, 'a');
  }
  try {
    // One write call: with O_APPEND the kernel places it at the end in one piece.
    await handle.write(`${line}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  if (created) await fsyncDirectory(dirname(path));
}
