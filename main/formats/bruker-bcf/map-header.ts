/**
 * The .bcf header ('EDSDatabase/HeaderData', Esprit XML) → DatasetEntries:
 *   image<k>      each valid plane of the unnamed TRTImageData (BSE/SE images, base64 in the XML)
 *   hypermap<i>   the spectrum image of SpectrumData<i>, [y, x, E], decoded lazily by reader.ts
 *   sum<i>        the map's sum spectrum stored in the header (same structure as an .spx)
 *
 * Where things are (ClassInstance[TRTSpectrumDatabase]):
 *   Header/Date, Header/Time (d.m.yyyy, h:m:s); Header/FileVersion
 *   ClassInstance[TRTSEMData]: HV (kV), Mag, DX, DY (µm per pixel), WD (mm) — decimal commas
 *       appear when Esprit ran under a decimal-comma Windows locale
 *   ClassInstance[TRTImageData] (no Name): Width, Height, ItemSize (bytes), PlaneCount,
 *       Plane<k>/{Description, Data (base64, little-endian), Valid (0 = not acquired)}
 *   ChCount, DetectorCount, LineCounter
 *   SpectrumData<i>/ClassInstance[TRTSpectrum]: the sum spectrum with calibration
 */
import type { Axis, DatasetEntry, DType, MetaTree, NormalisedMetadata } from '../../api/dataset.js';
import { FormatError } from '../format-error.js';
import { brukerDateTime, mapTrtSpectrum } from '../bruker-spx/map-spectrum.js';
import { child, childNumber, childText, classInstance, xmlToMeta, type XmlElement } from '../bruker-spx/xml.js';
import type { HypermapHeader } from './hypermap.js';
import { READER_ID } from './sfs.js';

export type BcfLayout =
  | { kind: 'array'; data: Uint8Array | Uint16Array | Uint32Array }
  | { kind: 'hypermap'; path: string; header: HypermapHeader; channels: number; dtype: 'uint8' | 'uint16' | 'uint32' };

export interface MappedBcf {
  entries: DatasetEntry[];
  layouts: Map<string, BcfLayout>;
}

function decodeBase64(s: string, file: string, at: number): Uint8Array {
  const clean = s.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) throw new FormatError(file, at, 'base64 image data', READER_ID);
  const buf = Buffer.from(clean, 'base64');
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

