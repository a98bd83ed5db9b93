/**
 * derived/: analysis outputs as HDF5 following NeXus NXdata conventions (DESIGN.md "The project on
 * disk": "derived/ analysis outputs as HDF5 (NeXus NXdata conventions) — h5py and H5Web open them").
 *
 * Layout written (NeXus v2024 base classes NXroot/NXentry/NXdata/NXprocess/NXnote):
 *
 *   /                      @NX_class=NXroot @default=entry @creator=Interphase @file_time @file_name
 *   /entry                 @NX_class=NXentry @default=<first data group>   title
 *   /entry/<group>         @NX_class=NXdata @signal=<name> @axes=[<axis>|'.', ...] @<axis>_indices=i
 *   /entry/<group>/<name>  the signal, @units @long_name;  <name>_errors: one std. uncertainty, @units
 *   /entry/<group>/<axis>  1-D coordinate per signal dimension (length n, or n+1 for bin edges), @units
 *   /entry/process         @NX_class=NXprocess   program, version, date
 *   /entry/process/provenance  @NX_class=NXnote  type='application/json', data=<Provenance as JSON>
 *
 * `@default` chains let H5Web and NeXus viewers open the plot directly; `@axes` as a string array
 * with `@<axis>_indices` is the NIAC 2014 form that h5py/nexpy/silx read.
 *
 * Atomicity: h5wasm's Node build writes through to the real file system, so the file is written
 * under a temp name in derived/, closed, fsync'ed and renamed (atomic-write.ts), never in place.
 */
import h5wasm from 'h5wasm/node';
import { basename } from 'node:path';
import { ApiError } from '../api/contract.js';
import { commitTempFile, tempPathFor } from './atomic-write.js';
import { unlink } from 'node:fs/promises';

export type NumericArray =
  | Float64Array
  | Float32Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

export interface DerivedField {
  /** HDF5/NeXus-safe name: [A-Za-z_][A-Za-z0-9_]*. */
  name: string;
  data: NumericArray;
  /** C-order shape; default [data.length]. */
  shape?: number[];
  units: string;
  longName?: string;
  /** One standard uncertainty per element, same units (written as <name>_errors). */
  errors?: Float64Array | Float32Array;
}

export interface DerivedDataGroup {
  name: string;
  signal: DerivedField;
  /** One entry per signal dimension (slowest first); null where a dimension has no coordinate. */
  axes: (DerivedField | null)[];
  /** Further fields in the group (e.g. fit residuals), not plotted by default. */
  auxiliary?: DerivedField[];
}

export interface DerivedContent {
  title: string;
  groups: DerivedDataGroup[];
  /** Usually a Provenance (project-types.ts); stored as JSON text. */
  provenance: unknown;
  appVersion: string;
}

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

function bad(message: string): ApiError {
  return new ApiError('bad-request', `derived HDF5: ${message}`);
}

function shapeOf(f: DerivedField): number[] {
  const shape = f.shape ?? [f.data.length];
  let n = 1;
  for (const s of shape) {
    if (!Number.isInteger(s) || s < 0) throw bad(`${f.name}: invalid shape ${JSON.stringify(shape)}`);
    n *= s;
  }
  if (n !== f.data.length) throw bad(`${f.name}: shape ${JSON.stringify(shape)} needs ${n} values, got ${f.data.length}`);
  return shape;
}

function checkContent(c: DerivedContent): void {
  if (c.groups.length === 0) throw bad('at least one data group is required');
  const groupNames = new Set<string>();
  for (const g of c.groups) {
    if (!NAME_RE.test(g.name) || g.name === 'process') throw bad(`invalid group name ${JSON.stringify(g.name)}`);
    if (groupNames.has(g.name)) throw bad(`duplicate group ${g.name}`);
    groupNames.add(g.name);
    const shape = shapeOf(g.signal);
    if (g.axes.length !== shape.length) throw bad(`${g.name}: ${shape.length}-D signal needs ${shape.length} axes entries (null for none)`);
    const names = new Set<string>();
    const fields = [g.signal, ...g.axes.filter((a): a is DerivedField => a !== null), ...(g.auxiliary ?? [])];
    for (const f of fields) {
      if (!NAME_RE.test(f.name)) throw bad(`invalid field name ${JSON.stringify(f.name)}`);
      if (names.has(f.name) || names.has(`${f.name}_errors`)) throw bad(`${g.name}: duplicate field ${f.name}`);
      names.add(f.name);
      if (f.errors) {
        if (f.errors.length !== f.data.length) throw bad(`${f.name}_errors: length ${f.errors.length} != ${f.data.length}`);
        names.add(`${f.name}_errors`);
      }
      shapeOf(f);
    }
    g.axes.forEach((a, dim) => {
      if (!a) return;
      const s = shapeOf(a);
      const n = shape[dim] ?? 0;
      if (s.length !== 1 || (s[0] !== n && s[0] !== n + 1)) {
        throw bad(`${g.name}/${a.name}: axis for dimension ${dim} must be 1-D of length ${n} (or ${n + 1} bin edges)`);
      }
    });
  }
}

