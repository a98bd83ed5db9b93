/**
 * The native application menu and the native file dialogs.
 *
 * Menu items that need UI state (a name for a new project, which cell/sample a dataset belongs to)
 * become a 'menu' event {command} sent to the focused window; the renderer handles it like a
 * toolbar click. Items that do not (Open, Save, Save As, Recent) run here in the main process with
 * dialog.showOpenDialog / showSaveDialog and call the backend directly — the renderer learns the
 * outcome from the backend's 'project' event like any other change.
 *
 * The contract's 'dialog.openFiles' and 'dialog.saveProject' are answered here too
 * (createDialogOverrides → registerIpc's `overrides`): in browser mode the backend answers
 * {native:false} and the UI falls back to <input type=file>.
 */
import path from 'node:path';
import type { BaseWindow, BrowserWindow, MenuItemConstructorOptions, OpenDialogOptions, SaveDialogOptions } from 'electron';
import type { RecentProject } from '../main/api/project-types.js';
import type { Backend, CallContext } from '../main/services/backend-types.js';
import { EVENT_CHANNEL, type ShellOverrides } from './ipc.js';
import type { ElectronModule } from './window.js';

/** Commands the renderer receives as `on('menu', ({command}) => …)`. */
export const MENU_COMMANDS = {
  newProject: 'project.new',
  importData: 'dataset.import',
} as const;
export type MenuCommand = (typeof MENU_COMMANDS)[keyof typeof MENU_COMMANDS];

export const PROJECT_EXTENSION = 'interphase';
export const ELN_EXTENSION = 'eln';

const CONTEXT: CallContext = { transport: 'electron' };

type MenuElectron = Pick<ElectronModule, 'app' | 'BrowserWindow' | 'Menu' | 'dialog'>;

export interface MenuDeps {
  backend: Backend;
  /** The window that receives commands and parents dialogs when none is focused. */
  mainWindow(): BrowserWindow | null;
}

function targetWindow(electron: Pick<ElectronModule, 'BrowserWindow'>, deps: Pick<MenuDeps, 'mainWindow'>): BrowserWindow | null {
  const focused = electron.BrowserWindow.getFocusedWindow();
  const win = focused ?? deps.mainWindow();
  return win && !win.isDestroyed() ? win : null;
}

/** Deliver a menu command to the focused window as the contract's 'menu' event. */
export function sendMenuCommand(electron: Pick<ElectronModule, 'BrowserWindow'>, deps: Pick<MenuDeps, 'mainWindow'>, command: MenuCommand): boolean {
  const win = targetWindow(electron, deps);
  if (!win) return false;
  win.webContents.send(EVENT_CHANNEL, { event: 'menu', payload: { command } });
  return true;
}

/** Forward a parent window to the dialog APIs only when there is one (their overloads differ). */
function showOpen(electron: Pick<ElectronModule, 'dialog'>, parent: BaseWindow | null, options: OpenDialogOptions) {
  return parent ? electron.dialog.showOpenDialog(parent, options) : electron.dialog.showOpenDialog(options);
}
function showSave(electron: Pick<ElectronModule, 'dialog'>, parent: BaseWindow | null, options: SaveDialogOptions) {
  return parent ? electron.dialog.showSaveDialog(parent, options) : electron.dialog.showSaveDialog(options);
}

