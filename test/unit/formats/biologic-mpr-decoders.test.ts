/**
 * The two record decoders of the .mpr reader — WebAssembly gathers (default where available) and
 * the compiled JS pass — must give identical columns, for every stored type, at every chunk edge.
 */
import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../../main/formats/file-source.js';
import { createBiologicMprReader } from '../../../main/formats/biologic-mpr/reader.js';
import { acquireGather, gatherModuleBytes, releaseGather } from '../../../main/formats/biologic-mpr/wasm-gather.js';
import { mixedMprColumns as columns, writeMpr } from '../../fixtures/writers/mpr-writer.js';


async function readWith(bytes: Uint8Array, decoder: 'auto' | 'js', chunkBytes?: number) {
  const f = await createBiologicMprReader({ decoder, ...(chunkBytes ? { chunkBytes } : {}) }).open(new MemorySource('d.mpr', bytes));
  const names = f.entries[0]!.columns!.map((c) => c.name);
  const cols = await f.readColumns!('data', names);
  await f.close();
  return { names, cols, dtypes: f.entries[0]!.columns!.map((c) => c.dtype) };
}

describe('biologic-mpr record decoders', () => {
  it('emits a valid WebAssembly module and gathers strided fields of every width', () => {
    const wasm = (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } }).WebAssembly;
    expect(wasm.validate(gatherModuleBytes())).toBe(true);
    const g = acquireGather();
    expect(g).not.toBeNull();
    g!.reserve(1 << 16);
    const m = new Uint8Array(g!.memory.buffer);
    for (let i = 0; i < 700; i++) m[i] = (i * 37 + 11) & 0xff;
    const dv = new DataView(g!.memory.buffer);
    g!.g8(1, 33, 20, 4096);
    g!.g4(9, 33, 20, 8192);
    g!.g2(13, 33, 20, 12288);
    g!.g1(15, 33, 20, 16384);
    g!.gflag(0, 33, 20, 20480, 0x0c, 2);
    for (let i = 0; i < 20; i++) {
      expect(dv.getBigUint64(4096 + 8 * i, true)).toBe(dv.getBigUint64(1 + 33 * i, true));
      expect(dv.getUint32(8192 + 4 * i, true)).toBe(dv.getUint32(9 + 33 * i, true));
      expect(dv.getUint16(12288 + 2 * i, true)).toBe(dv.getUint16(13 + 33 * i, true));
      expect(m[16384 + i]).toBe(m[15 + 33 * i]);
      expect(m[20480 + i]).toBe((m[33 * i]! & 0x0c) >> 2);
    }
    // Nothing past the n-th element is written.
    expect(dv.getBigUint64(4096 + 8 * 20, true)).toBe(0n);
    releaseGather(g!);
  });

  for (const chunkBytes of [undefined, 1, 7, 33, 1000]) {
    it(`WebAssembly and JS decoders agree column by column (chunk ${chunkBytes ?? 'default'} bytes)`, async () => {
      const rows = 1003;
      const bytes = writeMpr({ rows, columns: columns(rows) });
      const a = await readWith(bytes, 'auto', chunkBytes);
      const b = await readWith(bytes, 'js', chunkBytes);
      expect(a.names).toEqual(b.names);
      expect(new Set(a.dtypes)).toEqual(new Set(['uint8', 'uint16', 'uint32', 'float32', 'float64']));
      for (const n of a.names) {
        expect(a.cols[n]!.constructor, n).toBe(b.cols[n]!.constructor);
        expect(Array.from(a.cols[n]!), n).toEqual(Array.from(b.cols[n]!));
      }
      // Spot values against what was written.
      expect(a.cols['I Range']![1]).toBe(39);
      expect(a.cols.time![1000]).toBeCloseTo(0.1 + 1000 * 1.000000123, 9);
    });
  }

  it('agrees across the 1 MiB gather slices inside a larger read chunk', async () => {
    const rows = 40_000; // ~2.3 MB of records: one 4 MiB read, three gather slices
    const bytes = writeMpr({ rows, columns: columns(rows) });
    const a = await readWith(bytes, 'auto', 4 * 1024 * 1024);
    const b = await readWith(bytes, 'js');
    for (const n of a.names) expect(Array.from(a.cols[n]!), n).toEqual(Array.from(b.cols[n]!));
  });

  it('reads zero rows with either decoder', async () => {
    const bytes = writeMpr({ rows: 0, columns: [{ id: 4, values: [] }, { id: 6, values: [] }] });
    for (const d of ['auto', 'js'] as const) expect((await readWith(bytes, d)).cols.time!.length).toBe(0);
  });
});
