/**
 * Velox records → DatasetEntry. Entry order follows what Velox users and RosettaSciIO see:
 * single spectra, then images (in HDF5 name order), then EELS spectrum images, then the EDS
 * spectrum image (all detectors' streams summed, as RosettaSciIO does by default).
 *
 * Calibrations: BinaryResult.PixelSize {width, height} and Offset {x, y} in PixelUnitX/Y.
 * Lengths in m are presented in nm and reciprocal lengths in 1/m as 1/nm (the units microscopists
 * read); anything else is passed through. EDS energy axes come from the detector record named by
 * BinaryResult.Detector (Dispersion and OffsetEnergy in eV) and are presented in keV; EELS energy
 * axes from AcquisitionMetadata.Data {offset, dispersion} in eV.
 */
import type { Axis, DatasetEntry, DatasetKind, MetaTree, MetaValue, NormalisedMetadata, Quantity } from '../../api/dataset.js';
import type { Hdf5Handle } from '../hdf5/hdf5-file.js';
import { at, isObject, num, str, type VeloxArray, type VeloxEels, type VeloxFile, type VeloxImage, type VeloxSpectrum } from './parse-velox.js';
import { SpectrumStream } from './spectrum-stream.js';

export type VeloxLayout =
  | {
      kind: 'array';
      array: VeloxArray;
      /** Storage axis of each public axis (C order). */
      axisMap: number[];
    }
  | {
      kind: 'stream';
      streams: SpectrumStream[];
    };

export interface MappedEntry {
  entry: DatasetEntry;
  layout: VeloxLayout;
}

/** A length or reciprocal length in the units microscopists read. */
export function displayLength(value: number, unit: string): { value: number; unit: string } {
  if (unit === 'm') return { value: value * 1e9, unit: 'nm' };
  if (unit === '1/m') return { value: value * 1e-9, unit: '1/nm' };
  return { value, unit };
}

function q(value: number | undefined, unit: string, factor = 1): Quantity | undefined {
  return value === undefined ? undefined : { value: value * factor, unit };
}

/** The Detectors[] record describing `name` (BinaryResult.Detector), else the one at DetectorIndex. */
function detectorRecord(meta: MetaTree, name?: string): MetaTree | undefined {
  const dets = meta.Detectors;
  if (!isObject(dets)) return undefined;
  if (name) for (const d of Object.values(dets)) if (isObject(d) && d.DetectorName === name) return d;
  const idx = str(meta, 'BinaryResult.DetectorIndex');
  const d = idx !== undefined ? dets[`Detector-${idx}`] : undefined;
  return isObject(d) ? d : undefined;
}

/** Unix seconds (as Velox writes them) → ISO 8601 UTC; 0 means "not recorded". */
export function unixToIso(seconds: number | undefined): string | undefined {
  if (seconds === undefined || !(seconds > 0)) return undefined;
  const iso = new Date(seconds * 1000).toISOString();
  return iso.replace('.000Z', 'Z');
}

