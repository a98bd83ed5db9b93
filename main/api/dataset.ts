/**
 * The one Dataset model (DESIGN.md "One data model"). Every reader produces it, every plot and
 * analysis consumes it. Pure types: no node:, no DOM, safe to import from the renderer.
 */

/** Element types a reader may declare. `rgba8` packs R,G,B,A uint8 into one element. */
export type DType =
  | 'bool'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'float32'
  | 'float64'
  | 'complex64'
  | 'complex128'
  | 'rgba8';

/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Readonly<Record<DType, number>> = {
  bool: 1,
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  uint64: 8,
  float32: 4,
  float64: 8,
  complex64: 8,
  complex128: 16,
  rgba8: 4,
};

/** A physical quantity: a number always travels with its unit (SI-ish symbols, e.g. 'kV', 'nm', 's'). */
export interface Quantity {
  value: number;
  unit: string;
  /** One standard uncertainty in the same unit, when known. */
  uncertainty?: number;
}

/**
 * One axis of the array, in C order (slowest first), matching `shape`.
 * Uniform axes carry scale/offset (value = offset + index * scale); non-uniform ones carry values.
 */
export interface Axis {
  name: string;
  units: string;
  size: number;
  scale?: number;
  offset?: number;
  values?: number[];
  /** True for navigation axes (stack frames, scan positions), false for signal axes. */
  navigate: boolean;
}

/**
 * Values of one table column as read: the typed array of the stored width (no 64-bit integers:
 * table values are plain numbers). Analyses index it; nothing needs it widened to float64.
 */
export type ColumnArray = Float64Array | Float32Array | Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array;

/** A column of a tabular dataset (cycler exports, EIS spectra). */
export interface Column {
  name: string;
  units: string;
  dtype: DType;
  /** The vendor's own column label, verbatim. */
  sourceName?: string;
}

/**
 * Which column of a table plays which role for the analyses, by the column's vendor label
 * (`sourceName`; the name is accepted too); `units` overrides units, keyed by role or label.
 * Set by the user for files whose vendor the app does not know (generic CSV/TSV).
 */
export interface ColumnMapping {
  time?: string;
  voltage?: string;
  current?: string;
  cycle?: string;
  capacity?: string;
  units?: Record<string, string>;
}

/**
 * Metadata normalised across vendors: what the analyses need. All optional — a reader fills what
 * the file states and never invents a value.
 */
export interface NormalisedMetadata {
  title?: string;
  instrument?: string;
  acquisitionMode?: string;
  /** ISO 8601, local time as written by the instrument (no zone unless the file states one). */
  acquisitionTime?: string;
  beamEnergy?: Quantity;
  exposure?: Quantity;
  doseRate?: Quantity;
  dispersion?: Quantity;
  magnification?: Quantity;
  cameraLength?: Quantity;
  convergenceAngle?: Quantity;
  collectionAngle?: Quantity;
  frameCount?: number;
  liveTime?: Quantity;
  realTime?: Quantity;
  probeCurrent?: Quantity;
  /** Electrochemistry: technique name as the instrument calls it. */
  technique?: string;
  activeMass?: Quantity;
  electrodeArea?: Quantity;
  /** Anything else normalised by a reader, always with units. */
  extra?: Record<string, Quantity | string | number | boolean>;
}

/** The original metadata tree, verbatim as far as JSON allows. */
export type MetaValue = string | number | boolean | null | MetaValue[] | { [key: string]: MetaValue };
export type MetaTree = { [key: string]: MetaValue };

export type DatasetKind = 'image' | 'image-stack' | 'spectrum' | 'spectrum-image' | 'diffraction-4d' | 'table' | 'line-plot' | 'other';

/** Intensity calibration: physical = offset + scale * raw. */
export interface IntensityCalibration {
  scale: number;
  offset: number;
  units: string;
}

/**
 * What a reader says about one dataset inside a file, before it is part of a project.
 * `entry` identifies it within the file (several data objects per file are common).
 */
export interface DatasetEntry {
  entry: string;
  kind: DatasetKind;
  title: string;
  dtype: DType;
  shape: number[];
  axes: Axis[];
  /** For kind 'table': the columns; shape is then [rowCount]. */
  columns?: Column[];
  intensity?: IntensityCalibration;
  metadata: NormalisedMetadata;
  original: MetaTree;
  /** Non-fatal observations (unknown column IDs, missing calibration...). */
  warnings: string[];
}

/** Where a dataset came from, byte-exactly. */
export interface DatasetSource {
  sha256: string;
  fileName: string;
  size: number;
  readerId: string;
  readerVersion: string;
  entry: string;
}

/** A dataset as the project knows it. */
export interface Dataset extends DatasetEntry {
  id: string;
  source: DatasetSource;
}

/** Select a hyper-rectangle: start/count per axis in C order; step optional (decimation). */
export interface Selection {
  start: number[];
  count: number[];
  step?: number[];
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

/** The physical coordinate of index i on an axis. */
export function axisValue(axis: Axis, i: number): number {
  if (axis.values) return axis.values[i] ?? NaN;
  return (axis.offset ?? 0) + i * (axis.scale ?? 1);
}
