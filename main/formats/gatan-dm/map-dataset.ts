/**
 * DM tag tree → DatasetEntry[] (DESIGN.md "One data model").
 *
 * One entry per ImageList item with data, minus the display thumbnails listed under the root
 * `Thumbnails` group. ImageData.Dimensions are x-fastest, so the C-order storage shape is the
 * reverse; calibrations follow the same reversal. Spectrum images (Meta Data.Format =
 * "Spectrum image", or an Orsay `spim` group) are stored energy-slowest and are presented
 * [nav..., energy] — the reader permutes on read. Size-1 axes are dropped, as DM shows them.
 */
import type { Axis, DType, DatasetEntry, DatasetKind, MetaTree, MetaValue, NormalisedMetadata, Quantity } from '../../api/dataset.js';
import { elementCount } from '../../api/dataset.js';
import { FormatError } from '../format-error.js';
import {
  READER_ID,
  group,
  isArrayRef,
  num,
  str,
  value,
  type ArrayRef,
  type DmTagFile,
  type TagGroup,
  type TagValue,
} from './parse-tags.js';

/** How an entry's elements are laid out on disk. */
export type Packing = 'none' | 'fft-half' | 'fft-old';

/** Everything readSlice needs for one entry; kept beside the public DatasetEntry. */
export interface DmLayout {
  entry: string;
  dtype: DType;
  dataType: number;
  /** Storage shape in C order (slowest first), all axes including size-1 ones. */
  storageShape: number[];
  /** For each public axis, the storage axis it comes from. */
  axisMap: number[];
  data: ArrayRef;
  littleEndian: boolean;
  packing: Packing;
  /** Bytes per stored element (for fft-half: per stored complex; for fft-old: per float). */
  storageBytes: number;
}

interface DtypeInfo {
  dtype: DType;
  bytes: number;
  packing: Packing;
}

/** ImageData.DataType codes (DM scripting "ImageGetDataType"; rosettasciio/ncempy tables). */
function dtypeFor(code: number): DtypeInfo | undefined {
  switch (code) {
    case 1: return { dtype: 'int16', bytes: 2, packing: 'none' };
    case 2: return { dtype: 'float32', bytes: 4, packing: 'none' };
    case 3: return { dtype: 'complex64', bytes: 8, packing: 'none' };
    // 5: 8-byte packed complex; resolved from the stored byte count in mapImage.
    case 5: return { dtype: 'complex64', bytes: 8, packing: 'none' };
    case 6: return { dtype: 'uint8', bytes: 1, packing: 'none' };
    case 7: return { dtype: 'int32', bytes: 4, packing: 'none' };
    case 8: return { dtype: 'rgba8', bytes: 4, packing: 'none' };
    case 9: return { dtype: 'int8', bytes: 1, packing: 'none' };
    case 10: return { dtype: 'uint16', bytes: 2, packing: 'none' };
    case 11: return { dtype: 'uint32', bytes: 4, packing: 'none' };
    case 12: return { dtype: 'float64', bytes: 8, packing: 'none' };
    case 13: return { dtype: 'complex128', bytes: 16, packing: 'none' };
    case 14: return { dtype: 'bool', bytes: 1, packing: 'none' };
    case 23: return { dtype: 'rgba8', bytes: 4, packing: 'none' };
    case 27: return { dtype: 'complex64', bytes: 8, packing: 'fft-half' };
    case 28: return { dtype: 'complex128', bytes: 16, packing: 'fft-half' };
    default: return undefined;
  }
}

/* ---------- original tree as JSON ---------- */

const ENC_NAMES: Record<number, string> = {
  2: 'int16', 3: 'int32', 4: 'uint16', 5: 'uint32', 6: 'float32', 7: 'float64', 8: 'bool',
  9: 'int8', 10: 'int8', 11: 'int64', 12: 'uint64', 15: 'struct', 20: 'array',
};

function valueToMeta(v: TagValue): MetaValue {
  if (isArrayRef(v)) {
    return { offset: v.offset, count: v.count, type: ENC_NAMES[v.encType] ?? String(v.encType), byteLength: v.byteLength };
  }
  if (Array.isArray(v)) return v.map(valueToMeta);
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return v;
}

