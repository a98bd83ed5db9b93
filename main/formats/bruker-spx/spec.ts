/**
 * Bruker Esprit single spectrum (.spx): identity and sniff. An .spx is XML (Windows-1252) whose
 * root element is <TRTSpectrum>, holding <ClassInstance Type="TRTSpectrum">.
 */
import type { FormatSpec, SniffResult } from '../types.js';

export const BRUKER_SPX_ID = 'bruker-spx';

export function sniffBrukerSpx(head: Uint8Array, fileName: string): SniffResult {
  let s = '';
  for (let i = 0; i < Math.min(head.length, 4096); i++) s += String.fromCharCode(head[i]!);
  const ext = fileName.toLowerCase().split('.').pop() ?? '';
  if (/<TRTSpectrum[\s>]/.test(s) && /<ClassInstance\s+Type="TRTSpectrum"/.test(s)) return 'yes';
  if (/<TRTSpectrum[\s>]/.test(s)) return ext === 'spx' ? 'yes' : 'maybe';
  if (/^\s*(\xef\xbb\xbf)?<\?xml/.test(s) && ext === 'spx') return 'maybe';
  return 'no';
}

export const brukerSpxSpec: FormatSpec = {
  id: BRUKER_SPX_ID,
  name: 'Bruker Esprit spectrum (.spx)',
  version: '1.0.0',
  extensions: ['spx'],
  text: true,
  sniff: sniffBrukerSpx,
};
