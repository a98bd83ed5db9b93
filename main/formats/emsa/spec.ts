/**
 * EMSA/MAS spectral data (ISO 22029:2022, "Microbeam analysis — EMSA/MAS standard file format for
 * spectral-data exchange"; earlier EMSA/MAS 1.0, 1991): identity and sniff.
 *
 * A conforming file starts with the keyword line `#FORMAT : EMSA/MAS Spectral Data File`
 * (ISO 22029 §6: FORMAT is the first required keyword). Some writers put other keywords first, so
 * the sniff also accepts a `#FORMAT` line with "EMSA" anywhere in the first 4 KiB, and any
 * `#KEYWORD :` first line as 'maybe' when the extension says .msa/.ems/.emsa.
 */
import type { FormatSpec, SniffResult } from '../types.js';

export const EMSA_ID = 'emsa';
export const EMSA_EXTENSIONS = ['msa', 'ems', 'emsa'];

function headText(head: Uint8Array): string {
  // Latin-1 is a lossless byte → char map: fine for matching ASCII keywords.
  let s = '';
  const n = Math.min(head.length, 4096);
  for (let i = 0; i < n; i++) s += String.fromCharCode(head[i]!);
  return s.charCodeAt(0) === 0xef && s.charCodeAt(1) === 0xbb && s.charCodeAt(2) === 0xbf ? s.slice(3) : s;
}

export function sniffEmsa(head: Uint8Array, fileName: string): SniffResult {
  const text = headText(head);
  const ext = fileName.toLowerCase().split('.').pop() ?? '';
  const first = text.replace(/^\s+/, '').split(/\r\n|\r|\n/, 1)[0] ?? '';
  if (/^#\s*FORMAT\s*(-[^:]*)?:\s*EMSA/i.test(first)) return 'yes';
  if (/(^|[\r\n])#\s*FORMAT\s*:\s*EMSA/i.test(text) && /(^|[\r\n])#\s*SPECTRUM/i.test(text)) return 'yes';
  if (/^#[A-Za-z][A-Za-z0-9 ]*(-[^:]*)?:/.test(first) && EMSA_EXTENSIONS.includes(ext)) return 'maybe';
  return 'no';
}

export const emsaSpec: FormatSpec = {
  id: EMSA_ID,
  name: 'EMSA/MAS spectral data (ISO 22029)',
  version: '1.0.0',
  extensions: EMSA_EXTENSIONS,
  text: true,
  sniff: sniffEmsa,
};
