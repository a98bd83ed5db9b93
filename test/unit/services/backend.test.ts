/**
 * The application service end to end, without a UI: the same calls both transports make.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBackend } from '../../../main/services/backend.js';
import type { Backend } from '../../../main/services/backend-types.js';
import type { ProjectSnapshot } from '../../../main/api/project-types.js';
import { parseArgs, type ArgsOf, type MethodName, type ResultOf } from '../../../main/api/contract.js';
import { readDerived } from '../../../main/project/derived-hdf5.js';
import { sampleGcplMpt, sampleHrtemDm4, SAMPLE_IMAGE } from '../../fixtures/sample-data.js';

let dir: string;
let backend: Backend;
const ctx = { transport: 'http' } as const;
const call = <M extends MethodName>(m: M, a: ArgsOf<M>): Promise<ResultOf<M>> => backend.dispatch(m, parseArgs(m, a), ctx);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'interphase-backend-'));
  await writeFile(join(dir, 'interface.dm4'), sampleHrtemDm4());
  await writeFile(join(dir, 'cell.mpt'), sampleGcplMpt());
  backend = await createBackend({ paths: { workspace: join(dir, 'ws'), config: join(dir, 'cfg'), staging: join(dir, 'ws', '.staging') }, autosaveMs: 50, poolSize: 1 });
});
afterAll(async () => backend.shutdown());

describe('backend', () => {
  let snap: ProjectSnapshot;
  let cellId: string;
  let imageId: string;
  let tableId: string;

  it('creates a project with a cell, sample and lamella', async () => {
    const events: string[] = [];
    const off = backend.subscribe((e) => events.push(e));
    snap = await call('project.create', { name: 'Study' });
    expect(snap.path).toBe(join(dir, 'ws', 'Study.interphase'));
    const cell = await call('cell.add', {
      name: 'LNMO|LiPON|Li',
      layers: [{ material: 'LiPON', thickness: { value: 1.2, unit: 'µm' } }],
      activeArea: { value: 0.05, unit: 'cm²' },
    });
    cellId = cell.id;
    const sample = await call('sample.add', { cellId, name: 'after 600', state: 'after 600 cycles', cycles: 600 });
    const lam = await call('lamella.add', { sampleId: sample.id, name: 'L1', fib: { stageTemperature: { value: -185, unit: '°C' } } });
    expect(lam.fib.stageTemperature).toEqual({ value: -185, unit: '°C' });
    expect(events).toContain('project');
    off();
  });

  it('imports a DM4 image and an .mpt file, verbatim into raw/', async () => {
    const [img] = await call('dataset.import', { path: join(dir, 'interface.dm4'), owner: { kind: 'cell', id: cellId } });
    const [tab] = await call('dataset.import', { path: join(dir, 'cell.mpt'), owner: { kind: 'cell', id: cellId } });
    imageId = img!.id;
    tableId = tab!.id;
    expect(img!.dataset.source.readerId).toBe('gatan-dm');
    expect(tab!.dataset.source.readerId).toBe('biologic-mpt');
    const rawPath = 'path' in img!.raw ? img!.raw.path : '';
    expect(rawPath).toBe(`raw/${img!.dataset.source.sha256}.dm4`);
    expect(await readFile(join(snap.path, rawPath))).toEqual(Buffer.from(sampleHrtemDm4()));
    const jobs = await call('jobs.list', {});
    expect(jobs.some((j) => j.label === 'Import interface.dm4' && j.state === 'done')).toBe(true);
  });

  it('reads an image plane with its calibration', async () => {
    const r = await call('dataset.readImage', { id: imageId, maxSize: 2048 });
    expect(r.meta.width).toBe(SAMPLE_IMAGE.size);
    expect(r.meta.pixelSize.x.value).toBeCloseTo(SAMPLE_IMAGE.pixelNm, 7);
    expect(r.meta.pixelSize.x.unit).toBe('nm');
    const px = new Float32Array(r.data);
    expect(px.length).toBe(SAMPLE_IMAGE.size ** 2);
    expect(Math.min(...px.slice(0, 1000))).toBeGreaterThanOrEqual(r.meta.min);
  });

  it('reads a zoomed region at full resolution: the same pixels as the whole plane, and only those', async () => {
    const whole = await call('dataset.readImage', { id: imageId, maxSize: 2048 });
    const n = SAMPLE_IMAGE.size;
    expect(whole.meta.region).toEqual({ x: 0, y: 0, width: n, height: n });
    expect([whole.meta.fullWidth, whole.meta.fullHeight]).toEqual([n, n]);
    const region = { x: 37, y: 11, width: 50, height: 20 };
    const part = await call('dataset.readImage', { id: imageId, maxSize: 2048, region });
    expect(part.meta).toMatchObject({ width: 50, height: 20, binning: 1, region, fullWidth: n, fullHeight: n });
    expect(part.meta.pixelSize.x.value).toBeCloseTo(SAMPLE_IMAGE.pixelNm, 7);
    const a = new Float32Array(whole.data);
    const b = new Float32Array(part.data);
    for (const [y, x] of [[0, 0], [0, 49], [19, 0], [19, 49], [7, 23]] as const) expect(b[y * 50 + x]).toBe(a[(11 + y) * n + 37 + x]);
    // A region reaching past the image is clipped to it; a small maxSize bins the region.
    const edge = await call('dataset.readImage', { id: imageId, maxSize: 16, region: { x: n - 40, y: n - 40, width: 100, height: 100 } });
    expect(edge.meta.region).toEqual({ x: n - 40, y: n - 40, width: 40, height: 40 });
    expect(edge.meta).toMatchObject({ binning: 3, width: 14, height: 14 });
    expect(edge.meta.pixelSize.x.value).toBeCloseTo(3 * SAMPLE_IMAGE.pixelNm, 7);
  });

  it('gives voltage–capacity curves per cycle and a cycling summary with provenance', async () => {
    const curves = await call('echem.cycleCurves', { id: tableId });
    expect(curves.meta.cycles).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(curves.meta.segments).toHaveLength(20);
    const rec = await call('analysis.run', { analysisId: 'echem.cycling-summary', datasetIds: [tableId] });
    expect(rec.results.firstCycleChargeCapacity!.value).toBeCloseTo(0.0029, 6);
    expect(rec.results.firstCycleChargeCapacity!.unit).toBe('mA·h');
    expect(rec.provenance.inputs[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(rec.provenance.parameters).toHaveProperty('convention', 'discharge/charge');
    // What the data decided is kept apart from the parameters, so a re-run from them is valid.
    expect(rec.provenance.resolved).toEqual({ capacitySource: '(Q-Qo)', segmentation: 'half-cycle' });
    expect(rec.derivedPath).toMatch(/^derived\/.+\.h5$/);
    const h5 = await readDerived(join(snap.path, rec.derivedPath!));
    expect(JSON.stringify(h5)).toContain('mA·h');
    // Replaying the record reproduces the result.
    const again = await call('analysis.run', { analysisId: rec.analysisId, datasetIds: rec.datasetIds, params: rec.provenance.parameters as Record<string, unknown> });
    expect(again.results).toEqual(rec.results);
  });

  it('re-decimates voltage–capacity curves inside a zoom window: only points in it, every one when they fit', async () => {
    const whole = await call('echem.cycleCurves', { id: tableId, cycles: [2], maxPointsPerSegment: 10 });
    expect(whole.meta.window).toBeUndefined();
    expect(whole.meta.pointsShown).toBe(20); // 2 half cycles × 10 points
    expect(whole.meta.pointsInView).toBeGreaterThan(whole.meta.pointsShown);
    const cap = new Float64Array(whole.data).subarray(0, whole.data.byteLength / 16);
    const hi = Math.max(...cap);
    const window = { xMin: 0.25 * hi, xMax: 0.5 * hi };
    const zoomed = await call('echem.cycleCurves', { id: tableId, cycles: [2], maxPointsPerSegment: 100_000, window });
    expect(zoomed.meta.window).toEqual(window);
    expect(zoomed.meta.segments.map((g) => g.cycle)).toEqual([2, 2]);
    // Everything inside the window is drawn (plus one neighbour each side of a run, to reach the edges).
    expect(zoomed.meta.pointsShown).toBe(zoomed.meta.pointsInView);
    expect(zoomed.meta.pointsInView).toBeLessThan(whole.meta.pointsInView);
    const zc = new Float64Array(zoomed.data).subarray(0, zoomed.meta.pointsShown);
    const inside = Array.from(zc).filter((x) => x >= window.xMin && x <= window.xMax).length;
    expect(inside).toBeGreaterThan(0);
    expect(zc.length - inside).toBeLessThanOrEqual(4);
    await expect((async () => call('echem.cycleCurves', { id: tableId, window: { xMin: 1, xMax: 1 } }))()).rejects.toMatchObject({ code: 'bad-request' });
  });

  it('refuses analyses on the wrong kind of data', async () => {
    await expect(call('analysis.run', { analysisId: 'echem.cycling-summary', datasetIds: [imageId] })).rejects.toMatchObject({ code: 'bad-request' });
  });

  it('autosaves, and a reopened project is identical', async () => {
    await new Promise((r) => setTimeout(r, 300));
    const cur = (await call('project.current', {}))!;
    expect(cur.dirty).toBe(false);
    await call('project.close', {});
    expect(await call('project.current', {})).toBeNull();
    const reopened = await call('project.open', { path: snap.path });
    expect(reopened.document).toEqual(cur.document);
    const recent = await call('project.recent', {});
    expect(recent[0]!.path).toBe(snap.path);
  });

  it('stages uploads under a fresh folder, keeping only the base name', async () => {
    const r = await call('files.stage', { name: '../../evil.mpt', data: new Uint8Array([1, 2, 3]).buffer });
    expect(r.path.startsWith(join(dir, 'ws', '.staging'))).toBe(true);
    expect(r.path.endsWith('evil.mpt')).toBe(true);
    expect((await stat(r.path)).size).toBe(3);
  });

  it('names the file and the problem for bad input', async () => {
    await writeFile(join(dir, 'broken.dm4'), sampleHrtemDm4().slice(0, 700));
    const err = await call('dataset.import', { path: join(dir, 'broken.dm4') }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'format-error', details: { file: 'broken.dm4' } });
    expect((err as Error).message).toMatch(/^broken\.dm4 @ byte \d+: /);
  });
});

describe('crash recovery', () => {
  it('offers and replays changes a killed session journaled but never saved', async () => {
    const paths = { workspace: join(dir, 'ws2'), config: join(dir, 'cfg2'), staging: join(dir, 'ws2', '.staging') };
    // Session 1: autosave far in the future, so the cell exists only in the journal when it "dies".
    const first = await createBackend({ paths, autosaveMs: 60_000, poolSize: 1 });
    const created = await first.dispatch('project.create', parseArgs('project.create', { name: 'Crashy' }), ctx);
    await first.dispatch('cell.add', parseArgs('cell.add', { name: 'unsaved cell' }), ctx);
    // No save, no shutdown: a second app instance opens the bundle as after a SIGKILL.
    const second = await createBackend({ paths, autosaveMs: 0, poolSize: 1 });
    const opened = await second.dispatch('project.open', parseArgs('project.open', { path: created.path }), ctx);
    expect(opened.document.cells).toHaveLength(0);
    expect(opened.recoverableChanges).toBe(1);
    const recovered = await second.dispatch('project.recover', {}, ctx);
    expect(recovered.document.cells.map((c) => c.name)).toEqual(['unsaved cell']);
    expect(recovered.recoverableChanges).toBe(0);
    await second.shutdown();
  });
});

describe('figures', () => {
  it('saves a figure spec, reads it back, and refuses tampered or mismatched specs', async () => {
    const paths = { workspace: join(dir, 'ws3'), config: join(dir, 'cfg3'), staging: join(dir, 'ws3', '.staging') };
    const b = await createBackend({ paths, autosaveMs: 0, poolSize: 1 });
    const c = <M extends MethodName>(m: M, a: ArgsOf<M>) => b.dispatch(m, parseArgs(m, a), ctx);
    const p = await c('project.create', { name: 'Figs' });
    const [tab] = await c('dataset.import', { path: join(dir, 'cell.mpt') });
    const [img] = await c('dataset.import', { path: join(dir, 'interface.dm4') });
    const fig = await c('figure.save', { title: 'Profiles', spec: { plot: 'voltage-capacity', datasetId: tab!.id, cycles: [1, 2, 12] } });
    const got = await c('figure.get', { id: fig.id });
    expect(got.spec).toEqual({ plot: 'voltage-capacity', datasetId: tab!.id, style: 'paper', cycles: [1, 2, 12] });
    await expect(c('figure.save', { title: 'Wrong', spec: { plot: 'image', datasetId: tab!.id } })).rejects.toMatchObject({ code: 'bad-request' });
    expect((await c('figure.save', { title: 'Img', spec: { plot: 'image', datasetId: img!.id, image: { displayMin: 1, displayMax: 2 } } })).title).toBe('Img');
    // A collaborator's bundle may carry anything in figures/: it is validated on read.
    await writeFile(join(p.path, fig.specPath), JSON.stringify({ plot: 'script', code: 'alert(1)' }));
    await expect(c('figure.get', { id: fig.id })).rejects.toMatchObject({ code: 'bad-request' });
    await b.shutdown();
  });
});

describe('electrochemistry analyses through the service', () => {
  it('normalises by the cell’s area and cathode thickness, dQ/dV finds the Ni plateaus, provenance keeps the injected values', async () => {
    const paths = { workspace: join(dir, 'ws4'), config: join(dir, 'cfg4'), staging: join(dir, 'ws4', '.staging') };
    const b = await createBackend({ paths, autosaveMs: 0, poolSize: 1 });
    const c = <M extends MethodName>(m: M, a: ArgsOf<M>) => b.dispatch(m, parseArgs(m, a), ctx);
    const p = await c('project.create', { name: 'Echem' });
    const cell = await c('cell.add', {
      name: 'LNMO film',
      activeArea: { value: 5, unit: 'mm²' },
      layers: [{ material: 'LNMO', thickness: { value: 1000, unit: 'nm' }, role: 'cathode' }, { material: 'LiPON', thickness: { value: 1.2, unit: 'µm' }, role: 'electrolyte' }],
      theoreticalCapacity: { value: 63, unit: 'µAh cm⁻² µm⁻¹' },
    });
    const [tab] = await c('dataset.import', { path: join(dir, 'cell.mpt'), owner: { kind: 'cell', id: cell.id } });
    const sum = await c('analysis.run', { analysisId: 'echem.cycling-summary', datasetIds: [tab!.id] });
    expect(sum.provenance.parameters).toMatchObject({ area_cm2: 0.05, thickness_um: 1, theoreticalCapacity_mAh: expect.closeTo(0.00315, 9) });
    expect(sum.results.firstCycleChargeCapacityVolumetric).toEqual({ value: expect.closeTo(58, 6), unit: 'µA·h cm⁻² µm⁻¹' });
    expect(sum.results.chargeCRate!.unit).toBe('h⁻¹');

    const d = await c('analysis.run', { analysisId: 'echem.dqdv', datasetIds: [tab!.id], params: { cycles: [1, 2], stepV: 0.005, window: 5 } });
    const peaks = Object.entries(d.results).filter(([k]) => /^c1_charge_peak\d_V$/.test(k)).map(([, q]) => q.value);
    expect(peaks.some((v) => Math.abs(v - 4.71) < 0.05)).toBe(true);
    expect(d.results.c1_charge_peak1_V!.uncertainty).toBeCloseTo(0.005 / Math.sqrt(12), 9);
    const h5 = await readDerived(join(p.path, d.derivedPath!));
    const text = JSON.stringify(h5);
    expect(text).toContain('c1_charge_dQdV');
    expect(text).toContain('mA·h V⁻¹');
    await b.shutdown();
  });
});

describe('multi-file formats', () => {
  it('imports a TIA .emi together with its .ser files into one raw set, and reads the data back', async () => {
    const { writeEmi, writeSer } = await import('../../fixtures/writers/ser-writer.js');
    const src = join(dir, 'tia');
    await mkdir(src, { recursive: true });
    await writeFile(join(src, 'spec.emi'), writeEmi({ microscope: 'Titan', highTensionKV: 300 }));
    await writeFile(
      join(src, 'spec_1.ser'),
      writeSer({ elementKind: 'spectrum', dataType: 6, elementShape: [8], calibrations: [{ offset: 0, delta: 0.01 }], dimensions: [{ size: 2, offset: 0, delta: 1e-9, description: 'Position', units: 'meters' }], elements: [Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), Int32Array.from([8, 7, 6, 5, 4, 3, 2, 1])] }),
    );
    const paths = { workspace: join(dir, 'ws5'), config: join(dir, 'cfg5'), staging: join(dir, 'ws5', '.staging') };
    const b = await createBackend({ paths, autosaveMs: 0, poolSize: 1 });
    const c = <M extends MethodName>(m: M, a: ArgsOf<M>) => b.dispatch(m, parseArgs(m, a), ctx);
    const p = await c('project.create', { name: 'TIA' });
    const [rec] = await c('dataset.import', { path: join(src, 'spec.emi') });
    const rawPath = 'path' in rec!.raw ? rec!.raw.path : '';
    expect(rawPath).toMatch(/^raw\/[0-9a-f]{64}\.set\/spec\.emi$/);
    expect((await stat(join(p.path, rawPath.replace('spec.emi', 'spec_1.ser')))).isFile()).toBe(true);
    const r = await c('dataset.readSlice', { id: rec!.id, selection: { start: [1, 0], count: [1, 8] } });
    expect(Array.from(new Float64Array(r.data))).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    await b.shutdown();
  });
});

describe('column mapping for unknown CSV exports', () => {
  it('maps columns the analyses need, and remembers the mapping for the next file with that header', async () => {
    const { synthGcpl } = await import('../../fixtures/writers/mpt-writer.js');
    const g = synthGcpl({ cycles: 3, capacity_mAh: 0.5, ce: 0.99, fade: 0, currentmA: 1, pointsPerHalfCycle: 40 });
    const col = (label: string) => g.columns.find((c) => c.label === label)!.values;
    const t = col('time/s');
    const e = col('Ewe/V');
    const i = col('I/mA');
    const lines = ['Zeit (s);Spannung (V);Strom (mA)'];
    for (let k = 0; k < t.length; k++) lines.push(`${t[k]!.toFixed(3)};${e[k]!.toFixed(6)};${i[k]!.toFixed(6)}`.replace(/\./g, ','));
    await writeFile(join(dir, 'messung1.csv'), lines.join('\n') + '\n');
    await writeFile(join(dir, 'messung2.csv'), lines.join('\n') + '\n');
    const paths = { workspace: join(dir, 'ws6'), config: join(dir, 'cfg6'), staging: join(dir, 'ws6', '.staging') };
    const b = await createBackend({ paths, autosaveMs: 0, poolSize: 1 });
    const c = <M extends MethodName>(m: M, a: ArgsOf<M>) => b.dispatch(m, parseArgs(m, a), ctx);
    await c('project.create', { name: 'CSV' });
    const [first] = await c('dataset.import', { path: join(dir, 'messung1.csv') });
    expect(first!.dataset.source.readerId).toBe('generic-csv');
    const info = await c('dataset.mapping', { id: first!.id });
    expect(info.columns.map((x) => x.label)).toEqual(['Zeit (s)', 'Spannung (V)', 'Strom (mA)']);
    await expect(c('echem.cycleCurves', { id: first!.id })).rejects.toBeTruthy();
    const mapped = await c('dataset.setMapping', { id: first!.id, mapping: { time: 'Zeit (s)', voltage: 'Spannung (V)', current: 'Strom (mA)' }, remember: true });
    expect(mapped.dataset.columns!.map((x) => x.name)).toEqual(['time', 'Ecell', 'I']);
    const curves = await c('echem.cycleCurves', { id: first!.id });
    expect(curves.meta.cycles).toEqual([1, 2, 3]);
    const sum = await c('analysis.run', { analysisId: 'echem.cycling-summary', datasetIds: [first!.id] });
    expect(sum.results.firstCycleChargeCapacity!.value).toBeCloseTo(0.5, 3);
    // Same header again: mapped on import, no dialog needed.
    const [second] = await c('dataset.import', { path: join(dir, 'messung2.csv') });
    expect(second!.columnMapping).toEqual({ time: 'Zeit (s)', voltage: 'Spannung (V)', current: 'Strom (mA)' });
    expect(second!.dataset.warnings.some((w) => w.startsWith('column mapping remembered'))).toBe(true);
    expect((await c('echem.cycleCurves', { id: second!.id })).meta.cycles).toEqual([1, 2, 3]);
    // A mapping naming a column that does not exist is refused with the reason.
    await expect(c('dataset.setMapping', { id: first!.id, mapping: { time: 'nope' } })).rejects.toMatchObject({ code: 'bad-request' });
    await b.shutdown();
  });
});
