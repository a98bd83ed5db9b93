/**
 * Parser for BioLogic EC-Lab binary files (.mpr). Pure: byte ranges in, structures out; the reader
 * (reader.ts) does the I/O and reads the data block lazily.
 *
 * Container (see README.md for the evidence behind each offset):
 *
 *   0     52-byte magic "BIO-LOGIC MODULAR FILE\x1a" + spaces + 4 zero bytes
 *   52    modules, back to back, each:
 *           "MODULE"  then a header, in one of two layouts:
 *           EC-Lab < 11.50 (51 bytes): short name [10] · long name [25] · length u32 · version u32 · date [8]
 *           EC-Lab ≥ 11.50 (59 bytes): short name [10] · long name [25] · 0xFFFFFFFF u32 ·
 *                                      length u32 · version u32 · version₂ u32 · date [8]
 *           then `length` bytes of body.
 *   The ≥ 11.50 layout is recognised by the 0xFFFFFFFF where the old one has its length (galvani
 *   VMPmodule_hdr_v2; yadg module_header_dtypes); every module of a file uses the same layout.
 *
 * Modules: "VMP Set" (settings), "VMP data", "VMP LOG", "VMP loop" (loop indexes), "VMP ExtDev"
 * (external-device channels). Data module body:
 *
 *   0   rows u32 · 4 columns u8 · 5 column IDs, then zero padding, then rows × record bytes:
 *   layout          header                       IDs              records at
 *   'u8@100'        < 11.50, version 0 (10.x)    u8               100     (galvani)
 *   'le16@405'      < 11.50, version 2           u16 LE           405     (galvani, yadg; cv.mpr, zir.mpr, biol.mpr)
 *   'le16@406'      < 11.50, version 3           u16 LE           406     (galvani, yadg; peis.mpr, ca.mpr, …)
 *   'be16@1007'     ≥ 11.50, version 0 + 11      u16 BE           1007    (galvani, yadg; gcpl.issue_149.mpr, …)
 *
 * Each record holds the columns in ID order at their natural widths, little-endian, unaligned;
 * the flag IDs share one byte at the first flag ID's place (column-ids.ts).
 */
import type { ColumnArray, DType, MetaTree, MetaValue, Quantity } from '../../api/dataset.js';
import { FormatError } from '../format-error.js';
import type { ArrayCtor } from '../array-io.js';
import { decodeWindows1252 } from '../biologic-mpt/parse-mpt.js';
import { MPR_MAGIC, MPR_MAGIC_BYTES } from './spec.js';
import {
  BINARY_TYPE_BYTES,
  BINARY_TYPE_DTYPE,
  FLAG_COLUMNS,
  labelFor,
  type LabelContext,
  type MprBinaryType,
} from './column-ids.js';
import { TECHNIQUES } from './techniques.js';
import { parseTechniqueParams, type ParamValue } from './technique-params.js';

export const READER_ID = 'biologic-mpr';

export const MODULE_KEYWORD = 'MODULE';
export const MODULE_HEADER_OLD = 51;
export const MODULE_HEADER_NEW = 59;

function err(file: string, offset: number | null, expected: string): FormatError {
  return new FormatError(file, offset, expected, READER_ID);
}

// ---------------------------------------------------------------------------------------------
// Small readers

const le = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