/** Tag group → JSON. A group of unnamed entries (ImageList, Dimension...) becomes an array. */
export function groupToMeta(g: TagGroup): MetaTree | MetaValue[] {
  const conv = (n: TagGroup['entries'][number]['node']): MetaValue => (n.type === 'group' ? groupToMeta(n) : valueToMeta(n.value));
  if (g.entries.length > 0 && g.entries.every((e) => e.name === '')) return g.entries.map((e) => conv(e.node));
  const out: MetaTree = {};
  g.entries.forEach((e, i) => {
    let key = e.name === '' ? `[${i}]` : e.name;
    while (key in out) key += `#${i}`;
    out[key] = conv(e.node);
  });
  return out;
}

/* ---------- dates ---------- */

/** Windows FILETIME (100 ns ticks since 1601-01-01 UTC) → UTC date, used only to break D/M vs M/D ties. */
function filetimeDate(ticks: number | undefined): Date | undefined {
  if (ticks === undefined || !(ticks > 0)) return undefined;
  const ms = ticks / 1e4 - 11644473600000;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/**
 * Parse a DM date string written under any Windows locale: "8/8/2016" (en-US, M/D/Y), "27.08.2016"
 * (de), "27/08/2016" (fr, en-GB), "2016/08/27" or "2016-08-27" (ISO, ja). Ambiguous day/month
 * orders are settled by a hint date (the FILETIME stamp DM stores beside it) and otherwise read
 * month-first, as DM's default US locale writes them.
 */
export function parseDmDate(s: string, hint?: Date): string | undefined {
  const m = s.trim().match(/^(\d{1,4})[./\- ](\d{1,2})[./\- ](\d{1,4})\.?$/);
  if (!m) return undefined;
  const a = Number(m[1]);
  const b = Number(m[2]);
  const c = Number(m[3]);
  const valid = (y: number, mo: number, d: number): boolean => {
    if (mo < 1 || mo > 12 || d < 1) return false;
    const dim = new Date(Date.UTC(y, mo, 0)).getUTCDate();
    return d <= dim;
  };
  const fix = (y: number): number => (y < 100 ? 2000 + y : y);
  if (m[1]!.length === 4) return valid(a, b, c) ? `${pad(a, 4)}-${pad(b)}-${pad(c)}` : undefined;
  const y = fix(c);
  const sep = s.trim().charAt(m[1]!.length);
  const mdy = valid(y, a, b) ? `${pad(y, 4)}-${pad(a)}-${pad(b)}` : undefined;
  const dmy = valid(y, b, a) ? `${pad(y, 4)}-${pad(b)}-${pad(a)}` : undefined;
  if (mdy && dmy && mdy !== dmy) {
    if (hint) {
      const dist = (iso: string): number => Math.abs(Date.parse(`${iso}T12:00:00Z`) - hint.getTime());
      return dist(dmy) < dist(mdy) ? dmy : mdy;
    }
    // A dot separator is a day-first (central European) convention; slashes default to US order.
    return sep === '.' ? dmy : mdy;
  }
  return mdy ?? dmy;
}

/** "4:26:37 PM", "16:26:37", "20:54", "4:26:37 p.m." → "HH:MM:SS". */
export function parseDmTime(s: string): string | undefined {
  const m = s.trim().match(/^(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?(?:[.,]\d+)?\s*([AaPp])?\.?\s*[Mm]?\.?$/);
  if (!m) return undefined;
  let h = Number(m[1]);
  const min = Number(m[2]);
  const sec = m[3] === undefined ? 0 : Number(m[3]);
  const ap = m[4]?.toUpperCase();
  if (ap === 'P' && h < 12) h += 12;
  if (ap === 'A' && h === 12) h = 0;
  if (h > 23 || min > 59 || sec > 60) return undefined;
  return `${pad(h)}:${pad(min)}:${pad(sec)}`;
}

/* ---------- metadata ---------- */

const q = (v: number | undefined, unit: string): Quantity | undefined => (v === undefined ? undefined : { value: v, unit });

function nonEmpty(s: string | undefined): string | undefined {
  return s !== undefined && s.trim() !== '' && s !== '[]' ? s : undefined;
}

function signalType(tags: TagGroup | undefined): string {
  const sig = str(tags, ['Meta Data', 'Signal']);
  if (sig === 'X-ray') return 'EDS';
  if (sig === 'CL' || group(tags, ['Acquisition', 'Monarc Spectrometer'])) return 'CL';
  if (sig === 'EELS' || group(tags, ['spim', 'eels'])) return 'EELS';
  return sig ?? '';
}

function acquisitionTime(tags: TagGroup | undefined): string | undefined {
  const hint = filetimeDate(num(tags, ['DataBar', 'Acquisition Time (OS)']));
  const pair = (d: string | undefined, t: string | undefined): string | undefined => {
    const date = d === undefined ? undefined : parseDmDate(d, hint);
    if (!date) return undefined;
    const time = t === undefined ? undefined : parseDmTime(t);
    return time ? `${date}T${time}` : date;
  };
  // DataBar is what DM shows for the image; the technique groups are the fallback (rosettasciio
  // expectations agree: e.g. a Monarc SI's DataBar time wins over SI "Start time").
  const candidates: (string | undefined)[] = [
    pair(str(tags, ['DataBar', 'Acquisition Date']), str(tags, ['DataBar', 'Acquisition Time'])),
    pair(str(tags, ['SI', 'Acquisition', 'Date']), str(tags, ['SI', 'Acquisition', 'Start time'])),
    pair(str(tags, ['EELS', 'Acquisition', 'Date']), str(tags, ['EELS', 'Acquisition', 'Start time'])),
    pair(str(tags, ['EDS', 'Acquisition', 'Date']), str(tags, ['EDS', 'Acquisition', 'Start time'])),
    pair(str(tags, ['CL', 'Acquisition', 'Date']), str(tags, ['CL', 'Acquisition', 'Start time'])),
  ];
  const begin = str(tags, ['CL', 'Acquisition', 'Acquisition begin']);
  if (begin) {
    const [d, ...rest] = begin.trim().split(/\s+/);
    candidates.push(pair(d, rest.join(' ') || undefined));
  }
  return candidates.find((c) => c !== undefined);
}

function mapMetadata(item: TagGroup, title: string, sigType: string): NormalisedMetadata {
  const tags = group(item, ['ImageTags']);
  const md: NormalisedMetadata = {};
  const extra: NonNullable<NormalisedMetadata['extra']> = {};
  if (title) md.title = title;
  const mi = group(tags, ['Microscope Info']);
  const instrument =
    nonEmpty(str(tags, ['Session Info', 'Microscope'])) ?? nonEmpty(str(mi, ['Name'])) ?? nonEmpty(str(mi, ['Microscope']));
  if (instrument) md.instrument = instrument;

  const illum = str(mi, ['Illumination Mode']);
  const scanning = group(tags, ['DigiScan']) !== undefined;
  let mode: string | undefined;
  if (illum !== undefined && illum !== '') mode = illum.includes('STEM') ? 'STEM' : illum.includes('SEM') ? 'SEM' : 'TEM';
  else if (scanning) mode = 'STEM';
  if (mode) md.acquisitionMode = mode;

  const voltage = num(mi, ['Voltage']);
  if (voltage !== undefined && voltage > 0) md.beamEnergy = { value: voltage / 1000, unit: 'kV' };

  const indicated = num(mi, ['Indicated Magnification']);
  const imaging = str(mi, ['Imaging Mode']) ?? '';
  if (mode === 'TEM' && imaging.toUpperCase().includes('DIFFRACTION')) {
    // In TEM diffraction DM's "Indicated Magnification" is the camera length in mm.
    if (indicated !== undefined) md.cameraLength = { value: indicated, unit: 'mm' };
  } else {
    if (indicated !== undefined && indicated > 0) md.magnification = { value: indicated, unit: 'x' };
    const cl = num(mi, ['STEM Camera Length']);
    if (mode === 'STEM' && cl !== undefined && cl > 0) md.cameraLength = { value: cl, unit: 'mm' };
  }
  const probe = num(mi, ['Probe Current (nA)']);
  if (probe !== undefined && probe > 0) md.probeCurrent = { value: probe, unit: 'nA' };
  const alpha = num(mi, ['Stage Position', 'Stage Alpha']);
  if (alpha !== undefined) extra.stageAlpha = { value: alpha, unit: 'deg' };

  const when = acquisitionTime(tags);
  if (when) md.acquisitionTime = when;

  // Exposure: technique groups state the integrated time (Integration time, or exposure × frames,
  // as rosettasciio computes it); otherwise the camera exposure from DataBar / acquisition params.
  const techGroup = sigType === 'EELS' ? 'EELS' : sigType === 'CL' ? 'CL' : undefined;
  const acq = techGroup ? group(tags, [techGroup, 'Acquisition']) : undefined;
  const frames = num(acq, ['Number of frames']);
  if (frames !== undefined) md.frameCount = frames;
  const integration = num(acq, ['Integration time (s)']);
  const techExposure = num(acq, ['Exposure (s)']);
  const exposure =
    integration ??
    (techExposure !== undefined ? techExposure * (frames ?? 1) : undefined) ??
    num(tags, ['DataBar', 'Exposure Time (s)']) ??
    num(tags, ['Acquisition', 'Parameters', 'High Level', 'Exposure (s)']);
  if (exposure !== undefined) md.exposure = { value: exposure, unit: 's' };
  const dwell = num(tags, ['DigiScan', 'Sample Time']);
  if (dwell !== undefined) extra.dwellTime = { value: dwell * 1e-6, unit: 's' };

  if (sigType === 'EELS') {
    const conv = num(tags, ['EELS', 'Experimental Conditions', 'Convergence semi-angle (mrad)']);
    const coll = num(tags, ['EELS', 'Experimental Conditions', 'Collection semi-angle (mrad)']);
    if (conv !== undefined) md.convergenceAngle = { value: conv, unit: 'mrad' };
    if (coll !== undefined) md.collectionAngle = { value: coll, unit: 'mrad' };
    const disp = num(tags, ['EELS Spectrometer', 'Dispersion (eV/ch)']);
    if (disp !== undefined) md.dispersion = { value: disp, unit: 'eV' };
    const ap = str(tags, ['EELS Spectrometer', 'Aperture label']);
    const apmm = ap ? ap.match(/^\s*([\d.]+)\s*mm\s*$/) : null;
    if (apmm) extra.eelsApertureSize = { value: Number(apmm[1]), unit: 'mm' };
    const spec = nonEmpty(str(tags, ['EELS Spectrometer', 'Instrument name']));
    if (spec) extra.spectrometer = spec;
  }
  if (sigType === 'EDS') {
    const live = q(num(tags, ['EDS', 'Live time']), 's');
    const real = q(num(tags, ['EDS', 'Real time']), 's');
    if (live) md.liveTime = live;
    if (real) md.realTime = real;
    const disp = num(tags, ['EDS', 'Acquisition', 'Dispersion (eV)']);
    if (disp !== undefined) md.dispersion = { value: disp, unit: 'eV' };
    const az = num(tags, ['EDS', 'Detector Info', 'Azimuthal angle']);
    const el = num(tags, ['EDS', 'Detector Info', 'Elevation angle']);
    if (az !== undefined) extra.edsAzimuthAngle = { value: az, unit: 'deg' };
    if (el !== undefined) extra.edsElevationAngle = { value: el, unit: 'deg' };
  }
  if (sigType) extra.signalType = sigType;
  const fmt = str(tags, ['Meta Data', 'Format']);
  if (fmt) extra.format = fmt;
  if (Object.keys(extra).length > 0) md.extra = extra;
  return md;
}

/* ---------- axes and layout ---------- */

interface Cal {
  scale: number;
  origin: number;
  units: string;
}

function calibrations(item: TagGroup, ndim: number): Cal[] {
  const dims = group(item, ['ImageData', 'Calibrations', 'Dimension']);
  const out: Cal[] = [];
  for (let i = 0; i < ndim; i++) {
    const e = dims?.entries[i]?.node;
    const g = e && e.type === 'group' ? e : undefined;
    const scale = num(g, ['Scale']);
    out.push({
      scale: scale !== undefined && scale !== 0 ? scale : 1,
      origin: num(g, ['Origin']) ?? 0,
      units: str(g, ['Units']) ?? '',
    });
  }
  return out;
}

function thumbnailIndices(root: TagGroup): Set<number> {
  const out = new Set<number>();
  const th = group(root, ['Thumbnails']);
  for (const e of th?.entries ?? []) {
    if (e.node.type !== 'group') continue;
    const idx = num(e.node, ['ImageIndex']);
    if (idx !== undefined) out.add(idx);
  }
  return out;
}

export interface MappedFile {
  entries: DatasetEntry[];
  layouts: Map<string, DmLayout>;
}

export function mapDataset(file: DmTagFile, fileName: string): MappedFile {
  const root = file.root;
  const list = group(root, ['ImageList']);
  if (!list) throw new FormatError(fileName, root.offset, 'an ImageList tag group', READER_ID);
  const thumbs = thumbnailIndices(root);
  const original = groupToMeta(root) as MetaTree;
  const entries: DatasetEntry[] = [];
  const layouts = new Map<string, DmLayout>();
  const skipped: string[] = [];

  list.entries.forEach((e, index) => {
    if (thumbs.has(index) || e.node.type !== 'group') return;
    const item = e.node;
    const data = value(item, ['ImageData', 'Data']);
    const code = num(item, ['ImageData', 'DataType']);
    const dimsGroup = group(item, ['ImageData', 'Dimensions']);
    if (!isArrayRef(data) || code === undefined || !dimsGroup) return; // no image data in this item
    const entryId = `image${index}`;
    const info = dtypeFor(code);
    if (!info) {
      skipped.push(`${entryId}: DM data type ${code} is not supported`);
      return;
    }
    const dmDims = dimsGroup.entries.map((d) => (d.node.type === 'data' ? d.node.value : NaN));
    if (dmDims.length === 0 || !dmDims.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d > 0)) {
      throw new FormatError(fileName, dimsGroup.offset, `ImageData.Dimensions of positive integers (got ${JSON.stringify(dmDims)})`, READER_ID);
    }
    const storageShape = (dmDims as number[]).slice().reverse();
    const n = elementCount(storageShape);
    let packing = info.packing;
    let storageBytes = info.bytes;
    let needed: number;
    if (packing === 'fft-half') {
      const nx = storageShape[storageShape.length - 1]!;
      needed = (n / nx) * (Math.floor(nx / 2) + 1) * info.bytes;
    } else {
      needed = n * info.bytes;
      if (code === 5 && data.byteLength === n * 4) {
        // Old DM packed complex: n float32 words holding a square FFT's non-redundant half.
        if (storageShape.length !== 2 || storageShape[0] !== storageShape[1] || storageShape[0]! % 2 !== 0) {
          throw new FormatError(fileName, data.offset, 'packed-complex (type 5) data to be a 2N×2N image', READER_ID);
        }
        packing = 'fft-old';
        storageBytes = 4;
        needed = n * 4;
      }
    }
    if (data.byteLength < needed) {
      throw new FormatError(
        fileName,
        data.offset,
        `ImageData.Data of ${needed} bytes for shape [${storageShape.join(', ')}] type ${code} (found ${data.byteLength})`,
        READER_ID,
      );
    }
    const tags = group(item, ['ImageTags']);
    const sigType = signalType(tags);
    const cals = calibrations(item, storageShape.length).reverse(); // now C order
    // Drop size-1 axes (a 1×N spectrum is a spectrum), keeping at least one.
    let kept = storageShape.map((_, i) => i).filter((i) => storageShape[i]! > 1);
    if (kept.length === 0) kept = [storageShape.length - 1];
    const format = str(tags, ['Meta Data', 'Format']) ?? '';
    const isSI = format === 'Spectrum image' || group(tags, ['spim']) !== undefined;
    const isSpectrumFormat = isSI || format === 'Spectrum';
    let axisMap = kept;
    let kind: DatasetKind;
    let navigate: boolean[];
    const nd = kept.length;
    if (nd === 1) {
      kind = 'spectrum';
      navigate = [false];
    } else if (nd === 2) {
      kind = isSpectrumFormat ? 'spectrum-image' : 'image';
      navigate = isSpectrumFormat ? [true, false] : [false, false];
    } else if (nd === 3 && isSI) {
      // DM stores SI data energy-slowest; present it as [y, x, E] with E the signal axis.
      axisMap = [...kept.slice(1), kept[0]!];
      kind = 'spectrum-image';
      navigate = [true, true, false];
    } else if (nd === 3) {
      kind = 'image-stack';
      navigate = [true, false, false];
    } else {
      kind = nd === 4 ? 'diffraction-4d' : 'other';
      navigate = kept.map((_, i) => i < nd - 2);
    }
    const names: string[] = new Array<string>(nd).fill('');
    const energyUnit = sigType === 'EELS' ? 'eV' : sigType === 'EDS' ? 'keV' : sigType === 'CL' ? 'nm' : undefined;
    const energyName = sigType === 'EELS' ? 'Energy loss' : sigType === 'EDS' ? 'Energy' : 'Wavelength';
    let signalIdx = -1;
    if (energyUnit && (kind === 'spectrum' || kind === 'spectrum-image')) {
      signalIdx = nd - 1;
      if (cals[axisMap[signalIdx]!]!.units === energyUnit) names[signalIdx] = energyName;
      else signalIdx = -1;
    }
    const spatial = ['x', 'y', 'z', 't', 'u', 'v'];
    let k = 0;
    for (let i = nd - 1; i >= 0; i--) if (i !== signalIdx) names[i] = spatial[k++] ?? `axis${i}`;
    const axes: Axis[] = axisMap.map((s, i) => {
      const c = cals[s]!;
      return {
        name: names[i]!,
        units: c.units,
        size: storageShape[s]!,
        scale: c.scale,
        offset: c.origin === 0 ? 0 : -c.origin * c.scale,
        navigate: navigate[i]!,
      };
    });
    const bright = group(item, ['ImageData', 'Calibrations', 'Brightness']);
    const bScale = num(bright, ['Scale']);
    const bOrigin = num(bright, ['Origin']);
    const bUnits = str(bright, ['Units']);
    const warnings: string[] = [];
    if (data.byteLength > needed) warnings.push(`ImageData.Data holds ${data.byteLength - needed} bytes more than the dimensions need`);
    if (packing === 'fft-half' || packing === 'fft-old') warnings.push('packed-complex FFT data unpacked to the full complex plane');
    const title = str(item, ['Name']) ?? '';
    const entry: DatasetEntry = {
      entry: entryId,
      kind,
      title,
      dtype: info.dtype,
      shape: axes.map((a) => a.size),
      axes,
      metadata: mapMetadata(item, title, sigType),
      original,
      warnings,
    };
    if (bScale !== undefined || bUnits) {
      const s = bScale !== undefined && bScale !== 0 ? bScale : 1;
      entry.intensity = { scale: s, offset: bOrigin ? -bOrigin * s : 0, units: bUnits ?? '' };
    }
    entries.push(entry);
    layouts.set(entryId, {
      entry: entryId,
      dtype: info.dtype,
      dataType: code,
      storageShape,
      axisMap,
      data,
      littleEndian: file.header.littleEndian,
      packing,
      storageBytes,
    });
  });
  if (entries.length === 0) {
    throw new FormatError(fileName, list.offset, skipped.length ? `a supported image (${skipped.join('; ')})` : 'an ImageList item with image data', READER_ID);
  }
  if (skipped.length) entries[0]!.warnings.push(...skipped);
  return { entries, layouts };
}
