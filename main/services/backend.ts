/**
 * The application service behind both transports: implements every contract method once.
 * Heavy work (hashing, parsing, image planes, analyses) goes to the worker pool through the job
 * registry; project state lives in ProjectStore. No electron, no HTTP here.
 */
import { EventEmitter } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import {
  ApiError,
  type EventMap,
  type EventName,
  type MethodName,
  type ParsedArgsOf,
  type ResultOf,
} from '../api/contract.js';
import type { ProjectSnapshot } from '../api/project-types.js';
import type { Backend, CallContext } from './backend-types.js';
import { JobRegistry } from '../jobs/job-registry.js';
import { WorkerPool } from '../jobs/worker-pool.js';
import { listReaders } from '../formats/registry.js';
import { APP_NAME, APP_VERSION } from './app-version.js';
import { defaultPaths, type AppPaths } from './paths.js';
import { ProjectSession } from './project-session.js';
import { ANALYSES } from './analysis-catalog.js';
import { ensureSampleProject } from './sample-project.js';

export interface BackendOptions {
  paths?: AppPaths;
  /** A bundle to open at start. */
  startupProject?: string | null;
  /** Without a startup project: create/open the shipped sample project from this folder. */
  sampleResources?: string | null;
  workerUrl?: URL;
  workerExecArgv?: string[];
  poolSize?: number;
  autosaveMs?: number;
}

type Handlers = { [M in MethodName]: (args: ParsedArgsOf<M>, ctx: CallContext) => Promise<ResultOf<M>> };

/** Under tsx/vitest the worker is the .ts entry run with tsx; bundled, it sits next to the bundle. */
export function defaultWorker(): { url: URL; execArgv: string[] } {
  if (import.meta.url.endsWith('.ts')) {
    return { url: new URL('../jobs/dev-worker-bootstrap.mjs', import.meta.url), execArgv: [] };
  }
  return { url: new URL('./worker.mjs', import.meta.url), execArgv: [] };
}

