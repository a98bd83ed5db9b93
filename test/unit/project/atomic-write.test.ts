import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendJournalLine, isTempFileName, tempPathFor, writeFileAtomic } from '../../../main/project/atomic-write.js';
import { makeTempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await makeTempDir('atomic')));
afterEach(() => cleanup());

describe('writeFileAtomic', () => {
  it('creates, then replaces the whole content and leaves no temp file behind', async () => {
    const p = join(dir, 'project.json');
    await writeFileAtomic(p, 'first version, rather long '.repeat(100));
    await writeFileAtomic(p, 'second');
    expect(await readFile(p, 'utf8')).toBe('second');
    expect(await readdir(dir)).toEqual(['project.json']);
  });

  it('writes binary data byte for byte', async () => {
    const p = join(dir, 'blob.bin');
    const data = new Uint8Array([0, 255, 1, 254, 10, 13]);
    await writeFileAtomic(p, data);
    expect(new Uint8Array(await readFile(p))).toEqual(data);
  });

  it('fails cleanly (target untouched, no temp) when the directory is missing', async () => {
    await expect(writeFileAtomic(join(dir, 'missing', 'x.json'), 'x')).rejects.toThrow();
    expect(await readdir(dir)).toEqual([]);
  });

  it('names temp files beside the target and recognisably', () => {
    const t = tempPathFor(join(dir, 'project.json'));
    expect(t.startsWith(dir)).toBe(true);
    expect(isTempFileName(t.slice(dir.length + 1))).toBe(true);
    expect(isTempFileName('project.json')).toBe(false);
  });
});

describe('appendJournalLine', () => {
  it('appends newline-terminated lines, creating the file', async () => {
    const p = join(dir, 'ops.jsonl');
    await appendJournalLine(p, '{"a":1}');
    await appendJournalLine(p, '{"a":2}');
    expect(await readFile(p, 'utf8')).toBe('{"a":1}\n{"a":2}\n');
  });

  it('refuses a line containing a newline (it would split one entry in two)', async () => {
    const p = join(dir, 'ops.jsonl');
    await writeFile(p, '');
    await expect(appendJournalLine(p, 'a\nb')).rejects.toThrow(/newline/);
    expect(await readFile(p, 'utf8')).toBe('');
  });
});
