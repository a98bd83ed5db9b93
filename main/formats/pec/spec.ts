/**
 * PEC SBT csv export: spec and sniff. The header starts with "Request Year:," or names the test
 * regime ("TestRegime Name:,"); the label line starts "Test,Cell,Rack,Shelf,Position,". The
 * header is about 1.3 kB, so both usually fall in the 4 KiB sniff window. See README.md.
 */
import type { FormatSpec, SniffResult } from '../types.js';
import { splitLines } from '../generic-csv/text-table.js';
import { isPecLabelLine } from './parser.js';

export function sniffPec(head: Uint8Array): SniffResult {
  const lines = splitLines(head, false, 200).map((l) => l.text.replace(/^\uFEFF/, ''));
  if (lines.some((l) => isPecLabelLine(l))) return 'yes';
  if (/^Request Year:,/.test(lines[0] ?? '') && lines.some((l) => /^TestRegime Name:,/.test(l))) return 'yes';
  return 'no';
}

export const pecSpec: FormatSpec = {
  id: 'pec',
  name: 'PEC SBT csv export',
  version: '1.0.0',
  extensions: ['csv'],
  text: true,
  sniff(head: Uint8Array, _fileName: string): SniffResult {
    return sniffPec(head);
  },
};
