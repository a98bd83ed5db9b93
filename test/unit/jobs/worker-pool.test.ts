/**
 * The pool with real threads: results, progress, typed errors across the thread boundary,
 * cancellation of queued and running calls.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkerPool } from '../../../main/jobs/worker-pool.js';
import { defaultWorker } from '../../../main/services/backend.js';
import { FormatError } from '../../../main/formats/format-error.js';
import { UnsupportedFormat } from '../../../main/formats/registry.js';
import { ApiError } from '../../../main/api/contract.js';
import { JobRegistry } from '../../../main/jobs/job-registry.js';
import { sampleHrtemDm4 } from '../../fixtures/sample-data.js';

let dir: string;
let pool: WorkerPool;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'interphase-pool-'));
  await writeFile(join(dir, 'img.dm4'), sampleHrtemDm4());
  const broken = sampleHrtemDm4().slice(0, 600);
  await writeFile(join(dir, 'truncated.dm4'), broken);
  await writeFile(join(dir, 'notes.txt'), 'hello');
  // A large file so that hashing takes long enough to cancel mid-way.
  await writeFile(join(dir, 'big.bin'), new Uint8Array(256 * 1024 * 1024));
  const w = defaultWorker();
  pool = new WorkerPool({ size: 2, workerUrl: w.url, execArgv: w.execArgv, cancelGraceMs: 2000 });
});
afterAll(async () => pool.shutdown());

describe('WorkerPool', () => {
  it('runs a call in a thread and reports progress', async () => {
    const progress: number[] = [];
    const r = await pool.run('inspect', { path: join(dir, 'img.dm4') }, { onProgress: (f) => progress.push(f) });
    expect(r.readerId).toBe('gatan-dm');
    expect(r.entries[0]!.shape).toEqual([384, 384]);
    expect(r.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(progress.at(-1)).toBe(1);
  });

  it('moves image planes as ArrayBuffers', async () => {
    const r = await pool.run('readImage', { path: join(dir, 'img.dm4'), entry: 'image1', frame: 0, maxSize: 128 });
    expect(r.data).toBeInstanceOf(ArrayBuffer);
    expect(r.meta.binning).toBe(3);
    expect(r.data.byteLength).toBe(128 * 128 * 4);
    expect(r.meta.pixelSize.x.unit).toBe('nm');
    expect(r.meta.pixelSize.x.value).toBeCloseTo(0.075, 6);
  });

  it('rehydrates errors with their type', async () => {
    const e1 = await pool.run('inspect', { path: join(dir, 'truncated.dm4') }).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(FormatError);
    expect((e1 as FormatError).file).toBe('truncated.dm4');
    const e2 = await pool.run('inspect', { path: join(dir, 'notes.txt') }).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(UnsupportedFormat);
    const e3 = await pool.run('readImage', { path: join(dir, 'img.dm4'), entry: 'nope', frame: 0, maxSize: 64 }).catch((e: unknown) => e);
    expect(e3).toBeInstanceOf(ApiError);
    expect((e3 as ApiError).code).toBe('not-found');
  });

  it('cancels a running call through the job registry', async () => {
    const events: string[] = [];
    const jobs = new JobRegistry((j) => events.push(`${j.state}:${j.progress ?? '-'}`));
    const running = jobs.track('hash big file', (ctx) =>
      pool.run('inspect', { path: join(dir, 'big.bin') }, { signal: ctx.signal, onProgress: ctx.progress }),
    );
    await new Promise((r) => setTimeout(r, 30));
    const id = jobs.list()[0]!.id;
    expect(jobs.cancel(id)).toBe(true);
    const err = await running.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('cancelled');
    expect(jobs.list()[0]!.state).toBe('cancelled');
    expect(events[0]).toMatch(/^running/);
    // The pool still works afterwards.
    const ok = await pool.run('inspect', { path: join(dir, 'img.dm4') });
    expect(ok.readerId).toBe('gatan-dm');
  });
});
