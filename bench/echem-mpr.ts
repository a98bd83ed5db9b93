/**
 * Benchmark: the .mpr reader on a generated 1,000,000-row GCPL file (flags, time, Ewe, I, (Q-Qo),
 * cycle number — 33-byte records, EC-Lab ≥ 11.50 layout), against galvani in the same run.
 *
 * Interphase: open + readColumns of every column, best of 9, in this process.
 * Columns come back in their stored widths (float32 stays float32, flags as bytes), as galvani's do.
 * galvani (echemdata/galvani, GPL-3.0, run as an external reference only — never vendored): a
 * local checkout named by GALVANI_DIR (e.g. /tmp/galvani), run with Debian's python3 + numpy;
 * MPRfile() + materialising every column and flag, best of 9, timed inside Python. When the
 * checkout, python3 or numpy is missing, galvani_s is null and the note says why.
 * ratio = interphase_s / galvani_s (below 1: Interphase is faster). floor_s: allocating and filling
 * arrays of the returned types and lengths, nothing else — what any reader must pay to hand the
 * columns back; floor_ratio = floor_s / galvani_s bounds the ratio any such reader can reach here.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { NodeFileSource } from '../main/formats/file-source.js';
import { biologicMprReader } from '../main/formats/biologic-mpr/reader.js';
import { synthCycling, writeMpr } from '../test/fixtures/writers/mpr-writer.js';

const run = promisify(execFile);
const ROWS = 1_000_000;
const REPEATS = 9;

export interface EchemMprResult {
  name: string;
  interphase_s: number;
  galvani_s: number | null;
  ratio: number | null;
  /**
   * The floor for any reader that hands back the columns as typed arrays: allocating and writing
   * arrays of the same types and lengths, no file I/O and no decoding (best of the same repeats).
   */
  floor_s: number;
  floor_ratio: number | null;
  note: string;
}

/**
 * Allocate and fill arrays shaped like `like` (same constructors and lengths). On this VM a page
 * fault costs microseconds, so touching fresh memory is a large, fixed part of returning data.
 */
function timeFloor(like: Record<string, ArrayLike<number> & { constructor: unknown }>): number {
  let best = Infinity;
  const shapes = Object.values(like).map((a) => ({ Ctor: a.constructor as new (n: number) => { fill(v: number): unknown }, n: a.length }));
  for (let i = 0; i < REPEATS; i++) {
    const t0 = performance.now();
    const made = shapes.map(({ Ctor, n }) => new Ctor(n).fill(1));
    best = Math.min(best, (performance.now() - t0) / 1000);
    if (made.length !== shapes.length) throw new Error('unreachable');
  }
  return best;
}

async function timeInterphase(file: string): Promise<{ seconds: number; eweSum: number; names: string[]; floor: number }> {
  let best = Infinity;
  let eweSum = 0;
  let names: string[] = [];
  let last: Record<string, ArrayLike<number> & { constructor: unknown }> = {};
  for (let i = 0; i < REPEATS; i++) {
    const t0 = performance.now();
    const f = await biologicMprReader.open(await NodeFileSource.open(file));
    names = f.entries[0]!.columns!.map((c) => c.name);
    const cols = await f.readColumns!('data', names);
    await f.close();
    best = Math.min(best, (performance.now() - t0) / 1000);
    eweSum = 0;
    for (const v of cols.Ewe!) eweSum += v;
    last = cols;
  }
  return { seconds: best, eweSum, names, floor: timeFloor(last) };
}

const GALVANI_SCRIPT = `
import json, sys, time
import numpy as np
from galvani import BioLogic
path, repeats = sys.argv[1], int(sys.argv[2])
best = float('inf')
for _ in range(repeats):
    t0 = time.perf_counter()
    m = BioLogic.MPRfile(path)
    cols = [np.array(m.data[n]) for n in m.dtype.names]
    flags = [m.get_flag(n) for n in m.flags_dict]
    best = min(best, time.perf_counter() - t0)
print(json.dumps({"seconds": best, "rows": int(m.data.shape[0]), "ewe_sum": float(np.sum(m.data["Ewe/V"].astype(np.float64))), "numpy": np.__version__}))
`;

async function timeGalvani(file: string): Promise<{ seconds: number; rows: number; eweSum: number; numpy: string } | { error: string }> {
  const dir = process.env.GALVANI_DIR;
  if (!dir) return { error: 'GALVANI_DIR is not set (point it at a local galvani checkout, e.g. /tmp/galvani)' };
  if (!existsSync(path.join(dir, 'galvani', 'BioLogic.py'))) return { error: `no galvani/BioLogic.py under GALVANI_DIR=${dir}` };
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  try {
    await run(python, ['-c', 'import numpy'], { timeout: 60_000 });
  } catch {
    return { error: `${python} has no numpy (Debian: apt-get install -y python3-numpy)` };
  }
  try {
    const { stdout } = await run(python, ['-c', GALVANI_SCRIPT, file, String(REPEATS)], {
      timeout: 600_000,
      env: { ...process.env, PYTHONPATH: dir },
      maxBuffer: 1 << 20,
    });
    const r = JSON.parse(stdout.trim().split('\n').pop()!) as { seconds: number; rows: number; ewe_sum: number; numpy: string };
    return { seconds: r.seconds, rows: r.rows, eweSum: r.ewe_sum, numpy: r.numpy };
  } catch (e) {
    return { error: `galvani run failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
  }
}

export async function benchEchemMpr(): Promise<EchemMprResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'interphase-bench-mpr-'));
  try {
    const file = path.join(dir, 'gcpl_1M.mpr');
    const bytes = writeMpr({ rows: ROWS, columns: synthCycling(ROWS), started: '2024-01-10T11:02:29.886' });
    writeFileSync(file, bytes);
    const mine = await timeInterphase(file);
    const g = await timeGalvani(file);
    const size = `${(bytes.length / 2 ** 20).toFixed(1)} MiB, ${mine.names.length} columns`;
    if ('error' in g) {
      return { name: 'echem-mpr-1M', interphase_s: mine.seconds, galvani_s: null, ratio: null, floor_s: mine.floor, floor_ratio: null, note: `${ROWS} rows (${size}); best of ${REPEATS}; galvani not timed: ${g.error}` };
    }
    const agree = g.rows === ROWS && Math.abs(g.eweSum - mine.eweSum) <= 1e-9 * Math.abs(mine.eweSum);
    return {
      name: 'echem-mpr-1M',
      interphase_s: mine.seconds,
      galvani_s: g.seconds,
      ratio: mine.seconds / g.seconds,
      floor_s: mine.floor,
      floor_ratio: mine.floor / g.seconds,
      note: `${ROWS} rows (${size}); best of ${REPEATS}; ratio = interphase/galvani; galvani with numpy ${g.numpy}; ${agree ? 'both read the same rows and Ewe sum' : `results DIFFER (galvani rows ${g.rows}, Ewe sum ${g.eweSum} vs ${mine.eweSum})`}`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
