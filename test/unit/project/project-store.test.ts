import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PROJECT_SCHEMA_VERSION } from '../../../main/api/project-types.js';
import { JOURNAL_FILE } from '../../../main/project/bundle-layout.js';
import { readJournal } from '../../../main/project/journal.js';
import { newId, ProjectStore } from '../../../main/project/project-store.js';
import { eelsEntry, makeTempDir, sourceFor } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await makeTempDir('store')));
afterEach(() => cleanup());

const cellInput = (name: string) => ({ name, chemistry: 'LNMO/LiPON/Li', layers: [{ material: 'LiPON', thickness: { value: 1.2, unit: 'µm' } }], notes: '' });
const fib = {
  instrument: 'Helios 5 CX',
  stageTemperature: { value: -185, unit: '°C' },
  ionSpecies: 'Ga+',
  steps: [
    { label: 'rough mill', current: { value: 3, unit: 'nA' } },
    { label: 'cleaning', current: { value: 0.1, unit: 'nA' } },
    { label: 'imaging', current: { value: 10, unit: 'pA' } },
  ],
  liftOutMethod: 'cryo lift-out by redeposition',
  transfer: 'air-free cryo shuttle',
  airExposure: 'none',
  operator: 'AB',
};

/** A populated project: cell → samples → lamella, a dataset, an analysis, a figure. */
async function populate(store: ProjectStore) {
  const cell = await store.addCell({ ...cellInput('Cell 3'), activeArea: { value: 0.25, unit: 'cm²' } });
  const pristine = await store.addSample({ cellId: cell.id, name: 'pristine', state: 'pristine', notes: '' });
  const cycled = await store.addSample({ cellId: cell.id, name: 'cycled', state: 'after 600 cycles', cycles: 600, notes: '' });
  const lamella = await store.addLamella({ sampleId: cycled.id, name: 'L1', fib, notes: '# Interface\n<script>alert(1)</script> **verbatim**' });
  const src = join(dir, 'spot0.dm4');
  await writeFile(src, 'fake dm4 bytes');
  const raw = await store.importRaw(src);
  const ds = await store.addDataset({ owner: { kind: 'lamella', id: lamella.id }, raw: raw.raw, entry: eelsEntry(), source: sourceFor(raw.sha256) });
  const analysis = await store.addAnalysis({
    analysisId: 'eels.white-line-ratio',
    label: 'Mn L3/L2',
    datasetIds: [ds.id],
    results: { ratio: { value: 2.6, unit: '', uncertainty: 0.1 } },
    provenance: { analysisId: 'eels.white-line-ratio', analysisVersion: '1.0.0', appVersion: '0.1.0', inputs: [{ datasetId: ds.id, sha256: raw.sha256 }], parameters: { window: 4 }, time: 'now' },
  });
  const figure = await store.addFigure('L3/L2 across interface', { plot: 'line', series: [ds.id] });
  return { cell, pristine, cycled, lamella, ds, analysis, figure };
}

