/**
 * Berkeley EMD (NCEM "Electron Microscopy Dataset", v0.2) and EMD 1.0 (emdfile / py4DSTEM):
 * identity and sniff. Both are HDF5; Velox EMD shares the extension, so open() decides by
 * content (groups tagged emd_group_type) and declines Velox files.
 */
import type { SniffResult } from '../types.js';
import { findHdf5Signature } from '../hdf5/hdf5-file.js';

export const BERKELEY_EMD_ID = 'berkeley-emd';
export const BERKELEY_EMD_NAME = 'Berkeley EMD / EMD 1.0 (py4DSTEM) (HDF5)';
export const BERKELEY_EMD_VERSION = '1.0.0';
export const BERKELEY_EMD_EXTENSIONS = ['emd', 'h5', 'hdf5'];

export function sniffBerkeleyEmd(head: Uint8Array, fileName: string): SniffResult {
  if (findHdf5Signature(head) < 0) return 'no';
  const ext = fileName.toLowerCase().split('.').pop() ?? '';
  return ext === 'emd' || ext === 'h5' ? 'yes' : 'maybe';
}
