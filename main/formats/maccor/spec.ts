/**
 * Maccor text exports (.txt and channel-numbered extensions like .010, .052, .041): spec and
 * sniff. The numbered extension is the tester channel, not a format marker, so the sniff reads
 * content only: a first line with "Today's Date" and "Date of Test", "MACCOR, INC." (impedance
 * export), a "Name:"/"Tester…Maccor" key-value header, or a Maccor label line within the head.
 * See README.md.
 */
import type { FormatSpec, SniffResult } from '../types.js';
import { splitLines } from '../generic-csv/text-table.js';
import { isEdaMagic, isMaccorLabelLine } from './parser.js';

export function sniffMaccor(head: Uint8Array): SniffResult {
  const lines = splitLines(head, false, 60).map((l) => l.text);
  if (lines.length === 0) {
    // A head shorter than one line: the first bytes may still be the magic.
    const text = new TextDecoder('latin1').decode(head);
    return /^Today's Date.*Date of Test/.test(text) || isEdaMagic(text) ? 'yes' : 'no';
  }
  const first = lines[0]!.replace(/^\uFEFF/, '');
  if (/^Today's Date/.test(first) && /Date of Test/.test(first)) return 'yes';
  if (isEdaMagic(first)) return 'yes';
  if (lines.some((l) => isMaccorLabelLine(l))) return 'yes';
  if (/^Name:\t/.test(first) && lines.some((l) => /^Tester\tMaccor/.test(l))) return 'yes';
  return 'no';
}

export const maccorSpec: FormatSpec = {
  id: 'maccor',
  name: 'Maccor text export',
  version: '1.0.0',
  extensions: ['txt', 'csv'],
  text: true,
  sniff(head: Uint8Array, _fileName: string): SniffResult {
    return sniffMaccor(head);
  },
};
