/**
 * Browser mode entry: `node dist/main/server.mjs [--port N] [--project PATH] [--no-sample]`.
 * Serves the built renderer and the contract on 127.0.0.1 and prints the URL (with its token).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createBackend, type BackendOptions } from '../services/backend.js';
import { PACKAGE_ROOT } from '../services/app-version.js';
import { startServer, type RunningServer } from './http-server.js';
import type { Backend } from '../services/backend-types.js';

export interface BrowserModeOptions extends BackendOptions {
  port?: number;
  staticDir?: string | null;
}

export async function startBrowserMode(o: BrowserModeOptions = {}): Promise<{ server: RunningServer; backend: Backend; url: string }> {
  const backend = await createBackend(o);
  const staticDir = o.staticDir === undefined ? join(PACKAGE_ROOT, 'dist', 'renderer') : o.staticDir;
  const server = await startServer({ backend, staticDir, ...(o.port ? { port: o.port } : {}) });
  return { server, backend, url: `${server.url}?token=${server.token}` };
}

function argValue(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function main(argv: string[]): Promise<void> {
  const port = Number(argValue(argv, '--port') ?? process.env.INTERPHASE_PORT ?? 0) || 0;
  const project = argValue(argv, '--project') ?? null;
  const resources = join(PACKAGE_ROOT, 'resources', 'sample');
  const staticDir = join(PACKAGE_ROOT, 'dist', 'renderer');
  if (!existsSync(join(staticDir, 'index.html'))) {
    console.error('Interphase: the renderer is not built (dist/renderer missing). Run `npm run build` or `npm start`.');
    process.exit(1);
  }
  const { server, backend, url } = await startBrowserMode({
    port,
    staticDir,
    startupProject: project,
    sampleResources: argv.includes('--no-sample') ? null : resources,
  });
  console.log(`Interphase is serving the same UI in browser mode on ${server.url}`);
  console.log(`Open this link (it carries the per-launch access token):\n  ${url}`);
  const stop = async () => {
    await server.close();
    await backend.shutdown();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

const invokedDirectly = process.argv[1] && /server\.(mjs|ts)$|start\.ts$/.test(process.argv[1]);
if (invokedDirectly) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(`Interphase: ${(e as Error).message}`);
    process.exit(1);
  });
}
