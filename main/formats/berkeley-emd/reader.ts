/**
 * Berkeley EMD (v0.2) and EMD 1.0 (py4DSTEM) reader. One entry per EMD data group; the entry id
 * is the group's HDF5 path without the leading slash (e.g. `data/single`,
 * `datacube_root/datacube`). Reads are hyperslabs of `data` in its own C order.
 */
import type { DatasetEntry, Selection } from '../../api/dataset.js';
import type { FileSource } from '../file-source.js';
import { FormatDeclined } from '../format-error.js';
import type { NumericArray, OpenedFile, Reader } from '../types.js';
import { checkAbort, checkSelection, components, elementBytes, findHdf5Signature, Hdf5Handle, permute, readHyperslab } from '../hdf5/hdf5-file.js';
import { veloxVersion } from '../velox-emd/parse-velox.js';
import { mapEmdArray } from './map-dataset.js';
import { parseEmd, type EmdArray } from './parse-emd.js';
import { BERKELEY_EMD_EXTENSIONS, BERKELEY_EMD_ID, BERKELEY_EMD_NAME, BERKELEY_EMD_VERSION, sniffBerkeleyEmd } from './spec.js';

class EmdOpenedFile implements OpenedFile {
  readonly readerId = BERKELEY_EMD_ID;
  constructor(
    private readonly h: Hdf5Handle,
    readonly entries: DatasetEntry[],
    private readonly arrays: Map<string, EmdArray>,
  ) {}

  async readSlice(entryId: string, selection: Selection, signal?: AbortSignal): Promise<NumericArray> {
    checkAbort(signal);
    const entry = this.entries.find((e) => e.entry === entryId);
    const a = this.arrays.get(entryId);
    if (!entry || !a) throw new RangeError(`${BERKELEY_EMD_ID}: no entry '${entryId}' in ${this.h.source.name}`);
    const step = checkSelection(BERKELEY_EMD_ID, entry.shape, selection, elementBytes(entry.dtype));
    if (!a.transposed) {
      const out = readHyperslab(this.h, a.ds, a.type, selection.start.slice(), selection.count.slice(), step);
      checkAbort(signal);
      return out;
    }
    // Stored axis order is the reverse of the public one: read the box, then reverse its axes.
    const rev = <T,>(x: T[]): T[] => x.slice().reverse();
    const sCount = rev(selection.count);
    const box = readHyperslab(this.h, a.ds, a.type, rev(selection.start), sCount, rev(step));
    checkAbort(signal);
    const n = sCount.length;
    return permute(box, sCount, sCount.map((_, i) => n - 1 - i), components(entry.dtype));
  }

  async close(): Promise<void> {
    await this.h.close();
  }
}

export const berkeleyEmdReader: Reader = {
  id: BERKELEY_EMD_ID,
  name: BERKELEY_EMD_NAME,
  version: BERKELEY_EMD_VERSION,
  extensions: BERKELEY_EMD_EXTENSIONS,
  sniff: sniffBerkeleyEmd,
  async open(source: FileSource): Promise<OpenedFile> {
    const head = await source.read(0, Math.min(4096, source.size));
    if (findHdf5Signature(head) < 0) throw new FormatDeclined(BERKELEY_EMD_ID, 'no HDF5 signature in the first 4 KiB');
    const h = await Hdf5Handle.open(source, BERKELEY_EMD_ID);
    try {
      if (veloxVersion(h) !== null) throw new FormatDeclined(BERKELEY_EMD_ID, 'a Velox EMD (/Version JSON and /Data), not a Berkeley EMD');
      const file = parseEmd(h);
      if (!file.arrays.length) {
        throw new FormatDeclined(BERKELEY_EMD_ID, `no group tagged emd_group_type 1 or 'array' with a data set${file.warnings.length ? ` (${file.warnings.join('; ')})` : ''}`);
      }
      const entries = file.arrays.map((a) => mapEmdArray(a, file));
      if (file.warnings.length) entries[0]!.warnings.push(...file.warnings);
      return new EmdOpenedFile(h, entries, new Map(file.arrays.map((a, i) => [entries[i]!.entry, a])));
    } catch (e) {
      // The source stays open: the registry offers it to the next reader, or its owner closes it.
      await h.release();
      throw e;
    }
  },
};
