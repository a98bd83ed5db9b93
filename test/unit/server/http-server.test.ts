/**
 * Browser mode's transport: token, Host/Origin checks, JSON and binary calls, uploads, events,
 * static files with CSP and no path escapes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../../main/server/http-server.js';
import { createBackend } from '../../../main/services/backend.js';
import type { Backend } from '../../../main/services/backend-types.js';
import { decodeFrame, encodeFrame, FRAME_CONTENT_TYPE } from '../../../main/api/binary-frame.js';
import { sampleHrtemDm4 } from '../../fixtures/sample-data.js';

let dir: string;
let backend: Backend;
let srv: RunningServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'interphase-http-'));
  await mkdir(join(dir, 'static'));
  await writeFile(join(dir, 'static', 'index.html'), '<!doctype html><title>t</title>');
  await writeFile(join(dir, 'secret.txt'), 'no');
  backend = await createBackend({ paths: { workspace: join(dir, 'ws'), config: join(dir, 'cfg'), staging: join(dir, 'ws', '.staging') }, poolSize: 1 });
  srv = await startServer({ backend, staticDir: join(dir, 'static') });
});
afterAll(async () => {
  await srv.close();
  await backend.shutdown();
});

function call(method: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${srv.url}api/call/${method}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${srv.token}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

/** fetch() cannot forge Host; use node:http for that. */
function rawGet(path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: srv.port, path, headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('browser-mode server', () => {
  it('listens on 127.0.0.1 only', () => {
    expect(srv.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('answers contract calls with the token and refuses without it', async () => {
    const ok = await call('app.info', {});
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { result: { transport: string } }).result.transport).toBe('http');
    const noToken = await fetch(`${srv.url}api/call/app.info`, { method: 'POST', body: '{}' });
    expect(noToken.status).toBe(403);
    const wrong = await call('app.info', {}, { authorization: 'Bearer nope' });
    expect(wrong.status).toBe(403);
  });

  it('refuses foreign Host (DNS rebinding) and foreign Origin', async () => {
    expect(await rawGet('/', { host: 'evil.example:80' })).toBe(403);
    const cross = await call('app.info', {}, { origin: 'http://evil.example' });
    expect(cross.status).toBe(403);
  });

  it('validates arguments and returns typed errors', async () => {
    const r = await call('cell.add', { name: 42 });
    expect(r.status).toBe(400);
    const body = (await r.json()) as { ok: boolean; error: { code: string; message: string } };
    expect(body.ok).toBe(false);
    expect(body.error.code).toBe('bad-request');
    const none = await call('project.save', {});
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('no-project');
    expect((await call('no.such', {})).status).toBe(400);
  });

  it('uploads with a binary frame and returns image planes as binary frames', async () => {
    const bytes = sampleHrtemDm4();
    const up = await fetch(`${srv.url}api/call/files.stage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${srv.token}`, 'content-type': FRAME_CONTENT_TYPE },
      body: encodeFrame({ name: 'upload.dm4' }, bytes),
    });
    const staged = ((await up.json()) as { result: { path: string } }).result.path;
    expect(staged.endsWith('upload.dm4')).toBe(true);
    await call('project.create', { name: 'P' });
    const imp = (await (await call('dataset.import', { path: staged })).json()) as { result: { id: string }[] };
    const id = imp.result[0]!.id;
    const img = await call('dataset.readImage', { id, maxSize: 64 });
    expect(img.headers.get('content-type')).toBe(FRAME_CONTENT_TYPE);
    const { header, payload } = decodeFrame<{ width: number; height: number; binning: number }>(new Uint8Array(await img.arrayBuffer()));
    expect(header.width).toBe(64);
    expect(header.binning).toBe(6);
    expect(payload.byteLength).toBe(64 * 64 * 4);
  });

  it('streams events over SSE with the token', async () => {
    const ac = new AbortController();
    const res = await fetch(`${srv.url}api/events?token=${srv.token}`, { signal: ac.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    await call('cell.add', { name: 'evented' });
    let text = '';
    while (!text.includes('event: project')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toContain('evented');
    ac.abort();
    const denied = await fetch(`${srv.url}api/events?token=bad`);
    expect(denied.status).toBe(403);
  });

  it('serves the renderer with a CSP and never outside its folder', async () => {
    const idx = await fetch(srv.url);
    expect(idx.headers.get('content-security-policy')).toMatch(/^default-src 'none'/);
    expect(await rawGet('/../secret.txt', { host: `127.0.0.1:${srv.port}` })).not.toBe(200);
    expect(await rawGet('/%2e%2e/secret.txt', { host: `127.0.0.1:${srv.port}` })).not.toBe(200);
    expect(await rawGet('/..%2fsecret.txt', { host: `127.0.0.1:${srv.port}` })).toBe(403);
    const missing = await fetch(`${srv.url}nothing.js`);
    expect(missing.status).toBe(404);
  });
});
