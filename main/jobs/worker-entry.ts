/**
 * Thread side of the pool: receives {id, method, args}, runs api[method] with progress and an
 * AbortSignal, posts {id, result} (transferring ArrayBuffers) or {id, error} (serialised).
 */
import { parentPort } from 'node:worker_threads';
import { api, type WorkerMethod } from './worker-api.js';
import { serializeError } from './serialize-error.js';
import type { PoolRequest, PoolResponse } from './pool-protocol.js';

if (!parentPort) throw new Error('worker-entry must run in a worker thread');
const port = parentPort;
const running = new Map<number, AbortController>();

function transferables(result: unknown): ArrayBuffer[] {
  if (result && typeof result === 'object' && 'data' in result) {
    const d = (result as { data: unknown }).data;
    if (d instanceof ArrayBuffer) return [d];
  }
  return [];
}

port.on('message', async (msg: PoolRequest) => {
  if (msg.type === 'cancel') {
    running.get(msg.id)?.abort();
    return;
  }
  const ac = new AbortController();
  running.set(msg.id, ac);
  let lastSent = 0;
  const ctx = {
    signal: ac.signal,
    progress(fraction: number) {
      const now = Date.now();
      // Throttle: the UI needs ~10 updates a second, not one per chunk.
      if (now - lastSent < 100 && fraction < 1) return;
      lastSent = now;
      port.postMessage({ type: 'progress', id: msg.id, fraction } satisfies PoolResponse);
    },
  };
  try {
    const fn = api[msg.method as WorkerMethod] as (a: unknown, c: typeof ctx) => Promise<unknown>;
    if (typeof fn !== 'function') throw new Error(`unknown worker method ${msg.method}`);
    const result = await fn(msg.args, ctx);
    port.postMessage({ type: 'result', id: msg.id, result } satisfies PoolResponse, transferables(result));
  } catch (e) {
    port.postMessage({ type: 'error', id: msg.id, error: serializeError(e) } satisfies PoolResponse);
  } finally {
    running.delete(msg.id);
  }
});
