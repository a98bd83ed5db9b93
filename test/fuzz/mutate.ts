/**
 * Deterministic mutations of a valid file: the damage real files suffer (bit rot, truncated
 * copies) and the damage a hostile file is built from (inflated length and count fields).
 */
import { rng } from '../fixtures/sample-data.js';

export type Mutation = 'bitflip' | 'truncate' | 'inflate32' | 'inflate64' | 'zero-run' | 'splice' | 'text-junk';

const BIG32 = [0x7fffffff, 0xffffffff, 0x80000000, 0x10000000, 0xfffffff0, 0x00010000];
const BIG64 = [2n ** 62n, 2n ** 40n, 2n ** 63n - 1n, 2n ** 32n];

export function mutate(src: Uint8Array, seed: number): { bytes: Uint8Array; kind: Mutation } {
  const r = rng(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const at = () => Math.floor(r() * src.length);
  const kind = pick<Mutation>(['bitflip', 'bitflip', 'truncate', 'inflate32', 'inflate32', 'inflate64', 'zero-run', 'splice', 'text-junk']);
  const b = src.slice();
  switch (kind) {
    case 'bitflip': {
      const n = 1 + Math.floor(r() * 8);
      for (let i = 0; i < n; i++) {
        const p = at();
        b[p]! ^= 1 << Math.floor(r() * 8);
      }
      return { bytes: b, kind };
    }
    case 'truncate':
      return { bytes: src.slice(0, Math.floor(r() * src.length)), kind };
    case 'inflate32': {
      // Most length and count fields are 4-byte words; hit one at a word boundary, either order.
      const p = Math.max(0, Math.min(src.length - 4, at() & ~3));
      new DataView(b.buffer).setUint32(p, pick(BIG32), r() < 0.5);
      return { bytes: b, kind };
    }
    case 'inflate64': {
      const p = Math.max(0, Math.min(src.length - 8, at() & ~7));
      if (src.length >= 8) new DataView(b.buffer).setBigUint64(p, pick(BIG64), r() < 0.5);
      return { bytes: b, kind };
    }
    case 'zero-run': {
      const p = at();
      b.fill(0, p, Math.min(b.length, p + 1 + Math.floor(r() * 64)));
      return { bytes: b, kind };
    }
    case 'splice': {
      // Duplicate or drop a chunk: shifts every later offset.
      const p = at();
      const len = 1 + Math.floor(r() * 32);
      if (r() < 0.5) return { bytes: new Uint8Array([...src.subarray(0, p), ...src.subarray(p + len)]), kind };
      return { bytes: new Uint8Array([...src.subarray(0, p), ...src.subarray(p, p + len), ...src.subarray(p)]), kind };
    }
    case 'text-junk': {
      const junk = pick(['NaN', '1e999', '-', ',,,', '\t\t', '\u0000', '99999999999999999999', 'é', '\r\n']);
      const p = at();
      const enc = new TextEncoder().encode(junk);
      return { bytes: new Uint8Array([...src.subarray(0, p), ...enc, ...src.subarray(p)]), kind };
    }
  }
}
