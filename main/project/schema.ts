/**
 * The project.json schema and its versioning (DESIGN.md "The project on disk"; format described in
 * docs/project-format.md). project.json is untrusted input: it is parsed as data only, validated
 * field by field here, and every error names the file and the field (`project.json:
 * cells[2].name: ...`) so a user or a collaborator can repair it by hand.
 *
 * Versioning: `schemaVersion` is an integer. A file newer than this build is refused with a clear
 * message (silently dropping fields we do not understand would lose a collaborator's data on the
 * next save); an older one is upgraded by a chain of pure step functions, one per version, before
 * validation. Version 1 is the first released format, so the shipped registry is empty; the chain
 * runner is exercised in tests with a synthetic registry.
 */
import * as v from 'valibot';
import { ApiError } from '../api/contract.js';
import type { OwnerRef, ProjectDocument } from '../api/project-types.js';
import { PROJECT_SCHEMA_VERSION } from '../api/project-types.js';
import { checkRelativePath, DERIVED_DIR, FIGURES_DIR, PROJECT_FILE, RAW_DIR } from './bundle-layout.js';

// ---------------------------------------------------------------------------------------------
// Pieces. Limits are generous (a file may hold more than one UI call can add) but finite, so a
// hostile file cannot make us hold absurd strings per field.

const IdS = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an id of 1-64 characters [A-Za-z0-9_-]'));
const Rev = v.pipe(v.number(), v.integer(), v.minValue(1));
const Str = (max: number) => v.pipe(v.string(), v.maxLength(max));
const Short = Str(1000);
const LongText = Str(1_000_000);
const Finite = v.pipe(v.number(), v.finite());
const Sha256 = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex sha256'));

export const QuantityFileSchema = v.object({
  value: Finite,
  unit: Str(64),
  uncertainty: v.optional(v.pipe(v.number(), v.finite(), v.minValue(0))),
});
const OptQ = v.optional(QuantityFileSchema);

const LayerFileSchema = v.object({ material: Short, thickness: QuantityFileSchema, role: v.optional(Short) });

export const CellSchema = v.object({
  id: IdS,
  rev: Rev,
  name: Short,
  chemistry: Short,
  layers: v.pipe(v.array(LayerFileSchema), v.maxLength(1000)),
  activeArea: OptQ,
  activeMass: OptQ,
  theoreticalCapacity: OptQ,
  notes: LongText,
  created: Str(64),
});

export const SampleSchema = v.object({
  id: IdS,
  rev: Rev,
  cellId: IdS,
  name: Short,
  state: Short,
  cycles: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  date: v.optional(Str(64)),
  notes: LongText,
});

const FibStepFileSchema = v.object({ label: Short, current: QuantityFileSchema, voltage: OptQ });
const CryoFibFileSchema = v.object({
  instrument: Short,
  stageTemperature: OptQ,
  ionSpecies: Short,
  ionVoltage: OptQ,
  steps: v.pipe(v.array(FibStepFileSchema), v.maxLength(1000)),
  liftOutMethod: Short,
  finalThickness: OptQ,
  transfer: Short,
  airExposure: Short,
  operator: Short,
  date: v.optional(Str(64)),
});

export const LamellaSchema = v.object({
  id: IdS,
  rev: Rev,
  sampleId: IdS,
  name: Short,
  fib: CryoFibFileSchema,
  // Markdown, stored verbatim; the renderer sanitises when it renders (DESIGN.md: never raw HTML).
  notes: LongText,
});

const OwnerFileSchema = v.object({ kind: v.picklist(['cell', 'sample', 'lamella']), id: IdS });

const DTypeSchema = v.picklist([
  'bool', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64',
  'float32', 'float64', 'complex64', 'complex128', 'rgba8',
]);
const KindSchema = v.picklist(['image', 'image-stack', 'spectrum', 'spectrum-image', 'diffraction-4d', 'table', 'line-plot', 'other']);

const AxisFileSchema = v.object({
  name: Short,
  units: Str(64),
  size: v.pipe(v.number(), v.integer(), v.minValue(0)),
  scale: v.optional(Finite),
  offset: v.optional(Finite),
  values: v.optional(v.array(Finite)),
  navigate: v.boolean(),
});
const ColumnFileSchema = v.object({ name: Short, units: Str(64), dtype: DTypeSchema, sourceName: v.optional(Short) });

