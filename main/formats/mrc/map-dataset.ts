/**
 * MRC header → DatasetEntry. MRC2014 stores columns (x) fastest, then rows (y), then sections (z),
 * so the C-order shape is [nz, ny, nx]. Pixel size = cella / mx (Å, MRC2014 words 8–13) → nm.
 */
import type { Axis, DatasetEntry, DType, MetaTree } from '../../api/dataset.js';
import { FormatError } from '../format-error.js';
import type { MrcHeader } from './parse-header.js';
import { MRC_ID } from './spec.js';

export interface MrcLayout {
  mode: number;
  dtype: DType;
  /** Storage shape [nz, ny, nx]. */
  storageShape: [number, number, number];
  /** Bytes per stored element (mode 101: 0, rows are packed nibbles). */
  elemBytes: number;
  rowBytes: number;
  frameBytes: number;
  dataOffset: number;
  littleEndian: boolean;
}

/** Stored bytes per element and the dtype presented, per MRC2014 mode. */
function modeInfo(h: MrcHeader): { dtype: DType; elemBytes: number } | undefined {
  switch (h.mode) {
    // MRC2014 defines mode 0 as signed; IMOD writes unsigned bytes unless its flag bit 0 is set.
    case 0: return { dtype: h.imodStamp && (h.imodFlags & 1) === 0 ? 'uint8' : 'int8', elemBytes: 1 };
    case 1: return { dtype: 'int16', elemBytes: 2 };
    case 2: return { dtype: 'float32', elemBytes: 4 };
    case 3: return { dtype: 'complex64', elemBytes: 4 }; // two int16, widened on read
    case 4: return { dtype: 'complex64', elemBytes: 8 };
    case 6: return { dtype: 'uint16', elemBytes: 2 };
    case 12: return { dtype: 'float32', elemBytes: 2 }; // IEEE half, widened on read
    case 101: return { dtype: 'uint8', elemBytes: 0 }; // 4-bit, two per byte
    default: return undefined;
  }
}

/** Å → nm; undefined when the header carries no usable cell. */
function pixelNm(cell: number, m: number): number | undefined {
  if (!(m > 0) || !(cell > 0) || !Number.isFinite(cell)) return undefined;
  return (cell / m) * 0.1;
}

export function mapMrc(h: MrcHeader, fileName: string, fileSize: number): { entry: DatasetEntry; layout: MrcLayout } {
  const info = modeInfo(h);
  if (!info) throw new FormatError(fileName, 12, `MRC mode 0, 1, 2, 3, 4, 6, 12 or 101 (got ${h.mode})`, MRC_ID);
  const warnings: string[] = [];
  // Mode 101 packs two pixels per byte; an odd row is padded to a whole byte (MRC2014 notes).
  const rowBytes = info.elemBytes === 0 ? Math.ceil(h.nx / 2) : h.nx * info.elemBytes;
  const frameBytes = rowBytes * h.ny;
  const need = frameBytes * h.nz;
  const avail = fileSize - h.dataOffset;
  if (need > avail) {
    throw new FormatError(fileName, h.dataOffset, `${need} data bytes for ${h.nx}×${h.ny}×${h.nz} mode ${h.mode} (file holds ${avail} after the headers)`, MRC_ID);
  }
  if (need < avail) warnings.push(`${avail - need} bytes after the data are ignored`);
  if (h.mapc !== 1 || h.mapr !== 2 || h.maps !== 3) {
    if (h.mapc !== 0 || h.mapr !== 0 || h.maps !== 0) warnings.push(`axis order MAPC/MAPR/MAPS = ${h.mapc}/${h.mapr}/${h.maps}; data presented as stored (columns fastest)`);
  }
  if (h.endianSource === 'heuristic') warnings.push(`no MRC2014 machine stamp; byte order guessed as ${h.littleEndian ? 'little' : 'big'}-endian from the header words`);

  const sx = pixelNm(h.cella[0], h.mx);
  const sy = pixelNm(h.cella[1], h.my);
  const sz = pixelNm(h.cella[2], h.mz);
  if (sx === undefined) warnings.push('no pixel size (CELLA or MX is zero)');
  const spatial = (name: string, size: number, scale: number | undefined, start: number): Axis =>
    scale === undefined
      ? { name, units: '', size, scale: 1, offset: 0, navigate: false }
      : { name, units: 'nm', size, scale, offset: start * scale, navigate: false };
  const axes: Axis[] = [spatial('y', h.ny, sy ?? sx, h.nystart), spatial('x', h.nx, sx, h.nxstart)];
  let shape = [h.ny, h.nx];
  let kind: DatasetEntry['kind'] = 'image';
  if (h.nz > 1) {
    kind = 'image-stack';
    shape = [h.nz, h.ny, h.nx];
    // ISPG 1–230 with MZ = NZ is a volume (z in Å); ISPG 0 an image stack or movie (MRC2014 §ISPG);
    // 401–630 are stacks of volumes, presented here as one stack of sections.
    if (h.ispg >= 1 && h.ispg <= 230 && sz !== undefined) {
      axes.unshift({ name: 'z', units: 'nm', size: h.nz, scale: sz, offset: h.nzstart * sz, navigate: true });
    } else {
      axes.unshift({ name: h.ispg >= 401 ? 'section' : 'frame', units: '', size: h.nz, scale: 1, offset: 0, navigate: true });
      if (h.ispg >= 401) warnings.push(`ISPG ${h.ispg} (volume stack, MZ = ${h.mz}) presented as ${h.nz} sections`);
    }
  }
  const original: MetaTree = {
    header: {
      nx: h.nx, ny: h.ny, nz: h.nz, mode: h.mode,
      nxstart: h.nxstart, nystart: h.nystart, nzstart: h.nzstart,
      mx: h.mx, my: h.my, mz: h.mz,
      cella: [...h.cella].map(finite), cellb: [...h.cellb].map(finite),
      mapc: h.mapc, mapr: h.mapr, maps: h.maps,
      dmin: finite(h.dmin), dmax: finite(h.dmax), dmean: finite(h.dmean), rms: finite(h.rms),
      ispg: h.ispg, nsymbt: h.nsymbt, exttyp: h.exttyp, nversion: h.nversion,
      origin: [...h.origin].map(finite),
      map: h.hasMapStamp, machst: [...h.machineStamp], littleEndian: h.littleEndian,
      imodStamp: h.imodStamp, imodFlags: h.imodFlags,
    },
    labels: h.labels,
  };
  const base = fileName.replace(/\.[^.]*$/, '');
  const entry: DatasetEntry = {
    entry: 'data',
    kind,
    title: base,
    dtype: info.dtype,
    shape,
    axes,
    metadata: { title: base, ...(h.nz > 1 && h.ispg === 0 ? { frameCount: h.nz } : {}) },
    original,
    warnings,
  };
  return {
    entry,
    layout: {
      mode: h.mode,
      dtype: info.dtype,
      storageShape: [h.nz, h.ny, h.nx],
      elemBytes: info.elemBytes,
      rowBytes,
      frameBytes,
      dataOffset: h.dataOffset,
      littleEndian: h.littleEndian,
    },
  };
}

/** JSON has no NaN/Infinity: non-finite header floats become null. */
function finite(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}
