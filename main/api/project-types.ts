/**
 * Domain objects of a project (DESIGN.md "The project on disk"). A battery cell is the root:
 * samples are taken from cells, lamellae cut from samples, datasets attach to any of the three.
 * Pure types; the on-disk schema (project.json) is exactly `ProjectDocument`.
 */
import type { ColumnMapping, Dataset, Quantity } from './dataset.js';

export const PROJECT_SCHEMA_VERSION = 1;

export interface Layer {
  material: string;
  thickness: Quantity;
  role?: string;
}

export interface Cell {
  id: string;
  rev: number;
  name: string;
  chemistry: string;
  /** Layer stack from current collector to current collector. */
  layers: Layer[];
  activeArea?: Quantity;
  activeMass?: Quantity;
  theoreticalCapacity?: Quantity;
  notes: string;
  created: string;
}

export interface Sample {
  id: string;
  rev: number;
  cellId: string;
  name: string;
  /** e.g. 'pristine', 'after 600 cycles', 'after first charge'. */
  state: string;
  cycles?: number;
  date?: string;
  notes: string;
}

/** One step of the FIB milling sequence, e.g. rough mill 3 nA, cleaning 0.1 nA. */
export interface FibStep {
  label: string;
  current: Quantity;
  voltage?: Quantity;
}

export interface CryoFibRecord {
  instrument: string;
  stageTemperature?: Quantity;
  ionSpecies: string;
  ionVoltage?: Quantity;
  steps: FibStep[];
  liftOutMethod: string;
  finalThickness?: Quantity;
  transfer: string;
  airExposure: string;
  operator: string;
  date?: string;
}

export interface Lamella {
  id: string;
  rev: number;
  sampleId: string;
  name: string;
  fib: CryoFibRecord;
  /** Markdown, rendered sanitised (never raw HTML). */
  notes: string;
}

export type OwnerKind = 'cell' | 'sample' | 'lamella';
export interface OwnerRef {
  kind: OwnerKind;
  id: string;
}

/** A dataset inside a project: the Dataset model plus where its raw bytes live. */
export interface DatasetRecord {
  id: string;
  rev: number;
  owner: OwnerRef | null;
  /** Bundle-relative path of the raw file (raw/<sha256>.<ext>), or a link for big files. */
  raw: { path: string } | { linkedPath: string; sha256: string; size: number };
  dataset: Dataset;
  imported: string;
  /** A user's column mapping (generic CSV); readers apply it whenever the file is read. */
  columnMapping?: ColumnMapping;
}

export interface Provenance {
  analysisId: string;
  analysisVersion: string;
  appVersion: string;
  inputs: { datasetId: string; sha256: string }[];
  parameters: Record<string, unknown>;
  /**
   * Choices the analysis made from the data, not given as parameters: e.g. the capacity source
   * ('(Q-Qo)', 'charge/discharge counters', 'integrated') and the segmentation strategy.
   */
  resolved?: Record<string, string | number | boolean>;
  time: string;
}

export interface AnalysisRecord {
  id: string;
  rev: number;
  analysisId: string;
  label: string;
  datasetIds: string[];
  /** Results: scalar quantities with units and uncertainties. */
  results: Record<string, Quantity>;
  /** Bundle-relative path of the HDF5 with array outputs (derived/<id>.h5), if any. */
  derivedPath?: string;
  provenance: Provenance;
}

export interface FigureRecord {
  id: string;
  rev: number;
  title: string;
  /** Bundle-relative path of the figure spec (figures/<id>.json). */
  specPath: string;
}

export interface ProjectDocument {
  schemaVersion: number;
  id: string;
  name: string;
  created: string;
  modified: string;
  appVersion: string;
  cells: Cell[];
  samples: Sample[];
  lamellae: Lamella[];
  datasets: DatasetRecord[];
  analyses: AnalysisRecord[];
  figures: FigureRecord[];
}

/** What the renderer receives about the open project. */
export interface ProjectSnapshot {
  path: string;
  document: ProjectDocument;
  dirty: boolean;
  lastSaved: string | null;
  /**
   * Operations a previous session journaled but never saved (it ended before its autosave):
   * the UI offers to recover them ('project.recover') — nothing the user made is lost.
   */
  recoverableChanges: number;
}

export interface RecentProject {
  path: string;
  name: string;
  opened: string;
}