// The original metadata tree: arbitrary JSON, verbatim. Recursive schema.
type MetaValueT = string | number | boolean | null | MetaValueT[] | { [key: string]: MetaValueT };
const MetaValueSchema: v.GenericSchema<MetaValueT> = v.union([
  v.string(),
  v.number(),
  v.boolean(),
  v.null(),
  v.array(v.lazy(() => MetaValueSchema)),
  v.record(v.string(), v.lazy(() => MetaValueSchema)),
]);

const NormalisedMetadataFileSchema = v.object({
  title: v.optional(Short),
  instrument: v.optional(Short),
  acquisitionMode: v.optional(Short),
  acquisitionTime: v.optional(Str(64)),
  beamEnergy: OptQ,
  exposure: OptQ,
  doseRate: OptQ,
  dispersion: OptQ,
  magnification: OptQ,
  cameraLength: OptQ,
  convergenceAngle: OptQ,
  collectionAngle: OptQ,
  frameCount: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  liveTime: OptQ,
  realTime: OptQ,
  probeCurrent: OptQ,
  technique: v.optional(Short),
  activeMass: OptQ,
  electrodeArea: OptQ,
  extra: v.optional(v.record(v.string(), v.union([QuantityFileSchema, v.string(), v.number(), v.boolean()]))),
});

const DatasetFileSchema = v.object({
  id: IdS,
  entry: Short,
  kind: KindSchema,
  title: Short,
  dtype: DTypeSchema,
  shape: v.pipe(v.array(v.pipe(v.number(), v.integer(), v.minValue(0))), v.maxLength(32)),
  axes: v.pipe(v.array(AxisFileSchema), v.maxLength(32)),
  columns: v.optional(v.array(ColumnFileSchema)),
  intensity: v.optional(v.object({ scale: Finite, offset: Finite, units: Str(64) })),
  metadata: NormalisedMetadataFileSchema,
  original: v.record(v.string(), MetaValueSchema),
  warnings: v.array(LongText),
  source: v.object({
    sha256: Sha256,
    fileName: Short,
    size: v.pipe(v.number(), v.integer(), v.minValue(0)),
    readerId: Short,
    readerVersion: Short,
    entry: Short,
  }),
});

/** raw: either a file inside the bundle, or a link (absolute path hint + sha256 + size) for big files. */
const RawRefSchema = v.union([
  v.strictObject({ path: Str(1024) }),
  v.strictObject({ linkedPath: Str(4096), sha256: Sha256, size: v.pipe(v.number(), v.integer(), v.minValue(0)) }),
]);

const MappingRef = v.optional(v.pipe(v.string(), v.maxLength(512)));
export const ColumnMappingSchema = v.object({
  time: MappingRef,
  voltage: MappingRef,
  current: MappingRef,
  cycle: MappingRef,
  capacity: MappingRef,
  units: v.optional(v.record(v.pipe(v.string(), v.maxLength(512)), v.pipe(v.string(), v.maxLength(64)))),
});

export const DatasetRecordSchema = v.object({
  id: IdS,
  rev: Rev,
  owner: v.nullable(OwnerFileSchema),
  raw: RawRefSchema,
  dataset: DatasetFileSchema,
  imported: Str(64),
  columnMapping: v.optional(ColumnMappingSchema),
});

const ProvenanceSchema = v.object({
  analysisId: Short,
  analysisVersion: Short,
  appVersion: Short,
  inputs: v.array(v.object({ datasetId: IdS, sha256: Sha256 })),
  parameters: v.record(v.string(), v.unknown()),
  resolved: v.optional(v.record(v.string(), v.union([v.string(), v.number(), v.boolean()]))),
  time: Str(64),
});

export const AnalysisRecordSchema = v.object({
  id: IdS,
  rev: Rev,
  analysisId: Short,
  label: Short,
  datasetIds: v.array(IdS),
  results: v.record(v.string(), QuantityFileSchema),
  derivedPath: v.optional(Str(1024)),
  provenance: ProvenanceSchema,
});

export const FigureRecordSchema = v.object({ id: IdS, rev: Rev, title: Short, specPath: Str(1024) });