/** Normalised metadata from one Velox metadata JSON (what the file states; nothing invented). */
export function normaliseVelox(meta: MetaTree, detectorName?: string): NormalisedMetadata {
  const m: NormalisedMetadata = {};
  const extra: NonNullable<NormalisedMetadata['extra']> = {};
  const det = detectorRecord(meta, detectorName);

  m.instrument = str(meta, 'Instrument.InstrumentClass') ?? str(meta, 'Instrument.InstrumentModel');
  const model = str(meta, 'Instrument.InstrumentModel');
  if (model) extra.instrumentModel = model;
  const serial = str(meta, 'Instrument.InstrumentId');
  if (serial) extra.instrumentId = serial;

  // Acquisition start: unix seconds (UTC). Camera files without it carry the camera's own
  // microsecond TimeStamp in CustomProperties.
  let t = num(meta, 'Acquisition.AcquisitionStartDatetime.DateTime');
  if (!(t !== undefined && t > 0)) {
    const cp = meta.CustomProperties;
    if (isObject(cp)) {
      for (const [k, v] of Object.entries(cp)) {
        if (/^Detectors\[.*\]\.TimeStamp$/.test(k)) {
          const us = num(v, 'value');
          if (us !== undefined && us > 0) t = us / 1e6;
        }
      }
    }
  }
  m.acquisitionTime = unixToIso(t);

  m.beamEnergy = q(num(meta, 'Optics.AccelerationVoltage'), 'kV', 1e-3);
  const stemMag = num(meta, 'CustomProperties.StemMagnification.value');
  const nominal = num(meta, 'Optics.NominalMagnification');
  // StemMagnification is 0 for camera images; the TEM magnification is then the nominal one.
  const mag = stemMag !== undefined && stemMag > 0 ? stemMag : nominal !== undefined && nominal > 0 ? nominal : undefined;
  m.magnification = q(mag, '×');
  m.cameraLength = q(num(meta, 'Optics.CameraLength'), 'mm', 1e3);
  const conv = num(meta, 'Optics.BeamConvergence');
  if (conv !== undefined && conv > 0) m.convergenceAngle = { value: conv * 1e3, unit: 'mrad' };

  const detType = str(det, 'DetectorType');
  const dwell = num(meta, 'Scan.DwellTime');
  if (detType === 'ImagingDetector') m.acquisitionMode = 'TEM';
  else if (detType === 'ScanningDetector' || detType === 'AnalyticalDetector' || dwell !== undefined) m.acquisitionMode = 'STEM';

  const exposure = num(det, 'ExposureTime');
  if (exposure !== undefined && detType === 'ImagingDetector') m.exposure = { value: exposure, unit: 's' };
  if (dwell !== undefined) extra.dwellTime = { value: dwell, unit: 's' };
  const frameTime = num(meta, 'Scan.FrameTime');
  if (frameTime !== undefined) extra.frameTime = { value: frameTime, unit: 's' };

  const live = num(det, 'LiveTime');
  const real = num(det, 'RealTime');
  if (live !== undefined) m.liveTime = { value: live, unit: 's' };
  if (real !== undefined) m.realTime = { value: real, unit: 's' };
  const disp = num(det, 'Dispersion');
  if (disp !== undefined) m.dispersion = { value: disp, unit: 'eV' };

  const alpha = num(meta, 'Stage.AlphaTilt');
  const beta = num(meta, 'Stage.BetaTilt');
  if (alpha !== undefined) extra.stageAlpha = { value: (alpha * 180) / Math.PI, unit: 'deg' };
  if (beta !== undefined) extra.stageBeta = { value: (beta * 180) / Math.PI, unit: 'deg' };
  const detName = detectorName ?? str(meta, 'BinaryResult.Detector');
  if (detName) extra.detector = detName;
  const sample = str(meta, 'Sample.SampleDescription') ?? str(meta, 'Sample.SampleId');
  if (sample) extra.sample = sample;

  if (Object.keys(extra).length) m.extra = extra;
  for (const k of Object.keys(m) as (keyof NormalisedMetadata)[]) if (m[k] === undefined) delete m[k];
  return m;
}

/** y/x axes from a BinaryResult (pixel size, offset, units). */
function spatialAxes(br: MetaValue | undefined, sizes: [number, number], navigate: boolean, warnings: string[], what: string): Axis[] {
  const ux = str(br, 'PixelUnitX') ?? '';
  const uy = str(br, 'PixelUnitY') ?? ux;
  const w = num(br, 'PixelSize.width');
  const hgt = num(br, 'PixelSize.height');
  if (w === undefined || hgt === undefined) warnings.push(`${what}: no BinaryResult.PixelSize; spatial axes are in pixels`);
  const sx = displayLength(w ?? 1, w === undefined ? '' : ux);
  const sy = displayLength(hgt ?? 1, hgt === undefined ? '' : uy);
  const ox = displayLength(num(br, 'Offset.x') ?? 0, ux);
  const oy = displayLength(num(br, 'Offset.y') ?? 0, uy);
  return [
    { name: 'y', units: sy.unit, size: sizes[0], scale: sy.value, offset: w === undefined ? 0 : oy.value, navigate },
    { name: 'x', units: sx.unit, size: sizes[1], scale: sx.value, offset: w === undefined ? 0 : ox.value, navigate },
  ];
}

