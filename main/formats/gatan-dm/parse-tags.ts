/**
 * Gatan DigitalMicrograph DM3/DM4 tag-tree parser.
 *
 * Layout (Chris Boothroyd's DM3 notes; ncempy io/dm.py; rosettasciio digitalmicrograph; see README):
 *   header   int32 BE version (3|4), root length (DM3 uint32 BE, DM4 uint64 BE), int32 BE byte order
 *            (1 = tag *values* are little-endian, 0 = big-endian). All structural fields are big-endian.
 *   group    uint8 sorted, uint8 open, ntags (DM3 int32 BE, DM4 uint64 BE), then ntags entries.
 *   entry    uint8 kind (20 = group, 21 = data, 0 = end), uint16 BE name length, name bytes,
 *            DM4 only: uint64 BE byte length of the rest of the entry.
 *   data     '%%%%', info-array length n, n info words (DM3 int32 BE, DM4 int64 BE) describing the
 *            type (simple code | 18 string | 15 struct | 20 array, recursively), then the value.
 *
 * Big arrays (ImageData.Data, or any array above BIG_ARRAY_BYTES) are not read: the parser records
 * their file offset, element type and count, and the reader fetches slices later.
 */
import type { FileSource } from '../file-source.js';
import { FormatError, checkedSize } from '../format-error.js';

export const READER_ID = 'gatan-dm';

/** Arrays larger than this are recorded as references instead of being read into memory. */
export const BIG_ARRAY_BYTES = 256 * 1024;
/** Tag groups nest a few levels deep in real files; this bounds hostile recursion. */
export const MAX_DEPTH = 64;
/** Info arrays are a handful of words in practice (struct definitions a few dozen). */
const MAX_INFO_WORDS = 1 << 16;

/** DM "encoded type" codes for tag values (not the ImageData.DataType codes). */
export const ENC = {
  int16: 2,
  int32: 3,
  uint16: 4,
  uint32: 5,
  float32: 6,
  float64: 7,
  bool: 8,
  int8char: 9,
  int8: 10,
  int64: 11,
  uint64: 12,
  struct: 15,
  string: 18,
  array: 20,
} as const;

const SIMPLE_BYTES: Readonly<Record<number, number>> = {
  2: 2,
  3: 4,
  4: 2,
  5: 4,
  6: 4,
  7: 8,
  8: 1,
  9: 1,
  10: 1,
  11: 8,
  12: 8,
};

export type TypeDesc =
  | { kind: 'simple'; code: number; bytes: number }
  | { kind: 'string'; length: number; bytes: number }
  | { kind: 'struct'; fields: TypeDesc[]; bytes: number }
  | { kind: 'array'; elem: TypeDesc; count: number; bytes: number };

/** A large array left on disk. */
export interface ArrayRef {
  readonly ref: 'array';
  /** Absolute file offset of the first element. */
  offset: number;
  count: number;
  /** Encoded element type (simple code, or 15 for struct elements). */
  encType: number;
  /** For struct elements, the simple codes of the fields. */
  fieldTypes?: number[];
  elemBytes: number;
  byteLength: number;
}

export type TagValue = number | boolean | string | TagValue[] | ArrayRef;

export interface TagGroup {
  readonly type: 'group';
  offset: number;
  entries: TagEntry[];
}

export interface TagData {
  readonly type: 'data';
  offset: number;
  desc: TypeDesc;
  value: TagValue;
}

export interface TagEntry {
  name: string;
  node: TagGroup | TagData;
}

export interface DmHeader {
  version: 3 | 4;
  rootLength: number;
  littleEndian: boolean;
  /** Offset of the root tag group. */
  rootOffset: number;
}

export interface DmTagFile {
  header: DmHeader;
  root: TagGroup;
}

export function isArrayRef(v: unknown): v is ArrayRef {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && (v as ArrayRef).ref === 'array';
}

