/**
 * The open project, as the app service sees it: one ProjectStore at a time, the recent list,
 * autosave, and the flows that combine the store with readers and workers (import, read, analyse).
 */
import { basename } from 'node:path';
import * as v from 'valibot';
import type { AnalysisArraysMeta, MappingInfo, Binary, ColumnsMeta, CycleCurvesMeta, DqdvCurvesMeta, FigureSpec, ImageMeta, ImageRegion, SliceMeta } from '../api/contract.js';
import { ApiError, FigureSpecSchema } from '../api/contract.js';
import type { Selection } from '../api/dataset.js';
import type { AnalysisRecord, DatasetRecord, FigureRecord, OwnerRef, ProjectSnapshot, RecentProject } from '../api/project-types.js';
import type { JobRegistry } from '../jobs/job-registry.js';
import type { WorkerPool } from '../jobs/worker-pool.js';
import { ProjectStore, newId } from '../project/project-store.js';
import { RecentProjects } from '../project/recent-projects.js';
import { readDerived, writeDerived, type DerivedDataGroup } from '../project/derived-hdf5.js';
import { readerById } from '../formats/registry.js';
import { APP_VERSION } from './app-version.js';
import type { AppPaths } from './paths.js';
import { findAnalysis } from './analysis-catalog.js';
import { cellOf, cellParameters } from './cell-parameters.js';
import { RememberedMappings } from './remembered-mappings.js';
import { applyMapping, guessMapping, headerSignature } from '../formats/generic-csv/mapping.js';
import type { ColumnMapping } from '../api/dataset.js';

export interface SessionOptions {
  paths: AppPaths;
  pool: WorkerPool;
  jobs: JobRegistry;
  autosaveMs: number;
  onChange(snapshot: ProjectSnapshot | null): void;
}

/** Files above this are linked (path hint + sha256 + size) rather than copied into raw/. */
export const LINK_THRESHOLD_BYTES = 2 * 1024 ** 3;

export class ProjectSession {
  private store: ProjectStore | null = null;
  private readonly recentList: RecentProjects;
  private readonly mappings: RememberedMappings;

  constructor(private readonly o: SessionOptions) {
    this.recentList = new RecentProjects(o.paths.config);
    this.mappings = new RememberedMappings(o.paths.config);
  }

  /** The table's columns as its reader names them, a suggested mapping, and the current one. */
  async mappingInfo(id: string): Promise<MappingInfo> {
    const rec = this.dataset(id);
    const fresh = await this.o.pool.run('describe', { path: await this.rawPath(rec), entry: rec.dataset.entry });
    if (!fresh.columns) throw new ApiError('bad-request', `${rec.dataset.source.fileName} is not a table`);
    const signature = headerSignature(fresh.columns);
    const remembered = await this.mappings.get(signature);
    return {
      columns: fresh.columns.map((c) => ({ label: c.sourceName ?? c.name, name: c.name, units: c.units })),
      suggested: remembered?.mapping ?? guessMapping(fresh.columns),
      current: rec.columnMapping ?? null,
      signature,
      rememberedSince: remembered?.saved ?? null,
    };
  }

  /** Apply (or clear, with null) a column mapping; optionally remember it for this header. */
  async setMapping(id: string, mapping: ColumnMapping | null, remember: boolean): Promise<DatasetRecord> {
    const rec = this.dataset(id);
    const fresh = await this.o.pool.run('describe', { path: await this.rawPath(rec), entry: rec.dataset.entry });
    if (!fresh.columns) throw new ApiError('bad-request', `${rec.dataset.source.fileName} is not a table`);
    let mapped = fresh;
    if (mapping) {
      try {
        mapped = applyMapping(fresh, mapping);
      } catch (e) {
        throw new ApiError('bad-request', (e as Error).message);
      }
      if (remember) await this.mappings.remember(headerSignature(fresh.columns), mapping);
    }
    return this.requireStore().setDatasetMapping(id, mapping, mapped.columns!, mapped.warnings);
  }