function energyAxisEds(meta: MetaTree, detectorName: string | undefined, size: number, warnings: string[], what: string): Axis {
  const det = detectorRecord(meta, detectorName);
  const disp = num(det, 'Dispersion');
  const off = num(det, 'OffsetEnergy');
  if (disp === undefined) {
    warnings.push(`${what}: no detector Dispersion; energy axis in channels`);
    return { name: 'Energy', units: '', size, scale: 1, offset: 0, navigate: false };
  }
  return { name: 'Energy', units: 'keV', size, scale: disp / 1000, offset: (off ?? 0) / 1000, navigate: false };
}

function withVersion(meta: MetaTree, version: string, more: MetaTree = {}): MetaTree {
  return { VeloxVersion: version, Metadata: meta, ...more };
}

function mapImage(img: VeloxImage, file: VeloxFile): MappedEntry {
  const { data, metadata: meta } = img;
  const warnings: string[] = [];
  const [ny, nx, nf] = data.shape.length === 3 ? (data.shape as [number, number, number]) : [data.shape[0]!, data.shape[1]!, 1];
  const br = meta.BinaryResult;
  const title = file.titles.get(img.uuid) ?? str(br, 'Detector') ?? 'Image';
  const detName = str(br, 'Detector');
  const metadata = normaliseVelox(meta, detName);
  metadata.title = title;
  const axes = spatialAxes(br, [ny, nx], false, warnings, data.path);
  let shape: number[];
  let axisMap: number[];
  let kind: DatasetKind = 'image';
  if (nf > 1) {
    // Velox stores frames along the last axis; the model wants C order [frame, y, x].
    const frameTime = num(meta, 'Scan.FrameTime') ?? num(detectorRecord(meta, detName), 'ExposureTime');
    if (frameTime === undefined) warnings.push(`${data.path}: no Scan.FrameTime or detector ExposureTime; frame axis in frames`);
    axes.unshift({ name: 'Time', units: frameTime === undefined ? '' : 's', size: nf, scale: frameTime ?? 1, offset: 0, navigate: true });
    shape = [nf, ny, nx];
    axisMap = data.shape.length === 3 ? [2, 0, 1] : [0, 1];
    kind = 'image-stack';
    metadata.frameCount = nf;
  } else {
    shape = [ny, nx];
    axisMap = [0, 1];
  }
  if (data.halfPlane) {
    // Velox keeps only the non-redundant half of a real image's FFT (Hermitian symmetry); the
    // data are presented as stored, as RosettaSciIO and ncempy do.
    warnings.push('half-plane FFT as stored by Velox (the other half is the complex conjugate)');
  }
  return {
    entry: { entry: data.path.replace(/^\/|\/Data$/g, ''), kind, title, dtype: data.type.dtype, shape, axes, metadata, original: withVersion(meta, file.version), warnings },
    layout: { kind: 'array', array: data, axisMap },
  };
}

function mapSpectrum(sp: VeloxSpectrum, file: VeloxFile): MappedEntry {
  const { data, metadata: meta } = sp;
  const warnings: string[] = [];
  const detName = str(meta, 'BinaryResult.Detector');
  const channels = data.shape[0]!;
  const n = data.shape.length === 2 ? data.shape[1]! : 1;
  const metadata = normaliseVelox(meta, detName);
  const title = detName ? `EDS ${detName}` : 'EDS spectrum';
  metadata.title = title;
  metadata.acquisitionMode ??= 'STEM';
  const energy = energyAxisEds(meta, detName, channels, warnings, data.path);
  const shape = n > 1 ? [n, channels] : [channels];
  const axes: Axis[] = n > 1 ? [{ name: 'Spectrum', units: '', size: n, scale: 1, offset: 0, navigate: true }, energy] : [energy];
  // Storage is [channels, n]: the model's C order [n, channels] reads it transposed.
  const axisMap = n > 1 ? [1, 0] : [0];
  return {
    entry: { entry: data.path.replace(/^\/|\/Data$/g, ''), kind: 'spectrum', title, dtype: data.type.dtype, shape, axes, metadata, original: withVersion(meta, file.version), warnings },
    layout: { kind: 'array', array: data, axisMap },
  };
}

