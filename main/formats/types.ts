/**
 * The reader interface every format folder implements (DESIGN.md "Formats: one folder each").
 * A reader is spec + parser + mapper; the registry discovers readers via main/formats/index.ts.
 */
import type { Column, DatasetEntry, Selection } from '../api/dataset.js';
import type { FileSource } from './file-source.js';

/** How sure a reader is, from the first bytes and the name, that a file is its format. */
export type SniffResult = 'yes' | 'maybe' | 'no';

export interface FormatSpec {
  /** Stable id, also the folder name, e.g. 'gatan-dm'. */
  id: string;
  name: string;
  version: string;
  /** Lower-case, without the dot. */
  extensions: string[];
  /** Magic-byte check on the first up-to-4096 bytes; the file name is a tiebreaker only. */
  sniff(head: Uint8Array, fileName: string): SniffResult;
  /**
   * Files this format needs beside the one opened (TIA: the .emi's `<name>_<n>.ser`), as
   * absolute paths. Import copies them together so the reader finds them by name again.
   */
  companions?(path: string): Promise<string[]>;
}

/** Numeric data returned from a read: typed arrays in the dataset's dtype where JS has one. */
export type NumericArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

/**
 * A file opened by a reader: metadata is parsed, data is read on demand.
 * Complex data is returned interleaved (re, im) in a Float32Array/Float64Array of twice the length;
 * rgba8 as Uint8Array of 4 × elements.
 */
export interface OpenedFile {
  readonly readerId: string;
  readonly entries: DatasetEntry[];
  /** Read a hyper-rectangle of an array entry, C order. */
  readSlice(entry: string, selection: Selection, signal?: AbortSignal): Promise<NumericArray>;
  /** Read whole columns of a table entry (as float64 for numbers). */
  readColumns?(entry: string, names: string[], signal?: AbortSignal): Promise<Record<string, Float64Array>>;
  close(): Promise<void>;
}

export interface Reader extends FormatSpec {
  /**
   * Open and parse metadata. May decline with `FormatDeclined` when the bytes are not its format
   * after a closer look; throws `FormatError` when it is its format but broken.
   */
  open(source: FileSource): Promise<OpenedFile>;
}

export type { Column };