/** Characters no file system on our three platforms accepts in a name, plus control characters. */
// eslint-disable-next-line no-control-regex
const UNSAFE_NAME = /[\u0000-\u001f<>:"/\\|?*]+/g;

export function safeFileStem(name: string): string {
  const stem = name.replace(UNSAFE_NAME, '-').replace(/^[.\s]+|[.\s]+$/g, '').slice(0, 120);
  return stem || 'Untitled';
}

/** Save dialogs do not enforce a filter's extension on Linux: add it when the user typed none. */
export function withProjectExtension(p: string): string {
  const stripped = p.replace(/[\\/]+$/, '');
  return stripped.toLowerCase().endsWith(`.${PROJECT_EXTENSION}`) ? stripped : `${stripped}.${PROJECT_EXTENSION}`;
}

/**
 * The options for choosing a project to open. On macOS a `.interphase` bundle is a document
 * package (LSTypeIsPackage, see build/electron-builder.yml) and is picked like a file, alongside
 * `.eln` archives; elsewhere a dialog cannot pick files and directories at once, so "Open
 * Project…" picks the bundle directory and "Open ELN Archive…" picks the file.
 */
export function openProjectDialogOptions(platform: NodeJS.Platform, kind: 'bundle' | 'eln'): OpenDialogOptions {
  if (platform === 'darwin') {
    return {
      title: 'Open Project',
      properties: ['openFile', 'openDirectory'],
      filters: [{ name: 'Interphase Project or ELN Archive', extensions: [PROJECT_EXTENSION, ELN_EXTENSION] }],
    };
  }
  if (kind === 'eln') {
    return { title: 'Open ELN Archive', properties: ['openFile'], filters: [{ name: 'ELN Archive (RO-Crate)', extensions: [ELN_EXTENSION] }] };
  }
  return { title: 'Open Project', properties: ['openDirectory'] };
}

function errorMessage(err: unknown): string {
  if (err && typeof err === 'object' && typeof (err as { message?: unknown }).message === 'string') return (err as { message: string }).message;
  return String(err);
}

/** Tell the OS about a document we opened (Dock/Jump List recents; the call is a no-op on Linux). */
function rememberRecent(app: Pick<ElectronModule['app'], 'addRecentDocument'>, projectPath: string): void {
  if (typeof app.addRecentDocument === 'function') app.addRecentDocument(projectPath);
}

/** Open a project bundle or .eln archive through the backend; failures become an error box. */
export async function openProjectPath(electron: Pick<ElectronModule, 'app' | 'dialog'>, backend: Backend, projectPath: string): Promise<boolean> {
  try {
    await backend.dispatch('project.open', { path: projectPath }, CONTEXT);
    rememberRecent(electron.app, projectPath);
    return true;
  } catch (err) {
    electron.dialog.showErrorBox('Could not open project', `${projectPath}\n\n${errorMessage(err)}`);
    return false;
  }
}

async function chooseAndOpen(electron: MenuElectron, deps: MenuDeps, kind: 'bundle' | 'eln'): Promise<void> {
  const r = await showOpen(electron, targetWindow(electron, deps), openProjectDialogOptions(process.platform, kind));
  const chosen = r.filePaths[0];
  if (r.canceled || !chosen) return;
  await openProjectPath(electron, deps.backend, chosen);
}

async function save(electron: MenuElectron, deps: MenuDeps): Promise<void> {
  try {
    await deps.backend.dispatch('project.save', {}, CONTEXT);
  } catch (err) {
    electron.dialog.showErrorBox('Could not save project', errorMessage(err));
  }
}

async function saveAs(electron: MenuElectron, deps: MenuDeps): Promise<void> {
  let currentPath: string | null = null;
  try {
    currentPath = (await deps.backend.dispatch('project.current', {}, CONTEXT))?.path ?? null;
  } catch {
    currentPath = null;
  }
  const name = currentPath ? path.basename(currentPath).replace(/\.interphase$/i, '') : 'Untitled';
  const r = await showSave(electron, targetWindow(electron, deps), {
    title: 'Save Project As',
    defaultPath: path.join(
      currentPath ? path.dirname(currentPath) : electron.app.getPath('documents'),
      `${safeFileStem(name)}.${PROJECT_EXTENSION}`,
    ),
    filters: [{ name: 'Interphase Project', extensions: [PROJECT_EXTENSION] }],
    properties: ['createDirectory', 'showOverwriteConfirmation'],
  });
  if (r.canceled || !r.filePath) return;
  const target = withProjectExtension(r.filePath);
  try {
    await deps.backend.dispatch('project.saveAs', { path: target }, CONTEXT);
    rememberRecent(electron.app, target);
  } catch (err) {
    electron.dialog.showErrorBox('Could not save project', `${target}\n\n${errorMessage(err)}`);
  }
}

function fireAndLog(p: Promise<unknown>): void {
  p.catch((err: unknown) => console.error('[shell] menu action failed', err));
}

export interface TemplateOptions {
  platform: NodeJS.Platform;
  isPackaged: boolean;
  appName: string;
  recent: RecentProject[];
}

/** The menu as data (tested directly; installAppMenu turns it into the native menu). */
export function buildMenuTemplate(electron: MenuElectron, deps: MenuDeps, opts: TemplateOptions): MenuItemConstructorOptions[] {
  const mac = opts.platform === 'darwin';
  // '&' marks the Alt-key mnemonic on Windows and Linux; macOS menus have none.
  const top = (label: string): string => (mac ? label.replace('&', '') : label);
  const recentItems: MenuItemConstructorOptions[] = opts.recent.length
    ? opts.recent.slice(0, 15).map((r) => ({
        label: r.name || path.basename(r.path),
        toolTip: r.path,
        click: () => fireAndLog(openProjectPath(electron, deps.backend, r.path)),
      }))
    : [{ label: 'No Recent Projects', enabled: false }];

  const file: MenuItemConstructorOptions = {
    label: top('&File'),
    submenu: [
      { id: 'file.new', label: 'New Project…', accelerator: 'CmdOrCtrl+N', click: () => sendMenuCommand(electron, deps, MENU_COMMANDS.newProject) },
      { id: 'file.open', label: 'Open Project…', accelerator: 'CmdOrCtrl+O', click: () => fireAndLog(chooseAndOpen(electron, deps, 'bundle')) },
      ...(mac ? [] : [{ id: 'file.openEln', label: 'Open ELN Archive…', click: () => fireAndLog(chooseAndOpen(electron, deps, 'eln')) }]),
      { id: 'file.recent', label: 'Open Recent', submenu: recentItems },
      { type: 'separator' },
      { id: 'file.import', label: 'Import Data…', accelerator: 'CmdOrCtrl+I', click: () => sendMenuCommand(electron, deps, MENU_COMMANDS.importData) },
      { type: 'separator' },
      { id: 'file.save', label: 'Save', accelerator: 'CmdOrCtrl+S', click: () => fireAndLog(save(electron, deps)) },
      { id: 'file.saveAs', label: 'Save As…', accelerator: 'Shift+CmdOrCtrl+S', click: () => fireAndLog(saveAs(electron, deps)) },
      { type: 'separator' },
      mac ? { role: 'close' } : { id: 'file.quit', role: 'quit', label: 'Quit' },
    ],
  };

  const edit: MenuItemConstructorOptions = {
    label: top('&Edit'),
    submenu: [
      { role: 'undo' },
      { role: 'redo' },
      { type: 'separator' },
      { role: 'cut' },
      { role: 'copy' },
      { role: 'paste' },
      { role: 'delete' },
      { type: 'separator' },
      { role: 'selectAll' },
    ],
  };

  // Reload and DevTools are developer affordances: a packaged build offers neither (a reload
  // mid-job, or a console in a researcher's hands, helps nobody).
  const view: MenuItemConstructorOptions = {
    label: top('&View'),
    submenu: [
      ...(opts.isPackaged
        ? []
        : ([{ role: 'reload' }, { role: 'forceReload' }, { role: 'toggleDevTools' }, { type: 'separator' }] satisfies MenuItemConstructorOptions[])),
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' },
    ],
  };

  const help: MenuItemConstructorOptions = {
    role: 'help',
    label: top('&Help'),
    submenu: [{ id: 'help.about', role: 'about', label: `About ${opts.appName}` }],
  };

  const appMenu: MenuItemConstructorOptions[] = mac
    ? [
        {
          label: opts.appName,
          submenu: [
            { role: 'about' },
            { type: 'separator' },
            { role: 'services' },
            { type: 'separator' },
            { role: 'hide' },
            { role: 'hideOthers' },
            { role: 'unhide' },
            { type: 'separator' },
            { role: 'quit' },
          ],
        },
      ]
    : [];

  return [...appMenu, file, edit, view, ...(mac ? [{ role: 'windowMenu' } satisfies MenuItemConstructorOptions] : []), help];
}

export interface InstalledMenu {
  /** Re-read the recent list from the backend and rebuild the menu. */
  refresh(): Promise<void>;
  dispose(): void;
}

/** Install the application menu; it is rebuilt whenever the backend reports a project change. */
export function installAppMenu(electron: MenuElectron, deps: MenuDeps): InstalledMenu {
  let disposed = false;
  let generation = 0;
  const install = (recent: RecentProject[]): void => {
    const template = buildMenuTemplate(electron, deps, {
      platform: process.platform,
      isPackaged: electron.app.isPackaged,
      appName: electron.app.getName(),
      recent,
    });
    electron.Menu.setApplicationMenu(electron.Menu.buildFromTemplate(template));
  };
  const refresh = async (): Promise<void> => {
    const mine = ++generation;
    let recent: RecentProject[] = [];
    try {
      recent = await deps.backend.dispatch('project.recent', {}, CONTEXT);
    } catch (err) {
      console.error('[shell] could not read recent projects', err);
    }
    // A slower, older refresh must not overwrite a newer one.
    if (!disposed && mine === generation) install(Array.isArray(recent) ? recent : []);
  };
  install([]);
  const unsubscribe = deps.backend.subscribe((event) => {
    if (event === 'project') fireAndLog(refresh());
  });
  return {
    refresh,
    dispose() {
      disposed = true;
      unsubscribe();
    },
  };
}

/**
 * The shell's answers to 'dialog.openFiles' and 'dialog.saveProject'. The dialog is parented to
 * the window that asked, so it is modal to it (a sheet on macOS).
 */
export function createDialogOverrides(electron: Pick<ElectronModule, 'app' | 'BrowserWindow' | 'dialog'>): ShellOverrides {
  return {
    'dialog.openFiles': async (args, event) => {
      const parent = electron.BrowserWindow.fromWebContents(event.sender);
      const r = await showOpen(electron, parent, {
        ...(args.title ? { title: args.title } : {}),
        properties: args.directory ? ['openDirectory'] : ['openFile', 'multiSelections'],
      });
      return { paths: r.canceled || r.filePaths.length === 0 ? null : [...r.filePaths], native: true };
    },
    'dialog.saveProject': async (args, event) => {
      const parent = electron.BrowserWindow.fromWebContents(event.sender);
      const r = await showSave(electron, parent, {
        title: 'Save Project',
        defaultPath: path.join(electron.app.getPath('documents'), `${safeFileStem(args.defaultName ?? 'Untitled')}.${PROJECT_EXTENSION}`),
        filters: [{ name: 'Interphase Project', extensions: [PROJECT_EXTENSION] }],
        properties: ['createDirectory', 'showOverwriteConfirmation'],
      });
      return { path: r.canceled || !r.filePath ? null : withProjectExtension(r.filePath), native: true };
    },
  };
}
