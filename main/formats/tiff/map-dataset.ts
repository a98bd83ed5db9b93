/**
 * TIFF IFDs → page layouts → DatasetEntry. Pages of equal geometry and type become one
 * 'image-stack' [pages, y, x] (entry `stack`); otherwise each page is an 'image' (entry
 * `page<i>`, i = IFD index). Reduced-resolution pages (NewSubfileType bit 0) are skipped.
 * ImageJ stacks written with a single IFD ("images=N", data contiguous, TiffEncoder behaviour)
 * are expanded to N frames.
 */
import type { Axis, DatasetEntry, DType } from '../../api/dataset.js';
import { FormatError, MAX_ALLOCATION_BYTES } from '../format-error.js';
import { COMPRESSION_NAMES, SUPPORTED_COMPRESSION } from './decompress.js';
import { lengthToNm, readCalibration, TAG, type Calibration } from './metadata.js';
import { MAX_PAGES, type TiffFile, type TiffIfd } from './parse-ifd.js';
import { TIFF_ID } from './spec.js';

export interface TiffPage {
  ifd: number;
  width: number;
  height: number;
  spp: number;
  /** Stored bytes per sample and per pixel. */
  sampleBytes: number;
  pixelBytes: number;
  dtype: DType;
  /** Stored samples are IEEE half floats (widened to float32). */
  half: boolean;
  compression: number;
  predictor: number;
  tiled: boolean;
  /** Strip: full width × RowsPerStrip; tile: TileWidth × TileLength. */
  chunkWidth: number;
  chunkHeight: number;
  offsets: number[];
  byteCounts?: number[];
}

export interface TiffLayout {
  le: boolean;
  /** Pages in entry order: one for an image, the frames of a stack. */
  pages: TiffPage[];
}

type PageResult = { page: TiffPage } | { unsupported: string };

/**
 * Best-case expansion of each codec: PackBits 2 bytes → 128 (TIFF 6.0 §9); Deflate 1032:1
 * (RFC 1951 longest-match limit); LZW one 12-bit code → at most 4096 bytes (TIFF 6.0 §13).
 */
const MAX_RATIO: Record<number, number> = { 32773: 64, 8: 1032, 32946: 1032, 5: 2731 };

/** First value of a tag; non-integers (a RATIONAL/FLOAT where an integer belongs) count as absent. */
const first = (ifd: TiffIfd, tag: number): number | undefined => {
  const v = ifd.fields.get(tag)?.numbers?.[0];
  return v !== undefined && Number.isSafeInteger(v) ? v : undefined;
};

function dtypeOf(bits: number, format: number, spp: number, photometric: number): { dtype: DType; half: boolean } | string {
  if (spp > 1) {
    if (photometric === 2 && bits === 8 && (spp === 3 || spp === 4) && format === 1) return { dtype: 'rgba8', half: false };
    return `${spp} samples per pixel of ${bits} bits (only 8-bit RGB/RGBA is mapped)`;
  }
  if (format === 3) {
    if (bits === 16) return { dtype: 'float32', half: true };
    if (bits === 32) return { dtype: 'float32', half: false };
    if (bits === 64) return { dtype: 'float64', half: false };
  } else if (format === 1 || format === 2 || format === 4) {
    const signed = format === 2;
    const map: Record<number, DType> = signed ? { 8: 'int8', 16: 'int16', 32: 'int32', 64: 'int64' } : { 8: 'uint8', 16: 'uint16', 32: 'uint32', 64: 'uint64' };
    const d = map[bits];
    if (d) return { dtype: d, half: false };
  }
  return `${bits}-bit samples of SampleFormat ${format}`;
}