  snapshot(): ProjectSnapshot | null {
    return this.store ? this.store.snapshot() : null;
  }

  private requireStore(): ProjectStore {
    if (!this.store) throw new ApiError('no-project', 'no project is open');
    return this.store;
  }

  private unsubscribe: (() => void) | null = null;

  private async switchTo(store: ProjectStore): Promise<ProjectSnapshot> {
    if (this.store && this.store !== store) {
      this.unsubscribe?.();
      await this.store.close();
    }
    if (this.store !== store) {
      // Every mutation and every (auto)save of the store reaches the UI as a 'project' event.
      const offChange = store.onChange((snap) => this.o.onChange(snap));
      const offError = store.onError((e) => console.error(`Interphase: autosave of ${store.path} failed: ${e.message}`));
      this.unsubscribe = () => {
        offChange();
        offError();
      };
    }
    this.store = store;
    const snap = store.snapshot();
    await this.recentList.add({ path: snap.path, name: snap.document.name });
    this.o.onChange(snap);
    return snap;
  }

  async create(directory: string, name: string): Promise<ProjectSnapshot> {
    return this.switchTo(await ProjectStore.create(directory, name, this.storeOptions()));
  }

  async open(path: string): Promise<ProjectSnapshot> {
    if (this.store && this.store.snapshot().path === path) return this.store.snapshot();
    return this.switchTo(await ProjectStore.open(path, this.storeOptions()));
  }

  private storeOptions() {
    return { appVersion: APP_VERSION, linkThresholdBytes: LINK_THRESHOLD_BYTES, ...(this.o.autosaveMs > 0 ? { autosaveMs: this.o.autosaveMs } : {}) };
  }

  async save(): Promise<ProjectSnapshot> {
    const s = this.requireStore();
    await s.save();
    return s.snapshot();
  }

  async saveAs(path: string): Promise<ProjectSnapshot> {
    const s = this.requireStore();
    await s.saveAs(path);
    return this.switchTo(s);
  }

  async close(): Promise<void> {
    if (!this.store) return;
    this.unsubscribe?.();
    this.unsubscribe = null;
    await this.store.close();
    this.store = null;
    this.o.onChange(null);
  }

  async flush(): Promise<void> {
    if (this.store) await this.store.flush();
  }

  async recent(): Promise<RecentProject[]> {
    return this.recentList.list();
  }

  /** Apply a mutation (the store journals it, schedules the autosave and notifies the UI). */
  async mutate<T>(fn: (s: ProjectStore) => T | Promise<T>): Promise<T> {
    return fn(this.requireStore());
  }

  dataset(id: string): DatasetRecord {
    const rec = this.requireStore().snapshot().document.datasets.find((d) => d.id === id);
    if (!rec) throw new ApiError('not-found', `no dataset ${id} in this project`);
    return rec;
  }

  private async rawPath(rec: DatasetRecord): Promise<string> {
    return this.requireStore().resolveDatasetRaw(rec.id);
  }

