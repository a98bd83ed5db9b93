/**
 * The contract: the one interface between the UI and everything else (DESIGN.md "Layers").
 * Both transports — Electron IPC (electron/ipc.ts) and browser mode (main/server) — serve exactly
 * this table, validate arguments with these schemas at the boundary, and return these types.
 * Pure TS + valibot: no node:, no DOM, no electron.
 */
import * as v from 'valibot';
import type { ColumnMapping, Dataset, DatasetEntry, Quantity } from './dataset.js';
import type {
  AnalysisRecord,
  Cell,
  DatasetRecord,
  FigureRecord,
  Lamella,
  ProjectSnapshot,
  RecentProject,
  Sample,
} from './project-types.js';

// ---------------------------------------------------------------------------------------------
// Schemas of argument pieces

const Name = v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(200));
const Id = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,64}$/));
const Text = v.pipe(v.string(), v.maxLength(100_000));
const PathArg = v.pipe(v.string(), v.minLength(1), v.maxLength(4096));

export const QuantitySchema = v.object({
  value: v.pipe(v.number(), v.finite()),
  unit: v.pipe(v.string(), v.maxLength(32)),
  uncertainty: v.optional(v.pipe(v.number(), v.finite(), v.minValue(0))),
});
const OptQuantity = v.optional(QuantitySchema);

const LayerSchema = v.object({ material: Name, thickness: QuantitySchema, role: v.optional(v.pipe(v.string(), v.maxLength(100))) });

export const CellInputSchema = v.object({
  name: Name,
  chemistry: v.optional(v.pipe(v.string(), v.maxLength(200)), ''),
  layers: v.optional(v.pipe(v.array(LayerSchema), v.maxLength(64)), []),
  activeArea: OptQuantity,
  activeMass: OptQuantity,
  theoreticalCapacity: OptQuantity,
  notes: v.optional(Text, ''),
});
export type CellInput = v.InferInput<typeof CellInputSchema>;

export const SampleInputSchema = v.object({
  cellId: Id,
  name: Name,
  state: v.optional(v.pipe(v.string(), v.maxLength(200)), 'pristine'),
  cycles: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  date: v.optional(v.pipe(v.string(), v.maxLength(40))),
  notes: v.optional(Text, ''),
});
export type SampleInput = v.InferInput<typeof SampleInputSchema>;

const FibStepSchema = v.object({ label: v.pipe(v.string(), v.maxLength(100)), current: QuantitySchema, voltage: OptQuantity });
export const CryoFibSchema = v.object({
  instrument: v.optional(v.pipe(v.string(), v.maxLength(200)), ''),
  stageTemperature: OptQuantity,
  ionSpecies: v.optional(v.pipe(v.string(), v.maxLength(40)), 'Ga+'),
  ionVoltage: OptQuantity,
  steps: v.optional(v.pipe(v.array(FibStepSchema), v.maxLength(64)), []),
  liftOutMethod: v.optional(v.pipe(v.string(), v.maxLength(200)), ''),
  finalThickness: OptQuantity,
  transfer: v.optional(v.pipe(v.string(), v.maxLength(200)), ''),
  airExposure: v.optional(v.pipe(v.string(), v.maxLength(200)), ''),
  operator: v.optional(v.pipe(v.string(), v.maxLength(200)), ''),
  date: v.optional(v.pipe(v.string(), v.maxLength(40))),
});
export const LamellaInputSchema = v.object({
  sampleId: Id,
  name: Name,
  fib: v.optional(CryoFibSchema, {}),
  notes: v.optional(Text, ''),
});
export type LamellaInput = v.InferInput<typeof LamellaInputSchema>;

export const OwnerSchema = v.object({ kind: v.picklist(['cell', 'sample', 'lamella']), id: Id });

const SelectionSchema = v.object({
  start: v.pipe(v.array(v.pipe(v.number(), v.integer(), v.minValue(0))), v.maxLength(8)),
  count: v.pipe(v.array(v.pipe(v.number(), v.integer(), v.minValue(1))), v.maxLength(8)),
  step: v.optional(v.pipe(v.array(v.pipe(v.number(), v.integer(), v.minValue(1))), v.maxLength(8))),
});

