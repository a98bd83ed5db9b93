/**
 * Shell contract (DESIGN.md "Tests, in tiers"): the Electron shell's wiring, checked against a
 * fake `electron` module because the Electron binary is not available on build machines.
 * What is pinned here is the security posture (webPreferences, navigation, permissions, CSP,
 * sender checks, the preload's surface) and the transport (every contract method reachable).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('electron', async () => (await import('./fake-electron.js')).electronModule);

import { ApiError, EVENT_NAMES, METHOD_NAMES, type EventMap, type EventName, type MethodName } from '../../main/api/contract.js';
import type { Backend, CallContext } from '../../main/services/backend-types.js';
import { CONTENT_SECURITY_POLICY, CSP_META_CONTENT, CSP_META_TAG } from '../../electron/csp.js';
import { CALL_CHANNEL, EVENT_CHANNEL, makeSenderCheck, registerIpc, type CallEnvelope } from '../../electron/ipc.js';
import { isProjectPath, projectPathsFromArgv, startShell, type ShellContext } from '../../electron/main.js';
import { buildMenuTemplate, createDialogOverrides, installAppMenu, MENU_COMMANDS, withProjectExtension } from '../../electron/menu.js';
import {
  appEntryUrl,
  createMainWindow,
  guardWebContents,
  isAppUrl,
  isSafeExternalUrl,
  PINNED_WEB_PREFERENCES,
  shellPaths,
} from '../../electron/window.js';
import { asElectron, fake, FakeBrowserWindow, FakeEvent, FakeMenu, FakeSession, FakeWebContents, FakeWebFrameMain } from './fake-electron.js';

type Fn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

const APP = '/opt/interphase/app';
const PATHS = shellPaths(APP);
const ENTRY = appEntryUrl(PATHS.rendererIndex);

interface FakeBackend {
  backend: Backend;
  calls: { method: MethodName; args: unknown; ctx: CallContext }[];
  emit<E extends EventName>(event: E, payload: EventMap[E]): void;
  shutdowns: number;
  subscribers(): number;
  failWith: Error | null;
}

function makeBackend(): FakeBackend {
  const listeners = new Set<Fn>();
  const state: FakeBackend = {
    calls: [],
    shutdowns: 0,
    failWith: null,
    subscribers: () => listeners.size,
    emit: (event, payload) => {
      for (const l of listeners) l(event, payload);
    },
    backend: {
      dispatch: (async (method: MethodName, args: unknown, ctx: CallContext) => {
        state.calls.push({ method, args, ctx });
        if (state.failWith) throw state.failWith;
        if (method === 'app.info') return { name: 'Interphase', version: '0.1.0', transport: ctx.transport, workspace: '/w', startupProject: null };
        if (method === 'project.recent') return [{ path: '/data/Cell A.interphase', name: 'Cell A', opened: '2025-01-01T00:00:00Z' }];
        if (method === 'project.current') return null;
        return null;
      }) as Backend['dispatch'],
      subscribe: (listener) => {
        listeners.add(listener as Fn);
        return () => listeners.delete(listener as Fn);
      },
      shutdown: async () => {
        state.shutdowns++;
      },
    },
  };
  return state;
}

/** An invoke event as Electron builds it: the sender webContents and the sending frame. */
function invokeEvent(sender: FakeWebContents, frame: FakeWebFrameMain | null = sender.mainFrame) {
  return { sender, senderFrame: frame, processId: 1, frameId: 1 } as unknown as Electron.IpcMainInvokeEvent;
}

function callHandler(): Fn {
  const h = fake.ipcMain.handlers.get(CALL_CHANNEL);
  if (!h) throw new Error(`no handler registered on ${CALL_CHANNEL}`);
  return h;
}

/** A window made by the factory and "loaded", plus a registration trusting exactly that window. */
function wiredWindow(fb: FakeBackend) {
  const win = createMainWindow(asElectron(), { preloadPath: PATHS.preload, rendererIndexPath: PATHS.rendererIndex }) as unknown as FakeBrowserWindow;
  const own = new Set([win.webContents.id]);
  const reg = registerIpc(asElectron(), fb.backend, {
    isTrustedSender: makeSenderCheck({ entryUrl: ENTRY, isOwnWebContents: (c) => own.has(c.id) }),
    overrides: createDialogOverrides(asElectron()),
  });
  return { win, reg };
}

beforeEach(() => {
  fake.reset();
});
afterEach(() => {
  vi.restoreAllMocks();
});

// ---------------------------------------------------------------------------------------------