  /**
   * Import one instrument file: hash + parse in a worker, copy verbatim into raw/ (or link when
   * huge), and add one dataset per real data object in the file.
   */
  async importFile(path: string, owner: OwnerRef | null): Promise<DatasetRecord[]> {
    const store = this.requireStore();
    return this.o.jobs.track(`Import ${basename(path)}`, async (job) => {
      const inspected = await this.o.pool.run('inspect', { path }, { signal: job.signal, onProgress: (f) => job.progress(0.5 * f) });
      if (inspected.entries.length === 0) {
        throw new ApiError('unsupported-format', `${inspected.file}: the ${inspected.readerName} reader found no data in this file`);
      }
      // Formats spread over several files (TIA .emi + .ser) are imported as a set.
      const companions = (await readerById(inspected.readerId)?.companions?.(path)) ?? [];
      const { raw, sha256 } = companions.length ? await store.importRawSet(path, companions) : await store.importRaw(path);
      if (sha256 !== inspected.sha256) {
        throw new ApiError('conflict', `${inspected.file} changed while it was being imported; import it again`);
      }
      job.progress(0.9);
      const reader = readerById(inspected.readerId);
      const name = basename(path);
      const records: DatasetRecord[] = [];
      for (const entry of inspected.entries) {
        // A header seen before (same labels, same order) gets the mapping the user gave it then.
        const remembered = entry.columns && inspected.readerId === 'generic-csv' ? await this.mappings.get(headerSignature(entry.columns)) : null;
        if (remembered) {
          try {
            const mapped = applyMapping(entry, remembered.mapping);
            entry.columns = mapped.columns;
            entry.warnings = [...mapped.warnings, `column mapping remembered from ${remembered.saved.slice(0, 10)} applied`];
          } catch {
            entry.warnings.push('a remembered column mapping for this header no longer fits; map the columns again');
          }
        }
        const added = await store.addDataset({
            owner,
            raw,
            entry,
            source: {
              sha256: inspected.sha256,
              fileName: name,
              size: inspected.size,
              readerId: inspected.readerId,
              readerVersion: reader?.version ?? 'unknown',
              entry: entry.entry,
            },
          });
        records.push(
          remembered && entry.warnings.some((w) => w.startsWith('column mapping remembered'))
            ? await store.setDatasetMapping(added.id, remembered.mapping, entry.columns!, entry.warnings)
            : added,
        );
      }
      return records;
    });
  }

  async readImage(id: string, frame: number, maxSize: number, region?: ImageRegion): Promise<Binary<ImageMeta>> {
    const rec = this.dataset(id);
    const path = await this.rawPath(rec);
    const r = await this.o.jobs.track(`Read ${rec.dataset.title || rec.dataset.source.fileName}`, (job) =>
      this.o.pool.run('readImage', { path, entry: rec.dataset.entry, frame, maxSize, region: region ?? null }, { signal: job.signal, onProgress: job.progress }),
    );
    return { meta: { datasetId: id, ...r.meta }, data: r.data };
  }

  async readSlice(id: string, selection: Selection): Promise<Binary<SliceMeta>> {
    const rec = this.dataset(id);
    const path = await this.rawPath(rec);
    const r = await this.o.pool.run('readSlice', { path, entry: rec.dataset.entry, selection });
    return { meta: { datasetId: id, dtype: 'float64', shape: r.shape }, data: r.data };
  }

  async readColumns(id: string, columns: string[]): Promise<Binary<ColumnsMeta>> {
    const rec = this.dataset(id);
    const path = await this.rawPath(rec);
    const r = await this.o.pool.run('readColumns', { path, entry: rec.dataset.entry, columns, mapping: rec.columnMapping ?? null });
    return { meta: { datasetId: id, ...r.meta }, data: r.data };
  }

  async spectrumSummary(id: string): Promise<Binary<{ datasetId: string; rows: number; cols: number; channels: number }>> {
    const rec = this.dataset(id);
    const path = await this.rawPath(rec);
    const r = await this.o.jobs.track(`Sum spectrum of ${rec.dataset.title || rec.dataset.source.fileName}`, (job) =>
      this.o.pool.run('spectrumSummary', { path, entry: rec.dataset.entry }, { signal: job.signal, onProgress: job.progress }),
    );
    return { meta: { datasetId: id, ...r.meta }, data: r.data };
  }

  async dqdvCurves(id: string, cycles: number[] | null, stepV: number, window: number): Promise<Binary<DqdvCurvesMeta>> {
    const rec = this.dataset(id);
    const path = await this.rawPath(rec);
    const r = await this.o.jobs.track(`dQ/dV of ${rec.dataset.source.fileName}`, (job) =>
      this.o.pool.run('dqdvCurves', { path, entry: rec.dataset.entry, cycles, stepV, window, mapping: rec.columnMapping ?? null }, { signal: job.signal, onProgress: job.progress }),
    );
    return { meta: { datasetId: id, ...r.meta }, data: r.data };
  }