export function pageLayout(ifd: TiffIfd, name: string, size: number): PageResult {
  const err = (tag: number, what: string): FormatError => new FormatError(name, ifd.fields.get(tag)?.entryOffset ?? ifd.offset, what, TIFF_ID);
  const width = first(ifd, TAG.ImageWidth);
  const height = first(ifd, TAG.ImageLength);
  if (!width || !height || width > 2 ** 31 || height > 2 ** 31) throw err(width ? TAG.ImageLength : TAG.ImageWidth, `ImageWidth/ImageLength in 1…2³¹ in IFD ${ifd.index} (got ${width}×${height})`);
  const spp = first(ifd, TAG.SamplesPerPixel) ?? 1;
  if (spp < 1 || spp > 16) throw err(TAG.SamplesPerPixel, `SamplesPerPixel in 1…16 (got ${spp})`);
  const bitsAll = ifd.fields.get(TAG.BitsPerSample)?.numbers ?? [1];
  if (bitsAll.length === 0) return { unsupported: 'empty BitsPerSample' };
  const bits = bitsAll[0]!;
  if (bitsAll.some((b) => b !== bits)) return { unsupported: `mixed BitsPerSample ${bitsAll.join(',')}` };
  const format = first(ifd, TAG.SampleFormat) ?? 1;
  const photometric = first(ifd, TAG.Photometric) ?? 1;
  const compression = first(ifd, TAG.Compression) ?? 1;
  const predictor = first(ifd, TAG.Predictor) ?? 1;
  const planar = first(ifd, TAG.PlanarConfiguration) ?? 1;
  if (!SUPPORTED_COMPRESSION.has(compression)) return { unsupported: `compression ${COMPRESSION_NAMES[compression] ?? `code ${compression}`}` };
  if (predictor !== 1 && predictor !== 2) return { unsupported: `Predictor ${predictor === 3 ? '3 (floating point)' : predictor}` };
  if (planar === 2 && spp > 1) return { unsupported: 'PlanarConfiguration 2 (separate planes) with several samples' };
  const dt = dtypeOf(bits, format, spp, photometric);
  if (typeof dt === 'string') return { unsupported: dt };
  const sampleBytes = bits / 8;
  const pixelBytes = sampleBytes * spp;
  const tiled = ifd.fields.has(TAG.TileWidth) || ifd.fields.has(TAG.TileOffsets);
  let chunkWidth: number;
  let chunkHeight: number;
  let nChunks: number;
  const offTag = tiled ? TAG.TileOffsets : TAG.StripOffsets;
  const cntTag = tiled ? TAG.TileByteCounts : TAG.StripByteCounts;
  if (tiled) {
    chunkWidth = first(ifd, TAG.TileWidth) ?? 0;
    chunkHeight = first(ifd, TAG.TileLength) ?? 0;
    if (chunkWidth < 1 || chunkHeight < 1 || chunkWidth > 65536 || chunkHeight > 65536) throw err(TAG.TileWidth, `TileWidth/TileLength in 1…65536 (got ${chunkWidth}×${chunkHeight})`);
    nChunks = Math.ceil(width / chunkWidth) * Math.ceil(height / chunkHeight);
  } else {
    chunkWidth = width;
    const rps = first(ifd, TAG.RowsPerStrip) ?? height;
    chunkHeight = Math.min(Math.max(rps, 1), height); // 2³²−1 means "one strip" (TIFF 6.0)
    nChunks = Math.ceil(height / chunkHeight);
  }
  const offsets = ifd.fields.get(offTag)?.numbers;
  const badOffset = offsets?.findIndex((o) => !Number.isSafeInteger(o) || o < 0) ?? -1;
  if (badOffset >= 0) throw err(offTag, `non-negative integer offsets (entry ${badOffset} is ${offsets![badOffset]})`);
  if (!offsets || offsets.length < nChunks) throw err(offTag, `${tiled ? 'TileOffsets' : 'StripOffsets'} with ${nChunks} entries in IFD ${ifd.index} (got ${offsets?.length ?? 0})`);
  const byteCounts = ifd.fields.get(cntTag)?.numbers;
  const badCount = byteCounts?.findIndex((c) => !Number.isSafeInteger(c) || c < 0) ?? -1;
  if (badCount >= 0) throw err(cntTag, `non-negative integer byte counts (entry ${badCount} is ${byteCounts![badCount]})`);
  if (compression !== 1 && (!byteCounts || byteCounts.length < nChunks)) throw err(cntTag, `${tiled ? 'TileByteCounts' : 'StripByteCounts'} with ${nChunks} entries for compressed data`);
  const rowBytes = chunkWidth * pixelBytes;
  const ratio = MAX_RATIO[compression] ?? 1;
  for (let i = 0; i < nChunks; i++) {
    const rows = tiled ? chunkHeight : Math.min(chunkHeight, height - i * chunkHeight);
    const need = compression === 1 ? rows * rowBytes : byteCounts![i]!;
    // A decoded chunk is allocated at its geometric size: it must be reachable from its stored
    // bytes at the codec's best possible ratio, so a few corrupt header bytes cannot ask for GiBs.
    if (compression !== 1 && (rows * rowBytes > byteCounts![i]! * ratio + 1024 || rows * rowBytes > MAX_ALLOCATION_BYTES)) {
      throw err(cntTag, `chunk ${i} of ${rows * rowBytes} decoded bytes from ${byteCounts![i]} stored bytes (${COMPRESSION_NAMES[compression]} expands at most ${ratio}×)`);
    }
    if (compression === 1 && byteCounts && byteCounts[i]! < need && byteCounts[i]! !== 0) {
      throw err(cntTag, `chunk ${i} of ${need} uncompressed bytes (byte count says ${byteCounts[i]})`);
    }
    if (!(offsets[i]! >= 0) || offsets[i]! + need > size) throw err(offTag, `chunk ${i} (${need} bytes at ${offsets[i]}) inside the file (size ${size})`);
  }
  return {
    page: {
      ifd: ifd.index, width, height, spp, sampleBytes, pixelBytes, dtype: dt.dtype, half: dt.half,
      compression, predictor, tiled, chunkWidth, chunkHeight, offsets: offsets.slice(0, nChunks), byteCounts: byteCounts?.slice(0, nChunks),
    },
  };
}