export const ProjectDocumentSchema = v.object({
  schemaVersion: v.literal(PROJECT_SCHEMA_VERSION),
  id: IdS,
  name: Short,
  created: Str(64),
  modified: Str(64),
  appVersion: Short,
  cells: v.array(CellSchema),
  samples: v.array(SampleSchema),
  lamellae: v.array(LamellaSchema),
  datasets: v.array(DatasetRecordSchema),
  analyses: v.array(AnalysisRecordSchema),
  figures: v.array(FigureRecordSchema),
});

// ---------------------------------------------------------------------------------------------
// Validation with readable errors

function formatPath(issue: v.BaseIssue<unknown>): string {
  let out = '';
  for (const item of issue.path ?? []) {
    const key = (item as { key: unknown }).key;
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

/**
 * Validate `value` against `schema`; on failure throw ApiError('bad-request') whose message names
 * the file and each failing field, with the issues in `details.issues`.
 */
export function validateWith<S extends v.GenericSchema>(schema: S, value: unknown, file: string, prefix = ''): v.InferOutput<S> {
  let result: v.SafeParseResult<S>;
  try {
    result = v.safeParse(schema, value);
  } catch (err) {
    // Pathologically deep nesting in `original` overflows the recursive schema.
    throw new ApiError('bad-request', `${file}: ${prefix || '(root)'}: structure too deeply nested (${String(err)})`, { file });
  }
  if (result.success) return result.output;
  const issues = result.issues.slice(0, 20).map((i) => {
    const p = formatPath(i);
    return { path: prefix ? (p === '(root)' ? prefix : `${prefix}${p.startsWith('[') ? '' : '.'}${p}`) : p, message: i.message };
  });
  const more = result.issues.length > issues.length ? ` (and ${result.issues.length - issues.length} more)` : '';
  throw new ApiError('bad-request', `${file}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}${more}`, { file, issues });
}

// ---------------------------------------------------------------------------------------------
// Migration

/** One upgrade step: receives a document of version N (a private deep copy) and returns version N+1's shape. */
export type MigrationStep = (doc: Record<string, unknown>) => Record<string, unknown>;

/**
 * The shipped migrations, keyed by the version they upgrade *from*. Version 1 is the first released
 * schema, so there is nothing to upgrade yet. When version 2 ships, add `[1, (d) => ...]` here and
 * a fixture of a version-1 file to the tests.
 */
export const MIGRATIONS: ReadonlyMap<number, MigrationStep> = new Map<number, MigrationStep>();

export interface MigrateOptions {
  file?: string;
  steps?: ReadonlyMap<number, MigrationStep>;
  target?: number;
}

export interface MigrateResult {
  doc: Record<string, unknown>;
  /** The version the file was written with. */
  from: number;
  migrated: boolean;
}

/**
 * Bring a parsed project.json up to `target` (default PROJECT_SCHEMA_VERSION). Throws
 * ApiError('bad-request') for a missing/invalid schemaVersion, for a file made by a newer
 * Interphase, and for an older version with no registered step.
 */
export function migrate(raw: unknown, opts: MigrateOptions = {}): MigrateResult {
  const file = opts.file ?? PROJECT_FILE;
  const steps = opts.steps ?? MIGRATIONS;
  const target = opts.target ?? PROJECT_SCHEMA_VERSION;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ApiError('bad-request', `${file}: (root): expected a JSON object`, { file });
  }
  const version = (raw as Record<string, unknown>).schemaVersion;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 0) {
    throw new ApiError('bad-request', `${file}: schemaVersion: missing or not a non-negative integer`, { file, schemaVersion: version ?? null });
  }
  if (version > target) {
    throw new ApiError(
      'bad-request',
      `${file} was made by a newer Interphase (schema version ${version}; this version reads up to ${target}). Update Interphase to open it.`,
      { file, schemaVersion: version, supported: target, reason: 'newer-version' },
    );
  }
  if (version === target) return { doc: raw as Record<string, unknown>, from: version, migrated: false };
  let doc = structuredClone(raw) as Record<string, unknown>;
  for (let from = version; from < target; from++) {
    const step = steps.get(from);
    if (!step) {
      throw new ApiError('bad-request', `${file}: no migration from schema version ${from} to ${from + 1}`, { file, schemaVersion: version });
    }
    doc = step(doc);
    doc.schemaVersion = from + 1;
  }
  return { doc, from: version, migrated: true };
}

