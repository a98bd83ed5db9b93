/**
 * The Electron main-process entry: lifecycle and wiring, nothing else.
 *
 *   before ready   app.enableSandbox() (every renderer sandboxed, Electron security checklist #4),
 *                  single-instance lock, OS "open file" requests queued.
 *   ready          harden the default session → create the backend (injected factory) → IPC
 *                  (ipc.ts) → menu (menu.ts) → the window (window.ts) loading dist/renderer/index.html.
 *   second launch  the running instance focuses its window and opens the project the new process
 *                  was given (argv / additionalData).
 *   open-file      macOS Finder/Dock: `.interphase` bundles (document packages) and `.eln` archives.
 *   quit           window-all-closed quits except on macOS; before-quit awaits backend.shutdown()
 *                  (pending saves flushed, workers stopped) before letting the app exit.
 *
 * Bundled by esbuild to dist/electron/main.cjs (package.json "main"), format cjs, platform node,
 * external 'electron'. The renderer learns the startup project from the contract ('app.info'),
 * which the backend answers from ShellContext.startupProject.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as electronModule from 'electron';
import type { BrowserWindow, WebContents } from 'electron';
import type { Backend } from '../main/services/backend-types.js';
import { makeSenderCheck, registerIpc, type IpcRegistration } from './ipc.js';
import { createDialogOverrides, installAppMenu, openProjectPath, type InstalledMenu } from './menu.js';
import { appEntryUrl, createMainWindow, guardWebContents, hardenSession, shellPaths, type ElectronModule } from './window.js';

export const APP_ID = 'org.interphase.app';

/** What the backend factory learns about its environment. */
export interface ShellContext {
  /** Absolute path of the project the OS / command line asked to open at launch, if any. */
  startupProject: string | null;
  /** app.getPath('userData'): settings, recent list, default workspace. */
  userDataDir: string;
  /** Bundled read-only resources: <app>/resources in development, process.resourcesPath when
   *  packaged (electron-builder extraResources puts resources/sample there as `sample`). */
  resourcesDir: string;
  appVersion: string;
  isPackaged: boolean;
}

export interface ShellOptions {
  backendFactory: (ctx: ShellContext) => Promise<Backend> | Backend;
  /** Injected in tests; the real module otherwise. */
  electron?: ElectronModule;
  argv?: readonly string[];
  cwd?: string;
  platform?: NodeJS.Platform;
}

export interface Shell {
  /** False when another instance already runs: this process hands over its files and quits. */
  readonly primary: boolean;
  /** Settles once the backend, IPC, menu and window are up (rejects if start-up failed). */
  readonly ready: Promise<void>;
  mainWindow(): BrowserWindow | null;
  backend(): Backend | null;
  ipc(): IpcRegistration | null;
  /** Open a project bundle or .eln in the running app (focuses the window). */
  openProject(projectPath: string): Promise<void>;
}

const PROJECT_FILE = /\.(interphase|eln)[\\/]*$/i;

/** `.interphase` bundles and `.eln` archives — the two things the app is registered to open. */
export function isProjectPath(p: string): boolean {
  return PROJECT_FILE.test(p);
}

/**
 * Project paths among a command line's arguments, resolved against the launching directory.
 * Switches are skipped (Chromium appends its own, e.g. --original-process-start-time; macOS adds
 * -psn_…), as is anything that is not a project — including argv[0] and the app path in dev.
 */
export function projectPathsFromArgv(argv: readonly string[], cwd: string): string[] {
  return argv
    .filter((a) => typeof a === 'string' && a.length > 0 && a.length < 4096 && !a.startsWith('-') && isProjectPath(a))
    .map((a) => path.resolve(cwd, a.replace(/[\\/]+$/, '')));
}

/** additionalData comes from another local process: accept only {paths: absolute project paths}. */
function pathsFromAdditionalData(data: unknown): string[] | null {
  if (typeof data !== 'object' || data === null || !Array.isArray((data as { paths?: unknown }).paths)) return null;
  const paths = (data as { paths: unknown[] }).paths.filter(
    (p): p is string => typeof p === 'string' && p.length < 4096 && path.isAbsolute(p) && isProjectPath(p),
  );
  return paths;
}

