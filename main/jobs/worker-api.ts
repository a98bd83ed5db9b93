/**
 * The work that runs in worker threads (DESIGN.md "Work that takes time"). Each function takes
 * plain arguments and a context with progress + cancellation and returns structured-cloneable
 * results; big arrays come back as ArrayBuffers (transferred, never JSON). Tests call `api`
 * directly, without a thread.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { InspectResult, ImageMeta, ImageRegion } from '../api/contract.js';
import { ApiError } from '../api/contract.js';
import { elementCount, type DatasetEntry } from '../api/dataset.js';
import { openPath } from '../formats/registry.js';
import { binPlane, binningFor, clipRegion, planeStats, planeToFloat32 } from '../analysis/image/display-plane.js';
import { cycleCurves, downsampleLttb, indicesInWindow, type CyclingColumns } from '../analysis/echem/cycling.js';
import { defaultCycles } from '../analysis/echem/cycle-selection.js';
import { findAnalysis, resolvedParameters, type AnalysisOutput } from '../services/analysis-catalog.js';
import type { Column, ColumnArray, ColumnMapping, Selection } from '../api/dataset.js';
import { applyMapping } from '../formats/generic-csv/mapping.js';
import type { Quantity } from '../api/dataset.js';
import type { CycleCurvesMeta, DqdvCurvesMeta } from '../api/contract.js';
import { dqdvCurve } from '../analysis/echem/dqdv.js';

export interface WorkerContext {
  progress(fraction: number): void;
  signal: AbortSignal;
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new ApiError('cancelled', 'cancelled by the user');
}

/** Stream a file through sha256 (the identity of raw data in a project), reporting progress. */
export async function sha256File(path: string, ctx: WorkerContext): Promise<{ sha256: string; size: number }> {
  const { size } = await stat(path);
  const hash = createHash('sha256');
  let done = 0;
  await new Promise<void>((resolve, reject) => {
    const s = createReadStream(path, { highWaterMark: 4 << 20 });
    s.on('data', (chunk) => {
      if (ctx.signal.aborted) {
        s.destroy(new ApiError('cancelled', 'cancelled by the user'));
        return;
      }
      hash.update(chunk);
      done += chunk.length;
      ctx.progress(size ? done / size : 1);
    });
    s.on('error', reject);
    s.on('end', () => resolve());
  });
  return { sha256: hash.digest('hex'), size };
}

function findEntry(entries: DatasetEntry[], entry: string, file: string): DatasetEntry {
  const e = entries.find((x) => x.entry === entry);
  if (!e) throw new ApiError('not-found', `${file}: no entry '${entry}' (has ${entries.map((x) => x.entry).join(', ')})`);
  return e;
}

/**
 * Read columns of a table entry by their (possibly user-mapped) names. A mapping renames and
 * re-units columns but never reorders them, so each mapped column is read by the name the reader
 * gave it at the same position.
 */
async function readTable(
  path: string,
  entry: string,
  names: string[] | null,
  mapping: ColumnMapping | null | undefined,
  ctx: WorkerContext,
): Promise<{ columns: Column[]; data: Record<string, ColumnArray> }> {
  const { file, source } = await openPath(path);
  try {
    const e = findEntry(file.entries, entry, source.name);
    if (!e.columns || !file.readColumns) throw new ApiError('bad-request', `${source.name}: entry '${entry}' is not a table`);
    const fileCols = e.columns;
    let cols = fileCols;
    if (mapping) {
      try {
        cols = applyMapping(e, mapping).columns!;
      } catch (err) {
        throw new ApiError('bad-request', `${source.name}: the saved column mapping no longer fits (${(err as Error).message})`);
      }
    }
    const wanted = names ?? cols.map((c) => c.name);
    const keys = wanted.map((n) => {
      const i = cols.findIndex((c) => c.name === n);
      if (i < 0) throw new ApiError('not-found', `${source.name}: no column '${n}'`);
      return i;
    });
    const raw = await file.readColumns(e.entry, keys.map((i) => fileCols[i]!.name), ctx.signal);
    const data: Record<string, ColumnArray> = {};
    wanted.forEach((n, k) => (data[n] = raw[fileCols[keys[k]!]!.name]!));
    return { columns: keys.map((i) => cols[i]!), data };
  } finally {
    await file.close();
    await source.close();
  }
}