describe('window factory', () => {
  it('pins webPreferences exactly, with the absolute preload path', () => {
    const win = createMainWindow(asElectron(), { preloadPath: PATHS.preload, rendererIndexPath: PATHS.rendererIndex }) as unknown as FakeBrowserWindow;
    expect(win.options.webPreferences).toEqual({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      spellcheck: false,
      preload: path.join(APP, 'dist', 'electron', 'preload.cjs'),
    });
    expect(Object.isFrozen(PINNED_WEB_PREFERENCES)).toBe(true);
    expect(path.isAbsolute(PATHS.preload)).toBe(true);
    expect(win.options.show).toBe(false);
    expect(win.loaded).toEqual([path.join(APP, 'dist', 'renderer', 'index.html')]);
  });

  it('refuses a relative preload path', () => {
    expect(() => createMainWindow(asElectron(), { preloadPath: 'dist/electron/preload.cjs', rendererIndexPath: PATHS.rendererIndex })).toThrow(/absolute/);
  });

  it('denies navigation away from the app page, allows the page itself', () => {
    const win = createMainWindow(asElectron(), { preloadPath: PATHS.preload, rendererIndexPath: PATHS.rendererIndex }) as unknown as FakeBrowserWindow;
    for (const event of ['will-navigate', 'will-redirect']) {
      for (const url of ['https://evil.example/', 'file:///etc/passwd', 'file:///tmp/index.html', 'javascript:alert(1)', 'not a url']) {
        const e = new FakeEvent({ url });
        win.webContents.emit(event, e, url);
        expect(e.defaultPrevented, `${event} ${url}`).toBe(true);
      }
      const ok = new FakeEvent({ url: `${ENTRY}#/datasets` });
      win.webContents.emit(event, ok, ok);
      expect(ok.defaultPrevented, `${event} to the app page`).toBe(false);
    }
  });

  it('denies window.open; opens only validated http(s) links externally', () => {
    const win = createMainWindow(asElectron(), { preloadPath: PATHS.preload, rendererIndexPath: PATHS.rendererIndex }) as unknown as FakeBrowserWindow;
    const handler = win.webContents.windowOpenHandler;
    expect(handler).toBeTypeOf('function');
    for (const url of ['https://doi.org/10.1038/s41586', 'http://example.org/a', 'file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', `${ENTRY}`, 'https://user:pw@example.org/']) {
      expect(handler!({ url }), url).toEqual({ action: 'deny' });
    }
    expect(fake.shell.opened).toEqual(['https://doi.org/10.1038/s41586', 'http://example.org/a']);
  });

  it('prevents <webview> attachment', () => {
    const win = createMainWindow(asElectron(), { preloadPath: PATHS.preload, rendererIndexPath: PATHS.rendererIndex }) as unknown as FakeBrowserWindow;
    const e = new FakeEvent();
    win.webContents.emit('will-attach-webview', e, {}, {});
    expect(e.defaultPrevented).toBe(true);
  });

  it('denies every permission request and check', () => {
    createMainWindow(asElectron(), { preloadPath: PATHS.preload, rendererIndexPath: PATHS.rendererIndex });
    const s = fake.session.defaultSession;
    for (const permission of ['media', 'geolocation', 'notifications', 'openExternal', 'clipboard-read', 'hid', 'unknown']) {
      const answers: boolean[] = [];
      s.permissionRequestHandler!({}, permission, (granted: boolean) => answers.push(granted), {});
      expect(answers, permission).toEqual([false]);
      expect(s.permissionCheckHandler!(null, permission, 'file://', {}), permission).toBe(false);
    }
    expect(s.devicePermissionHandler!({ deviceType: 'usb', origin: 'file://' })).toBe(false);
  });

  it("sets a CSP response header starting with default-src 'none', replacing any other", () => {
    createMainWindow(asElectron(), { preloadPath: PATHS.preload, rendererIndexPath: PATHS.rendererIndex });
    const hook = fake.session.defaultSession.webRequest.headersReceived;
    expect(hook).toBeTypeOf('function');
    const results: { responseHeaders: Record<string, string[]> }[] = [];
    hook!({ url: ENTRY, responseHeaders: { 'content-security-policy': ['default-src *'], 'X-Other': ['1'] } }, (r: { responseHeaders: Record<string, string[]> }) => results.push(r));
    const headers = results[0]!.responseHeaders;
    expect(headers['Content-Security-Policy']).toEqual([CONTENT_SECURITY_POLICY]);
    expect(headers['content-security-policy']).toBeUndefined();
    expect(headers['X-Other']).toEqual(['1']);
    expect(CONTENT_SECURITY_POLICY.startsWith("default-src 'none'")).toBe(true);
  });

  it('hardens each session once, however many windows share it', () => {
    const s = new FakeSession();
    FakeBrowserWindow.defaultSession = s;
    createMainWindow(asElectron(), { preloadPath: PATHS.preload, rendererIndexPath: PATHS.rendererIndex });
    const first = s.webRequest.headersReceived;
    createMainWindow(asElectron(), { preloadPath: PATHS.preload, rendererIndexPath: PATHS.rendererIndex });
    expect(s.webRequest.headersReceived).toBe(first);
  });
});

describe('CSP', () => {
  it('is minimal: nothing beyond the listed allowances', () => {
    const directives = Object.fromEntries(CONTENT_SECURITY_POLICY.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v.join(' ')]));
    expect(directives).toEqual({
      'default-src': "'none'",
      'script-src': "'self'",
      'style-src': "'self' 'unsafe-inline'",
      'img-src': "'self' data: blob:",
      'connect-src': "'self'",
      'font-src': "'self'",
      'worker-src': "'self' blob:",
      'base-uri': "'none'",
      'form-action': "'none'",
      'frame-ancestors': "'none'",
    });
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|\*/);
  });

  it('has a meta-tag form without header-only directives', () => {
    expect(CSP_META_CONTENT.startsWith("default-src 'none'")).toBe(true);
    expect(CSP_META_CONTENT).not.toContain('frame-ancestors');
    expect(CSP_META_TAG).toBe(`<meta http-equiv="Content-Security-Policy" content="${CSP_META_CONTENT}">`);
  });
});