describe('ProjectStore lifecycle', () => {
  it('creates the bundle layout and refuses to overwrite an existing bundle', async () => {
    const store = await ProjectStore.create(dir, 'LNMO thin film');
    expect(store.path).toBe(join(dir, 'LNMO thin film.interphase'));
    expect((await readdir(store.path)).sort()).toEqual(['derived', 'figures', 'journal', 'project.json', 'raw']);
    const doc = JSON.parse(await readFile(join(store.path, 'project.json'), 'utf8'));
    expect(doc).toMatchObject({ schemaVersion: PROJECT_SCHEMA_VERSION, name: 'LNMO thin film', cells: [] });
    expect(store.dirty).toBe(false);
    await expect(ProjectStore.create(dir, 'LNMO thin film')).rejects.toMatchObject({ code: 'conflict' });
    await mkdir(join(dir, 'Empty.interphase'));
    await expect(ProjectStore.create(dir, 'Empty')).rejects.toMatchObject({ code: 'conflict' });
    // No temp leftovers from the refused attempts.
    expect((await readdir(dir)).sort()).toEqual(['Empty.interphase', 'LNMO thin film.interphase']);
  });

  it('round-trips: create, mutate, save, reopen gives an equal document', async () => {
    const store = await ProjectStore.create(dir, 'Round trip', { appVersion: '0.1.0' });
    await populate(store);
    expect(store.dirty).toBe(true);
    const saved = await store.save();
    expect(saved.dirty).toBe(false);
    await store.close();
    const reopened = await ProjectStore.open(store.path);
    expect(reopened.snapshot().document).toStrictEqual(saved.document);
    expect(reopened.dirty).toBe(false);
    expect(reopened.unsavedChanges()).toEqual([]);
    // Opening the project.json path directly works too.
    const viaFile = await ProjectStore.open(join(store.path, 'project.json'));
    expect(viaFile.path).toBe(store.path);
  });

  it('stores lamella markdown notes and the cryo-FIB record verbatim', async () => {
    const store = await ProjectStore.create(dir, 'Notes');
    const { lamella } = await populate(store);
    await store.close();
    const doc = JSON.parse(await readFile(join(store.path, 'project.json'), 'utf8'));
    const l = doc.lamellae.find((x: { id: string }) => x.id === lamella.id);
    expect(l.notes).toBe('# Interface\n<script>alert(1)</script> **verbatim**');
    expect(l.fib.steps.map((s: { current: { value: number; unit: string } }) => `${s.current.value} ${s.current.unit}`)).toEqual(['3 nA', '0.1 nA', '10 pA']);
  });

  it('saveAs copies the bundle (raw files, figures) and continues in the copy', async () => {
    const store = await ProjectStore.create(dir, 'Original');
    const { ds, figure } = await populate(store);
    await store.save();
    const original = store.path;
    await store.addCell(cellInput('unsaved in original'));
    const snap = await store.saveAs(join(dir, 'sub', 'Copy'));
    expect(snap.path).toBe(join(dir, 'sub', 'Copy.interphase'));
    expect(snap.document.name).toBe('Copy');
    expect(snap.dirty).toBe(false);
    expect(await store.readFigureSpec(figure.id)).toEqual({ plot: 'line', series: [ds.id] });
    await readFile(await store.resolveDatasetRaw(ds.id, { verifySha256: true }));
    const origDoc = (await ProjectStore.open(original)).snapshot().document;
    expect(origDoc.cells).toHaveLength(1);
    expect(origDoc.name).toBe('Original');
    const copy = await ProjectStore.open(snap.path);
    expect(copy.snapshot().document.cells).toHaveLength(2);
    await expect(store.saveAs(original)).rejects.toMatchObject({ code: 'conflict' });
    await expect(store.saveAs(join(snap.path, 'raw', 'Inside'))).rejects.toMatchObject({ code: 'bad-request' });
  });

  it('close() saves by default; close({discard}) drops changes and they are not offered for recovery', async () => {
    const a = await ProjectStore.create(dir, 'A');
    await a.addCell(cellInput('kept'));
    await a.close();
    expect((await ProjectStore.open(a.path)).snapshot().document.cells.map((c) => c.name)).toEqual(['kept']);
    await expect(a.addCell(cellInput('x'))).rejects.toMatchObject({ code: 'no-project' });

    const b = await ProjectStore.create(dir, 'B');
    await b.addCell(cellInput('dropped'));
    await b.close({ discard: true });
    const reopened = await ProjectStore.open(b.path);
    expect(reopened.snapshot().document.cells).toEqual([]);
    expect(reopened.unsavedChanges()).toEqual([]);
  });

  it('recovers changes journaled but never saved (crash before save)', async () => {
    const store = await ProjectStore.create(dir, 'Crash');
    const cell = await store.addCell(cellInput('saved'));
    await store.save();
    await store.updateCell(cell.id, { notes: 'edited after save' });
    await store.addCell(cellInput('unsaved'));
    // Simulate a crash: drop the store without saving or closing.
    const reopened = await ProjectStore.open(store.path);
    expect(reopened.snapshot().document.cells.map((c) => c.name)).toEqual(['saved']);
    expect(reopened.unsavedChanges().map((e) => `${e.op}:${e.objectType}`)).toEqual(['update:cell', 'create:cell']);
    const snap = await reopened.recover();
    expect(snap.dirty).toBe(true);
    expect(snap.document.cells.map((c) => [c.name, c.notes, c.rev])).toEqual([
      ['saved', 'edited after save', 2],
      ['unsaved', '', 1],
    ]);
  });
});