const Empty = v.strictObject({});

/**
 * A figure is data, never code: which plot, of which dataset, with which view settings and style
 * preset. Stored as figures/<id>.json; re-rendered from the data every time it is opened.
 */
/** A rectangle of an image in source pixels (x right, y down from the top-left pixel). */
export const ImageRegionSchema = v.object({
  x: v.pipe(v.number(), v.integer(), v.minValue(0)),
  y: v.pipe(v.number(), v.integer(), v.minValue(0)),
  width: v.pipe(v.number(), v.integer(), v.minValue(1)),
  height: v.pipe(v.number(), v.integer(), v.minValue(1)),
});
export type ImageRegion = v.InferOutput<typeof ImageRegionSchema>;

export const FigureSpecSchema = v.object({
  plot: v.picklist(['image', 'voltage-capacity']),
  datasetId: Id,
  style: v.optional(v.picklist(['paper', 'slide']), 'paper'),
  image: v.optional(
    v.object({
      frame: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 0),
      displayMin: v.pipe(v.number(), v.finite()),
      displayMax: v.pipe(v.number(), v.finite()),
      /** The zoomed-in part shown, in source pixels; absent = the whole image. */
      region: v.optional(ImageRegionSchema),
    }),
  ),
  cycles: v.optional(v.pipe(v.array(v.pipe(v.number(), v.integer(), v.minValue(0))), v.maxLength(10_000))),
});
export type FigureSpec = v.InferOutput<typeof FigureSpecSchema>;

// ---------------------------------------------------------------------------------------------
// Result types

export interface AppInfo {
  name: string;
  version: string;
  transport: 'electron' | 'http';
  workspace: string;
  /** The project opened at launch (the shipped sample on first start), if any. */
  startupProject: string | null;
}

export interface FormatInfo {
  id: string;
  name: string;
  version: string;
  extensions: string[];
}

export interface InspectResult {
  file: string;
  size: number;
  sha256: string;
  readerId: string;
  readerName: string;
  /** Readers that were tried and declined, with their reasons. */
  declined: { readerId: string; reason: string }[];
  entries: DatasetEntry[];
}

export interface ParamDescriptor {
  name: string;
  label: string;
  type: 'number' | 'integer' | 'string' | 'boolean' | 'integer[]';
  unit?: string;
  default: unknown;
  min?: number;
  max?: number;
  help?: string;
}

export interface AnalysisDescriptor {
  id: string;
  version: string;
  label: string;
  modality: string;
  inputKinds: string[];
  /** For tables: column names the analysis needs, each group any-of (e.g. [['Ewe','Ecell'],['I']]). */
  requiredColumns?: string[][];
  params: ParamDescriptor[];
}

export interface JobInfo {
  id: string;
  label: string;
  state: 'running' | 'done' | 'failed' | 'cancelled';
  /** 0…1, or null while unknown. */
  progress: number | null;
  started: string;
  error?: ApiErrorShape;
}

/** Image planes travel as float32 (down-sampled to at most maxSize per side), plus stats. */
export interface ImageMeta {
  datasetId: string;
  frame: number;
  frames: number;
  width: number;
  height: number;
  /** Source pixels per returned pixel (≥ 1). */
  binning: number;
  /** The part of the source image returned, in source pixels (the whole image unless zoomed). */
  region: ImageRegion;
  /** Size of the whole source image, in source pixels. */
  fullWidth: number;
  fullHeight: number;
  min: number;
  max: number;
  /** Robust display range (0.5 and 99.5 percentiles). */
  displayMin: number;
  displayMax: number;
  /** Physical size of one returned pixel along x and y. */
  pixelSize: { x: Quantity; y: Quantity };
  intensityUnit: string;
}

export interface SliceMeta {
  datasetId: string;
  dtype: 'float64';
  shape: number[];
}

export interface ColumnsMeta {
  datasetId: string;
  columns: { name: string; units: string; length: number }[];
}

