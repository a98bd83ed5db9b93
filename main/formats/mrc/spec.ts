/**
 * MRC / MRCS (MRC2014, Cheng et al. 2015, J. Struct. Biol. 192:146; https://www.ccpem.ac.uk/mrc_format/mrc2014.php):
 * identity and sniff. The 1024-byte header holds nx, ny, nz, mode as int32 words 1–4; MRC2014 files
 * carry the literal "MAP " at byte 208 and a machine stamp at 212 (0x44 0x44/0x41 little-endian,
 * 0x11 0x11 big-endian). Older files (pre-2000 CCP4/IMOD) may lack both, so without "MAP " the
 * sniff only says 'maybe' when the extension fits and the header words are plausible.
 */
import type { SniffResult } from '../types.js';

export const MRC_ID = 'mrc';
export const MRC_NAME = 'MRC / MRCS (MRC2014, CCP4 maps, K2/K3/Falcon movies)';
export const MRC_VERSION = '1.0.0';
export const MRC_EXTENSIONS = ['mrc', 'mrcs', 'map', 'st', 'ali', 'rec', 'mrcx'];

/** MRC2014 data modes this reader maps (3 complex int16 is widened to complex64). */
export const MRC_MODES = new Set([0, 1, 2, 3, 4, 6, 12, 101]);

/** Plausible header words for one byte order: positive sizes and a known mode. */
export function plausibleHeader(dv: DataView, le: boolean): boolean {
  const nx = dv.getInt32(0, le);
  const ny = dv.getInt32(4, le);
  const nz = dv.getInt32(8, le);
  const mode = dv.getInt32(12, le);
  return nx > 0 && ny > 0 && nz > 0 && nx < 1 << 24 && ny < 1 << 24 && nz < 1 << 24 && MRC_MODES.has(mode);
}

export function sniffMrc(head: Uint8Array, fileName: string): SniffResult {
  if (head.byteLength < 224) return 'no';
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const map = head[208] === 0x4d && head[209] === 0x41 && head[210] === 0x50 && head[211] === 0x20;
  const plausible = plausibleHeader(dv, true) || plausibleHeader(dv, false);
  if (map && plausible) return 'yes';
  const ext = fileName.toLowerCase().split('.').pop() ?? '';
  return plausible && MRC_EXTENSIONS.includes(ext) ? 'maybe' : 'no';
}
