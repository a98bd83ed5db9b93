/**
 * Seed files for the fuzz tier: valid files written by the project's own writers, per reader.
 * Small on purpose: each case re-parses the whole file.
 */
import type { Reader } from '../../main/formats/types.js';
import { gatanDmReader } from '../../main/formats/gatan-dm/reader.js';
import { biologicMptReader } from '../../main/formats/biologic-mpt/reader.js';
import { writeDm } from '../fixtures/writers/dm-writer.js';
import { mptBytes, synthGcpl, writeMpt } from '../fixtures/writers/mpt-writer.js';

export interface FuzzTarget {
  reader: Reader;
  seeds: () => { name: string; bytes: Uint8Array }[];
}

function dmSeeds() {
  const cal = (n: number) => Array.from({ length: n }, (_, i) => ({ scale: 0.1 * (i + 1), origin: 0, units: i === 0 && n === 3 ? 'eV' : 'nm' }));
  return [
    { name: 'img.dm4', bytes: writeDm({ version: 4, shape: [8, 6], dtypeCode: 10, data: Uint16Array.from({ length: 48 }, (_, i) => i), calibrations: cal(2), title: 'img' }) },
    { name: 'img.dm3', bytes: writeDm({ version: 3, shape: [5, 7], dtypeCode: 2, data: Float32Array.from({ length: 35 }, (_, i) => i / 3), calibrations: cal(2), title: 'f' }) },
    {
      name: 'si.dm4',
      bytes: writeDm({ version: 4, shape: [16, 3, 4], dtypeCode: 2, data: new Float32Array(16 * 12).fill(1), calibrations: cal(3), tags: { 'Meta Data': { Format: 'Spectrum image', Signal: 'EELS' } } }),
    },
    { name: 'cplx.dm3', bytes: writeDm({ version: 3, shape: [4, 4], dtypeCode: 3, data: new Float32Array(32).fill(0.5), calibrations: cal(2) }) },
  ];
}

function mptSeeds() {
  const g = synthGcpl({ cycles: 2, capacity_mAh: 0.003, ce: 0.99, fade: 0, currentmA: 0.003, pointsPerHalfCycle: 8 });
  const started = new Date(Date.UTC(2025, 0, 2, 3, 4, 5));
  return [
    { name: 'gcpl.mpt', bytes: mptBytes(writeMpt({ technique: 'Galvanostatic Cycling with Potential Limitation', columns: g.columns, started, area_cm2: 0.05 })) },
    { name: 'gcpl_de.mpt', bytes: mptBytes(writeMpt({ technique: 'Galvanostatic Cycling with Potential Limitation', columns: g.columns, started, decimalComma: true })) },
  ];
}

export const FUZZ_TARGETS: FuzzTarget[] = [
  { reader: gatanDmReader, seeds: dmSeeds },
  { reader: biologicMptReader, seeds: mptSeeds },
];
