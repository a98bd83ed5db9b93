/**
 * Berkeley EMD / EMD 1.0 records → DatasetEntry.
 *
 * Axes from dims (C order = dim1…dimN, or dim0…dimN-1):
 * - a full coordinate vector (length = axis size) that is evenly spaced (float32 tolerance)
 *   → scale/offset; unevenly spaced → `values`;
 * - a two-element vector on an axis of another length → [offset, offset + scale] (the short form
 *   HyperSpy and ncempy write);
 * - a scalar dim, a one-element vector, string labels or a missing dim → index axis (scale 1),
 *   with a warning where information was dropped.
 * Units: EMD v0.2 writes SI prefixes with an underscore and dimensionless as "[]" ("n_m" = nm);
 * emdfile writes "A^-1" for 1/Å. Both are normalised; anything else is passed through.
 */
import type { Axis, DatasetEntry, DatasetKind, MetaTree, NormalisedMetadata } from '../../api/dataset.js';
import { toMeta, type EmdArray, type EmdDim, type EmdFile } from './parse-emd.js';

/** Relative spacing tolerance for "uniform": float32 coordinates carry ~7 significant digits. */
const UNIFORM_RTOL = 1e-4;

export function normaliseEmdUnits(u: string): string {
  let s = u.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  if (/^[a-zA-Zµμ]_[a-zA-Z]+$/.test(s)) s = s.replace('_', '');
  const recip = /^(.*)\^-1$/.exec(s);
  if (recip) s = `1/${recip[1] === 'A' ? 'Å' : recip[1]}`;
  if (s === '1/A') s = '1/Å';
  return s;
}

function axisFromDim(dim: EmdDim | null, size: number, index: number, navigate: boolean, warnings: string[]): Axis {
  const name = dim?.name || `dim${index}`;
  const units = normaliseEmdUnits(dim?.units ?? '');
  const base: Axis = { name, units, size, scale: 1, offset: 0, navigate };
  if (!dim) {
    warnings.push(`axis ${index}: no dim dataset; index axis`);
    return base;
  }
  if (dim.labels) {
    warnings.push(`axis ${index} (${dim.path}): string-valued dim (${dim.labels.slice(0, 8).join(', ')}${dim.labels.length > 8 ? ', …' : ''}); index axis`);
    return base;
  }
  const v = dim.values;
  if (!v || dim.scalar || v.length === 0) return base;
  if (v.length === size && size >= 2) {
    const scale = (v[size - 1]! - v[0]!) / (size - 1);
    let uniform = scale !== 0;
    for (let i = 1; i < size && uniform; i++) {
      if (Math.abs(v[i]! - v[i - 1]! - scale) > UNIFORM_RTOL * Math.abs(scale)) uniform = false;
    }
    // The first step is what the writer put down (value[1] − value[0]); the mean step hides
    // float32 rounding of large coordinates, so prefer the first when it agrees.
    if (uniform) return { ...base, scale: v[1]! - v[0]!, offset: v[0]! };
    return { name, units, size, values: v.slice(), navigate };
  }
  if (v.length === 2) return { ...base, scale: v[1]! - v[0]!, offset: v[0]! };
  if (v.length === 1 || v.length === size) return { ...base, offset: v[0]! };
  warnings.push(`axis ${index} (${dim.path}): ${v.length} coordinates for ${size} points; index axis`);
  return base;
}

function kindAndNavigation(a: EmdArray): { kind: DatasetKind; navigate: boolean[] } {
  const nd = a.shape.length;
  const recordBy = typeof a.attrs.record_by === 'string' ? a.attrs.record_by : '';
  const cls = typeof a.attrs.python_class === 'string' ? a.attrs.python_class : '';
  if (nd === 1) return { kind: 'spectrum', navigate: [false] };
  if (nd === 2) return { kind: recordBy === 'spectrum' ? 'spectrum' : 'image', navigate: recordBy === 'spectrum' ? [true, false] : [false, false] };
  if (nd === 3) {
    if (recordBy === 'spectrum') return { kind: 'spectrum-image', navigate: [true, true, false] };
    return { kind: 'image-stack', navigate: [true, false, false] };
  }
  if (nd === 4 || cls === 'DataCube') return { kind: 'diffraction-4d', navigate: a.shape.map((_, i) => i < nd - 2) };
  return { kind: 'other', navigate: a.shape.map(() => false) };
}

