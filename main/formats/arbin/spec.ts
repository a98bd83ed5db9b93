/**
 * Arbin cycler results: spec and sniff. Three containers, one reader:
 *  - .res: an Access/Jet database ("Standard Jet DB" at byte 4) — 'yes' with the .res extension,
 *    'maybe' otherwise (any Access file could be one; open() declines without Channel_Normal_Table);
 *  - .csv: a header naming Data_Point/Test_Time, Cycle_Index/Step_Index and Voltage — 'yes';
 *  - .xlsx: a ZIP whose first member is an Office Open XML part — 'maybe' (any workbook could be
 *    one; open() declines when no sheet has an Arbin header).
 * See README.md.
 */
import type { FormatSpec, SniffResult } from '../types.js';
import { firstLocalName, isZipMagic } from '../zip-archive.js';
import { isArbinHeader } from './parse-csv.js';
import { hasJetMagic } from './parse-res.js';

/** The first line of `head` (up to 4 KiB), without BOM and line end; null if no line end in view. */
export function firstLine(head: Uint8Array): string | null {
  let start = 0;
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) start = 3;
  const nl = head.indexOf(0x0a, start);
  if (nl < 0) return null;
  let end = nl;
  if (end > start && head[end - 1] === 0x0d) end--;
  for (let i = start; i < end; i++) if (head[i]! >= 0x80 || head[i] === 0) return null;
  return String.fromCharCode(...head.subarray(start, end));
}

export function isOoxmlZip(head: Uint8Array): boolean {
  const n = firstLocalName(head);
  return n !== null && (n === '[Content_Types].xml' || n.startsWith('_rels/') || n.startsWith('docProps/') || n.startsWith('xl/'));
}

export const arbinSpec: FormatSpec = {
  id: 'arbin',
  name: 'Arbin results (.res, CSV, .xlsx)',
  version: '1.0.0',
  extensions: ['res', 'csv', 'xlsx'],
  sniff(head: Uint8Array, fileName: string): SniffResult {
    const lower = fileName.toLowerCase();
    if (hasJetMagic(head)) return lower.endsWith('.res') ? 'yes' : 'maybe';
    if (isZipMagic(head)) return isOoxmlZip(head) && lower.endsWith('.xlsx') ? 'maybe' : 'no';
    const line = firstLine(head);
    if (line !== null && isArbinHeader(line)) return 'yes';
    return 'no';
  },
};
