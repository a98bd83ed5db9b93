/**
 * TIFF 6.0 (Adobe, 1992) and BigTIFF (Aware Systems / libtiff, 2008): identity and sniff.
 * Bytes 0–1 "II" (little-endian) or "MM" (big-endian); then 42 (classic, uint32 IFD offset at 4)
 * or 43 (BigTIFF: offset byte size 8 at 4, 0 at 6, uint64 IFD offset at 8).
 */
import type { SniffResult } from '../types.js';

export const TIFF_ID = 'tiff';
export const TIFF_NAME = 'TIFF / BigTIFF (FEI/Thermo SEM-FIB, Gatan, ImageJ, generic)';
export const TIFF_VERSION = '1.0.0';
export const TIFF_EXTENSIONS = ['tif', 'tiff', 'btf', 'tf8'];

/** Byte order and variant from the first 8 bytes, or undefined when not TIFF. */
export function tiffVariant(head: Uint8Array): { le: boolean; big: boolean } | undefined {
  if (head.byteLength < 8) return undefined;
  const le = head[0] === 0x49 && head[1] === 0x49;
  const be = head[0] === 0x4d && head[1] === 0x4d;
  if (!le && !be) return undefined;
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const magic = dv.getUint16(2, le);
  if (magic === 42) return { le, big: false };
  if (magic === 43 && dv.getUint16(4, le) === 8 && dv.getUint16(6, le) === 0) return { le, big: true };
  return undefined;
}

export function sniffTiff(head: Uint8Array, _fileName: string): SniffResult {
  return tiffVariant(head) ? 'yes' : 'no';
}
