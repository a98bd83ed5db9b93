/**
 * Seed files for the fuzz tier: valid files written by the project's own writers, per reader.
 * Small on purpose: each case re-parses the whole file.
 *
 * Not seeded: Arbin .res (an Access database; no writer exists, see test/unit/formats/arbin.test.ts)
 * and the TIA .emi (it needs its sibling .ser on disk; the .ser itself is fuzzed from memory).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Reader } from '../../main/formats/types.js';
import { gatanDmReader } from '../../main/formats/gatan-dm/reader.js';
import { veloxEmdReader } from '../../main/formats/velox-emd/reader.js';
import { berkeleyEmdReader } from '../../main/formats/berkeley-emd/reader.js';
import { tiffReader } from '../../main/formats/tiff/reader.js';
import { mrcReader } from '../../main/formats/mrc/reader.js';
import { feiTiaReader } from '../../main/formats/fei-tia/reader.js';
import { emsaReader } from '../../main/formats/emsa/reader.js';
import { brukerSpxReader } from '../../main/formats/bruker-spx/reader.js';
import { brukerBcfReader } from '../../main/formats/bruker-bcf/reader.js';
import { biologicMptReader } from '../../main/formats/biologic-mpt/reader.js';
import { biologicMprReader } from '../../main/formats/biologic-mpr/reader.js';
import { newareReader } from '../../main/formats/neware/reader.js';
import { arbinReader } from '../../main/formats/arbin/reader.js';
import { maccorReader } from '../../main/formats/maccor/reader.js';
import { novonixReader } from '../../main/formats/novonix/reader.js';
import { pecReader } from '../../main/formats/pec/reader.js';
import { bdfCsvReader } from '../../main/formats/bdf-csv/reader.js';
import { eisTextReader } from '../../main/formats/eis-text/reader.js';
import { genericCsvReader } from '../../main/formats/generic-csv/reader.js';
import { writeDm } from '../fixtures/writers/dm-writer.js';
import { mptBytes, synthGcpl, writeMpt } from '../fixtures/writers/mpt-writer.js';
import { writeBerkeleyEmd, writeVeloxEmd } from '../fixtures/writers/emd-writer.js';
import { feiIni, writeTiff } from '../fixtures/writers/tiff-writer.js';
import { floatToHalf, writeMrc } from '../fixtures/writers/mrc-writer.js';
import { serSpectrumMap, writeSer } from '../fixtures/writers/ser-writer.js';
import { msaBytes, writeMsa } from '../fixtures/writers/msa-writer.js';
import { spxBytes, writeSpx, type WriteSpxOptions } from '../fixtures/writers/spx-writer.js';
import { cvSequence, gcplSequence, synthCycling, writeMpr } from '../fixtures/writers/mpr-writer.js';
import { syntheticCycling as newareCycling, writeNda29, writeNdax } from '../fixtures/writers/neware-writer.js';
import { syntheticArbin, writeArbinCsv, writeArbinXlsx } from '../fixtures/writers/arbin-writer.js';
import { syntheticCycling, utf8, writeBdf, writeGenericCsv, writeMaccor, writeNovonix, writePec } from '../fixtures/writers/cycler-text-writers.js';
import { writeCsv, writeGamry, writeVersaStudio, writeZPlot, type EisPoints } from '../fixtures/writers/eis-writers.js';
import { buildBcf, spxOpts as spxFixture } from '../fixtures/writers/bcf-writer.js';

export interface Seed {
  name: string;
  bytes: Uint8Array;
}

export interface FuzzTarget {
  reader: Reader;
  seeds: () => Seed[] | Promise<Seed[]>;
  /**
   * Run FUZZ_CASES_SLOW cases (default 2,000) instead of FUZZ_CASES: for a target whose full
   * count would take more than about a minute. None needs it today — the EMD targets (a temp
   * file and h5wasm per case) run 10,000 cases in 15–30 s.
   */
  slow?: boolean;
}

