/**
 * Decoder of Bruker's packed hypermap stream ('EDSDatabase/SpectrumData<i>' of a .bcf). Layout as
 * described in rosettasciio's bruker reader and HyperSpy's Bruker docs (read for format knowledge
 * only; this is an independent implementation):
 *
 *   0x000  int32 line count (map height), int32 pixels per line (width), int32 channel count, …
 *   0x1A0  for each line: int32 number of pixel records in the line, then the records:
 *          uint32 x; uint16 channels of the map; uint16 channels stored for this pixel; uint32
 *          (unused); uint16 packing flag; uint16 (unused); uint16 pulse count; uint32 data size;
 *          then `data size` bytes:
 *     flag 0: one uint16 per pulse, the pulse's channel (a list of events)
 *     flag 1: `pulse count` 12-bit channel numbers packed in little-endian 16-bit words: each
 *             6 bytes b0..b5 hold four pulses (b1b0 >> 4), ((b0 & 0xF) << 8 | b3),
 *             (b2 << 4 | b5 >> 4), ((b5 & 0xF) << 8 | b4)
 *     flag ≥ 2: an "instructed" spectrum: until data size − 4 bytes are used, pairs
 *             uint8 width code w, uint8 channel count n; w = 0: n zero channels; otherwise a gain
 *             of w bytes, then n values of w/2 bytes each (w = 1: 4-bit nibbles, low nibble
 *             first) to which the gain is added; then uint32 size of the additional pulses,
 *             and, when the pulse count is non-zero, that many bytes of uint16 pulse channels,
 *             each adding one count.
 *
 * Records of pixels outside the selection are skipped by their sizes without being unpacked; the
 * stream is read once per request up to the last requested line (no whole-map buffer).
 */
import { FormatError } from '../format-error.js';
import { READER_ID, type SfsFile } from './sfs.js';

export const HYPERMAP_HEADER_BYTES = 0x1a0;
/** A pixel's packed data larger than this is not a pixel record (Esprit pixels are < 64 kB). */
const MAX_PIXEL_BYTES = 16 * 1024 * 1024;

export interface HypermapHeader {
  height: number;
  width: number;
  channels: number;
}

/** A cursor over the block stream that keeps only the unread tail of the current block. */
class Feed {
  private buf: Uint8Array = new Uint8Array(0);
  private pos = 0;
  /** Stream offset of buf[0]. */
  private base = 0;
  private done = false;
  constructor(
    private readonly it: AsyncIterator<Uint8Array>,
    private readonly file: SfsFile,
    private readonly fileName: string,
  ) {}

  get offset(): number {
    return this.base + this.pos;
  }

  fail(expected: string, at = this.offset): never {
    // Uncompressed streams map to file offsets; a compressed one only has the stream offset.
    if (!this.file.compressed) throw new FormatError(this.fileName, this.file.fileOffset(Math.min(at, Math.max(0, this.file.size - 1))), `${expected} in ${this.file.item.path}`, READER_ID);
    throw new FormatError(this.fileName, null, `${expected} in ${this.file.item.path} (decompressed stream offset ${at})`, READER_ID);
  }

  /** Make `n` bytes available at the cursor; returns the buffer and the index of the first. */
  async need(n: number, what: string): Promise<[Uint8Array, number]> {
    while (this.buf.length - this.pos < n) {
      if (this.done) this.fail(`${n} bytes of ${what} (the stream ended)`);
      const r = await this.it.next();
      if (r.done) {
        this.done = true;
        continue;
      }
      const rest = this.buf.subarray(this.pos);
      const next = new Uint8Array(rest.length + r.value.length);
      next.set(rest);
      next.set(r.value, rest.length);
      this.base += this.pos;
      this.buf = next;
      this.pos = 0;
    }
    const at = this.pos;
    this.pos += n;
    return [this.buf, at];
  }

  async skip(n: number, what: string): Promise<void> {
    // Skipping through whole blocks without concatenating them.
    while (n > 0) {
      const avail = this.buf.length - this.pos;
      if (avail >= n) {
        this.pos += n;
        return;
      }
      n -= avail;
      this.base += this.buf.length;
      this.buf = new Uint8Array(0);
      this.pos = 0;
      if (this.done) this.fail(`${n} more bytes of ${what} (the stream ended)`);
      const r = await this.it.next();
      if (r.done) this.done = true;
      else this.buf = r.value;
    }
  }
}

const u16 = (b: Uint8Array, i: number): number => b[i]! | (b[i + 1]! << 8);
const u32 = (b: Uint8Array, i: number): number => (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16)) + b[i + 3]! * 0x1000000;

export async function readHypermapHeader(file: SfsFile, fileName: string): Promise<HypermapHeader> {
  const it = file.blocks()[Symbol.asyncIterator]();
  const feed = new Feed(it, file, fileName);
  const [b, i] = await feed.need(12, 'the hypermap header');
  await it.return?.(undefined);
  const height = u32(b, i);
  const width = u32(b, i + 4);
  const channels = u32(b, i + 8);
  if (height === 0 || width === 0 || height > 1 << 16 || width > 1 << 16) feed.fail(`a map size between 1 and 65536 (got ${width} × ${height})`, 0);
  return { height, width, channels };
}

/** Called for each decoded pixel: `spectrum` is a scratch buffer valid only during the call. */
export type PixelSink = (y: number, x: number, spectrum: Uint32Array) => void;

