/**
 * BioLogic EC-Lab / BT-Lab text export (.mpt): spec and sniff.
 * The first line is the literal "EC-Lab ASCII FILE" (BT-Lab writes "BT-Lab ASCII FILE"); the
 * second is "Nb header lines : N". Checked against the EC-Lab v11.12–v11.61 exports of the yadg
 * test corpus and impedance.py's example files. See README.md.
 */
import type { FormatSpec, SniffResult } from '../types.js';

export const MPT_MAGICS = ['EC-Lab ASCII FILE', 'BT-Lab ASCII FILE'] as const;

/** Does `head` start with one of the magics, followed by a line end? */
export function startsWithMptMagic(head: Uint8Array): boolean {
  let start = 0;
  // A UTF-8 byte-order mark is tolerated: files re-saved by editors sometimes gain one.
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) start = 3;
  for (const magic of MPT_MAGICS) {
    if (head.length < start + magic.length + 1) continue;
    let ok = true;
    for (let i = 0; i < magic.length; i++) {
      if (head[start + i] !== magic.charCodeAt(i)) {
        ok = false;
        break;
      }
    }
    const next = head[start + magic.length];
    if (ok && (next === 0x0a || next === 0x0d)) return true;
  }
  return false;
}

export const biologicMptSpec: FormatSpec = {
  id: 'biologic-mpt',
  name: 'BioLogic EC-Lab text export (.mpt)',
  version: '1.0.0',
  extensions: ['mpt'],
  text: true,
  sniff(head: Uint8Array, _fileName: string): SniffResult {
    return startsWithMptMagic(head) ? 'yes' : 'no';
  },
};
