/**
 * Berkeley EMD / EMD 1.0 structure → plain records.
 *
 * EMD v0.2 (emdatasets.com, "EMD specification"): root attributes version_major/version_minor; a
 * data group is any group with attribute emd_group_type = 1 holding `data` (N-D) and `dim1`…`dimN`
 * (one per data axis, slowest first) with string attributes `name` and `units`. A dim is the
 * coordinate vector of its axis; writers also store only [first, second] (HyperSpy, ncempy) or a
 * scalar (the axis length, no calibration). Root groups microscope/sample/user/comments carry
 * attributes.
 * EMD 1.0 (emdfile, used by py4DSTEM ≥ 0.14): root emd_group_type = 'file'; arrays are groups with
 * emd_group_type = 'array' holding `data` and `dim0`…`dimN-1` (zero-based), same name/units
 * attributes; metadata in sibling groups tagged 'metadatabundle'/'metadata' (scalar datasets).
 */
import type { Dataset, Group } from 'h5wasm/node';
import type { MetaTree, MetaValue } from '../../api/dataset.js';
import { asText, h5TypeInfo, isDataset, isGroup, type H5TypeInfo, type Hdf5Handle } from '../hdf5/hdf5-file.js';

/** Bounds on the walk: real files have a handful of groups. */
const MAX_GROUPS = 10000;
const MAX_DEPTH = 32;
/** Coordinate vectors longer than this are not read (an axis that long is not a calibration). */
const MAX_DIM_VALUES = 1 << 24;
/** Metadata datasets larger than this stay out of `original`. */
const MAX_META_ELEMENTS = 4096;

export interface EmdDim {
  path: string;
  name: string;
  units: string;
  /** Numeric coordinates as stored (null when absent or not numeric). */
  values: number[] | null;
  /** String-valued dims (labels). */
  labels: string[] | null;
  /** A scalar dim (the axis length only). */
  scalar: boolean;
}

export interface EmdArray {
  group: string;
  ds: Dataset;
  shape: number[];
  type: H5TypeInfo;
  flavour: 'emd-0.2' | 'emd-1.0';
  attrs: Record<string, unknown>;
  dims: (EmdDim | null)[];
  /** Attributes of the data dataset (EMD 1.0 writes `units` there). */
  dataAttrs: Record<string, unknown>;
  /**
   * Written by HyperSpy/RosettaSciIO, whose EMD writer stores the array transposed (axis order
   * reversed, dim1 = its last axis) and whose reader transposes back: the array is presented in
   * the writer's order. Recognised by the HyperSpy signal attributes on the group.
   */
  transposed: boolean;
}

export interface EmdFile {
  rootAttrs: Record<string, unknown>;
  arrays: EmdArray[];
  /** Root metadata groups (microscope, sample, user, comments) and EMD 1.0 metadata bundles. */
  metadata: MetaTree;
  warnings: string[];
}

function toMeta(v: unknown): MetaValue {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(toMeta);
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number | bigint>, (x) => Number(x));
  return String(v);
}

function metaAttrs(a: Record<string, unknown>): MetaTree {
  const out: MetaTree = {};
  for (const [k, v] of Object.entries(a)) out[k] = toMeta(v);
  return out;
}

/** An attribute as text (fixed/variable strings, one-element arrays). */
export function attrText(v: unknown): string | null {
  const t = asText(v);
  return t === null ? null : t;
}

function isEmdGroupType(v: unknown): 'emd-0.2' | 'emd-1.0' | null {
  if (v === 1 || v === '1' || (Array.isArray(v) && v[0] === 1)) return 'emd-0.2';
  if (v === 'array') return 'emd-1.0';
  return null;
}