  async cycleCurves(id: string, cycles: number[] | null, maxPointsPerSegment: number, window?: { xMin: number; xMax: number }): Promise<Binary<CycleCurvesMeta>> {
    const rec = this.dataset(id);
    const path = await this.rawPath(rec);
    const r = await this.o.jobs.track(`Cycles of ${rec.dataset.source.fileName}`, (job) =>
      this.o.pool.run(
        'cycleCurves',
        { path, entry: rec.dataset.entry, cycles, maxPointsPerSegment, window: window ?? null, mapping: rec.columnMapping ?? null },
        { signal: job.signal, onProgress: job.progress },
      ),
    );
    return { meta: { datasetId: id, ...r.meta }, data: r.data };
  }

  /** Save a figure spec after checking that it names a dataset its plot can show. */
  async saveFigure(title: string, spec: FigureSpec): Promise<FigureRecord> {
    const rec = this.dataset(spec.datasetId);
    const kind = rec.dataset.kind;
    const ok = spec.plot === 'image' ? ['image', 'image-stack', 'diffraction-4d'].includes(kind) : kind === 'table';
    if (!ok) throw new ApiError('bad-request', `a ${spec.plot} figure cannot show ${rec.dataset.title} (a ${kind})`);
    return this.requireStore().addFigure(title, spec);
  }

  /** A figure and its spec, validated again: figure files come from untrusted bundles. */
  async figure(id: string): Promise<{ record: FigureRecord; spec: FigureSpec }> {
    const store = this.requireStore();
    const record = store.snapshot().document.figures.find((f) => f.id === id);
    if (!record) throw new ApiError('not-found', `no figure ${id} in this project`);
    const parsed = v.safeParse(FigureSpecSchema, await store.readFigureSpec(id));
    if (!parsed.success) {
      throw new ApiError('bad-request', `${record.specPath}: not a valid figure spec (${parsed.issues.map((i) => `${v.getDotPath(i) ?? '(root)'}: ${i.message}`).join('; ')})`);
    }
    return { record, spec: parsed.output };
  }

  /** The arrays an analysis wrote to derived/ (HDF5), for plotting; signals with their axes. */
  async analysisArrays(id: string): Promise<Binary<AnalysisArraysMeta>> {
    const store = this.requireStore();
    const rec = store.snapshot().document.analyses.find((a) => a.id === id);
    if (!rec) throw new ApiError('not-found', `no analysis ${id} in this project`);
    const arrays: AnalysisArraysMeta['arrays'] = [];
    const parts: Float64Array[] = [];
    if (rec.derivedPath) {
      const where = await store.derivedPathFor(id);
      const h5 = await readDerived(where.absolute);
      for (const g of h5.groups) {
        const signalName = String(g.attrs.signal ?? '');
        const axes = g.attrs.axes;
        const axisName = Array.isArray(axes) ? String(axes[0]) : typeof axes === 'string' ? axes : '.';
        const add = (fieldName: string, axis: string | null) => {
          const f = g.fields[fieldName];
          if (!f || !ArrayBuffer.isView(f.data)) return;
          const values = Float64Array.from(f.data as unknown as ArrayLike<number>, Number);
          arrays.push({ name: `${g.name}/${String(f.attrs.long_name ?? fieldName)}`, units: String(f.attrs.units ?? ''), length: values.length, axis });
          parts.push(values);
        };
        const axisLabel = axisName !== '.' && g.fields[axisName] ? `${g.name}/${String(g.fields[axisName]!.attrs.long_name ?? axisName)}` : null;
        if (axisLabel) add(axisName, null);
        add(signalName, axisLabel);
      }
    }
    const total = parts.reduce((n, p) => n + p.length, 0);
    const out = new Float64Array(total);
    let off = 0;
    for (const p of parts) {
      out.set(p, off);
      off += p.length;
    }
    return { meta: { analysisId: id, arrays }, data: out.buffer };
  }

