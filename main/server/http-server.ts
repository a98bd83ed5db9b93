/**
 * Browser mode (DESIGN.md "Layers"): the same contract as the Electron shell, over HTTP + SSE on
 * 127.0.0.1 only, guarded by a random per-launch token and Host/Origin checks (DNS-rebinding and
 * cross-site defences), serving the built renderer.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { ApiError, isBinaryMethod, isMethodName, hasBinaryArgs, parseArgs, type Binary, type MethodName } from '../api/contract.js';
import { decodeFrame, encodeFrame, FRAME_CONTENT_TYPE } from '../api/binary-frame.js';
import type { Backend } from '../services/backend-types.js';
import { toApiError } from '../jobs/serialize-error.js';
import { CONTENT_SECURITY_POLICY } from '../api/csp.js';

export interface ServerOptions {
  backend: Backend;
  /** The built renderer (dist/renderer); null serves the API only. */
  staticDir: string | null;
  port?: number;
  token?: string;
  /** Largest request body accepted (uploads of instrument files go through files.stage). */
  maxBodyBytes?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
};

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(data);
}

function sendError(res: ServerResponse, e: unknown): void {
  const err = toApiError(e);
  const status =
    err.code === 'bad-request' ? 400 : err.code === 'forbidden' ? 403 : err.code === 'not-found' ? 404 : err.code === 'internal' ? 500 : 422;
  sendJson(res, status, { ok: false, error: err.toJSON() });
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new ApiError('bad-request', `request body larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function tokenMatches(given: string | null | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function startServer(o: ServerOptions): Promise<RunningServer> {
  const token = o.token ?? randomBytes(24).toString('base64url');
  const maxBody = o.maxBodyBytes ?? 1024 ** 3;
  const staticRoot = o.staticDir ? resolve(o.staticDir) : null;
  let port = 0;
  const sseClients = new Set<ServerResponse>();

  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const allowedOrigins = () => new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);

  const unsubscribe = o.backend.subscribe((event, payload) => {
    const msg = `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`;
    for (const c of sseClients) c.write(msg);
  });

  async function handleCall(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    if (!isMethodName(method)) throw new ApiError('bad-request', `unknown method ${method}`);
    const m = method as MethodName;
    const body = await readBody(req, maxBody);
    let raw: unknown;
    if (hasBinaryArgs(m)) {
      if (!String(req.headers['content-type']).startsWith(FRAME_CONTENT_TYPE)) {
        throw new ApiError('bad-request', `${m} takes a binary frame`);
      }
      const { header, payload } = decodeFrame<Record<string, unknown>>(body);
      raw = { ...header, data: payload };
    } else {
      raw = body.length ? JSON.parse(body.toString('utf8')) : {};
    }
    const args = parseArgs(m, raw);
    const result = await o.backend.dispatch(m, args as never, { transport: 'http' });
    if (isBinaryMethod(m)) {
      const b = result as Binary<unknown>;
      const frame = encodeFrame(b.meta, b.data);
      res.writeHead(200, { 'content-type': FRAME_CONTENT_TYPE, 'cache-control': 'no-store', 'content-length': frame.length });
      res.end(frame);
      return;
    }
    sendJson(res, 200, { ok: true, result: result ?? null });
  }

  async function serveStatic(res: ServerResponse, urlPath: string): Promise<void> {
    if (!staticRoot) {
      res.writeHead(404).end();
      return;
    }
    const rel = decodeURIComponent(urlPath === '/' ? '/index.html' : urlPath);
    const abs = normalize(join(staticRoot, rel));
    if (abs !== staticRoot && !abs.startsWith(staticRoot + sep)) {
      res.writeHead(403).end();
      return;
    }
    let file = abs;
    try {
      if (!(await stat(file)).isFile()) throw new Error('not a file');
    } catch {
      // Single-page app: unknown paths without an extension get the shell.
      if (extname(rel)) {
        res.writeHead(404).end();
        return;
      }
      file = join(staticRoot, 'index.html');
    }
    const data = await readFile(file);
    const headers: Record<string, string> = {
      'content-type': MIME[extname(file)] ?? 'application/octet-stream',
      'x-content-type-options': 'nosniff',
      'cache-control': file.endsWith('index.html') ? 'no-store' : 'max-age=3600',
    };
    if (file.endsWith('.html')) {
      headers['content-security-policy'] = CONTENT_SECURITY_POLICY;
      headers['x-frame-options'] = 'DENY';
      headers['referrer-policy'] = 'no-referrer';
    }
    res.writeHead(200, headers);
    res.end(data);
  }

  const server = createServer((req, res) => {
    void (async () => {
      try {
        if (!allowedHosts().has(String(req.headers.host))) {
          throw new ApiError('forbidden', 'unexpected Host header');
        }
        const origin = req.headers.origin;
        if (origin !== undefined && !allowedOrigins().has(origin)) throw new ApiError('forbidden', 'cross-origin request refused');
        const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
        if (url.pathname.startsWith('/api/')) {
          if (url.pathname === '/api/events' && req.method === 'GET') {
            if (!tokenMatches(url.searchParams.get('token'), token)) throw new ApiError('forbidden', 'missing or wrong token');
            res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
            res.write(': connected\n\n');
            sseClients.add(res);
            const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
            req.on('close', () => {
              clearInterval(ping);
              sseClients.delete(res);
            });
            return;
          }
          const auth = req.headers.authorization;
          if (!tokenMatches(auth?.startsWith('Bearer ') ? auth.slice(7) : null, token)) {
            throw new ApiError('forbidden', 'missing or wrong token');
          }
          const m = /^\/api\/call\/([A-Za-z.]+)$/.exec(url.pathname);
          if (!m || req.method !== 'POST') throw new ApiError('not-found', `no API route ${req.method} ${url.pathname}`);
          await handleCall(req, res, m[1]!);
          return;
        }
        if (req.method !== 'GET' && req.method !== 'HEAD') throw new ApiError('bad-request', 'method not allowed');
        await serveStatic(res, url.pathname);
      } catch (e) {
        if (!res.headersSent) sendError(res, e);
        else res.end();
      }
    })();
  });

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(o.port ?? 0, '127.0.0.1', () => ok());
  });
  const addr = server.address();
  port = typeof addr === 'object' && addr ? addr.port : 0;

  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    token,
    async close() {
      unsubscribe();
      for (const c of sseClients) c.end();
      sseClients.clear();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
