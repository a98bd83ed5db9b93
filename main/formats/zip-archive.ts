/**
 * A bounded ZIP reader over a FileSource, for the zip-based formats (Neware .ndax, Arbin .xlsx).
 *
 * Why not fflate's `unzipSync`: it reads the whole archive into memory and sizes each output
 * buffer from the central directory's "uncompressed size" field, and its inflater grows the buffer
 * when the stream turns out longer than declared — so a crafted archive can still expand without
 * bound. Here the central directory is parsed by hand (PKWARE APPNOTE.TXT 6.3.10: §4.3.12 central
 * file header, §4.3.16 end of central directory record, §4.5.3 ZIP64 extra field), every declared
 * size is checked against the caller's limit *before* anything is inflated, the compressed bytes are
 * read by range, and fflate's streaming `Inflate` is fed in small chunks with a running output count
 * that aborts the moment the stream exceeds the size it declared. The CRC-32 of every member is
 * verified.
 */
import { Inflate } from 'fflate';
import type { FileSource } from './file-source.js';
import { FormatError } from './format-error.js';

export interface ZipMember {
  name: string;
  /** 0 = stored, 8 = deflate (the only two methods accepted). */
  method: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
  /** Offset of the central directory entry (for error messages). */
  centralOffset: number;
}

const SIG_EOCD = 0x06054b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;
/** EOCD is 22 bytes plus a comment of at most 65535 bytes. */
const EOCD_SEARCH = 22 + 0xffff;
/** Compressed bytes pushed per inflate step: bounds the overshoot past a lying size field. */
const INFLATE_CHUNK = 16 * 1024;
/** No real archive of these formats has more members; caps the directory walk. */
export const MAX_ZIP_MEMBERS = 10_000;

export function isZipMagic(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
}

/** The name of the first member, from the first local file header (APPNOTE §4.3.7), for sniffing. */
export function firstLocalName(head: Uint8Array): string | null {
  if (!isZipMagic(head) || head.length < 30) return null;
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const n = dv.getUint16(26, true);
  if (30 + n > head.length) return null;
  return latin1(head.subarray(30, 30 + n));
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

function decodeName(b: Uint8Array, utf8Flag: boolean): string {
  if (utf8Flag) {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(b);
    } catch {
      // fall through: a wrong flag is not worth failing the archive for
    }
  }
  return latin1(b);
}

let CRC_TABLE: Uint32Array | null = null;
/** CRC-32 (ISO-HDLC, polynomial 0xEDB88320) as used by ZIP (APPNOTE §4.4.7). */
export function crc32(data: Uint8Array, crc = 0): number {
  if (!CRC_TABLE) {
    CRC_TABLE = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      CRC_TABLE[n] = c >>> 0;
    }
  }
  let c = ~crc >>> 0;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

export class ZipArchive {
  private constructor(
    private readonly source: FileSource,
    readonly members: ZipMember[],
    private readonly readerId: string,
  ) {}

