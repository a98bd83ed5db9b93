/**
 * Bruker Esprit hypermap (.bcf): identity and sniff. A .bcf is an AidAim SFS container (magic
 * "AAMVHFSS") holding EDSDatabase/HeaderData (XML) and EDSDatabase/SpectrumData<i> (packed map).
 */
import type { FormatSpec, SniffResult } from '../types.js';
import { isSfs } from './sfs.js';

export const BRUKER_BCF_ID = 'bruker-bcf';

export function sniffBrukerBcf(head: Uint8Array, fileName: string): SniffResult {
  if (!isSfs(head)) return 'no';
  // Other AidAim SFS users exist; the extension settles it, the reader checks for EDSDatabase.
  return fileName.toLowerCase().endsWith('.bcf') ? 'yes' : 'maybe';
}

export const brukerBcfSpec: FormatSpec = {
  id: BRUKER_BCF_ID,
  name: 'Bruker Esprit hypermap (.bcf)',
  version: '1.0.0',
  extensions: ['bcf'],
  sniff: sniffBrukerBcf,
};