describe('URL policies', () => {
  it('isAppUrl accepts only the renderer page (file://) or our own custom-scheme host', () => {
    expect(isAppUrl(`${ENTRY}?x=1#/a`, ENTRY)).toBe(true);
    expect(isAppUrl('file:///opt/interphase/app/dist/renderer/other.html', ENTRY)).toBe(false);
    expect(isAppUrl('file://remote-host/opt/interphase/app/dist/renderer/index.html', ENTRY)).toBe(false);
    expect(isAppUrl('app://interphase/index.html', 'app://interphase/index.html')).toBe(true);
    expect(isAppUrl('app://interphase/assets/x.js', 'app://interphase/index.html')).toBe(true);
    expect(isAppUrl('app://other/index.html', 'app://interphase/index.html')).toBe(false);
    expect(isAppUrl('https://interphase/index.html', 'app://interphase/index.html')).toBe(false);
  });

  it('isSafeExternalUrl allows http(s) only', () => {
    expect(isSafeExternalUrl('https://example.org')).toBe(true);
    expect(isSafeExternalUrl('mailto:a@b.c')).toBe(false);
    expect(isSafeExternalUrl('file:///x')).toBe(false);
    expect(isSafeExternalUrl('https://')).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------

describe('IPC registration', () => {
  it('registers one invoke handler whose registry covers every contract method', () => {
    const fb = makeBackend();
    const { reg } = wiredWindow(fb);
    expect(fake.ipcMain.handleCalls).toEqual([CALL_CHANNEL]);
    expect(reg.methods()).toEqual(METHOD_NAMES);
    expect(METHOD_NAMES.filter((m) => reg.route(m) === 'shell').sort()).toEqual(['dialog.openFiles', 'dialog.saveProject']);
  });

  it.each(METHOD_NAMES)('%s is reachable and validates its arguments (bad-request)', async (method) => {
    const fb = makeBackend();
    const { win } = wiredWindow(fb);
    const reply = (await callHandler()(invokeEvent(win.webContents), { method, args: 'not-an-object' })) as CallEnvelope;
    expect(reply.ok).toBe(false);
    if (reply.ok) return;
    expect(reply.error.code).toBe('bad-request');
    expect(reply.error.message).toContain(method);
    expect(fb.calls).toEqual([]);
  });

  it('a valid call reaches the backend with transport electron and returns an ok envelope', async () => {
    const fb = makeBackend();
    const { win } = wiredWindow(fb);
    const reply = (await callHandler()(invokeEvent(win.webContents), { method: 'app.info', args: {} })) as CallEnvelope;
    expect(reply).toEqual({ ok: true, result: expect.objectContaining({ transport: 'electron' }) });
    expect(fb.calls).toEqual([{ method: 'app.info', args: {}, ctx: { transport: 'electron' } }]);
  });

  it('passes parsed (defaulted) arguments and binary payloads through', async () => {
    const fb = makeBackend();
    const { win } = wiredWindow(fb);
    const data = new ArrayBuffer(8);
    await callHandler()(invokeEvent(win.webContents), { method: 'files.stage', args: { name: 'a.dm4', data } });
    await callHandler()(invokeEvent(win.webContents), { method: 'dataset.readImage', args: { id: 'd1' } });
    expect(fb.calls[0]!.args).toEqual({ name: 'a.dm4', data });
    expect((fb.calls[0]!.args as { data: ArrayBuffer }).data).toBe(data);
    expect(fb.calls[1]!.args).toEqual({ id: 'd1', frame: 0, maxSize: 2048 });
  });

  it('refuses unknown methods and malformed requests with bad-request', async () => {
    const fb = makeBackend();
    const { win } = wiredWindow(fb);
    const h = callHandler();
    for (const request of [{ method: 'fs.readFile', args: {} }, { method: '__proto__', args: {} }, { method: 'toString' }, null, 'app.info', 42]) {
      const reply = (await h(invokeEvent(win.webContents), request)) as CallEnvelope;
      expect(reply, JSON.stringify(request)).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    }
    expect(fb.calls).toEqual([]);
  });

  it('refuses untrusted senders with forbidden before looking at the request', async () => {
    const fb = makeBackend();
    const { win } = wiredWindow(fb);
    const h = callHandler();
    const stranger = new FakeWebContents(fake.session.defaultSession, ENTRY);
    const cases: [string, Electron.IpcMainInvokeEvent][] = [
      ['other origin', invokeEvent(win.webContents, new FakeWebFrameMain('https://evil.example/'))],
      ['another local file', invokeEvent(win.webContents, new FakeWebFrameMain('file:///tmp/index.html'))],
      ['subframe of our page', invokeEvent(win.webContents, new FakeWebFrameMain(ENTRY, win.webContents.mainFrame))],
      ['destroyed frame', invokeEvent(win.webContents, null)],
      ['webContents we did not create', invokeEvent(stranger, stranger.mainFrame)],
    ];
    for (const [label, event] of cases) {
      const reply = (await h(event, { method: 'app.info', args: {} })) as CallEnvelope;
      expect(reply, label).toEqual({ ok: false, error: { code: 'forbidden', message: expect.any(String) } });
    }
    expect(fb.calls).toEqual([]);
  });

  it('a sender check that throws counts as untrusted', async () => {
    const fb = makeBackend();
    registerIpc(asElectron(), fb.backend, {
      isTrustedSender: () => {
        throw new Error('boom');
      },
    });
    const reply = (await callHandler()(invokeEvent(new FakeWebContents(new FakeSession())), { method: 'app.info', args: {} })) as CallEnvelope;
    expect(reply).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });

  it('returns ApiErrors as their shape and hides other errors behind code internal', async () => {
    const fb = makeBackend();
    const { win } = wiredWindow(fb);
    fb.failWith = new ApiError('not-found', 'no dataset d9', { id: 'd9' });
    expect(await callHandler()(invokeEvent(win.webContents), { method: 'dataset.get', args: { id: 'd9' } })).toEqual({
      ok: false,
      error: { code: 'not-found', message: 'no dataset d9', details: { id: 'd9' } },
    });
    fb.failWith = new Error('EACCES: permission denied, open /home/alice/secret.key');
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    const reply = (await callHandler()(invokeEvent(win.webContents), { method: 'dataset.get', args: { id: 'd9' } })) as CallEnvelope;
    spy.mockRestore();
    expect(reply).toEqual({ ok: false, error: { code: 'internal', message: 'internal error while handling dataset.get' } });
  });

  it('routes the native dialogs to the shell, parented to the calling window', async () => {
    const fb = makeBackend();
    const { win } = wiredWindow(fb);
    fake.dialog.openResult = { canceled: false, filePaths: ['/data/a.dm4', '/data/b.mpt'] };
    expect(await callHandler()(invokeEvent(win.webContents), { method: 'dialog.openFiles', args: { title: 'Import' } })).toEqual({
      ok: true,
      result: { paths: ['/data/a.dm4', '/data/b.mpt'], native: true },
    });
    expect(fake.dialog.openCalls[0]).toEqual({ parent: win, options: { title: 'Import', properties: ['openFile', 'multiSelections'] } });
    fake.dialog.openResult = { canceled: true, filePaths: [] };
    expect(await callHandler()(invokeEvent(win.webContents), { method: 'dialog.openFiles', args: { directory: true } })).toEqual({
      ok: true,
      result: { paths: null, native: true },
    });
    expect(fake.dialog.openCalls[1]!.options.properties).toEqual(['openDirectory']);

    fake.dialog.saveResult = { canceled: false, filePath: '/data/My Cell' };
    expect(await callHandler()(invokeEvent(win.webContents), { method: 'dialog.saveProject', args: { defaultName: 'My/Cell' } })).toEqual({
      ok: true,
      result: { path: '/data/My Cell.interphase', native: true },
    });
    expect(fake.dialog.saveCalls[0]!.options.defaultPath).toBe(path.join('/home/tester/documents', 'My-Cell.interphase'));
    expect(fb.calls).toEqual([]);
  });

  it('forwards backend events to windows on the event channel, and stops on dispose', () => {
    const fb = makeBackend();
    const { win, reg } = wiredWindow(fb);
    const job = { id: 'j1', label: 'Parse', state: 'running', progress: 0.5, started: 'now' } as const;
    fb.emit('job', job);
    expect(win.webContents.sent).toEqual([{ channel: EVENT_CHANNEL, args: [{ event: 'job', payload: job }] }]);
    reg.dispose();
    expect(fb.subscribers()).toBe(0);
    expect(fake.ipcMain.handlers.has(CALL_CHANNEL)).toBe(false);
    fb.emit('project', null);
    expect(win.webContents.sent).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------------

describe('preload', () => {
  async function loadPreload() {
    vi.resetModules();
    const mod = await import('../../electron/preload.js');
    const api = fake.contextBridge.exposed.get('interphase') as Record<string, Fn>;
    return { mod, api };
  }

  it("exposes exactly one global, 'interphase', with exactly the keys call and on", async () => {
    const { api } = await loadPreload();
    expect([...fake.contextBridge.exposed.keys()]).toEqual(['interphase']);
    expect(Object.keys(api).sort()).toEqual(['call', 'on']);
    expect(Object.isFrozen(api)).toBe(true);
    for (const value of Object.values(api)) {
      expect(value).toBeTypeOf('function');
      expect(value).not.toBe(fake.ipcRenderer);
    }
  });

  it('uses the same channels as the main side', async () => {
    const { mod } = await loadPreload();
    expect(mod.PRELOAD_CALL_CHANNEL).toBe(CALL_CHANNEL);
    expect(mod.PRELOAD_EVENT_CHANNEL).toBe(EVENT_CHANNEL);
  });

  it('call rejects methods outside the contract without touching ipcRenderer', async () => {
    const { api } = await loadPreload();
    for (const method of ['fs.readFile', 'constructor', '__proto__', 42, null, { toString: () => 'app.info' }]) {
      await expect(api.call!(method, {})).rejects.toMatchObject({ name: 'ApiError', code: 'bad-request' });
    }
    expect(fake.ipcRenderer.invocations).toEqual([]);
  });

  it('call invokes the call channel and unwraps the envelope', async () => {
    const { api } = await loadPreload();
    fake.ipcRenderer.reply = () => ({ ok: true, result: { version: '0.1.0' } });
    await expect(api.call!('app.info', {})).resolves.toEqual({ version: '0.1.0' });
    expect(fake.ipcRenderer.invocations).toEqual([{ channel: CALL_CHANNEL, args: [{ method: 'app.info', args: {} }] }]);
  });

  it('rejects with a plain {name, code, message, details} object (survives contextBridge)', async () => {
    const { api } = await loadPreload();
    fake.ipcRenderer.reply = () => ({ ok: false, error: { code: 'not-found', message: 'no dataset d9', details: { id: 'd9' } } });
    const err = await api.call!('dataset.get', { id: 'd9' }).catch((e: unknown) => e);
    expect(err).toEqual({ name: 'ApiError', code: 'not-found', message: 'no dataset d9', details: { id: 'd9' } });
    expect(Object.getPrototypeOf(err)).toBe(Object.prototype);
    // The renderer client's rehydration (duck-typed on `code`) turns it back into an ApiError.
    const back = ApiError.from(err as ApiError);
    expect(back.toJSON()).toEqual({ code: 'not-found', message: 'no dataset d9', details: { id: 'd9' } });

    fake.ipcRenderer.reply = () => ({ weird: true });
    await expect(api.call!('app.info', {})).rejects.toMatchObject({ code: 'internal' });
    fake.ipcRenderer.reply = () => ({ ok: false, error: { code: 'rm -rf', message: 'x' } });
    await expect(api.call!('app.info', {})).rejects.toMatchObject({ code: 'internal', message: 'x' });
    fake.ipcRenderer.reply = () => {
      throw new Error('An object could not be cloned.');
    };
    await expect(api.call!('files.stage', { name: 'x', data: new ArrayBuffer(1) })).rejects.toMatchObject({ code: 'bad-request' });
  });

  it('on accepts only contract events, never hands out the IPC event, and unsubscribes', async () => {
    const { api } = await loadPreload();
    expect(() => api.on!('ipc', () => {})).toThrow(/unknown event/);
    expect(() => api.on!('project', 'not a function')).toThrow(TypeError);
    expect(fake.ipcRenderer.listenerCount(EVENT_CHANNEL)).toBe(0);

    const seen: unknown[][] = [];
    const off = api.on!('project', (...args: unknown[]) => seen.push(args)) as () => void;
    const offJob = api.on!('job', () => {}) as () => void;
    expect(fake.ipcRenderer.listenerCount(EVENT_CHANNEL)).toBe(1);
    const ipcEvent = { sender: fake.ipcRenderer, ports: [] };
    fake.ipcRenderer.emit(EVENT_CHANNEL, ipcEvent, { event: 'project', payload: { path: '/p' } });
    fake.ipcRenderer.emit(EVENT_CHANNEL, ipcEvent, { event: 'menu', payload: { command: 'x' } });
    fake.ipcRenderer.emit(EVENT_CHANNEL, ipcEvent, 'garbage');
    expect(seen).toEqual([[{ path: '/p' }]]);
    off();
    off();
    expect(fake.ipcRenderer.listenerCount(EVENT_CHANNEL)).toBe(1);
    offJob();
    expect(fake.ipcRenderer.listenerCount(EVENT_CHANNEL)).toBe(0);
    fake.ipcRenderer.emit(EVENT_CHANNEL, ipcEvent, { event: 'project', payload: null });
    expect(seen).toHaveLength(1);
    expect(EVENT_NAMES.every((e) => typeof api.on!(e, () => {}) === 'function')).toBe(true);
  });

  it('round trip: every contract method goes preload → ipcMain handler → backend or dialog', async () => {
    const fb = makeBackend();
    const { win } = wiredWindow(fb);
    const { api } = await loadPreload();
    fake.ipcRenderer.reply = (channel, request) => callHandler()(invokeEvent(win.webContents), request);
    for (const method of METHOD_NAMES) {
      await expect(api.call!(method, 7), method).rejects.toMatchObject({ code: 'bad-request' });
    }
    expect(fb.calls).toEqual([]);
    await expect(api.call!('project.recent', {})).resolves.toEqual([expect.objectContaining({ name: 'Cell A' })]);
    expect(fb.calls.map((c) => c.method)).toEqual(['project.recent']);
  });
});

// ---------------------------------------------------------------------------------------------

describe('menu', () => {
  type Item = { id?: string; label?: string; role?: string; submenu?: Item[]; click?: Fn; enabled?: boolean; toolTip?: string };
  const flatten = (items: Item[]): Item[] => items.flatMap((i) => [i, ...(i.submenu ? flatten(i.submenu) : [])]);

  function template(isPackaged: boolean, platform: NodeJS.Platform = 'linux', fb = makeBackend(), mainWindow: () => Electron.BrowserWindow | null = () => null) {
    return buildMenuTemplate(asElectron(), { backend: fb.backend, mainWindow }, {
      platform,
      isPackaged,
      appName: 'Interphase',
      recent: [{ path: '/data/Cell A.interphase', name: 'Cell A', opened: '2025-01-01' }],
    }) as Item[];
  }

  it('has the File commands, Edit roles and Help → About', () => {
    const items = template(true);
    const file = items.find((i) => i.label === '&File')!;
    expect(file.submenu!.filter((i) => i.label).map((i) => i.label)).toEqual([
      'New Project…',
      'Open Project…',
      'Open ELN Archive…',
      'Open Recent',
      'Import Data…',
      'Save',
      'Save As…',
      'Quit',
    ]);
    expect(file.submenu!.find((i) => i.label === 'Quit')!.role).toBe('quit');
    const edit = items.find((i) => i.label === '&Edit')!;
    expect(edit.submenu!.map((i) => i.role).filter(Boolean)).toEqual(['undo', 'redo', 'cut', 'copy', 'paste', 'delete', 'selectAll']);
    expect(flatten(items).some((i) => i.role === 'about')).toBe(true);
  });

  it('offers reload and devtools only when not packaged', () => {
    const roles = (packaged: boolean) => flatten(template(packaged)).map((i) => i.role);
    expect(roles(false)).toEqual(expect.arrayContaining(['reload', 'forceReload', 'toggleDevTools']));
    expect(roles(true)).not.toContain('toggleDevTools');
    expect(roles(true)).not.toContain('reload');
    expect(roles(true)).not.toContain('forceReload');
  });

  it('macOS: app menu with quit, Open Project picks bundles and .eln', () => {
    const items = template(true, 'darwin');
    expect(items[0]!.label).toBe('Interphase');
    expect(items.map((i) => i.label).filter(Boolean)).toEqual(['Interphase', 'File', 'Edit', 'View', 'Help']);
    expect(items.some((i) => i.role === 'windowMenu')).toBe(true);
    expect(items[0]!.submenu!.map((i) => i.role)).toContain('quit');
    expect(flatten(items).some((i) => i.label === 'Open ELN Archive…')).toBe(false);
  });

  it('New Project / Import Data send a menu event to the focused window', () => {
    const win = createMainWindow(asElectron(), { preloadPath: PATHS.preload, rendererIndexPath: PATHS.rendererIndex }) as unknown as FakeBrowserWindow;
    win.focus();
    const items = flatten(template(true));
    items.find((i) => i.label === 'New Project…')!.click!();
    items.find((i) => i.label === 'Import Data…')!.click!();
    expect(win.webContents.sent).toEqual([
      { channel: EVENT_CHANNEL, args: [{ event: 'menu', payload: { command: MENU_COMMANDS.newProject } }] },
      { channel: EVENT_CHANNEL, args: [{ event: 'menu', payload: { command: MENU_COMMANDS.importData } }] },
    ]);
  });

  it('Recent lists backend projects; Open Project / Save / Save As run native dialogs and the backend', async () => {
    const fb = makeBackend();
    const items = flatten(template(true, 'linux', fb));
    const recent = items.find((i) => i.label === 'Cell A')!;
    expect(recent.toolTip).toBe('/data/Cell A.interphase');
    recent.click!();
    await vi.waitFor(() => expect(fb.calls.map((c) => c.method)).toContain('project.open'));
    expect(fb.calls.find((c) => c.method === 'project.open')!.args).toEqual({ path: '/data/Cell A.interphase' });
    expect(fake.app.recentDocuments).toEqual(['/data/Cell A.interphase']);

    fake.dialog.openResult = { canceled: false, filePaths: ['/data/B.interphase'] };
    items.find((i) => i.label === 'Open Project…')!.click!();
    await vi.waitFor(() => expect(fb.calls.filter((c) => c.method === 'project.open')).toHaveLength(2));
    expect(fake.dialog.openCalls.at(-1)!.options.properties).toEqual(['openDirectory']);

    items.find((i) => i.label === 'Save')!.click!();
    await vi.waitFor(() => expect(fb.calls.map((c) => c.method)).toContain('project.save'));

    fake.dialog.saveResult = { canceled: false, filePath: '/data/Copy' };
    items.find((i) => i.label === 'Save As…')!.click!();
    await vi.waitFor(() => expect(fb.calls.map((c) => c.method)).toContain('project.saveAs'));
    expect(fb.calls.find((c) => c.method === 'project.saveAs')!.args).toEqual({ path: '/data/Copy.interphase' });
  });

  it('a failing open shows an error box instead of throwing', async () => {
    const fb = makeBackend();
    fb.failWith = new ApiError('not-found', 'no such project');
    const items = flatten(template(true, 'linux', fb));
    items.find((i) => i.label === 'Cell A')!.click!();
    await vi.waitFor(() => expect(fake.dialog.errorBoxes).toHaveLength(1));
    expect(fake.dialog.errorBoxes[0]!.content).toContain('no such project');
  });

  it('installAppMenu reads Recent from the backend and rebuilds on project events', async () => {
    const fb = makeBackend();
    const menu = installAppMenu(asElectron(), { backend: fb.backend, mainWindow: () => null });
    await menu.refresh();
    const labels = () => flatten(FakeMenu.applied.at(-1)!.template as Item[]).map((i) => i.label);
    expect(labels()).toContain('Cell A');
    const before = FakeMenu.applied.length;
    fb.emit('project', null);
    await vi.waitFor(() => expect(FakeMenu.applied.length).toBe(before + 1));
    expect(fb.calls.filter((c) => c.method === 'project.recent').length).toBe(2);
    menu.dispose();
    expect(fb.subscribers()).toBe(0);
  });

  it('withProjectExtension adds .interphase once', () => {
    expect(withProjectExtension('/a/B')).toBe('/a/B.interphase');
    expect(withProjectExtension('/a/B.Interphase/')).toBe('/a/B.Interphase');
  });
});

// ---------------------------------------------------------------------------------------------

describe('main: lifecycle', () => {
  function start(over: { argv?: string[]; platform?: NodeJS.Platform } = {}) {
    const fb = makeBackend();
    const contexts: ShellContext[] = [];
    vi.spyOn(console, 'error').mockImplementation(() => {});
    fake.app.appPath = APP;
    const shell = startShell({
      backendFactory: (ctx) => {
        contexts.push(ctx);
        return fb.backend;
      },
      argv: over.argv ?? ['/opt/interphase/interphase'],
      cwd: '/home/tester',
      platform: over.platform ?? 'linux',
    });
    return { fb, contexts, shell };
  }

  it('enables the sandbox before ready and requests the single-instance lock with launch paths', () => {
    start({ argv: ['/opt/interphase/interphase', '--no-sandbox-is-ignored', 'cells/A.interphase/', 'notes.txt'] });
    expect(fake.app.sandboxEnabled).toBe(true);
    expect(fake.app.sandboxEnabledBeforeReady).toBe(true);
    expect(fake.app.lockRequests).toEqual([{ paths: ['/home/tester/cells/A.interphase'] }]);
  });

  it('a second instance quits without creating anything', async () => {
    fake.app.lockGranted = false;
    const { shell, contexts } = start();
    expect(shell.primary).toBe(false);
    expect(fake.app.quitCount).toBe(1);
    fake.app.makeReady();
    await shell.ready;
    expect(contexts).toEqual([]);
    expect(FakeBrowserWindow.instances).toEqual([]);
    expect(fake.ipcMain.handlers.size).toBe(0);
  });

  it('on ready: backend (with the startup project), IPC, menu, one hardened window loading the renderer', async () => {
    const { shell, contexts, fb } = start({ argv: ['/opt/interphase/interphase', '/data/Start.interphase'] });
    expect(contexts).toEqual([]);
    fake.app.makeReady();
    await shell.ready;
    expect(contexts).toEqual([
      {
        startupProject: '/data/Start.interphase',
        userDataDir: '/home/tester/userData',
        resourcesDir: path.join(APP, 'resources'),
        appVersion: '0.1.0',
        isPackaged: false,
      },
    ]);
    expect(shell.backend()).toBe(fb.backend);
    expect(fake.ipcMain.handleCalls).toEqual([CALL_CHANNEL]);
    expect(shell.ipc()!.methods()).toEqual(METHOD_NAMES);
    expect(FakeMenu.applied.length).toBeGreaterThan(0);
    expect(FakeBrowserWindow.instances).toHaveLength(1);
    const win = FakeBrowserWindow.instances[0]!;
    expect(win.options.webPreferences).toEqual({ ...PINNED_WEB_PREFERENCES, preload: PATHS.preload });
    expect(win.loaded).toEqual([PATHS.rendererIndex]);
    expect(fake.session.defaultSession.permissionRequestHandler).toBeTypeOf('function');
    // The renderer index does not exist in this test: the user is told how to build it.
    expect(fake.dialog.errorBoxes[0]!.content).toContain('npm run build');
  });

  it('the production sender check trusts only our window showing our page', async () => {
    const { shell, fb } = start();
    fake.app.makeReady();
    await shell.ready;
    const win = FakeBrowserWindow.instances[0]!;
    const h = callHandler();
    expect(await h(invokeEvent(win.webContents), { method: 'app.info', args: {} })).toMatchObject({ ok: true });
    const foreign = new FakeWebContents(fake.session.defaultSession, ENTRY);
    expect(await h(invokeEvent(foreign), { method: 'app.info', args: {} })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    win.webContents.mainFrame.url = 'https://evil.example/';
    expect(await h(invokeEvent(win.webContents), { method: 'app.info', args: {} })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    win.webContents.mainFrame.url = ENTRY;
    win.close();
    expect(await h(invokeEvent(win.webContents), { method: 'app.info', args: {} })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(fb.calls.map((c) => c.method)).toEqual(['project.recent', 'app.info']);
  });

  it('second-instance focuses the window and opens the project it was given', async () => {
    const { shell, fb } = start();
    fake.app.makeReady();
    await shell.ready;
    const win = FakeBrowserWindow.instances[0]!;
    win.minimized = true;
    fake.app.emit('second-instance', new FakeEvent(), ['/opt/interphase/interphase', '--original-process-start-time=1', 'B.eln'], '/home/other', { paths: 'nonsense' });
    await vi.waitFor(() => expect(fb.calls.some((c) => c.method === 'project.open')).toBe(true));
    expect(fb.calls.find((c) => c.method === 'project.open')!.args).toEqual({ path: '/home/other/B.eln' });
    expect(win.restoreCount).toBe(1);
    expect(win.focusCount).toBeGreaterThan(0);

    fake.app.emit('second-instance', new FakeEvent(), [], '/', { paths: ['/data/C.interphase', 'relative/D.interphase', 7] });
    await vi.waitFor(() => expect(fb.calls.filter((c) => c.method === 'project.open')).toHaveLength(2));
    expect(fb.calls.filter((c) => c.method === 'project.open')[1]!.args).toEqual({ path: '/data/C.interphase' });
  });

  it('open-file (macOS) before ready becomes the startup project; after ready it opens', async () => {
    const { shell, contexts, fb } = start({ platform: 'darwin' });
    const early = new FakeEvent();
    fake.app.emit('open-file', early, '/Users/a/Cell.interphase');
    expect(early.defaultPrevented).toBe(true);
    fake.app.makeReady();
    await shell.ready;
    expect(contexts[0]!.startupProject).toBe('/Users/a/Cell.interphase');
    fake.app.emit('open-file', new FakeEvent(), '/Users/a/Shared.eln');
    fake.app.emit('open-file', new FakeEvent(), '/Users/a/picture.png');
    await vi.waitFor(() => expect(fb.calls.some((c) => c.method === 'project.open')).toBe(true));
    expect(fb.calls.filter((c) => c.method === 'project.open').map((c) => c.args)).toEqual([{ path: '/Users/a/Shared.eln' }]);
  });

  it('window-all-closed quits except on macOS', async () => {
    const linux = start();
    fake.app.makeReady();
    await linux.shell.ready;
    fake.app.emit('window-all-closed');
    expect(fake.app.quitCount).toBe(1);

    fake.reset();
    const mac = start({ platform: 'darwin' });
    fake.app.makeReady();
    await mac.shell.ready;
    fake.app.emit('window-all-closed');
    expect(fake.app.quitCount).toBe(0);
  });

  it('before-quit waits for backend.shutdown(), then quits for real, once', async () => {
    const { shell, fb } = start();
    fake.app.makeReady();
    await shell.ready;
    const first = new FakeEvent();
    fake.app.emit('before-quit', first);
    expect(first.defaultPrevented).toBe(true);
    fake.app.emit('before-quit', new FakeEvent());
    await vi.waitFor(() => expect(fake.app.quitCount).toBe(1));
    expect(fb.shutdowns).toBe(1);
    expect(fake.ipcMain.handlers.size).toBe(0);
    expect(fb.subscribers()).toBe(0);
    const last = new FakeEvent();
    fake.app.emit('before-quit', last);
    expect(last.defaultPrevented).toBe(false);
  });

  it('guards every webContents created in the app', async () => {
    const { shell } = start();
    fake.app.makeReady();
    await shell.ready;
    const contents = new FakeWebContents(fake.session.defaultSession);
    fake.app.emit('web-contents-created', new FakeEvent(), contents);
    expect(contents.windowOpenHandler!({ url: 'https://x.org' })).toEqual({ action: 'deny' });
    const nav = new FakeEvent({ url: 'https://x.org' });
    contents.emit('will-navigate', nav, 'https://x.org');
    expect(nav.defaultPrevented).toBe(true);
    // Idempotent: the factory's own window is not double-registered.
    const before = contents.listenerCount('will-navigate');
    guardWebContents(asElectron(), contents as unknown as Electron.WebContents, ENTRY);
    expect(contents.listenerCount('will-navigate')).toBe(before);
  });

  it('project paths: only .interphase bundles and .eln archives, resolved', () => {
    expect(isProjectPath('/a/B.interphase')).toBe(true);
    expect(isProjectPath('C:\\a\\B.ELN')).toBe(true);
    expect(isProjectPath('/a/B.txt')).toBe(false);
    expect(projectPathsFromArgv(['app', '-psn_0_1', '--x=a.eln', 'rel/A.interphase', '/abs/B.eln', 'C.dm4'], '/cwd')).toEqual(['/cwd/rel/A.interphase', '/abs/B.eln']);
  });
});

// ---------------------------------------------------------------------------------------------

describe('packaging config', () => {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  // electron-builder's own schema validator and YAML parser (devDependency electron-builder pulls
  // them in); offline, no Electron binary involved.
  const load = (): { validate: (c: unknown) => Promise<void>; parse: (t: string) => unknown } | null => {
    try {
      const req = createRequire(path.join(root, 'package.json'));
      const { validateConfiguration } = req('app-builder-lib/out/util/config/config.js') as { validateConfiguration: (c: unknown, l: unknown) => Promise<void> };
      const { DebugLogger } = req('builder-util/out/DebugLogger.js') as { DebugLogger: new (enabled: boolean) => unknown };
      const yaml = req('js-yaml') as { load: (t: string) => unknown };
      return { validate: (c) => validateConfiguration(c, new DebugLogger(false)), parse: (t) => yaml.load(t) };
    } catch {
      return null;
    }
  };
  const tools = load();

  it.skipIf(!tools)('build/electron-builder.yml is a valid electron-builder configuration', async () => {
    const config = tools!.parse(readFileSync(path.join(root, 'build/electron-builder.yml'), 'utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    await expect(tools!.validate(config)).resolves.toBeUndefined();
    expect(config).toMatchObject({
      appId: 'org.interphase.app',
      productName: 'Interphase',
      directories: { output: 'release' },
      asar: true,
      linux: { target: ['AppImage', 'deb'] },
      win: { target: ['nsis'] },
      mac: { target: ['dmg'] },
      extraResources: [expect.objectContaining({ from: 'resources/sample', to: 'sample' })],
      asarUnpack: expect.arrayContaining(['dist/electron/worker*.mjs']),
    });
    expect(config.files).toEqual(expect.arrayContaining(['dist/**', 'package.json', 'resources/**']));
    expect(config.fileAssociations).toEqual([
      expect.objectContaining({ ext: 'interphase', name: 'Interphase Project', role: 'Editor', isPackage: true }),
      expect.objectContaining({ ext: 'eln', name: 'ELN Archive' }),
    ]);
    // The bundle names the shell expects (electron/window.ts shellPaths, package.json main).
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { main: string };
    expect(pkg.main).toBe('dist/electron/main.cjs');
    expect(path.relative(APP, PATHS.preload).split(path.sep).join('/')).toBe('dist/electron/preload.cjs');
    expect(path.relative(APP, PATHS.rendererIndex).split(path.sep).join('/')).toBe('dist/renderer/index.html');
  });
});
