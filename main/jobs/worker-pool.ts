/**
 * A small typed worker_threads pool (issue #2 item 4). Calls queue FIFO; each worker runs one call
 * at a time. Cancellation aborts the call's signal in the worker; if the worker has not answered
 * within `cancelGraceMs` it is terminated and replaced, so a stuck parser can never wedge the app.
 */
import { Worker } from 'node:worker_threads';
import { ApiError } from '../api/contract.js';
import { deserializeError } from './serialize-error.js';
import type { PoolRequest, PoolResponse } from './pool-protocol.js';
import type { WorkerApi, WorkerMethod } from './worker-api.js';

export type ArgsOfWorker<K extends WorkerMethod> = Parameters<WorkerApi[K]>[0];
export type ResultOfWorker<K extends WorkerMethod> = Awaited<ReturnType<WorkerApi[K]>>;

export interface RunOptions {
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
}

export interface PoolOptions {
  size: number;
  /** The worker script: dist/main/worker.mjs when bundled, worker-entry.ts under tsx. */
  workerUrl: URL;
  execArgv?: string[];
  cancelGraceMs?: number;
}

interface Pending {
  id: number;
  method: string;
  args: unknown;
  opts: RunOptions;
  resolve(v: unknown): void;
  reject(e: unknown): void;
  worker?: Slot;
  cancelTimer?: NodeJS.Timeout;
}

interface Slot {
  worker: Worker;
  busy: Pending | null;
}

export class WorkerPool {
  private slots: Slot[] = [];
  private queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: PoolOptions) {}

  run<K extends WorkerMethod>(method: K, args: ArgsOfWorker<K>, opts: RunOptions = {}): Promise<ResultOfWorker<K>> {
    if (this.closed) return Promise.reject(new ApiError('internal', 'worker pool is shut down'));
    if (opts.signal?.aborted) return Promise.reject(new ApiError('cancelled', 'cancelled by the user'));
    return new Promise((resolve, reject) => {
      const p: Pending = { id: this.nextId++, method, args, opts, resolve: resolve as (v: unknown) => void, reject };
      opts.signal?.addEventListener('abort', () => this.cancel(p), { once: true });
      this.queue.push(p);
      this.pump();
    });
  }

  async shutdown(): Promise<void> {
    this.closed = true;
    for (const p of this.queue) p.reject(new ApiError('cancelled', 'shutting down'));
    this.queue = [];
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots = [];
  }

  private cancel(p: Pending): void {
    const qi = this.queue.indexOf(p);
    if (qi >= 0) {
      this.queue.splice(qi, 1);
      p.reject(new ApiError('cancelled', 'cancelled by the user'));
      return;
    }
    const slot = p.worker;
    if (!slot || slot.busy !== p) return;
    slot.worker.postMessage({ type: 'cancel', id: p.id } satisfies PoolRequest);
    p.cancelTimer = setTimeout(() => {
      if (slot.busy !== p) return;
      // The call ignored its signal: kill the thread, answer the caller, start a fresh worker.
      slot.busy = null;
      this.slots = this.slots.filter((s) => s !== slot);
      void slot.worker.terminate();
      p.reject(new ApiError('cancelled', 'cancelled by the user'));
      this.pump();
    }, this.options.cancelGraceMs ?? 1000);
  }

  private spawn(): Slot {
    const worker = new Worker(this.options.workerUrl, { execArgv: this.options.execArgv ?? [] });
    const slot: Slot = { worker, busy: null };
    worker.on('message', (msg: PoolResponse) => this.onMessage(slot, msg));
    worker.on('error', (err) => this.onCrash(slot, err));
    worker.on('exit', (code) => {
      if (slot.busy) this.onCrash(slot, new Error(`worker exited with code ${code}`));
    });
    worker.unref();
    this.slots.push(slot);
    return slot;
  }

  private onCrash(slot: Slot, err: Error): void {
    this.slots = this.slots.filter((s) => s !== slot);
    const p = slot.busy;
    slot.busy = null;
    if (p) {
      clearTimeout(p.cancelTimer);
      p.reject(new ApiError('internal', `worker failed during ${p.method}: ${err.message}`));
    }
    this.pump();
  }

  private onMessage(slot: Slot, msg: PoolResponse): void {
    const p = slot.busy;
    if (!p || p.id !== msg.id) return;
    if (msg.type === 'progress') {
      p.opts.onProgress?.(msg.fraction);
      return;
    }
    clearTimeout(p.cancelTimer);
    slot.busy = null;
    if (msg.type === 'result') p.resolve(msg.result);
    else p.reject(deserializeError(msg.error));
    this.pump();
  }

  private pump(): void {
    while (this.queue.length) {
      let slot = this.slots.find((s) => !s.busy);
      if (!slot) {
        if (this.slots.length >= this.options.size) return;
        slot = this.spawn();
      }
      const p = this.queue.shift()!;
      slot.busy = p;
      p.worker = slot;
      slot.worker.ref();
      slot.worker.postMessage({ type: 'run', id: p.id, method: p.method, args: p.args } satisfies PoolRequest);
    }
    for (const s of this.slots) if (!s.busy) s.worker.unref();
  }
}
