/**
 * Every reader the app knows, in tie-break order (a magic-byte 'yes' always beats an extension
 * 'maybe'; among equals the earlier reader wins). Adding a format = a folder under main/formats/
 * with spec, parser, mapper and README, and one line here (see README "Adding a format").
 * The generic CSV importer only ever says 'maybe' and stays last, so vendor readers win.
 */
import type { Reader } from './types.js';
import { gatanDmReader } from './gatan-dm/reader.js';
import { veloxEmdReader } from './velox-emd/reader.js';
import { berkeleyEmdReader } from './berkeley-emd/reader.js';
import { tiffReader } from './tiff/reader.js';
import { mrcReader } from './mrc/reader.js';
import { feiTiaReader } from './fei-tia/reader.js';
import { emsaReader } from './emsa/reader.js';
import { brukerSpxReader } from './bruker-spx/reader.js';
import { brukerBcfReader } from './bruker-bcf/reader.js';
import { biologicMptReader } from './biologic-mpt/reader.js';
import { biologicMprReader } from './biologic-mpr/reader.js';
import { newareReader } from './neware/reader.js';
import { arbinReader } from './arbin/reader.js';
import { maccorReader } from './maccor/reader.js';
import { novonixReader } from './novonix/reader.js';
import { pecReader } from './pec/reader.js';
import { bdfCsvReader } from './bdf-csv/reader.js';
import { eisTextReader } from './eis-text/reader.js';
import { genericCsvReader } from './generic-csv/reader.js';

export const READERS: readonly Reader[] = [
  gatanDmReader,
  veloxEmdReader,
  berkeleyEmdReader,
  tiffReader,
  mrcReader,
  feiTiaReader,
  emsaReader,
  brukerSpxReader,
  brukerBcfReader,
  biologicMptReader,
  biologicMprReader,
  newareReader,
  arbinReader,
  maccorReader,
  novonixReader,
  pecReader,
  bdfCsvReader,
  eisTextReader,
  genericCsvReader,
];
