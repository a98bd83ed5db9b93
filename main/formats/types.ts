/**
 * The reader interface every format folder implements (DESIGN.md "Formats: one folder each").
 * A reader is spec + parser + mapper; the registry discovers readers via main/formats/index.ts.
 */
import type { Column, ColumnArray, DatasetEntry, Selection } from '../api/dataset.js';
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
   * A text format (8-bit text: ASCII, Latin-1, Windows-1252, UTF-8). A head with a NUL byte is
   * never one, so the registry does not ask its sniff — each text sniff decodes the 4 KiB head and
   * runs its patterns, ~0.2–1.5 ms apiece, which every binary file open would otherwise pay.
   */
  text?: boolean;
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
  /**
   * Read whole columns of a table entry. Each column comes in the typed array of its stored width
   * (a binary float32 column as Float32Array, flags as Uint8Array; text formats as Float64Array):
   * half the memory of widening everything, and every consumer indexes numbers either way.
   */
  readColumns?(entry: string, names: string[], signal?: AbortSignal): Promise<Record<string, ColumnArray>>;
  close(): Promise<void>;
}

export interface Reader extends FormatSpec {
  /**
   * Open and parse metadata. May decline with `FormatDeclined` when the bytes are not its format
   * after a closer look; throws `FormatError` when it is its format but broken.
   */
  open(source: FileSource): Promise<OpenedFile>;
}

export type { Column, ColumnArray };
