/**
 * A synthetic Bruker .bcf (SFS container holding HeaderData and SpectrumData0, optionally
 * AACS-zlib compressed), built to the layout documented in main/formats/bruker-bcf/sfs.ts.
 * Lifted from test/unit/formats/bruker.test.ts so the fuzz tier can seed from it; buildBcf
 * returns only the bytes here.
 */
import { deflateSync } from 'node:zlib';
import { writeSpx, type WriteSpxOptions } from '../fixtures/writers/spx-writer.js';

/** Deterministic pseudo-random numbers (tests must not depend on Math.random). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const COUNTS = Array.from({ length: 256 }, (_, i) => (i === 10 ? 4000 : Math.round(50 * Math.exp(-((i - 120) ** 2) / 30)) + (i % 7)));

function spxOpts(extra: Partial<WriteSpxOptions> = {}): WriteSpxOptions {
  return {
    name: 'LiPON region 3',
    counts: COUNTS,
    calibAbs: -0.4725,
    calibLin: 0.01,
    date: new Date(Date.UTC(2018, 2, 4, 10, 6, 4)),
    realTime_ms: 40000,
    lifeTime_ms: 25000,
    deadTime_percent: 38,
    primaryEnergy_kV: 15,
    elevation_deg: 35,
    azimuth_deg: 45,
    magnification: 666.6666667,
    elements: ['Mn', 'Ni', 'O', 'P'],
    ...extra,
  };
}

interface MapSpec {
  height: number;
  width: number;
  channels: number;
  /** [y][x] → spectrum */
  pixels: number[][][];
}

function makeMap(height: number, width: number, channels: number, seed: number): MapSpec {
  const r = lcg(seed);
  const pixels = Array.from({ length: height }, () =>
    Array.from({ length: width }, () => Array.from({ length: channels }, (_, c) => (r() < 0.35 ? Math.floor(r() * (c === 3 ? 300 : 6)) : 0))),
  );
  return { height, width, channels, pixels };
}

function le(n: number, bytes: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < bytes; i++) out.push(Math.floor(n / 2 ** (8 * i)) & 0xff);
  return out;
}

function pulsesOf(spec: number[]): number[] {
  const p: number[] = [];
  spec.forEach((v, c) => {
    for (let k = 0; k < v; k++) p.push(c);
  });
  return p;
}

/** One pixel record; flag 0 = 16-bit pulses, 1 = 12-bit pulses, 2 = instructed (+ extra pulses). */
function pixelRecord(x: number, spec: number[], mode: 0 | 1 | 2): number[] {
  const chans = spec.length;
  let data: number[];
  let nPulses = 0;
  let flag: number = mode;
  if (mode === 0) {
    data = pulsesOf(spec).flatMap((c) => le(c, 2));
  } else if (mode === 1) {
    const p = pulsesOf(spec);
    nPulses = p.length;
    data = [];
    for (let g = 0; g < p.length; g += 4) {
      const [p0, p1, p2, p3] = [p[g] ?? 0, p[g + 1] ?? 0, p[g + 2] ?? 0, p[g + 3] ?? 0];
      data.push(((p0 & 0xf) << 4) | (p1 >> 8), p0 >> 4, p2 >> 4, p1 & 0xff, p3 & 0xff, ((p2 & 0xf) << 4) | (p3 >> 8));
    }
  } else {
    // Instructed: split channels into runs; the first channel's counts go as additional pulses.
    flag = 3;
    const body = spec.slice();
    const extra = body[0]!;
    body[0] = 0;
    data = [];
    const runs: [number, number][] = [];
    for (let c = 0; c < chans; c += 8) runs.push([c, Math.min(8, chans - c)]);
    runs.forEach(([c0, n], k) => {
      const vals = body.slice(c0, c0 + n);
      if (vals.every((v) => v === 0)) {
        data.push(0, n);
        return;
      }
      const gain = Math.min(...vals);
      const rel = vals.map((v) => v - gain);
      const max = Math.max(...rel);
      const w = k % 3 === 0 && max < 16 ? 1 : max < 256 ? 2 : max < 65536 ? 4 : 8;
      data.push(w, n, ...le(gain, w));
      if (w === 1) for (let i = 0; i < n; i += 2) data.push((rel[i]! & 0xf) | ((rel[i + 1] ?? 0) << 4));
      else for (const v of rel) data.push(...le(v, w / 2));
    });
    nPulses = extra;
    const add = Array.from({ length: extra }, () => le(0, 2)).flat();
    data.push(...le(add.length, 4));
    return [...le(x, 4), ...le(chans, 2), ...le(chans, 2), 0, 0, 0, 0, ...le(flag, 2), 0, 0, ...le(nPulses, 2), ...le(data.length, 4), ...data, ...add];
  }
  return [...le(x, 4), ...le(chans, 2), ...le(chans, 2), 0, 0, 0, 0, ...le(flag, 2), 0, 0, ...le(nPulses, 2), ...le(data.length, 4), ...data];
}

