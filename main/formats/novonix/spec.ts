/**
 * Novonix csv export: spec and sniff. The data file starts with "[Summary]" and names Novonix on
 * one of the next lines; the "*_metadata.csv" summary sidecar starts with ",Cycle," and has the
 * AverageChargeVoltage/Qc/Qd columns BEEP reads from it. See README.md.
 */
import type { FormatSpec, SniffResult } from '../types.js';
import { splitLines } from '../generic-csv/text-table.js';

export function isNovonixData(head: Uint8Array): boolean {
  const lines = splitLines(head, true, 8).map((l) => l.text.replace(/^\uFEFF/, '').trim());
  return lines[0] === '[Summary]' && lines.slice(1).some((l) => /novonix/i.test(l));
}

export function isNovonixSummary(head: Uint8Array): boolean {
  const first = splitLines(head, true, 1)[0]?.text.replace(/^\uFEFF/, '') ?? '';
  return /^,?Cycle,/.test(first) && /AverageChargeVoltage/.test(first) && /\bQd\b/.test(first);
}

export const novonixSpec: FormatSpec = {
  id: 'novonix',
  name: 'Novonix csv export',
  version: '1.0.0',
  extensions: ['csv'],
  text: true,
  sniff(head: Uint8Array, _fileName: string): SniffResult {
    return isNovonixData(head) || isNovonixSummary(head) ? 'yes' : 'no';
  },
};
