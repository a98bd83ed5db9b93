import { NodeFileSource } from './main/formats/file-source.js';
import { newareReader } from './main/formats/neware/reader.js';
import { readdirSync } from 'node:fs';
const dir = '/work/shared/data/cycler/neware/';
for (const f of readdirSync(dir).filter(f => /\.nda/.test(f))) {
  const t = Date.now();
  try {
    const s = await NodeFileSource.open(dir + f);
    const o = await newareReader.open(s);
    const e = o.entries[0]!;
    const names = e.columns!.map(c => c.name);
    const cols = await o.readColumns!('data', names);
    const n = e.shape[0]!;
    console.log(`== ${f} rows=${n} ${Date.now()-t}ms layout=${e.original.layout}`);
    console.log('  warnings', e.warnings);
    for (const r of [0, n-1]) console.log('  ', names.map(k => `${k}=${cols[k]![r]}`).join(' | '));
    await o.close();
  } catch (err) { console.log(f, 'ERR', err); }
}
