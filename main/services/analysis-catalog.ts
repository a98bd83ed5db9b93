/**
 * Every analysis the app can run, as descriptors with a pure `run`. Workers execute them; the
 * session records results, derived arrays and provenance.
 */
import { ApiError, type AnalysisDescriptor } from '../api/contract.js';
import type { ColumnArray, Quantity } from '../api/dataset.js';
import { cyclingSummaryAnalysis } from '../analysis/echem/cycling.js';
import { cvPeaksAnalysis, dqdvAnalysis } from '../analysis/echem/differential-analyses.js';
import { eisFitAnalysis, ionicConductivityAnalysis, linKkAnalysis } from '../analysis/eis/descriptors.js';
import { eisBatchFitAnalysis } from '../analysis/eis/batch.js';

export interface UnitArray {
  units: string;
  values: Float64Array;
}

export interface AnalysisOutput {
  results: Record<string, Quantity>;
  arrays: Record<string, UnitArray>;
  /** array name → name of the array that is its x axis (default: 'cycle' when lengths match) */
  axes?: Record<string, string>;
  /**
   * Choices the analysis made from the data rather than from its parameters (the capacity
   * source, the segmentation strategy): recorded in the provenance as `resolved`, apart from the
   * parameters, so a re-run from the provenance's parameters is still a valid request.
   */
  resolved?: Record<string, string | number | boolean>;
}

/** An input column as the reader returned it (its stored width), with units. */
export interface InputColumn {
  units: string;
  values: ColumnArray;
}

export interface RunnableAnalysis extends AnalysisDescriptor {
  /** Table analyses receive every column of their (first) input dataset by name. */
  run(columns: Record<string, InputColumn>, params?: Record<string, unknown>): AnalysisOutput;
}

export const ANALYSES: readonly RunnableAnalysis[] = [cyclingSummaryAnalysis, dqdvAnalysis, cvPeaksAnalysis, eisFitAnalysis, eisBatchFitAnalysis, linKkAnalysis, ionicConductivityAnalysis];

export function findAnalysis(id: string): RunnableAnalysis {
  const a = ANALYSES.find((x) => x.id === id);
  if (!a) throw new ApiError('not-found', `no analysis '${id}' (have ${ANALYSES.map((x) => x.id).join(', ')})`);
  return a;
}

/** Defaults filled in, so provenance records every parameter actually used. */
export function resolvedParameters(a: AnalysisDescriptor, params: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of a.params) out[p.name] = params[p.name] ?? p.default;
  for (const k of Object.keys(params)) {
    if (!a.params.some((p) => p.name === k)) throw new ApiError('bad-request', `${a.id} has no parameter '${k}'`);
  }
  return out;
}