export async function createBackend(options: BackendOptions = {}): Promise<Backend & { session: ProjectSession; paths: AppPaths }> {
  const paths = options.paths ?? defaultPaths();
  await mkdir(paths.workspace, { recursive: true });
  await mkdir(paths.config, { recursive: true });
  const events = new EventEmitter();
  const emit = <E extends EventName>(event: E, payload: EventMap[E]) => events.emit('event', event, payload);
  const jobs = new JobRegistry((info) => emit('job', info));
  const worker = options.workerUrl ? { url: options.workerUrl, execArgv: options.workerExecArgv ?? [] } : defaultWorker();
  const pool = new WorkerPool({
    size: options.poolSize ?? Math.max(1, Math.min(4, cpus().length - 1)),
    workerUrl: worker.url,
    execArgv: worker.execArgv,
  });
  const session = new ProjectSession({
    paths,
    pool,
    jobs,
    autosaveMs: options.autosaveMs ?? 1500,
    onChange: (snap: ProjectSnapshot | null) => emit('project', snap),
  });
  let startupProject: string | null = null;

  const handlers: Handlers = {
    'app.info': async (_a, ctx) => ({
      name: APP_NAME,
      version: APP_VERSION,
      transport: ctx.transport,
      workspace: paths.workspace,
      startupProject,
    }),
    'project.create': async (a) => session.create(a.directory ?? paths.workspace, a.name),
    'project.open': async (a) => session.open(a.path),
    'project.current': async () => session.snapshot(),
    'project.save': async () => session.save(),
    'project.saveAs': async (a) => session.saveAs(a.path),
    'project.close': async () => {
      await session.close();
      return null;
    },
    'project.recent': async () => session.recent(),
    'project.recover': async () => session.mutate((s) => s.recover()),
    'cell.add': async (a) => session.mutate((s) => s.addCell(a)),
    'cell.update': async (a) => session.mutate((s) => s.updateCell(a.id, a.patch)),
    'cell.remove': async (a) => session.mutate(async (s) => (await s.removeCell(a.id), null)),
    'sample.add': async (a) => session.mutate((s) => s.addSample(a)),
    'sample.update': async (a) => session.mutate((s) => s.updateSample(a.id, a.patch)),
    'sample.remove': async (a) => session.mutate(async (s) => (await s.removeSample(a.id), null)),
    'lamella.add': async (a) => session.mutate((s) => s.addLamella(a)),
    'lamella.update': async (a) => session.mutate((s) => s.updateLamella(a.id, a.patch)),
    'lamella.remove': async (a) => session.mutate(async (s) => (await s.removeLamella(a.id), null)),
    'dataset.import': async (a) => session.importFile(a.path, a.owner ?? null),
    'dataset.attach': async (a) => session.mutate((s) => s.attachDataset(a.id, a.owner)),
    'dataset.remove': async (a) => session.mutate(async (s) => (await s.removeDataset(a.id), null)),
    'dataset.get': async (a) => session.dataset(a.id).dataset,
    'dataset.mapping': async (a) => session.mappingInfo(a.id),
    'dataset.setMapping': async (a) => session.setMapping(a.id, a.mapping, a.remember),
    'dataset.readImage': async (a) => session.readImage(a.id, a.frame, a.maxSize, a.region),
    'dataset.readSlice': async (a) => session.readSlice(a.id, a.selection),
    'dataset.readColumns': async (a) => session.readColumns(a.id, a.columns),
    'dataset.spectrumSummary': async (a) => session.spectrumSummary(a.id),
    'echem.cycleCurves': async (a) => session.cycleCurves(a.id, a.cycles ?? null, a.maxPointsPerSegment, a.window),
    'figure.save': async (a) => session.saveFigure(a.title, a.spec),
    'figure.get': async (a) => session.figure(a.id),
    'figure.remove': async (a) => session.mutate(async (s) => (await s.removeFigure(a.id), null)),
    'echem.dqdvCurves': async (a) => session.dqdvCurves(a.id, a.cycles ?? null, a.stepV, a.window),
    'files.stage': async (a) => {
      // Browser uploads land in a private staging folder under a fresh directory, keeping only the
      // base name: a hostile name cannot point anywhere else.
      const name = basename(a.name).replace(/[\u0000-\u001f]/g, '_');
      if (!name || name === '.' || name === '..') throw new ApiError('bad-request', `invalid file name '${a.name}'`);
      const dir = join(paths.staging, randomUUID());
      await mkdir(dir, { recursive: true });
      const path = join(dir, name);
      await writeFile(path, new Uint8Array(a.data));
      return { path };
    },
    'formats.list': async () => listReaders().map((r) => ({ id: r.id, name: r.name, version: r.version, extensions: r.extensions })),
    'formats.inspect': async (a) => jobs.track(`Inspect ${basename(a.path)}`, (j) => pool.run('inspect', { path: a.path }, { signal: j.signal, onProgress: j.progress })),
    'analysis.list': async () => ANALYSES.map(({ run: _run, ...d }) => d),
    'analysis.arrays': async (a) => session.analysisArrays(a.id),
    'analysis.run': async (a) => session.runAnalysis(a.analysisId, a.datasetIds, a.params),
    'jobs.list': async () => jobs.list(),
    'jobs.cancel': async (a) => jobs.cancel(a.id),
    // Browser mode has no native dialogs; the renderer client falls back to <input type=file>.
    'dialog.openFiles': async () => ({ paths: null, native: false }),
    'dialog.saveProject': async () => ({ path: null, native: false }),
  };

  const backend: Backend & { session: ProjectSession; paths: AppPaths } = {
    session,
    paths,
    async dispatch<M extends MethodName>(method: M, args: ParsedArgsOf<M>, ctx: CallContext): Promise<ResultOf<M>> {
      const h = handlers[method] as (a: ParsedArgsOf<M>, c: CallContext) => Promise<ResultOf<M>>;
      if (!h) throw new ApiError('bad-request', `unknown method ${String(method)}`);
      return h(args, ctx);
    },
    subscribe(listener) {
      const l = (event: EventName, payload: unknown) => listener(event, payload as never);
      events.on('event', l);
      return () => events.off('event', l);
    },
    async shutdown() {
      jobs.cancelAll();
      await session.flush();
      await pool.shutdown();
    },
  };

  try {
    if (options.startupProject) {
      await session.open(options.startupProject);
      startupProject = options.startupProject;
    } else if (options.sampleResources) {
      const sample = await ensureSampleProject(backend, paths.workspace, options.sampleResources);
      if (sample) {
        await session.open(sample);
        startupProject = sample;
      }
    }
  } catch (e) {
    // A broken startup project must not stop the app; the UI opens on the start screen instead.
    console.error(`Interphase: could not open the startup project: ${(e as Error).message}`);
  }
  return backend;
}
