/**
 * A Bruker <ClassInstance Type="TRTSpectrum"> → DatasetEntry. Shared by the .spx reader and the
 * .bcf reader (whose header carries the map's sum spectrum in the same structure).
 *
 * Where things are (Esprit 1.9–2.x, as in the rosettasciio test files):
 *   TRTHeaderedClass/ClassInstance[TRTSpectrumHardwareHeader]: RealTime, LifeTime (ms), DeadTime (%),
 *       Amplification (the energy range in eV)
 *   …/ClassInstance[TRTDetectorHeader]: Type, Serial, Technology
 *   …/ClassInstance[TRTESMAHeader]: PrimaryEnergy (kV), ElevationAngle, AzimutAngle (deg),
 *       Magnification, WorkingDistance (mm)
 *   …/ClassInstance[TRTXrfHeader] (micro-XRF, e.g. M6 Jetstream): Voltage (kV), Current (µA), TubeType
 *   ClassInstance[TRTSpectrumHeader]: Date (d.m.yyyy), Time (h:m:s), ChannelCount,
 *       CalibAbs (keV at channel 0), CalibLin (keV per channel)
 *   Channels: comma-separated counts
 *   ClassInstance[TRTPSEElementList]/ChildClassInstances/ClassInstance[TRTPSEElement] Name: elements
 */
import type { DatasetEntry, DType, MetaTree, NormalisedMetadata } from '../../api/dataset.js';
import { FormatError } from '../format-error.js';
import { child, childNumber, childText, classInstance, xmlToMeta, type XmlElement } from './xml.js';

export interface MappedSpectrum {
  entry: DatasetEntry;
  data: Uint32Array | Float64Array;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** Esprit writes Date "2.3.2018" (d.m.yyyy) and Time "13:53:4" (h:m:s, no zero padding). */
export function brukerDateTime(date: string | undefined, time: string | undefined): string | undefined {
  if (!date) return undefined;
  let y: number, m: number, d: number;
  let dm = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(date.trim());
  if (dm) [d, m, y] = [Number(dm[1]), Number(dm[2]), Number(dm[3])];
  else if ((dm = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(date.trim()))) [y, m, d] = [Number(dm[1]), Number(dm[2]), Number(dm[3])];
  else return undefined;
  if (m < 1 || m > 12 || d < 1 || d > new Date(Date.UTC(y, m, 0)).getUTCDate()) return undefined;
  const iso = `${pad(y, 4)}-${pad(m)}-${pad(d)}`;
  const tm = time ? /^(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?$/.exec(time.trim()) : null;
  if (!tm) return iso;
  const [h, mi, s] = [Number(tm[1]), Number(tm[2]), Number(tm[3] ?? 0)];
  if (h > 23 || mi > 59 || s > 59) return iso;
  return `${iso}T${pad(h)}:${pad(mi)}:${pad(s)}`;
}

/** Parse the comma-separated counts, checking every token; never sized from ChannelCount. */
export function parseChannels(text: string, file: string, offset: number): Uint32Array | Float64Array {
  const tokens = text.split(',');
  // Esprit ends the list with a comma in some versions; blanks around tokens are tolerated.
  while (tokens.length && tokens[tokens.length - 1]!.trim() === '') tokens.pop();
  const values = new Float64Array(tokens.length);
  let integral = true;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!.trim();
    if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) throw new FormatError(file, offset, `a number for channel ${i} in <Channels> (found "${t.slice(0, 20)}")`);
    const v = Number(t);
    values[i] = v;
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) integral = false;
  }
  return integral ? Uint32Array.from(values) : values;
}

export interface MapSpectrumOptions {
  entry: string;
  /** Title when the ClassInstance has no Name. */
  fallbackTitle: string;
}

