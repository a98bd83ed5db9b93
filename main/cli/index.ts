/**
 * Headless Interphase: `npm run cli -- <command>`.
 *   inspect <file> [--original]        reader chosen, shape, dtype, axes with units, metadata (JSON)
 *   project new <directory> <name>     create <directory>/<name>.interphase
 *   project list <bundle>              cells, samples, lamellae, datasets, analyses (JSON)
 *   project import <bundle> <file> [--cell ID | --sample ID | --lamella ID]
 *   project add-cell <bundle> <name> [--chemistry TEXT]
 * Project commands go through the same service as the UI, so the results are identical.
 */
import { resolve } from 'node:path';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api as workerApi } from '../jobs/worker-api.js';
import { createBackend } from '../services/backend.js';
import { invoke } from '../services/backend-types.js';
import { toApiError } from '../jobs/serialize-error.js';
import type { OwnerRef } from '../api/project-types.js';
import { defaultPaths } from '../services/paths.js';

const USAGE = `usage:
  interphase inspect <file> [--original]
  interphase project new <directory> <name>
  interphase project list <bundle>
  interphase project import <bundle> <file> [--cell ID | --sample ID | --lamella ID]
  interphase project add-cell <bundle> <name> [--chemistry TEXT]`;

class UsageError extends Error {}

function opt(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  if (i < 0) return undefined;
  const v = argv[i + 1];
  if (v === undefined) throw new UsageError(`${name} needs a value`);
  argv.splice(i, 2);
  return v;
}

const noProgress = { progress: () => {}, signal: new AbortController().signal };

async function withBackend<T>(fn: (b: Awaited<ReturnType<typeof createBackend>>) => Promise<T>): Promise<T> {
  // Headless runs keep their recent-projects list apart from the desktop app's unless told otherwise.
  const paths = process.env.INTERPHASE_CONFIG ? defaultPaths() : { ...defaultPaths(), config: await mkdtemp(join(tmpdir(), 'interphase-cli-')) };
  const b = await createBackend({ paths, autosaveMs: 0, poolSize: 1 });
  try {
    return await fn(b);
  } finally {
    await b.shutdown();
  }
}

export async function run(argv: string[], out: (s: string) => void): Promise<void> {
  const args = [...argv];
  const cmd = args.shift();
  if (cmd === 'inspect') {
    const original = args.includes('--original');
    const file = args.filter((a) => a !== '--original')[0];
    if (!file) throw new UsageError('inspect needs a file');
    const r = await workerApi.inspect({ path: resolve(file) }, noProgress);
    const entries = r.entries.map((e) => (original ? e : { ...e, original: undefined }));
    out(JSON.stringify({ ...r, reader: { id: r.readerId, name: r.readerName }, entries }, null, 2));
    return;
  }
  if (cmd === 'project') {
    const sub = args.shift();
    const ctx = { transport: 'http' } as const;
    if (sub === 'new') {
      const [dir, name] = args;
      if (!dir || !name) throw new UsageError('project new needs <directory> <name>');
      await withBackend(async (b) => {
        const snap = await invoke(b, 'project.create', { name, directory: resolve(dir) }, ctx);
        out(snap.path);
      });
      return;
    }
    if (sub === 'list') {
      const [bundle] = args;
      if (!bundle) throw new UsageError('project list needs <bundle>');
      await withBackend(async (b) => {
        const d = (await invoke(b, 'project.open', { path: resolve(bundle) }, ctx)).document;
        out(
          JSON.stringify(
            {
              name: d.name,
              schemaVersion: d.schemaVersion,
              cells: d.cells.map((c) => ({ id: c.id, name: c.name, chemistry: c.chemistry })),
              samples: d.samples.map((s) => ({ id: s.id, cellId: s.cellId, name: s.name, state: s.state })),
              lamellae: d.lamellae.map((l) => ({ id: l.id, sampleId: l.sampleId, name: l.name })),
              datasets: d.datasets.map((x) => ({
                id: x.id,
                owner: x.owner,
                title: x.dataset.title,
                kind: x.dataset.kind,
                shape: x.dataset.shape,
                reader: x.dataset.source.readerId,
                file: x.dataset.source.fileName,
                sha256: x.dataset.source.sha256,
              })),
              analyses: d.analyses.map((a) => ({ id: a.id, analysisId: a.analysisId, results: a.results })),
            },
            null,
            2,
          ),
        );
      });
      return;
    }
    if (sub === 'import') {
      const cell = opt(args, '--cell');
      const sample = opt(args, '--sample');
      const lamella = opt(args, '--lamella');
      const [bundle, file] = args;
      if (!bundle || !file) throw new UsageError('project import needs <bundle> <file>');
      const owner: OwnerRef | null = cell ? { kind: 'cell', id: cell } : sample ? { kind: 'sample', id: sample } : lamella ? { kind: 'lamella', id: lamella } : null;
      await withBackend(async (b) => {
        await invoke(b, 'project.open', { path: resolve(bundle) }, ctx);
        const recs = await invoke(b, 'dataset.import', { path: resolve(file), owner }, ctx);
        await invoke(b, 'project.save', {}, ctx);
        out(JSON.stringify(recs.map((r) => ({ id: r.id, title: r.dataset.title, kind: r.dataset.kind, reader: r.dataset.source.readerId })), null, 2));
      });
      return;
    }
    if (sub === 'add-cell') {
      const chemistry = opt(args, '--chemistry');
      const [bundle, name] = args;
      if (!bundle || !name) throw new UsageError('project add-cell needs <bundle> <name>');
      await withBackend(async (b) => {
        await invoke(b, 'project.open', { path: resolve(bundle) }, ctx);
        const c = await invoke(b, 'cell.add', { name, ...(chemistry ? { chemistry } : {}) }, ctx);
        await invoke(b, 'project.save', {}, ctx);
        out(c.id);
      });
      return;
    }
  }
  throw new UsageError(cmd ? `unknown command '${[cmd, ...args.slice(0, 1)].join(' ')}'` : 'no command');
}

const invokedDirectly = process.argv[1] && /cli[/\\]index\.ts$|cli\.mjs$/.test(process.argv[1]);
if (invokedDirectly) {
  run(process.argv.slice(2), (s) => process.stdout.write(s + '\n')).catch((e) => {
    if (e instanceof UsageError) {
      process.stderr.write(`interphase: ${e.message}\n${USAGE}\n`);
      process.exit(2);
    }
    const err = toApiError(e);
    process.stderr.write(`interphase: ${err.message}\n`);
    process.exit(1);
  });
}
