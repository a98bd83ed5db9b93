/**
 * Conformance of the emsa, bruker-spx and bruker-bcf readers against the shared corpus
 * (../shared/data/msa, ../shared/data/eds) and its manifest. Source-repository expectations
 * (`from_source_repo_tests`) win over values computed by reference readers (HyperSpy 1.7.3):
 * where they disagree, the HyperSpy value is not asserted.
 *
 * Deliberate, documented differences from HyperSpy (see the readers' READMEs):
 *  - EMSA XY files whose x column is not uniform get an axis with `values`; the first value and
 *    the mean step are compared with HyperSpy's offset/scale (HyperSpy ignores the x column).
 *  - XUNITS "Energy Loss (eV)" is split into quantity and unit: the axis unit is "eV".
 *  - Bruker counts are uint32 (HyperSpy: uint64); the source test's dtype is checked as
 *    "unsigned integer".
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Axis, DatasetEntry } from '../../main/api/dataset.js';
import { NodeFileSource } from '../../main/formats/file-source.js';
import { emsaReader } from '../../main/formats/emsa/reader.js';
import { brukerSpxReader } from '../../main/formats/bruker-spx/reader.js';
import { brukerBcfReader } from '../../main/formats/bruker-bcf/reader.js';
import type { OpenedFile, Reader } from '../../main/formats/types.js';

const DATA = path.resolve(process.cwd(), '..', 'shared', 'data');
const MANIFEST = path.join(DATA, 'manifest.json');
const present = existsSync(MANIFEST) && existsSync(path.join(DATA, 'msa')) && existsSync(path.join(DATA, 'eds'));
if (!present) console.log(`eds-msa conformance: shared corpus absent (${DATA}); skipping`);

type Json = any; // manifest records are heterogeneous JSON

interface Outcome {
  group: 'msa' | 'bruker';
  file: string;
  failures: string[];
  notes: string[];
}
const outcomes: Outcome[] = [];

const close = (a: number, b: number, rel = 1e-6, abs = 1e-9): boolean => Math.abs(a - b) <= Math.max(abs, rel * Math.max(Math.abs(a), Math.abs(b)));

function loose(got: unknown, want: unknown): boolean {
  if (Array.isArray(got)) got = got[got.length - 1];
  if (typeof want === 'number' || typeof got === 'number') return close(Number(got), Number(want));
  return String(got ?? '').trim() === String(want ?? '').trim();
}

async function readAll(f: OpenedFile, e: DatasetEntry): Promise<number[]> {
  return Array.from((await f.readSlice(e.entry, { start: e.shape.map(() => 0), count: e.shape })) as ArrayLike<number>, Number);
}

function q(v: { value: number } | undefined): number | undefined {
  return v?.value;
}

/** Compare with HyperSpy's computed signal: shape, sum, first/last values, axes. */
function checkHyperspy(e: DatasetEntry, data: number[], sig: Json, fail: (m: string) => void, notes: string[], opts: { skipData?: boolean } = {}): void {
  if (!sig) return;
  if (!opts.skipData) {
    if (JSON.stringify(e.shape) !== JSON.stringify(sig.data.shape)) fail(`shape vs hyperspy: expected ${JSON.stringify(sig.data.shape)}, got ${JSON.stringify(e.shape)}`);
    const sum = data.reduce((a, b) => a + b, 0);
    if (!close(sum, sig.data.sum, 1e-9, 1e-6)) fail(`sum vs hyperspy: expected ${sig.data.sum}, got ${sum}`);
    (sig.data.flat_first as number[]).forEach((v, k) => !close(data[k]!, v) && fail(`first[${k}]: expected ${v}, got ${data[k]}`));
    const fl = sig.data.flat_last as number[];
    fl.forEach((v, k) => {
      const g = data[data.length - fl.length + k]!;
      if (!close(g, v)) fail(`last[${k}]: expected ${v}, got ${g}`);
    });
  }
  const ax: Json[] = sig.axes_hyperspy_order;
  if (ax.length !== e.axes.length) return fail(`axes: expected ${ax.length}, got ${e.axes.length}`);
  ax.forEach((a, k) => {
    const g: Axis = e.axes[k]!;
    if (!opts.skipData && g.size !== a.size) fail(`axis ${k} size: expected ${a.size}, got ${g.size}`);
    if (g.values) {
      const step = (g.values[g.values.length - 1]! - g.values[0]!) / (g.values.length - 1);
      if (!close(g.values[0]!, a.offset, 1e-6)) fail(`axis ${k} first value: expected ${a.offset}, got ${g.values[0]}`);
      if (!close(step, a.scale, 0.05)) fail(`axis ${k} mean step: expected ≈${a.scale}, got ${step}`);
      notes.push(`axis ${k} non-uniform (values): first value and mean step checked`);
    } else {
      if (!close(g.scale ?? 1, a.scale, 1e-6)) fail(`axis ${k} scale: expected ${a.scale}, got ${g.scale}`);
      if (!close(g.offset ?? 0, a.offset, 1e-6, 1e-9)) fail(`axis ${k} offset: expected ${a.offset}, got ${g.offset}`);
    }
    const hu = String(a.units ?? '');
    const paren = /\(([^()]+)\)\s*$/.exec(hu)?.[1];
    if (g.units !== hu && g.units !== paren) fail(`axis ${k} units: expected '${hu}', got '${g.units}'`);
    if (g.navigate !== a.navigate && !(e.kind === 'image' && a.navigate === false)) fail(`axis ${k} navigate: expected ${a.navigate}, got ${g.navigate}`);
    if (a.name && !['height', 'width', 'x', 'y'].includes(a.name) && g.name !== a.name) fail(`axis ${k} name: expected '${a.name}', got '${g.name}'`);
  });
  const ms = sig.metadata_subset ?? {};
  const t = e.metadata.acquisitionTime;
  if (ms.date && !t?.startsWith(ms.date)) fail(`date vs hyperspy: expected ${ms.date}, got ${t}`);
  if (ms.time && !t?.endsWith(`T${ms.time}`)) fail(`time vs hyperspy: expected ${ms.time}, got ${t}`);
  for (const k of ['TEM.beam_energy', 'SEM.beam_energy']) if (ms[k] !== undefined && !close(q(e.metadata.beamEnergy) ?? NaN, ms[k])) fail(`${k}: expected ${ms[k]}, got ${q(e.metadata.beamEnergy)}`);
  if (ms['SEM.magnification'] !== undefined && !close(q(e.metadata.magnification) ?? NaN, ms['SEM.magnification'])) fail(`magnification: expected ${ms['SEM.magnification']}, got ${q(e.metadata.magnification)}`);
}