function mapEels(e: VeloxEels, file: VeloxFile): MappedEntry {
  const { data, metadata: meta } = e;
  const warnings: string[] = [];
  const off = num(e.acquisition ?? undefined, 'Data.offset');
  const disp = num(e.acquisition ?? undefined, 'Data.dispersion');
  if (off === undefined || disp === undefined) warnings.push(`${data.path}: no AcquisitionMetadata offset/dispersion; energy axis in channels`);
  const energy: Axis = { name: 'Energy loss', units: disp === undefined ? '' : 'eV', size: data.shape[1]!, scale: disp ?? 1, offset: off ?? 0, navigate: false };
  const metadata = normaliseVelox(meta);
  const title = off === undefined ? 'EELS' : `EELS (${Number(off.toPrecision(6))} eV)`;
  metadata.title = title;
  metadata.acquisitionMode = 'STEM';
  if (disp !== undefined) metadata.dispersion = { value: disp, unit: 'eV' };
  const exposure = num(e.acquisition ?? undefined, 'Data.exposureTime');
  if (exposure !== undefined) metadata.exposure = { value: exposure, unit: 's' };
  delete metadata.liveTime;
  delete metadata.realTime;
  let shape: number[];
  let axes: Axis[];
  let axisMap: number[];
  if (data.shape.length === 3) {
    // Stored [x, energy, y] (one AcquisitionMetadata column per scan line); presented [y, x, E].
    const [nx, , ny] = data.shape as [number, number, number];
    shape = [ny, nx, data.shape[1]!];
    axisMap = [2, 0, 1];
    axes = [...spatialAxes(e.spatial ?? undefined, [ny, nx], true, warnings, data.path), energy];
  } else {
    const nx = data.shape[0]!;
    shape = [nx, data.shape[1]!];
    axisMap = [0, 1];
    axes = [spatialAxes(e.spatial ?? undefined, [1, nx], true, warnings, data.path)[1]!, energy];
  }
  return {
    entry: {
      entry: data.path.replace(/^\/|\/Data$/g, ''),
      kind: 'spectrum-image',
      title,
      dtype: data.type.dtype,
      shape,
      axes,
      metadata,
      original: withVersion(meta, file.version, { AcquisitionMetadata: e.acquisition }),
      warnings,
    },
    layout: { kind: 'array', array: data, axisMap },
  };
}

/** Scan size of the SI: ScanSize × ScanArea (the SI may cover a sub-area of the raster). */
function streamGeometry(meta: MetaTree, settings: MetaTree): { height: number; width: number } | null {
  const sw = num(meta, 'Scan.ScanSize.width') ?? num(settings, 'RasterScanDefinition.Width');
  const sh = num(meta, 'Scan.ScanSize.height') ?? num(settings, 'RasterScanDefinition.Height');
  if (sw === undefined || sh === undefined) return null;
  const l = num(meta, 'Scan.ScanArea.left') ?? 0;
  const r = num(meta, 'Scan.ScanArea.right') ?? 1;
  const t = num(meta, 'Scan.ScanArea.top') ?? 0;
  const b = num(meta, 'Scan.ScanArea.bottom') ?? 1;
  const width = Math.round(sw * (r - l));
  const height = Math.round(sh * (b - t));
  return width > 0 && height > 0 ? { height, width } : null;
}

/** Upper bound on a stream's declared channel count (Velox writes 4096; 65535 is the separator). */
const MAX_CHANNELS = 65535;