/** Normalised metadata from the microscope group (what it states; units as NCEM writes them). */
export function normaliseEmdMetadata(file: EmdFile): NormalisedMetadata {
  const m: NormalisedMetadata = {};
  const extra: NonNullable<NormalisedMetadata['extra']> = {};
  const mic = file.metadata.microscope;
  if (mic && typeof mic === 'object' && !Array.isArray(mic)) {
    const n = (k: string): number | undefined => (typeof mic[k] === 'number' && Number.isFinite(mic[k]) ? (mic[k] as number) : undefined);
    const s = (k: string): string | undefined => (typeof mic[k] === 'string' && mic[k] !== '' ? (mic[k] as string) : undefined);
    m.instrument = s('name');
    // NCEM writes "high tension" in volts; HyperSpy-written files a "voltage" string such as "300kV".
    const ht = n('high tension');
    if (ht !== undefined && ht > 0) m.beamEnergy = { value: ht / 1000, unit: 'kV' };
    const volt = s('voltage');
    const vm = volt ? /^\s*([0-9.eE+-]+)\s*(k?V)\s*$/.exec(volt) : null;
    if (!m.beamEnergy && vm) m.beamEnergy = { value: Number(vm[1]) / (vm[2] === 'V' ? 1000 : 1), unit: 'kV' };
    const mag = n('magnification');
    if (mag !== undefined && mag > 0) m.magnification = { value: mag, unit: '×' };
    const dwell = n('dwell time');
    if (dwell !== undefined) extra.dwellTime = { value: dwell, unit: 's' };
    const binning = n('binning');
    if (binning !== undefined) extra.binning = binning;
  }
  if (Object.keys(extra).length) m.extra = extra;
  for (const k of Object.keys(m) as (keyof NormalisedMetadata)[]) if (m[k] === undefined) delete m[k];
  return m;
}

export function mapEmdArray(a: EmdArray, file: EmdFile): DatasetEntry {
  const warnings: string[] = [];
  const n = a.shape.length;
  // Public axis i ↔ stored axis axisMap[i] (reversed for HyperSpy-written files).
  const axisMap = a.shape.map((_, i) => (a.transposed ? n - 1 - i : i));
  const shape = axisMap.map((s) => a.shape[s]!);
  const { kind, navigate } = kindAndNavigation({ ...a, shape });
  const axes = axisMap.map((s, i) => axisFromDim(a.dims[s] ?? null, a.shape[s]!, s, navigate[i]!, warnings));
  if (a.transposed) warnings.push('written by HyperSpy (array stored transposed); presented in the writer\'s axis order');
  const title = a.group.split('/').pop() || a.group;
  const metadata: NormalisedMetadata = { ...normaliseEmdMetadata(file), title };
  const groupAttrs: MetaTree = {};
  for (const [k, v] of Object.entries(a.attrs)) groupAttrs[k] = toMeta(v);
  const dataAttrs: MetaTree = {};
  for (const [k, v] of Object.entries(a.dataAttrs)) dataAttrs[k] = toMeta(v);
  const rootAttrs: MetaTree = {};
  for (const [k, v] of Object.entries(file.rootAttrs)) rootAttrs[k] = toMeta(v);
  const original: MetaTree = {
    flavour: a.flavour,
    root: rootAttrs,
    group: groupAttrs,
    data: dataAttrs,
    dims: a.dims.map((d) => (d ? { path: d.path, name: d.name, units: d.units } : null)),
    transposed: a.transposed,
    ...file.metadata,
  };
  if (a.type.complex) warnings.push(`complex data (${a.type.dtype})`);
  return { entry: a.group.replace(/^\//, ''), kind, title, dtype: a.type.dtype, shape, axes, metadata, original, warnings };
}