  /** Run an analysis in a worker; record results, derived arrays (HDF5) and provenance. */
  async runAnalysis(analysisId: string, datasetIds: string[], params: Record<string, unknown>): Promise<AnalysisRecord> {
    const store = this.requireStore();
    const desc = findAnalysis(analysisId);
    const recs = datasetIds.map((id) => this.dataset(id));
    for (const r of recs) {
      if (!desc.inputKinds.includes(r.dataset.kind)) {
        throw new ApiError('bad-request', `${desc.label} takes ${desc.inputKinds.join('/')} datasets; ${r.dataset.title} is a ${r.dataset.kind}`);
      }
    }
    const inputs = await Promise.all(recs.map(async (r) => ({ path: await this.rawPath(r), entry: r.dataset.entry, mapping: r.columnMapping ?? null })));
    // The cell's mass, area, film thickness and theoretical capacity, unless given explicitly.
    const fromCell = cellParameters(cellOf(store.snapshot().document, recs[0]!), desc);
    const merged = { ...fromCell, ...Object.fromEntries(Object.entries(params).filter(([, v]) => v !== null && v !== undefined)) };
    const out = await this.o.jobs.track(desc.label, (job) =>
      this.o.pool.run('runAnalysis', { analysisId, inputs, params: merged }, { signal: job.signal, onProgress: job.progress }),
    );
    const time = new Date().toISOString();
    const provenance = {
      analysisId,
      analysisVersion: desc.version,
      appVersion: APP_VERSION,
      inputs: recs.map((r) => ({ datasetId: r.id, sha256: r.dataset.source.sha256 })),
      parameters: out.parameters,
      ...(out.resolved ? { resolved: out.resolved } : {}),
      time,
    };
    const id = newId();
    let derivedPath: string | undefined;
    const groups = derivedGroups(out.arrays, out.axes);
    if (groups.length) {
      // Arrays first, then the record that points at them: a crash in between leaves an orphan
      // file in derived/, never a record pointing at nothing.
      const where = await store.derivedPathFor(id);
      await writeDerived(where.absolute, { title: desc.label, groups, provenance, appVersion: APP_VERSION });
      derivedPath = where.relative;
    }
    const record = await store.addAnalysis({
      id,
      analysisId,
      label: desc.label,
      datasetIds,
      results: out.results,
      provenance,
      ...(derivedPath ? { derivedPath } : {}),
    });
    return record;
  }
}

/**
 * Per-cycle arrays → one NXdata group per quantity, plotted against the 'cycle' array when the
 * analysis provides one (NeXus: signal + axes with units).
 */
export function derivedGroups(arrays: Record<string, { units: string; values: Float64Array }>, axes: Record<string, string> = {}): DerivedDataGroup[] {
  const safe = (n: string) => n.replace(/[^A-Za-z0-9_]/g, '_').replace(/^([^A-Za-z_])/, '_$1').slice(0, 60);
  // Default x: per-cycle arrays against 'cycle', spectra against 'freq'.
  const fallback = arrays.cycle ? 'cycle' : arrays.freq ? 'freq' : 'cycle';
  const axisNames = new Set([fallback, ...Object.values(axes)]);
  const groups: DerivedDataGroup[] = [];
  for (const [name, arr] of Object.entries(arrays)) {
    if (axisNames.has(name)) continue;
    const axisName = axes[name] ?? fallback;
    const axis = arrays[axisName];
    const useAxis = axis && axis.values.length === arr.values.length;
    groups.push({
      name: safe(name),
      signal: { name: safe(name), data: arr.values, units: arr.units, longName: name },
      axes: [useAxis ? { name: safe(axisName), data: axis.values, units: axis.units } : null],
    });
  }
  return groups;
}
