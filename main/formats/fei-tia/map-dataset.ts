/**
 * TIA series → DatasetEntry. Navigation axes come from the .ser dimension array, signal axes
 * from element 0's calibration; normalised metadata from the paired .emi ObjectInfo (when there
 * is one). Behaviour checked against rosettasciio's TIA reader and its test files:
 *  - scan order: with x/y position tags, equal PositionY for elements 0 and 1 means Dim-1 varies
 *    fastest (the file lists x before y); otherwise the dimensions are slowest-first;
 *  - spatial units "meters" → nm, "1/meters" → 1/nm; spectra are in eV;
 *  - 2-D elements are stored bottom row first and are presented top row first.
 * Where rosettasciio differs it is noted: it leaves spatial *offsets* in metres while scaling
 * the steps to nm; this mapper converts both.
 */
import type { Axis, DatasetEntry, DType, MetaTree, NormalisedMetadata, Quantity } from '../../api/dataset.js';
import type { EmiObjectInfo } from './parse-emi.js';
import { DATA_1D, TAG_TIME_XY, type SerFile } from './parse-ser.js';

export interface TiaLayout {
  ser: SerFile;
  dtype: DType;
  /** Navigation shape (C order, size-1 axes dropped); element index = flat C index over it. */
  navShape: number[];
  /** Signal shape as presented: [E] or [y, x]. */
  signalShape: number[];
  /** Elements at or beyond this flat index were not acquired (filled on read). */
  validElements: number;
  spectra: boolean;
}

const MONTHS: Record<string, number> = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** TIA's AcquireDate, C asctime style "Mon Feb 22 11:55:58 2016" → ISO local time. */
export function parseTiaDate(s: string): string | undefined {
  const m = /^\s*(?:[A-Za-z]{3}\s+)?([A-Za-z]{3})\s+(\d{1,2})\s+(\d{1,2}):(\d{2}):(\d{2})\s+(\d{4})\s*$/.exec(s);
  if (!m) return undefined;
  const mon = MONTHS[m[1]!.toLowerCase()];
  const day = Number(m[2]);
  const [h, mi, se] = [Number(m[3]), Number(m[4]), Number(m[5])];
  if (!mon || day < 1 || day > 31 || h > 23 || mi > 59 || se > 60) return undefined;
  return `${m[6]}-${pad(mon)}-${pad(day)}T${pad(h)}:${pad(mi)}:${pad(se)}`;
}

function spatialUnits(units: string, scale: number, offset: number): { units: string; scale: number; offset: number } {
  if (units === 'meters' || units === 'm') return { units: 'nm', scale: scale * 1e9, offset: offset * 1e9 };
  if (units === '1/meters' || units === '1/m') return { units: '1/nm', scale: scale / 1e9, offset: offset / 1e9 };
  return { units, scale, offset };
}

function num(s: string | undefined): number | undefined {
  if (s === undefined || s.trim() === '') return undefined;
  const v = Number(s.trim());
  return Number.isFinite(v) ? v : undefined;
}