const SHUTDOWN_TIMEOUT_MS = 15_000;

export function startShell(options: ShellOptions): Shell {
  const electron = options.electron ?? (electronModule as unknown as ElectronModule);
  const { app, BrowserWindow } = electron;
  const argv = options.argv ?? process.argv;
  const cwd = options.cwd ?? process.cwd();
  const platform = options.platform ?? process.platform;

  // Must precede 'ready' (Electron: "This method can only be called before app is ready").
  if (!app.isReady()) app.enableSandbox();

  const launchPaths = projectPathsFromArgv(argv, cwd);

  // The lock carries our paths so the primary instance need not re-parse a Chromium-munged argv.
  const primary = app.requestSingleInstanceLock({ paths: launchPaths });
  if (!primary) {
    app.quit();
    return {
      primary: false,
      ready: Promise.resolve(),
      mainWindow: () => null,
      backend: () => null,
      ipc: () => null,
      openProject: async () => {},
    };
  }

  if (platform === 'win32') app.setAppUserModelId(APP_ID);

  const appPath = app.getAppPath();
  const paths = shellPaths(appPath);
  const entryUrl = appEntryUrl(paths.rendererIndex);

  let backend: Backend | null = null;
  let registration: IpcRegistration | null = null;
  let menu: InstalledMenu | null = null;
  let mainWindow: BrowserWindow | null = null;
  /** webContents ids of the windows we created — the only senders IPC will serve. */
  const ownContents = new Set<number>();
  /** Paths the OS asked us to open before the backend existed. */
  const pending: string[] = [...launchPaths];

  const isOwnWebContents = (contents: WebContents): boolean => ownContents.has(contents.id);

  const createWindow = (): BrowserWindow => {
    const win = createMainWindow(electron, { preloadPath: paths.preload, rendererIndexPath: paths.rendererIndex, title: app.getName() });
    const contentsId = win.webContents.id;
    ownContents.add(contentsId);
    win.on('closed', () => {
      ownContents.delete(contentsId);
      if (mainWindow === win) mainWindow = null;
    });
    mainWindow = win;
    return win;
  };

  const focusWindow = (): void => {
    const win = mainWindow && !mainWindow.isDestroyed() ? mainWindow : app.isReady() && backend ? createWindow() : null;
    if (!win) return;
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  };

  const openProject = async (projectPath: string): Promise<void> => {
    if (!backend) {
      pending.push(projectPath);
      return;
    }
    focusWindow();
    await openProjectPath(electron, backend, projectPath);
  };

  // Every webContents, including any we did not create directly, gets the navigation policy
  // (checklist #13/#14 recommend doing this in 'web-contents-created').
  app.on('web-contents-created', (_event, contents) => guardWebContents(electron, contents, entryUrl));

  app.on('second-instance', (_event, secondArgv, workingDirectory, additionalData) => {
    const fromData = pathsFromAdditionalData(additionalData);
    const requested = fromData && fromData.length > 0 ? fromData : projectPathsFromArgv(secondArgv, workingDirectory);
    focusWindow();
    const first = requested[0];
    if (first) openProject(first).catch((err: unknown) => console.error('[shell] second-instance open failed', err));
  });

  // macOS delivers Finder/Dock opens here, possibly before 'ready' (then they are the startup project).
  app.on('open-file', (event, filePath) => {
    event.preventDefault();
    if (!isProjectPath(filePath)) return;
    openProject(filePath).catch((err: unknown) => console.error('[shell] open-file failed', err));
  });

  app.on('window-all-closed', () => {
    if (platform !== 'darwin') app.quit();
  });

  app.on('activate', () => {
    if (backend && BrowserWindow.getAllWindows().length === 0) createWindow();
  });

  let backendPromise: Promise<Backend> | null = null;
  let quitState: 'running' | 'stopping' | 'done' = 'running';

  const stop = async (): Promise<void> => {
    menu?.dispose();
    registration?.dispose();
    const b = backend ?? (backendPromise ? await backendPromise.catch(() => null) : null);
    if (!b) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        console.error(`[shell] backend.shutdown() did not finish within ${SHUTDOWN_TIMEOUT_MS} ms; quitting anyway`);
        resolve();
      }, SHUTDOWN_TIMEOUT_MS);
    });
    try {
      await Promise.race([b.shutdown(), timeout]);
    } catch (err) {
      console.error('[shell] backend.shutdown() failed', err);
    } finally {
      clearTimeout(timer);
    }
  };

  app.on('before-quit', (event) => {
    if (quitState === 'done') return;
    event.preventDefault();
    if (quitState === 'stopping') return;
    quitState = 'stopping';
    void stop().finally(() => {
      quitState = 'done';
      app.quit();
    });
  });

  const boot = async (): Promise<void> => {
    await app.whenReady();
    hardenSession(electron.session.defaultSession);
    app.setAboutPanelOptions({
      applicationName: app.getName(),
      applicationVersion: app.getVersion(),
      copyright: 'MIT License',
    });

    const ctx: ShellContext = {
      startupProject: pending.shift() ?? null,
      userDataDir: app.getPath('userData'),
      resourcesDir: app.isPackaged ? process.resourcesPath : path.join(appPath, 'resources'),
      appVersion: app.getVersion(),
      isPackaged: app.isPackaged,
    };
    backendPromise = Promise.resolve(options.backendFactory(ctx));
    backend = await backendPromise;

    registration = registerIpc(electron, backend, {
      isTrustedSender: makeSenderCheck({ entryUrl, isOwnWebContents }),
      overrides: createDialogOverrides(electron),
      eventTargets: () =>
        BrowserWindow.getAllWindows()
          .filter((w) => !w.isDestroyed() && ownContents.has(w.webContents.id))
          .map((w) => w.webContents),
    });
    menu = installAppMenu(electron, { backend, mainWindow: () => mainWindow });
    menu.refresh().catch(() => {});

    if (!existsSync(paths.rendererIndex)) {
      electron.dialog.showErrorBox('Interphase', `The user interface is missing:\n${paths.rendererIndex}\n\nRun \`npm run build\` first.`);
    }
    createWindow();

    // Files that arrived between 'ready' and the backend being up.
    for (const p of pending.splice(0)) await openProject(p);
  };

  const ready = boot();
  ready.catch((err: unknown) => {
    console.error('[shell] start-up failed', err);
    electron.dialog.showErrorBox('Interphase could not start', err instanceof Error ? err.message : String(err));
    app.exit(1);
  });

  return {
    primary: true,
    ready,
    mainWindow: () => mainWindow,
    backend: () => backend,
    ipc: () => registration,
    openProject,
  };
}

