/**
 * Velox EMD structure → plain records (no normalisation here; see map-dataset.ts).
 *
 * Layout (observed in Velox v2.x files written as EMD "version" 7…13; Thermo Fisher publishes no
 * specification — see README.md):
 *   /Version                          vlen string JSON {"version": "11", "format": "Velox"}
 *   /Data/Image/<uuid>/Data           [y, x, frames] numeric, or a compound (re, im) for FFT/DPC
 *   /Data/Image/<uuid>/Metadata       uint8 [60000, frames]: one NUL-padded JSON per frame column
 *   /Data/Spectrum/<uuid>/Data        [channels, n] (single EDS spectra)
 *   /Data/EelsSpectrumImage/<uuid>/   Data [x, energy, y], AcquisitionMetadata (JSON per scan line)
 *   /Data/SpectrumStream/<uuid>/      Data uint16 [N, 1] event stream, AcquisitionSettings JSON,
 *                                     FrameLocationTable uint64 [frames, 1], Metadata
 *   /Data/SpectrumImage/<uuid>/       Velox's own SI cache (undocumented; not read)
 *   /Operations/<Type>/<uuid>         JSON processing graph (v < 11): names derived images
 *   /Displays/ImageDisplay/<uuid>     JSON {id, data → /SharedProperties/…/<uuid>} (v ≥ 11)
 */
import type { Dataset, Group } from 'h5wasm/node';
import type { MetaTree, MetaValue } from '../../api/dataset.js';
import { asText, h5TypeInfo, type H5TypeInfo, type Hdf5Handle } from '../hdf5/hdf5-file.js';

/** Largest Metadata column we parse (Velox writes 60000 bytes). */
const MAX_METADATA_BYTES = 16 << 20;

export interface VeloxArray {
  path: string;
  ds: Dataset;
  shape: number[];
  type: H5TypeInfo;
  /** Velox FFT images: compound members named *HalfEven/*HalfOdd hold the non-redundant half plane. */
  halfPlane: boolean;
}

export interface VeloxImage {
  kind: 'image';
  uuid: string;
  data: VeloxArray;
  metadata: MetaTree;
}

export interface VeloxSpectrum {
  kind: 'spectrum';
  uuid: string;
  data: VeloxArray;
  metadata: MetaTree;
}

export interface VeloxEels {
  kind: 'eels';
  uuid: string;
  data: VeloxArray;
  metadata: MetaTree;
  acquisition: MetaTree | null;
  /** BinaryResult of the matching /Data/SpectrumImage metadata (spatial calibration). */
  spatial: MetaTree | null;
}

export interface VeloxStream {
  uuid: string;
  data: Dataset;
  length: number;
  metadata: MetaTree;
  settings: MetaTree;
  frames: number;
}

export interface VeloxFile {
  version: string;
  images: VeloxImage[];
  spectra: VeloxSpectrum[];
  eels: VeloxEels[];
  streams: VeloxStream[];
  /** Title of /Data/Image/<uuid> derived from the processing graph or display list. */
  titles: Map<string, string>;
  /** Element symbols selected for EDS quantification, in file order. */
  elements: string[] | null;
  warnings: string[];
}