const sameGeometry = (a: TiffPage, b: TiffPage): boolean => a.width === b.width && a.height === b.height && a.dtype === b.dtype && a.spp === b.spp;

function spatialAxes(p: TiffPage, cal: Calibration): Axis[] {
  return [
    { name: 'y', units: cal.y?.units ?? '', size: p.height, scale: cal.y?.scale ?? 1, offset: cal.y?.offset ?? 0, navigate: false },
    { name: 'x', units: cal.x?.units ?? '', size: p.width, scale: cal.x?.scale ?? 1, offset: cal.x?.offset ?? 0, navigate: false },
  ];
}

export function mapTiff(file: TiffFile, name: string, size: number): { entries: DatasetEntry[]; layouts: Map<string, TiffLayout> } {
  const warnings: string[] = [];
  const pages: TiffPage[] = [];
  let firstReason: string | undefined;
  for (const ifd of file.ifds) {
    if ((first(ifd, TAG.NewSubfileType) ?? 0) & 1) {
      warnings.push(`IFD ${ifd.index} is a reduced-resolution copy and is skipped`);
      continue;
    }
    const r = pageLayout(ifd, name, size);
    if ('unsupported' in r) {
      firstReason ??= `IFD ${ifd.index}: ${r.unsupported}`;
      warnings.push(`IFD ${ifd.index} skipped: ${r.unsupported}`);
      continue;
    }
    pages.push(r.page);
  }
  if (pages.length === 0) {
    throw new FormatError(name, file.ifds[0]?.offset ?? 4, `a page this reader can map (${firstReason ?? 'all pages are reduced-resolution copies'})`, TIFF_ID);
  }
  const ifd0 = file.ifds[pages[0]!.ifd]!;
  const cal = readCalibration(ifd0);
  const photometric = first(ifd0, TAG.Photometric);
  if (photometric === 0) warnings.push('PhotometricInterpretation WhiteIsZero: values are as stored (0 = white)');
  if (photometric === 3) warnings.push('palette image: values are colour-map indices');
  warnings.push(...cal.warnings);

  // ImageJ stacks beyond 4 GiB (and many below) keep one IFD and store frames back to back.
  const ijImages = Number(cal.imagej?.images ?? 1);
  const p0 = pages[0]!;
  if (pages.length === 1 && Number.isInteger(ijImages) && ijImages > 1 && ijImages <= MAX_PAGES && p0.compression === 1 && !p0.tiled) {
    const frameBytes = p0.width * p0.height * p0.pixelBytes;
    const contiguous = p0.offsets.every((o, i) => o === p0.offsets[0]! + i * p0.chunkHeight * p0.width * p0.pixelBytes);
    if (contiguous && p0.offsets[0]! + ijImages * frameBytes <= size) {
      for (let k = 1; k < ijImages; k++) pages.push({ ...p0, offsets: p0.offsets.map((o) => o + k * frameBytes) });
    } else warnings.push(`ImageJ says images=${ijImages} but the data are not one contiguous block; only the first frame is mapped`);
  }

  const base = name.replace(/\.[^.]*$/, '');
  const title = base;
  const entries: DatasetEntry[] = [];
  const layouts = new Map<string, TiffLayout>();
  const original = { ...cal.original, ifdCount: file.ifds.length, bigTiff: file.big, littleEndian: file.le };
  if (pages.length > 1 && pages.every((p) => sameGeometry(p, p0))) {
    // ImageJ: a calibrated z only when it says slices > 1; Gatan: the z tags calibrate the stack
    // axis, named 'z' for a length and 'frame' otherwise (time series, tilt series).
    const gatanZ = cal.source === 'gatan' && cal.z ? cal.z : undefined;
    const zName = gatanZ ? (lengthToNm(gatanZ.units) !== undefined ? 'z' : 'frame') : cal.z && Number(cal.imagej?.slices ?? 0) > 1 ? 'z' : 'frame';
    const zCal = gatanZ ?? (zName === 'z' ? cal.z : undefined);
    const zAxis: Axis = zCal
      ? { name: zName, units: zCal.units, size: pages.length, scale: zCal.scale, offset: zCal.offset ?? 0, navigate: true }
      : { name: 'frame', units: '', size: pages.length, scale: 1, offset: 0, navigate: true };
    entries.push({
      entry: 'stack', kind: 'image-stack', title, dtype: p0.dtype, shape: [pages.length, p0.height, p0.width],
      axes: [zAxis, ...spatialAxes(p0, cal)], metadata: { title, ...cal.md, frameCount: pages.length }, original, warnings,
      ...(cal.intensity ? { intensity: cal.intensity } : {}),
    });
    layouts.set('stack', { le: file.le, pages });
  } else {
    if (pages.length > 1) warnings.push('pages differ in size or type: one entry per page');
    for (const p of pages) {
      // Calibration of later pages comes from their own IFD.
      const c = p === p0 ? cal : readCalibration(file.ifds[p.ifd]!);
      const id = `page${p.ifd}`;
      entries.push({
        entry: id, kind: 'image', title: pages.length > 1 ? `${title} (page ${p.ifd})` : title, dtype: p.dtype,
        shape: [p.height, p.width], axes: spatialAxes(p, c), metadata: { title, ...c.md },
        original: p === p0 ? original : c.original, warnings: p === p0 ? warnings : [...c.warnings],
        ...(c.intensity ? { intensity: c.intensity } : {}),
      });
      layouts.set(id, { le: file.le, pages: [p] });
    }
  }
  if (!cal.x) warnings.push('no pixel size in the file (no FEI, Gatan, ImageJ or physical resolution tags)');
  return { entries, layouts };
}
