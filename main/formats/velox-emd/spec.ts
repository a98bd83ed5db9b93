/**
 * Thermo Fisher (FEI) Velox EMD: identity and sniff.
 * Velox EMD is HDF5 (signature "\x89HDF\r\n\x1a\n" at 0 or at a user-block offset 512, 1024…).
 * The Berkeley/NCEM EMD and py4DSTEM files are HDF5 with the same extension, so the sniff only
 * says "HDF5, probably ours" and open() decides from the content (a /Version JSON naming Velox
 * and a /Data group), declining the other flavour so the registry tries berkeley-emd.
 */
import type { SniffResult } from '../types.js';
import { findHdf5Signature } from '../hdf5/hdf5-file.js';

export const VELOX_EMD_ID = 'velox-emd';
export const VELOX_EMD_NAME = 'Thermo Fisher Velox EMD (HDF5)';
export const VELOX_EMD_VERSION = '1.0.0';
export const VELOX_EMD_EXTENSIONS = ['emd'];

export function sniffVeloxEmd(head: Uint8Array, fileName: string): SniffResult {
  if (findHdf5Signature(head) < 0) return 'no';
  const ext = fileName.toLowerCase().split('.').pop() ?? '';
  return VELOX_EMD_EXTENSIONS.includes(ext) ? 'yes' : 'maybe';
}