  /** Parse the central directory. Throws FormatError when the bytes are not a sound ZIP. */
  static async open(source: FileSource, readerId: string): Promise<ZipArchive> {
    const file = source.name;
    if (source.size < 22) throw new FormatError(file, 0, 'a ZIP archive (file shorter than an end-of-directory record)', readerId);
    const tailLen = Math.min(source.size, EOCD_SEARCH);
    const tailStart = source.size - tailLen;
    const tail = await source.read(tailStart, tailLen);
    const tv = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
    let eocd = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tv.getUint32(i, true) === SIG_EOCD) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw new FormatError(file, tailStart, 'a ZIP end-of-central-directory record (PK\\5\\6)', readerId);
    const count = tv.getUint16(eocd + 10, true);
    const cdSize = tv.getUint32(eocd + 12, true);
    const cdOffset = tv.getUint32(eocd + 16, true);
    if (count === 0xffff || cdOffset === 0xffffffff) {
      throw new FormatError(file, tailStart + eocd, 'a ZIP archive without ZIP64 directory records (not supported)', readerId);
    }
    if (count > MAX_ZIP_MEMBERS) throw new FormatError(file, tailStart + eocd + 10, `at most ${MAX_ZIP_MEMBERS} ZIP members (got ${count})`, readerId);
    if (cdOffset + cdSize > source.size || cdSize < count * 46) {
      throw new FormatError(file, tailStart + eocd + 12, `a central directory within the file (offset ${cdOffset}, size ${cdSize}, file ${source.size})`, readerId);
    }
    const cd = await source.read(cdOffset, cdSize);
    const dv = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
    const members: ZipMember[] = [];
    let p = 0;
    for (let k = 0; k < count; k++) {
      const at = cdOffset + p;
      if (p + 46 > cd.length || dv.getUint32(p, true) !== SIG_CENTRAL) {
        throw new FormatError(file, at, `central directory entry ${k + 1} of ${count} (signature PK\\1\\2)`, readerId);
      }
      const flags = dv.getUint16(p + 8, true);
      const method = dv.getUint16(p + 10, true);
      const crc = dv.getUint32(p + 16, true);
      let compressedSize = dv.getUint32(p + 20, true);
      let uncompressedSize = dv.getUint32(p + 24, true);
      const nameLen = dv.getUint16(p + 28, true);
      const extraLen = dv.getUint16(p + 30, true);
      const commentLen = dv.getUint16(p + 32, true);
      let localHeaderOffset = dv.getUint32(p + 42, true);
      const end = p + 46 + nameLen + extraLen + commentLen;
      if (end > cd.length) throw new FormatError(file, at, `central directory entry ${k + 1} within the directory`, readerId);
      const name = decodeName(cd.subarray(p + 46, p + 46 + nameLen), (flags & 0x800) !== 0);
      // ZIP64 extended information (APPNOTE §4.5.3): present only for the fields that are 0xFFFFFFFF.
      if (uncompressedSize === 0xffffffff || compressedSize === 0xffffffff || localHeaderOffset === 0xffffffff) {
        let q = p + 46 + nameLen;
        const qEnd = q + extraLen;
        let found = false;
        while (q + 4 <= qEnd) {
          const id = dv.getUint16(q, true);
          const len = dv.getUint16(q + 2, true);
          if (id === 0x0001) {
            let r = q + 4;
            const take = (): number => {
              if (r + 8 > q + 4 + len) throw new FormatError(file, cdOffset + r, 'a complete ZIP64 extra field', readerId);
              const v = Number(dv.getBigUint64(r, true));
              r += 8;
              return v;
            };
            if (uncompressedSize === 0xffffffff) uncompressedSize = take();
            if (compressedSize === 0xffffffff) compressedSize = take();
            if (localHeaderOffset === 0xffffffff) localHeaderOffset = take();
            found = true;
            break;
          }
          q += 4 + len;
        }
        if (!found) throw new FormatError(file, at, `a ZIP64 extra field for member "${name}"`, readerId);
      }
      if (localHeaderOffset + 30 > source.size || localHeaderOffset + compressedSize > source.size) {
        throw new FormatError(file, at, `member "${name}" within the file (local header ${localHeaderOffset}, ${compressedSize} bytes)`, readerId);
      }
      members.push({ name, method, crc32: crc, compressedSize, uncompressedSize, localHeaderOffset, centralOffset: at });
      p = end;
    }
    return new ZipArchive(source, members, readerId);
  }

  names(): string[] {
    return this.members.map((m) => m.name);
  }

  find(name: string): ZipMember | undefined {
    return this.members.find((m) => m.name === name);
  }

  /**
   * Extract one member. `limit` bounds its uncompressed size; the declared size is checked before
   * inflating and the actual stream is cut off as soon as it exceeds the declared size.
   */
  async read(member: ZipMember, limit: number): Promise<Uint8Array> {
    const file = this.source.name;
    const id = this.readerId;
    if (member.uncompressedSize > limit) {
      throw new FormatError(file, member.centralOffset, `member "${member.name}" of at most ${limit} bytes uncompressed (declares ${member.uncompressedSize})`, id);
    }
    if (member.method !== 0 && member.method !== 8) {
      throw new FormatError(file, member.centralOffset, `member "${member.name}" stored or deflated (compression method ${member.method})`, id);
    }
    const lh = await this.source.read(member.localHeaderOffset, 30);
    const lv = new DataView(lh.buffer, lh.byteOffset, lh.byteLength);
    if (lv.getUint32(0, true) !== SIG_LOCAL) {
      throw new FormatError(file, member.localHeaderOffset, `a local file header (PK\\3\\4) for "${member.name}"`, id);
    }
    const dataStart = member.localHeaderOffset + 30 + lv.getUint16(26, true) + lv.getUint16(28, true);
    if (dataStart + member.compressedSize > this.source.size) {
      throw new FormatError(file, dataStart, `${member.compressedSize} compressed bytes of "${member.name}" within the file`, id);
    }
    const compressed = await this.source.read(dataStart, member.compressedSize);
    let out: Uint8Array;
    if (member.method === 0) {
      if (member.compressedSize !== member.uncompressedSize) {
        throw new FormatError(file, member.centralOffset, `equal sizes for stored member "${member.name}"`, id);
      }
      out = compressed.slice();
    } else {
      out = new Uint8Array(member.uncompressedSize);
      let written = 0;
      let overflow = false;
      const inf = new Inflate((chunk) => {
        if (overflow) return;
        if (written + chunk.length > out.length) {
          overflow = true;
          return;
        }
        out.set(chunk, written);
        written += chunk.length;
      });
      try {
        for (let off = 0; off < compressed.length && !overflow; off += INFLATE_CHUNK) {
          const endOff = Math.min(compressed.length, off + INFLATE_CHUNK);
          inf.push(compressed.subarray(off, endOff), endOff === compressed.length);
        }
        if (compressed.length === 0) inf.push(new Uint8Array(0), true);
      } catch (e) {
        throw new FormatError(file, dataStart, `a valid deflate stream for "${member.name}" (${(e as Error).message})`, id);
      }
      if (overflow) throw new FormatError(file, dataStart, `member "${member.name}" to inflate to its declared ${member.uncompressedSize} bytes (it is longer)`, id);
      if (written !== out.length) {
        throw new FormatError(file, dataStart, `member "${member.name}" to inflate to its declared ${member.uncompressedSize} bytes (got ${written})`, id);
      }
    }
    const c = crc32(out);
    if (c !== member.crc32) {
      throw new FormatError(file, dataStart, `CRC-32 ${member.crc32.toString(16)} for "${member.name}" (computed ${c.toString(16)})`, id);
    }
    return out;
  }
}
