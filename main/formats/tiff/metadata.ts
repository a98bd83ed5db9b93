/**
 * TIFF metadata → calibration and NormalisedMetadata.
 *  - FEI/Thermo SEM/FIB: private tags 34680 (FEI_SFEG) / 34682 (FEI_HELIOS) hold INI text;
 *    [Scan] PixelWidth/PixelHeight in metres; [Beam] Beam names the column (EBeam/IBeam) whose
 *    section holds HV in volts; [System] SystemType; [User] Date/Time; [Scan] Dwelltime in s.
 *    Tag numbers and keys as tifffile (C. Gohlke) and rosettasciio's FEI mapping document them.
 *  - ImageJ: ImageDescription "ImageJ=…" key=value lines (unit=, spacing=, images=, slices=,
 *    frames=); pixel size = 1 / XResolution in `unit` (ImageJ TiffEncoder behaviour).
 *  - Otherwise XResolution/YResolution with ResolutionUnit (TIFF 6.0 tags 282/283/296).
 */
import type { MetaTree, MetaValue, NormalisedMetadata } from '../../api/dataset.js';
import type { TiffField, TiffIfd } from './parse-ifd.js';

export const TAG = {
  NewSubfileType: 254, ImageWidth: 256, ImageLength: 257, BitsPerSample: 258, Compression: 259,
  Photometric: 262, ImageDescription: 270, Make: 271, Model: 272, StripOffsets: 273, SamplesPerPixel: 277,
  RowsPerStrip: 278, StripByteCounts: 279, XResolution: 282, YResolution: 283, PlanarConfiguration: 284,
  ResolutionUnit: 296, Software: 305, DateTime: 306, Artist: 315, Predictor: 317, TileWidth: 322,
  TileLength: 323, TileOffsets: 324, TileByteCounts: 325, ExtraSamples: 338, SampleFormat: 339,
  FEI_SFEG: 34680, FEI_HELIOS: 34682,
  // Gatan DigitalMicrograph calibration tags (private range): per axis units (ASCII), origin and
  // scale (double), and the intensity calibration. x is the image width (columns), y its height,
  // z the third (stack) axis — as RosettaSciIO's tiff writer sets them for DigitalMicrograph to
  // read, and its reader reads them back (rsciio/tiff/_api.py _get_dm_kwargs_extratag).
  GatanXUnits: 65003, GatanYUnits: 65004, GatanZUnits: 65005,
  GatanXOrigin: 65006, GatanYOrigin: 65007, GatanZOrigin: 65008,
  GatanXScale: 65009, GatanYScale: 65010, GatanZScale: 65011,
  GatanIntensityUnits: 65022, GatanIntensityOffset: 65024, GatanIntensityScale: 65025,
} as const;

const GATAN_TAGS: readonly number[] = [65003, 65004, 65005, 65006, 65007, 65008, 65009, 65010, 65011, 65022, 65024, 65025];

const TAG_NAMES: Record<number, string> = Object.fromEntries(Object.entries(TAG).map(([k, v]) => [v, k]));

/** Length units → nm (ImageJ writes "micron"; some files "\u00B5m" escaped). */
const TO_NM: Record<string, number> = {
  m: 1e9, meter: 1e9, metre: 1e9, cm: 1e7, mm: 1e6, µm: 1e3, um: 1e3, micron: 1e3, microns: 1e3, 'μm': 1e3,
  nm: 1, nanometer: 1, å: 0.1, a: 0.1, angstrom: 0.1, pm: 1e-3, inch: 2.54e7, in: 2.54e7,
};

export function lengthToNm(unit: string): number | undefined {
  const u = unit.trim().replace(/\\u00b5/gi, 'µ').replace(/^u(?=m$)/, 'µ').toLowerCase();
  return TO_NM[u] ?? TO_NM[u.replace(/s$/, '')];
}

export type IniTree = Record<string, Record<string, string>>;