export function mapTrtSpectrum(node: XmlElement, file: string, opts: MapSpectrumOptions): MappedSpectrum {
  const warnings: string[] = [];
  const headered = child(node, 'TRTHeaderedClass');
  const hw = classInstance(headered, 'TRTSpectrumHardwareHeader');
  const det = classInstance(headered, 'TRTDetectorHeader');
  const esma = classInstance(headered, 'TRTESMAHeader');
  const xrf = classInstance(headered, 'TRTXrfHeader');
  const sh = classInstance(node, 'TRTSpectrumHeader');
  const channelsEl = child(node, 'Channels');
  if (!channelsEl) throw new FormatError(file, node.offset, 'a <Channels> element in the TRTSpectrum');
  const data = parseChannels(channelsEl.text, file, channelsEl.offset);
  if (data.length === 0) throw new FormatError(file, channelsEl.offset, 'at least one channel in <Channels>');
  const dtype: DType = data instanceof Uint32Array ? 'uint32' : 'float64';
  const declared = childNumber(sh, 'ChannelCount');
  if (declared !== undefined && declared !== data.length) warnings.push(`ChannelCount says ${declared} but <Channels> holds ${data.length} values; the values present are used`);

  const md: NormalisedMetadata = {};
  const extra: NonNullable<NormalisedMetadata['extra']> = {};
  const title = node.attrs.Name ?? opts.fallbackTitle;
  md.title = title;
  const when = brukerDateTime(childText(sh, 'Date'), childText(sh, 'Time'));
  if (when) md.acquisitionTime = when;
  else if (childText(sh, 'Date')) warnings.push(`Date "${childText(sh, 'Date')}" / Time "${childText(sh, 'Time') ?? ''}" not understood; acquisition time not set`);

  const real = childNumber(hw, 'RealTime');
  const live = childNumber(hw, 'LifeTime');
  // Esprit stores times in milliseconds (bruker_nano.spx: LifeTime 7385 ↔ 7.385 s in rosettasciio's test).
  if (real !== undefined) md.realTime = { value: real / 1000, unit: 's' };
  if (live !== undefined) md.liveTime = { value: live / 1000, unit: 's' };
  const dead = childNumber(hw, 'DeadTime');
  if (dead !== undefined) extra.deadTime = { value: dead, unit: '%' };
  const ampl = childNumber(hw, 'Amplification');
  if (ampl !== undefined) extra.energyRange = { value: ampl / 1000, unit: 'keV' };

  const primary = childNumber(esma, 'PrimaryEnergy') ?? childNumber(xrf, 'Voltage');
  if (primary !== undefined) md.beamEnergy = { value: primary, unit: 'kV' };
  const elev = childNumber(esma, 'ElevationAngle');
  const azim = childNumber(esma, 'AzimutAngle');
  if (elev !== undefined) extra.elevationAngle = { value: elev, unit: 'deg' };
  if (azim !== undefined) extra.azimuthAngle = { value: azim, unit: 'deg' };
  const mag = childNumber(esma, 'Magnification');
  if (mag !== undefined && mag > 0) md.magnification = { value: mag, unit: 'x' };
  const wd = childNumber(esma, 'WorkingDistance');
  if (wd !== undefined) extra.workingDistance = { value: wd, unit: 'mm' };
  if (xrf) {
    md.acquisitionMode = 'XRF';
    extra.signalType = 'XRF';
    const cur = childNumber(xrf, 'Current');
    if (cur !== undefined) extra.tubeCurrent = { value: cur, unit: 'µA' };
    const tube = childText(xrf, 'TubeType');
    if (tube) extra.tube = tube;
    const exc = childNumber(xrf, 'ExcitationAngle');
    if (exc !== undefined) extra.excitationAngle = { value: exc, unit: 'deg' };
    const detA = childNumber(xrf, 'DetectionAngle');
    if (detA !== undefined) extra.detectionAngle = { value: detA, unit: 'deg' };
  } else extra.signalType = 'EDS';
  const detType = childText(det, 'Type');
  if (detType) extra.detector = detType;
  const serial = childText(det, 'Serial');
  if (serial) extra.detectorSerial = serial;
  const elements = classInstance(node, 'TRTPSEElementList');
  const names = (child(elements, 'ChildClassInstances')?.children ?? [])
    .filter((c) => c.name === 'ClassInstance' && c.attrs.Type === 'TRTPSEElement' && c.attrs.Name)
    .map((c) => c.attrs.Name!);
  if (names.length) extra.elements = names.join(', ');
  if (Object.keys(extra).length) md.extra = extra;

  const offset = childNumber(sh, 'CalibAbs');
  const scale = childNumber(sh, 'CalibLin');
  if (offset === undefined || scale === undefined || scale === 0) warnings.push('no usable CalibAbs/CalibLin: energy axis in channels');
  const calibrated = offset !== undefined && scale !== undefined && scale !== 0;

  const original = xmlToMeta(node) as MetaTree;
  original.Channels = `${data.length} values (read as data)`;

  const entry: DatasetEntry = {
    entry: opts.entry,
    kind: 'spectrum',
    title,
    dtype,
    shape: [data.length],
    axes: [
      {
        name: calibrated ? 'Energy' : 'Channel',
        units: calibrated ? 'keV' : '',
        size: data.length,
        scale: calibrated ? scale : 1,
        offset: calibrated ? offset : 0,
        navigate: false,
      },
    ],
    intensity: { scale: 1, offset: 0, units: 'counts' },
    metadata: md,
    original,
    warnings,
  };
  return { entry, data };
}