/** Voltage–capacity curves: one segment per half cycle, concatenated as [capacity..., voltage...]. */
export interface CycleCurvesMeta {
  datasetId: string;
  capacityUnit: string;
  voltageUnit: string;
  segments: { cycle: number; direction: 'charge' | 'discharge'; offset: number; length: number }[];
  cycles: number[];
  /** The capacity window asked for (zoom), in capacityUnit; absent = every point. */
  window?: { xMin: number; xMax: number };
  /** Recorded points of the shown half cycles inside the window, and how many are drawn. */
  pointsInView: number;
  pointsShown: number;
  /** Where the capacity came from (cycling.ts CapacitySource): the file's counters or ∫I dt. */
  capacitySource: string;
}

/** dQ/dV curves per half cycle: concatenated [voltage..., dQ/dV...], with the peaks found. */
export interface DqdvCurvesMeta {
  datasetId: string;
  segments: { cycle: number; direction: 'charge' | 'discharge'; offset: number; length: number; peaks: { voltage: number; height: number }[] }[];
  cycles: number[];
  unit: string;
}

/** An analysis's derived arrays: concatenated float64 in the order listed. */
export interface AnalysisArraysMeta {
  analysisId: string;
  arrays: { name: string; units: string; length: number; axis: string | null }[];
}

/** What the column-mapping dialog needs. */
export interface MappingInfo {
  columns: { label: string; name: string; units: string }[];
  suggested: ColumnMapping;
  current: ColumnMapping | null;
  /** Header signature: labels in order; mappings are remembered per signature. */
  signature: string;
  rememberedSince: string | null;
}

/** Binary results: meta as JSON, data as one ArrayBuffer (never JSON-encoded numbers). */
export interface Binary<M> {
  meta: M;
  data: ArrayBuffer;
}