const SIGNAL = (e: DatasetEntry): string => String(e.metadata.extra?.signalType ?? '');

function checkMsaMetadata(e: DatasetEntry, md: Record<string, Json>, fail: (m: string) => void, notes: string[]): void {
  const m = e.metadata;
  const ex = (k: string): number | undefined => q(m.extra?.[k] as { value: number } | undefined);
  const num = (k: string, got: number | undefined, want: number): void => {
    if (got === undefined || !close(got, want)) fail(`${k}: expected ${want}, got ${got}`);
  };
  for (const [k, v] of Object.entries(md)) {
    switch (k) {
      case 'title': if (e.title !== v) fail(`title: expected '${v}', got '${e.title}'`); break;
      case 'date': if (!m.acquisitionTime?.startsWith(v)) fail(`date: expected ${v}, got ${m.acquisitionTime}`); break;
      case 'time': if (!m.acquisitionTime?.endsWith(`T${v}`)) fail(`time: expected ${v}, got ${m.acquisitionTime}`); break;
      case 'signal_type': if (SIGNAL(e) !== v) fail(`signal_type: expected ${v}, got ${SIGNAL(e)}`); break;
      case 'beam_energy_kV': num(k, q(m.beamEnergy), v); break;
      case 'beam_current_nA': num(k, q(m.probeCurrent), v); break;
      case 'convergence_angle_mrad': num(k, q(m.convergenceAngle), v); break;
      case 'collection_angle_mrad': num(k, q(m.collectionAngle), v); break;
      case 'dwell_time_ms': num(k, (ex('dwellTime') ?? NaN) * 1000, v); break;
      case 'thickness_nm': num(k, ex('thickness'), v); break;
      case 'live_time_s': num(k, q(m.liveTime), v); break;
      case 'real_time_s': num(k, q(m.realTime), v); break;
      case 'azimuth_angle': num(k, ex('azimuthAngle'), v); break;
      case 'elevation_angle': num(k, ex('elevationAngle'), v); break;
      case 'stage_tilt_alpha': num(k, ex('stageTiltX'), v); break;
      case 'EDS_det': if (m.extra?.edsDetector !== v) fail(`EDS_det: expected ${v}, got ${m.extra?.edsDetector}`); break;
      case 'energy_resolution_MnKa':
        // Not in the file (no FWHMMNKA keyword): HyperSpy fills in its own default of 130 eV.
        if (m.extra?.fwhmMnKa !== undefined) fail('energy_resolution_MnKa: the file has none, reader invented one');
        notes.push('energy_resolution_MnKa: HyperSpy default, not in the file (not asserted)');
        break;
      default: notes.push(`${k}: not asserted`);
    }
  }
}