type H5Group = InstanceType<typeof h5wasm.Group>;

function writeField(group: H5Group, f: DerivedField): void {
  const ds = group.create_dataset({ name: f.name, data: f.data, shape: shapeOf(f) });
  ds.create_attribute('units', f.units);
  if (f.longName) ds.create_attribute('long_name', f.longName);
  if (f.errors) {
    const es = group.create_dataset({ name: `${f.name}_errors`, data: f.errors, shape: shapeOf(f) });
    es.create_attribute('units', f.units);
  }
}

/** Write (atomically) an NXroot/NXentry/NXdata file at `path`. */
export async function writeDerived(path: string, content: DerivedContent): Promise<void> {
  checkContent(content);
  await h5wasm.ready;
  const temp = tempPathFor(path);
  try {
    const file = new h5wasm.File(temp, 'w');
    try {
      file.create_attribute('NX_class', 'NXroot');
      file.create_attribute('default', 'entry');
      file.create_attribute('creator', 'Interphase');
      file.create_attribute('creator_version', content.appVersion);
      file.create_attribute('file_name', basename(path));
      file.create_attribute('file_time', new Date().toISOString());
      const entry = file.create_group('entry');
      entry.create_attribute('NX_class', 'NXentry');
      entry.create_attribute('default', content.groups[0]!.name);
      entry.create_dataset({ name: 'title', data: content.title });
      for (const g of content.groups) {
        const group = entry.create_group(g.name);
        group.create_attribute('NX_class', 'NXdata');
        group.create_attribute('signal', g.signal.name);
        group.create_attribute('axes', g.axes.map((a) => (a ? a.name : '.')));
        writeField(group, g.signal);
        g.axes.forEach((a, dim) => {
          if (!a) return;
          group.create_attribute(`${a.name}_indices`, dim);
          writeField(group, a);
        });
        for (const f of g.auxiliary ?? []) writeField(group, f);
      }
      const process = entry.create_group('process');
      process.create_attribute('NX_class', 'NXprocess');
      process.create_dataset({ name: 'program', data: 'Interphase' });
      process.create_dataset({ name: 'version', data: content.appVersion });
      process.create_dataset({ name: 'date', data: new Date().toISOString() });
      const note = process.create_group('provenance');
      note.create_attribute('NX_class', 'NXnote');
      note.create_dataset({ name: 'type', data: 'application/json' });
      note.create_dataset({ name: 'data', data: JSON.stringify(content.provenance ?? null) });
    } finally {
      file.close();
    }
    await commitTempFile(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    if (err instanceof ApiError) throw err;
    throw new ApiError('io-error', `cannot write ${path}: ${(err as Error).message}`, { path });
  }
}

export interface ReadField {
  name: string;
  shape: number[];
  data: unknown;
  attrs: Record<string, unknown>;
}

export interface ReadDataGroup {
  name: string;
  attrs: Record<string, unknown>;
  fields: Record<string, ReadField>;
}

export interface ReadDerivedResult {
  rootAttrs: Record<string, unknown>;
  entryAttrs: Record<string, unknown>;
  title: string;
  groups: ReadDataGroup[];
  provenance: unknown;
}

function attrsOf(obj: { attrs: Record<string, { json_value: unknown }> }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, a] of Object.entries(obj.attrs)) out[k] = a.json_value;
  return out;
}

function readString(group: H5Group, name: string): string {
  const ds = group.get(name);
  if (!(ds instanceof h5wasm.Dataset)) throw new ApiError('bad-request', `missing dataset ${group.path}/${name}`);
  return String(ds.json_value);
}

/** Read back a file written by writeDerived (used by tests and by re-opening results). */
export async function readDerived(path: string): Promise<ReadDerivedResult> {
  await h5wasm.ready;
  const file = new h5wasm.File(path, 'r');
  try {
    const entry = file.get('entry');
    if (!(entry instanceof h5wasm.Group)) throw new ApiError('bad-request', `${path}: no /entry group`);
    const groups: ReadDataGroup[] = [];
    for (const name of entry.keys()) {
      const g = entry.get(name);
      if (!(g instanceof h5wasm.Group)) continue;
      const attrs = attrsOf(g);
      if (attrs.NX_class !== 'NXdata') continue;
      const fields: Record<string, ReadField> = {};
      for (const fname of g.keys()) {
        const ds = g.get(fname);
        if (!(ds instanceof h5wasm.Dataset)) continue;
        fields[fname] = { name: fname, shape: ds.shape ?? [], data: ds.value, attrs: attrsOf(ds) };
      }
      groups.push({ name, attrs, fields });
    }
    const process = entry.get('process/provenance');
    const provenance = process instanceof h5wasm.Group ? JSON.parse(readString(process, 'data')) : null;
    return { rootAttrs: attrsOf(file), entryAttrs: attrsOf(entry), title: readString(entry, 'title'), groups, provenance };
  } finally {
    file.close();
  }
}
