/**
 * AidAim "Single File System" (SFS) container, as used by Bruker Esprit .bcf files. The layout
 * below was worked out from the files of rosettasciio's test corpus and the description in its
 * bruker reader (hyperspy/rosettasciio rsciio/bruker/_api.py, GPL; read for format knowledge only).
 *
 *   0x000  8 bytes  magic "AAMVHFSS"
 *   0x124  float32  SFS version (2.40 for Esprit < 1.9, 2.60 later); uint32 chunk size (bytes)
 *   0x140  uint32   chunk index of the file tree; uint32 number of tree items; uint32 chunk count
 *
 *   Chunk k occupies [0x118 + k·chunk, 0x118 + (k+1)·chunk): a 32-byte chunk header whose first
 *   uint32 is the index of the next chunk of a chained structure, then chunk − 32 data bytes.
 *
 *   Tree item (0x200 bytes, little-endian): int32 chunk index of the item's pointer table;
 *   uint64 size; 3 × uint64 FILETIME (created, modified, accessed); uint32 permissions; int32
 *   parent item index (−1 = root); 176 bytes reserved; uint8 is-directory; 3 bytes; 256 bytes
 *   UTF-8 name (NUL-padded); 32 bytes reserved.
 *
 *   A file's pointer table lists, as uint32 chunk indices, the chunks holding its bytes in order;
 *   a table longer than one chunk continues in the chunk named by its chunk header.
 *
 *   Compressed files start with "AACS": uint32 magic, uint32 uncompressed block size, uint32
 *   (unknown), uint32 block count; from 0x80 on, blocks of {uint32 compressed size, 12 bytes}
 *   followed by that many bytes of a zlib stream.
 *
 * Every index, size and count is checked against the container size before it is used.
 */
import { inflateSync } from 'node:zlib';
import type { FileSource } from '../file-source.js';
import { FormatError } from '../format-error.js';

export const READER_ID = 'bruker-bcf';
const MAGIC = 'AAMVHFSS';
const CHUNK_HEADER = 0x20;
const FIRST_CHUNK = 0x118;
const ITEM_BYTES = 0x200;
/** Decompressed blocks above this are not what Esprit writes (it uses a few hundred kB). */
export const MAX_BLOCK_BYTES = 64 * 1024 * 1024;

export interface SfsItem {
  index: number;
  name: string;
  /** '/'-separated path from the root. */
  path: string;
  size: number;
  isDir: boolean;
  parent: number;
  pointerTableChunk: number;
}

export interface SfsContainer {
  version: number;
  chunkSize: number;
  items: SfsItem[];
  /** Follow a chain of chunks from `first`, collecting `length` data bytes (pointer tables). */
  readChain(first: number, length: number, where: number): Promise<Uint8Array>;
}

function fail(src: FileSource, offset: number | null, expected: string): never {
  throw new FormatError(src.name, offset, expected, READER_ID);
}

export function isSfs(head: Uint8Array): boolean {
  if (head.length < 8) return false;
  for (let i = 0; i < 8; i++) if (head[i] !== MAGIC.charCodeAt(i)) return false;
  return true;
}