/** Every numeric column of a table entry, by name, with units. */
async function readAllColumns(path: string, entry: string, ctx: WorkerContext, mapping?: ColumnMapping | null): Promise<CyclingColumns> {
  const t = await readTable(path, entry, null, mapping, ctx);
  const out: CyclingColumns = {};
  for (const c of t.columns) if (t.data[c.name]) out[c.name] = { units: c.units, values: t.data[c.name]! };
  return out;
}

export const api = {
  async inspect(args: { path: string }, ctx: WorkerContext): Promise<InspectResult> {
    const hashed = await sha256File(args.path, { progress: (f) => ctx.progress(0.8 * f), signal: ctx.signal });
    throwIfAborted(ctx.signal);
    const { reader, file, declined, source } = await openPath(args.path);
    try {
      ctx.progress(1);
      return {
        file: source.name,
        size: hashed.size,
        sha256: hashed.sha256,
        readerId: reader.id,
        readerName: reader.name,
        declined,
        entries: file.entries,
      };
    } finally {
      await file.close();
      await source.close();
    }
  },

  /**
   * One display plane (frame) of an image entry, or the part of it in `region` (zoom), binned to
   * ≤ maxSize per side, as float32. Only the region's rows and columns are read from the file.
   */
  async readImage(
    args: { path: string; entry: string; frame: number; maxSize: number; region?: ImageRegion | null },
    ctx: WorkerContext,
  ): Promise<{ meta: Omit<ImageMeta, 'datasetId'>; data: ArrayBuffer }> {
    const { file, source } = await openPath(args.path);
    try {
      const e = findEntry(file.entries, args.entry, source.name);
      if (e.shape.length < 2 || e.kind === 'table' || e.kind === 'spectrum') {
        throw new ApiError('bad-request', `${source.name}: entry '${e.entry}' is a ${e.kind}, not an image`);
      }
      const nd = e.shape.length;
      const height = e.shape[nd - 2]!;
      const width = e.shape[nd - 1]!;
      const frames = elementCount(e.shape.slice(0, nd - 2));
      if (args.frame >= frames) throw new ApiError('bad-request', `frame ${args.frame} out of range (0…${frames - 1})`);
      // Unravel the frame index over the leading (navigation) axes, C order.
      const start = new Array<number>(nd).fill(0);
      let rest = args.frame;
      for (let d = nd - 3; d >= 0; d--) {
        start[d] = rest % e.shape[d]!;
        rest = Math.floor(rest / e.shape[d]!);
      }
      const region = clipRegion(args.region, width, height);
      start[nd - 2] = region.y;
      start[nd - 1] = region.x;
      const count = e.shape.map((s, d) => (d === nd - 2 ? region.height : d === nd - 1 ? region.width : 1));
      const raw = await file.readSlice(e.entry, { start, count }, ctx.signal);
      throwIfAborted(ctx.signal);
      ctx.progress(0.6);
      const plane = planeToFloat32(raw, e.dtype, region.width * region.height);
      const b = binningFor(region.width, region.height, args.maxSize);
      const binned = binPlane(plane, region.width, region.height, b);
      const stats = planeStats(binned.data);
      const ax = e.axes[nd - 1]!;
      const ay = e.axes[nd - 2]!;
      ctx.progress(1);
      return {
        meta: {
          frame: args.frame,
          frames,
          width: binned.width,
          height: binned.height,
          binning: b,
          region,
          fullWidth: width,
          fullHeight: height,
          ...stats,
          pixelSize: {
            x: { value: (ax.scale ?? 1) * b, unit: ax.units },
            y: { value: (ay.scale ?? 1) * b, unit: ay.units },
          },
          intensityUnit: e.intensity?.units ?? '',
        },
        data: binned.data.buffer as ArrayBuffer,
      };
    } finally {
      await file.close();
      await source.close();
    }
  },

  /** Whole columns of a table entry, concatenated as float64 in the order asked. */
  async readColumns(
    args: { path: string; entry: string; columns: string[]; mapping?: ColumnMapping | null },
    ctx: WorkerContext,
  ): Promise<{ meta: { columns: { name: string; units: string; length: number }[] }; data: ArrayBuffer }> {
    const t = await readTable(args.path, args.entry, args.columns.length ? args.columns : null, args.mapping, ctx);
    const total = t.columns.reduce((a, c) => a + t.data[c.name]!.length, 0);
    const out = new Float64Array(total);
    let off = 0;
    const meta = t.columns.map((c) => {
      const v = t.data[c.name]!;
      out.set(v, off);
      off += v.length;
      return { name: c.name, units: c.units, length: v.length };
    });
    ctx.progress(1);
    return { meta: { columns: meta }, data: out.buffer };
  },

  /** An entry as its reader describes it (no hashing): for re-applying a column mapping. */
  async describe(args: { path: string; entry: string }): Promise<DatasetEntry> {
    const { file, source } = await openPath(args.path);
    try {
      return findEntry(file.entries, args.entry, source.name);
    } finally {
      await file.close();
      await source.close();
    }
  },

  /** A hyper-rectangle of an array entry as float64 (complex → modulus, rgba → luminance). */
  async readSlice(
    args: { path: string; entry: string; selection: Selection },
    ctx: WorkerContext,
  ): Promise<{ shape: number[]; data: ArrayBuffer }> {
    const { file, source } = await openPath(args.path);
    try {
      const e = findEntry(file.entries, args.entry, source.name);
      const sel = args.selection;
      if (sel.start.length !== e.shape.length || sel.count.length !== e.shape.length) {
        throw new ApiError('bad-request', `selection has ${sel.start.length} axes; ${e.entry} has ${e.shape.length}`);
      }
      e.shape.forEach((s, d) => {
        if (sel.start[d]! + sel.count[d]! > s) throw new ApiError('bad-request', `selection exceeds axis ${d} (size ${s})`);
      });
      const raw = await file.readSlice(e.entry, sel, ctx.signal);
      const step = sel.step ?? sel.count.map(() => 1);
      const shape = sel.count.map((c, d) => Math.ceil(c / step[d]!));
      const n = elementCount(shape);
      const f32 = planeToFloat32(raw, e.dtype, n);
      return { shape, data: Float64Array.from(f32).buffer };
    } finally {
      await file.close();
      await source.close();
    }
  },

  /**
   * Sum spectrum and integrated-intensity map of a spectrum image [..., y, x, E] (or a line
   * profile [n, E]), read one row at a time so memory stays at one row.
   */
  async spectrumSummary(
    args: { path: string; entry: string },
    ctx: WorkerContext,
  ): Promise<{ meta: { rows: number; cols: number; channels: number }; data: ArrayBuffer }> {
    const { file, source } = await openPath(args.path);
    try {
      const e = findEntry(file.entries, args.entry, source.name);
      const nd = e.shape.length;
      if (nd < 2 || nd > 3) throw new ApiError('bad-request', `${source.name}: '${e.entry}' is not a spectrum image (shape ${e.shape.join('×')})`);
      const channels = e.shape[nd - 1]!;
      const rows = nd === 3 ? e.shape[0]! : 1;
      const cols = e.shape[nd - 2]!;
      // Layout of the result: sum spectrum (float64 × channels), then the map (float64 × rows·cols).
      const out = new Float64Array(channels + rows * cols);
      for (let r = 0; r < rows; r++) {
        throwIfAborted(ctx.signal);
        const start = nd === 3 ? [r, 0, 0] : [0, 0];
        const count = nd === 3 ? [1, cols, channels] : [cols, channels];
        const raw = await file.readSlice(e.entry, { start, count }, ctx.signal);
        const row = planeToFloat32(raw, e.dtype, cols * channels);
        for (let c = 0; c < cols; c++) {
          let total = 0;
          const off = c * channels;
          for (let k = 0; k < channels; k++) {
            const v = row[off + k]!;
            out[k]! += v;
            total += v;
          }
          out[channels + r * cols + c] = total;
        }
        ctx.progress((r + 1) / rows);
      }
      return { meta: { rows, cols, channels }, data: out.buffer };
    } finally {
      await file.close();
      await source.close();
    }
  },

  /** Voltage–capacity curves per half cycle, LTTB-downsampled per segment for plotting. */
  async cycleCurves(
    args: { path: string; entry: string; cycles: number[] | null; maxPointsPerSegment: number; window?: { xMin: number; xMax: number } | null; mapping?: ColumnMapping | null },
    ctx: WorkerContext,
  ): Promise<{ meta: Omit<CycleCurvesMeta, 'datasetId'>; data: ArrayBuffer }> {
    const cols = await readAllColumns(args.path, args.entry, ctx, args.mapping);
    ctx.progress(0.5);
    const curves = cycleCurves(cols);
    const all = [...new Set(curves.curves.map((c) => c.cycle))].sort((a, b) => a - b);
    const wanted = new Set(args.cycles ?? defaultCycles(all));
    const chosen = curves.curves.filter((c) => wanted.has(c.cycle));
    // Zoomed: only the points inside the capacity window are decimated, so the budget of points
    // per half cycle is spent where the user looks — at enough zoom, every recorded point.
    const win = args.window ?? null;
    let pointsInView = 0;
    const picks = chosen.map((c) => {
      const inView = win ? indicesInWindow(c.capacity, win.xMin, win.xMax) : null;
      pointsInView += inView ? inView.length : c.capacity.length;
      if (!inView) return downsampleLttb(c.capacity, c.voltage, args.maxPointsPerSegment);
      const sub = downsampleLttb(
        Float64Array.from(inView, (i) => c.capacity[i]!),
        Float64Array.from(inView, (i) => c.voltage[i]!),
        args.maxPointsPerSegment,
      );
      return Uint32Array.from(sub, (k) => inView[k]!);
    });
    const total = picks.reduce((a, p) => a + p.length, 0);
    const out = new Float64Array(2 * total);
    const segments: CycleCurvesMeta['segments'] = [];
    let off = 0;
    chosen.forEach((c, k) => {
      const idx = picks[k]!;
      for (let i = 0; i < idx.length; i++) {
        out[off + i] = c.capacity[idx[i]!]!;
        out[total + off + i] = c.voltage[idx[i]!]!;
      }
      segments.push({ cycle: c.cycle, direction: c.direction, offset: off, length: idx.length });
      off += idx.length;
    });
    ctx.progress(1);
    return {
      meta: { capacityUnit: curves.capacityUnit, voltageUnit: curves.voltageUnit, segments, cycles: all, ...(win ? { window: win } : {}), pointsInView, pointsShown: total, capacitySource: curves.capacitySource },
      data: out.buffer,
    };
  },

  /** dQ/dV per half cycle of the chosen cycles (default overlay as for voltage–capacity). */
  async dqdvCurves(
    args: { path: string; entry: string; cycles: number[] | null; stepV: number; window: number; mapping?: ColumnMapping | null },
    ctx: WorkerContext,
  ): Promise<{ meta: Omit<DqdvCurvesMeta, 'datasetId'>; data: ArrayBuffer }> {
    const cols = await readAllColumns(args.path, args.entry, ctx, args.mapping);
    const curves = cycleCurves(cols);
    const all = [...new Set(curves.curves.map((c) => c.cycle))].sort((a, b) => a - b);
    const wanted = new Set(args.cycles ?? defaultCycles(all, 5));
    const parts = curves.curves
      .filter((c) => wanted.has(c.cycle))
      .map((c) => ({ c, d: dqdvCurve(c.capacity, c.voltage, c.direction === 'charge' ? 1 : -1, { stepV: args.stepV, window: args.window }) }));
    const total = parts.reduce((a, p) => a + p.d.voltage.length, 0);
    const out = new Float64Array(2 * total);
    const segments: DqdvCurvesMeta['segments'] = [];
    let off = 0;
    for (const { c, d } of parts) {
      out.set(d.voltage, off);
      out.set(d.dqdv, total + off);
      segments.push({ cycle: c.cycle, direction: c.direction, offset: off, length: d.voltage.length, peaks: d.peaks.map((p) => ({ voltage: p.voltage, height: p.height })) });
      off += d.voltage.length;
    }
    ctx.progress(1);
    return { meta: { segments, cycles: all, unit: 'mA·h V⁻¹' }, data: out.buffer };
  },

  /** Run a catalogued analysis on its input datasets (table analyses: all columns of the first). */
  async runAnalysis(
    args: { analysisId: string; inputs: { path: string; entry: string; mapping?: ColumnMapping | null }[]; params: Record<string, unknown> },
    ctx: WorkerContext,
  ): Promise<{ results: Record<string, Quantity>; arrays: AnalysisOutput['arrays']; axes: Record<string, string>; parameters: Record<string, unknown>; resolved?: AnalysisOutput['resolved'] }> {
    const a = findAnalysis(args.analysisId);
    const parameters = resolvedParameters(a, args.params);
    const first = args.inputs[0];
    if (!first) throw new ApiError('bad-request', `${a.id} needs an input dataset`);
    const cols = await readAllColumns(first.path, first.entry, ctx, first.mapping);
    throwIfAborted(ctx.signal);
    ctx.progress(0.5);
    const out = a.run(cols, parameters);
    ctx.progress(1);
    return { results: out.results, arrays: out.arrays, axes: out.axes ?? {}, parameters, ...(out.resolved ? { resolved: out.resolved } : {}) };
  },
};

export type WorkerApi = typeof api;
export type WorkerMethod = keyof WorkerApi;
