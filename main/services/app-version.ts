/** The app's version, recorded in every provenance record. Read once from package.json. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

function findPackageJson(start: string): string | null {
  let dir = start;
  for (let i = 0; i < 6; i++) {
    const p = join(dir, 'package.json');
    try {
      const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'interphase') return pkg.version ?? '0.0.0';
    } catch {
      /* keep walking up */
    }
    dir = dirname(dir);
  }
  return null;
}

function findPackageRoot(start: string): string | null {
  let dir = start;
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'interphase') return dir;
    } catch {
      /* keep walking up */
    }
    dir = dirname(dir);
  }
  return null;
}

const here = dirname(fileURLToPath(import.meta.url));
export const APP_VERSION: string = findPackageJson(here) ?? '0.0.0-unknown';
/** The installed app's root (holds package.json, dist/, resources/). */
export const PACKAGE_ROOT: string = findPackageRoot(here) ?? process.cwd();
export const APP_NAME = 'Interphase';
