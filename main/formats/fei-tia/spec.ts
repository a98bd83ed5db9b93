/**
 * FEI / Thermo Fisher TIA (TEM Imaging & Analysis) .ser data + .emi metadata: identity and sniff.
 * A .ser starts with ByteOrder 0x4949 ("II"), SeriesID 0x0197 and SeriesVersion 0x0210 (32-bit
 * offsets) or 0x0220 (64-bit offsets) — Boothroyd's TIA SER notes. An .emi is a binary OLE-like
 * container whose metadata sits in <ObjectInfo> XML blocks; files from TIA 4.x begin with "JK".
 */
import type { SniffResult } from '../types.js';

export const TIA_ID = 'fei-tia';
export const TIA_NAME = 'FEI TIA (.emi metadata + .ser data)';
export const TIA_VERSION = '1.0.0';
export const TIA_EXTENSIONS = ['emi', 'ser'];

export const SER_BYTE_ORDER = 0x4949;
export const SER_SERIES_ID = 0x0197;

export function isSerHead(head: Uint8Array): boolean {
  if (head.byteLength < 6) return false;
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const version = dv.getUint16(4, true);
  return dv.getUint16(0, true) === SER_BYTE_ORDER && dv.getUint16(2, true) === SER_SERIES_ID && (version === 0x210 || version === 0x220);
}

export function sniffTia(head: Uint8Array, fileName: string): SniffResult {
  if (isSerHead(head)) return 'yes';
  const ext = fileName.toLowerCase().split('.').pop() ?? '';
  if (ext !== 'emi') return 'no';
  // "JK" is what TIA 4.x writes first; other .emi may still hold <ObjectInfo> further in.
  return head[0] === 0x4a && head[1] === 0x4b ? 'yes' : 'maybe';
}