function ascii(b: Uint8Array, start: number, length: number): string {
  let s = '';
  for (let i = start; i < start + length && i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

/** A Delphi short string (length byte + Windows-1252 bytes), or undefined when it runs off the body. */
function pascal(b: Uint8Array, at: number): string | undefined {
  if (at >= b.length) return undefined;
  const n = b[at]!;
  if (at + 1 + n > b.length) return undefined;
  return decodeWindows1252(b.subarray(at + 1, at + 1 + n));
}

/** The shortest decimal that is the same float32: what the user typed into EC-Lab's dialog. */
export function float32Decimal(v: number): number {
  if (!Number.isFinite(v) || v === 0) return v;
  for (let p = 1; p <= 9; p++) {
    const d = Number(v.toPrecision(p));
    if (Math.fround(d) === v) return d;
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// Magic and module headers

export function checkMagic(head: Uint8Array, file: string): void {
  if (head.length < MPR_MAGIC_BYTES) throw err(file, head.length, `the ${MPR_MAGIC_BYTES}-byte "BIO-LOGIC MODULAR FILE" magic (file has ${head.length} bytes)`);
  for (let i = 0; i < MPR_MAGIC_BYTES; i++) {
    if (head[i] !== MPR_MAGIC[i]) throw err(file, i, `byte 0x${MPR_MAGIC[i]!.toString(16).padStart(2, '0')} of the .mpr magic (got 0x${head[i]!.toString(16).padStart(2, '0')})`);
  }
}

export type ModuleHeaderLayout = 'pre-11.50' | '11.50';

export interface MprModule {
  shortName: string;
  longName: string;
  /** Offset of the "MODULE" keyword. */
  offset: number;
  /** Offset of the module body. */
  bodyOffset: number;
  length: number;
  headerLayout: ModuleHeaderLayout;
  /** The header's version field. */
  version: number;
  /** ≥ 11.50 only: the second version field (10 for Set/LOG/loop, 11 for data in the corpus). */
  version2?: number;
  /** Header date, verbatim ("12/07/23", "03.15.17"). */
  date: string;
  /** The same as ISO YYYY-MM-DD when it parses. */
  isoDate?: string;
}

/**
 * Parse the module header at `offset`. `bytes` holds the file from `offset` on (at least the
 * keyword and the longest header, or up to the end of the file).
 */
export function parseModuleHeader(bytes: Uint8Array, offset: number, fileSize: number, file: string): MprModule {
  if (bytes.length < 6 || ascii(bytes, 0, 6) !== MODULE_KEYWORD) {
    throw err(file, offset, `"MODULE" (start of the next module; got ${JSON.stringify(ascii(bytes, 0, 6))})`);
  }
  const h = bytes.subarray(6);
  if (h.length < MODULE_HEADER_OLD) throw err(file, offset + 6, `a ${MODULE_HEADER_OLD}-byte module header (file ends after ${h.length} bytes)`);
  const dv = le(h);
  const isNew = dv.getUint32(35, true) === 0xffffffff;
  if (isNew && h.length < MODULE_HEADER_NEW) throw err(file, offset + 6, `a ${MODULE_HEADER_NEW}-byte module header (file ends after ${h.length} bytes)`);
  const shortName = ascii(h, 0, 10).replace(/[\0 ]+$/, '');
  const longName = ascii(h, 10, 25).replace(/[\0 ]+$/, '');
  const lengthAt = isNew ? 39 : 35;
  const length = dv.getUint32(lengthAt, true);
  const version = dv.getUint32(lengthAt + 4, true);
  const version2 = isNew ? dv.getUint32(lengthAt + 8, true) : undefined;
  const dateAt = isNew ? 51 : 43;
  const date = ascii(h, dateAt, 8).replace(/[\0 ]+$/, '');
  const bodyOffset = offset + 6 + (isNew ? MODULE_HEADER_NEW : MODULE_HEADER_OLD);
  if (bodyOffset + length > fileSize) {
    throw err(file, offset + 6 + lengthAt, `module "${shortName}" length ≤ ${fileSize - bodyOffset} bytes left in the file (got ${length})`);
  }
  const mod: MprModule = { shortName, longName, offset, bodyOffset, length, headerLayout: isNew ? '11.50' : 'pre-11.50', version, date };
  if (version2 !== undefined) mod.version2 = version2;
  const iso = parseModuleDate(date);
  if (iso) mod.isoDate = iso;
  return mod;
}

/**
 * Module dates are month-first with a two-digit year and '/', '-' or '.' between (galvani
 * parse_BioLogic_date; cv.mpr "01.10.18" is the 01/10/2018 of cv.mpt). Two-digit years follow
 * POSIX strptime %y: 69–99 → 19xx, 00–68 → 20xx.
 */
export function parseModuleDate(text: string): string | undefined {
  const m = /^(\d\d)([/.-])(\d\d)\2(\d\d)$/.exec(text);
  if (!m) return undefined;
  const month = Number(m[1]);
  const day = Number(m[3]);
  const yy = Number(m[4]);
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  const year = yy >= 69 ? 1900 + yy : 2000 + yy;
  return `${year}-${m[1]}-${m[3]}`;
}

// ---------------------------------------------------------------------------------------------
// Settings module

export interface MprSettings {
  techniqueId: number;
  technique?: string;
  comments?: string;
  activeMass?: Quantity;
  atX?: number;
  molecularWeight?: number;
  atomicWeight?: number;
  acquisitionStartXo?: number;
  electronsTransferred?: number;
  electrodeMaterial?: string;
  electrolyte?: string;
  electrodeArea?: Quantity;
  referenceElectrode?: string;
  characteristicMass?: Quantity;
  batteryCapacity?: Quantity;
  /** Technique parameter table (technique-params.ts): number of sequences Ns. */
  sequences?: number;
  /** "Cycle Definition" as the .mpt prints it, when the binary stores it (not located yet). */
  cycleDefinition?: string;
  /** Parameter name as the .mpt prints it → one value per sequence (durations in s, "pass" for none). */
  techniqueParams?: Record<string, ParamValue[]>;
}

/** Electrode-area unit byte at 0x250: 2 → cm² (ca.mpt, ocv.mpt), 3 → mm² (gcpl.issue_226.I.mpt). */
const AREA_UNITS = new Map([
  [2, 'cm²'],
  [3, 'mm²'],
]);
/** Characteristic-mass unit byte at 0x251: 1 → g (peis.mpt), 2 → mg (ocv.mpt, gcpl.issue_226.I.mpt). */
const MASS_UNITS = new Map([
  [1, 'g'],
  [2, 'mg'],
]);

/**
 * Cell characteristics at fixed offsets of the settings body (yadg mpr_columns.settings_dtypes,
 * every value checked against the .mpt twins' "Mass of active material", "Electrode surface area",
 * "Characteristic mass", "Battery capacity", "Electrode material", "Electrolyte" lines).
 * Units, inferred from the twins: active mass in mg (ca.mpt 0.875 mg, bcd.issue_241.mpt 7000 mg);
 * battery capacity in mA·h whatever unit the dialog shows (ca.mpt "105.000 µA.h" is stored 0.105,
 * mb.issue_95.mpt "1.300 A.h" is stored 1300); area and characteristic mass carry a unit byte.
 */
export function parseSettings(body: Uint8Array, bodyOffset: number, warnings: string[]): MprSettings {
  if (body.length === 0) {
    warnings.push('settings module is empty: technique unknown');
    return { techniqueId: -1 };
  }
  const s: MprSettings = { techniqueId: body[0]! };
  const name = TECHNIQUES.get(s.techniqueId);
  if (name) s.technique = name;
  else warnings.push(`technique byte 0x${s.techniqueId.toString(16).padStart(2, '0')} (settings module @ byte ${bodyOffset}) is not in the technique table`);
  const table = parseTechniqueParams(body, bodyOffset, s.techniqueId, warnings);
  if (table) {
    s.sequences = table.sequences;
    if (table.cycleDefinition !== undefined) s.cycleDefinition = table.cycleDefinition;
    s.techniqueParams = table.params;
  }
  if (body.length < 0x262) {
    warnings.push(`settings module is ${body.length} bytes, shorter than the cell-characteristics block (0x262): not read`);
    return s;
  }
  const dv = le(body);
  const f32 = (at: number) => float32Decimal(dv.getFloat32(at, true));
  const str = (at: number, key: string) => {
    const v = pascal(body, at);
    if (v === undefined) warnings.push(`settings: ${key} string @ byte ${bodyOffset + at} runs past the module`);
    return v;
  };
  const comments = str(0x0007, 'comments');
  if (comments) s.comments = comments;
  s.activeMass = { value: f32(0x0107), unit: 'mg' };
  s.atX = f32(0x010b);
  s.molecularWeight = f32(0x010f);
  s.atomicWeight = f32(0x0113);
  s.acquisitionStartXo = f32(0x0117);
  s.electronsTransferred = dv.getUint16(0x011b, true);
  const material = str(0x011e, 'electrode material');
  if (material !== undefined) s.electrodeMaterial = material;
  const electrolyte = str(0x01c0, 'electrolyte');
  if (electrolyte !== undefined) s.electrolyte = electrolyte;
  const areaUnit = AREA_UNITS.get(body[0x250]!);
  const area = f32(0x0211);
  if (areaUnit) s.electrodeArea = { value: area, unit: areaUnit };
  else warnings.push(`electrode area ${area}: unit byte ${body[0x250]} @ byte ${bodyOffset + 0x250} unknown, area not reported`);
  const ref = str(0x0215, 'reference electrode');
  if (ref !== undefined) s.referenceElectrode = ref;
  const massUnit = MASS_UNITS.get(body[0x251]!);
  const cm = f32(0x024c);
  if (massUnit) s.characteristicMass = { value: cm, unit: massUnit };
  else warnings.push(`characteristic mass ${cm}: unit byte ${body[0x251]} @ byte ${bodyOffset + 0x251} unknown, not reported`);
  s.batteryCapacity = { value: f32(0x025c), unit: 'mA·h' };
  return s;
}

// ---------------------------------------------------------------------------------------------
// LOG, loop and ExtDev modules

export interface MprLog {
  /** 1-based, as the .mpt's "Run on channel" prints it (the byte is 0-based). */
  channel?: number;
  channelSerial?: number;
  /** Acquisition start as OLE automation date (days since 1899-12-30, local time). */
  oleTimestamp?: number;
  oleOffset?: number;
  acquisitionTime?: string;
  fileName?: string;
  host?: string;
  address?: string;
  ecLabVersion?: string;
  serverVersion?: string;
  interpreterVersion?: string;
  deviceSerial?: string;
  averagingPoints?: number;
}

/** OLE automation date → ISO 8601 local time with milliseconds (no zone: the file states none). */
export function oleToIso(days: number): string {
  const ms = Math.round(days * 86_400_000);
  const d = new Date(Date.UTC(1899, 11, 30) + ms);
  return d.toISOString().replace('Z', '');
}

/** ISO local time → OLE automation date (used by the fixture writer and tests). */
export function isoToOle(iso: string): number {
  const t = Date.parse(`${iso}Z`);
  return (t - Date.UTC(1899, 11, 30)) / 86_400_000;
}

/**
 * LOG module. Offsets from yadg (mpr_columns.log_dtypes) and checked on every corpus file with a
 * LOG module: channel byte 0x09 + 1 = "Run on channel" (ocv.mpt: byte 12, channel 13), SN u16 at
 * 0xAB = its "(SN 15939)", device SN at 0x3CF = "Device : VMP3 (SN 1083)", version at 0x3B7 =
 * "EC-Lab for windows v11.30". The OLE start time sits at 0x249 in all of them (EC-Lab 11.10–11.61)
 * and equals "Acquisition started on" to the millisecond; galvani also finds it at 465, 469 or 473
 * in older files, tried next. A candidate is taken when its date equals the start date of the
 * settings module's header (galvani's own check).
 */
export function parseLog(body: Uint8Array, bodyOffset: number, startDate: string | undefined, warnings: string[]): MprLog {
  const log: MprLog = {};
  const dv = le(body);
  if (body.length > 0x09) log.channel = body[0x09]! + 1;
  if (body.length >= 0xad) log.channelSerial = dv.getUint16(0xab, true);
  let fallback: { at: number; v: number } | undefined;
  for (const at of [0x249, 465, 469, 473]) {
    if (at + 8 > body.length) continue;
    const v = dv.getFloat64(at, true);
    if (!(v > 20_000 && v < 80_000)) continue; // 1954–2119
    const iso = oleToIso(v);
    if (startDate === undefined || iso.startsWith(startDate)) {
      log.oleTimestamp = v;
      log.oleOffset = at;
      log.acquisitionTime = iso;
      break;
    }
    fallback ??= { at, v };
  }
  if (log.oleTimestamp === undefined && fallback) {
    log.oleTimestamp = fallback.v;
    log.oleOffset = fallback.at;
    log.acquisitionTime = oleToIso(fallback.v);
    warnings.push(`LOG start time ${log.acquisitionTime} (@ byte ${bodyOffset + fallback.at}) is not on the settings date ${startDate}`);
  }
  if (log.oleTimestamp === undefined) warnings.push(`no acquisition start time found in the LOG module (@ byte ${bodyOffset})`);
  // The strings below are only where yadg puts them in the layout whose time stamp is at 0x249.
  if (log.oleOffset === 0x249) {
    const set = (key: 'fileName' | 'host' | 'address' | 'ecLabVersion' | 'serverVersion' | 'interpreterVersion' | 'deviceSerial', at: number) => {
      const v = pascal(body, at);
      if (v !== undefined) log[key] = v;
    };
    set('fileName', 0x251);
    set('host', 0x351);
    set('address', 0x384);
    set('ecLabVersion', 0x3b7);
    set('serverVersion', 0x3be);
    set('interpreterVersion', 0x3c5);
    set('deviceSerial', 0x3cf);
    if (body.length > 0x922) log.averagingPoints = body[0x922]!;
  }
  return log;
}

export interface MprLoops {
  /** Row index at which each loop starts, then the row count (gcpl.issue_149: 0, 33, 66, 99, 132). */
  indexes: number[];
  /** As the .mpt prints them: "Loop i from point number a to b". */
  loops: { index: number; from: number; to: number }[];
}

/** Loop module: count u32, then count × u32 row indexes (yadg process_loop; gcpl.issue_149.mpt). */
export function parseLoops(body: Uint8Array, bodyOffset: number, file: string): MprLoops {
  if (body.length < 4) throw err(file, bodyOffset, 'a 4-byte loop count');
  const dv = le(body);
  const n = dv.getUint32(0, true);
  if (4 + 4 * n > body.length) throw err(file, bodyOffset, `${n} loop indexes within the ${body.length}-byte loop module`);
  const indexes: number[] = [];
  for (let i = 0; i < n; i++) indexes.push(dv.getUint32(4 + 4 * i, true));
  const loops: MprLoops['loops'] = [];
  for (let i = 0; i + 1 < indexes.length; i++) loops.push({ index: i, from: indexes[i]!, to: indexes[i + 1]! - 1 });
  return { indexes, loops };
}

export interface MprExtDevChannel {
  name: string;
  maxV: number;
  minV: number;
  maxX: number;
  minX: number;
}

/**
 * ExtDev module: two analog-input definitions (name, then the V range and the mapped physical
 * range) at 0x36 and 0x63 (yadg extdev_dtypes; vsp_ocv_with.mpr: "Force/N" 0–10 V → 0–1100,
 * "Temperatur/°C" 0–10 V → 0–150).
 */
export function parseExtDev(body: Uint8Array): MprExtDevChannel[] {
  const out: MprExtDevChannel[] = [];
  const dv = le(body);
  for (const [nameAt, valuesAt] of [
    [0x36, 0x52],
    [0x63, 0x7f],
  ] as const) {
    const name = pascal(body, nameAt);
    // An empty name is an input that was never configured (its ranges are zero too).
    if (!name || valuesAt + 16 > body.length) continue;
    out.push({
      name,
      maxV: float32Decimal(dv.getFloat32(valuesAt, true)),
      minV: float32Decimal(dv.getFloat32(valuesAt + 4, true)),
      maxX: float32Decimal(dv.getFloat32(valuesAt + 8, true)),
      minX: float32Decimal(dv.getFloat32(valuesAt + 12, true)),
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Data module header

export type DataLayout = 'u8@100' | 'le16@405' | 'le16@406' | 'be16@1007';

export const DATA_LAYOUT_OFFSET: Readonly<Record<DataLayout, number>> = {
  'u8@100': 100,
  'le16@405': 405,
  'le16@406': 406,
  'be16@1007': 1007,
};

/** Bytes of the data module body the header needs (the longest layout's records start). */
export const DATA_HEADER_BYTES = 1007;

export interface MprDataHeader {
  layout: DataLayout;
  rowCount: number;
  /** Absolute offset of the row-count field (for errors). */
  rowCountOffset: number;
  columnIds: number[];
  /** Absolute offset of the first record. */
  recordsOffset: number;
  /** Bytes from the first record to the end of the module. */
  recordsBytes: number;
}

export function dataLayoutFor(mod: MprModule, prefix: Uint8Array, file: string): DataLayout {
  if (mod.headerLayout === '11.50') {
    // yadg: version = version + version₂ ∈ {10, 11} → big-endian IDs at 0x3EF.
    const v = mod.version + (mod.version2 ?? 0);
    if (v === 10 || v === 11) return 'be16@1007';
    throw err(file, mod.offset + 6 + 43, `data module version 10 or 11 in an EC-Lab ≥ 11.50 header (got ${mod.version} + ${mod.version2})`);
  }
  if (mod.version === 2) return 'le16@405';
  if (mod.version === 3) return 'le16@406';
  if (mod.version === 0) {
    // galvani: version-0 data modules list u8 IDs from byte 5 (EC-Lab 10.x), unless byte 5 is 0,
    // in which case they are the ≥ 11.50 big-endian u16 IDs.
    return prefix.length > 5 && prefix[5] === 0 ? 'be16@1007' : 'u8@100';
  }
  throw err(file, mod.offset + 6 + 39, `data module version 0, 2 or 3 (got ${mod.version})`);
}

/** `prefix`: the first min(length, DATA_HEADER_BYTES) bytes of the data module body. */
export function parseDataHeader(mod: MprModule, prefix: Uint8Array, file: string): MprDataHeader {
  const at = mod.bodyOffset;
  if (prefix.length < 5) throw err(file, at, `a data module of at least 5 bytes (row count, column count; got ${mod.length})`);
  const layout = dataLayoutFor(mod, prefix, file);
  const dv = le(prefix);
  const rowCount = dv.getUint32(0, true);
  const nCols = prefix[4]!;
  const idBytes = layout === 'u8@100' ? 1 : 2;
  const start = DATA_LAYOUT_OFFSET[layout];
  if (5 + nCols * idBytes > start) throw err(file, at + 4, `at most ${Math.floor((start - 5) / idBytes)} columns for layout ${layout} (got ${nCols})`);
  if (mod.length < start) throw err(file, at, `a data module of at least ${start} bytes for layout ${layout} (got ${mod.length})`);
  const columnIds: number[] = [];
  for (let i = 0; i < nCols; i++) {
    const p = 5 + i * idBytes;
    columnIds.push(layout === 'u8@100' ? prefix[p]! : layout === 'be16@1007' ? dv.getUint16(p, false) : dv.getUint16(p, true));
  }
  return { layout, rowCount, rowCountOffset: at, columnIds, recordsOffset: at + start, recordsBytes: mod.length - start };
}

// ---------------------------------------------------------------------------------------------
// Record layout

export interface MprColumn {
  /** Column ID as stored. */
  id: number;
  /** EC-Lab label ("Ewe/V"), or "unknown column <id>". */
  label: string;
  known: boolean;
  isFlag: boolean;
  type: MprBinaryType;
  /** Byte offset within a record. */
  offset: number;
  mask: number;
  shift: number;
  dtype: DType;
}

export interface RecordLayout {
  columns: MprColumn[];
  recordBytes: number;
}

function shiftOf(mask: number): number {
  let s = 0;
  while (((mask >> s) & 1) === 0 && s < 8) s++;
  return s;
}

/** Layout from IDs, with `unknownTypes` giving a type to each unknown ID position. */
export function buildLayout(ids: readonly number[], ctx: LabelContext, unknownTypes: ReadonlyMap<number, MprBinaryType>): RecordLayout {
  const columns: MprColumn[] = [];
  let offset = 0;
  let flagOffset = -1;
  ids.forEach((id, k) => {
    const flag = FLAG_COLUMNS.get(id);
    if (flag) {
      if (flagOffset < 0) {
        flagOffset = offset;
        offset += 1;
      }
      columns.push({ id, label: flag.label, known: true, isFlag: true, type: 'u1', offset: flagOffset, mask: flag.mask, shift: shiftOf(flag.mask), dtype: 'uint8' });
      return;
    }
    const def = labelFor(id, ctx);
    const type = def?.type ?? unknownTypes.get(k);
    if (type === undefined) throw new Error(`internal: no type for column ${k} (ID ${id})`);
    columns.push({
      id,
      label: def?.label ?? `unknown column ${id}`,
      known: def !== undefined,
      isFlag: false,
      type,
      offset,
      mask: 0,
      shift: 0,
      dtype: BINARY_TYPE_DTYPE[type],
    });
    offset += BINARY_TYPE_BYTES[type];
  });
  return { columns, recordBytes: offset };
}

/** Bytes the known columns take (flags once). */
export function knownBytes(ids: readonly number[], ctx: LabelContext): { bytes: number; unknown: number[] } {
  let bytes = 0;
  let flags = false;
  const unknown: number[] = [];
  ids.forEach((id, k) => {
    if (FLAG_COLUMNS.has(id)) {
      if (!flags) bytes += 1;
      flags = true;
      return;
    }
    const def = labelFor(id, ctx);
    if (def) bytes += BINARY_TYPE_BYTES[def.type];
    else unknown.push(k);
  });
  return { bytes, unknown };
}

export function readValue(dv: DataView, p: number, c: MprColumn): number {
  switch (c.type) {
    case 'f8':
      return dv.getFloat64(p + c.offset, true);
    case 'f4':
      return dv.getFloat32(p + c.offset, true);
    case 'u4':
      return dv.getUint32(p + c.offset, true);
    case 'u2':
      return dv.getUint16(p + c.offset, true);
    case 'u1':
      return c.isFlag ? (dv.getUint8(p + c.offset) & c.mask) >> c.shift : dv.getUint8(p + c.offset);
  }
}

/** Decodes `rows` records of `bytes` into `outs[j]` (one per column) starting at row `outStart`. */
export type RecordDecoder = (bytes: Uint8Array, rows: number, outs: ColumnArray[], outStart: number) => void;

/**
 * The typed array each stored type is read into: the stored width, as galvani's numpy arrays
 * keep it (float32 stays float32; flags become 0/1 bytes). Widening every column to float64
 * doubled the memory a 1M-row file takes and, on this machine, the time to fault it in.
 */
export const STORED_ARRAY: Readonly<Record<MprBinaryType, ArrayCtor<ColumnArray>>> = {
  u1: Uint8Array,
  u2: Uint16Array,
  u4: Uint32Array,
  f4: Float32Array,
  f8: Float64Array,
};

const DV_GETTER: Readonly<Record<Exclude<MprBinaryType, 'u1'>, string>> = { f8: 'getFloat64', f4: 'getFloat32', u4: 'getUint32', u2: 'getUint16' };

/**
 * Build a decoder for these columns of records `recordBytes` long: one pass over the records,
 * every requested field of a record read while its cache line is loaded.
 *
 * Why generated code: a generic loop that switches on each column's type per value runs ~2× slower
 * than straight-line code (the bench's 1M-row file: ~45 ms vs ~20 ms). The source is built only
 * from this module's templates and integers checked here (offsets, masks, shifts, record size),
 * never from file text, so nothing read from a file is evaluated.
 */
export function compileRecordDecoder(recordBytes: number, cols: readonly MprColumn[]): RecordDecoder {
  const int = (v: number, what: string): number => {
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`internal: ${what} ${v} is not a non-negative integer`);
    return v;
  };
  int(recordBytes, 'record size');
  const lines: string[] = [];
  const flagBytes = new Map<number, string>();
  cols.forEach((c, j) => {
    const off = int(c.offset, 'column offset');
    if (off + BINARY_TYPE_BYTES[c.type] > recordBytes) throw new Error(`internal: column ${j} (${c.label}) ends past the ${recordBytes}-byte record`);
    if (c.type === 'u1') {
      if (c.isFlag) {
        let v = flagBytes.get(off);
        if (v === undefined) {
          v = `b${off}`;
          flagBytes.set(off, v);
          lines.push(`const ${v} = bytes[p + ${off}];`);
        }
        lines.push(`o${j}[o] = (${v} & ${int(c.mask, 'flag mask')}) >> ${int(c.shift, 'flag shift')};`);
      } else {
        lines.push(`o${j}[o] = bytes[p + ${off}];`);
      }
    } else {
      lines.push(`o${j}[o] = dv.${DV_GETTER[c.type]}(p + ${off}, true);`);
    }
  });
  const body = [
    'const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);',
    ...cols.map((_, j) => `const o${j} = outs[${j}];`),
    `for (let r = 0, p = 0, o = outStart; r < rows; r++, p += ${recordBytes}, o++) {`,
    ...lines.map((l) => '  ' + l),
    '}',
  ].join('\n');
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- see the comment above: templates and checked integers only
  return new Function('bytes', 'rows', 'outs', 'outStart', body) as RecordDecoder;
}

/** The reference decoder (one column at a time, no generated code); the tests compare both. */
export function decodeColumns(bytes: Uint8Array, rows: number, recordBytes: number, cols: readonly MprColumn[], outs: ColumnArray[], outStart: number): void {
  const dv = le(bytes);
  for (let j = 0; j < cols.length; j++) {
    const c = cols[j]!;
    const out = outs[j]!;
    for (let o = outStart, p = 0; o < outStart + rows; o++, p += recordBytes) out[o] = readValue(dv, p, c);
  }
}

// ---------------------------------------------------------------------------------------------
// Unknown column IDs

/** Values of a sibling .mpt, aligned by column position (position k ↔ the file's k-th ID). */
export interface MptReference {
  labels: string[];
  /** Normalised names (mapColumnLabel) per position, to check the alignment. */
  names: string[];
  /** First rows of each column, or undefined when the column was not read. */
  values: (ColumnArray | undefined)[];
}

export interface UnknownInference {
  types: Map<number, MprBinaryType>;
  /** How the widths were decided, for the warning. */
  basis: 'record size' | 'record size and sibling .mpt' | 'record size and plausibility' | 'no rows';
  /** Position → the .mpt label whose values agree, when a sibling .mpt decided. */
  mptLabels: Map<number, string>;
}

const WIDTH_TYPES: Readonly<Record<number, MprBinaryType[]>> = { 1: ['u1'], 2: ['u2'], 4: ['f4', 'u4'], 8: ['f8'] };
const MAX_CANDIDATES = 4096;

function plausible(v: number, type: MprBinaryType): boolean {
  if (type === 'f4' || type === 'f8') return Number.isFinite(v) && (v === 0 || (Math.abs(v) > 1e-30 && Math.abs(v) < 1e30));
  if (type === 'u4') return v < 1 << 24;
  return v < 1000;
}

function agrees(v: number, ref: number): boolean {
  if (Number.isNaN(v) || Number.isNaN(ref)) return Number.isNaN(v) && Number.isNaN(ref);
  // The .mpt prints float32 values with 8 significant digits, float64 with 16.
  return Math.abs(v - ref) <= 1e-6 * Math.max(Math.abs(v), Math.abs(ref)) + 1e-30;
}

/**
 * Decide the binary types of unknown column IDs. The record size is known (module bytes / rows),
 * so the unknown widths must add up to what the known columns leave; with one unknown column that
 * fixes its width. Width 4 may be float32 or uint32. Every way of splitting the remainder into
 * widths 1/2/4/8 is scored on the first sample rows — against the sibling .mpt's values when one
 * is aligned, else on plausibility (finite, not denormal, small integers) — and the best must win
 * outright; a tie between different widths is a FormatError rather than a guess.
 */
export function inferUnknownTypes(
  ids: readonly number[],
  ctx: LabelContext,
  recordBytes: number | null,
  sample: Uint8Array,
  sampleRows: number,
  reference: MptReference | undefined,
  file: string,
  errorOffset: number,
): UnknownInference {
  const { bytes: known, unknown } = knownBytes(ids, ctx);
  const mptLabels = new Map<number, string>();
  if (unknown.length === 0) return { types: new Map(), basis: 'record size', mptLabels };
  if (recordBytes === null || sampleRows === 0) {
    // No rows: nothing will ever be read, the width does not matter. float64 is declared.
    return { types: new Map(unknown.map((k) => [k, 'f8' as const])), basis: 'no rows', mptLabels };
  }
  const remainder = recordBytes - known;
  if (remainder < unknown.length || remainder > 8 * unknown.length) {
    throw err(file, errorOffset, `record of ${recordBytes} bytes to leave 1–8 bytes per unknown column ID (${unknown.map((k) => ids[k]).join(', ')}); known columns take ${known}`);
  }
  // Enumerate width splits.
  const splits: number[][] = [];
  const cur: number[] = [];
  const walk = (i: number, left: number) => {
    if (splits.length > MAX_CANDIDATES) return;
    if (i === unknown.length) {
      if (left === 0) splits.push([...cur]);
      return;
    }
    const rest = unknown.length - i - 1;
    for (const w of [1, 2, 4, 8]) {
      if (left - w < rest || left - w > 8 * rest) continue;
      cur.push(w);
      walk(i + 1, left - w);
      cur.pop();
    }
  };
  walk(0, remainder);
  if (splits.length === 0) throw err(file, errorOffset, `a split of ${remainder} bytes into widths 1/2/4/8 for unknown column IDs ${unknown.map((k) => ids[k]).join(', ')}`);
  if (splits.length > MAX_CANDIDATES) throw err(file, errorOffset, `at most ${MAX_CANDIDATES} candidate layouts for ${unknown.length} unknown column IDs`);

  // Is the reference aligned? Every known position it covers must carry the same name.
  let ref = reference;
  if (ref) {
    for (let k = 0; k < ids.length && k < ref.names.length; k++) {
      if (unknown.includes(k)) continue;
      const def = FLAG_COLUMNS.get(ids[k]!)?.label ?? labelFor(ids[k]!, ctx)?.label;
      if (def !== undefined && ref.labels[k] !== undefined && normaliseForCompare(def) !== normaliseForCompare(ref.labels[k]!)) {
        ref = undefined;
        break;
      }
    }
  }
  const dv = le(sample);
  const rows = sampleRows;
  let best: { score: number; types: Map<number, MprBinaryType>; widths: string } | undefined;
  let tie = false;
  for (const split of splits) {
    // Per unknown column, the type of its width that scores best.
    const types = new Map<number, MprBinaryType>();
    unknown.forEach((k, i) => types.set(k, WIDTH_TYPES[split[i]!]![0]!));
    let layout = buildLayout(ids, ctx, types);
    let score = 0;
    for (let j = 0; j < layout.columns.length; j++) {
      const isUnknown = unknown.includes(j);
      const candidates = isUnknown ? WIDTH_TYPES[BINARY_TYPE_BYTES[types.get(j)!]]! : [layout.columns[j]!.type];
      let colBest = -Infinity;
      let colType = candidates[0]!;
      for (const t of candidates) {
        const c = { ...layout.columns[j]!, type: t };
        let s = 0;
        const refCol = ref?.values[j];
        for (let r = 0; r < rows; r++) {
          const v = readValue(dv, r * recordBytes, c);
          if (refCol && r < refCol.length) s += agrees(v, refCol[r]!) ? 4 : -4;
          else s += plausible(v, t) ? 1 : -1;
        }
        if (s > colBest) {
          colBest = s;
          colType = t;
        }
      }
      if (isUnknown) types.set(j, colType);
      score += colBest;
    }
    layout = buildLayout(ids, ctx, types);
    const widths = split.join(',');
    if (!best || score > best.score) {
      best = { score, types, widths };
      tie = false;
    } else if (score === best.score && widths !== best.widths) tie = true;
  }
  if (!best || tie) {
    throw err(file, errorOffset, `one way to lay out unknown column IDs ${unknown.map((k) => ids[k]).join(', ')} in a ${recordBytes}-byte record (several fit equally; a sibling .mpt would decide)`);
  }
  if (ref) {
    for (const k of unknown) {
      const refCol = ref.values[k];
      const label = ref.labels[k];
      if (!refCol || label === undefined) continue;
      const c = buildLayout(ids, ctx, best.types).columns[k]!;
      let ok = true;
      for (let r = 0; r < rows && r < refCol.length; r++) if (!agrees(readValue(dv, r * recordBytes, c), refCol[r]!)) ok = false;
      if (ok) mptLabels.set(k, label);
    }
  }
  const basis = ref ? 'record size and sibling .mpt' : unknown.length === 1 && WIDTH_TYPES[remainder]!.length === 1 ? 'record size' : 'record size and plausibility';
  return { types: best.types, basis, mptLabels };
}

/** Compare labels the way the .mpt reader normalises them ("<Ewe/V>" ≡ "<Ewe>/V"). */
function normaliseForCompare(label: string): string {
  const m = /^<(.+)\/([^/]+)>$/.exec(label.trim());
  return m ? `<${m[1]}>/${m[2]}` : label.trim();
}

// ---------------------------------------------------------------------------------------------
// Original-metadata tree

function clean(o: object): { [k: string]: MetaValue } {
  const out: { [k: string]: MetaValue } = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    out[k] = v as MetaValue;
  }
  return out;
}

export function originalTree(parts: {
  modules: MprModule[];
  settings?: MprSettings;
  data: MprDataHeader;
  recordBytes: number | null;
  log?: MprLog;
  loops?: MprLoops;
  extDev?: MprExtDevChannel[];
}): MetaTree {
  const q = (x: Quantity | undefined) => (x ? { value: x.value, unit: x.unit } : undefined);
  const tree: MetaTree = {
    modules: parts.modules.map((m) => clean({ ...m })),
    data: {
      layout: parts.data.layout,
      rowCount: parts.data.rowCount,
      columnIds: parts.data.columnIds,
      recordsOffset: parts.data.recordsOffset,
      recordBytes: parts.recordBytes,
    },
  };
  if (parts.settings) {
    const s = parts.settings;
    tree.settings = clean({ ...s, activeMass: q(s.activeMass), electrodeArea: q(s.electrodeArea), characteristicMass: q(s.characteristicMass), batteryCapacity: q(s.batteryCapacity) });
  }
  if (parts.log) tree.log = clean({ ...parts.log });
  if (parts.loops) tree.loops = { indexes: parts.loops.indexes, loops: parts.loops.loops.map((l) => ({ ...l })) };
  if (parts.extDev) tree.extDev = parts.extDev.map((c) => ({ ...c }));
  return tree;
}