/** Buffered forward cursor over a FileSource: reads windows on demand, skips big arrays by seeking. */
class Cursor {
  private buf: Uint8Array = new Uint8Array(0);
  private bufStart = 0;
  private view: DataView = new DataView(new ArrayBuffer(0));
  pos: number;

  constructor(
    private readonly src: FileSource,
    start: number,
    private readonly window = 1 << 18,
  ) {
    this.pos = start;
  }

  get remaining(): number {
    return this.src.size - this.pos;
  }

  /** Make bytes [pos, pos+n) available; a short file is a FormatError at the current offset. */
  async ensure(n: number, what: string): Promise<void> {
    if (n > this.remaining) {
      throw new FormatError(this.src.name, this.pos, `${what}: ${n} bytes (file has ${this.remaining} left)`, READER_ID);
    }
    const end = this.pos + n;
    if (this.pos >= this.bufStart && end <= this.bufStart + this.buf.byteLength) return;
    const len = Math.min(Math.max(n, this.window), this.src.size - this.pos);
    const bytes = await this.src.read(this.pos, len);
    this.buf = bytes;
    this.bufStart = this.pos;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  skip(n: number, what: string): void {
    if (n > this.remaining) {
      throw new FormatError(this.src.name, this.pos, `${what}: ${n} bytes (file has ${this.remaining} left)`, READER_ID);
    }
    this.pos += n;
  }

  private at(): number {
    return this.pos - this.bufStart;
  }

  u8(): number {
    const v = this.view.getUint8(this.at());
    this.pos += 1;
    return v;
  }
  u16be(): number {
    const v = this.view.getUint16(this.at(), false);
    this.pos += 2;
    return v;
  }
  i32be(): number {
    const v = this.view.getInt32(this.at(), false);
    this.pos += 4;
    return v;
  }
  /** DM4 8-byte big-endian length/word; returned as a number when exactly representable. */
  i64be(): number {
    const v = this.view.getBigInt64(this.at(), false);
    this.pos += 8;
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : Number.NaN;
  }
  bytes(n: number): Uint8Array {
    const a = this.at();
    this.pos += n;
    return this.buf.subarray(a, a + n);
  }
  /** A simple value in the file's tag byte order. */
  simple(code: number, le: boolean): number | boolean {
    const a = this.at();
    const v = this.view;
    let out: number | boolean;
    switch (code) {
      case 2: out = v.getInt16(a, le); break;
      case 3: out = v.getInt32(a, le); break;
      case 4: out = v.getUint16(a, le); break;
      case 5: out = v.getUint32(a, le); break;
      case 6: out = v.getFloat32(a, le); break;
      case 7: out = v.getFloat64(a, le); break;
      case 8: out = v.getUint8(a) !== 0; break;
      case 9: out = v.getInt8(a); break;
      case 10: out = v.getInt8(a); break;
      case 11: out = Number(v.getBigInt64(a, le)); break;
      case 12: out = Number(v.getBigUint64(a, le)); break;
      default:
        throw new FormatError(this.src.name, this.pos, `a simple DM type code (got ${code})`, READER_ID);
    }
    this.pos += SIMPLE_BYTES[code]!;
    return out;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');
function decodeName(b: Uint8Array): string {
  // Tag names are 1-byte characters; newer DM writes UTF-8, older ones Windows-1252/Latin-1 (µ, Å).
  try {
    return utf8.decode(b);
  } catch {
    return latin1.decode(b);
  }
}

function decodeUtf16(words: number[]): string {
  // Arrays of uint16 (code 4) hold UTF-16 text in DM (names, units, dates).
  let s = '';
  for (let i = 0; i < words.length; i += 4096) s += String.fromCharCode(...words.slice(i, i + 4096));
  return s;
}

export async function parseDmHeader(src: FileSource): Promise<DmHeader> {
  if (src.size < 16) throw new FormatError(src.name, 0, 'a DM3/DM4 header (16 bytes)', READER_ID);
  const h = await src.read(0, Math.min(16, src.size));
  const dv = new DataView(h.buffer, h.byteOffset, h.byteLength);
  const version = dv.getInt32(0, false);
  if (version !== 3 && version !== 4) {
    throw new FormatError(src.name, 0, `DM version 3 or 4 (big-endian int32; got ${version})`, READER_ID);
  }
  let rootLength: number;
  let bo: number;
  let rootOffset: number;
  if (version === 3) {
    rootLength = dv.getUint32(4, false);
    bo = dv.getInt32(8, false);
    rootOffset = 12;
  } else {
    rootLength = Number(dv.getBigUint64(4, false));
    bo = dv.getInt32(12, false);
    rootOffset = 16;
  }
  if (bo !== 0 && bo !== 1) {
    throw new FormatError(src.name, version === 3 ? 8 : 12, `byte-order flag 0 or 1 (got ${bo})`, READER_ID);
  }
  return { version, rootLength, littleEndian: bo === 1, rootOffset };
}

interface Ctx {
  src: FileSource;
  cur: Cursor;
  v4: boolean;
  le: boolean;
}

/** Read a structural length/word: int32 BE in DM3, int64 BE in DM4. */
function word(ctx: Ctx): number {
  return ctx.v4 ? ctx.cur.i64be() : ctx.cur.i32be();
}

function wordBytes(ctx: Ctx): number {
  return ctx.v4 ? 8 : 4;
}

/** Decode a type descriptor from the info array, recursively (arrays of structs, arrays of arrays). */
function parseType(ctx: Ctx, info: number[], i: number, offset: number, depth: number): [TypeDesc, number] {
  const fail = (what: string): never => {
    throw new FormatError(ctx.src.name, offset, `tag type info: ${what} (info ${JSON.stringify(info.slice(0, 16))})`, READER_ID);
  };
  if (depth > 8) fail('nesting ≤ 8');
  if (i >= info.length) fail('more info words');
  const code = info[i]!;
  const simple = SIMPLE_BYTES[code];
  if (simple !== undefined) return [{ kind: 'simple', code, bytes: simple }, i + 1];
  const remaining = ctx.src.size;
  if (code === ENC.string) {
    if (i + 1 >= info.length) fail('string length');
    const length = checkedSize(info[i + 1]!, ctx.src.name, offset, 'string length', remaining);
    return [{ kind: 'string', length, bytes: length }, i + 2];
  }
  if (code === ENC.struct) {
    if (i + 2 >= info.length) fail('struct header');
    const nf = checkedSize(info[i + 2]!, ctx.src.name, offset, 'struct field count', info.length);
    let j = i + 3;
    const fields: TypeDesc[] = [];
    let bytes = 0;
    for (let f = 0; f < nf; f++) {
      j += 1; // field name length (always 0 in practice; names are not stored)
      const [fd, next] = parseType(ctx, info, j, offset, depth + 1);
      fields.push(fd);
      bytes += fd.bytes;
      j = next;
    }
    return [{ kind: 'struct', fields, bytes }, j];
  }
  if (code === ENC.array) {
    const [elem, next] = parseType(ctx, info, i + 1, offset, depth + 1);
    if (next >= info.length) fail('array length');
    const count = info[next]!;
    if (!Number.isSafeInteger(count) || count < 0) fail(`a non-negative array length (got ${count})`);
    const bytes = elem.bytes * count;
    if (bytes > remaining) {
      throw new FormatError(ctx.src.name, offset, `array of ${count} × ${elem.bytes} bytes within the file (size ${remaining})`, READER_ID);
    }
    return [{ kind: 'array', elem, count, bytes }, next + 1];
  }
  return fail(`a known type code (got ${code})`);
}

async function readValue(ctx: Ctx, desc: TypeDesc, bigRef: boolean): Promise<TagValue> {
  const { cur, le } = ctx;
  const name = ctx.src.name;
  if (desc.kind === 'array' && (bigRef || desc.bytes > BIG_ARRAY_BYTES)) {
    const ref: ArrayRef = {
      ref: 'array',
      offset: cur.pos,
      count: desc.count,
      encType: desc.elem.kind === 'simple' ? desc.elem.code : desc.elem.kind === 'struct' ? ENC.struct : ENC.array,
      elemBytes: desc.elem.bytes,
      byteLength: desc.bytes,
    };
    if (desc.elem.kind === 'struct') {
      ref.fieldTypes = desc.elem.fields.map((f) => (f.kind === 'simple' ? f.code : -1));
    }
    cur.skip(desc.bytes, 'array data');
    return ref;
  }
  await cur.ensure(desc.bytes, `tag value (${desc.kind})`);
  return readInBuffer(cur, desc, le, name);
}

function readInBuffer(cur: Cursor, desc: TypeDesc, le: boolean, name: string): TagValue {
  switch (desc.kind) {
    case 'simple':
      return cur.simple(desc.code, le);
    case 'string':
      return decodeName(cur.bytes(desc.length));
    case 'struct':
      return desc.fields.map((f) => readInBuffer(cur, f, le, name));
    case 'array': {
      if (desc.elem.kind === 'simple') {
        const out: number[] = new Array<number>(desc.count);
        for (let k = 0; k < desc.count; k++) out[k] = Number(cur.simple(desc.elem.code, le));
        if (desc.elem.code === ENC.uint16) return decodeUtf16(out);
        if (desc.elem.code === ENC.bool) return out.map((x) => x !== 0);
        return out;
      }
      const out: TagValue[] = [];
      for (let k = 0; k < desc.count; k++) out.push(readInBuffer(cur, desc.elem, le, name));
      return out;
    }
  }
}

async function parseData(ctx: Ctx, entryOffset: number, bigRef: boolean): Promise<TagData> {
  const { cur, src } = ctx;
  const w = wordBytes(ctx);
  await cur.ensure(4 + w, 'data tag header');
  const delimAt = cur.pos;
  const delim = cur.bytes(4);
  if (delim[0] !== 0x25 || delim[1] !== 0x25 || delim[2] !== 0x25 || delim[3] !== 0x25) {
    throw new FormatError(src.name, delimAt, "data tag delimiter '%%%%'", READER_ID);
  }
  const nAt = cur.pos;
  const n = word(ctx);
  checkedSize(n, src.name, nAt, 'tag info-array length', Math.min(MAX_INFO_WORDS, Math.floor(cur.remaining / w)));
  if (n < 1) throw new FormatError(src.name, nAt, 'tag info-array length ≥ 1', READER_ID);
  await cur.ensure(n * w, 'tag info array');
  const info: number[] = [];
  for (let k = 0; k < n; k++) {
    const x = word(ctx);
    if (Number.isNaN(x)) throw new FormatError(src.name, cur.pos - w, 'an info word within ±2^53', READER_ID);
    info.push(x);
  }
  const [desc, used] = parseType(ctx, info, 0, nAt, 0);
  if (used !== info.length) {
    throw new FormatError(src.name, nAt, `type info of ${info.length} words to be fully used (used ${used})`, READER_ID);
  }
  if (desc.bytes > cur.remaining) {
    throw new FormatError(src.name, cur.pos, `tag value of ${desc.bytes} bytes within the file (${cur.remaining} left)`, READER_ID);
  }
  const value = await readValue(ctx, desc, bigRef);
  return { type: 'data', offset: entryOffset, desc, value };
}

async function parseGroupBody(ctx: Ctx, depth: number, groupName: string): Promise<TagGroup> {
  const { cur, src } = ctx;
  if (depth > MAX_DEPTH) throw new FormatError(src.name, cur.pos, `tag groups nested ≤ ${MAX_DEPTH} deep`, READER_ID);
  const offset = cur.pos;
  const w = wordBytes(ctx);
  await cur.ensure(2 + w, 'tag group header');
  cur.u8(); // sorted flag
  cur.u8(); // open flag
  const nAt = cur.pos;
  const ntags = word(ctx);
  // Every entry takes at least 3 bytes (kind + name length), so this bounds ntags by the file.
  checkedSize(ntags, src.name, nAt, 'tag count', Math.floor(cur.remaining / 3));
  const entries: TagEntry[] = [];
  for (let t = 0; t < ntags; t++) {
    const entryOffset = cur.pos;
    await cur.ensure(3, 'tag entry header');
    const kind = cur.u8();
    const nameLen = cur.u16be();
    await cur.ensure(nameLen + (ctx.v4 ? 8 : 0), 'tag name');
    const name = decodeName(cur.bytes(nameLen));
    let entryEnd = -1;
    if (ctx.v4) {
      const lenAt = cur.pos;
      const len = cur.i64be();
      checkedSize(len, src.name, lenAt, 'DM4 tag length', Number.MAX_SAFE_INTEGER);
      if (len > cur.remaining) {
        throw new FormatError(src.name, lenAt, `DM4 tag length ${len} within the file (${cur.remaining} left)`, READER_ID);
      }
      entryEnd = cur.pos + len;
    }
    if (kind === 20) {
      entries.push({ name, node: await parseGroupBody(ctx, depth + 1, name) });
    } else if (kind === 21) {
      entries.push({ name, node: await parseData(ctx, entryOffset, groupName === 'ImageData' && name === 'Data') });
    } else if (kind === 0 && ctx.v4 === false) {
      // A zero kind is the end-of-file marker; a well-formed group never contains it.
      throw new FormatError(src.name, entryOffset, 'a tag entry (20 group / 21 data), found end marker', READER_ID);
    } else {
      throw new FormatError(src.name, entryOffset, `tag entry kind 20 (group) or 21 (data), got ${kind}`, READER_ID);
    }
    if (ctx.v4 && cur.pos !== entryEnd) {
      // DM4 states each entry's length: a mismatch means we mis-read the type information.
      throw new FormatError(src.name, entryOffset, `DM4 tag '${name}' to end at ${entryEnd} (parsed to ${cur.pos})`, READER_ID);
    }
  }
  return { type: 'group', offset, entries };
}

/** Parse the header and the full tag tree, reading only tag bytes (big arrays are skipped). */
export async function parseDmTags(src: FileSource): Promise<DmTagFile> {
  const header = await parseDmHeader(src);
  const cur = new Cursor(src, header.rootOffset);
  const ctx: Ctx = { src, cur, v4: header.version === 4, le: header.littleEndian };
  const root = await parseGroupBody(ctx, 0, '');
  return { header, root };
}

/* ---------- navigation helpers ---------- */

export function child(g: TagGroup | undefined, name: string): TagGroup | TagData | undefined {
  if (!g) return undefined;
  for (const e of g.entries) if (e.name === name) return e.node;
  return undefined;
}

/** Follow a dotted-free path of names (array of names) from a group. */
export function lookup(g: TagGroup | undefined, path: readonly string[]): TagGroup | TagData | undefined {
  let node: TagGroup | TagData | undefined = g;
  for (const p of path) {
    if (!node || node.type !== 'group') return undefined;
    node = child(node, p);
  }
  return node;
}

export function group(g: TagGroup | undefined, path: readonly string[]): TagGroup | undefined {
  const n = lookup(g, path);
  return n && n.type === 'group' ? n : undefined;
}

export function value(g: TagGroup | undefined, path: readonly string[]): TagValue | undefined {
  const n = lookup(g, path);
  return n && n.type === 'data' ? n.value : undefined;
}

export function num(g: TagGroup | undefined, path: readonly string[]): number | undefined {
  const v = value(g, path);
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return undefined;
}

export function str(g: TagGroup | undefined, path: readonly string[]): string | undefined {
  const v = value(g, path);
  return typeof v === 'string' ? v : undefined;
}