/**
 * Decode lines [0, lastRow] of the stream, unpacking only pixels for which `wanted(y, x)` is true.
 * `channels` is the length of the spectra handed to `sink`; counts in higher channels are dropped
 * (the caller says so in the entry's warnings).
 */
export async function decodeHypermap(
  file: SfsFile,
  fileName: string,
  header: HypermapHeader,
  channels: number,
  lastRow: number,
  wanted: (y: number, x: number) => boolean,
  sink: PixelSink,
  signal?: AbortSignal,
): Promise<void> {
  const it = file.blocks(signal)[Symbol.asyncIterator]();
  const feed = new Feed(it, file, fileName);
  const spec = new Uint32Array(channels);
  try {
    await feed.skip(HYPERMAP_HEADER_BYTES, 'the hypermap header');
    for (let y = 0; y <= lastRow && y < header.height; y++) {
      if (signal?.aborted) throw signal.reason ?? new DOMException('Aborted', 'AbortError');
      let [b, i] = await feed.need(4, `the pixel count of line ${y}`);
      const nPix = u32(b, i);
      if (nPix > header.width) feed.fail(`at most ${header.width} pixel records in line ${y} (got ${nPix})`, feed.offset - 4);
      for (let p = 0; p < nPix; p++) {
        const recAt = feed.offset;
        [b, i] = await feed.need(22, `pixel record ${p} of line ${y}`);
        const x = u32(b, i);
        const chanPixel = u16(b, i + 6);
        const flag = u16(b, i + 12);
        const nPulses = u16(b, i + 16);
        const size = u32(b, i + 18);
        if (x >= header.width) feed.fail(`a pixel x index below ${header.width} (got ${x}) in line ${y}`, recAt);
        if (size > MAX_PIXEL_BYTES) feed.fail(`a pixel data size of at most ${MAX_PIXEL_BYTES} (got ${size})`, recAt);
        if (flag > 1 && size < 4) feed.fail(`an instructed pixel of at least 4 bytes (got ${size})`, recAt);
        if (!wanted(y, x)) {
          if (flag > 1) {
            await feed.skip(size - 4, 'pixel data');
            [b, i] = await feed.need(4, 'the additional-pulse size');
            if (nPulses > 0) await feed.skip(u32(b, i), 'additional pulses');
          } else await feed.skip(size, 'pixel data');
          continue;
        }
        spec.fill(0);
        if (flag === 0) {
          [b, i] = await feed.need(size, 'pixel pulses');
          for (let k = 0; k + 1 < size; k += 2) {
            const c = u16(b, i + k);
            if (c < channels) spec[c]!++;
          }
        } else if (flag === 1) {
          if (nPulses * 3 > size * 2) feed.fail(`${Math.ceil((nPulses * 3) / 2)} bytes for ${nPulses} 12-bit pulses (got ${size})`, recAt);
          [b, i] = await feed.need(size, 'packed 12-bit pulses');
          for (let k = 0; k < nPulses; k++) {
            const g = i + 6 * Math.floor(k / 4);
            let c: number;
            switch (k & 3) {
              case 0: c = ((b[g + 1]! << 8) | b[g]!) >> 4; break;
              case 1: c = ((b[g]! & 0x0f) << 8) | b[g + 3]!; break;
              case 2: c = (b[g + 2]! << 4) | (b[g + 5]! >> 4); break;
              default: c = ((b[g + 5]! & 0x0f) << 8) | b[g + 4]!; break;
            }
            if (c < channels) spec[c]!++;
          }
        } else {
          [b, i] = await feed.need(size, 'instructed pixel data');
          const end = i + size - 4;
          let o = i;
          let ch = 0;
          while (o < end) {
            if (o + 2 > end) feed.fail('an instruction pair inside the pixel data', recAt);
            const w = b[o]!;
            const n = b[o + 1]!;
            o += 2;
            if (w === 0) {
              ch += n;
              continue;
            }
            if (w !== 1 && w !== 2 && w !== 4 && w !== 8) feed.fail(`an instruction width of 0, 1, 2, 4 or 8 bytes (got ${w})`, recAt);
            const dataBytes = w === 1 ? Math.ceil(n / 2) : (n * w) / 2;
            if (o + w + dataBytes > end) feed.fail('instruction data inside the pixel data', recAt);
            let gain = 0;
            for (let k = w - 1; k >= 0; k--) gain = gain * 256 + b[o + k]!;
            o += w;
            for (let k = 0; k < n; k++, ch++) {
              let v: number;
              if (w === 1) v = k & 1 ? b[o + (k >> 1)]! >> 4 : b[o + (k >> 1)]! & 0x0f;
              else if (w === 2) v = b[o + k]!;
              else if (w === 4) v = u16(b, o + 2 * k);
              else v = u32(b, o + 4 * k);
              if (ch < channels) spec[ch] = v + gain;
            }
            o += dataBytes;
          }
          if (ch > chanPixel && chanPixel > 0) feed.fail(`at most ${chanPixel} channels in an instructed pixel (got ${ch})`, recAt);
          const addSize = u32(b, end);
          if (nPulses > 0) {
            if (addSize < nPulses * 2) feed.fail(`${nPulses * 2} bytes of additional pulses (got ${addSize})`, recAt);
            const [ab, ai] = await feed.need(addSize, 'additional pulses');
            for (let k = 0; k < nPulses; k++) {
              const c = u16(ab, ai + 2 * k);
              if (c < channels) spec[c]!++;
            }
          }
        }
        sink(y, x, spec);
      }
    }
  } finally {
    await it.return?.(undefined);
  }
}