function metaFromEmi(emi: EmiObjectInfo | undefined): { md: NormalisedMetadata; mode?: string; camera: boolean } {
  const md: NormalisedMetadata = {};
  if (!emi) return { md, camera: false };
  const ex = emi.experimental;
  const q = (label: string, unit: string, factor = 1, outUnit = unit): Quantity | undefined => {
    const e = ex[label];
    if (!e || e.unit !== unit) return undefined;
    const v = num(e.value);
    return v === undefined ? undefined : { value: v * factor, unit: outUnit };
  };
  const t = emi.tree;
  const conditions = (t.ExperimentalConditions as MetaTree | undefined)?.MicroscopeConditions as MetaTree | undefined;
  const kv = q('High tension', 'kV');
  const accV = num(typeof conditions?.AcceleratingVoltage === 'string' ? conditions.AcceleratingVoltage : undefined);
  if (kv) md.beamEnergy = kv;
  else if (accV !== undefined) md.beamEnergy = { value: accV / 1000, unit: 'kV' };
  const scope = ex.Microscope?.value;
  // TIA prefixes the name with "Microscope " (e.g. "Microscope Tecnai 300 kV D248 SuperTwin").
  if (scope) md.instrument = scope.replace(/^Microscope\s+/, '');
  const mode = ex.Mode?.value.trim();
  if (mode) md.acquisitionMode = /STEM/.test(mode) ? 'STEM' : 'TEM';
  const mag = q('Magnification', 'x');
  if (mag) md.magnification = mag;
  const cl = q('Camera length', 'm', 1000, 'mm');
  if (cl) md.cameraLength = cl;
  const acq = t.AcquireInfo as MetaTree | undefined;
  const camera = typeof acq?.CameraNamePath === 'string';
  const dwell = num(typeof acq?.DwellTimePath === 'string' ? acq.DwellTimePath : undefined);
  const extra: NonNullable<NormalisedMetadata['extra']> = {};
  if (dwell !== undefined) {
    // DwellTimePath is the per-pixel dwell in STEM scans and the exposure for camera images.
    md.exposure = { value: dwell, unit: 's' };
    if (!camera && md.acquisitionMode === 'STEM') extra.dwellTime = { value: dwell, unit: 's' };
  }
  const date = typeof t.AcquireDate === 'string' ? parseTiaDate(t.AcquireDate) : undefined;
  if (date) md.acquisitionTime = date;
  const stageA = q('Stage A', 'deg');
  const stageB = q('Stage B', 'deg');
  if (stageA) extra.stageAlpha = stageA;
  if (stageB) extra.stageBeta = stageB;
  for (const [label, key] of [['Stage X', 'stageX'], ['Stage Y', 'stageY'], ['Stage Z', 'stageZ']] as const) {
    const v = q(label, 'um', 1, 'µm');
    if (v) extra[key] = v;
  }
  const spot = num(ex['Spot size']?.value);
  if (spot !== undefined) extra.spotSize = spot;
  if (typeof t.Manufacturer === 'string' && t.Manufacturer) extra.scanGenerator = t.Manufacturer;
  if (Object.keys(extra).length) md.extra = extra;
  return { md, mode, camera };
}

