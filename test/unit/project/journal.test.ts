import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../../main/api/contract.js';
import { Journal, parseJournal, readJournal, replayJournal } from '../../../main/project/journal.js';
import { ProjectStore } from '../../../main/project/project-store.js';
import { JOURNAL_FILE } from '../../../main/project/bundle-layout.js';
import { makeTempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await makeTempDir('journal')));
afterEach(() => cleanup());

const line = (seq: number, extra: object = {}) =>
  JSON.stringify({ seq, time: '2025-01-01T00:00:00Z', op: 'create', objectType: 'cell', id: `c${seq}`, after: { id: `c${seq}` }, ...extra });

describe('parseJournal', () => {
  it('reads well-formed lines in order', () => {
    const r = parseJournal(`${line(1)}\n${line(2)}\n`);
    expect(r.entries.map((e) => e.seq)).toEqual([1, 2]);
    expect(r.tornTail).toBe(false);
  });

  it('tolerates a torn final line: half a JSON object', () => {
    const text = `${line(1)}\n${line(2).slice(0, 20)}`;
    const r = parseJournal(text);
    expect(r.entries.map((e) => e.seq)).toEqual([1]);
    expect(r.tornTail).toBe(true);
    expect(r.validBytes).toBe(Buffer.byteLength(`${line(1)}\n`));
  });

  it('treats a complete-looking final line without its newline as torn', () => {
    const r = parseJournal(`${line(1)}\n${line(2)}`);
    expect(r.entries.map((e) => e.seq)).toEqual([1]);
    expect(r.tornTail).toBe(true);
  });

  it('reports corruption before the last line with the line number', () => {
    try {
      parseJournal(`${line(1)}\n{garbage\n${line(3)}\n`, 'journal/ops.jsonl');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).message).toBe('journal/ops.jsonl: line 2: not a valid journal entry');
    }
  });

  it('refuses out-of-order sequence numbers', () => {
    expect(() => parseJournal(`${line(2)}\n${line(1)}\n`)).toThrow(/line 2: seq 1 does not follow 2/);
  });
});

describe('Journal', () => {
  it('truncates a torn tail on open so the next append starts on a clean line', async () => {
    const p = join(dir, 'ops.jsonl');
    await writeFile(p, `${line(1)}\n${line(2)}\n{"seq":3,"ti`);
    const j = await Journal.open(p);
    expect(j.seq).toBe(2);
    await j.append({ op: 'remove', objectType: 'cell', id: 'c1' });
    const r = await readJournal(p);
    expect(r.tornTail).toBe(false);
    expect(r.entries.map((e) => [e.seq, e.op])).toEqual([[1, 'create'], [2, 'create'], [3, 'remove']]);
  });

  it('reports entries after the last save marker as pending', async () => {
    const p = join(dir, 'ops.jsonl');
    await writeFile(p, `${line(1)}\n${line(2, { op: 'save', objectType: 'project', id: 'p' })}\n${line(3)}\n`);
    const j = await Journal.open(p);
    expect(j.pendingAtOpen.map((e) => e.seq)).toEqual([3]);
  });
});

describe('replay', () => {
  it('rebuilds the saved document from the journal, in order', async () => {
    const store = await ProjectStore.create(dir, 'Replay');
    const empty = structuredClone(store.snapshot().document);
    const cell = await store.addCell({ name: 'LNMO/LiPON/Li #3', chemistry: 'LNMO', layers: [], notes: '' });
    const pristine = await store.addSample({ cellId: cell.id, name: 'pristine', state: 'pristine', notes: '' });
    const cycled = await store.addSample({ cellId: cell.id, name: 'cycled', state: 'after 600 cycles', cycles: 600, notes: '' });
    await store.updateSample(pristine.id, { notes: 'cut at the centre' });
    await store.addLamella({ sampleId: cycled.id, name: 'L1', notes: '', fib: { instrument: 'Helios', ionSpecies: 'Ga+', steps: [], liftOutMethod: 'redeposition', transfer: 'cryo', airExposure: 'none', operator: 'AB' } });
    await store.updateCell(cell.id, { name: 'renamed' });
    await store.removeSample(pristine.id);
    await store.save();
    const saved = store.snapshot().document;
    await store.close();

    const { entries } = await readJournal(join(store.path, JOURNAL_FILE));
    expect(entries.map((e) => `${e.op}:${e.objectType}`)).toEqual([
      'create:project', 'save:project',
      'create:cell', 'create:sample', 'create:sample', 'update:sample', 'create:lamella', 'update:cell', 'remove:sample',
      'save:project',
    ]);
    const replayed = replayJournal(empty, entries);
    const { modified: _a, ...want } = saved;
    const { modified: _b, ...got } = replayed;
    expect(got).toEqual(want);
    // Order matters: replaying the update before the create would lose it.
    const swapped = [...entries];
    const u = swapped.findIndex((e) => e.op === 'update' && e.objectType === 'cell');
    const c = swapped.findIndex((e) => e.op === 'create' && e.objectType === 'cell');
    [swapped[u], swapped[c]] = [swapped[c]!, swapped[u]!];
    expect(replayJournal(empty, swapped).cells[0]!.name).toBe('LNMO/LiPON/Li #3');
    // Idempotent: replaying twice changes nothing.
    expect(replayJournal(replayed, entries)).toEqual(replayed);
  });

  it('keeps working after a crash left a torn line (store-level)', async () => {
    const store = await ProjectStore.create(dir, 'Torn');
    await store.addCell({ name: 'A', chemistry: '', layers: [], notes: '' });
    await store.save();
    await store.close();
    const p = join(store.path, JOURNAL_FILE);
    await appendFile(p, '{"seq":99,"time":"2025');
    const again = await ProjectStore.open(store.path);
    await again.addCell({ name: 'B', chemistry: '', layers: [], notes: '' });
    await again.close();
    const text = await readFile(p, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(text).not.toContain('"seq":99');
    const r = await readJournal(p);
    expect(r.tornTail).toBe(false);
    expect(r.entries.at(-1)!.op).toBe('save');
  });
});

describe('replay across a crash', () => {
  it('a full replay equals the saved document when a crashed session was discarded, or recovered', async () => {
    for (const mode of ['discard', 'recover'] as const) {
      const store = await ProjectStore.create(dir, `Crash ${mode}`);
      const empty = structuredClone(store.snapshot().document);
      await store.addCell({ name: 'saved', chemistry: '', layers: [], notes: '' });
      await store.save();
      await store.addCell({ name: 'lost in crash', chemistry: '', layers: [], notes: '' });
      // crash: no save, no close
      const next = await ProjectStore.open(store.path);
      expect(next.unsavedChanges()).toHaveLength(1);
      if (mode === 'recover') await next.recover();
      await next.addCell({ name: 'after crash', chemistry: '', layers: [], notes: '' });
      expect(next.unsavedChanges()).toEqual([]);
      const saved = (await next.save()).document;
      await next.close();
      expect(saved.cells.map((c) => c.name)).toEqual(mode === 'recover' ? ['saved', 'lost in crash', 'after crash'] : ['saved', 'after crash']);
      const { entries } = await readJournal(join(store.path, JOURNAL_FILE));
      expect(entries.some((e) => e.op === 'discard')).toBe(mode === 'discard');
      const { modified: _a, ...want } = saved;
      const { modified: _b, ...got } = replayJournal(empty, entries);
      expect(got).toEqual(want);
    }
  });
});
