/**
 * Random-access byte sources. Readers never read a whole file unless it is small: they ask for
 * ranges (DESIGN.md: "Data is read lazily by slice; multi-GB files are never read whole").
 */
import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { FormatError } from './format-error.js';

/** Reads larger than this are split into parallel slices (see NodeFileSource.read). */
const PARALLEL_READ_THRESHOLD = 16 * 1024 * 1024;
/** libuv's default thread pool has 4 threads. */
const PARALLEL_READ_SLICES = 4;

export interface FileSource {
  /** Display name used in errors (the file's base name). */
  readonly name: string;
  /** Absolute path when backed by a file. */
  readonly path?: string;
  readonly size: number;
  /** Read exactly `length` bytes at `offset`; throws FormatError if the file is shorter. */
  read(offset: number, length: number): Promise<Uint8Array>;
  /**
   * Fill `target` with the `target.byteLength` bytes at `offset` (FormatError if the file is
   * shorter). Lets a reader that streams through a file reuse its buffers instead of faulting in
   * a fresh one per chunk.
   */
  readInto(target: Uint8Array, offset: number): Promise<void>;
  close(): Promise<void>;
}

export class MemorySource implements FileSource {
  readonly size: number;
  constructor(
    readonly name: string,
    private readonly bytes: Uint8Array,
  ) {
    this.size = bytes.byteLength;
  }
  async read(offset: number, length: number): Promise<Uint8Array> {
    if (offset < 0 || length < 0 || offset + length > this.size) {
      throw new FormatError(this.name, offset, `${length} bytes within the file (size ${this.size})`);
    }
    return this.bytes.subarray(offset, offset + length);
  }
  async readInto(target: Uint8Array, offset: number): Promise<void> {
    target.set(await this.read(offset, target.byteLength));
  }
  async close(): Promise<void> {}
}

export class NodeFileSource implements FileSource {
  private constructor(
    readonly path: string,
    readonly name: string,
    readonly size: number,
    private readonly handle: FileHandle,
  ) {}

  static async open(path: string): Promise<NodeFileSource> {
    const handle = await open(path, 'r');
    const st = await handle.stat();
    return new NodeFileSource(path, basename(path), st.size, handle);
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    if (offset < 0 || length < 0 || offset + length > this.size) {
      throw new FormatError(this.name, offset, `${length} bytes within the file (size ${this.size})`);
    }
    const buf = new Uint8Array(length);
    if (length <= PARALLEL_READ_THRESHOLD) {
      await this.readRange(buf, 0, length, offset);
      return buf;
    }
    // Large reads (whole images, movies) in parallel slices: libuv runs them on its thread pool,
    // so the kernel copy and the page faults of the fresh buffer overlap across cores.
    const parts = Math.min(PARALLEL_READ_SLICES, Math.ceil(length / PARALLEL_READ_THRESHOLD));
    const slice = Math.ceil(length / parts / 4096) * 4096;
    const jobs: Promise<void>[] = [];
    for (let at = 0; at < length; at += slice) jobs.push(this.readRange(buf, at, Math.min(slice, length - at), offset + at));
    await Promise.all(jobs);
    return buf;
  }

  async readInto(target: Uint8Array, offset: number): Promise<void> {
    const length = target.byteLength;
    if (offset < 0 || offset + length > this.size) {
      throw new FormatError(this.name, offset, `${length} bytes within the file (size ${this.size})`);
    }
    await this.readRange(target, 0, length, offset);
  }

  private async readRange(buf: Uint8Array, at: number, length: number, offset: number): Promise<void> {
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(buf, at + done, length - done, offset + done);
      if (bytesRead === 0) throw new FormatError(this.name, offset + done, 'more bytes (file ended early)');
      done += bytesRead;
    }
  }

  private closed = false;
  /** Idempotent: both an OpenedFile and its owner may close the same source. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }
}
