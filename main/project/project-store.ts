/**
 * One open project bundle (DESIGN.md "The project on disk"; format in docs/project-format.md).
 *
 * Invariants:
 * - Every mutation is validated, appended to journal/ops.jsonl (fsync'ed) and only then applied to
 *   the in-memory document ("journal first"), so the journal is never behind what a caller saw.
 * - Mutations and saves run through one promise queue: journal lines appear in the order changes
 *   were applied, and two writes of project.json never interleave.
 * - project.json is only ever replaced by writeFileAtomic: after a kill at any instant it holds
 *   the previous or the new document, never a torn one.
 * - Every object carries `rev` (1 on creation, +1 on each update).
 * - Removal refuses with 'conflict' while anything still references the object (a cell with
 *   samples or datasets, a sample with lamellae or datasets, a lamella with datasets, a dataset
 *   used by an analysis). Cascading deletes of research records are too easy to do by accident;
 *   the caller removes children first, which the journal then records one by one.
 */
import { randomUUID } from 'node:crypto';
import { cp, lstat, mkdir, readFile, realpath, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import * as v from 'valibot';
import { ApiError, type CellInput, CellInputSchema, type LamellaInput, LamellaInputSchema, type SampleInput, SampleInputSchema } from '../api/contract.js';
import type { Column, ColumnMapping, Dataset, DatasetEntry, DatasetSource } from '../api/dataset.js';
import type {
  AnalysisRecord,
  Cell,
  DatasetRecord,
  FigureRecord,
  Lamella,
  OwnerRef,
  ProjectDocument,
  ProjectSnapshot,
  Sample,
} from '../api/project-types.js';
import { PROJECT_SCHEMA_VERSION } from '../api/project-types.js';
import { fsyncDirectory, isTempFileName, TEMP_PREFIX, TEMP_SUFFIX, writeFileAtomic } from './atomic-write.js';
import {
  BUNDLE_EXTENSION,
  bundleDirName,
  checkRelativePath,
  DERIVED_DIR,
  ensureBundleDirs,
  FIGURES_DIR,
  JOURNAL_FILE,
  nameFromBundlePath,
  PROJECT_FILE,
  RAW_DIR,
  removeStaleTempFiles,
  safeBundlePath,
} from './bundle-layout.js';
import { Journal, type JournalEntry, type JournalInput, replayJournal } from './journal.js';
import { importRaw, importRawSet, type ImportRawResult, resolveRaw, type ResolveRawOptions, type RawRef } from './raw-store.js';
import {
  AnalysisRecordSchema,
  CellSchema,
  DatasetRecordSchema,
  FigureRecordSchema,
  LamellaSchema,
  loadProjectDocument,
  SampleSchema,
  validateWith,
} from './schema.js';

export type CellData = v.InferOutput<typeof CellInputSchema>;
export type SampleData = v.InferOutput<typeof SampleInputSchema>;
export type LamellaData = v.InferOutput<typeof LamellaInputSchema>;

// Inputs are (re-)parsed with the contract's schemas: transports already did so (idempotent), and
// direct callers (CLI, tests) get the same defaults and the same 'bad-request' errors.
const CellPatchSchema = v.partial(CellInputSchema);
const SamplePatchSchema = v.partial(SampleInputSchema);
const LamellaPatchSchema = v.partial(LamellaInputSchema);

/** A dataset to record: what the reader said about one entry of a file, and where its bytes are. */
export interface NewDataset {
  owner?: OwnerRef | null;
  raw: RawRef;
  entry: DatasetEntry;
  source: DatasetSource;
  /** ISO time; default now. */
  imported?: string;
}

/** An analysis result to record; pass `id` when a derived file was already written as derived/<id>.h5. */
export type NewAnalysis = Omit<AnalysisRecord, 'id' | 'rev'> & { id?: string };

export interface ProjectStoreOptions {
  /** Written to project.json `appVersion` and derived files. */
  appVersion?: string;
  /** Raw files strictly larger than this are linked instead of copied (default: always copy). */
  linkThresholdBytes?: number;
  /** When set, every mutation schedules an autosave after this many ms of quiet. */
  autosaveMs?: number;
}

/** Largest project.json we agree to read: a hostile file must not make us allocate without bound. */
const MAX_PROJECT_JSON_BYTES = 256 * 1024 * 1024;
const DEFAULT_APP_VERSION = '0.0.0-dev';

/**
 * A short random url-safe id: the first 72 bits of a v4 UUID in base64url (12 characters, ~66
 * random bits after the UUID's fixed version/variant bits): unique within any project while
 * short enough to read in a file name (derived/<id>.h5) or a journal line.
 */
export function newId(): string {
  return Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64url').slice(0, 12);
}

/** Exactly what JSON persistence keeps (drops undefined keys), so memory and disk never differ. */
function asJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function nowIso(): string {
  return new Date().toISOString();
}

type Collection = 'cells' | 'samples' | 'lamellae' | 'datasets' | 'analyses' | 'figures';
const OBJECT_TYPE = {
  cells: 'cell',
  samples: 'sample',
  lamellae: 'lamella',
  datasets: 'dataset',
  analyses: 'analysis',
  figures: 'figure',
} as const;

export class ProjectStore {
  private bundle: string;
  private doc: ProjectDocument;
  private journal: Journal;
  private readonly opts: ProjectStoreOptions;
  private tail: Promise<void> = Promise.resolve();
  private changeCounter = 0;
  private savedCounter = 0;
  private lastSaved: string | null;
  private autosaveTimer: NodeJS.Timeout | null = null;
  private closed = false;
  /** False while a crashed session's unsaved journal entries await recover() or are to be discarded. */
  private pendingSettled: boolean;
  private readonly changeListeners = new Set<(snapshot: ProjectSnapshot) => void>();
  private readonly errorListeners = new Set<(error: ApiError) => void>();
  /** Schema version the file had on disk when it was older than this build, else null. */
  readonly migratedFrom: number | null;

  private constructor(
    bundle: string,
    doc: ProjectDocument,
    journal: Journal,
    opts: ProjectStoreOptions,
    lastSaved: string | null,
    migratedFrom: number | null,
  ) {
    this.bundle = bundle;
    this.doc = doc;
    this.journal = journal;
    this.opts = opts;
    this.lastSaved = lastSaved;
    this.migratedFrom = migratedFrom;
    this.pendingSettled = journal.pendingAtOpen.length === 0;
    // A migrated document differs from the file; the next save writes the current schema.
    if (migratedFrom !== null) this.changeCounter = 1;
  }

  // -------------------------------------------------------------------------------------------
  // Lifecycle

  /**
   * Create `<dir>/<name>.interphase/`. Refuses ('conflict') when anything exists at that path.
   * The bundle is assembled under a temp name and renamed into place, so a crash never leaves a
   * half-made bundle under the real name.
   */
  static async create(dir: string, name: string, opts: ProjectStoreOptions = {}): Promise<ProjectStore> {
    const displayName = name.endsWith(BUNDLE_EXTENSION) ? name.slice(0, -BUNDLE_EXTENSION.length).trim() : name.trim();
    if (displayName === '') throw new ApiError('bad-request', 'project name is empty');
    const parent = resolve(dir);
    await mkdir(parent, { recursive: true }).catch((err: Error) => {
      throw new ApiError('io-error', `cannot create ${parent}: ${err.message}`, { path: parent });
    });
    const target = join(parent, bundleDirName(displayName));
    await refuseExisting(target);
    const temp = join(parent, `${TEMP_PREFIX}${basename(target)}.${newId()}${TEMP_SUFFIX}`);
    const created = nowIso();
    const doc: ProjectDocument = {
      schemaVersion: PROJECT_SCHEMA_VERSION,
      id: newId(),
      name: displayName,
      created,
      modified: created,
      appVersion: opts.appVersion ?? DEFAULT_APP_VERSION,
      cells: [],
      samples: [],
      lamellae: [],
      datasets: [],
      analyses: [],
      figures: [],
    };
    try {
      await mkdir(temp);
      await ensureBundleDirs(temp);
      const journal = await Journal.open(join(temp, JOURNAL_FILE));
      await journal.append({ op: 'create', objectType: 'project', id: doc.id, after: { name: doc.name, created, appVersion: doc.appVersion } });
      await writeFileAtomic(join(temp, PROJECT_FILE), serialise(doc));
      await journal.append({ op: 'save', objectType: 'project', id: doc.id });
      await moveIntoPlace(temp, target);
    } catch (err) {
      await rm(temp, { recursive: true, force: true }).catch(() => undefined);
      throw toApiError(err, `cannot create project at ${target}`);
    }
    const real = await realpath(target);
    const journal = await Journal.open(join(real, JOURNAL_FILE));
    return new ProjectStore(real, doc, journal, opts, created, null);
  }

  /**
   * Open an existing bundle (the directory, or its project.json). Validates and migrates
   * project.json, refuses records naming paths outside the bundle ('forbidden'), creates missing
   * standard sub-directories, removes stale temp files, and truncates a torn journal tail.
   * Unsaved changes of a crashed session stay in the journal: see `unsavedChanges()`/`recover()`.
   */
  static async open(bundlePath: string, opts: ProjectStoreOptions = {}): Promise<ProjectStore> {
    let path = resolve(bundlePath);
    if (basename(path) === PROJECT_FILE) path = dirname(path);
    let st;
    try {
      st = await stat(path);
    } catch {
      throw new ApiError('not-found', `no project at ${path}`, { path });
    }
    if (!st.isDirectory()) throw new ApiError('bad-request', `${path} is not a project bundle (not a directory)`, { path });
    const bundle = await realpath(path);
    const projectFile = await safeBundlePath(bundle, PROJECT_FILE);
    let fileStat;
    try {
      fileStat = await lstat(projectFile);
    } catch {
      throw new ApiError('not-found', `${path} is not a project bundle (no ${PROJECT_FILE})`, { path });
    }
    if (!fileStat.isFile()) throw new ApiError('forbidden', `${PROJECT_FILE} in ${path} is not a regular file`, { path });
    if (fileStat.size > MAX_PROJECT_JSON_BYTES) {
      throw new ApiError('bad-request', `${PROJECT_FILE}: ${fileStat.size} bytes exceeds the ${MAX_PROJECT_JSON_BYTES}-byte limit`, { path });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(projectFile, 'utf8'));
    } catch (err) {
      if (err instanceof SyntaxError) throw new ApiError('bad-request', `${PROJECT_FILE}: not valid JSON (${err.message})`, { file: PROJECT_FILE, path });
      throw toApiError(err, `cannot read ${projectFile}`);
    }
    const { document, migratedFrom } = loadProjectDocument(parsed, PROJECT_FILE);
    await checkPathsOnDisk(bundle, document);
    try {
      await ensureBundleDirs(bundle);
      await removeStaleTempFiles(bundle);
    } catch (err) {
      throw toApiError(err, `cannot prepare ${bundle}`);
    }
    const journal = await Journal.open(await safeBundlePath(bundle, JOURNAL_FILE));
    return new ProjectStore(bundle, document, journal, opts, fileStat.mtime.toISOString(), migratedFrom);
  }

  /** The bundle directory (symlinks resolved). */
  get path(): string {
    return this.bundle;
  }

  get dirty(): boolean {
    return this.changeCounter !== this.savedCounter;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The live document. Treat as read-only; use snapshot() for a copy to hand out. */
  get document(): Readonly<ProjectDocument> {
    return this.doc;
  }

  snapshot(): ProjectSnapshot {
    return {
      path: this.bundle,
      document: structuredClone(this.doc),
      dirty: this.dirty,
      lastSaved: this.lastSaved,
      recoverableChanges: this.pendingSettled ? 0 : this.journal.pendingAtOpen.length,
    };
  }

  /** Called after every applied mutation and save. Returns the unsubscribe function. */
  onChange(listener: (snapshot: ProjectSnapshot) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Called when an autosave fails (explicit saves reject instead). */
  onError(listener: (error: ApiError) => void): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  /**
   * Journal entries after the last save marker found at open: changes a crashed session never
   * saved. Empty once recovered, or once this session changed or saved anything (they are then
   * journaled as discarded; the entries stay in the file as history).
   */
  unsavedChanges(): JournalEntry[] {
    return this.pendingSettled ? [] : structuredClone(this.journal.pendingAtOpen);
  }

  /**
   * Re-apply `unsavedChanges()` to the document (idempotent replay) and validate the result like a
   * freshly opened file. Leaves the project dirty; the next save makes it durable.
   */
  recover(): Promise<ProjectSnapshot> {
    return this.run(async () => {
      const pending = this.journal.pendingAtOpen;
      if (pending.length === 0 || this.pendingSettled) return this.snapshot();
      const replayed = replayJournal(this.doc, pending);
      const { document } = loadProjectDocument(replayed, JOURNAL_FILE);
      await checkPathsOnDisk(this.bundle, document);
      this.doc = document;
      this.pendingSettled = true;
      this.changeCounter++;
      this.emitChange();
      return this.snapshot();
    });
  }

  /**
   * A crashed session's unsaved entries that were neither recovered nor discarded are marked
   * discarded before this session journals anything, so a replay of the whole journal gives
   * exactly what was saved (journal.ts replayJournal).
   */
  private async settlePendingAtOpen(): Promise<void> {
    if (this.pendingSettled) return;
    await this.journal.append({ op: 'discard', objectType: 'project', id: this.doc.id });
    this.pendingSettled = true;
  }

  /** Write project.json atomically (serialised with mutations and other saves). */
  save(): Promise<ProjectSnapshot> {
    return this.run(() => this.doSave());
  }

  /**
   * Copy the whole bundle to `newBundlePath` (".interphase" appended when missing), write the
   * current document there (named after the new bundle) and continue in the copy. The old bundle
   * keeps its last saved state. Refuses ('conflict') when the target exists.
   */
  saveAs(newBundlePath: string): Promise<ProjectSnapshot> {
    return this.run(async () => {
      let target = resolve(newBundlePath);
      if (!target.endsWith(BUNDLE_EXTENSION)) target += BUNDLE_EXTENSION;
      const parent = dirname(target);
      await mkdir(parent, { recursive: true }).catch((err: Error) => {
        throw new ApiError('io-error', `cannot create ${parent}: ${err.message}`, { path: parent });
      });
      const realParent = await realpath(parent);
      if (realParent === this.bundle || realParent.startsWith(this.bundle + '/') || realParent.startsWith(this.bundle + '\\')) {
        throw new ApiError('bad-request', 'cannot save a project inside its own bundle', { path: target });
      }
      target = join(realParent, basename(target));
      await refuseExisting(target);
      const temp = join(realParent, `${TEMP_PREFIX}${basename(target)}.${newId()}${TEMP_SUFFIX}`);
      const next: ProjectDocument = { ...structuredClone(this.doc), name: nameFromBundlePath(target), modified: nowIso() };
      try {
        // Symlinks and temp leftovers are not copied: the copy must be self-contained and clean.
        await cp(this.bundle, temp, {
          recursive: true,
          errorOnExist: true,
          force: false,
          preserveTimestamps: true,
          filter: async (src) => {
            if (isTempFileName(basename(src))) return false;
            return !(await lstat(src)).isSymbolicLink();
          },
        });
        await ensureBundleDirs(temp);
        const journal = await Journal.open(join(temp, JOURNAL_FILE));
        await journal.append({
          op: 'update',
          objectType: 'project',
          id: next.id,
          before: { name: this.doc.name },
          after: { name: next.name, modified: next.modified },
        });
        await writeFileAtomic(join(temp, PROJECT_FILE), serialise(next));
        await journal.append({ op: 'save', objectType: 'project', id: next.id });
        await moveIntoPlace(temp, target);
      } catch (err) {
        await rm(temp, { recursive: true, force: true }).catch(() => undefined);
        throw toApiError(err, `cannot save project as ${target}`);
      }
      this.bundle = await realpath(target);
      this.journal = await Journal.open(join(this.bundle, JOURNAL_FILE));
      this.doc = next;
      this.savedCounter = this.changeCounter;
      this.lastSaved = nowIso();
      this.emitChange();
      return this.snapshot();
    });
  }

  /** Debounced save: (re)starts a timer; when it fires, the project is saved if dirty. */
  scheduleAutosave(ms: number): void {
    if (this.closed) return;
    if (this.autosaveTimer) clearTimeout(this.autosaveTimer);
    this.autosaveTimer = setTimeout(() => {
      this.autosaveTimer = null;
      this.autosave();
    }, ms);
    // The app's shutdown path calls flush(); a pending timer alone must not keep Node alive.
    this.autosaveTimer.unref();
  }

  /** Run a pending autosave now and wait until every queued mutation and save has finished. */
  async flush(): Promise<void> {
    if (this.autosaveTimer) {
      clearTimeout(this.autosaveTimer);
      this.autosaveTimer = null;
      this.autosave();
    }
    await this.tail;
  }

  /**
   * Close the project. By default unsaved changes are saved first (autosave model). With
   * `{ discard: true }` they are dropped and a `discard` marker is journaled so they are not
   * offered for recovery later. Later calls on this store fail with 'no-project'.
   */
  async close(opts: { discard?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    if (this.autosaveTimer) {
      clearTimeout(this.autosaveTimer);
      this.autosaveTimer = null;
    }
    await this.run(async () => {
      if (this.dirty) {
        if (opts.discard) await this.journal.append({ op: 'discard', objectType: 'project', id: this.doc.id });
        else await this.doSave();
      }
      this.closed = true;
    });
    this.changeListeners.clear();
    this.errorListeners.clear();
  }

  // -------------------------------------------------------------------------------------------
  // Cells, samples, lamellae

  addCell(raw: CellInput): Promise<Cell> {
    return this.run(async () => {
      const input = validateWith(CellInputSchema, raw, 'cell');
      const cell = validateWith(
        CellSchema,
        asJson({ ...input, id: this.freshId(), rev: 1, created: nowIso() }),
        'cell',
      ) as Cell;
      await this.commit('create', 'cells', cell.id, undefined, cell);
      return structuredClone(cell);
    });
  }

  updateCell(id: string, rawPatch: Partial<CellInput>): Promise<Cell> {
    return this.run(async () => {
      const patch = validateWith(CellPatchSchema, rawPatch, 'cell');
      const before = this.find('cells', id);
      const after = validateWith(CellSchema, applyPatch(before, patch, ['name', 'chemistry', 'layers', 'notes']), 'cell') as Cell;
      await this.commit('update', 'cells', id, before, after);
      return structuredClone(after);
    });
  }

  removeCell(id: string): Promise<void> {
    return this.run(async () => {
      const before = this.find('cells', id);
      this.refuseIfReferenced('cell', id, [
        ...this.doc.samples.filter((s) => s.cellId === id).map((s) => `sample ${s.id}`),
        ...this.datasetsOwnedBy('cell', id),
      ]);
      await this.commit('remove', 'cells', id, before, undefined);
    });
  }

  addSample(raw: SampleInput): Promise<Sample> {
    return this.run(async () => {
      const input = validateWith(SampleInputSchema, raw, 'sample');
      this.find('cells', input.cellId);
      const sample = validateWith(SampleSchema, asJson({ ...input, id: this.freshId(), rev: 1 }), 'sample') as Sample;
      await this.commit('create', 'samples', sample.id, undefined, sample);
      return structuredClone(sample);
    });
  }

  updateSample(id: string, rawPatch: Partial<SampleInput>): Promise<Sample> {
    return this.run(async () => {
      const patch = validateWith(SamplePatchSchema, rawPatch, 'sample');
      const before = this.find('samples', id);
      if (patch.cellId !== undefined) this.find('cells', patch.cellId);
      const after = validateWith(SampleSchema, applyPatch(before, patch, ['cellId', 'name', 'state', 'notes']), 'sample') as Sample;
      await this.commit('update', 'samples', id, before, after);
      return structuredClone(after);
    });
  }

  removeSample(id: string): Promise<void> {
    return this.run(async () => {
      const before = this.find('samples', id);
      this.refuseIfReferenced('sample', id, [
        ...this.doc.lamellae.filter((l) => l.sampleId === id).map((l) => `lamella ${l.id}`),
        ...this.datasetsOwnedBy('sample', id),
      ]);
      await this.commit('remove', 'samples', id, before, undefined);
    });
  }

  /** Lamella notes are markdown stored verbatim (sanitised only when rendered). */
  addLamella(raw: LamellaInput): Promise<Lamella> {
    return this.run(async () => {
      const input = validateWith(LamellaInputSchema, raw, 'lamella');
      this.find('samples', input.sampleId);
      const lamella = validateWith(LamellaSchema, asJson({ ...input, id: this.freshId(), rev: 1 }), 'lamella') as Lamella;
      await this.commit('create', 'lamellae', lamella.id, undefined, lamella);
      return structuredClone(lamella);
    });
  }

  /** `patch.fib`, when given, replaces the whole cryo-FIB record. */
  updateLamella(id: string, rawPatch: Partial<LamellaInput>): Promise<Lamella> {
    return this.run(async () => {
      const patch = validateWith(LamellaPatchSchema, rawPatch, 'lamella');
      const before = this.find('lamellae', id);
      if (patch.sampleId !== undefined) this.find('samples', patch.sampleId);
      const after = validateWith(LamellaSchema, applyPatch(before, patch, ['sampleId', 'name', 'fib', 'notes']), 'lamella') as Lamella;
      await this.commit('update', 'lamellae', id, before, after);
      return structuredClone(after);
    });
  }

  removeLamella(id: string): Promise<void> {
    return this.run(async () => {
      const before = this.find('lamellae', id);
      this.refuseIfReferenced('lamella', id, this.datasetsOwnedBy('lamella', id));
      await this.commit('remove', 'lamellae', id, before, undefined);
    });
  }

  getCell(id: string): Cell {
    return structuredClone(this.find('cells', id));
  }
  getSample(id: string): Sample {
    return structuredClone(this.find('samples', id));
  }
  getLamella(id: string): Lamella {
    return structuredClone(this.find('lamellae', id));
  }

  // -------------------------------------------------------------------------------------------
  // Raw files and datasets

  /** Copy (or link, above the threshold) an instrument file into raw/. Does not change the document. */
  async importRaw(sourcePath: string): Promise<ImportRawResult> {
    this.ensureOpen();
    return importRaw(this.bundle, sourcePath, { linkThresholdBytes: this.opts.linkThresholdBytes });
  }

  /** Import a file together with the sibling files its format needs (raw-store.ts importRawSet). */
  async importRawSet(primary: string, companions: string[]): Promise<ImportRawResult> {
    this.ensureOpen();
    return importRawSet(this.bundle, primary, companions);
  }

  /** Absolute path of a dataset's raw bytes, checked (see raw-store.ts resolveRaw). */
  async resolveDatasetRaw(datasetId: string, opts: ResolveRawOptions = {}): Promise<string> {
    const rec = this.find('datasets', datasetId);
    return resolveRaw(this.bundle, rec.raw, { expectedSha256: rec.dataset.source.sha256, ...opts });
  }

  addDataset(input: NewDataset): Promise<DatasetRecord> {
    return this.run(async () => {
      const owner = input.owner ?? null;
      if (owner) this.requireOwner(owner);
      await this.checkRawRef(input.raw);
      const id = this.freshId();
      const dataset: Dataset = { ...input.entry, id, source: input.source };
      const record = validateWith(
        DatasetRecordSchema,
        asJson({ id, rev: 1, owner, raw: input.raw, dataset, imported: input.imported ?? nowIso() }),
        'dataset',
      ) as DatasetRecord;
      await this.commit('create', 'datasets', id, undefined, record);
      return structuredClone(record);
    });
  }

  /**
   * Record a column mapping (or remove it with null) together with the columns it produces, so
   * plots and analyses see the mapped names; bumps rev.
   */
  setDatasetMapping(id: string, mapping: ColumnMapping | null, columns: Column[], warnings: string[]): Promise<DatasetRecord> {
    return this.run(async () => {
      const before = this.find('datasets', id);
      const after: DatasetRecord = { ...structuredClone(before), rev: before.rev + 1, dataset: { ...structuredClone(before.dataset), columns, warnings } };
      if (mapping) after.columnMapping = mapping;
      else delete after.columnMapping;
      const checked = validateWith(DatasetRecordSchema, asJson(after), 'dataset') as DatasetRecord;
      await this.commit('update', 'datasets', id, before, checked);
      return structuredClone(checked);
    });
  }

  /** Attach a dataset to a cell, sample or lamella, or detach it (owner null). */
  attachDataset(id: string, owner: OwnerRef | null): Promise<DatasetRecord> {
    return this.run(async () => {
      const before = this.find('datasets', id);
      if (owner) this.requireOwner(owner);
      const after: DatasetRecord = { ...structuredClone(before), owner: owner ? { kind: owner.kind, id: owner.id } : null, rev: before.rev + 1 };
      await this.commit('update', 'datasets', id, before, after);
      return structuredClone(after);
    });
  }

  /** Removes the record; the raw file stays (raw/ is never modified and may be shared by dedupe). */
  removeDataset(id: string): Promise<void> {
    return this.run(async () => {
      const before = this.find('datasets', id);
      this.refuseIfReferenced(
        'dataset',
        id,
        this.doc.analyses.filter((a) => a.datasetIds.includes(id)).map((a) => `analysis ${a.id}`),
      );
      await this.commit('remove', 'datasets', id, before, undefined);
    });
  }

  getDataset(id: string): DatasetRecord {
    return structuredClone(this.find('datasets', id));
  }

  // -------------------------------------------------------------------------------------------
  // Analyses and figures

  /** Where an analysis's HDF5 output belongs: write it there (derived-hdf5.ts), then addAnalysis({id, derivedPath: relative}). */
  async derivedPathFor(analysisRecordId: string): Promise<{ relative: string; absolute: string }> {
    this.ensureOpen();
    const relative = `${DERIVED_DIR}/${analysisRecordId}.h5`;
    return { relative, absolute: await safeBundlePath(this.bundle, relative, DERIVED_DIR) };
  }

  addAnalysis(input: NewAnalysis): Promise<AnalysisRecord> {
    return this.run(async () => {
      for (const dsId of input.datasetIds) this.find('datasets', dsId);
      if (input.derivedPath !== undefined) await safeBundlePath(this.bundle, input.derivedPath, DERIVED_DIR);
      let id = input.id;
      if (id === undefined) id = this.freshId();
      else if (this.doc.analyses.some((a) => a.id === id)) throw new ApiError('conflict', `analysis ${id} already exists`, { id });
      const record = validateWith(AnalysisRecordSchema, asJson({ ...input, id, rev: 1 }), 'analysis') as AnalysisRecord;
      await this.commit('create', 'analyses', id, undefined, record);
      return structuredClone(record);
    });
  }

  /** Record (or replace) the HDF5 output of an analysis written after addAnalysis; bumps rev. */
  setAnalysisDerivedPath(id: string, derivedPath: string): Promise<AnalysisRecord> {
    return this.run(async () => {
      const before = this.find('analyses', id);
      await safeBundlePath(this.bundle, derivedPath, DERIVED_DIR);
      const after: AnalysisRecord = { ...structuredClone(before), derivedPath, rev: before.rev + 1 };
      await this.commit('update', 'analyses', id, before, after);
      return structuredClone(after);
    });
  }

  /** Removes the record; its derived file is kept so the journal's `before` stays restorable. */
  removeAnalysis(id: string): Promise<void> {
    return this.run(async () => {
      const before = this.find('analyses', id);
      await this.commit('remove', 'analyses', id, before, undefined);
    });
  }

  getAnalysis(id: string): AnalysisRecord {
    return structuredClone(this.find('analyses', id));
  }

  /** Store a figure spec (plain JSON data, never code) as figures/<id>.json and record it. */
  addFigure(title: string, spec: unknown): Promise<FigureRecord> {
    return this.run(async () => {
      const id = this.freshId();
      const specPath = `${FIGURES_DIR}/${id}.json`;
      const record = validateWith(FigureRecordSchema, { id, rev: 1, title, specPath }, 'figure') as FigureRecord;
      const abs = await safeBundlePath(this.bundle, specPath, FIGURES_DIR);
      await writeFileAtomic(abs, `${JSON.stringify(spec ?? null, null, 2)}\n`).catch((err: unknown) => {
        throw toApiError(err, `cannot write ${specPath}`);
      });
      await this.commit('create', 'figures', id, undefined, record);
      return structuredClone(record);
    });
  }

  /** Read a figure spec back as parsed JSON. */
  async readFigureSpec(id: string): Promise<unknown> {
    const rec = this.find('figures', id);
    const abs = await safeBundlePath(this.bundle, rec.specPath, FIGURES_DIR);
    try {
      return JSON.parse(await readFile(abs, 'utf8'));
    } catch (err) {
      throw toApiError(err, `cannot read ${rec.specPath}`);
    }
  }

  removeFigure(id: string): Promise<void> {
    return this.run(async () => {
      const before = this.find('figures', id);
      await this.commit('remove', 'figures', id, before, undefined);
    });
  }

  // -------------------------------------------------------------------------------------------
  // Internals

  /** Serialise `fn` after everything queued before it; a failure does not block later work. */
  private run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(() => {
      this.ensureOpen();
      return fn();
    });
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  private ensureOpen(): void {
    if (this.closed) throw new ApiError('no-project', 'the project is closed');
  }

  private async doSave(): Promise<ProjectSnapshot> {
    const counter = this.changeCounter;
    try {
      await this.settlePendingAtOpen();
      await writeFileAtomic(join(this.bundle, PROJECT_FILE), serialise(this.doc));
      await this.journal.append({ op: 'save', objectType: 'project', id: this.doc.id });
    } catch (err) {
      throw toApiError(err, `cannot save ${join(this.bundle, PROJECT_FILE)}`);
    }
    this.savedCounter = counter;
    this.lastSaved = nowIso();
    this.emitChange();
    return this.snapshot();
  }

  private autosave(): void {
    if (this.closed) return;
    this.run(async () => {
      if (this.dirty) await this.doSave();
    }).catch((err: unknown) => {
      const apiErr = toApiError(err, 'autosave failed');
      for (const l of this.errorListeners) l(apiErr);
    });
  }

  /** Journal first, then apply, then mark dirty (and schedule an autosave if configured). */
  private async commit<C extends Collection>(
    op: 'create' | 'update' | 'remove',
    collection: C,
    id: string,
    before: ProjectDocument[C][number] | undefined,
    after: ProjectDocument[C][number] | undefined,
  ): Promise<void> {
    const entry: JournalInput = { op, objectType: OBJECT_TYPE[collection], id };
    if (before !== undefined) entry.before = before;
    if (after !== undefined) entry.after = after;
    try {
      await this.settlePendingAtOpen();
      await this.journal.append(entry);
    } catch (err) {
      throw toApiError(err, 'cannot write the journal');
    }
    const list = this.doc[collection] as { id: string }[];
    const at = list.findIndex((o) => o.id === id);
    if (op === 'remove') list.splice(at, 1);
    else if (op === 'update') list[at] = after as { id: string };
    else list.push(after as { id: string });
    this.doc.modified = nowIso();
    this.changeCounter++;
    this.emitChange();
    if (this.opts.autosaveMs !== undefined) this.scheduleAutosave(this.opts.autosaveMs);
  }

  private emitChange(): void {
    if (this.changeListeners.size === 0) return;
    const snap = this.snapshot();
    for (const l of this.changeListeners) l(snap);
  }

  private find<C extends Collection>(collection: C, id: string): ProjectDocument[C][number] {
    this.ensureOpen();
    const found = (this.doc[collection] as { id: string }[]).find((o) => o.id === id);
    if (!found) throw new ApiError('not-found', `no ${OBJECT_TYPE[collection]} with id ${id}`, { kind: OBJECT_TYPE[collection], id });
    return found as ProjectDocument[C][number];
  }

  private freshId(): string {
    for (;;) {
      const id = newId();
      const all = [this.doc.cells, this.doc.samples, this.doc.lamellae, this.doc.datasets, this.doc.analyses, this.doc.figures];
      if (!all.some((list) => (list as { id: string }[]).some((o) => o.id === id))) return id;
    }
  }

  private requireOwner(owner: OwnerRef): void {
    const collection = ({ cell: 'cells', sample: 'samples', lamella: 'lamellae' } as const)[owner.kind];
    if (!collection) throw new ApiError('bad-request', `invalid owner kind ${String(owner.kind)}`);
    this.find(collection, owner.id);
  }

  private datasetsOwnedBy(kind: OwnerRef['kind'], id: string): string[] {
    return this.doc.datasets.filter((d) => d.owner?.kind === kind && d.owner.id === id).map((d) => `dataset ${d.id}`);
  }

  private refuseIfReferenced(kind: string, id: string, referrers: string[]): void {
    if (referrers.length === 0) return;
    throw new ApiError('conflict', `cannot remove ${kind} ${id}: still referenced by ${referrers.join(', ')}; remove or re-attach those first`, {
      kind,
      id,
      referencedBy: referrers,
    });
  }

  private async checkRawRef(raw: RawRef): Promise<void> {
    if ('path' in raw) {
      checkRelativePath(raw.path, RAW_DIR);
      await safeBundlePath(this.bundle, raw.path, RAW_DIR);
    } else if (typeof raw.linkedPath !== 'string' || (!raw.linkedPath.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(raw.linkedPath))) {
      throw new ApiError('bad-request', 'a linked raw file needs an absolute path');
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

function serialise(doc: ProjectDocument): string {
  // Pretty-printed: the file is meant to be diffable and repairable by hand.
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/**
 * Apply a partial update: keys with a value replace, keys present with `undefined` clear an
 * optional field (required ones are kept). `rev` is bumped; `id` never changes.
 */
function applyPatch<T extends { id: string; rev: number }>(before: T, patch: object, required: string[]): T {
  const next: Record<string, unknown> = structuredClone(before) as Record<string, unknown>;
  for (const [key, value] of Object.entries(patch)) {
    if (key === 'id' || key === 'rev') continue;
    if (value === undefined) {
      if (!required.includes(key)) delete next[key];
    } else next[key] = value;
  }
  next.rev = before.rev + 1;
  return asJson(next) as T;
}

async function refuseExisting(target: string): Promise<void> {
  try {
    await lstat(target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw toApiError(err, `cannot inspect ${target}`);
  }
  throw new ApiError('conflict', `${target} already exists; refusing to overwrite it`, { path: target });
}

/** rename(2) a finished temp bundle into place; an existing target (even empty) is a conflict. */
async function moveIntoPlace(temp: string, target: string): Promise<void> {
  await refuseExisting(target);
  try {
    await rename(temp, target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTEMPTY') throw new ApiError('conflict', `${target} already exists`, { path: target });
    throw err;
  }
  await fsyncDirectory(dirname(target));
}

/** Symlink rules for every bundle-relative path a record names (lexical rules ran in schema.ts). */
async function checkPathsOnDisk(bundle: string, doc: ProjectDocument): Promise<void> {
  const check = async (field: string, rel: string, under: string): Promise<void> => {
    try {
      await safeBundlePath(bundle, rel, under);
    } catch (err) {
      if (err instanceof ApiError) throw new ApiError('forbidden', `${PROJECT_FILE}: ${field}: ${err.message}`, { file: PROJECT_FILE, field, path: rel });
      throw err;
    }
  };
  for (const [i, d] of doc.datasets.entries()) if ('path' in d.raw) await check(`datasets[${i}].raw.path`, d.raw.path, RAW_DIR);
  for (const [i, a] of doc.analyses.entries()) if (a.derivedPath !== undefined) await check(`analyses[${i}].derivedPath`, a.derivedPath, DERIVED_DIR);
  for (const [i, f] of doc.figures.entries()) await check(`figures[${i}].specPath`, f.specPath, FIGURES_DIR);
}

function toApiError(err: unknown, context: string): ApiError {
  if (err instanceof ApiError) return err;
  const e = err as NodeJS.ErrnoException;
  return new ApiError('io-error', `${context}: ${e?.message ?? String(err)}`, e?.code ? { code: e.code } : undefined);
}
