/**
 * Battery Data Format csv: spec and sniff — 'yes' when the first line is a BDF header (every
 * label "Quantity / unit", with Test Time, Voltage and Current among them). See README.md.
 */
import type { FormatSpec, SniffResult } from '../types.js';
import { splitLines } from '../generic-csv/text-table.js';
import { isBdfHeader } from './parser.js';

export function sniffBdf(head: Uint8Array): SniffResult {
  const first = splitLines(head, head.length < 4096, 1)[0];
  return first && isBdfHeader(first.text) ? 'yes' : 'no';
}

export const bdfCsvSpec: FormatSpec = {
  id: 'bdf-csv',
  name: 'Battery Data Format (BDF) csv',
  version: '1.0.0',
  extensions: ['csv', 'bdf'],
  text: true,
  sniff(head: Uint8Array, _fileName: string): SniffResult {
    return sniffBdf(head);
  },
};
