/**
 * Neware BTS binary files: spec and sniff.
 *
 * .nda (BTSDA 7 / BTS 9) starts with the ASCII magic "NEWARE". .ndax (BTS 8) is a ZIP archive
 * whose members are .ndc binaries and XML files (Step.xml, TestInfo.xml, VersionInfo.xml,
 * data.ndc …); BTSDA writes the XML members first, so the first local file header (at byte 0)
 * already names one of them. See README.md.
 */
import type { FormatSpec, SniffResult } from '../types.js';
import { hasNdaMagic } from './parse-nda.js';
import { firstLocalName, isZipMagic } from '../zip-archive.js';

/** Member names BTSDA writes into an .ndax. */
export const NDAX_MEMBER = /^(?:EditStep\.xml|Step\.xml|TestInfo\.xml|VersionInfo\.xml|DAComment\.xml|data(?:_[A-Za-z0-9_]+)?\.ndc)$/;

export const newareSpec: FormatSpec = {
  id: 'neware',
  name: 'Neware BTS binary (.nda, .ndax)',
  version: '1.0.0',
  extensions: ['nda', 'ndax'],
  sniff(head: Uint8Array, fileName: string): SniffResult {
    if (hasNdaMagic(head)) return 'yes';
    if (isZipMagic(head)) {
      const first = firstLocalName(head);
      if (first !== null && NDAX_MEMBER.test(first)) return 'yes';
      return fileName.toLowerCase().endsWith('.ndax') ? 'maybe' : 'no';
    }
    return 'no';
  },
};
