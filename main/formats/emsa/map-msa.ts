/**
 * EMSA/MAS keyword table → DatasetEntry (kind 'spectrum'). Units of the standard keywords follow
 * the ISO 22029:2022 keyword table; a unit written in the keyword ('#BEAMKV -kV', '#DWELLTIME-ms')
 * overrides the default and is converted to the normalised unit where the dimension is known.
 */
import type { Axis, DatasetEntry, MetaTree, MetaValue, NormalisedMetadata, Quantity } from '../../api/dataset.js';
import { parseMsaNumber, type MsaFile, type MsaKeyword } from './parse-msa.js';

/** Default units of the ISO 22029 keywords (used when the keyword carries none). */
const DEFAULT_UNITS: Record<string, string> = {
  BEAMKV: 'kV',
  EMISSION: 'µA',
  PROBECUR: 'nA',
  BEAMDIAM: 'nm',
  CONVANGLE: 'mrad',
  COLLANGLE: 'mrad',
  THICKNESS: 'nm',
  XTILTSTGE: 'deg',
  YTILTSTGE: 'deg',
  XPOSITION: 'mm',
  YPOSITION: 'mm',
  ZPOSITION: 'mm',
  DWELLTIME: 'ms',
  INTEGTIME: 'ms',
  ELEVANGLE: 'deg',
  AZIMANGLE: 'deg',
  SOLIDANGLE: 'sr',
  LIVETIME: 's',
  REALTIME: 's',
  FWHMMNKA: 'eV',
  TBEWIND: 'cm',
  TAUWIND: 'cm',
  TDEADLYR: 'cm',
  TACTLYR: 'cm',
  TALWIND: 'cm',
  TPYWIND: 'cm',
  TBNWIND: 'cm',
  TDIWIND: 'cm',
  THCWIND: 'cm',
};

/** Keyword spellings seen in files (the standard's 12-character field truncates some). */
const ALIASES: Record<string, string> = { AZIMANGL: 'AZIMANGLE', SOLIDANGL: 'SOLIDANGLE', SOLIDANG: 'SOLIDANGLE' };

/** Unit spellings of the 1991 standard and of writers, mapped to SI-style symbols. */
const UNIT_SPELLING: Record<string, string> = {
  mr: 'mrad', mrad: 'mrad', rad: 'rad', dg: 'deg', deg: 'deg', sr: 'sr', ua: 'µA', 'µa': 'µA', na: 'nA', pa: 'pA', ma: 'mA', a: 'A',
  kv: 'kV', v: 'V', s: 's', ms: 'ms', us: 'µs', 'µs': 'µs', ns: 'ns', nm: 'nm', um: 'µm', 'µm': 'µm', mm: 'mm', cm: 'cm', m: 'm',
  ev: 'eV', kev: 'keV',
};

/** Size of each unit in its dimension's base unit, for conversions to the normalised unit. */
const UNIT_SCALE: Record<string, [string, number]> = {
  kV: ['V', 1e3], V: ['V', 1],
  s: ['s', 1], ms: ['s', 1e-3], 'µs': ['s', 1e-6], ns: ['s', 1e-9],
  A: ['A', 1], mA: ['A', 1e-3], 'µA': ['A', 1e-6], nA: ['A', 1e-9], pA: ['A', 1e-12],
  rad: ['rad', 1], mrad: ['rad', 1e-3],
  m: ['m', 1], cm: ['m', 1e-2], mm: ['m', 1e-3], 'µm': ['m', 1e-6], nm: ['m', 1e-9],
  eV: ['eV', 1], keV: ['eV', 1e3],
};

export function normaliseUnit(u: string): string {
  return UNIT_SPELLING[u.trim().toLowerCase()] ?? u.trim();
}