export interface ApiErrorShape {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export const ERROR_CODES = [
  'bad-request',
  'not-found',
  'no-project',
  'format-error',
  'unsupported-format',
  'conflict',
  'cancelled',
  'io-error',
  'forbidden',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export function isErrorCode(x: unknown): x is ErrorCode {
  return typeof x === 'string' && (ERROR_CODES as readonly string[]).includes(x);
}

// ---------------------------------------------------------------------------------------------
// The method table

interface MethodDef<S extends v.GenericSchema, R> {
  args: S;
  /** Phantom: the result type (never read at run time). */
  result: R;
  /** True when the result is a Binary<meta>. */
  binary?: boolean;
  /** True when the arguments carry an ArrayBuffer `data` field. */
  binaryArgs?: boolean;
}

function method<R>() {
  return <S extends v.GenericSchema>(args: S, opts: { binary?: boolean; binaryArgs?: boolean } = {}): MethodDef<S, R> => ({
    args,
    result: undefined as unknown as R,
    ...opts,
  });
}

export const contract = {
  'app.info': method<AppInfo>()(Empty),

  'project.create': method<ProjectSnapshot>()(v.object({ name: Name, directory: v.optional(PathArg) })),
  'project.open': method<ProjectSnapshot>()(v.object({ path: PathArg })),
  'project.current': method<ProjectSnapshot | null>()(Empty),
  'project.save': method<ProjectSnapshot>()(Empty),
  'project.saveAs': method<ProjectSnapshot>()(v.object({ path: PathArg })),
  'project.close': method<null>()(Empty),
  /** Re-apply changes a crashed session journaled but never saved (see ProjectSnapshot.recoverableChanges). */
  'project.recover': method<ProjectSnapshot>()(Empty),
  'project.recent': method<RecentProject[]>()(Empty),

  'cell.add': method<Cell>()(CellInputSchema),
  'cell.update': method<Cell>()(v.object({ id: Id, patch: v.partial(CellInputSchema) })),
  'cell.remove': method<null>()(v.object({ id: Id })),
  'sample.add': method<Sample>()(SampleInputSchema),
  'sample.update': method<Sample>()(v.object({ id: Id, patch: v.partial(SampleInputSchema) })),
  'sample.remove': method<null>()(v.object({ id: Id })),
  'lamella.add': method<Lamella>()(LamellaInputSchema),
  'lamella.update': method<Lamella>()(v.object({ id: Id, patch: v.partial(LamellaInputSchema) })),
  'lamella.remove': method<null>()(v.object({ id: Id })),

  'dataset.import': method<DatasetRecord[]>()(v.object({ path: PathArg, owner: v.optional(v.nullable(OwnerSchema)) })),
  'dataset.attach': method<DatasetRecord>()(v.object({ id: Id, owner: v.nullable(OwnerSchema) })),
  'dataset.remove': method<null>()(v.object({ id: Id })),
  'dataset.get': method<Dataset>()(v.object({ id: Id })),
  'dataset.mapping': method<MappingInfo>()(v.object({ id: Id })),
  'dataset.setMapping': method<DatasetRecord>()(
    v.object({
      id: Id,
      mapping: v.nullable(
        v.object({
          time: v.optional(v.pipe(v.string(), v.maxLength(512))),
          voltage: v.optional(v.pipe(v.string(), v.maxLength(512))),
          current: v.optional(v.pipe(v.string(), v.maxLength(512))),
          cycle: v.optional(v.pipe(v.string(), v.maxLength(512))),
          capacity: v.optional(v.pipe(v.string(), v.maxLength(512))),
          units: v.optional(v.record(v.pipe(v.string(), v.maxLength(512)), v.pipe(v.string(), v.maxLength(64)))),
        }),
      ),
      remember: v.optional(v.boolean(), true),
    }),
  ),
  'dataset.readImage': method<Binary<ImageMeta>>()(
    v.object({
      id: Id,
      frame: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 0),
      maxSize: v.optional(v.pipe(v.number(), v.integer(), v.minValue(16), v.maxValue(8192)), 2048),
      /** Read only this part (zoom): full resolution when it fits maxSize. Clipped to the image. */
      region: v.optional(ImageRegionSchema),
    }),
    { binary: true },
  ),
  'dataset.readSlice': method<Binary<SliceMeta>>()(v.object({ id: Id, selection: SelectionSchema }), { binary: true }),
  'dataset.readColumns': method<Binary<ColumnsMeta>>()(
    v.object({ id: Id, columns: v.pipe(v.array(v.pipe(v.string(), v.maxLength(200))), v.maxLength(64)) }),
    { binary: true },
  ),
  /** Sum spectrum + integrated-intensity map of a spectrum image: [spectrum(channels), map(rows·cols)] float64. */
  'dataset.spectrumSummary': method<Binary<{ datasetId: string; rows: number; cols: number; channels: number }>>()(
    v.object({ id: Id }),
    { binary: true },
  ),
  'echem.cycleCurves': method<Binary<CycleCurvesMeta>>()(
    v.object({
      id: Id,
      cycles: v.optional(v.pipe(v.array(v.pipe(v.number(), v.integer(), v.minValue(0))), v.maxLength(10_000))),
      maxPointsPerSegment: v.optional(v.pipe(v.number(), v.integer(), v.minValue(10), v.maxValue(1_000_000)), 2000),
      /** Zoom: decimate only the points whose capacity (in the file's capacity unit) is inside. */
      window: v.optional(
        v.pipe(
          v.object({ xMin: v.pipe(v.number(), v.finite()), xMax: v.pipe(v.number(), v.finite()) }),
          v.check((w) => w.xMax > w.xMin, 'window.xMax must exceed window.xMin'),
        ),
      ),
    }),
    { binary: true },
  ),

  'figure.save': method<FigureRecord>()(v.object({ title: Name, spec: FigureSpecSchema })),
  'figure.get': method<{ record: FigureRecord; spec: FigureSpec }>()(v.object({ id: Id })),
  'figure.remove': method<null>()(v.object({ id: Id })),

  'echem.dqdvCurves': method<Binary<DqdvCurvesMeta>>()(
    v.object({
      id: Id,
      cycles: v.optional(v.pipe(v.array(v.pipe(v.number(), v.integer(), v.minValue(0))), v.maxLength(1000))),
      stepV: v.optional(v.pipe(v.number(), v.minValue(1e-5), v.maxValue(1)), 0.005),
      window: v.optional(v.pipe(v.number(), v.integer(), v.minValue(3), v.maxValue(501)), 11),
    }),
    { binary: true },
  ),
  'files.stage': method<{ path: string }>()(
    v.object({ name: v.pipe(v.string(), v.minLength(1), v.maxLength(255)), data: v.instance(ArrayBuffer) }),
    { binaryArgs: true },
  ),
  'formats.list': method<FormatInfo[]>()(Empty),
  'formats.inspect': method<InspectResult>()(v.object({ path: PathArg })),

  'analysis.list': method<AnalysisDescriptor[]>()(Empty),
  'analysis.arrays': method<Binary<AnalysisArraysMeta>>()(v.object({ id: Id }), { binary: true }),
  'analysis.run': method<AnalysisRecord>()(
    v.object({
      analysisId: v.pipe(v.string(), v.maxLength(100)),
      datasetIds: v.pipe(v.array(Id), v.minLength(1), v.maxLength(64)),
      params: v.optional(v.record(v.string(), v.unknown()), {}),
    }),
  ),

  'jobs.list': method<JobInfo[]>()(Empty),
  'jobs.cancel': method<boolean>()(v.object({ id: Id })),

  /** Native dialogs; browser mode answers { paths: null, native: false } and the client uses <input type=file>. */
  'dialog.openFiles': method<{ paths: string[] | null; native: boolean }>()(
    v.object({ title: v.optional(v.pipe(v.string(), v.maxLength(200))), directory: v.optional(v.boolean(), false) }),
  ),
  'dialog.saveProject': method<{ path: string | null; native: boolean }>()(v.object({ defaultName: v.optional(Name) })),
} as const;

export type Contract = typeof contract;
export type MethodName = keyof Contract;
export type ArgsOf<M extends MethodName> = v.InferInput<Contract[M]['args']>;
export type ParsedArgsOf<M extends MethodName> = v.InferOutput<Contract[M]['args']>;
export type ResultOf<M extends MethodName> = Contract[M]['result'];

export const METHOD_NAMES = Object.keys(contract) as MethodName[];

export function isBinaryMethod(m: MethodName): boolean {
  return (contract[m] as { binary?: boolean }).binary === true;
}
export function hasBinaryArgs(m: MethodName): boolean {
  return (contract[m] as { binaryArgs?: boolean }).binaryArgs === true;
}

/** Parse arguments at a transport boundary; throws ApiError('bad-request') with the issues. */
export function parseArgs<M extends MethodName>(m: M, raw: unknown): ParsedArgsOf<M> {
  const def = contract[m];
  if (!def) throw new ApiError('bad-request', `unknown method ${String(m)}`);
  const r = v.safeParse(def.args, raw ?? {});
  if (!r.success) {
    throw new ApiError('bad-request', `invalid arguments for ${m}: ${r.issues.map((i) => `${v.getDotPath(i) ?? '(root)'}: ${i.message}`).join('; ')}`);
  }
  return r.output as ParsedArgsOf<M>;
}

export function isMethodName(x: unknown): x is MethodName {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(contract, x);
}

// ---------------------------------------------------------------------------------------------
// Errors and events

/** The one error type that crosses the boundary: {code, message, details}. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
  toJSON(): ApiErrorShape {
    return { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) };
  }
  static from(shape: ApiErrorShape): ApiError {
    return new ApiError(shape.code, shape.message, shape.details);
  }
}

export interface EventMap {
  job: JobInfo;
  project: ProjectSnapshot | null;
  /** A native menu command (Electron only), e.g. 'project.new'. */
  menu: { command: string };
}
export type EventName = keyof EventMap;
export const EVENT_NAMES: EventName[] = ['job', 'project', 'menu'];

/** What both transports expose to the renderer. */
export interface InterphaseApi {
  call<M extends MethodName>(method: M, args: ArgsOf<M>): Promise<ResultOf<M>>;
  on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): () => void;
}
