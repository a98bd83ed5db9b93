/**
 * The format registry: picks a reader for a file by magic bytes first, extension second
 * (DESIGN.md "Formats"; napari: readers may decline, the winning reader is shown).
 */
import { extname } from 'node:path';
import { FormatDeclined, FormatError } from './format-error.js';
import { NodeFileSource, type FileSource } from './file-source.js';
import type { OpenedFile, Reader } from './types.js';
import { READERS } from './index.js';

export interface OpenResult {
  reader: Reader;
  file: OpenedFile;
  declined: { readerId: string; reason: string }[];
}

/** The sniff window: every reader decides from at most this many leading bytes. */
export const SNIFF_BYTES = 4096;

export function listReaders(): readonly Reader[] {
  return READERS;
}

export function readerById(id: string): Reader | undefined {
  return READERS.find((r) => r.id === id);
}

/** Order candidates: magic 'yes' first, then 'maybe', then extension matches; 'no' never. */
export function rankReaders(head: Uint8Array, fileName: string, readers: readonly Reader[] = READERS): Reader[] {
  const ext = extname(fileName).slice(1).toLowerCase();
  const binary = head.indexOf(0) >= 0;
  const scored: { r: Reader; score: number; i: number }[] = [];
  readers.forEach((r, i) => {
    if (binary && r.text) return;
    const s = r.sniff(head, fileName);
    if (s === 'no') return;
    const extMatch = r.extensions.includes(ext) ? 1 : 0;
    scored.push({ r, score: (s === 'yes' ? 10 : 0) + extMatch, i });
  });
  scored.sort((a, b) => b.score - a.score || a.i - b.i);
  return scored.map((s) => s.r);
}

/** No reader would take the file. */
export class UnsupportedFormat extends Error {
  override readonly name = 'UnsupportedFormat';
  constructor(
    readonly file: string,
    readonly declined: { readerId: string; reason: string }[],
  ) {
    super(
      `${file}: no reader recognises this file` +
        (declined.length ? ` (declined: ${declined.map((d) => `${d.readerId}: ${d.reason}`).join('; ')})` : ''),
    );
  }
}

/** Open a source with the best reader. A FormatError from a reader that claimed the file propagates. */
export async function openSource(source: FileSource, readers: readonly Reader[] = READERS): Promise<OpenResult> {
  const head = await source.read(0, Math.min(SNIFF_BYTES, source.size));
  const declined: { readerId: string; reason: string }[] = [];
  for (const reader of rankReaders(head, source.name, readers)) {
    try {
      const file = await reader.open(source);
      return { reader, file, declined };
    } catch (e) {
      if (e instanceof FormatDeclined) {
        declined.push({ readerId: reader.id, reason: e.reason });
        continue;
      }
      if (e instanceof FormatError) throw e;
      // A reader bug must still name the file: wrap untyped errors (DESIGN.md: never an untyped crash).
      throw new FormatError(source.name, null, `a readable ${reader.name} file (${(e as Error).message})`, reader.id);
    }
  }
  throw new UnsupportedFormat(source.name, declined);
}

/** Open a file on disk; the caller closes `file` (which does not close the source) and the source. */
export async function openPath(path: string): Promise<OpenResult & { source: FileSource }> {
  const source = await NodeFileSource.open(path);
  try {
    return { ...(await openSource(source)), source };
  } catch (e) {
    await source.close();
    throw e;
  }
}
