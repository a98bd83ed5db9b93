/**
 * Every reader the app knows, in tie-break order. Adding a format = a folder under main/formats/
 * with spec, parser, mapper and README, and one line here (see README "Adding a format").
 */
import type { Reader } from './types.js';
import { gatanDmReader } from './gatan-dm/reader.js';
import { biologicMptReader } from './biologic-mpt/reader.js';

export const READERS: readonly Reader[] = [gatanDmReader, biologicMptReader];
