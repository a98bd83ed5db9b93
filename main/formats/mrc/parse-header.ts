/**
 * MRC2014 header parser (1024 bytes; word offsets from the MRC2014 specification table).
 * Every size is checked against the file before anything is allocated from it.
 */
import type { FileSource } from '../file-source.js';
import { FormatDeclined, FormatError } from '../format-error.js';
import { MRC_ID, plausibleHeader } from './spec.js';

export const MRC_HEADER_BYTES = 1024;
/** IMOD's stamp ("DNEF" as int32) and flag bit 0: bytes are signed (IMOD mrcfiles.html). */
const IMOD_STAMP = 1146047817;

export interface MrcHeader {
  nx: number;
  ny: number;
  nz: number;
  mode: number;
  nxstart: number;
  nystart: number;
  nzstart: number;
  mx: number;
  my: number;
  mz: number;
  /** Cell dimensions in Å. */
  cella: [number, number, number];
  cellb: [number, number, number];
  mapc: number;
  mapr: number;
  maps: number;
  dmin: number;
  dmax: number;
  dmean: number;
  ispg: number;
  nsymbt: number;
  exttyp: string;
  nversion: number;
  origin: [number, number, number];
  hasMapStamp: boolean;
  machineStamp: [number, number, number, number];
  littleEndian: boolean;
  /** How the byte order was decided. */
  endianSource: 'machine-stamp' | 'heuristic';
  rms: number;
  labels: string[];
  imodStamp: boolean;
  imodFlags: number;
  dataOffset: number;
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (const c of b) s += String.fromCharCode(c);
  return s;
}

export async function parseMrcHeader(src: FileSource): Promise<MrcHeader> {
  if (src.size < MRC_HEADER_BYTES) {
    if (src.size < 16) throw new FormatDeclined(MRC_ID, `file of ${src.size} bytes is shorter than an MRC header`);
    throw new FormatError(src.name, src.size, `a ${MRC_HEADER_BYTES}-byte MRC header (file has ${src.size} bytes)`, MRC_ID);
  }
  const b = await src.read(0, MRC_HEADER_BYTES);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const stamp: [number, number, number, number] = [b[212]!, b[213]!, b[214]!, b[215]!];
  let le: boolean;
  let endianSource: MrcHeader['endianSource'] = 'machine-stamp';
  // MRC2014: 0x44 0x44 (or 0x44 0x41 from some writers) little-endian; 0x11 0x11 big-endian.
  if (stamp[0] === 0x44 && (stamp[1] === 0x44 || stamp[1] === 0x41)) le = true;
  else if (stamp[0] === 0x11 && stamp[1] === 0x11) le = false;
  else {
    endianSource = 'heuristic';
    if (plausibleHeader(dv, true)) le = true;
    else if (plausibleHeader(dv, false)) le = false;
    else throw new FormatDeclined(MRC_ID, 'no machine stamp and header words are not plausible in either byte order');
  }
  const i32 = (w: number): number => dv.getInt32(4 * w, le);
  const f32 = (w: number): number => dv.getFloat32(4 * w, le);
  const nx = i32(0);
  const ny = i32(1);
  const nz = i32(2);
  const mode = i32(3);
  for (const [v, w, what] of [[nx, 0, 'NX'], [ny, 1, 'NY'], [nz, 2, 'NZ']] as const) {
    if (!(v > 0)) throw new FormatError(src.name, 4 * w, `${what} > 0 (got ${v})`, MRC_ID);
  }
  const nsymbt = i32(23);
  if (nsymbt < 0 || nsymbt > src.size - MRC_HEADER_BYTES) {
    throw new FormatError(src.name, 92, `NSYMBT (extended header bytes) within the file (0…${src.size - MRC_HEADER_BYTES}, got ${nsymbt})`, MRC_ID);
  }
  const nlabl = i32(55);
  const labels: string[] = [];
  for (let i = 0; i < Math.min(Math.max(nlabl, 0), 10); i++) {
    labels.push(latin1(b.subarray(224 + 80 * i, 304 + 80 * i)).replace(/\0.*$/s, '').trimEnd());
  }
  const imodStamp = i32(38) === IMOD_STAMP;
  return {
    nx, ny, nz, mode,
    nxstart: i32(4), nystart: i32(5), nzstart: i32(6),
    mx: i32(7), my: i32(8), mz: i32(9),
    cella: [f32(10), f32(11), f32(12)],
    cellb: [f32(13), f32(14), f32(15)],
    mapc: i32(16), mapr: i32(17), maps: i32(18),
    dmin: f32(19), dmax: f32(20), dmean: f32(21),
    ispg: i32(22),
    nsymbt,
    exttyp: latin1(b.subarray(104, 108)).replace(/\0/g, ''),
    nversion: i32(27),
    origin: [f32(49), f32(50), f32(51)],
    hasMapStamp: latin1(b.subarray(208, 212)) === 'MAP ',
    machineStamp: stamp,
    littleEndian: le,
    endianSource,
    rms: f32(54),
    labels,
    imodStamp,
    imodFlags: imodStamp ? i32(39) : 0,
    dataOffset: MRC_HEADER_BYTES + nsymbt,
  };
}
