/**
 * Many impedance spectra in one file — EC-Lab writes one PEIS sweep per cycle or loop — split
 * into spectra and fitted in sequence with warm starts (fit.ts fitMany), giving each circuit
 * parameter against cycle, with its standard error: the parameter-vs-cycle plots of a cycling
 * study (e.g. interface resistance growing over 600 cycles).
 */
import type { ParamDescriptor } from '../../api/contract.js';
import type { Quantity } from '../../api/dataset.js';
import { fitMany, type Spectrum } from './fit.js';
import { DEFAULT_CIRCUIT, eisFitAnalysis, parseValueMap, spectrumFromColumns, type EisAnalysisOutput, type EisRunnableAnalysis, type InputColumn, type UnitArray } from './descriptors.js';

/**
 * Row ranges of the separate sweeps: by the file's cycle/loop column when present, else where the
 * frequency jumps back up (a new sweep starts at the high end again).
 */
export function splitSweeps(cols: Record<string, InputColumn>): { start: number; end: number; label: number }[] {
  const f = cols.freq?.values;
  if (!f) throw new Error("an EIS table needs a 'freq' column");
  const key = cols['cycle number']?.values ?? cols.loop?.values ?? cols['z cycle']?.values;
  const out: { start: number; end: number; label: number }[] = [];
  let start = 0;
  const boundary = (i: number) => (key ? key[i] !== key[i - 1] : f[i]! > f[i - 1]! * 1.5 && f[i - 1]! > 0);
  for (let i = 1; i <= f.length; i++) {
    if (i === f.length || boundary(i)) {
      if (i - start >= 3) out.push({ start, end: i, label: key ? key[start]! : out.length + 1 });
      start = i;
    }
  }
  return out;
}

function sliceCols(cols: Record<string, InputColumn>, a: number, b: number): Record<string, InputColumn> {
  const out: Record<string, InputColumn> = {};
  for (const [k, c] of Object.entries(cols)) out[k] = { units: c.units, values: c.values.subarray(a, b) };
  return out;
}

const BATCH_PARAMS: ParamDescriptor[] = [
  ...eisFitAnalysis.params.filter((p) => p.name !== 'initial'),
  { name: 'initial', label: 'Initial values (first spectrum)', type: 'string', default: '', help: 'Later spectra start from the previous fit.' },
];

export const eisBatchFitAnalysis: EisRunnableAnalysis = {
  id: 'eis.batch-fit',
  version: '1.0.0',
  label: 'Equivalent-circuit fit of every spectrum (parameters vs cycle)',
  modality: 'electrochemistry',
  inputKinds: ['table'],
  requiredColumns: [['freq'], ['Re(Z)'], ['-Im(Z)', 'Im(Z)']],
  params: BATCH_PARAMS,
  run(columns, params = {}): EisAnalysisOutput {
    const circuit = typeof params.circuit === 'string' && params.circuit.trim() ? params.circuit : DEFAULT_CIRCUIT;
    const sel = {
      fMin: typeof params.fMin === 'number' ? params.fMin : null,
      fMax: typeof params.fMax === 'number' ? params.fMax : null,
      dropInductive: params.dropInductive === true,
    };
    const sweeps = splitSweeps(columns);
    if (sweeps.length === 0) throw new Error('no impedance sweeps with at least 3 points');
    const spectra: Spectrum[] = sweeps.map((s) => spectrumFromColumns(sliceCols(columns, s.start, s.end), sel));
    const weighting = typeof params.weighting === 'string' ? params.weighting : 'modulus';
    const batch = fitMany(spectra, circuit, {
      initial: parseValueMap(params.initial, 'initial'),
      fixed: parseValueMap(params.fixed, 'fixed'),
      weighting: weighting as 'modulus',
    });
    const label = Float64Array.from(sweeps, (s) => s.label);
    const arrays: Record<string, UnitArray> = { cycle: { units: '', values: label } };
    const results: Record<string, Quantity> = { spectra: { value: sweeps.length, unit: '' } };
    for (const [name, p] of Object.entries(batch.parameters)) {
      arrays[name] = { units: p.unit, values: p.values };
      arrays[`${name} stdError`] = { units: p.unit, values: p.stdErrors };
      const last = p.values.length - 1;
      results[`${name} (first)`] = Number.isFinite(p.stdErrors[0]!) ? { value: p.values[0]!, unit: p.unit, uncertainty: p.stdErrors[0]! } : { value: p.values[0]!, unit: p.unit };
      results[`${name} (last)`] = Number.isFinite(p.stdErrors[last]!) ? { value: p.values[last]!, unit: p.unit, uncertainty: p.stdErrors[last]! } : { value: p.values[last]!, unit: p.unit };
    }
    arrays.chiSquare = { units: '', values: batch.chiSquare };
    results.convergedFits = { value: batch.fits.filter((f) => f.converged).length, unit: '' };
    return { results, arrays };
  },
};
