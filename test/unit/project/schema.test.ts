import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../main/api/contract.js';
import { PROJECT_SCHEMA_VERSION, type ProjectDocument } from '../../../main/api/project-types.js';
import { loadProjectDocument, migrate, MIGRATIONS, type MigrationStep } from '../../../main/project/schema.js';

function emptyDoc(over: Partial<ProjectDocument> = {}): ProjectDocument {
  return {
    schemaVersion: PROJECT_SCHEMA_VERSION,
    id: 'proj1',
    name: 'LNMO',
    created: '2025-01-01T00:00:00.000Z',
    modified: '2025-01-01T00:00:00.000Z',
    appVersion: '0.1.0',
    cells: [],
    samples: [],
    lamellae: [],
    datasets: [],
    analyses: [],
    figures: [],
    ...over,
  };
}

function errorOf(f: () => unknown): ApiError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error('expected an ApiError');
}

describe('migrate', () => {
  it('refuses a file made by a newer Interphase with a clear message', () => {
    const err = errorOf(() => migrate({ ...emptyDoc(), schemaVersion: PROJECT_SCHEMA_VERSION + 1 }));
    expect(err.code).toBe('bad-request');
    expect(err.message).toMatch(/project\.json was made by a newer Interphase/);
    expect(err.details).toMatchObject({ schemaVersion: PROJECT_SCHEMA_VERSION + 1, supported: PROJECT_SCHEMA_VERSION });
  });

  it('runs every step in order from an older version up to the target', () => {
    // A synthetic history: v1 -> v2 renames `lamellae` to `lamellas`... then v2 -> v3 renames it back
    // and adds a field, so the result proves both steps ran in sequence.
    const calls: number[] = [];
    const steps = new Map<number, MigrationStep>([
      [1, (d) => { calls.push(1); const { lamellae, ...rest } = d; return { ...rest, lamellas: lamellae }; }],
      [2, (d) => { calls.push(2); const { lamellas, ...rest } = d; return { ...rest, lamellae: lamellas, tags: ['v3'] }; }],
    ]);
    const input = { ...emptyDoc(), schemaVersion: 1, lamellae: [{ id: 'x' }] };
    const out = migrate(input, { steps, target: 3 });
    expect(calls).toEqual([1, 2]);
    expect(out).toMatchObject({ from: 1, migrated: true });
    expect(out.doc).toMatchObject({ schemaVersion: 3, lamellae: [{ id: 'x' }], tags: ['v3'] });
    expect(input.lamellae).toEqual([{ id: 'x' }]); // the caller's object is not modified
    expect('lamellas' in input).toBe(false);
  });

  it('reports an older version without a registered step', () => {
    const err = errorOf(() => migrate({ ...emptyDoc(), schemaVersion: 0 }));
    expect(err.message).toMatch(/no migration from schema version 0 to 1/);
  });

  it('passes the current version through untouched (the shipped registry starts at v1)', () => {
    expect(MIGRATIONS.size).toBe(0);
    const doc = emptyDoc();
    expect(migrate(doc)).toEqual({ doc, from: PROJECT_SCHEMA_VERSION, migrated: false });
  });

  it.each([[{}], [{ schemaVersion: '1' }], [{ schemaVersion: 1.5 }], [[]], [null]])('refuses a missing/invalid schemaVersion: %j', (raw) => {
    expect(errorOf(() => migrate(raw)).message).toMatch(/project\.json/);
  });
});

describe('loadProjectDocument', () => {
  it('accepts a valid document', () => {
    const doc = emptyDoc({
      cells: [{ id: 'c1', rev: 1, name: 'Cell', chemistry: 'LNMO/LiPON/Li', layers: [], notes: '', created: 'now' }],
    });
    expect(loadProjectDocument(doc).document).toEqual(doc);
  });

  it('names the file and the failing field', () => {
    const bad = emptyDoc({ cells: [{ id: 'c1', rev: 1, name: 'Cell', chemistry: '', layers: [], notes: '', created: 'x' }] });
    (bad.cells[0] as unknown as Record<string, unknown>).name = 42;
    const err = errorOf(() => loadProjectDocument(bad));
    expect(err.message).toMatch(/^project\.json: cells\[0\]\.name: /);
    expect(err.details).toMatchObject({ file: 'project.json', issues: [{ path: 'cells[0].name' }] });
  });

  it('refuses dangling references and duplicate ids', () => {
    const dangling = emptyDoc({ samples: [{ id: 's1', rev: 1, cellId: 'nope', name: 'S', state: 'pristine', notes: '' }] });
    expect(errorOf(() => loadProjectDocument(dangling)).message).toMatch(/samples\[0\]\.cellId: no cell with id nope/);
    const cell = { id: 'c1', rev: 1, name: 'C', chemistry: '', layers: [], notes: '', created: 'x' };
    expect(errorOf(() => loadProjectDocument(emptyDoc({ cells: [cell, cell] }))).message).toMatch(/cells\[1\]\.id: duplicate id c1/);
  });

  it('refuses records naming paths outside the bundle', () => {
    const figure = (specPath: string) => emptyDoc({ figures: [{ id: 'f1', rev: 1, title: 'F', specPath }] });
    for (const p of ['../x.json', '/etc/passwd', 'figures/../../x', 'raw/x.json']) {
      const err = errorOf(() => loadProjectDocument(figure(p)));
      expect(err.code).toBe('forbidden');
      expect(err.message).toMatch(/figures\[0\]\.specPath/);
    }
  });

  it('refuses a file from a newer version before looking at its fields', () => {
    const err = errorOf(() => loadProjectDocument({ schemaVersion: 99, whatever: true }));
    expect(err.message).toMatch(/newer Interphase/);
  });
});
