/**
 * The registry of long-running tasks (Zettlr-style): every job has an id, a label, progress and a
 * cancel handle; updates go to the renderer as 'job' events, which draws a progress bar for any
 * job still running after 0.5 s.
 */
import { randomUUID } from 'node:crypto';
import type { JobInfo } from '../api/contract.js';
import { toApiError } from './serialize-error.js';

export interface JobContext {
  signal: AbortSignal;
  progress(fraction: number | null): void;
}

const KEEP_FINISHED = 50;

export class JobRegistry {
  private readonly jobs = new Map<string, { info: JobInfo; ac: AbortController; lastEmit: number }>();

  constructor(private readonly emit: (info: JobInfo) => void) {}

  async track<T>(label: string, fn: (ctx: JobContext) => Promise<T>): Promise<T> {
    const id = randomUUID().replace(/-/g, '').slice(0, 16);
    const ac = new AbortController();
    const rec = { info: { id, label, state: 'running', progress: null, started: new Date().toISOString() } as JobInfo, ac, lastEmit: 0 };
    this.jobs.set(id, rec);
    this.emit({ ...rec.info });
    try {
      const result = await fn({
        signal: ac.signal,
        progress: (fraction) => {
          rec.info.progress = fraction === null ? null : Math.max(0, Math.min(1, fraction));
          const now = Date.now();
          if (now - rec.lastEmit >= 100) {
            rec.lastEmit = now;
            this.emit({ ...rec.info });
          }
        },
      });
      rec.info.state = 'done';
      rec.info.progress = 1;
      return result;
    } catch (e) {
      const err = toApiError(e);
      rec.info.state = ac.signal.aborted || err.code === 'cancelled' ? 'cancelled' : 'failed';
      rec.info.error = err.toJSON();
      throw err;
    } finally {
      this.emit({ ...rec.info });
      this.prune();
    }
  }

  cancel(id: string): boolean {
    const rec = this.jobs.get(id);
    if (!rec || rec.info.state !== 'running') return false;
    rec.ac.abort();
    return true;
  }

  list(): JobInfo[] {
    return [...this.jobs.values()].map((r) => ({ ...r.info }));
  }

  cancelAll(): void {
    for (const r of this.jobs.values()) if (r.info.state === 'running') r.ac.abort();
  }

  private prune(): void {
    const finished = [...this.jobs.entries()].filter(([, r]) => r.info.state !== 'running');
    for (const [id] of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) this.jobs.delete(id);
  }
}