describe('ProjectStore mutations', () => {
  it('increments rev on update and journals before/after', async () => {
    const store = await ProjectStore.create(dir, 'Revs');
    const cell = await store.addCell(cellInput('c'));
    expect(cell.rev).toBe(1);
    const u1 = await store.updateCell(cell.id, { name: 'c2', activeMass: { value: 12, unit: 'µg' } });
    const u2 = await store.updateCell(cell.id, { activeMass: undefined, id: 'hijack' } as never);
    expect([u1.rev, u2.rev]).toEqual([2, 3]);
    expect(u1.activeMass).toEqual({ value: 12, unit: 'µg' });
    expect('activeMass' in u2).toBe(false);
    expect(u2.id).toBe(cell.id);
    const { entries } = await readJournal(join(store.path, JOURNAL_FILE));
    const last = entries.at(-1)!;
    expect(last).toMatchObject({ op: 'update', objectType: 'cell', id: cell.id, before: { rev: 2 }, after: { rev: 3 } });
  });

  it('refuses removal while referenced (no cascade), then allows it bottom-up', async () => {
    const store = await ProjectStore.create(dir, 'Refs');
    const { cell, pristine, cycled, lamella, ds, analysis } = await populate(store);
    await expect(store.removeCell(cell.id)).rejects.toMatchObject({ code: 'conflict', details: { referencedBy: [`sample ${pristine.id}`, `sample ${cycled.id}`] } });
    await expect(store.removeSample(cycled.id)).rejects.toMatchObject({ code: 'conflict' });
    await expect(store.removeLamella(lamella.id)).rejects.toMatchObject({ code: 'conflict', details: { referencedBy: [`dataset ${ds.id}`] } });
    await expect(store.removeDataset(ds.id)).rejects.toMatchObject({ code: 'conflict', details: { referencedBy: [`analysis ${analysis.id}`] } });
    await store.removeAnalysis(analysis.id);
    const detached = await store.attachDataset(ds.id, null);
    expect(detached).toMatchObject({ owner: null, rev: 2 });
    await store.removeLamella(lamella.id);
    await store.removeSample(cycled.id);
    await store.removeSample(pristine.id);
    await store.removeDataset(ds.id);
    await store.removeCell(cell.id);
    const doc = store.snapshot().document;
    expect([doc.cells, doc.samples, doc.lamellae, doc.datasets, doc.analyses]).toEqual([[], [], [], [], []]);
  });

  it('validates links and inputs', async () => {
    const store = await ProjectStore.create(dir, 'Validate');
    await expect(store.addSample({ cellId: 'missing', name: 's', state: 'pristine', notes: '' })).rejects.toMatchObject({ code: 'not-found' });
    const cell = await store.addCell(cellInput('c'));
    const sample = await store.addSample({ cellId: cell.id, name: 's', state: 'pristine', notes: '' });
    await expect(store.updateSample(sample.id, { cellId: 'missing' })).rejects.toMatchObject({ code: 'not-found' });
    await expect(store.attachDataset('missing', null)).rejects.toMatchObject({ code: 'not-found' });
    await expect(store.addCell({ ...cellInput('nan'), activeArea: { value: Number.NaN, unit: 'cm²' } })).rejects.toMatchObject({ code: 'bad-request' });
    const entry = eelsEntry();
    const src = sourceFor('b'.repeat(64));
    await expect(store.addDataset({ raw: { path: '../../etc/passwd' }, entry, source: src })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(store.addDataset({ raw: { path: 'raw/x.dm4' }, entry, source: src, owner: { kind: 'sample', id: 'nope' } })).rejects.toMatchObject({ code: 'not-found' });
    await expect(store.addDataset({ raw: { linkedPath: 'relative/x.dm4', sha256: 'b'.repeat(64), size: 1 }, entry, source: src })).rejects.toMatchObject({ code: 'bad-request' });
    // Nothing of the refused calls reached the journal or the document.
    expect(store.snapshot().document.datasets).toEqual([]);
    const { entries } = await readJournal(join(store.path, JOURNAL_FILE));
    expect(entries.filter((e) => e.objectType === 'dataset')).toEqual([]);
  });

  it('records the derived path of an analysis', async () => {
    const store = await ProjectStore.create(dir, 'Derived');
    const { analysis } = await populate(store);
    const { relative, absolute } = await store.derivedPathFor(analysis.id);
    expect(relative).toBe(`derived/${analysis.id}.h5`);
    expect(absolute).toBe(join(store.path, 'derived', `${analysis.id}.h5`));
    const updated = await store.setAnalysisDerivedPath(analysis.id, relative);
    expect(updated).toMatchObject({ derivedPath: relative, rev: 2 });
    await expect(store.setAnalysisDerivedPath(analysis.id, 'raw/x.h5')).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('applies the contract defaults to minimal inputs and names bad fields', async () => {
    const store = await ProjectStore.create(dir, 'Defaults');
    const cell = await store.addCell({ name: '  Na3OCl cell  ' });
    expect(cell).toMatchObject({ name: 'Na3OCl cell', chemistry: '', layers: [], notes: '', rev: 1 });
    const sample = await store.addSample({ cellId: cell.id, name: 's' });
    expect(sample.state).toBe('pristine');
    const lamella = await store.addLamella({ sampleId: sample.id, name: 'L' });
    expect(lamella.fib).toMatchObject({ ionSpecies: 'Ga+', steps: [] });
    await expect(store.addCell({ name: '' })).rejects.toMatchObject({ code: 'bad-request', message: expect.stringMatching(/^cell: name: /) });
    await expect(store.updateLamella(lamella.id, { notes: 42 as unknown as string })).rejects.toMatchObject({ code: 'bad-request', message: expect.stringMatching(/^lamella: notes: /) });
  });

  it('makes short url-safe ids', () => {
    const ids = new Set(Array.from({ length: 2000 }, () => newId()));
    expect(ids.size).toBe(2000);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{12}$/);
  });
});

describe('ProjectStore saving', () => {
  it('serialises concurrent saves and mutations (journal order = call order)', async () => {
    const store = await ProjectStore.create(dir, 'Concurrent');
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      work.push(store.addCell(cellInput(`cell ${i}`)));
      if (i % 3 === 0) work.push(store.save());
    }
    await Promise.all(work);
    await store.save();
    const { entries } = await readJournal(join(store.path, JOURNAL_FILE));
    const created = entries.filter((e) => e.op === 'create' && e.objectType === 'cell').map((e) => (e.after as { name: string }).name);
    expect(created).toEqual(Array.from({ length: 20 }, (_, i) => `cell ${i}`));
    const onDisk = JSON.parse(await readFile(join(store.path, 'project.json'), 'utf8'));
    expect(onDisk.cells).toHaveLength(20);
  });

  it('debounces autosave and flush() runs a pending one', async () => {
    const store = await ProjectStore.create(dir, 'Autosave');
    const saves: boolean[] = [];
    store.onChange((s) => saves.push(s.dirty));
    await store.addCell(cellInput('one'));
    store.scheduleAutosave(10_000);
    await store.addCell(cellInput('two'));
    store.scheduleAutosave(10_000);
    expect(store.dirty).toBe(true);
    await store.flush();
    expect(store.dirty).toBe(false);
    // Two mutations (dirty) then exactly one save (clean).
    expect(saves).toEqual([true, true, false]);
    const onDisk = JSON.parse(await readFile(join(store.path, 'project.json'), 'utf8'));
    expect(onDisk.cells.map((c: { name: string }) => c.name)).toEqual(['one', 'two']);
  });

  it('autosaves after the configured quiet time when autosaveMs is set', async () => {
    const store = await ProjectStore.create(dir, 'Auto', { autosaveMs: 20 });
    await store.addCell(cellInput('auto'));
    const clean = new Promise<void>((resolve) => store.onChange((s) => !s.dirty && resolve()));
    await clean;
    const onDisk = JSON.parse(await readFile(join(store.path, 'project.json'), 'utf8'));
    expect(onDisk.cells).toHaveLength(1);
  });
});

describe('ProjectStore.open on untrusted bundles', () => {
  async function bundleWith(mutate: (doc: Record<string, unknown>) => void): Promise<string> {
    const store = await ProjectStore.create(dir, `B${newId()}`);
    await populate(store);
    await store.close();
    const p = join(store.path, 'project.json');
    const doc = JSON.parse(await readFile(p, 'utf8'));
    mutate(doc);
    await writeFile(p, JSON.stringify(doc));
    return store.path;
  }

  it.each([
    ['../x.dm4'],
    ['/etc/passwd'],
    ['raw/../../x'],
  ])('refuses a dataset raw path %j', async (bad) => {
    const path = await bundleWith((d) => {
      (d.datasets as { raw: unknown }[])[0]!.raw = { path: bad };
    });
    await expect(ProjectStore.open(path)).rejects.toMatchObject({ code: 'forbidden', message: expect.stringContaining('datasets[0].raw.path') });
  });

  it('refuses a raw path through a symlink that escapes the bundle', async () => {
    const path = await bundleWith(() => undefined);
    const outside = join(dir, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'secret.dm4'), 'secret');
    await symlink(join(outside, 'secret.dm4'), join(path, 'raw', 'evil.dm4'));
    const p = join(path, 'project.json');
    const doc = JSON.parse(await readFile(p, 'utf8'));
    doc.datasets[0].raw = { path: 'raw/evil.dm4' };
    await writeFile(p, JSON.stringify(doc));
    await expect(ProjectStore.open(path)).rejects.toMatchObject({ code: 'forbidden', message: expect.stringMatching(/raw\/evil\.dm4.*outside the bundle/) });
  });

  it('refuses a project.json that is a symlink out of the bundle', async () => {
    const b = join(dir, 'Sym.interphase');
    await mkdir(b);
    await writeFile(join(dir, 'elsewhere.json'), '{}');
    await symlink(join(dir, 'elsewhere.json'), join(b, 'project.json'));
    await expect(ProjectStore.open(b)).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('refuses a file made by a newer Interphase', async () => {
    const path = await bundleWith((d) => {
      d.schemaVersion = PROJECT_SCHEMA_VERSION + 1;
    });
    await expect(ProjectStore.open(path)).rejects.toThrow(/made by a newer Interphase/);
  });

  it('reports invalid JSON and invalid fields with the file name', async () => {
    const path = await bundleWith((d) => {
      (d.cells as Record<string, unknown>[])[0]!.rev = 0;
    });
    await expect(ProjectStore.open(path)).rejects.toThrow(/^project\.json: cells\[0\]\.rev: /);
    await writeFile(join(path, 'project.json'), '{"schemaVersion": 1, "cells": [');
    await expect(ProjectStore.open(path)).rejects.toMatchObject({ code: 'bad-request', message: expect.stringMatching(/^project\.json: not valid JSON/) });
  });

  it('reports a missing bundle or a directory without project.json as not-found', async () => {
    await expect(ProjectStore.open(join(dir, 'nope.interphase'))).rejects.toMatchObject({ code: 'not-found' });
    await mkdir(join(dir, 'bare.interphase'));
    await expect(ProjectStore.open(join(dir, 'bare.interphase'))).rejects.toMatchObject({ code: 'not-found' });
  });

  it('recreates missing standard directories (a bundle unpacked without empty dirs)', async () => {
    const path = await bundleWith(() => undefined);
    const { rm } = await import('node:fs/promises');
    await rm(join(path, 'derived'), { recursive: true });
    const store = await ProjectStore.open(path);
    expect((await readdir(store.path)).sort()).toContain('derived');
  });
});