function dmSeeds(): Seed[] {
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

function mptSeeds(): Seed[] {
  const g = synthGcpl({ cycles: 2, capacity_mAh: 0.003, ce: 0.99, fade: 0, currentmA: 0.003, pointsPerHalfCycle: 8 });
  const started = new Date(Date.UTC(2025, 0, 2, 3, 4, 5));
  return [
    { name: 'gcpl.mpt', bytes: mptBytes(writeMpt({ technique: 'Galvanostatic Cycling with Potential Limitation', columns: g.columns, started, area_cm2: 0.05 })) },
    { name: 'gcpl_de.mpt', bytes: mptBytes(writeMpt({ technique: 'Galvanostatic Cycling with Potential Limitation', columns: g.columns, started, decimalComma: true })) },
  ];
}

/* ---------- EMD (HDF5): h5wasm writes to a path, so write to a temp dir and read the bytes back ---------- */

async function viaTempFile(name: string, write: (path: string) => Promise<unknown>): Promise<Seed> {
  const dir = await mkdtemp(join(tmpdir(), 'interphase-fuzz-seed-'));
  try {
    const p = join(dir, name);
    await write(p);
    return { name, bytes: new Uint8Array(await readFile(p)) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const VELOX_COMMON = {
  Instrument: { InstrumentClass: 'Talos', InstrumentModel: 'Talos F200X', InstrumentId: '1234' },
  Acquisition: { AcquisitionStartDatetime: { DateTime: '1600000000' } },
  Optics: { AccelerationVoltage: '200000', CameraLength: '0.098', NominalMagnification: '0' },
  Scan: { DwellTime: '2e-06', FrameTime: '0.5' },
};

async function veloxSeeds(): Promise<Seed[]> {
  const [H, W, C] = [2, 3, 8];
  const frames = [Array.from({ length: H * W }, (_, p) => Array.from({ length: p % 3 }, (_, j) => (p * 3 + j * 5) % C))];
  return [
    await viaTempFile('stack.emd', (p) =>
      writeVeloxEmd(p, {
        common: VELOX_COMMON,
        images: [
          { data: Uint16Array.from({ length: 24 }, (_, i) => i * 7 + 1), shape: [2, 3, 4], detector: 'HAADF', pixelSize: { width: 2e-10, height: 3e-10 }, offset: { x: -1e-9, y: 2e-9 } },
          { data: Float32Array.from([1, 2, 3, 4, 5, 6]), imag: Float32Array.from([-1, -2, -3, -4, -5, -6]), shape: [2, 3], detector: 'DF4', pixelSize: { width: 1e-10, height: 1e-10 } },
        ],
      }),
    ),
    await viaTempFile('si.emd', (p) =>
      writeVeloxEmd(p, {
        common: VELOX_COMMON,
        images: [{ data: Uint16Array.from({ length: H * W }, (_, i) => i), shape: [H, W], detector: 'HAADF', pixelSize: { width: 1e-9, height: 1e-9 } }],
        spectra: [{ counts: Uint32Array.from({ length: C }, (_, i) => i), detector: 'SuperXG21', dispersionEv: 10, offsetEv: -250 }],
        streams: [{ height: H, width: W, channels: C, frames, detector: 'SuperXG21', dispersionEv: 10, offsetEv: -250, pixelSize: 1e-9 }],
        elementSelection: [6, 8],
      }),
    ),
  ];
}

async function berkeleySeeds(): Promise<Seed[]> {
  return [
    await viaTempFile('stack.emd', (p) =>
      writeBerkeleyEmd(p, {
        data: Float32Array.from({ length: 24 }, (_, i) => i * 0.5 - 3),
        shape: [2, 3, 4],
        group: '/data/my stack',
        dims: [
          { name: 'Time', units: '[s]', values: [0, 0.5] },
          { name: 'y', units: 'n_m', values: [0, 0.25, 0.75] },
          { name: 'x', units: 'n_m', values: [10, 10.2, 10.4, 10.6] },
        ],
        microscope: { name: 'TEAM 0.5', 'high tension': 300000, magnification: 5.1e6 },
      }),
    ),
    await viaTempFile('cube.h5', (p) =>
      writeBerkeleyEmd(p, {
        flavour: 'emd-1.0',
        data: Uint16Array.from({ length: 2 * 2 * 6 }, (_, i) => i),
        shape: [2, 2, 6],
        dims: [
          { name: 'Ry', units: 'pixels', values: [0, 1] },
          { name: 'Rx', units: 'pixels', values: [0, 1] },
          { name: 'E', units: 'eV', values: [100, 101] },
        ],
      }),
    ),
  ];
}

/* ---------- electron microscopy: binary ---------- */

function tiffSeeds(): Seed[] {
  return [
    { name: 'fei.tif', bytes: writeTiff({ pages: [{ width: 8, height: 6, type: 'uint16', data: Uint16Array.from({ length: 48 }, (_, i) => i), fei: feiIni({ pixelWidthM: 1e-9 }) }] }) },
    {
      name: 'tiles.tif',
      bytes: writeTiff({ compression: 5, predictor: 2, tile: { width: 4, length: 4 }, bigTiff: true, pages: [0, 1].map(() => ({ width: 8, height: 6, type: 'float32' as const, data: new Float32Array(48).fill(1.5) })) }),
    },
    {
      name: 'imagej.tif',
      bytes: writeTiff({
        littleEndian: false,
        compression: 8,
        rowsPerStrip: 2,
        pages: [{ width: 6, height: 4, type: 'int16', data: Int16Array.from({ length: 24 }, (_, i) => i * 97 - 1000), description: 'ImageJ=1.54f\nunit=micron\n', resolution: { x: 20, y: 20, unit: 3 } }],
      }),
    },
    { name: 'rgb.tif', bytes: writeTiff({ compression: 32773, pages: [{ width: 4, height: 3, type: 'rgb8', data: Uint8Array.from({ length: 36 }, (_, i) => i * 7) }] }) },
  ];
}

function mrcSeeds(): Seed[] {
  return [
    { name: 'stack.mrc', bytes: writeMrc({ nx: 7, ny: 5, nz: 3, mode: 2, data: Float32Array.from({ length: 105 }, (_, i) => i * 0.25 - 3), pixelSizeA: [1.5, 1.5, 1.5] }) },
    { name: 'be.mrc', bytes: writeMrc({ nx: 6, ny: 4, nz: 2, mode: 1, littleEndian: false, data: Int16Array.from({ length: 48 }, (_, i) => i * 7 - 300) }) },
    {
      name: 'ext.mrcs',
      bytes: writeMrc({ nx: 3, ny: 2, nz: 1, mode: 12, data: Uint16Array.from({ length: 6 }, (_, i) => floatToHalf(i / 2)), extendedHeader: new Uint8Array(128).fill(1), exttyp: 'FEI1', labels: ['EPU 3.0 movie'] }),
    },
  ];
}

function serSeeds(): Seed[] {
  const map = serSpectrumMap(2, 3, 8);
  const elements = map.elements as Int32Array[];
  const positions = map.positions!;
  const img = (k: number) => Float32Array.from({ length: 6 }, (_, i) => k * 10 + i);
  return [
    { name: 'map_1.ser', bytes: writeSer(map) },
    { name: 'map64_1.ser', bytes: writeSer({ ...map, dataType: 7, elements: elements.slice(0, 4).map((e) => Float32Array.from(e)), positions: positions.slice(0, 4), seriesVersion: 0x220 }) },
    {
      name: 'img_2.ser',
      bytes: writeSer({ elementKind: 'image', dataType: 7, elementShape: [3, 2], calibrations: [{ offset: -1e-9, delta: 2e-10, element: 0 }, { offset: 0, delta: 1e-10 }], dimensions: [{ size: 2, offset: 0, delta: 1, description: 'Number', units: '' }], elements: [img(0), img(1)] }),
    },
  ];
}

/* ---------- electron microscopy: text / XML ---------- */

function emsaSeeds(): Seed[] {
  const y = Array.from({ length: 24 }, (_, i) => Math.round(1000 * Math.exp(-((i - 10) ** 2) / 20)) + i);
  const base = {
    title: 'LNMO | LiPON interface, Mn L2,3',
    date: new Date(Date.UTC(2024, 2, 7, 14, 5)),
    owner: 'Interphase tests',
    dataType: 'Y' as const,
    y,
    xperchan: 0.25,
    offset: 620,
    xunits: 'eV',
    yunits: 'counts',
    signalType: 'ELS',
    keywords: [
      { keyword: 'BEAMKV', unit: 'kV', value: 200 },
      { keyword: 'LIVETIME', unit: 's', value: 1.5 },
      { keyword: 'OPERMODE', value: 'SCAN' },
    ],
  };
  return [
    { name: 'y.msa', bytes: msaBytes(writeMsa({ ...base, ncolumns: 5 })) },
    { name: 'xy.msa', bytes: msaBytes(writeMsa({ ...base, dataType: 'XY', x: y.map((_, i) => 620 + 0.25 * i), lineEnding: '\n' })) },
  ];
}

/** The shared .spx fixture with a 64-channel spectrum (small seeds fuzz faster). */
const SEED_COUNTS = Array.from({ length: 64 }, (_, i) => (i === 10 ? 4000 : Math.round(50 * Math.exp(-((i - 30) ** 2) / 30)) + (i % 7)));
const spxOpts = (extra: Partial<WriteSpxOptions> = {}): WriteSpxOptions => spxFixture({ counts: SEED_COUNTS, ...extra });

function spxSeeds(): Seed[] {
  return [
    { name: 'a.spx', bytes: spxBytes(writeSpx(spxOpts())) },
    { name: 'comma.spx', bytes: spxBytes(writeSpx(spxOpts({ decimalComma: true, xrfVoltage_kV: 50 }))) },
  ];
}

function bcfSeeds(): Seed[] {
  return [
    { name: 'plain.bcf', bytes: buildBcf({ compressed: false, chunk: 1024, seed: 3 }).bytes },
    { name: 'zlib.bcf', bytes: buildBcf({ compressed: true, chunk: 1024, seed: 7 }).bytes },
  ];
}

/* ---------- electrochemistry: binary and ZIP ---------- */

function mprSeeds(): Seed[] {
  const rows = 12;
  return [
    { name: 'gcpl.mpr', bytes: writeMpr({ rows: 16, columns: synthCycling(16, 4), started: '2023-12-07T14:22:24.183' }) },
    {
      name: 'meta.mpr',
      bytes: writeMpr({
        layout: 'le16@406',
        technique: 0x04,
        rows,
        columns: [{ id: 4, values: Array.from({ length: rows }, (_, i) => i) }, { id: 6, values: new Array(rows).fill(3.9) }, { id: 16, values: new Array(rows).fill(2) }],
        settings: { comments: 'LNMO/LiPON/Li', activeMass_mg: 0.875, electrodeArea: 113.1, areaUnitCode: 3, electrodeMaterial: 'LNMO', electrolyte: 'LiPON' },
        started: '2025-08-04T09:35:26.748',
        log: { channel: 2, channelSerial: 21643, deviceSerial: '0858', ecLabVersion: '11.61' },
        loopIndexes: [0, 5, 12],
        extDev: [{ name: 'Force/N', maxV: 10, minV: 0, maxX: 1100, minX: 0 }],
      }),
    },
    { name: 'old.mpr', bytes: writeMpr({ layout: 'u8@100', technique: 0x1d, rows: 3, columns: [{ id: 4, values: [0, 1, 2] }, { id: 6, values: [3, 3.1, 3.2] }], log: false }) },
    // Settings modules with technique parameter tables (GCPL ≥ 11.50 layout, CV short module).
    {
      name: 'params-gcpl.mpr',
      bytes: writeMpr({
        technique: 0x04,
        rows: 4,
        columns: [{ id: 4, values: [0, 1, 2, 3] }, { id: 6, values: [3.5, 3.6, 3.7, 3.8] }],
        paramTable: { version: 8, sequences: [gcplSequence({ N: 1, 'I Range': 40, 'EM (V)': 4.5 }), gcplSequence({ N: 2, 'EM (V)': 3 })] },
      }),
    },
    {
      name: 'params-cv.mpr',
      bytes: writeMpr({
        layout: 'le16@405',
        technique: 0x06,
        rows: 2,
        columns: [{ id: 4, values: [0, 1] }, { id: 6, values: [0.1, 0.2] }],
        paramTable: { version: 5, sequences: [cvSequence({ 'dE/dt': 0.1, 'E1 (V)': 1.5, 'E2 (V)': 4.8 })] },
      }),
    },
  ];
}

function newareSeeds(): Seed[] {
  const recs = newareCycling(1, 4);
  return [
    { name: 'cell.nda', bytes: writeNda29(recs, { activeMass_mg: 1.25, remarks: 'fixture' }) },
    { name: 'cell.ndax', bytes: writeNdax(recs, { layout: 'v17', barcode: 'CELL42' }) },
    { name: 'old.ndax', bytes: writeNdax(recs, { layout: 'v5' }) },
  ];
}

function arbinSeeds(): Seed[] {
  const rows = syntheticArbin(1, 4);
  return [
    { name: 'cell_CH7.csv', bytes: utf8(writeArbinCsv(rows, { emptyIndexRows: 2 })) },
    { name: 'u.csv', bytes: utf8(writeArbinCsv(rows, { units: true, lineEnding: '\n' })) },
    { name: 'w.xlsx', bytes: writeArbinXlsx(rows, { rowsPerSheet: 10, testName: 'cell<1>', schedule: 'x.sdu' }) },
  ];
}

/* ---------- electrochemistry: delimited text ---------- */

const CYCLING = syntheticCycling({ cycles: 2, chargePoints: 6 });

function maccorSeeds(): Seed[] {
  return [
    { name: 'Synthetic.052', bytes: utf8(writeMaccor(CYCLING)) },
    { name: 'maccor_one.txt', bytes: utf8(writeMaccor(CYCLING, { variant: 'one', unsignedCurrent: true })) },
    { name: 'maccor_two.txt', bytes: utf8(writeMaccor(CYCLING, { variant: 'two', unsignedCurrent: true, thousands: true, lineEnding: '\n' })) },
  ];
}

function novonixSeeds(): Seed[] {
  return [{ name: 'syn.csv', bytes: utf8(writeNovonix(CYCLING)) }, { name: 'one.csv', bytes: utf8(writeNovonix(syntheticCycling({ cycles: 1, chargePoints: 3 }))) }];
}

function pecSeeds(): Seed[] {
  return [{ name: 'pec.csv', bytes: utf8(writePec(CYCLING)) }, { name: 'one.csv', bytes: utf8(writePec(syntheticCycling({ cycles: 1, chargePoints: 3 }))) }];
}

function bdfSeeds(): Seed[] {
  return [
    { name: 'x.bdf.csv', bytes: utf8(writeBdf(CYCLING)) },
    { name: 'batmo.csv', bytes: utf8(writeBdf(CYCLING, { timeUnit: 'h', chargeNegative: true, stepType: true })) },
  ];
}

function genericSeeds(): Seed[] {
  return [
    { name: 'g.csv', bytes: utf8(writeGenericCsv(CYCLING)) },
    { name: 'de.csv', bytes: utf8(writeGenericCsv(CYCLING, { delimiter: ';', decimalComma: true, preamble: ['Instrument: synthetic', 'Cell: A1'], labels: 'brackets' })) },
    { name: 't.txt', bytes: utf8(writeGenericCsv(CYCLING, { delimiter: '\t', labels: 'slash', durations: true })) },
  ];
}

/** A bulk arc and a blocking tail: R0 + (R1 ‖ C1) + C2, 100 kHz … 0.1 Hz. */
function eisPoints(n = 16): EisPoints {
  const freq = Float64Array.from({ length: n }, (_, i) => 1e5 * Math.pow(10, (-6 * i) / (n - 1)));
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  freq.forEach((f, i) => {
    const w = 2 * Math.PI * f;
    const [r1, c1, c2] = [400, 2e-9, 4e-6];
    const d = 1 + (w * r1 * c1) ** 2;
    re[i] = 12 + r1 / d;
    im[i] = (-w * r1 * r1 * c1) / d - 1 / (w * c2);
  });
  return { freq, re, im };
}

/** One seed per parser family: ZPlot, Gamry (decimal comma), VersaStudio, tabular (CSV). */
function eisSeeds(): Seed[] {
  const p = eisPoints();
  return [
    { name: 'cell.z', bytes: utf8(writeZPlot(p, { comments: true })) },
    { name: 'cell.DTA', bytes: utf8(writeGamry(p, { decimalComma: true })) },
    { name: 'cell.par', bytes: utf8(writeVersaStudio(p)) },
    { name: 'cell.csv', bytes: utf8(writeCsv(p)) },
  ];
}

export const FUZZ_TARGETS: FuzzTarget[] = [
  { reader: gatanDmReader, seeds: dmSeeds },
  { reader: veloxEmdReader, seeds: veloxSeeds },
  { reader: berkeleyEmdReader, seeds: berkeleySeeds },
  { reader: tiffReader, seeds: tiffSeeds },
  { reader: mrcReader, seeds: mrcSeeds },
  { reader: feiTiaReader, seeds: serSeeds },
  { reader: emsaReader, seeds: emsaSeeds },
  { reader: brukerSpxReader, seeds: spxSeeds },
  { reader: brukerBcfReader, seeds: bcfSeeds },
  { reader: biologicMptReader, seeds: mptSeeds },
  { reader: biologicMprReader, seeds: mprSeeds },
  { reader: newareReader, seeds: newareSeeds },
  { reader: arbinReader, seeds: arbinSeeds },
  { reader: maccorReader, seeds: maccorSeeds },
  { reader: novonixReader, seeds: novonixSeeds },
  { reader: pecReader, seeds: pecSeeds },
  { reader: bdfCsvReader, seeds: bdfSeeds },
  { reader: eisTextReader, seeds: eisSeeds },
  { reader: genericCsvReader, seeds: genericSeeds },
];