/** Convert when both units are known and of one dimension; otherwise keep the file's unit. */
function convert(q: Quantity, to: string): Quantity {
  const a = UNIT_SCALE[q.unit];
  const b = UNIT_SCALE[to];
  if (!a || !b || a[0] !== b[0]) return q;
  return { value: (q.value * a[1]) / b[1], unit: to };
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

function validDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  return d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/**
 * ISO 22029 DATE is DD-MMM-YYYY ("01-OCT-1991", English month abbreviation). ISO 8601
 * (YYYY-MM-DD) is accepted as well. Returns YYYY-MM-DD or undefined.
 */
export function parseMsaDate(s: string): string | undefined {
  const t = s.trim();
  let m = /^(\d{1,2})[- ]([A-Za-z]{3})[- ](\d{4})$/.exec(t);
  if (m) {
    const mon = MONTHS.indexOf(m[2]!.toUpperCase()) + 1;
    const d = Number(m[1]);
    const y = Number(m[3]);
    return mon > 0 && validDate(y, mon, d) ? `${pad(y, 4)}-${pad(mon)}-${pad(d)}` : undefined;
  }
  m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(t);
  if (m) {
    const y = Number(m[1]);
    const mon = Number(m[2]);
    const d = Number(m[3]);
    return validDate(y, mon, d) ? `${m[1]}-${m[2]}-${m[3]}` : undefined;
  }
  return undefined;
}

/** ISO 22029 TIME is HH:MM (24 h); HH:MM:SS occurs in the wild. Returns HH:MM:SS or undefined. */
export function parseMsaTime(s: string): string | undefined {
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(s.trim());
  if (!m) return undefined;
  const h = Number(m[1]);
  const mi = Number(m[2]);
  const se = m[3] === undefined ? 0 : Number(m[3]);
  if (h > 23 || mi > 59 || se > 59) return undefined;
  return `${pad(h)}:${pad(mi)}:${pad(se)}`;
}

const SIGNAL_TYPES: Record<string, string> = {
  EDS: 'EDS', WDS: 'WDS', ELS: 'EELS', AES: 'AES', PES: 'PES', XRF: 'XRF', CLS: 'CL', GAM: 'GAM',
};

/** Keywords whose values are text even when they look like numbers ("#VERSION : 1.0"). */
const TEXT_KEYWORDS = new Set(['FORMAT', 'VERSION', 'TITLE', 'DATE', 'TIME', 'OWNER', 'COMMENT', 'XLABEL', 'YLABEL', 'XUNITS', 'YUNITS']);

function typedValue(key: string, v: string): MetaValue {
  if (TEXT_KEYWORDS.has(key)) return v;
  const n = parseMsaNumber(v);
  return n === undefined ? v : n;
}

/** The keyword table as JSON: raw keyword field → value (numbers typed), repeated keywords as arrays. */
function originalTree(file: MsaFile): MetaTree {
  const header: { [k: string]: MetaValue } = {};
  const units: { [k: string]: MetaValue } = {};
  const userDefined: string[] = [];
  for (const kw of file.keywords) {
    if (kw.key === 'SPECTRUM' || kw.key === 'ENDOFDATA') continue;
    const name = kw.rawKey;
    const v = typedValue(kw.userDefined ? '' : kw.key, kw.value);
    const prev = header[name];
    if (prev === undefined) header[name] = v;
    else if (Array.isArray(prev)) prev.push(v);
    else header[name] = [prev, v];
    if (kw.units !== undefined) units[kw.key] = kw.units;
    if (kw.userDefined) userDefined.push(name);
  }
  return {
    header,
    units,
    userDefined,
    dataType: file.dataType,
    encoding: file.encoding,
    spectrumLine: file.keywords.find((k) => k.key === 'SPECTRUM')?.value ?? '',
  };
}

/** Spread of x around a uniform grid, as a fraction of the step. */
function uniformGrid(x: Float64Array, scaleHint?: number, offsetHint?: number): { scale: number; offset: number } | undefined {
  const n = x.length;
  if (n < 2) return offsetHint !== undefined && scaleHint !== undefined && Math.abs(x[0]! - offsetHint) <= Math.abs(scaleHint) * 0.01 ? { scale: scaleHint, offset: offsetHint } : n === 1 ? { scale: scaleHint ?? 1, offset: x[0]! } : undefined;
  const fitted = (x[n - 1]! - x[0]!) / (n - 1);
  const scale = scaleHint !== undefined && Math.abs(scaleHint - fitted) <= Math.abs(fitted) * 0.001 ? scaleHint : fitted;
  const offset = offsetHint !== undefined && Math.abs(offsetHint - x[0]!) <= Math.abs(scale) * 0.01 ? offsetHint : x[0]!;
  if (scale === 0) return undefined;
  // Printed values are rounded: 1 % of a step absorbs that, a real non-uniform grid does not pass.
  const tol = Math.abs(scale) * 0.01;
  for (let i = 0; i < n; i++) if (Math.abs(x[i]! - (offset + i * scale)) > tol) return undefined;
  return { scale, offset };
}

export function mapMsa(file: MsaFile, fileName: string): DatasetEntry {
  const warnings = [...file.warnings];
  const byKey = new Map<string, MsaKeyword[]>();
  for (const kw of file.keywords) {
    if (kw.userDefined) continue;
    const k = ALIASES[kw.key] ?? kw.key;
    const list = byKey.get(k) ?? [];
    list.push(kw);
    byKey.set(k, list);
  }
  // Repeated keywords: the last one wins (rosettasciio does the same for XLABEL), except TITLE
  // and COMMENT, which ISO 22029:2022 allows on several lines.
  const last = (k: string): MsaKeyword | undefined => byKey.get(k)?.at(-1);
  const str = (k: string): string | undefined => {
    const v = last(k)?.value;
    return v === undefined || v === '' ? undefined : v;
  };
  const num = (k: string): number | undefined => {
    const kw = last(k);
    if (!kw || kw.value === '') return undefined;
    const v = parseMsaNumber(kw.value);
    if (v === undefined) warnings.push(`${kw.rawKey} "${kw.value.slice(0, 30)}" is not a number; ignored`);
    return v;
  };
  const qty = (k: string, to?: string): Quantity | undefined => {
    const v = num(k);
    if (v === undefined) return undefined;
    const kw = last(k)!;
    const unit = kw.units !== undefined ? normaliseUnit(kw.units) : (DEFAULT_UNITS[k] ?? '');
    const q = { value: v, unit };
    return to ? convert(q, to) : q;
  };

  const md: NormalisedMetadata = {};
  const extra: NonNullable<NormalisedMetadata['extra']> = {};
  const titleLines = (byKey.get('TITLE') ?? []).map((k) => k.value.trim()).filter((s) => s.length > 0);
  const title = titleLines.join(' ');
  if (title) md.title = title;

  const dateKw = last('DATE');
  const timeKw = last('TIME');
  const date = dateKw && dateKw.value ? parseMsaDate(dateKw.value) : undefined;
  const time = timeKw && timeKw.value ? parseMsaTime(timeKw.value) : undefined;
  if (dateKw && dateKw.value && !date) warnings.push(`DATE "${dateKw.value.slice(0, 30)}" is not DD-MMM-YYYY (ISO 22029) nor YYYY-MM-DD; acquisition time not set`);
  if (timeKw && timeKw.value && !time) warnings.push(`TIME "${timeKw.value.slice(0, 30)}" is not HH:MM (ISO 22029); time of day not set`);
  if (date) md.acquisitionTime = time ? `${date}T${time}` : date;

  const opMode = str('OPERMODE');
  if (opMode) md.acquisitionMode = opMode;
  const beam = qty('BEAMKV', 'kV');
  if (beam) md.beamEnergy = beam;
  const probe = qty('PROBECUR', 'nA');
  if (probe) md.probeCurrent = probe;
  const live = qty('LIVETIME', 's');
  if (live) md.liveTime = live;
  const real = qty('REALTIME', 's');
  if (real) md.realTime = real;
  const integ = qty('INTEGTIME', 's');
  if (integ) md.exposure = integ;
  const conv = qty('CONVANGLE', 'mrad');
  if (conv) md.convergenceAngle = conv;
  const coll = qty('COLLANGLE', 'mrad');
  if (coll) md.collectionAngle = coll;
  // ISO 22029: MAGCAM is the magnification, or the camera length in mm in diffraction mode.
  const magcam = num('MAGCAM');
  if (magcam !== undefined) {
    if (opMode && /^DIFF/i.test(opMode)) md.cameraLength = { value: magcam, unit: 'mm' };
    else md.magnification = { value: magcam, unit: 'x' };
  }

  const xunitsRaw = str('XUNITS') ?? '';
  // "Energy Loss (eV)" (ISO 22029 example) carries the quantity and the unit.
  const unitInParens = /^(.*?)\s*\(([^()]+)\)\s*$/.exec(xunitsRaw);
  const xUnits = unitInParens ? unitInParens[2]!.trim() : xunitsRaw;
  const xQuantity = unitInParens ? unitInParens[1]!.trim() : '';
  const xperchan = num('XPERCHAN');
  const offset = num('OFFSET');
  if (xperchan !== undefined) md.dispersion = { value: xperchan, unit: xUnits };

  const sig = str('SIGNALTYPE');
  if (sig) extra.signalType = SIGNAL_TYPES[sig.toUpperCase()] ?? sig;
  const owner = str('OWNER');
  if (owner) extra.owner = owner;
  const addQ = (name: string, k: string, to?: string): void => {
    const q = qty(k, to);
    if (q) extra[name] = q;
  };
  addQ('elevationAngle', 'ELEVANGLE');
  addQ('azimuthAngle', 'AZIMANGLE');
  addQ('solidAngle', 'SOLIDANGLE');
  addQ('stageTiltX', 'XTILTSTGE');
  addQ('stageTiltY', 'YTILTSTGE');
  addQ('stageX', 'XPOSITION');
  addQ('stageY', 'YPOSITION');
  addQ('stageZ', 'ZPOSITION');
  addQ('thickness', 'THICKNESS', 'nm');
  addQ('beamDiameter', 'BEAMDIAM', 'nm');
  addQ('emissionCurrent', 'EMISSION', 'µA');
  addQ('dwellTime', 'DWELLTIME', 's');
  addQ('fwhmMnKa', 'FWHMMNKA', 'eV');
  const choff = num('CHOFFSET');
  if (choff !== undefined) extra.channelOffset = choff;
  for (const [name, k] of [['edsDetector', 'EDSDET'], ['eelsDetector', 'ELSDET'], ['edgeType', 'EDGETYPE'], ['comment', 'COMMENT']] as const) {
    const v = (byKey.get(k) ?? []).map((w) => w.value).filter((s) => s).join(' ');
    if (v) extra[name] = v;
  }
  if (Object.keys(extra).length) md.extra = extra;

  // The axis. Y data: OFFSET + i·XPERCHAN. XY data: the x column, uniform when it is.
  const n = file.y.length;
  const xlabel = str('XLABEL');
  const axis: Axis = { name: xlabel ?? (xQuantity || 'Energy'), units: xUnits, size: n, navigate: false };
  if (file.x) {
    const grid = uniformGrid(file.x, xperchan, offset);
    if (grid) {
      axis.scale = grid.scale;
      axis.offset = grid.offset;
    } else {
      axis.values = Array.from(file.x);
      warnings.push('XY data with a non-uniform x column: the axis carries the x values (XPERCHAN/OFFSET kept in metadata)');
    }
  } else {
    if (xperchan === undefined) warnings.push('no usable XPERCHAN: axis scale 1 per channel');
    if (offset === undefined) warnings.push('no usable OFFSET: axis starts at 0');
    axis.scale = xperchan === undefined || xperchan === 0 ? 1 : xperchan;
    axis.offset = offset ?? 0;
  }

  for (const k of ['FORMAT', 'VERSION', 'TITLE', 'DATE', 'TIME', 'OWNER', 'NPOINTS', 'NCOLUMNS', 'XUNITS', 'YUNITS', 'DATATYPE', 'XPERCHAN', 'OFFSET']) {
    if (!byKey.has(k)) warnings.push(`required keyword #${k} (ISO 22029) is missing`);
  }

  const entry: DatasetEntry = {
    entry: 'spectrum',
    kind: 'spectrum',
    title: title || fileName,
    dtype: 'float64',
    shape: [n],
    axes: [axis],
    metadata: md,
    original: originalTree(file),
    warnings,
  };
  const yunits = str('YUNITS');
  if (yunits) entry.intensity = { scale: 1, offset: 0, units: yunits };
  return entry;
}
