// Build everything that runs outside vitest/tsx:
//   dist/renderer/          the Vue app (Vite)
//   dist/main/server.mjs    browser mode (node)          dist/main/worker.mjs  worker-pool entry
//   dist/main/cli.mjs       headless CLI
//   dist/electron/main.cjs  Electron main process        dist/electron/preload.cjs  sandboxed preload
//   dist/electron/worker.mjs worker-pool entry next to main.cjs (asar-unpacked when packaged)
// Node dependencies stay external (resolved from node_modules at run time), except in the preload,
// which a sandbox lets require only 'electron' — so everything else is inlined there.
import { build as viteBuild } from 'vite';
import { build as esbuild } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { rm } from 'node:fs/promises';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quiet = process.argv.includes('--quiet');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7);

const nodeCommon = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: quiet ? 'error' : 'warning',
};

// In a CommonJS bundle import.meta.url does not exist; give modules that locate files next to
// themselves (app-version.ts, backend.ts) the bundle's own file URL instead.
const cjsImportMeta = {
  define: { 'import.meta.url': '__interphase_import_meta_url' },
  banner: { js: "const __interphase_import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
};

async function buildNode() {
  await rm(join(root, 'dist', 'main'), { recursive: true, force: true });
  await rm(join(root, 'dist', 'electron'), { recursive: true, force: true });
  await Promise.all([
    esbuild({ ...nodeCommon, format: 'esm', entryPoints: { server: 'main/server/start.ts', worker: 'main/jobs/worker-entry.ts', cli: 'main/cli/index.ts' }, outdir: 'dist/main', outExtension: { '.js': '.mjs' } }),
    // The packaged app's worker runs from app.asar.unpacked, where node_modules is out of reach:
    // inline its dependencies.
    esbuild({ ...nodeCommon, packages: undefined, format: 'esm', entryPoints: { worker: 'main/jobs/worker-entry.ts' }, outdir: 'dist/electron', outExtension: { '.js': '.mjs' } }),
    esbuild({ ...nodeCommon, ...cjsImportMeta, format: 'cjs', entryPoints: { main: 'electron/main.ts' }, outdir: 'dist/electron', outExtension: { '.js': '.cjs' }, external: ['electron'] }),
    esbuild({
      ...nodeCommon,
      packages: undefined,
      platform: 'browser',
      format: 'cjs',
      entryPoints: { preload: 'electron/preload.ts' },
      outdir: 'dist/electron',
      outExtension: { '.js': '.cjs' },
      external: ['electron'],
    }),
  ]);
}

async function buildRenderer() {
  await viteBuild({ configFile: join(root, 'vite.config.ts'), logLevel: quiet ? 'error' : 'warn' });
}

const t0 = Date.now();
if (!only || only === 'node') await buildNode();
if (!only || only === 'renderer') await buildRenderer();
if (!quiet) console.log(`build: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
