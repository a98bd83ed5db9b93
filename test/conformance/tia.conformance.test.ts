/**
 * Conformance of the fei-tia reader against the shared TIA corpus (../shared/data/eds/tia) and its
 * manifest. Source-repository expectations (`from_source_repo_tests`, rosettasciio's test_tia.py)
 * win over values computed by HyperSpy 1.7.3. A .ser record points at its .emi record ("see"):
 * the .ser alone must give the same data and axes, without the .emi's metadata.
 *
 * Deliberate, documented differences from HyperSpy (README "Mapping"):
 *  - size-1 navigation axes are dropped (house rule, as for DM): HyperSpy's [1, 1024] point
 *    spectrum is a 'spectrum' [1024] here; shapes are compared with size-1 axes squeezed;
 *  - HyperSpy leaves navigation offsets in metres and ignores the dimension's CalibrationElement;
 *    this reader gives offset = (CalibrationOffset − CalibrationElement × Delta) in nm. The
 *    manifest offset is therefore checked as hs.offset × 1e9 − element × scale, and independently
 *    (for 2-D maps) the first pixel must lie within half a pixel of the position tag of element 0.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DatasetEntry } from '../../main/api/dataset.js';
import { NodeFileSource } from '../../main/formats/file-source.js';
import { feiTiaReader } from '../../main/formats/fei-tia/reader.js';

const DATA = path.resolve(process.cwd(), '..', 'shared', 'data');
const TIA_DIR = path.join(DATA, 'eds', 'tia');
const MANIFEST = path.join(DATA, 'manifest.json');
const present = existsSync(TIA_DIR) && existsSync(MANIFEST);

type Json = any; // manifest records are heterogeneous JSON

const close = (a: number, b: number, rel = 1e-6, abs = 1e-9): boolean => Math.abs(a - b) <= Math.max(abs, rel * Math.max(Math.abs(a), Math.abs(b)));
const squeeze = (s: number[]): number[] => s.filter((d) => d !== 1);
const NUMPY: Record<string, string> = { int32: 'int32', int16: 'int16', uint16: 'uint16', float32: 'float32', float64: 'float64', uint8: 'uint8', uint32: 'uint32', int8: 'int8' };

interface Outcome {
  file: string;
  failures: string[];
}
const outcomes: Outcome[] = [];

if (!present) console.log(`tia conformance: shared corpus absent (${TIA_DIR}); skipping`);

(present ? describe : describe.skip)('fei-tia conformance (shared corpus)', () => {
  const manifest: Json[] = present
    ? JSON.parse(readFileSync(MANIFEST, 'utf8').replace(/([:[,]\s*)(-?Infinity|NaN)(?=\s*[,\]}])/g, '$1null'))
    : [];
  const byPath = new Map<string, Json>(manifest.map((m: Json) => [m.path, m]));
  const files = present ? readdirSync(TIA_DIR).filter((n) => /\.(emi|ser)$/i.test(n)).sort() : [];

  afterAll(() => {
    const pass = outcomes.filter((o) => o.failures.length === 0).length;
    console.log(`tia conformance: ${pass}/${outcomes.length} files pass`);
    for (const o of outcomes) if (o.failures.length) console.log(`  FAIL ${o.file}: ${o.failures.join('; ')}`);
  });

  it('finds the corpus files and their manifest records; the manifest lists no TIFF/MRC files', () => {
    expect(files.length).toBeGreaterThanOrEqual(6);
    for (const f of files) expect(byPath.has(`eds/tia/${f}`)).toBe(true);
    // The corpus has no TIFF or MRC data files (checked so a future addition is noticed).
    const tiffOrMrc = manifest.filter((m: Json) => /\.(tiff?|mrcs?)$/i.test(String(m.path)));
    expect(tiffOrMrc.map((m: Json) => m.path)).toEqual([]);
  });

  for (const name of files) {
    const rel = `eds/tia/${name}`;
    it(rel, async () => {
      const failures: string[] = [];
      const fail = (m: string): void => {
        failures.push(m);
      };
      let rec = byPath.get(rel);
      const isSer = /\.ser$/i.test(name);
      if (isSer) {
        // "see": the .emi record carries the expectations for the pair.
        const see = String(rec?.expected?.from_source_repo_tests?.see ?? '').replace(/ entry$/, '');
        rec = byPath.get(`eds/tia/${see}`);
        if (!rec) fail(`no .emi record for ${name}`);
      }
      const src = await NodeFileSource.open(path.join(TIA_DIR, name));
      const f = await feiTiaReader.open(src);
      try {
        const st = rec?.expected?.from_source_repo_tests ?? {};
        const hs = rec?.expected?.computed_by_reference_readers?.hyperspy;
        const sig = hs?.signals?.[0];
        if (f.entries.length !== (hs?.n_signals ?? 1)) fail(`entries: expected ${hs?.n_signals}, got ${f.entries.length}`);
        const e: DatasetEntry = f.entries[0]!;
        if (e.entry !== 'ser1') fail(`entry id: expected ser1, got ${e.entry}`);

        // Shape: source test first (squeezed, see header), dtype from HyperSpy.
        const wantShape: number[] = st.data_shape ?? sig?.data.shape;
        if (JSON.stringify(squeeze(wantShape)) !== JSON.stringify(e.shape)) fail(`shape: expected ${JSON.stringify(wantShape)} (squeezed), got ${JSON.stringify(e.shape)}`);
        if (sig && e.dtype !== NUMPY[sig.data.dtype]) fail(`dtype: expected ${sig.data.dtype}, got ${e.dtype}`);
        const wantKind = e.shape.length === 1 ? 'spectrum' : 'spectrum-image';
        if (e.kind !== wantKind) fail(`kind: expected ${wantKind}, got ${e.kind}`);

        // Values: sum, min, max, first and last values.
        const data = (await f.readSlice(e.entry, { start: e.shape.map(() => 0), count: e.shape })) as Int32Array;
        if (sig) {
          let sum = 0;
          let min = Infinity;
          let max = -Infinity;
          for (const v of data) {
            sum += v;
            if (v < min) min = v;
            if (v > max) max = v;
          }
          if (!close(sum, sig.data.sum)) fail(`sum: expected ${sig.data.sum}, got ${sum}`);
          if (min !== sig.data.min || max !== sig.data.max) fail(`min/max: expected ${sig.data.min}/${sig.data.max}, got ${min}/${max}`);
          const first = Array.from(data.subarray(0, sig.data.flat_first.length));
          if (JSON.stringify(first) !== JSON.stringify(sig.data.flat_first)) fail(`first values: expected ${sig.data.flat_first}, got ${first}`);
          const last = Array.from(data.subarray(data.length - sig.data.flat_last.length));
          if (JSON.stringify(last) !== JSON.stringify(sig.data.flat_last)) fail(`last values: expected ${sig.data.flat_last}, got ${last}`);
        }

        // Axes: HyperSpy's axes (C order) with size-1 axes dropped.
        const hsAxes: Json[] = (sig?.axes_hyperspy_order ?? []).filter((a: Json) => a.size !== 1);
        if (hsAxes.length !== e.axes.length) fail(`axes: expected ${hsAxes.length}, got ${e.axes.length}`);
        const dims: Json[] = (e.original.ser as Json).dimensions;
        const tag0: Json = (e.original.ser as Json).firstTags[0];
        hsAxes.forEach((a, k) => {
          const g = e.axes[k];
          if (!g) return;
          if (g.name !== a.name) fail(`axis ${k} name: expected ${a.name}, got ${g.name}`);
          if (g.size !== a.size) fail(`axis ${k} size: expected ${a.size}, got ${g.size}`);
          if (!close(g.scale ?? 1, a.scale)) fail(`axis ${k} scale: expected ${a.scale}, got ${g.scale}`);
          if (g.units !== a.units) fail(`axis ${k} units: expected ${a.units}, got ${g.units}`);
          if (g.navigate !== a.navigate) fail(`axis ${k} navigate: expected ${a.navigate}, got ${g.navigate}`);
          if (a.units === 'nm' && g.navigate) {
            // See the header: HyperSpy's offset is metres and ignores CalibrationElement.
            const dim = dims.find((d) => close(d.calibrationDelta * 1e9, a.scale) && d.size === a.size);
            const want = a.offset * 1e9 - (dim?.calibrationElement ?? 0) * a.scale;
            if (!dim || !close(g.offset ?? 0, want, 1e-6, 1e-9)) fail(`axis ${k} offset: expected ${want} nm, got ${g.offset}`);
            // Only maps carry absolute positions; a line profile's axis is the distance along the line.
            const tagPos = (g.name === 'y' ? tag0.positionY : tag0.positionX) * 1e9;
            if (e.axes.filter((x) => x.navigate && x.units === 'nm').length === 2 && Math.abs((g.offset ?? 0) - tagPos) > Math.abs(g.scale ?? 0) / 2 + 1e-9) fail(`axis ${k} first pixel ${g.offset} nm is not within half a pixel of the element-0 position tag ${tagPos} nm`);
          } else if (!close(g.offset ?? 0, a.offset)) fail(`axis ${k} offset: expected ${a.offset}, got ${g.offset}`);
        });
        // The source test names axes in HyperSpy's axes_manager order (navigation fastest first, then signal).
        const nav = e.axes.filter((a) => a.navigate).reverse();
        const amOrder = [...nav, ...e.axes.filter((a) => !a.navigate)];
        for (const [key, want] of Object.entries(st)) {
          const m = /^axis(\d)$/.exec(key);
          if (!m) continue;
          const w = want as Json;
          const squeezedOut = (sig?.axes_hyperspy_order ?? []).filter((a: Json) => a.size === 1).length;
          const g = amOrder[Number(m[1]) - (Number(m[1]) > 0 ? squeezedOut : 0)];
          if (!g) {
            fail(`${key}: missing`);
            continue;
          }
          if (w.name !== undefined && g.name !== w.name) fail(`${key} name: expected ${w.name}, got ${g.name}`);
          if (w.units !== undefined && g.units !== w.units) fail(`${key} units: expected ${w.units}, got ${g.units}`);
          if (w.scale !== undefined && !close(g.scale ?? 1, w.scale, 1e-5)) fail(`${key} scale: expected ${w.scale}, got ${g.scale}`);
        }

        // Metadata: from the .emi only (a lone .ser has none of it).
        const m = e.metadata;
        if (!isSer) {
          const md = sig?.metadata_subset ?? {};
          if (st.acquisition_mode !== undefined && m.acquisitionMode !== st.acquisition_mode) fail(`acquisition_mode: expected ${st.acquisition_mode}, got ${m.acquisitionMode}`);
          const date = st.date ?? md.date;
          const time = st.time ?? md.time;
          if (date && time && m.acquisitionTime !== `${date}T${time}`) fail(`date/time: expected ${date}T${time}, got ${m.acquisitionTime}`);
          if (md['TEM.beam_energy'] !== undefined && (m.beamEnergy?.unit !== 'kV' || !close(m.beamEnergy.value, md['TEM.beam_energy']))) fail(`beam energy: expected ${md['TEM.beam_energy']} kV, got ${JSON.stringify(m.beamEnergy)}`);
          if (md['TEM.microscope'] !== undefined && m.instrument !== md['TEM.microscope']) fail(`microscope: expected ${md['TEM.microscope']}, got ${m.instrument}`);
          if (md['TEM.acquisition_mode'] !== undefined && m.acquisitionMode !== md['TEM.acquisition_mode']) fail(`mode: expected ${md['TEM.acquisition_mode']}, got ${m.acquisitionMode}`);
          if (md['TEM.magnification'] !== undefined && !close(m.magnification?.value ?? NaN, md['TEM.magnification'])) fail(`magnification: expected ${md['TEM.magnification']}, got ${JSON.stringify(m.magnification)}`);
          if (md['TEM.camera_length'] !== undefined && (m.cameraLength?.unit !== 'mm' || !close(m.cameraLength.value, md['TEM.camera_length']))) fail(`camera length: expected ${md['TEM.camera_length']} mm, got ${JSON.stringify(m.cameraLength)}`);
        } else {
          if (m.beamEnergy !== undefined || m.instrument !== undefined) fail('a lone .ser must not carry .emi metadata');
          // The tag time is UTC; the .emi's AcquireDate is local time of the same acquisition (± 1 day).
          const emiDate = st.date ?? sig?.metadata_subset?.date;
          if (!m.acquisitionTime?.endsWith('Z') || (emiDate && Math.abs(Date.parse(m.acquisitionTime) - Date.parse(`${emiDate}T00:00:00Z`)) > 2 * 86400e3)) fail(`tag time: got ${m.acquisitionTime}`);
        }
      } finally {
        await f.close();
      }
      outcomes.push({ file: rel, failures });
      expect(failures).toEqual([]);
    });
  }
});
