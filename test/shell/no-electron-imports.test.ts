/**
 * The layer rule of DESIGN.md ("Layers: the arrows point one way"), enforced on the source text:
 *   - electron/ is the ONLY code that imports 'electron': nothing in main/ or renderer/ may.
 *   - renderer/ runs in a sandboxed page: no node: or Node builtin imports, and from main/ only
 *     main/api/ (the pure contract) — type-only imports included, so the rule cannot erode.
 *   - main/api/ itself stays pure: no electron, no Node builtins, nothing else from main/.
 * Every form counts: static import / export-from (incl. `import type`), dynamic import(),
 * `typeof import()` types, and require().
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCANNED_EXT = new Set(['.ts', '.mts', '.cts', '.vue', '.js', '.mjs', '.cjs']);
const SKIP_DIRS = new Set(['node_modules', 'dist', '.vite']);

function listSources(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const name of entries) {
    if (SKIP_DIRS.has(name)) continue;
    const full = path.join(dir, name);
    const st = statSync(full);
    if (st.isDirectory()) out.push(...listSources(full));
    else if (SCANNED_EXT.has(path.extname(name)) && !name.endsWith('.d.ts.map')) out.push(full);
  }
  return out.sort();
}

/** Remove comments so prose like "never import 'electron'" is not mistaken for code. */
function stripComments(src: string): string {
  return src
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

const IMPORT_PATTERNS: RegExp[] = [
  // import x from '…' / import type { X } from '…' / import * as x from '…' / export { x } from '…'
  /\b(?:import|export)\s+(?:type\s+)?(?:[\w$*\s{},]*?\s+from\s+)?['"]([^'"\n]+)['"]/g,
  // import('…') — dynamic imports and `typeof import('…')` types
  /\bimport\s*\(\s*['"`]([^'"`\n]+)['"`]\s*\)/g,
  // require('…')
  /\brequire\s*\(\s*['"`]([^'"`\n]+)['"`]\s*\)/g,
];

function importSpecifiers(src: string): string[] {
  const code = stripComments(src);
  const found = new Set<string>();
  for (const re of IMPORT_PATTERNS) {
    for (const m of code.matchAll(re)) if (m[1]) found.add(m[1]);
  }
  return [...found];
}

const NODE_BUILTINS = new Set(builtinModules.filter((m) => !m.startsWith('_')));

function isElectron(spec: string): boolean {
  return spec === 'electron' || spec.startsWith('electron/');
}

function isNodeBuiltin(spec: string): boolean {
  if (spec.startsWith('node:')) return true;
  return NODE_BUILTINS.has(spec) || NODE_BUILTINS.has(spec.split('/')[0]!);
}

/** Where a relative specifier lands, as a repo-relative posix path ('' for bare specifiers). */
function resolveRelative(file: string, spec: string): string {
  if (!spec.startsWith('.') && !spec.startsWith('/')) return '';
  const abs = spec.startsWith('/') ? path.join(ROOT, spec) : path.resolve(path.dirname(file), spec);
  return path.relative(ROOT, abs).split(path.sep).join('/');
}

const within = (rel: string, dir: string): boolean => rel === dir || rel.startsWith(`${dir}/`);

interface Offence {
  file: string;
  spec: string;
  why: string;
}

function scan(dirs: string[], check: (file: string, spec: string) => string | null): { files: number; offences: Offence[] } {
  const offences: Offence[] = [];
  let files = 0;
  for (const dir of dirs) {
    for (const file of listSources(path.join(ROOT, dir))) {
      files++;
      for (const spec of importSpecifiers(readFileSync(file, 'utf8'))) {
        const why = check(file, spec);
        if (why) offences.push({ file: path.relative(ROOT, file).split(path.sep).join('/'), spec, why });
      }
    }
  }
  return { files, offences };
}

function report(title: string, offences: Offence[]): string {
  return `${title} — ${offences.length} offending import(s):\n${offences.map((o) => `  ${o.file}: '${o.spec}' (${o.why})`).join('\n')}`;
}

describe('layer rule: who may import what', () => {
  it('detects every import form (self-test of the scanner)', () => {
    const src = [
      "import { app } from 'electron';",
      "import type { BrowserWindow } from 'electron/main';",
      "export { x } from './x.js';",
      "import './side-effect.css';",
      "const m = await import('node:fs');",
      "type E = typeof import('electron');",
      "const r = require('path');",
      '// import { nope } from "commented-out";',
      "/* require('also-commented') */",
      "const url = 'https://example.org'; import y from 'vue';",
    ].join('\n');
    expect(importSpecifiers(src).sort()).toEqual(['./side-effect.css', './x.js', 'electron', 'electron/main', 'node:fs', 'path', 'vue'].sort());
    expect(isNodeBuiltin('fs/promises')).toBe(true);
    expect(isNodeBuiltin('worker_threads')).toBe(true);
    expect(isNodeBuiltin('vue')).toBe(false);
  });

  it("nothing in main/ or renderer/ imports 'electron'", () => {
    const { files, offences } = scan(['main', 'renderer'], (_file, spec) => (isElectron(spec) ? "only electron/ may import 'electron'" : null));
    expect(files).toBeGreaterThan(0);
    expect(offences, report("'electron' imported outside electron/", offences)).toEqual([]);
  });

  it('renderer/ imports no Node builtins and nothing from main/ except main/api/', () => {
    const { offences } = scan(['renderer'], (file, spec) => {
      if (isNodeBuiltin(spec)) return 'the renderer runs in a sandboxed page: no Node builtins';
      const rel = resolveRelative(file, spec);
      if (within(rel, 'main') && !within(rel, 'main/api')) return 'the renderer may use main/api/ (the contract) only';
      return null;
    });
    expect(offences, report('renderer/ reaches outside its layer', offences)).toEqual([]);
  });

  it('main/api/ stays pure: no electron, no Node builtins, no other main/ modules', () => {
    const { files, offences } = scan(['main/api'], (file, spec) => {
      if (isElectron(spec)) return "the contract must not import 'electron'";
      if (isNodeBuiltin(spec)) return 'the contract is shared with the renderer: no Node builtins';
      const rel = resolveRelative(file, spec);
      if (rel && !within(rel, 'main/api')) return 'the contract may import only main/api/';
      return null;
    });
    expect(files).toBeGreaterThan(0);
    expect(offences, report('main/api/ is not pure', offences)).toEqual([]);
  });
});
