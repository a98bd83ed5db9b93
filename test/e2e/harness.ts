/**
 * e2e harness: runs the *built* browser-mode server (dist/main/server.mjs) as a child process with
 * its own workspace, and Debian's Chromium through playwright-core. Never downloads a browser.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const ROOT = process.cwd();
export const ARTIFACTS = join(ROOT, 'test-artifacts', 'e2e');
export const CHROMIUM = process.env.INTERPHASE_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** Why e2e cannot run here, or null. In CI a missing prerequisite is an error, never a skip. */
export function e2eUnavailable(): string | null {
  let why: string | null = null;
  if (!existsSync(CHROMIUM)) why = `${CHROMIUM} is missing (apt-get install chromium)`;
  else if (!existsSync(join(ROOT, 'dist', 'main', 'server.mjs')) || !existsSync(join(ROOT, 'dist', 'renderer', 'index.html'))) {
    why = 'the app is not built (npm run build)';
  }
  if (why && process.env.CI) throw new Error(`e2e cannot run in CI: ${why}`);
  return why;
}

export interface ServerProc {
  url: string;
  base: string;
  token: string;
  proc: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

export async function startServer(env: { home: string; config: string }, extraArgs: string[] = ['--no-sample']): Promise<ServerProc> {
  const proc = spawn(process.execPath, [join(ROOT, 'dist', 'main', 'server.mjs'), ...extraArgs], {
    env: { ...process.env, INTERPHASE_HOME: env.home, INTERPHASE_CONFIG: env.config },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += String(d)));
  proc.stderr!.on('data', (d) => (out += String(d)));
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 30_000);
    const check = () => {
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]!);
      }
    };
    proc.stdout!.on('data', check);
    proc.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${out}`)));
  });
  const u = new URL(url);
  return {
    url,
    base: `${u.origin}/`,
    token: u.searchParams.get('token')!,
    proc,
    output: () => out,
    async stop() {
      if (proc.exitCode !== null) return;
      await new Promise<void>((r) => {
        proc.once('exit', () => r());
        proc.kill('SIGTERM');
      });
    },
  };
}

export async function launchBrowser(): Promise<Browser> {
  await mkdir(ARTIFACTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/** Collect page errors so a test fails on any uncaught exception in the UI. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return errors;
}

/**
 * Dark pixels on the first canvas under `selector` (0 when there is none): a chart that drew
 * something, not an empty white box. Evaluated as a string, so no DOM types are needed here.
 */
export function canvasInk(page: Page, selector: string): Promise<number> {
  return page.evaluate(`(() => {
    const c = document.querySelector(${JSON.stringify(`${selector} canvas`)});
    if (!c) return 0;
    const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let ink = 0;
    for (let i = 0; i < px.length; i += 4) if (px[i + 3] > 0 && px[i] + px[i + 1] + px[i + 2] < 600) ink++;
    return ink;
  })()`) as Promise<number>;
}

/** Call the contract directly (as the renderer does) to compare state. */
export async function callApi<T>(srv: ServerProc, method: string, args: unknown = {}): Promise<T> {
  const res = await fetch(`${srv.base}api/call/${method}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${srv.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(args),
  });
  const json = (await res.json()) as { ok: boolean; result?: T; error?: { message: string } };
  if (!json.ok) throw new Error(json.error?.message);
  return json.result as T;
}

/** One browser page on a fresh browser-mode server with its own workspace, for one e2e file. */
export interface UiSession {
  dir: string;
  srv: ServerProc;
  browser: Browser;
  page: Page;
  /** Page errors and console errors seen so far (a test ends with expect(errors).toEqual([])). */
  errors: string[];
  /** Start screen → a new project with this name. */
  newProject(name: string): Promise<void>;
  /** Click an import button and give the file chooser these files. */
  importFiles(paths: string[], buttonTestId?: string): Promise<void>;
  close(): Promise<void>;
}

export async function openUiSession(prefix: string, viewport = { width: 1500, height: 1000 }): Promise<UiSession> {
  const dir = await mkdtemp(join(tmpdir(), `interphase-e2e-${prefix}-`));
  const srv = await startServer({ home: join(dir, 'home'), config: join(dir, 'config') });
  const browser = await launchBrowser();
  const page = await browser.newPage({ viewport });
  const errors = watchErrors(page);
  return {
    dir,
    srv,
    browser,
    page,
    errors,
    async newProject(name) {
      await page.goto(srv.url);
      await page.getByTestId('new-project-name').fill(name);
      await page.getByTestId('create-project').click();
      await page.getByTestId('project-name').waitFor();
    },
    async importFiles(paths, buttonTestId = 'import') {
      const chooser = page.waitForEvent('filechooser');
      await page.getByTestId(buttonTestId).click();
      await (await chooser).setFiles(paths);
    },
    async close() {
      await browser.close();
      await srv.stop();
    },
  };
}
