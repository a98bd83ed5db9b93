export {};
/**
 * `npm run bench -- <suite…>`: benchmarks against the reference each issue names, measured in
 * the same run. Suites: formats (vs HyperSpy and raw reads), echem (.mpr vs galvani).
 */
const suites = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const wanted = suites.length ? suites : ['formats', 'echem'];
for (const s of wanted) {
  if (s === 'formats') {
    const { benchFormats } = await import('./formats.js');
    await benchFormats();
  } else if (s === 'echem') {
    const mod = (await import('./echem-mpr.js')) as { benchEchemMpr?: () => Promise<unknown> } | null;
    if (!mod?.benchEchemMpr) {
      console.log('echem benchmark: the .mpr reader benchmark (bench/echem-mpr.ts) is not available in this build');
      continue;
    }
    console.log(JSON.stringify(await mod.benchEchemMpr(), null, 2));
    const { benchEchemRender } = await import('./echem-render.js');
    console.log(await benchEchemRender());
  } else {
    console.error(`unknown benchmark suite '${s}' (have: formats, echem)`);
    process.exitCode = 2;
  }
}
