/** Messages between the pool and its worker threads. */
import type { SerializedError } from './serialize-error.js';

export type PoolRequest =
  | { type: 'run'; id: number; method: string; args: unknown }
  | { type: 'cancel'; id: number };

export type PoolResponse =
  | { type: 'progress'; id: number; fraction: number }
  | { type: 'result'; id: number; result: unknown }
  | { type: 'error'; id: number; error: SerializedError };
