/**
 * The two record decoders of the .mpr reader — the WebAssembly row pass (default where available) and
 * the compiled JS pass — must give identical columns, for every stored type, at every chunk edge.
 */
import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../../main/formats/file-source.js';
import { createBiologicMprReader } from '../../../main/formats/biologic-mpr/reader.js';
import { acquireGather, releaseGather, rowDecoderBytes, type RowField } from '../../../main/formats/biologic-mpr/wasm-gather.js';
import { mixedMprColumns as columns, writeMpr } from '../../fixtures/writers/mpr-writer.js';


async function readWith(bytes: Uint8Array, decoder: 'auto' | 'js', chunkBytes?: number) {
  const f = await createBiologicMprReader({ decoder, ...(chunkBytes ? { chunkBytes } : {}) }).open(new MemorySource('d.mpr', bytes));
  const names = f.entries[0]!.columns!.map((c) => c.name);
  const cols = await f.readColumns!('data', names);
  await f.close();
  return { names, cols, dtypes: f.entries[0]!.columns!.map((c) => c.dtype) };
}

describe('biologic-mpr record decoders', () => {
  it('emits a valid WebAssembly module per layout and copies fields of every width and flags', () => {
    const wasm = (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } }).WebAssembly;
    // Column addresses past 2^14 and masks ≥ 64 need multi-byte LEB128 immediates.
    const fields: RowField[] = [
      { offset: 1, width: 8, dst: 20000 },
      { offset: 9, width: 4, dst: 40000 },
      { offset: 13, width: 2, dst: 50000 },
      { offset: 15, width: 1, dst: 60000 },
      { offset: 0, width: 1, flag: { mask: 0x0c, shift: 2 }, dst: 61000 },
      { offset: 0, width: 1, flag: { mask: 0x80, shift: 7 }, dst: 62000 },
      { offset: 0, width: 1, flag: { mask: 0x03, shift: 0 }, dst: 63000 },
    ];
    expect(wasm.validate(rowDecoderBytes(33, fields))).toBe(true);
    const g = acquireGather();
    expect(g).not.toBeNull();
    g!.reserve(1 << 16);
    const m = new Uint8Array(g!.memory.buffer);
    for (let i = 0; i < 700; i++) m[i] = (i * 37 + 11) & 0xff;
    const dv = new DataView(g!.memory.buffer);
    g!.decoder(33, fields)(0, 20);
    for (let i = 0; i < 20; i++) {
      expect(dv.getBigUint64(20000 + 8 * i, true)).toBe(dv.getBigUint64(1 + 33 * i, true));
      expect(dv.getUint32(40000 + 4 * i, true)).toBe(dv.getUint32(9 + 33 * i, true));
      expect(dv.getUint16(50000 + 2 * i, true)).toBe(dv.getUint16(13 + 33 * i, true));
      expect(m[60000 + i]).toBe(m[15 + 33 * i]);
      expect(m[61000 + i]).toBe((m[33 * i]! & 0x0c) >> 2);
      expect(m[62000 + i]).toBe(m[33 * i]! >> 7);
      expect(m[63000 + i]).toBe(m[33 * i]! & 0x03);
    }
    // Nothing past the n-th row is written, and n = 0 writes nothing.
    expect(dv.getBigUint64(20000 + 8 * 20, true)).toBe(0n);
    g!.decoder(33, fields)(33 * 20, 0);
    expect(dv.getBigUint64(20000 + 8 * 20, true)).toBe(0n);
    // An access outside the memory traps instead of writing elsewhere.
    expect(() => g!.decoder(33, fields)(65536 - 8, 1)).toThrow();
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

  it('returns every element as written, for any subset and order of columns, with either decoder', async () => {
    // The output arrays are not zero-filled before decoding (allocForOverwrite): a row left
    // unwritten would show up here as a wrong value.
    const rows = 70_001; // several read chunks and slices, and a ragged last one
    const written = columns(rows);
    const bytes = writeMpr({ rows, columns: written });
    const f = await createBiologicMprReader({ chunkBytes: 256 * 1024 }).open(new MemorySource('d.mpr', bytes));
    const described = f.entries[0]!.columns!;
    for (const decoder of ['auto', 'js'] as const) {
      const g = await createBiologicMprReader({ decoder, chunkBytes: 256 * 1024 }).open(new MemorySource('d.mpr', bytes));
      for (const pick of [described.map((_, k) => k), [9, 0, 5, 2], [14], [3, 4]]) {
        const names = pick.map((k) => described[k]!.name);
        const cols = await g.readColumns!('data', names);
        pick.forEach((k, j) => {
          const col = cols[names[j]!]!;
          const values = written[k]!.values;
          const Ctor = col.constructor as new (v: number[]) => ArrayLike<number>;
          expect(col.length).toBe(rows);
          for (let r = 0; r < rows; r++) {
            if (col[r] !== new Ctor([values[r]!])[0]) expect(`${decoder} ${names[j]} row ${r}: ${col[r]}`).toBe(`${decoder} ${names[j]} row ${r}: ${values[r]}`);
          }
        });
      }
      await g.close();
    }
    await f.close();
  });

  it('reads zero rows with either decoder', async () => {
    const bytes = writeMpr({ rows: 0, columns: [{ id: 4, values: [] }, { id: 6, values: [] }] });
    for (const d of ['auto', 'js'] as const) expect((await readWith(bytes, d)).cols.time!.length).toBe(0);
  });
});
