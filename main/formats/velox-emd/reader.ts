/**
 * Velox EMD reader: open with h5wasm, parse the JSON metadata and structure, map to entries, and
 * read hyperslabs on demand (one frame of a stack reads one frame; an EDS SI row band decodes
 * only those rows of the event stream). Entry ids are HDF5 group paths without the leading
 * slash: `Data/Image/<uuid>`, `Data/Spectrum/<uuid>`, `Data/EelsSpectrumImage/<uuid>`, and
 * `Data/SpectrumStream` for the EDS SI summed over all detector streams.
 */
import type { DatasetEntry, Selection } from '../../api/dataset.js';
import type { FileSource } from '../file-source.js';
import { FormatDeclined } from '../format-error.js';
import type { NumericArray, OpenedFile, Reader } from '../types.js';
import { checkAbort, checkSelection, components, elementBytes, Hdf5Handle, permute, readHyperslab } from '../hdf5/hdf5-file.js';
import { mapVelox, type VeloxLayout } from './map-dataset.js';
import { parseVelox, veloxVersion } from './parse-velox.js';
import { sniffVeloxEmd, VELOX_EMD_EXTENSIONS, VELOX_EMD_ID, VELOX_EMD_NAME, VELOX_EMD_VERSION } from './spec.js';
import { findHdf5Signature } from '../hdf5/hdf5-file.js';

class VeloxOpenedFile implements OpenedFile {
  readonly readerId = VELOX_EMD_ID;
  constructor(
    private readonly h: Hdf5Handle,
    readonly entries: DatasetEntry[],
    private readonly layouts: Map<string, VeloxLayout>,
  ) {}

  async readSlice(entryId: string, selection: Selection, signal?: AbortSignal): Promise<NumericArray> {
    checkAbort(signal);
    const entry = this.entries.find((e) => e.entry === entryId);
    const layout = this.layouts.get(entryId);
    if (!entry || !layout) throw new RangeError(`${VELOX_EMD_ID}: no entry '${entryId}' in ${this.h.source.name}`);
    const step = checkSelection(VELOX_EMD_ID, entry.shape, selection, elementBytes(entry.dtype));
    const { start, count } = selection;

    if (layout.kind === 'stream') {
      const out = new Uint32Array(count.reduce((a, b) => a * b, 1));
      if (out.length === 0) return out;
      const box = {
        start: [start[0]!, start[1]!, start[2]!] as [number, number, number],
        count: [count[0]!, count[1]!, count[2]!] as [number, number, number],
        step: [step[0]!, step[1]!, step[2]!] as [number, number, number],
      };
      for (const s of layout.streams) s.accumulate(out, box, signal);
      return out;
    }

    const { array, axisMap } = layout;
    const nStorage = array.shape.length;
    // Storage axes not shown (a stack's single frame) are read at index 0.
    const sStart = new Array<number>(nStorage).fill(0);
    const sCount = new Array<number>(nStorage).fill(1);
    const sStep = new Array<number>(nStorage).fill(1);
    axisMap.forEach((s, i) => {
      sStart[s] = start[i]!;
      sCount[s] = count[i]!;
      sStep[s] = step[i]!;
    });
    const box = readHyperslab(this.h, array.ds, array.type, sStart, sCount, sStep);
    checkAbort(signal);
    return permute(box, sCount, axisMap, components(entry.dtype));
  }

  async close(): Promise<void> {
    await this.h.close();
  }
}

export const veloxEmdReader: Reader = {
  id: VELOX_EMD_ID,
  name: VELOX_EMD_NAME,
  version: VELOX_EMD_VERSION,
  extensions: VELOX_EMD_EXTENSIONS,
  sniff: sniffVeloxEmd,
  async open(source: FileSource): Promise<OpenedFile> {
    const head = await source.read(0, Math.min(4096, source.size));
    if (findHdf5Signature(head) < 0) throw new FormatDeclined(VELOX_EMD_ID, 'no HDF5 signature in the first 4 KiB');
    const h = await Hdf5Handle.open(source, VELOX_EMD_ID);
    try {
      const version = veloxVersion(h);
      if (version === null) throw new FormatDeclined(VELOX_EMD_ID, 'HDF5 without a Velox /Version JSON and /Data group (Berkeley EMD or other HDF5)');
      const file = parseVelox(h, version);
      const mapped = mapVelox(h, file);
      const layouts = new Map(mapped.map((m) => [m.entry.entry, m.layout]));
      return new VeloxOpenedFile(h, mapped.map((m) => m.entry), layouts);
    } catch (e) {
      // The source stays open: the registry offers it to the next reader, or its owner closes it.
      await h.release();
      throw e;
    }
  },
};