export function isObject(v: MetaValue | undefined): v is { [k: string]: MetaValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Walk a dotted path through a JSON tree. */
export function at(tree: MetaValue | undefined, path: string): MetaValue | undefined {
  let cur: MetaValue | undefined = tree;
  for (const k of path.split('.')) {
    if (!isObject(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

export function num(tree: MetaValue | undefined, path: string): number | undefined {
  const v = at(tree, path);
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

export function str(tree: MetaValue | undefined, path: string): string | undefined {
  const v = at(tree, path);
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function parseJson(h: Hdf5Handle, text: string, where: string): MetaTree {
  try {
    const v = JSON.parse(text) as MetaValue;
    if (!isObject(v)) throw new Error('not an object');
    return v;
  } catch (e) {
    throw h.fail(`a JSON object in ${where} (${(e as Error).message})`);
  }
}

/** A vlen/fixed string dataset holding one JSON document. */
export function readJsonString(h: Hdf5Handle, path: string): MetaTree | null {
  const ds = h.dataset(path);
  if (!ds) return null;
  const text = asText(h.call(`a JSON string in ${path}`, () => ds.value));
  if (text === null) throw h.fail(`a string in ${path}`);
  return parseJson(h, text, path);
}

/** Column `col` of a uint8 [bytes, columns] JSON table (Velox Metadata / AcquisitionMetadata). */
export function readJsonColumn(h: Hdf5Handle, path: string, col = 0): MetaTree | null {
  const ds = h.dataset(path);
  if (!ds) return null;
  const meta = h.call(`metadata of ${path}`, () => ds.metadata);
  const shape = meta.shape ?? [];
  if (meta.type !== 0 || meta.size !== 1 || shape.length !== 2 || shape[0]! > MAX_METADATA_BYTES || col >= shape[1]!) {
    throw h.fail(`${path} as uint8 [bytes ≤ ${MAX_METADATA_BYTES}, columns > ${col}] (got ${JSON.stringify(shape)}, class ${meta.type}, size ${meta.size})`);
  }
  const bytes = h.call(`JSON bytes of ${path}`, () => ds.slice([[0, shape[0]!], [col, col + 1]])) as Uint8Array;
  let end = bytes.indexOf(0);
  if (end < 0) end = bytes.length;
  return parseJson(h, new TextDecoder().decode(bytes.subarray(0, end)), `${path}[:, ${col}]`);
}

function arrayAt(h: Hdf5Handle, path: string): VeloxArray | string {
  const ds = h.dataset(path);
  if (!ds) return `${path}: missing`;
  const meta = h.call(`the datatype of ${path}`, () => ds.metadata);
  const shape = meta.shape ?? [];
  const type = h5TypeInfo(meta as Parameters<typeof h5TypeInfo>[0]);
  if (!type) return `${path}: datatype ${JSON.stringify(h.call('dtype', () => ds.dtype))} has no numeric representation; skipped`;
  if (shape.some((s) => !Number.isInteger(s) || s < 0)) return `${path}: invalid shape ${JSON.stringify(shape)}; skipped`;
  const halfPlane = type.complex && /Half(Even|Odd)/.test(JSON.stringify(h.call('dtype', () => ds.dtype)));
  return { path, ds, shape, type, halfPlane };
}

/** Atomic numbers 1–103 → symbols (for elementSelection lists). */
const ELEMENTS = (
  'H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se Br Kr ' +
  'Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm Yb ' +
  'Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu Am Cm Bk Cf Es Fm Md No Lr'
).split(' ');

function groupKeys(h: Hdf5Handle, path: string): string[] {
  const g = h.group(path);
  return g ? h.keys(g) : [];
}

/** Is this HDF5 file a Velox EMD? (/Version JSON with a version and a /Data group.) */
export function veloxVersion(h: Hdf5Handle): string | null {
  const ds = h.dataset('/Version');
  if (!ds || !h.group('/Data')) return null;
  let text: string | null;
  try {
    text = asText(h.call('/Version', () => ds.value));
  } catch {
    return null;
  }
  if (text === null) return null;
  try {
    const v = JSON.parse(text) as MetaValue;
    const ver = at(v, 'version');
    return typeof ver === 'string' || typeof ver === 'number' ? String(ver) : null;
  } catch {
    return null;
  }
}

/**
 * Names of derived images from the processing graph (/Operations, Velox < 11). Each operation is
 * a JSON with the image it wrote (`dataPath`, `imageOutputPath`) and `outputs` that feed other
 * operations with an `inputIndex`; a name is built from the operation type and, for arithmetic,
 * the names of its inputs (DF4-B − DF4-D → "B-D").
 */
function operationTitles(h: Hdf5Handle, titles: Map<string, string>): void {
  const ops = new Map<string, { type: string; json: MetaTree }>();
  for (const type of groupKeys(h, '/Operations')) {
    const g = h.group(`/Operations/${type}`);
    if (!g) continue;
    for (const id of h.keys(g)) {
      const json = readJsonString(h, `/Operations/${type}/${id}`);
      if (json) ops.set(`/Operations/${type}/${id}`, { type, json });
    }
  }
  const inputs = new Map<string, string[]>();
  for (const [path, op] of ops) {
    const outs = op.json.outputs;
    if (!Array.isArray(outs)) continue;
    for (const o of outs) {
      const target = str(o, 'operation');
      const idx = num(o, 'inputIndex') ?? 0;
      if (!target) continue;
      const list = inputs.get(target) ?? [];
      list[idx] = path;
      inputs.set(target, list);
    }
  }
  const nameOf = (path: string, depth: number): string | undefined => {
    const op = ops.get(path);
    if (!op || depth > 16) return undefined;
    const j = op.json;
    const first = (): string | undefined => {
      const ins = inputs.get(path);
      return ins?.[0] ? nameOf(ins[0], depth + 1) : undefined;
    };
    switch (op.type) {
      case 'CameraInputOperation':
        return str(j, 'cameraName');
      case 'StemInputOperation':
        return str(j, 'detector');
      case 'DpcOperation':
        return 'DPC';
      case 'SurfaceReconstructionOperation':
        return str(j, 'integrationMode') === 'true' ? 'iDPC' : 'dDPC';
      case 'IntegrationOperation':
        return 'DCFI';
      case 'FftOperation': {
        const src = first();
        return src ? `FFT of ${src}` : 'FFT';
      }
      case 'MathematicsOperation': {
        const names = (inputs.get(path) ?? []).map((p) => (p ? nameOf(p, depth + 1) : undefined));
        const sym: Record<string, string> = { Subtraction: '-', Addition: '+', Multiplication: '×', Division: '/' };
        const mode = str(j, 'mathematicsMode') ?? 'Mathematics';
        if (names.length === 2 && names[0] && names[1] && sym[mode]) {
          let [a, b] = [names[0], names[1]];
          // Segments of one detector share its name: "DF4-B" − "DF4-D" is written "B-D".
          const cut = Math.max(a.lastIndexOf('-'), 0);
          if (cut > 0 && b.startsWith(a.slice(0, cut + 1))) [a, b] = [a.slice(cut + 1), b.slice(cut + 1)];
          return `${a}${sym[mode]}${b}`;
        }
        return mode;
      }
      default:
        return first();
    }
  };
  for (const [path, op] of ops) {
    const j = op.json;
    const written: [string | undefined, (n: string) => string][] = [
      [str(j, 'dataPath'), (n) => (op.type === 'SurfaceReconstructionOperation' && str(j, 'enableFilter') === 'true' ? `Filtered ${n}` : n)],
      [str(j, 'unfilteredDataPath'), (n) => n],
      [str(j, 'imageOutputPath'), (n) => n],
    ];
    for (const [target, decorate] of written) {
      if (!target || !target.startsWith('/Data/Image/')) continue;
      const name = nameOf(path, 0);
      if (name) titles.set(target.slice('/Data/Image/'.length), decorate(name));
    }
  }
}

/** v ≥ 11: /Displays/ImageDisplay/<id> → {id: label, data: path of a JSON with dataPath}. */
function displayTitles(h: Hdf5Handle, titles: Map<string, string>): void {
  for (const id of groupKeys(h, '/Displays/ImageDisplay')) {
    const d = readJsonString(h, `/Displays/ImageDisplay/${id}`);
    const ref = str(d ?? undefined, 'data');
    const label = str(d ?? undefined, 'id');
    if (!ref || !label || !ref.startsWith('/')) continue;
    const target = str(readJsonString(h, ref) ?? undefined, 'dataPath');
    if (!target?.startsWith('/Data/Image/')) continue;
    const uuid = target.slice('/Data/Image/'.length);
    if (!titles.has(uuid)) titles.set(uuid, label);
  }
}

function selectedElements(h: Hdf5Handle): string[] | null {
  for (const base of ['/SharedProperties/EDSSpectrumQuantificationSettings', '/Operations/ImageQuantificationOperation']) {
    for (const id of groupKeys(h, base)) {
      const sel = at(readJsonString(h, `${base}/${id}`) ?? undefined, 'elementSelection');
      if (Array.isArray(sel)) return sel.map((z) => ELEMENTS[Number(z) - 1] ?? `Z${String(z)}`);
    }
  }
  return null;
}

export function parseVelox(h: Hdf5Handle, version: string): VeloxFile {
  const out: VeloxFile = { version, images: [], spectra: [], eels: [], streams: [], titles: new Map(), elements: null, warnings: [] };
  const warn = (w: string): void => {
    out.warnings.push(w);
  };

  for (const uuid of groupKeys(h, '/Data/Image')) {
    const a = arrayAt(h, `/Data/Image/${uuid}/Data`);
    if (typeof a === 'string') {
      warn(a);
      continue;
    }
    if (a.shape.length !== 3 && a.shape.length !== 2) {
      warn(`${a.path}: expected [y, x, frames], got ${JSON.stringify(a.shape)}; skipped`);
      continue;
    }
    out.images.push({ kind: 'image', uuid, data: a, metadata: readJsonColumn(h, `/Data/Image/${uuid}/Metadata`) ?? {} });
  }

  for (const uuid of groupKeys(h, '/Data/Spectrum')) {
    const a = arrayAt(h, `/Data/Spectrum/${uuid}/Data`);
    if (typeof a === 'string') {
      warn(a);
      continue;
    }
    if (a.shape.length !== 2 && a.shape.length !== 1) {
      warn(`${a.path}: expected [channels, n], got ${JSON.stringify(a.shape)}; skipped`);
      continue;
    }
    out.spectra.push({ kind: 'spectrum', uuid, data: a, metadata: readJsonColumn(h, `/Data/Spectrum/${uuid}/Metadata`) ?? {} });
  }

  const siKeys = groupKeys(h, '/Data/SpectrumImage');
  const siMeta = siKeys.length ? readJsonColumn(h, `/Data/SpectrumImage/${siKeys[0]}/Metadata`) : null;
  for (const uuid of groupKeys(h, '/Data/EelsSpectrumImage')) {
    const base = `/Data/EelsSpectrumImage/${uuid}`;
    const a = arrayAt(h, `${base}/Data`);
    if (typeof a === 'string') {
      warn(a);
      continue;
    }
    if (a.shape.length !== 3 && a.shape.length !== 2) {
      warn(`${a.path}: expected [x, energy, y] or [x, energy], got ${JSON.stringify(a.shape)}; skipped`);
      continue;
    }
    const spatial = siMeta && isObject(siMeta.BinaryResult) ? siMeta.BinaryResult : null;
    out.eels.push({ kind: 'eels', uuid, data: a, metadata: readJsonColumn(h, `${base}/Metadata`) ?? {}, acquisition: readJsonColumn(h, `${base}/AcquisitionMetadata`), spatial });
  }

  for (const uuid of groupKeys(h, '/Data/SpectrumStream')) {
    const base = `/Data/SpectrumStream/${uuid}`;
    const ds = h.dataset(`${base}/Data`);
    if (!ds) {
      warn(`${base}: no Data; skipped`);
      continue;
    }
    const meta = h.call(`the datatype of ${base}/Data`, () => ds.metadata);
    const shape = meta.shape ?? [];
    if (meta.type !== 0 || meta.size !== 2 || meta.signed || shape.length !== 2 || shape[1] !== 1) {
      throw h.fail(`${base}/Data as uint16 [N, 1] (got class ${meta.type} size ${meta.size}, shape ${JSON.stringify(shape)})`);
    }
    const settings = readJsonString(h, `${base}/AcquisitionSettings`);
    if (!settings) throw h.fail(`${base}/AcquisitionSettings (JSON with bincount)`);
    const flt = h.dataset(`${base}/FrameLocationTable`);
    const fshape = flt ? (h.call('FrameLocationTable shape', () => flt.shape) ?? []) : [];
    out.streams.push({ uuid, data: ds, length: shape[0]!, metadata: readJsonColumn(h, `${base}/Metadata`) ?? {}, settings, frames: fshape[0] ?? 1 });
  }
  if (siKeys.length && out.streams.length === 0) {
    warn('the EDS spectrum image is stored only in Velox\'s proprietary SpectrumImage cache (file "pruned" or converted); it is not read');
  }

  operationTitles(h, out.titles);
  displayTitles(h, out.titles);
  out.elements = selectedElements(h);
  return out;
}

export type { Group };