function hypermapStream(m: MapSpec): Uint8Array {
  const out: number[] = [...le(m.height, 4), ...le(m.width, 4), ...le(m.channels, 4)];
  while (out.length < 0x1a0) out.push(0);
  m.pixels.forEach((row, y) => {
    // Empty pixels may be left out of a line; keep one out to exercise that.
    const present = row.map((s, x) => ({ s, x })).filter(({ s, x }) => !(s.every((v) => v === 0) && x % 2 === 1));
    out.push(...le(present.length, 4));
    for (const { s, x } of present) out.push(...pixelRecord(x, s, ((x + y) % 3) as 0 | 1 | 2));
  });
  return Uint8Array.from(out);
}

function aacs(raw: Uint8Array, blockSize: number): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (let o = 0; o < raw.length; o += blockSize) blocks.push(raw.subarray(o, o + blockSize));
  const parts: number[] = [...[0x41, 0x41, 0x43, 0x53], ...le(blockSize, 4), 0, 0, 0, 0, ...le(blocks.length, 4)];
  while (parts.length < 0x80) parts.push(0);
  for (const b of blocks) {
    const z = deflateSync(b);
    parts.push(...le(z.length, 4), ...le(b.length, 4), 0, 0, 0, 0, ...le(z.length + 16, 4), ...z);
  }
  return Uint8Array.from(parts);
}

function headerXml(m: MapSpec, sumCounts: number[], image: Uint16Array): string {
  const spx = writeSpx(spxOpts({ name: 'sum', counts: sumCounts, primaryEnergy_kV: 20, calibAbs: -0.47095867, calibLin: 0.009997, magnification: undefined }));
  const inner = /<ClassInstance Type="TRTSpectrum"[\s\S]*<\/ClassInstance>(?=\s*<\/TRTSpectrum>)/.exec(spx)![0];
  const b64 = Buffer.from(image.buffer, image.byteOffset, image.byteLength).toString('base64');
  return (
    '<?xml version="1.0" encoding="WINDOWS-1252" standalone="yes"?><TRTSpectrumDatabase><RTHeader/>' +
    '<ClassInstance Type="TRTSpectrumDatabase" Name="Map data"><Header><Date>12.9.2018</Date><Time>13:9:11</Time><FileVersion>1</FileVersion></Header>' +
    '<ClassInstance Type="TRTSEMData"><HV>20</HV><Mag>3138,54272</Mag><DX>0,5</DX><DY>0,25</DY></ClassInstance>' +
    `<ClassInstance Type="TRTImageData"><ItemSize>2</ItemSize><Width>${m.width}</Width><Height>${m.height}</Height><PlaneCount>2</PlaneCount>` +
    `<Plane0><Description>BSE</Description><Data>${b64}</Data></Plane0><Plane1><Description>SEI</Description><Valid>0</Valid><Data>${b64}</Data></Plane1></ClassInstance>` +
    `<ClassInstance Type="TRTImageData" Name="PixelTimes"><ItemSize>4</ItemSize><Width>1</Width><Height>1</Height><PlaneCount>0</PlaneCount></ClassInstance>` +
    `<ChCount>${m.channels}</ChCount><DetectorCount>1</DetectorCount><SpectrumData0>${inner}</SpectrumData0></ClassInstance></TRTSpectrumDatabase>`
  );
}