/**
 * The worker-pool entry of the bundled app: dist/electron/worker.mjs, next to main.cjs. Inside a
 * packaged app it is read from app.asar.unpacked (build/electron-builder.yml `asarUnpack`):
 * worker_threads' support for scripts inside asar archives has been uneven across Electron
 * versions (electron/electron#22446, #33216), and an unpacked real file always works. Null when
 * absent, in which case the backend picks its own default.
 */
export function bundledWorkerUrl(appPath: string): URL | null {
  const inAsar = path.join(appPath, 'dist', 'electron', 'worker.mjs');
  const unpacked = inAsar.replace(/\.asar([\\/])/, '.asar.unpacked$1');
  for (const candidate of [unpacked, inAsar]) if (existsSync(candidate)) return pathToFileURL(candidate);
  return null;
}

/** Only inside Electron's main process ('browser'); importing this module elsewhere (tests) does nothing. */
if (process.type === 'browser') {
  startShell({
    backendFactory: async (ctx) => {
      const { createBackend } = await import('../main/services/backend.js');
      const workerUrl = bundledWorkerUrl(electronModule.app.getAppPath());
      // First launch without a file to open: the shipped sample project (resources/sample).
      return createBackend({
        startupProject: ctx.startupProject,
        sampleResources: ctx.startupProject ? null : path.join(ctx.resourcesDir, 'sample'),
        ...(workerUrl ? { workerUrl } : {}),
      });
    },
  });
}
