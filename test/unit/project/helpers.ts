/** Shared fixtures for the project-bundle tests: temp directories and a minimal dataset entry. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatasetEntry, DatasetSource } from '../../../main/api/dataset.js';

export async function makeTempDir(tag: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `interphase-${tag}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** An EELS spectrum entry as a reader would describe it (values from DESIGN.md's scale: Mn L edge). */
export function eelsEntry(title = 'Mn L2,3 spot 0'): DatasetEntry {
  return {
    entry: 'spectrum/0',
    kind: 'spectrum',
    title,
    dtype: 'float32',
    shape: [2048],
    axes: [{ name: 'Energy loss', units: 'eV', size: 2048, scale: 0.25, offset: 400, navigate: false }],
    metadata: { beamEnergy: { value: 300, unit: 'kV' }, dispersion: { value: 0.25, unit: 'eV' }, instrument: 'Titan' },
    original: { ImageList: { '1': { ImageData: { Calibrations: { Dimension: [{ Origin: -1600, Scale: 0.25, Units: 'eV' }] } } } }, Flag: true, N: null },
    warnings: [],
  };
}

export function sourceFor(sha256: string, fileName = 'spot0.dm4', size = 1234): DatasetSource {
  return { sha256, fileName, size, readerId: 'gatan-dm', readerVersion: '1.0.0', entry: 'spectrum/0' };
}