export async function readSfs(src: FileSource): Promise<SfsContainer> {
  if (src.size < 0x14c) fail(src, 0, `an SFS header of 0x14C bytes (file has ${src.size})`);
  const head = await src.read(0, 0x14c);
  if (!isSfs(head)) fail(src, 0, 'the SFS magic "AAMVHFSS"');
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const version = dv.getFloat32(0x124, true);
  const chunkSize = dv.getUint32(0x128, true);
  if (chunkSize <= CHUNK_HEADER + 4 || chunkSize > 16 * 1024 * 1024) fail(src, 0x128, `a chunk size between ${CHUNK_HEADER + 4} and 16 MiB (got ${chunkSize})`);
  const treeChunk = dv.getUint32(0x140, true);
  const nItems = dv.getUint32(0x144, true);
  const chunkBase = (k: number): number => FIRST_CHUNK + k * chunkSize;
  const usable = chunkSize - CHUNK_HEADER;
  if (nItems === 0 || nItems * ITEM_BYTES > src.size) fail(src, 0x144, `a tree item count between 1 and ${Math.floor(src.size / ITEM_BYTES)} (got ${nItems})`);

  /** Follow a chain of chunks from `first`, collecting `length` data bytes. */
  const readChain = async (first: number, length: number, where: number): Promise<Uint8Array> => {
    const out = new Uint8Array(length);
    let k = first;
    let done = 0;
    let hops = 0;
    while (done < length) {
      if (chunkBase(k) + chunkSize > src.size && chunkBase(k) + CHUNK_HEADER + Math.min(usable, length - done) > src.size) {
        fail(src, where, `chunk ${k} within the file (size ${src.size})`);
      }
      const n = Math.min(usable, length - done);
      out.set(await src.read(chunkBase(k) + CHUNK_HEADER, n), done);
      done += n;
      if (done < length) {
        const hdr = await src.read(chunkBase(k), 4);
        k = new DataView(hdr.buffer, hdr.byteOffset, 4).getUint32(0, true);
        if (++hops > src.size / chunkSize + 1) fail(src, chunkBase(k), 'a chunk chain without cycles');
      }
    }
    return out;
  };

  // The tree is packed whole items per chunk.
  const perChunk = Math.floor(usable / ITEM_BYTES);
  if (perChunk < 1) fail(src, 0x128, `a chunk size holding at least one 0x200-byte tree item (got ${chunkSize})`);
  const raw = new Uint8Array(nItems * ITEM_BYTES);
  {
    let k = treeChunk;
    let got = 0;
    let hops = 0;
    while (got < nItems) {
      const n = Math.min(perChunk, nItems - got);
      if (chunkBase(k) + CHUNK_HEADER + n * ITEM_BYTES > src.size) fail(src, 0x140, `tree chunk ${k} within the file (size ${src.size})`);
      raw.set(await src.read(chunkBase(k) + CHUNK_HEADER, n * ITEM_BYTES), got * ITEM_BYTES);
      got += n;
      if (got < nItems) {
        const hdr = await src.read(chunkBase(k), 4);
        k = new DataView(hdr.buffer, hdr.byteOffset, 4).getUint32(0, true);
        if (++hops > nItems) fail(src, chunkBase(k), 'a tree chunk chain without cycles');
      }
    }
  }
  const rdv = new DataView(raw.buffer);
  const items: SfsItem[] = [];
  for (let i = 0; i < nItems; i++) {
    const o = i * ITEM_BYTES;
    const size64 = rdv.getBigUint64(o + 4, true);
    const isDir = raw[o + 220] !== 0;
    const parent = rdv.getInt32(o + 40, true);
    let end = o + 224;
    while (end < o + 480 && raw[end] !== 0) end++;
    const name = new TextDecoder('utf-8').decode(raw.subarray(o + 224, end));
    if (!isDir && size64 > BigInt(src.size)) fail(src, null, `tree item ${i} ("${name}") no larger than the container (${size64} > ${src.size})`);
    if (parent < -1 || parent >= nItems || parent === i) fail(src, null, `tree item ${i} ("${name}") with a valid parent index (got ${parent})`);
    items.push({ index: i, name, path: name, size: Number(size64), isDir, parent, pointerTableChunk: rdv.getInt32(o, true) });
  }
  for (const it of items) {
    const parts = [it.name];
    let p = it.parent;
    for (let guard = 0; p >= 0; guard++) {
      if (guard > nItems) fail(src, null, `an acyclic directory tree (item ${it.index})`);
      parts.unshift(items[p]!.name);
      p = items[p]!.parent;
    }
    it.path = parts.join('/');
  }
  return { version, chunkSize, items, readChain };
}

/** One file inside the container: random-access reads over its chunks, and a block stream. */
export class SfsFile {
  private constructor(
    private readonly src: FileSource,
    readonly item: SfsItem,
    private readonly chunkSize: number,
    /** Absolute file offset of each data chunk's first byte. */
    private readonly chunkOffsets: Float64Array,
    readonly compressed: boolean,
  ) {}

  static async open(src: FileSource, sfs: SfsContainer, path: string): Promise<SfsFile> {
    const item = sfs.items.find((i) => !i.isDir && i.path === path);
    if (!item) throw new FormatError(src.name, null, `an SFS file "${path}" (have: ${sfs.items.filter((i) => !i.isDir).map((i) => i.path).join(', ')})`, READER_ID);
    const usable = sfs.chunkSize - CHUNK_HEADER;
    const nChunks = Math.ceil(item.size / usable);
    const tableBytes = nChunks * 4;
    const table = tableBytes ? await sfs.readChain(item.pointerTableChunk, tableBytes, 0x140) : new Uint8Array(0);
    const tdv = new DataView(table.buffer, table.byteOffset, table.byteLength);
    const offsets = new Float64Array(nChunks);
    for (let k = 0; k < nChunks; k++) {
      const idx = tdv.getUint32(4 * k, true);
      const at = FIRST_CHUNK + idx * sfs.chunkSize + CHUNK_HEADER;
      const need = Math.min(usable, item.size - k * usable);
      if (at + need > src.size) throw new FormatError(src.name, FIRST_CHUNK + item.pointerTableChunk * sfs.chunkSize, `chunk ${idx} of "${path}" within the file (size ${src.size})`, READER_ID);
      offsets[k] = at;
    }
    const f = new SfsFile(src, item, sfs.chunkSize, offsets, false);
    const magic = item.size >= 4 ? await f.readRaw(0, 4) : new Uint8Array(0);
    const compressed = magic.length === 4 && String.fromCharCode(...magic) === 'AACS';
    return compressed ? new SfsFile(src, item, sfs.chunkSize, offsets, true) : f;
  }

