// `npm start`: build, then open Interphase in Electron when its binary is installed; otherwise
// serve the same UI in browser mode on 127.0.0.1 and print the link (opening nothing else).
// The Electron package downloads its binary on first use; we only look for it, never trigger it.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const passArgs = process.argv.slice(2);

function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
    const forward = (sig) => child.kill(sig);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/** The Electron executable if it is really there (path.txt written by its installer + the file). */
export function electronBinary() {
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) {
    const p = join(process.env.ELECTRON_OVERRIDE_DIST_PATH, process.platform === 'win32' ? 'electron.exe' : 'electron');
    return existsSync(p) ? p : null;
  }
  const pkg = join(root, 'node_modules', 'electron');
  const pathTxt = join(pkg, 'path.txt');
  if (!existsSync(pathTxt)) return null;
  const exe = join(pkg, 'dist', readFileSync(pathTxt, 'utf8').trim());
  return existsSync(exe) ? exe : null;
}

const built = await run(process.execPath, [join(root, 'scripts', 'build.mjs'), '--quiet']);
if (built !== 0) process.exit(built);

const electron = process.env.INTERPHASE_BROWSER_MODE ? null : electronBinary();
if (electron) {
  process.exit(await run(electron, [root, ...passArgs]));
} else {
  console.log('Interphase: the Electron binary is not installed on this machine, so the app runs in browser mode.');
  process.exit(await run(process.execPath, [join(root, 'dist', 'main', 'server.mjs'), ...passArgs]));
}
