/**
 * One measurement in a fresh process (so peak RSS belongs to it alone):
 *   full  <file>            open + read every element
 *   frame <file> <index>    open + read one frame of a stack
 *   raw   <file> <offset> <length>   read those bytes with fs (the floor)
 * With WARMUP=<small file of the same format> the reader first opens and reads that file, as the
 * app's long-lived worker threads have (a fresh process also pays for compiling the reader), and the
 * process then idles for 100 ms — a worker waiting for the user's next click — so the start-up
 * garbage is collected before the clock starts rather than in the middle of the measured open.
 * Prints {seconds, maxRssMiB, bytes} as JSON.
 */
import { open } from 'node:fs/promises';
import { NodeFileSource } from '../main/formats/file-source.js';
import { openSource } from '../main/formats/registry.js';

const [mode, file, a, b] = process.argv.slice(2);
if (process.env.WARMUP) {
  for (let i = 0; i < 3; i++) {
    const src = await NodeFileSource.open(process.env.WARMUP);
    const { file: f } = await openSource(src);
    const e = f.entries[0]!;
    await f.readSlice(e.entry, { start: e.shape.map(() => 0), count: e.shape.map((s, d) => (d === 0 ? 1 : s)) });
    await f.close();
    await src.close();
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
}
const t0 = performance.now();
let bytes = 0;
if (mode === 'raw') {
  const fh = await open(file!, 'r');
  const buf = new Uint8Array(Number(b));
  await fh.read(buf, 0, buf.length, Number(a));
  await fh.close();
  bytes = buf.length;
} else {
  const src = await NodeFileSource.open(file!);
  const { file: f } = await openSource(src);
  const e = f.entries[0]!;
  const start = e.shape.map(() => 0);
  const count = [...e.shape];
  if (mode === 'frame') {
    start[0] = Number(a);
    count[0] = 1;
  }
  const data = await f.readSlice(e.entry, { start, count });
  bytes = data.byteLength;
  await f.close();
  await src.close();
}
const seconds = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ seconds, maxRssMiB: process.resourceUsage().maxRSS / 1024, bytes }));