export function mapTia(ser: SerFile, fileName: string, entryId: string, emi: EmiObjectInfo | undefined, emiName?: string): { entry: DatasetEntry; layout: TiaLayout } {
  const warnings: string[] = [];
  const g = ser.geometry;
  const spectra = ser.dataTypeId === DATA_1D;
  const { md, mode, camera } = metaFromEmi(emi);
  if (!md.acquisitionTime && ser.firstTags[0] && ser.firstTags[0].time > 0) {
    // The element tag time is a C time_t (UTC): stated with its zone.
    md.acquisitionTime = new Date(ser.firstTags[0].time * 1000).toISOString().replace(/\.000Z$/, 'Z');
  }

  // Navigation: dimension array in storage order (slowest first).
  let dims = ser.dimensions.map((d, i) => ({ ...d, index: i + 1 }));
  const t0 = ser.firstTags[0];
  const t1 = ser.firstTags[1];
  const fortran = dims.length > 1 && ser.tagTypeId === TAG_TIME_XY && t0 !== undefined && t1 !== undefined && t0.positionY === t1.positionY;
  if (fortran) dims = dims.slice().reverse();
  const navAxes: Axis[] = [];
  const navShape: number[] = [];
  let validElements = ser.validElements;
  if (dims.length === 0) {
    if (ser.validElements > 1) {
      navShape.push(ser.validElements);
      navAxes.push({ name: 'index', units: '', size: ser.validElements, scale: 1, offset: 0, navigate: true });
    }
    warnings.push('the .ser has no dimension array: elements are presented as an index series');
  } else {
    if (dims.length === 1 && ser.validElements < ser.totalElements) {
      // A series stopped early: only the acquired elements are presented.
      dims = [{ ...dims[0]!, size: ser.validElements }];
      warnings.push(`${ser.validElements} of ${ser.totalElements} elements acquired; the series is shortened`);
    } else if (ser.validElements < ser.totalElements) {
      warnings.push(`${ser.validElements} of ${ser.totalElements} elements acquired; the rest read as ${/float|complex/.test(g.dtype) ? 'NaN' : '0'}`);
    }
    const metreDims = dims.filter((d) => d.units === 'meters' && d.size > 1).length;
    const names = metreDims >= 2 ? ['y', 'x'] : ['x'];
    let ni = 0;
    for (const d of dims) {
      const isMetre = d.units === 'meters';
      const name = isMetre && d.size > 1 ? names[Math.min(ni++, names.length - 1)]! : d.description || 'index';
      if (d.size === 1) continue; // size-1 axes are dropped, as for DM (a 1×N spectrum is a spectrum)
      const u = spatialUnits(d.units, d.calibrationDelta, d.calibrationOffset - d.calibrationElement * d.calibrationDelta);
      navShape.push(d.size);
      navAxes.push({ name, units: u.units, size: d.size, scale: u.scale, offset: u.offset, navigate: true });
    }
  }
  if (dims.length === 1 && ser.validElements < ser.totalElements) validElements = ser.validElements;

  let sigAxes: Axis[];
  let signalShape: number[];
  let kind: DatasetEntry['kind'];
  if (spectra) {
    const c = g.calibrations[0]!;
    signalShape = [g.shape[0]!];
    sigAxes = [{ name: 'Energy', units: 'eV', size: g.shape[0]!, scale: c.delta, offset: c.offset - c.element * c.delta, navigate: false }];
    kind = navShape.length === 0 ? 'spectrum' : 'spectrum-image';
  } else {
    // Units of 2-D elements are not stored: STEM camera frames and diffraction are reciprocal.
    let units = 'meters';
    if (mode !== undefined) {
      // rosettasciio's rule: in STEM, frames from a camera or from a scan with calibrated
      // navigation units are diffraction patterns; an uncalibrated series is an image stack.
      const d1 = ser.dimensions[0];
      const diffractionScan = d1 !== undefined && d1.size > 1 && d1.units !== '';
      if (/STEM/.test(mode)) units = camera || diffractionScan ? '1/meters' : 'meters';
      else if (/Diffraction/.test(mode)) units = '1/meters';
    } else warnings.push('no .emi metadata: image axes assumed to be in metres');
    const [ny, nx] = g.shape as [number, number];
    const [cy, cx] = g.calibrations as [typeof g.calibrations[0], typeof g.calibrations[0]];
    const uy = spatialUnits(units, cy.delta, cy.offset - cy.element * cy.delta);
    const ux = spatialUnits(units, cx.delta, cx.offset - cx.element * cx.delta);
    signalShape = [ny, nx];
    sigAxes = [
      { name: 'y', units: uy.units, size: ny, scale: uy.scale, offset: uy.offset, navigate: false },
      { name: 'x', units: ux.units, size: nx, scale: ux.scale, offset: ux.offset, navigate: false },
    ];
    kind = navShape.length === 0 ? 'image' : navShape.length === 1 ? 'image-stack' : 'diffraction-4d';
  }

  const base = (emiName ?? fileName).replace(/(_\d+)?\.[^.]*$/, '');
  const original: MetaTree = {
    ser: {
      file: fileName,
      seriesVersion: ser.seriesVersion,
      dataTypeId: ser.dataTypeId,
      tagTypeId: ser.tagTypeId,
      totalElements: ser.totalElements,
      validElements: ser.validElements,
      dimensions: ser.dimensions.map((d) => ({ ...d })),
      element0: { dataType: g.dataType, shape: g.shape, calibrations: g.calibrations.map((c) => ({ ...c })) },
      firstTags: ser.firstTags.map((t) => ({ ...t })),
      scanOrder: fortran ? 'Dim-1 fastest (x before y)' : 'dimensions slowest first',
    },
  };
  if (emi) original.ObjectInfo = emi.tree;
  const entry: DatasetEntry = {
    entry: entryId,
    kind,
    title: base,
    dtype: g.dtype,
    shape: [...navShape, ...signalShape],
    axes: [...navAxes, ...sigAxes],
    metadata: { title: base, ...md },
    original,
    warnings,
  };
  return { entry, layout: { ser, dtype: g.dtype, navShape, signalShape, validElements, spectra } };
}
