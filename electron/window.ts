/**
 * The one window factory. Every BrowserWindow the app opens comes from here, so the security
 * posture lives in one place (Electron security checklist, https://www.electronjs.org/docs/latest/tutorial/security):
 *   #2 no Node in the renderer, #3 context isolation, #4 sandbox  → PINNED_WEB_PREFERENCES
 *   #5 permission requests denied                                  → hardenSession
 *   #6 webSecurity on, #8 no insecure content, #10 no <webview>    → PINNED_WEB_PREFERENCES / guardWebContents
 *   #7 Content-Security-Policy                                     → hardenSession (header) + csp.ts (meta)
 *   #13/#14 navigation and new windows limited                     → guardWebContents
 *   #15 shell.openExternal only with validated http(s) URLs        → isSafeExternalUrl
 *
 * The electron module is passed in (not imported) so tests drive this against a fake.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserWindow, Session, WebContents, WebPreferences } from 'electron';
import { CONTENT_SECURITY_POLICY } from './csp.js';

export type ElectronModule = typeof import('electron');

/**
 * The pinned preferences, minus the preload path (which depends on where the app is installed).
 * Written out in full — even where Electron's default already agrees — so a future default change,
 * or a well-meaning edit, shows up as a failing shell-contract test instead of a silent regression.
 */
export const PINNED_WEB_PREFERENCES = Object.freeze({
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
} satisfies WebPreferences);

export function webPreferencesFor(preloadPath: string): WebPreferences {
  if (!path.isAbsolute(preloadPath)) {
    // A relative preload path resolves against the process cwd — i.e. whatever directory the user
    // launched from. Refuse rather than load an arbitrary script.
    throw new Error(`preload path must be absolute, got ${JSON.stringify(preloadPath)}`);
  }
  return { ...PINNED_WEB_PREFERENCES, preload: preloadPath };
}

/** Where the built artefacts live relative to app.getAppPath() (the asar root when packaged). */
export function shellPaths(appPath: string): { preload: string; rendererIndex: string } {
  return {
    preload: path.join(appPath, 'dist', 'electron', 'preload.cjs'),
    rendererIndex: path.join(appPath, 'dist', 'renderer', 'index.html'),
  };
}

/** The URL a window gets when it loads `indexPath` with loadFile. */
export function appEntryUrl(indexPath: string): string {
  return pathToFileURL(indexPath).href;
}

/**
 * Is `candidate` the app's own page? For file:// the "origin" is every file on the disk, so only
 * the renderer's index.html itself counts (any hash/query). For a custom scheme (app://host/…),
 * the scheme + host is ours as a whole. Anything unparsable is foreign.
 */
export function isAppUrl(candidate: string, entryUrl: string): boolean {
  let c: URL;
  let e: URL;
  try {
    c = new URL(candidate);
    e = new URL(entryUrl);
  } catch {
    return false;
  }
  if (c.protocol !== e.protocol || c.host !== e.host) return false;
  if (c.username || c.password) return false;
  if (e.protocol === 'file:') return decodeURIComponent(c.pathname) === decodeURIComponent(e.pathname);
  if (e.protocol === 'http:' || e.protocol === 'https:') return c.origin === e.origin;
  return true;
}

/** Only plain web links leave the app, and only to the user's browser. */
export function isSafeExternalUrl(url: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  return (u.protocol === 'https:' || u.protocol === 'http:') && u.hostname !== '' && !u.username && !u.password;
}

function withCsp(headers: Record<string, string[]> | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    // Replace, never merge with, whatever policy a response carried.
    if (name.toLowerCase() !== 'content-security-policy') out[name] = value;
  }
  out['Content-Security-Policy'] = [CONTENT_SECURITY_POLICY];
  return out;
}

const hardenedSessions = new WeakSet<Session>();

/**
 * Deny every permission (camera, notifications, geolocation, HID, serial, …): the workbench needs
 * none, and a compromised renderer should gain nothing by asking. Set the CSP response header.
 */
export function hardenSession(session: Session): void {
  if (hardenedSessions.has(session)) return;
  hardenedSessions.add(session);
  session.setPermissionRequestHandler((_webContents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: withCsp(details.responseHeaders) });
  });
}

const guardedContents = new WeakSet<WebContents>();

/**
 * Navigation and window policy for any webContents (main.ts also applies it from
 * app 'web-contents-created', so contents we did not create directly are covered too).
 */
export function guardWebContents(electron: Pick<ElectronModule, 'shell'>, contents: WebContents, entryUrl: string): void {
  if (guardedContents.has(contents)) return;
  guardedContents.add(contents);

  const denyForeignNavigation = (event: { preventDefault(): void; url?: string }, legacyUrl?: string): void => {
    const url = typeof event.url === 'string' ? event.url : (legacyUrl ?? '');
    if (!isAppUrl(url, entryUrl)) event.preventDefault();
  };
  contents.on('will-navigate', denyForeignNavigation);
  contents.on('will-redirect', denyForeignNavigation);

  contents.setWindowOpenHandler(({ url }) => {
    if (isSafeExternalUrl(url)) {
      electron.shell.openExternal(url).catch((err: unknown) => console.error('[shell] openExternal failed', err));
    }
    return { action: 'deny' };
  });

  contents.on('will-attach-webview', (event) => event.preventDefault());
}

export interface MainWindowOptions {
  /** Absolute path of the built preload, dist/electron/preload.cjs (see shellPaths). */
  preloadPath: string;
  /** Absolute path of the built renderer, dist/renderer/index.html (see shellPaths). */
  rendererIndexPath: string;
  title?: string;
}

export function createMainWindow(electron: Pick<ElectronModule, 'BrowserWindow' | 'shell'>, opts: MainWindowOptions): BrowserWindow {
  const webPreferences = webPreferencesFor(opts.preloadPath);
  const entryUrl = appEntryUrl(opts.rendererIndexPath);
  const win = new electron.BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    title: opts.title ?? 'Interphase',
    // Shown on ready-to-show, so the user never sees an unstyled flash.
    show: false,
    webPreferences,
  });
  hardenSession(win.webContents.session);
  guardWebContents(electron, win.webContents, entryUrl);
  win.once('ready-to-show', () => win.show());
  win.loadFile(opts.rendererIndexPath).catch((err: unknown) => console.error('[shell] failed to load renderer', err));
  return win;
}