// ---------------------------------------------------------------------------------------------
// Whole-document checks beyond field shapes

/**
 * Ids unique per collection and links pointing at existing objects; a dangling link would otherwise
 * surface later as a confusing 'not-found' far from its cause.
 */
export function checkReferences(doc: ProjectDocument, file = PROJECT_FILE): void {
  const fail = (path: string, message: string): never => {
    throw new ApiError('bad-request', `${file}: ${path}: ${message}`, { file, issues: [{ path, message }] });
  };
  const ids = (name: string, list: { id: string }[]): Set<string> => {
    const seen = new Set<string>();
    list.forEach((o, i) => {
      if (seen.has(o.id)) fail(`${name}[${i}].id`, `duplicate id ${o.id}`);
      seen.add(o.id);
    });
    return seen;
  };
  const cells = ids('cells', doc.cells);
  const samples = ids('samples', doc.samples);
  const lamellae = ids('lamellae', doc.lamellae);
  const datasets = ids('datasets', doc.datasets);
  ids('analyses', doc.analyses);
  ids('figures', doc.figures);
  doc.samples.forEach((s, i) => {
    if (!cells.has(s.cellId)) fail(`samples[${i}].cellId`, `no cell with id ${s.cellId}`);
  });
  doc.lamellae.forEach((l, i) => {
    if (!samples.has(l.sampleId)) fail(`lamellae[${i}].sampleId`, `no sample with id ${l.sampleId}`);
  });
  const owners: Record<OwnerRef['kind'], Set<string>> = { cell: cells, sample: samples, lamella: lamellae };
  doc.datasets.forEach((d, i) => {
    if (d.owner && !owners[d.owner.kind].has(d.owner.id)) fail(`datasets[${i}].owner`, `no ${d.owner.kind} with id ${d.owner.id}`);
  });
  doc.analyses.forEach((a, i) => {
    a.datasetIds.forEach((id, j) => {
      if (!datasets.has(id)) fail(`analyses[${i}].datasetIds[${j}]`, `no dataset with id ${id}`);
    });
  });
}

/**
 * Lexical path rules for every path a record names (DESIGN.md: nothing in a project file may name
 * a path outside the bundle). Symlink rules need the disk and are applied by ProjectStore.open via
 * safeBundlePath. Linked raw files are the one deliberate exception: an absolute *hint* to a file
 * outside the bundle, only ever read after its size (and on request sha256) match (raw-store.ts).
 */
export function checkDocumentPaths(doc: ProjectDocument, file = PROJECT_FILE): void {
  const wrap = (path: string, f: () => void): void => {
    try {
      f();
    } catch (err) {
      if (err instanceof ApiError) throw new ApiError('forbidden', `${file}: ${path}: ${err.message}`, { file, path, ...(err.details ?? {}) });
      throw err;
    }
  };
  doc.datasets.forEach((d, i) => {
    const raw = d.raw;
    if ('path' in raw) wrap(`datasets[${i}].raw.path`, () => checkRelativePath(raw.path, RAW_DIR));
    else
      wrap(`datasets[${i}].raw.linkedPath`, () => {
        if (raw.linkedPath.includes('\0') || !isAbsoluteAnyPlatform(raw.linkedPath)) {
          throw new ApiError('forbidden', 'a link must be an absolute path without NUL');
        }
      });
  });
  doc.analyses.forEach((a, i) => {
    if (a.derivedPath !== undefined) wrap(`analyses[${i}].derivedPath`, () => checkRelativePath(a.derivedPath, DERIVED_DIR));
  });
  doc.figures.forEach((f, i) => wrap(`figures[${i}].specPath`, () => checkRelativePath(f.specPath, FIGURES_DIR)));
}

function isAbsoluteAnyPlatform(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\');
}

/**
 * Everything between JSON.parse and a trusted ProjectDocument: migrate, validate shapes, check
 * references and path rules. Throws ApiError naming the file and field.
 */
export function loadProjectDocument(parsed: unknown, file = PROJECT_FILE): { document: ProjectDocument; migratedFrom: number | null } {
  const { doc, from, migrated } = migrate(parsed, { file });
  const document = validateWith(ProjectDocumentSchema, doc, file) as ProjectDocument;
  checkReferences(document, file);
  checkDocumentPaths(document, file);
  return { document, migratedFrom: migrated ? from : null };
}