/** FEI's INI text: [Section] lines then key=value lines. */
export function parseIni(text: string): IniTree {
  const out: IniTree = {};
  let section = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith(';') || line.startsWith('#')) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) {
      section = s[1]!.trim();
      out[section] ??= {};
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    (out[section] ??= {})[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

export function parseImageJ(desc: string): Record<string, string> | undefined {
  if (!desc.startsWith('ImageJ=')) return undefined;
  const kv: Record<string, string> = {};
  for (const line of desc.split(/\r?\n/)) {
    const eq = line.indexOf('=');
    if (eq > 0) kv[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return kv;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** FEI [User] Date "MM/DD/YYYY" + Time "h:mm:ss AM|PM" (US format as FEI xT writes) → ISO. */
export function parseFeiDateTime(date: string | undefined, time: string | undefined): string | undefined {
  const d = date ? /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(date.trim()) : null;
  if (!d) return undefined;
  const [mo, da, y] = [Number(d[1]), Number(d[2]), d[3]!];
  if (mo < 1 || mo > 12 || da < 1 || da > 31) return undefined;
  const iso = `${y}-${pad(mo)}-${pad(da)}`;
  const t = time ? /^(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(AM|PM)?$/i.exec(time.trim()) : null;
  if (!t) return iso;
  let h = Number(t[1]);
  if (t[4]) {
    if (h < 1 || h > 12) return iso;
    h = (h % 12) + (t[4].toUpperCase() === 'PM' ? 12 : 0);
  }
  if (h > 23 || Number(t[2]) > 59 || Number(t[3] ?? 0) > 60) return iso;
  return `${iso}T${pad(h)}:${t[2]}:${t[3] ?? '00'}`;
}

/** TIFF 6.0 DateTime "YYYY:MM:DD HH:MM:SS" → ISO. */
export function parseTiffDateTime(s: string): string | undefined {
  const m = /^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})/.exec(s.trim());
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 12) return undefined;
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}`;
}

function num(s: string | undefined): number | undefined {
  if (s === undefined || s.trim() === '') return undefined;
  const v = Number(s);
  return Number.isFinite(v) ? v : undefined;
}

export interface AxisCalibration {
  scale: number;
  units: string;
  /** Calibrated value of the first pixel (0 when the file gives none). */
  offset?: number;
}

export interface Calibration {
  x?: AxisCalibration;
  y?: AxisCalibration;
  z?: AxisCalibration;
  source?: 'fei' | 'gatan' | 'imagej' | 'resolution';
  /** Counts → physical intensity (Gatan 65022/65024/65025). */
  intensity?: { scale: number; offset: number; units: string };
  md: NormalisedMetadata;
  original: MetaTree;
  warnings: string[];
  imagej?: Record<string, string>;
}

const field = (ifd: TiffIfd, tag: number): TiffField | undefined => ifd.fields.get(tag);
const first = (ifd: TiffIfd, tag: number): number | undefined => field(ifd, tag)?.numbers?.[0];
const text = (ifd: TiffIfd, tag: number): string | undefined => {
  const f = field(ifd, tag);
  if (f?.text !== undefined) return f.text;
  if (f?.bytes) return new TextDecoder('latin1').decode(f.bytes).replace(/\0+$/, '');
  return undefined;
};

/** The tags of an IFD as JSON: big arrays (offsets, counts) are summarised. */
export function ifdToMeta(ifd: TiffIfd): MetaTree {
  const o: MetaTree = {};
  for (const f of ifd.fields.values()) {
    if (f.tag === TAG.FEI_HELIOS || f.tag === TAG.FEI_SFEG) continue; // parsed separately
    const name = TAG_NAMES[f.tag] ?? `tag${f.tag}`;
    let v: MetaValue;
    if (f.text !== undefined) v = f.text;
    else if (f.numbers && f.numbers.length <= 16) v = f.numbers.length === 1 ? finite(f.numbers[0]!) : f.numbers.map(finite);
    else v = { type: f.type, count: f.count };
    o[name] = v;
  }
  return o;
}

function finite(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

/**
 * Gatan DigitalMicrograph's TIFF calibration. An axis counts only with a finite, non-zero scale;
 * origins are calibrated offsets of the first pixel, as RosettaSciIO reads and writes them.
 */
function readGatan(ifd: TiffIfd, cal: Calibration): void {
  const axis = (unitsTag: number, originTag: number, scaleTag: number, name: string): AxisCalibration | undefined => {
    const scale = first(ifd, scaleTag);
    if (scale === undefined) return undefined;
    if (!Number.isFinite(scale) || scale === 0) {
      cal.warnings.push(`Gatan ${name} scale (tag ${scaleTag}) is ${scale}; that axis is left uncalibrated`);
      return undefined;
    }
    const origin = first(ifd, originTag);
    return { scale, units: text(ifd, unitsTag)?.trim() ?? '', offset: origin !== undefined && Number.isFinite(origin) ? origin : 0 };
  };
  const x = axis(TAG.GatanXUnits, TAG.GatanXOrigin, TAG.GatanXScale, 'x');
  const y = axis(TAG.GatanYUnits, TAG.GatanYOrigin, TAG.GatanYScale, 'y');
  const z = axis(TAG.GatanZUnits, TAG.GatanZOrigin, TAG.GatanZScale, 'z');
  if (x || y) {
    // One calibrated lateral axis and not the other: DM images have square pixels.
    cal.x = x ?? { ...y! };
    cal.y = y ?? { ...x! };
    cal.source = 'gatan';
  }
  if (z) cal.z = z;
  const iScale = first(ifd, TAG.GatanIntensityScale);
  const iOffset = first(ifd, TAG.GatanIntensityOffset);
  const iUnits = text(ifd, TAG.GatanIntensityUnits)?.trim();
  if ((iScale !== undefined && Number.isFinite(iScale) && iScale !== 1) || (iOffset !== undefined && Number.isFinite(iOffset) && iOffset !== 0) || iUnits) {
    cal.intensity = {
      scale: iScale !== undefined && Number.isFinite(iScale) ? iScale : 1,
      offset: iOffset !== undefined && Number.isFinite(iOffset) ? iOffset : 0,
      units: iUnits ?? '',
    };
  }
  cal.md.extra = { ...cal.md.extra, calibrationSource: 'Gatan DigitalMicrograph TIFF tags' };
}

export function readCalibration(ifd: TiffIfd): Calibration {
  const md: NormalisedMetadata = {};
  const original: MetaTree = { tags: ifdToMeta(ifd) };
  const warnings: string[] = [];
  const cal: Calibration = { md, original, warnings };
  const desc = text(ifd, TAG.ImageDescription);
  const feiText = text(ifd, TAG.FEI_HELIOS) ?? text(ifd, TAG.FEI_SFEG);
  const xres = first(ifd, TAG.XResolution);
  const yres = first(ifd, TAG.YResolution);

  if (feiText !== undefined) {
    const ini = parseIni(feiText);
    original.fei = ini as unknown as MetaTree;
    const pw = num(ini.Scan?.PixelWidth);
    const ph = num(ini.Scan?.PixelHeight);
    if (pw !== undefined && pw > 0) {
      cal.x = { scale: pw * 1e9, units: 'nm' };
      cal.y = { scale: (ph !== undefined && ph > 0 ? ph : pw) * 1e9, units: 'nm' };
      cal.source = 'fei';
    }
    // [Beam] Beam says which column imaged (EBeam SEM, IBeam FIB); its section holds HV in V.
    const beam = ini.Beam?.Beam?.trim();
    const column = beam && ini[beam] ? ini[beam] : undefined;
    const hv = num(column?.HV) ?? num(ini.Beam?.HV) ?? num(ini.EBeam?.HV);
    if (hv !== undefined) md.beamEnergy = { value: hv / 1000, unit: 'kV' };
    if (beam === 'IBeam') md.acquisitionMode = 'FIB';
    else if (beam === 'EBeam' || ini.EBeam) md.acquisitionMode = 'SEM';
    const current = num(column?.BeamCurrent) ?? num(ini.EBeam?.BeamCurrent);
    if (current !== undefined) md.probeCurrent = { value: current, unit: 'A' };
    const scope = ini.System?.SystemType ?? ini.System?.Type;
    if (scope) md.instrument = scope;
    const when = parseFeiDateTime(ini.User?.Date, ini.User?.Time);
    if (when) md.acquisitionTime = when;
    const extra: NonNullable<NormalisedMetadata['extra']> = {};
    const dwell = num(ini.Scan?.Dwelltime);
    if (dwell !== undefined) extra.dwellTime = { value: dwell, unit: 's' };
    const wd = num(ini.Stage?.WorkingDistance);
    if (wd !== undefined) extra.workingDistance = { value: wd * 1e3, unit: 'mm' };
    const hfw = num(ini.Scan?.HorFieldsize) ?? num(ini.EScan?.HorFieldsize);
    if (hfw !== undefined) extra.horizontalFieldWidth = { value: hfw * 1e6, unit: 'µm' };
    // An explicit magnification when the file has one; otherwise the magnification xT displays,
    // defined as the reference canvas width over the horizontal field width (both in metres).
    const mag = num(ini.Image?.Magnification) ?? num(ini.Scan?.Magnification);
    const canvas = num(ini.Image?.MagCanvasRealWidth);
    if (mag !== undefined) md.magnification = { value: mag, unit: 'x' };
    else if (canvas !== undefined && hfw !== undefined && hfw > 0) md.magnification = { value: canvas / hfw, unit: 'x' };
    if (Object.keys(extra).length) md.extra = extra;
  }

  if (!cal.x && GATAN_TAGS.some((t) => ifd.fields.has(t))) readGatan(ifd, cal);

  const ij = desc !== undefined ? parseImageJ(desc) : undefined;
  if (ij) {
    cal.imagej = ij;
    original.imagej = ij;
    const unit = ij.unit;
    const f = unit !== undefined ? lengthToNm(unit) : undefined;
    if (!cal.x && f !== undefined && xres !== undefined && xres > 0) {
      cal.x = { scale: f / xres, units: 'nm' };
      cal.y = { scale: f / (yres !== undefined && yres > 0 ? yres : xres), units: 'nm' };
      cal.source = 'imagej';
    } else if (!cal.x && unit && unit !== 'pixel' && f === undefined && xres) {
      cal.x = { scale: 1 / xres, units: unit };
      cal.y = { scale: 1 / (yres || xres), units: unit };
      cal.source = 'imagej';
    }
    const spacing = num(ij.spacing);
    if (spacing !== undefined && spacing > 0) cal.z = f !== undefined ? { scale: spacing * f, units: 'nm' } : { scale: spacing, units: unit ?? '' };
  }

  if (!cal.x && xres !== undefined && xres > 0) {
    const ru = first(ifd, TAG.ResolutionUnit) ?? 2; // TIFF 6.0 default: inch
    const per = ru === 3 ? 1e7 : ru === 2 ? 2.54e7 : undefined;
    // 72/96/150/300 pixels per inch are display/print defaults, not a physical pixel size.
    if (per !== undefined && !(ru === 2 && [72, 96, 150, 300].includes(xres))) {
      cal.x = { scale: per / xres, units: 'nm' };
      cal.y = { scale: per / (yres !== undefined && yres > 0 ? yres : xres), units: 'nm' };
      cal.source = 'resolution';
    } else if (ru === 2) warnings.push(`XResolution ${xres} per inch looks like a display default; pixel size not set`);
  }

  if (!md.acquisitionTime) {
    const dt = text(ifd, TAG.DateTime);
    const iso = dt ? parseTiffDateTime(dt) : undefined;
    if (iso) md.acquisitionTime = iso;
  }
  if (!md.instrument) {
    const make = text(ifd, TAG.Make)?.trim();
    const model = text(ifd, TAG.Model)?.trim();
    const inst = [make, model].filter((s) => s).join(' ');
    if (inst) md.instrument = inst;
  }
  return cal;
}
