import { describe, expect, it } from 'vitest';
import { READERS } from '../../../main/formats/index.js';
import { rankReaders } from '../../../main/formats/registry.js';
import type { Reader } from '../../../main/formats/types.js';

/** Wrap every reader so the test sees which sniffs the registry asked. */
function spied(): { readers: Reader[]; asked: string[] } {
  const asked: string[] = [];
  const readers = READERS.map((r) => ({ ...r, sniff: (h: Uint8Array, n: string) => (asked.push(r.id), r.sniff(h, n)) }));
  return { readers, asked };
}

describe('registry ranking', () => {
  it('marks exactly the text formats as text', () => {
    expect(READERS.filter((r) => r.text).map((r) => r.id).sort()).toEqual(
      ['bdf-csv', 'biologic-mpt', 'bruker-spx', 'eis-text', 'emsa', 'generic-csv', 'maccor', 'novonix', 'pec'],
    );
  });

  it('does not ask text sniffs about a head with a NUL byte, and still ranks the binary reader first', () => {
    // DM4 header: version 4 (big-endian), then a root length; NUL bytes throughout.
    const head = new Uint8Array(64);
    new DataView(head.buffer).setInt32(0, 4, false);
    const { readers, asked } = spied();
    const ranked = rankReaders(head, 'movie.dm4', readers).map((r) => r.id);
    expect(ranked[0]).toBe('gatan-dm');
    for (const r of READERS.filter((x) => x.text)) expect(asked).not.toContain(r.id);
    for (const r of READERS.filter((x) => !x.text)) expect(asked).toContain(r.id);
  });

  it('asks every sniff about a text head', () => {
    const head = new TextEncoder().encode('#FORMAT      : EMSA/MAS Spectral Data File\r\n#VERSION     : 1.0\r\n#SPECTRUM    : Spectral Data Starts Here\r\n');
    const { readers, asked } = spied();
    expect(rankReaders(head, 'spectrum.msa', readers)[0]!.id).toBe('emsa');
    expect(asked.sort()).toEqual(READERS.map((r) => r.id).sort());
  });
});