/** Pack files into an SFS container: tree first, then each file's pointer table and data chunks. */
function sfs(files: { name: string; data: Uint8Array }[], chunk: number): Uint8Array {
  const usable = chunk - 32;
  const items = [{ name: 'EDSDatabase', dir: true, data: new Uint8Array(0) }, ...files.map((f) => ({ name: f.name, dir: false, data: f.data }))];
  const perChunk = Math.floor(usable / 512);
  const chunks: Uint8Array[] = [];
  const alloc = (): number => {
    chunks.push(new Uint8Array(chunk));
    return chunks.length - 1;
  };
  // Chunk 0 overlaps the container header (0x118 + 0 · chunk covers 0x124…0x14B): never used.
  alloc();
  const treeChunks = Array.from({ length: Math.ceil(items.length / perChunk) }, alloc);
  const tableOf: number[] = [];
  for (const it of items) {
    if (it.dir) {
      tableOf.push(-1);
      continue;
    }
    const n = Math.ceil(it.data.length / usable);
    const tables = Array.from({ length: Math.max(1, Math.ceil((n * 4) / usable)) }, alloc);
    tables.forEach((t, k) => {
      if (k + 1 < tables.length) chunks[t]!.set(le(tables[k + 1]!, 4), 0);
    });
    tableOf.push(tables[0]!);
    const ptrs: number[] = [];
    for (let k = 0; k < n; k++) {
      const c = alloc();
      chunks[c]!.set(it.data.subarray(k * usable, (k + 1) * usable), 32);
      ptrs.push(...le(c, 4));
    }
    ptrs.forEach((b, i) => (chunks[tables[Math.floor(i / usable)]!]![32 + (i % usable)] = b));
  }
  treeChunks.forEach((t, k) => {
    if (k + 1 < treeChunks.length) chunks[t]!.set(le(treeChunks[k + 1]!, 4), 0);
  });
  items.forEach((it, i) => {
    const rec = new Uint8Array(512);
    const dv = new DataView(rec.buffer);
    dv.setInt32(0, tableOf[i]!, true);
    dv.setBigUint64(4, BigInt(it.data.length), true);
    dv.setInt32(40, i === 0 ? -1 : 0, true);
    rec[220] = it.dir ? 1 : 0;
    rec.set(new TextEncoder().encode(it.name), 224);
    chunks[treeChunks[Math.floor(i / perChunk)]!]!.set(rec, 32 + (i % perChunk) * 512);
  });
  const out = new Uint8Array(0x118 + chunks.length * chunk);
  chunks.forEach((c, k) => k > 0 && out.set(c, 0x118 + k * chunk));
  out.set(new TextEncoder().encode('AAMVHFSS'), 0);
  const dv = new DataView(out.buffer);
  dv.setFloat32(0x124, 2.6, true);
  dv.setUint32(0x128, chunk, true);
  dv.setUint32(0x140, treeChunks[0]!, true);
  dv.setUint32(0x144, items.length, true);
  dv.setUint32(0x148, chunks.length, true);
  return out;
}

export function buildBcf(opts: { compressed: boolean; chunk: number; seed: number; sumScale?: number }): Uint8Array {
  const m = makeMap(4, 5, 40, opts.seed);
  const sum = Array.from({ length: m.channels }, (_, c) => Math.round(m.pixels.flat().reduce((a, s) => a + s[c]!, 0) * (opts.sumScale ?? 1)));
  const image = Uint16Array.from({ length: m.height * m.width }, (_, i) => 40000 + i * 37);
  const header = new TextEncoder().encode(headerXml(m, sum, image));
  const stream = hypermapStream(m);
  const files = [
    { name: 'HeaderData', data: opts.compressed ? aacs(header, 700) : header },
    { name: 'SpectrumData0', data: opts.compressed ? aacs(stream, 500) : stream },
  ];
  return sfs(files, opts.chunk);
}