function readDim(h: Hdf5Handle, g: Group, name: string): EmdDim | null {
  const path = `${g.path === '/' ? '' : g.path}/${name}`;
  const ds = h.dataset(path);
  if (!ds) return null;
  const attrs = h.attrs(ds);
  const meta = h.call(`the datatype of ${path}`, () => ds.metadata);
  const shape = meta.shape ?? [];
  const dim: EmdDim = { path, name: attrText(attrs.name) ?? '', units: attrText(attrs.units) ?? '', values: null, labels: null, scalar: shape.length === 0 };
  const n = shape.reduce((a, b) => a * b, 1);
  if (n > MAX_DIM_VALUES || shape.length > 1) return dim;
  if (meta.type === 3) {
    const v = h.call(`the labels in ${path}`, () => ds.value);
    dim.labels = Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : null;
    return dim;
  }
  if (meta.type !== 0 && meta.type !== 1) return dim;
  const v = h.call(`the coordinates in ${path}`, () => ds.value);
  if (typeof v === 'number' || typeof v === 'bigint') dim.values = [Number(v)];
  else if (ArrayBuffer.isView(v)) dim.values = Array.from(v as unknown as ArrayLike<number | bigint>, (x) => Number(x));
  return dim;
}

/** Scalar/small datasets of an EMD 1.0 metadata group, as JSON. */
function readMetadataGroup(h: Hdf5Handle, g: Group, depth: number): MetaTree {
  const out: MetaTree = {};
  for (const k of h.keys(g)) {
    const child = h.get(`${g.path === '/' ? '' : g.path}/${k}`);
    if (isGroup(child) && depth < 8) out[k] = readMetadataGroup(h, child, depth + 1);
    else if (isDataset(child)) {
      const ds = child;
      const meta = h.call(`metadata ${ds.path}`, () => ds.metadata);
      if ((meta.total_size ?? 0) <= MAX_META_ELEMENTS) {
        const v = h.call(`metadata value ${ds.path}`, () => ds.json_value);
        out[k] = toMeta(v);
      }
    }
  }
  return out;
}

export function parseEmd(h: Hdf5Handle): EmdFile {
  const root = h.file as unknown as Group;
  const out: EmdFile = { rootAttrs: h.attrs(root), arrays: [], metadata: {}, warnings: [] };
  let visited = 0;
  const walk = (g: Group, depth: number): void => {
    if (++visited > MAX_GROUPS) throw h.fail(`at most ${MAX_GROUPS} groups`);
    const attrs = depth === 0 ? out.rootAttrs : h.attrs(g);
    const flavour = depth === 0 ? null : isEmdGroupType(attrs.emd_group_type);
    const base = g.path === '/' ? '' : g.path;
    if (flavour) {
      const ds = h.dataset(`${base}/data`);
      if (!ds) out.warnings.push(`${g.path}: emd_group_type set but no 'data'; skipped`);
      else {
        const meta = h.call(`the datatype of ${ds.path}`, () => ds.metadata);
        const shape = meta.shape ?? [];
        const type = h5TypeInfo(meta as Parameters<typeof h5TypeInfo>[0]);
        if (!type) out.warnings.push(`${ds.path}: datatype ${JSON.stringify(h.call('dtype', () => ds.dtype))} has no numeric representation; skipped`);
        else {
          const first = h.dataset(`${base}/dim0`) ? 0 : 1;
          const dims = shape.map((_, i) => readDim(h, g, `dim${i + first}`));
          const transposed = flavour === 'emd-0.2' && ('record_by' in attrs || 'signal_type' in attrs);
          out.arrays.push({ group: g.path, ds, shape, type, flavour, attrs, dims, dataAttrs: h.attrs(ds), transposed });
        }
      }
    }
    if (depth >= MAX_DEPTH) return;
    for (const k of h.keys(g)) {
      const child = h.get(`${base}/${k}`);
      if (!isGroup(child)) continue;
      const cg = child;
      const cattrs = h.attrs(cg);
      if (depth === 0 && ['microscope', 'sample', 'user', 'comments', 'stage'].includes(k)) out.metadata[k] = metaAttrs(cattrs);
      if (cattrs.emd_group_type === 'metadatabundle') {
        out.metadata[cg.path.slice(1)] = readMetadataGroup(h, cg, 0);
        continue;
      }
      walk(cg, depth + 1);
    }
  };
  walk(root, 0);
  return out;
}

export { metaAttrs, toMeta };
