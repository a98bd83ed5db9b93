/**
 * BioLogic EC-Lab binary data file (.mpr): spec and sniff.
 *
 * The file starts with the 52-byte magic "BIO-LOGIC MODULAR FILE", 0x1A, spaces up to byte 48,
 * then four zero bytes (every .mpr of the corpus, EC-Lab 10.40–11.61; galvani's MPR_MAGIC and
 * yadg's file_magic agree). See README.md.
 */
import type { FormatSpec, SniffResult } from '../types.js';

export const MPR_SIGNATURE = 'BIO-LOGIC MODULAR FILE';
export const MPR_MAGIC_BYTES = 52;

/** The full 52-byte magic. */
export const MPR_MAGIC: Uint8Array = (() => {
  const m = new Uint8Array(MPR_MAGIC_BYTES).fill(0x20);
  for (let i = 0; i < MPR_SIGNATURE.length; i++) m[i] = MPR_SIGNATURE.charCodeAt(i);
  m[MPR_SIGNATURE.length] = 0x1a;
  m.fill(0, 48, 52);
  return m;
})();

export function startsWithMprSignature(head: Uint8Array): boolean {
  if (head.length < MPR_SIGNATURE.length) return false;
  for (let i = 0; i < MPR_SIGNATURE.length; i++) if (head[i] !== MPR_SIGNATURE.charCodeAt(i)) return false;
  return true;
}

export const biologicMprSpec: FormatSpec = {
  id: 'biologic-mpr',
  name: 'BioLogic EC-Lab binary data (.mpr)',
  version: '1.0.0',
  extensions: ['mpr'],
  sniff(head: Uint8Array, _fileName: string): SniffResult {
    return startsWithMprSignature(head) ? 'yes' : 'no';
  },
};