function mapStreams(h: Hdf5Handle, file: VeloxFile): MappedEntry | null {
  if (!file.streams.length) return null;
  const warnings: string[] = [];
  const s0 = file.streams[0]!;
  const geo = streamGeometry(s0.metadata, s0.settings);
  if (!geo) throw h.fail(`Scan.ScanSize/ScanArea or RasterScanDefinition in /Data/SpectrumStream/${s0.uuid} (the SI's pixel grid)`);
  const channels = num(s0.settings, 'bincount');
  if (channels === undefined || !Number.isInteger(channels) || channels < 1 || channels > MAX_CHANNELS) {
    throw h.fail(`AcquisitionSettings.bincount in 1…${MAX_CHANNELS} for /Data/SpectrumStream/${s0.uuid} (got ${String(at(s0.settings, 'bincount'))})`);
  }
  const detectors: string[] = [];
  const streams = file.streams.map((s) => {
    const c = num(s.settings, 'bincount');
    if (c !== channels) throw h.fail(`the same bincount (${channels}) in every spectrum stream (got ${c} in ${s.uuid})`);
    const d = str(s.metadata, 'BinaryResult.Detector');
    if (d) detectors.push(d);
    return new SpectrumStream(h, s.data, s.length, { ...geo, channels });
  });
  const detName = str(s0.metadata, 'BinaryResult.Detector');
  const disp0 = num(detectorRecord(s0.metadata, detName), 'Dispersion');
  for (const s of file.streams.slice(1)) {
    const d = num(detectorRecord(s.metadata, str(s.metadata, 'BinaryResult.Detector')), 'Dispersion');
    if (d !== undefined && disp0 !== undefined && d !== disp0) warnings.push(`stream ${s.uuid}: dispersion ${d} eV differs from ${disp0} eV; summed on the first stream's axis`);
  }
  const metadata = normaliseVelox(s0.metadata, detName);
  metadata.title = 'EDS';
  metadata.acquisitionMode = 'STEM';
  delete metadata.liveTime;
  delete metadata.realTime;
  const frames = Math.max(...file.streams.map((s) => s.frames));
  metadata.frameCount = frames;
  metadata.extra = { ...(metadata.extra ?? {}), detector: detectors.join(', ') || 'EDS', streams: file.streams.length };
  if (file.elements) metadata.extra.elements = file.elements.join(', ');
  const axes: Axis[] = [
    ...spatialAxes(s0.metadata.BinaryResult, [geo.height, geo.width], true, warnings, `/Data/SpectrumStream/${s0.uuid}`),
    energyAxisEds(s0.metadata, detName, channels, warnings, `/Data/SpectrumStream/${s0.uuid}`),
  ];
  axes[2]!.name = 'X-ray energy';
  warnings.push(`sum of ${file.streams.length} detector stream(s) over ${frames} frame(s), decoded from the event stream on read`);
  return {
    entry: {
      entry: 'Data/SpectrumStream',
      kind: 'spectrum-image',
      title: 'EDS',
      dtype: 'uint32',
      shape: [geo.height, geo.width, channels],
      axes,
      metadata,
      original: withVersion(s0.metadata, file.version, {
        AcquisitionSettings: s0.settings,
        Streams: file.streams.map((s) => `/Data/SpectrumStream/${s.uuid}`),
        ...(file.elements ? { Elements: file.elements } : {}),
      }),
      warnings,
    },
    layout: { kind: 'stream', streams },
  };
}

export function mapVelox(h: Hdf5Handle, file: VeloxFile): MappedEntry[] {
  const out: MappedEntry[] = [
    ...file.spectra.map((s) => mapSpectrum(s, file)),
    ...file.images.map((i) => mapImage(i, file)),
    ...file.eels.map((e) => mapEels(e, file)),
  ];
  const si = mapStreams(h, file);
  if (si) out.push(si);
  if (out.length && file.warnings.length) out[0]!.entry.warnings.push(...file.warnings);
  if (!out.length) throw h.fail(`at least one readable dataset under /Data${file.warnings.length ? ` (${file.warnings.join('; ')})` : ''}`);
  return out;
}
