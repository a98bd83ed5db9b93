/**
 * Strip/tile decompression: PackBits (TIFF 6.0 §9), LZW (TIFF 6.0 §13, MSB-first codes with the
 * "early change" width switch libtiff uses), Deflate/zlib (Adobe PageMaker 6.0 TIFF Technical
 * Notes, codes 8 and 32946, via fflate) and the horizontal-differencing Predictor 2 (§14).
 * Output sizes are fixed by the page geometry, so a hostile stream can never grow a buffer.
 */
import { unzlibSync } from 'fflate';

export const COMPRESSION_NAMES: Record<number, string> = {
  1: 'none', 2: 'CCITT RLE', 3: 'CCITT Group 3', 4: 'CCITT Group 4', 5: 'LZW', 6: 'old-style JPEG', 7: 'JPEG',
  8: 'Deflate', 32946: 'Deflate (PKZIP)', 32773: 'PackBits', 34712: 'JPEG 2000', 50000: 'Zstandard', 34887: 'LERC', 50001: 'WebP',
};
export const SUPPORTED_COMPRESSION = new Set([1, 5, 8, 32946, 32773]);

export class DecodeError extends Error {}

export function unpackBits(src: Uint8Array, expected: number): Uint8Array {
  const out = new Uint8Array(expected);
  let i = 0;
  let o = 0;
  while (o < expected && i < src.length) {
    const n = (src[i++]! << 24) >> 24; // signed byte
    if (n >= 0) {
      const len = n + 1;
      if (i + len > src.length) throw new DecodeError('PackBits literal run past the end of the strip');
      out.set(src.subarray(i, i + Math.min(len, expected - o)), o);
      i += len;
      o += len;
    } else if (n !== -128) {
      const len = 1 - n;
      if (i >= src.length) throw new DecodeError('PackBits repeat run past the end of the strip');
      out.fill(src[i++]!, o, Math.min(expected, o + len));
      o += len;
    }
  }
  if (o < expected) throw new DecodeError(`PackBits data decode to ${o} of ${expected} bytes`);
  return out;
}

export function lzwDecode(src: Uint8Array, expected: number): Uint8Array {
  const out = new Uint8Array(expected);
  // Dictionary as prefix links: entry k = entry prefix[k] followed by byte suffix[k].
  const prefix = new Int32Array(4096);
  const suffix = new Uint8Array(4096);
  const first = new Uint8Array(4096);
  const length = new Int32Array(4096);
  for (let k = 0; k < 256; k++) {
    prefix[k] = -1;
    suffix[k] = k;
    first[k] = k;
    length[k] = 1;
  }
  let width = 9;
  let next = 258;
  let old = -1;
  let bitPos = 0;
  let o = 0;
  const totalBits = src.length * 8;
  const write = (code: number): void => {
    const len = length[code]!;
    let p = o + len - 1;
    for (let c = code; c >= 0; c = prefix[c]!, p--) if (p < expected) out[p] = suffix[c]!;
    o += len;
  };
  const add = (byte: number): void => {
    if (next >= 4096) return;
    prefix[next] = old;
    suffix[next] = byte;
    first[next] = first[old]!;
    length[next] = length[old]! + 1;
    next++;
  };
  while (o < expected && bitPos + width <= totalBits) {
    let code = 0;
    for (let b = 0; b < width; b++, bitPos++) code = (code << 1) | ((src[bitPos >> 3]! >> (7 - (bitPos & 7))) & 1);
    if (code === 257) break; // EndOfInformation
    if (code === 256) {
      width = 9;
      next = 258;
      old = -1;
      continue;
    }
    if (old === -1) {
      if (code > 255) throw new DecodeError(`LZW code ${code} after a Clear`);
      write(code);
    } else if (code < next) {
      write(code);
      add(first[code]!);
    } else if (code === next) {
      add(first[old]!); // the KwKwK case: the new string is old + its own first byte
      write(code);
    } else {
      throw new DecodeError(`LZW code ${code} beyond the table (${next})`);
    }
    old = code;
    // "Early change": widen when the next entry would need it (libtiff's decoder rule).
    if (next >= (1 << width) - 1 && width < 12) width++;
  }
  if (o < expected) throw new DecodeError(`LZW data decode to ${o} of ${expected} bytes`);
  return out;
}

export function inflate(src: Uint8Array, expected: number): Uint8Array {
  let raw: Uint8Array;
  try {
    raw = unzlibSync(src, { out: new Uint8Array(expected) });
  } catch (e) {
    throw new DecodeError(`Deflate stream: ${(e as Error).message}`);
  }
  if (raw.byteLength < expected) throw new DecodeError(`Deflate data decode to ${raw.byteLength} of ${expected} bytes`);
  return raw.byteLength === expected ? raw : raw.subarray(0, expected);
}

export function decompress(code: number, src: Uint8Array, expected: number): Uint8Array {
  switch (code) {
    case 1: return src;
    case 5: return lzwDecode(src, expected);
    case 8: case 32946: return inflate(src, expected);
    case 32773: return unpackBits(src, expected);
    default: throw new DecodeError(`compression ${COMPRESSION_NAMES[code] ?? code}`);
  }
}

/** Undo Predictor 2 in place: each sample is stored as the difference to its left neighbour. */
export function undoHorizontalDifferencing(b: Uint8Array, rows: number, width: number, spp: number, bytes: number, le: boolean): void {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const rowBytes = width * spp * bytes;
  for (let r = 0; r < rows; r++) {
    const base = r * rowBytes;
    for (let i = spp; i < width * spp; i++) {
      const at = base + i * bytes;
      const prev = at - spp * bytes;
      if (bytes === 1) b[at] = (b[at]! + b[prev]!) & 0xff;
      else if (bytes === 2) dv.setUint16(at, (dv.getUint16(at, le) + dv.getUint16(prev, le)) & 0xffff, le);
      else if (bytes === 4) dv.setUint32(at, (dv.getUint32(at, le) + dv.getUint32(prev, le)) >>> 0, le);
      else dv.setBigUint64(at, BigInt.asUintN(64, dv.getBigUint64(at, le) + dv.getBigUint64(prev, le)), le);
    }
  }
}
