/**
 * DESIGN.md "The project on disk": "a kill at any instant leaves the old or the new state, never a
 * torn one". A child process saves in a tight loop; we SIGKILL it at varied moments (during
 * start-up/open, and mid save loop) and after every kill ProjectStore.open must succeed with a
 * document that is exactly one of the states the child could have written.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectStore } from '../../../main/project/project-store.js';
import { makeTempDir } from './helpers.js';
import { notesFor } from './save-loop.child.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const childScript = fileURLToPath(new URL('./save-loop.child.ts', import.meta.url));

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await makeTempDir('kill')));
afterAll(() => cleanup());

interface RunResult {
  ready: boolean;
  lastSaved: number | null;
  savesThisRun: number;
  stderr: string;
}

/** Start the child, kill it `delayMs` after it is ready (or after spawn when `beforeReady`), report what it acknowledged. */
function runAndKill(bundle: string, delayMs: number, beforeReady: boolean): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', childScript, bundle], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    const result: RunResult = { ready: false, lastSaved: null, savesThisRun: 0, stderr: '' };
    let buffer = '';
    let timer: NodeJS.Timeout | null = null;
    const kill = () => child.kill('SIGKILL');
    if (beforeReady) timer = setTimeout(kill, delayMs);
    // Safety net: never let a stuck child hang the suite.
    const guard = setTimeout(kill, 10_000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.startsWith('ready')) {
          result.ready = true;
          if (!beforeReady) timer = setTimeout(kill, delayMs);
        } else if (line.startsWith('saved ')) {
          result.lastSaved = Number(line.slice(6));
          result.savesThisRun++;
        }
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c: string) => (result.stderr += c));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      clearTimeout(guard);
      if (signal !== 'SIGKILL') reject(new Error(`child exited by itself (code ${code}): ${result.stderr}`));
      else resolve(result);
    });
  });
}

describe('kill during save', () => {
  it('leaves a project that opens and holds a previous or the new state, after every one of 24 kills', async () => {
    const created = await ProjectStore.create(dir, 'Killed');
    const bundle = created.path;
    await created.close();

    let durable = 0; // cells the child has acknowledged as saved
    let killsMidLoop = 0;
    for (let k = 0; k < 24; k++) {
      // Varied moments: a few kills land during start-up/open, most mid-loop at 0-120 ms, plus
      // sub-millisecond jitter so they fall at different points of write/fsync/rename.
      const beforeReady = k % 6 === 5;
      const delay = beforeReady ? 50 + Math.random() * 400 : Math.random() * 120;
      const run = await runAndKill(bundle, delay, beforeReady);
      if (run.lastSaved !== null) durable = Math.max(durable, run.lastSaved);
      if (run.savesThisRun > 0) killsMidLoop++;

      const store = await ProjectStore.open(bundle);
      const cells = store.snapshot().document.cells;
      const n = cells.length;
      // Old state (the acknowledged one) or the one being written when the kill came.
      expect(n, `kill ${k}: ${n} cells on disk, ${durable} acknowledged`).toBeGreaterThanOrEqual(durable);
      expect(n).toBeLessThanOrEqual(durable + 1);
      cells.forEach((c, i) => {
        expect(c.name).toBe(`cell ${i}`);
        expect(c.notes).toBe(notesFor(i));
      });
      durable = n;
      await store.close();
    }
    expect(killsMidLoop).toBeGreaterThanOrEqual(10);
    expect(durable).toBeGreaterThan(20);
  }, 60_000);
});