  get size(): number {
    return this.item.size;
  }

  /** Absolute file offset of a byte of the stored (possibly compressed) file. */
  fileOffset(pos: number): number {
    const usable = this.chunkSize - CHUNK_HEADER;
    const k = Math.min(Math.floor(pos / usable), this.chunkOffsets.length - 1);
    return this.chunkOffsets[k]! + (pos - k * usable);
  }

  /** Read stored bytes [offset, offset + length). */
  async readRaw(offset: number, length: number): Promise<Uint8Array> {
    if (offset < 0 || length < 0 || offset + length > this.item.size) {
      throw new FormatError(this.src.name, null, `${length} bytes at ${offset} within "${this.item.path}" (size ${this.item.size})`, READER_ID);
    }
    const usable = this.chunkSize - CHUNK_HEADER;
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const pos = offset + done;
      const k = Math.floor(pos / usable);
      const within = pos - k * usable;
      const n = Math.min(usable - within, length - done);
      out.set(await this.src.read(this.chunkOffsets[k]! + within, n), done);
      done += n;
    }
    return out;
  }

  /**
   * The file's content as a sequence of blocks: decompressed AACS blocks, or raw runs of up to
   * 1 MiB. Memory holds one block at a time.
   */
  async *blocks(signal?: AbortSignal): AsyncGenerator<Uint8Array> {
    if (!this.compressed) {
      const RUN = 1 << 20;
      for (let o = 0; o < this.item.size; o += RUN) {
        if (signal?.aborted) throw signal.reason ?? new DOMException('Aborted', 'AbortError');
        yield await this.readRaw(o, Math.min(RUN, this.item.size - o));
      }
      return;
    }
    const hdr = await this.readRaw(0, 16);
    const dv = new DataView(hdr.buffer, hdr.byteOffset, 16);
    const blockSize = dv.getUint32(4, true);
    const nBlocks = dv.getUint32(12, true);
    if (blockSize === 0 || blockSize > MAX_BLOCK_BYTES) throw new FormatError(this.src.name, this.fileOffset(4), `an AACS block size between 1 and ${MAX_BLOCK_BYTES} (got ${blockSize})`, READER_ID);
    let pos = 0x80;
    for (let b = 0; b < nBlocks; b++) {
      if (signal?.aborted) throw signal.reason ?? new DOMException('Aborted', 'AbortError');
      if (pos + 16 > this.item.size) throw new FormatError(this.src.name, this.fileOffset(Math.min(pos, this.item.size - 1)), `AACS block ${b} of ${nBlocks} within "${this.item.path}"`, READER_ID);
      const bh = await this.readRaw(pos, 16);
      const csize = new DataView(bh.buffer, bh.byteOffset, 16).getUint32(0, true);
      pos += 16;
      if (pos + csize > this.item.size) throw new FormatError(this.src.name, this.fileOffset(pos - 16), `AACS block ${b}: ${csize} compressed bytes within "${this.item.path}"`, READER_ID);
      const comp = await this.readRaw(pos, csize);
      let plain: Uint8Array;
      try {
        plain = inflateSync(comp, { maxOutputLength: blockSize });
      } catch (e) {
        throw new FormatError(this.src.name, this.fileOffset(pos), `a zlib block of at most ${blockSize} bytes (${(e as Error).message})`, READER_ID);
      }
      pos += csize;
      yield plain;
    }
  }

  /** The whole (decompressed) content; for small files such as the XML header only. */
  async readAll(limit: number): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let total = 0;
    for await (const b of this.blocks()) {
      total += b.length;
      if (total > limit) throw new FormatError(this.src.name, null, `"${this.item.path}" of at most ${limit} bytes`, READER_ID);
      parts.push(b);
    }
    const out = new Uint8Array(total);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}
