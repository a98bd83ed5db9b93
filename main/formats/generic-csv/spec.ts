/**
 * Generic delimited text table (CSV, TSV, semicolon CSV): spec and sniff. Never more than 'maybe'
 * — any vendor reader that recognises the file says 'yes' and wins (registry ranks 'yes' first).
 */
import type { FormatSpec, SniffResult } from '../types.js';
import { chooseDelimiter, looksLikeText } from './parser.js';
import { splitLines } from './text-table.js';

export const genericCsvSpec: FormatSpec = {
  id: 'generic-csv',
  name: 'Delimited text table (CSV/TSV, any cycler)',
  version: '1.0.0',
  extensions: ['csv', 'tsv', 'txt', 'dat'],
  text: true,
  sniff(head: Uint8Array, _fileName: string): SniffResult {
    if (!looksLikeText(head)) return 'no';
    // Complete lines only; a 4 KiB head of a wide export may hold just the header and a row.
    const lines = splitLines(head, false, 200).map((l) => l.text);
    if (lines.length < 2) return 'no';
    const choice = chooseDelimiter(lines);
    if (!choice) return 'no';
    return choice.rows >= 2 ? 'maybe' : 'no';
  },
};