export function mapBcfHeader(root: XmlElement, file: string, maps: { index: number; path: string; header: HypermapHeader }[]): MappedBcf {
  const db = classInstance(root, 'TRTSpectrumDatabase');
  if (root.name !== 'TRTSpectrumDatabase' || !db) throw new FormatError(file, root.offset, 'a <TRTSpectrumDatabase> header with ClassInstance Type="TRTSpectrumDatabase"', READER_ID);
  const entries: DatasetEntry[] = [];
  const layouts = new Map<string, BcfLayout>();
  const notes: string[] = [];
  const hdr = child(db, 'Header');
  const when = brukerDateTime(childText(hdr, 'Date'), childText(hdr, 'Time'));
  const sem = classInstance(db, 'TRTSEMData');
  const hv = childNumber(sem, 'HV');
  const mag = childNumber(sem, 'Mag');
  const dx = childNumber(sem, 'DX');
  const dy = childNumber(sem, 'DY');
  const wd = childNumber(sem, 'WD');
  const calibrated = dx !== undefined && dy !== undefined && dx > 0 && dy > 0;
  const spatialUnits = calibrated ? 'µm' : 'px';
  if (!calibrated) notes.push('no DX/DY pixel size in TRTSEMData: spatial axes in pixels');
  const name = db.attrs.Name ?? 'Map data';

  const common = (): NormalisedMetadata => {
    const md: NormalisedMetadata = {};
    if (when) md.acquisitionTime = when;
    if (hv !== undefined) md.beamEnergy = { value: hv, unit: 'kV' };
    if (mag !== undefined && mag > 0) md.magnification = { value: mag, unit: 'x' };
    if (wd !== undefined) md.extra = { workingDistance: { value: wd, unit: 'mm' } };
    return md;
  };
  const spatialAxes = (h: number, w: number, navigate: boolean): Axis[] => [
    { name: 'y', units: spatialUnits, size: h, scale: calibrated ? dy : 1, offset: 0, navigate },
    { name: 'x', units: spatialUnits, size: w, scale: calibrated ? dx : 1, offset: 0, navigate },
  ];
  // The original tree without the bulky base64 planes and palettes.
  const original = xmlToMeta(db, 256) as MetaTree;

  // Images: the TRTImageData without a Name (named ones are Counter/PixelTimes bookkeeping).
  const img = db.children.find((c) => c.name === 'ClassInstance' && c.attrs.Type === 'TRTImageData' && !c.attrs.Name);
  if (img) {
    const w = childNumber(img, 'Width');
    const h = childNumber(img, 'Height');
    const item = childNumber(img, 'ItemSize');
    const planes = childNumber(img, 'PlaneCount') ?? 0;
    const ok = (v: number | undefined): v is number => v !== undefined && Number.isInteger(v) && v > 0 && v <= 65536;
    if (!ok(w) || !ok(h) || (item !== 1 && item !== 2 && item !== 4)) {
      notes.push(`image data skipped: Width/Height/ItemSize ${w}/${h}/${item} not understood`);
    } else {
      for (let k = 0; k < Math.min(planes, 64); k++) {
        const plane = child(img, `Plane${k}`);
        if (!plane) continue;
        const desc = childText(plane, 'Description') ?? `Plane${k}`;
        if (childText(plane, 'Valid') === '0') {
          notes.push(`image plane ${k} (${desc}) is marked not valid (not acquired) and is not listed`);
          continue;
        }
        const dataEl = child(plane, 'Data');
        if (!dataEl) continue;
        const bytes = decodeBase64(dataEl.text, file, dataEl.offset);
        const need = w * h * item;
        if (bytes.length < need) throw new FormatError(file, dataEl.offset, `${need} bytes of image data for ${w}×${h}×${item} (found ${bytes.length})`, READER_ID);
        const own = bytes.slice(0, need);
        const data = item === 1 ? own : item === 2 ? new Uint16Array(own.buffer, 0, w * h) : new Uint32Array(own.buffer, 0, w * h);
        const dtype: DType = item === 1 ? 'uint8' : item === 2 ? 'uint16' : 'uint32';
        const id = `image${k}`;
        entries.push({
          entry: id,
          kind: 'image',
          title: desc,
          dtype,
          shape: [h, w],
          axes: spatialAxes(h, w, false),
          metadata: { ...common(), title: desc },
          original,
          warnings: [],
        });
        layouts.set(id, { kind: 'array', data });
      }
    }
  }
  const overview = db.children.some((c) => c.attrs.Type === 'TRTContainerClass' && (child(c, 'ChildClassInstances')?.children ?? []).some((g) => g.attrs.Name === 'OverviewImages'));
  if (overview) notes.push('overview images (Esprit 2 "OverviewImages") are not read');

  for (const m of maps) {
    const specNode = classInstance(child(db, `SpectrumData${m.index}`), 'TRTSpectrum');
    const mapId = `hypermap${m.index}`;
    const warnings: string[] = [];
    let channels = m.header.channels;
    let energy: Axis = { name: 'Channel', units: '', size: channels, scale: 1, offset: 0, navigate: false };
    let dtype: 'uint8' | 'uint16' | 'uint32' = 'uint32';
    const md = common();
    md.title = `${name} (EDS map ${m.index})`;
    if (specNode) {
      const sum = mapTrtSpectrum(specNode, file, { entry: `sum${m.index}`, fallbackTitle: `${name} sum spectrum` });
      sum.entry.title = `${name} sum spectrum ${m.index}`;
      sum.entry.metadata.title = sum.entry.title;
      if (when && !sum.entry.metadata.acquisitionTime) sum.entry.metadata.acquisitionTime = when;
      if (hv !== undefined && !sum.entry.metadata.beamEnergy) sum.entry.metadata.beamEnergy = { value: hv, unit: 'kV' };
      entries.push(sum.entry);
      layouts.set(sum.entry.entry, { kind: 'array', data: sum.data instanceof Uint32Array ? sum.data : Uint32Array.from(sum.data) });
      // The map's energy axis is the sum spectrum's: same channels, same calibration.
      channels = sum.entry.shape[0]!;
      energy = { ...sum.entry.axes[0]!, size: channels };
      // Each pixel's count in a channel is at most the sum over all pixels in that channel, so
      // the sum spectrum's maximum bounds the map's values (checked while decoding).
      let max = 0;
      for (let c = 0; c < sum.data.length; c++) max = Math.max(max, sum.data[c]!);
      dtype = max <= 0xff ? 'uint8' : max <= 0xffff ? 'uint16' : 'uint32';
      const smd = sum.entry.metadata;
      for (const k of ['liveTime', 'realTime', 'probeCurrent'] as const) if (smd[k]) md[k] = smd[k];
      if (!md.beamEnergy && smd.beamEnergy) md.beamEnergy = smd.beamEnergy;
      if (smd.extra) md.extra = { ...smd.extra, ...(md.extra ?? {}) };
      md.dispersion = { value: energy.scale ?? 1, unit: energy.units };
    } else warnings.push(`no sum spectrum for SpectrumData${m.index} in the header: energy axis uncalibrated (channels), values stored as uint32`);
    if (m.header.channels > channels) {
      warnings.push(`pixels were recorded with ${m.header.channels} channels; counts above channel ${channels} (the sum spectrum's range) are not represented`);
    }
    const imgEntry = entries.find((e) => e.kind === 'image');
    if (imgEntry && (imgEntry.shape[0] !== m.header.height || imgEntry.shape[1] !== m.header.width)) {
      warnings.push(`map size ${m.header.width}×${m.header.height} differs from the image size ${imgEntry.shape[1]}×${imgEntry.shape[0]}`);
    }
    entries.push({
      entry: mapId,
      kind: 'spectrum-image',
      title: md.title,
      dtype,
      shape: [m.header.height, m.header.width, channels],
      axes: [...spatialAxes(m.header.height, m.header.width, true), { ...energy, navigate: false }],
      intensity: { scale: 1, offset: 0, units: 'counts' },
      metadata: md,
      original,
      warnings,
    });
    layouts.set(mapId, { kind: 'hypermap', path: m.path, header: m.header, channels, dtype });
  }
  if (entries.length === 0) throw new FormatError(file, db.offset, 'an image or a hypermap in the .bcf', READER_ID);
  entries[0]!.warnings.push(...notes);
  return { entries, layouts };
}