(present ? describe : describe.skip)('emsa / bruker conformance (shared corpus)', () => {
  const manifest: Json[] = present ? JSON.parse(readFileSync(MANIFEST, 'utf8').replace(/([:[,]\s*)(-?Infinity|NaN)(?=\s*[,\]}])/g, '$1null')) : [];
  const byPath = new Map<string, Json>(manifest.map((m: Json) => [m.path, m]));
  const msaFiles = present ? readdirSync(path.join(DATA, 'msa')).filter((f) => /\.msa$/i.test(f)).sort().map((f) => `msa/${f}`) : [];
  const edsFiles = present ? readdirSync(path.join(DATA, 'eds')).filter((f) => /\.(spx|bcf)$/i.test(f)).sort().map((f) => `eds/${f}`) : [];

  afterAll(() => {
    for (const g of ['msa', 'bruker'] as const) {
      const mine = outcomes.filter((o) => o.group === g);
      console.log(`${g} conformance: ${mine.filter((o) => o.failures.length === 0).length}/${mine.length}`);
      for (const o of mine) {
        if (o.failures.length) console.log(`  FAIL ${o.file}: ${o.failures.join('; ')}`);
        const notes = [...new Set(o.notes)];
        if (notes.length) console.log(`  note ${o.file}: ${notes.join('; ')}`);
      }
    }
  });

  it('finds the corpus files and their manifest records', () => {
    expect(msaFiles.length).toBeGreaterThan(0);
    expect(edsFiles.length).toBeGreaterThan(0);
    for (const f of [...msaFiles, ...edsFiles]) expect(byPath.has(f), f).toBe(true);
  });

  async function withFile(rel: string, reader: Reader, group: Outcome['group'], body: (f: OpenedFile, rec: Json, fail: (m: string) => void, notes: string[]) => Promise<void>): Promise<void> {
    const failures: string[] = [];
    const notes: string[] = [];
    const src = await NodeFileSource.open(path.join(DATA, rel));
    try {
      const f = await reader.open(src);
      try {
        await body(f, byPath.get(rel), (m) => failures.push(m), notes);
      } finally {
        await f.close();
      }
    } catch (e) {
      failures.push(`open/read failed: ${(e as Error).message}`);
    } finally {
      await src.close();
    }
    outcomes.push({ group, file: rel, failures, notes });
    expect(failures).toEqual([]);
  }

  for (const rel of msaFiles) {
    it(rel, () =>
      withFile(rel, emsaReader, 'msa', async (f, rec, fail, notes) => {
        const st = rec.expected.from_source_repo_tests ?? {};
        const hs = rec.expected.computed_by_reference_readers?.hyperspy?.signals?.[0];
        const e = f.entries[0]!;
        const data = await readAll(f, e);
        let skipData = false;
        if (Array.isArray(st.data)) {
          skipData = true;
          if (JSON.stringify(data) !== JSON.stringify(st.data)) fail(`data: expected ${JSON.stringify(st.data)}, got ${JSON.stringify(data)}`);
        } else if (typeof st.data === 'string') {
          // "identical to X.msa": X's values, as HyperSpy read X (X is uniform 1-column data).
          const other = /identical to (\S+\.msa)/.exec(st.data)?.[1];
          const oh = other && byPath.get(`msa/${other}`)?.expected.computed_by_reference_readers?.hyperspy?.signals?.[0];
          if (oh) {
            checkHyperspy(e, data, oh, fail, notes);
            skipData = true;
            if (hs && JSON.stringify(hs.data.shape) !== JSON.stringify(oh.data.shape)) notes.push(`HyperSpy 1.7.3 read ${JSON.stringify(hs.data.shape)} values; the source test says identical to ${other} (source wins)`);
          }
        }
        if (st.n_data_values !== undefined && data.length !== st.n_data_values) fail(`n_data_values: expected ${st.n_data_values}, got ${data.length}`);
        const header = e.original.header as Record<string, unknown>;
        for (const [k, v] of Object.entries(st.header ?? {})) if (!loose(header[k], v)) fail(`header ${k}: expected ${JSON.stringify(v)}, got ${JSON.stringify(header[k])}`);
        if (st.metadata && typeof st.metadata === 'object') checkMsaMetadata(e, st.metadata, fail, notes);
        if (st.metadata_TEM) checkMsaMetadata(e, st.metadata_TEM, fail, notes);
        if (typeof st.metadata === 'string' && /date and General\.time absent/.test(st.metadata)) {
          if (e.metadata.acquisitionTime !== undefined) fail(`date/time: expected absent, got ${e.metadata.acquisitionTime}`);
          if (e.metadata.beamEnergy?.value !== 120) fail('beam energy as example1 (120 kV) expected');
        }
        const top: Record<string, Json> = {};
        for (const k of ['title', 'signal_type', 'time']) if (st[k] !== undefined) top[k] = st[k];
        checkMsaMetadata(e, top, fail, notes);
        // HyperSpy cross-checks, except where a source test already settled the values.
        if (hs) {
          const hsTitle = hs.metadata_subset?.title;
          const titleBySource = st.title !== undefined;
          checkHyperspy(e, data, { ...hs, metadata_subset: { ...hs.metadata_subset, time: st.time ?? hs.metadata_subset?.time } }, fail, notes, { skipData: skipData || Array.isArray(st.data) });
          if (!titleBySource && hsTitle && e.title !== hsTitle) fail(`title vs hyperspy: expected '${hsTitle}', got '${e.title}'`);
        }
      }),
    );
  }

  for (const rel of edsFiles) {
    const isBcf = rel.endsWith('.bcf');
    it(rel, () =>
      withFile(rel, isBcf ? brukerBcfReader : brukerSpxReader, 'bruker', async (f, rec, fail, notes) => {
        const st = rec.expected.from_source_repo_tests ?? {};
        const sigs: Json[] = rec.expected.computed_by_reference_readers?.hyperspy?.signals ?? [];
        if (!isBcf) {
          const e = f.entries[0]!;
          const data = await readAll(f, e);
          if (st.dtype !== undefined) {
            if (!/^uint/.test(e.dtype)) fail(`dtype: expected unsigned integer (${st.dtype}), got ${e.dtype}`);
            else if (e.dtype !== st.dtype) notes.push(`dtype ${e.dtype} (source test: ${st.dtype}; counts fit, see README)`);
          }
          if (st.signal_shape && JSON.stringify(e.shape) !== JSON.stringify(st.signal_shape)) fail(`signal_shape: expected ${JSON.stringify(st.signal_shape)}, got ${JSON.stringify(e.shape)}`);
          if (st.navigation_shape && st.navigation_shape.length !== 0) fail('navigation_shape: expected a single spectrum');
          if (st.signal_type && SIGNAL(e) !== 'EDS') fail(`signal_type ${st.signal_type}: expected EDS, got ${SIGNAL(e)}`);
          if (st.elements && JSON.stringify(String(e.metadata.extra?.elements ?? '').split(', ').sort()) !== JSON.stringify([...st.elements].sort())) fail(`elements: expected ${st.elements}, got ${e.metadata.extra?.elements}`);
          if (st.live_time_s !== undefined && !close(q(e.metadata.liveTime) ?? NaN, st.live_time_s)) fail(`live_time_s: expected ${st.live_time_s}, got ${q(e.metadata.liveTime)}`);
          if (st.beam_energy_kV !== undefined && !close(q(e.metadata.beamEnergy) ?? NaN, st.beam_energy_kV)) fail(`beam_energy_kV: expected ${st.beam_energy_kV}, got ${q(e.metadata.beamEnergy)}`);
          checkHyperspy(e, data, sigs[0], fail, notes);
          return;
        }
        const img = f.entries.find((e) => e.kind === 'image');
        const hm = f.entries.find((e) => e.kind === 'spectrum-image');
        if (!img || !hm) return fail(`entries: expected an image and a hypermap, got ${f.entries.map((e) => e.kind).join(', ')}`);
        if (st.bse_dtype && img.dtype !== st.bse_dtype) fail(`bse_dtype: expected ${st.bse_dtype}, got ${img.dtype}`);
        if (st.bse_signal_shape && JSON.stringify(img.shape) !== JSON.stringify(st.bse_signal_shape)) fail(`bse shape: expected ${JSON.stringify(st.bse_signal_shape)}, got ${JSON.stringify(img.shape)}`);
        if (st.hypermap_navigation_shape && JSON.stringify(hm.shape.slice(0, 2)) !== JSON.stringify([...st.hypermap_navigation_shape].reverse())) fail(`hypermap navigation shape: expected ${st.hypermap_navigation_shape}, got ${hm.shape.slice(0, 2)}`);
        if (st.hypermap_signal_shape && hm.shape[2] !== st.hypermap_signal_shape[0]) fail(`hypermap signal shape: expected ${st.hypermap_signal_shape}, got ${hm.shape[2]}`);
        if (st.hypermap_dtype_kind === 'unsigned int' && !/^uint/.test(hm.dtype)) fail(`hypermap dtype: expected unsigned int, got ${hm.dtype}`);
        const hsImg = sigs.find((s) => s.class === 'Signal2D');
        const hsMap = sigs.find((s) => /Spectrum/.test(s.class) && s.data.shape.length === 3);
        if (hsImg) {
          checkHyperspy(img, await readAll(f, img), { ...hsImg, metadata_subset: { ...hsImg.metadata_subset, date: null, time: null } }, fail, notes);
          if (hsImg.metadata_subset?.title && img.title !== hsImg.metadata_subset.title) fail(`image title: expected ${hsImg.metadata_subset.title}, got ${img.title}`);
        }
        if (hsMap) {
          checkHyperspy(hm, await readAll(f, hm), hsMap, fail, notes);
          if (hm.dtype !== hsMap.data.dtype) notes.push(`hypermap dtype ${hm.dtype} (HyperSpy ${hsMap.data.dtype}: its estimate can truncate; this reader bounds by the sum spectrum)`);
        }
        const extra = f.entries.filter((e) => e !== img && e !== hm).map((e) => e.entry);
        if (extra.length) notes.push(`entries beyond HyperSpy's: ${extra.join(', ')}`);
      }),
    );
  }
});
