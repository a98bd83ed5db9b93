/**
 * Gatan DigitalMicrograph DM3/DM4: identity and magic-byte sniff.
 * Header (all big-endian): int32 version (3 or 4); root length (DM3 uint32, DM4 uint64);
 * int32 byte-order flag, 0 (big-endian values) or 1 (little-endian values).
 * Then the root tag group starts with two flag bytes (sorted, open), each 0 or 1.
 */
import type { SniffResult } from '../types.js';

export const GATAN_DM_ID = 'gatan-dm';
export const GATAN_DM_NAME = 'Gatan DigitalMicrograph (DM3/DM4)';
export const GATAN_DM_VERSION = '1.0.0';
export const GATAN_DM_EXTENSIONS = ['dm3', 'dm4'];

export function sniffGatanDm(head: Uint8Array, fileName: string): SniffResult {
  if (head.byteLength < 16) return 'no';
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const version = dv.getInt32(0, false);
  let flagsAt: number;
  let bo: number;
  if (version === 3) {
    bo = dv.getInt32(8, false);
    flagsAt = 12;
  } else if (version === 4) {
    // A DM4 root length is a uint64; its high word is zero for any file below 4 GiB × 4 G.
    bo = dv.getInt32(12, false);
    flagsAt = 16;
  } else {
    return 'no';
  }
  if (bo !== 0 && bo !== 1) return 'no';
  if (head.byteLength >= flagsAt + 2) {
    const sorted = head[flagsAt]!;
    const open = head[flagsAt + 1]!;
    if (sorted > 1 || open > 1) return 'no';
  }
  const ext = fileName.toLowerCase().split('.').pop() ?? '';
  // Twelve bytes of small integers are a weak signature on their own: the extension confirms it.
  return GATAN_DM_EXTENSIONS.includes(ext) ? 'yes' : 'maybe';
}
