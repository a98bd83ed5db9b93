/**
 * A fake of the slice of the `electron` module the shell uses. It records what the shell does
 * (constructor options, handlers, registrations) so tests can assert on it and drive it (emit
 * events, call captured handlers). Never loads the real module: that would try to download the
 * Electron binary.
 *
 * One shared instance (`fake`), reset in place between tests, because modules under test capture
 * the object when they import 'electron' (vi.mock('electron', () => fake)).
 */

type Fn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

class Emitter {
  readonly listeners = new Map<string, Fn[]>();
  on(event: string, fn: Fn): this {
    const list = this.listeners.get(event) ?? [];
    list.push(fn);
    this.listeners.set(event, list);
    return this;
  }
  addListener(event: string, fn: Fn): this {
    return this.on(event, fn);
  }
  once(event: string, fn: Fn): this {
    const wrapped: Fn = (...args) => {
      this.removeListener(event, wrapped);
      return fn(...args);
    };
    return this.on(event, wrapped);
  }
  removeListener(event: string, fn: Fn): this {
    const list = this.listeners.get(event) ?? [];
    this.listeners.set(
      event,
      list.filter((f) => f !== fn),
    );
    return this;
  }
  off(event: string, fn: Fn): this {
    return this.removeListener(event, fn);
  }
  emit(event: string, ...args: unknown[]): boolean {
    const list = [...(this.listeners.get(event) ?? [])];
    for (const fn of list) fn(...args);
    return list.length > 0;
  }
  listenerCount(event: string): number {
    return this.listeners.get(event)?.length ?? 0;
  }
}

/** An Electron-style event: records preventDefault. */
export class FakeEvent {
  defaultPrevented = false;
  constructor(extra: Record<string, unknown> = {}) {
    Object.assign(this, extra);
  }
  preventDefault(): void {
    this.defaultPrevented = true;
  }
}

export class FakeWebRequest {
  headersReceived: Fn | null = null;
  onHeadersReceived(filterOrListener: unknown, maybeListener?: Fn): void {
    this.headersReceived = (typeof filterOrListener === 'function' ? filterOrListener : maybeListener) as Fn;
  }
}

export class FakeSession {
  permissionRequestHandler: Fn | null = null;
  permissionCheckHandler: Fn | null = null;
  devicePermissionHandler: Fn | null = null;
  readonly webRequest = new FakeWebRequest();
  setPermissionRequestHandler(fn: Fn | null): void {
    this.permissionRequestHandler = fn;
  }
  setPermissionCheckHandler(fn: Fn | null): void {
    this.permissionCheckHandler = fn;
  }
  setDevicePermissionHandler(fn: Fn | null): void {
    this.devicePermissionHandler = fn;
  }
}

export class FakeWebFrameMain {
  constructor(
    public url: string,
    public parent: FakeWebFrameMain | null = null,
  ) {}
  get top(): FakeWebFrameMain {
    return this.parent ? this.parent.top : this;
  }
}

let nextContentsId = 1;

export class FakeWebContents extends Emitter {
  readonly id = nextContentsId++;
  windowOpenHandler: Fn | null = null;
  readonly sent: { channel: string; args: unknown[] }[] = [];
  destroyed = false;
  readonly mainFrame: FakeWebFrameMain;
  constructor(
    readonly session: FakeSession,
    url = 'about:blank',
  ) {
    super();
    this.mainFrame = new FakeWebFrameMain(url);
  }
  setWindowOpenHandler(fn: Fn): void {
    this.windowOpenHandler = fn;
  }
  send(channel: string, ...args: unknown[]): void {
    this.sent.push({ channel, args });
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  getURL(): string {
    return this.mainFrame.url;
  }
}

export interface FakeBrowserWindowStatics {
  instances: FakeBrowserWindow[];
  focused: FakeBrowserWindow | null;
}

export class FakeBrowserWindow extends Emitter {
  static instances: FakeBrowserWindow[] = [];
  static focused: FakeBrowserWindow | null = null;
  static defaultSession: FakeSession;

  static getAllWindows(): FakeBrowserWindow[] {
    return FakeBrowserWindow.instances.filter((w) => !w.destroyed);
  }
  static getFocusedWindow(): FakeBrowserWindow | null {
    return FakeBrowserWindow.focused;
  }
  static fromWebContents(contents: FakeWebContents): FakeBrowserWindow | null {
    return FakeBrowserWindow.instances.find((w) => w.webContents === contents) ?? null;
  }

  readonly webContents: FakeWebContents;
  readonly loaded: string[] = [];
  destroyed = false;
  minimized = false;
  visible = false;
  focusCount = 0;
  restoreCount = 0;

  constructor(readonly options: Record<string, unknown> = {}) {
    super();
    this.webContents = new FakeWebContents(FakeBrowserWindow.defaultSession);
    FakeBrowserWindow.instances.push(this);
  }
  loadFile(file: string): Promise<void> {
    this.loaded.push(file);
    this.webContents.mainFrame.url = new URL(`file://${file.startsWith('/') ? '' : '/'}${file.replace(/\\/g, '/')}`).href;
    return Promise.resolve();
  }
  loadURL(url: string): Promise<void> {
    this.loaded.push(url);
    this.webContents.mainFrame.url = url;
    return Promise.resolve();
  }
  show(): void {
    this.visible = true;
  }
  focus(): void {
    this.focusCount++;
    FakeBrowserWindow.focused = this;
  }
  restore(): void {
    this.restoreCount++;
    this.minimized = false;
  }
  isMinimized(): boolean {
    return this.minimized;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  close(): void {
    this.destroyed = true;
    this.webContents.destroyed = true;
    if (FakeBrowserWindow.focused === this) FakeBrowserWindow.focused = null;
    this.emit('closed');
  }
}

export class FakeApp extends Emitter {
  ready = false;
  isPackaged = false;
  sandboxEnabled = false;
  sandboxEnabledBeforeReady = false;
  lockRequests: unknown[] = [];
  lockGranted = true;
  quitCount = 0;
  exitCodes: number[] = [];
  recentDocuments: string[] = [];
  aboutOptions: unknown = null;
  appUserModelId: string | null = null;
  appPath = '/opt/interphase/app';
  private readyWaiters: (() => void)[] = [];

  isReady(): boolean {
    return this.ready;
  }
  whenReady(): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }
  /** Test helper: become ready (emits 'ready', resolves whenReady). */
  makeReady(): void {
    this.ready = true;
    this.emit('ready');
    for (const w of this.readyWaiters.splice(0)) w();
  }
  enableSandbox(): void {
    this.sandboxEnabled = true;
    this.sandboxEnabledBeforeReady = !this.ready;
  }
  requestSingleInstanceLock(additionalData?: unknown): boolean {
    this.lockRequests.push(additionalData);
    return this.lockGranted;
  }
  quit(): void {
    this.quitCount++;
    const event = new FakeEvent();
    this.emit('before-quit', event);
  }
  exit(code = 0): void {
    this.exitCodes.push(code);
  }
  getAppPath(): string {
    return this.appPath;
  }
  getPath(name: string): string {
    return `/home/tester/${name}`;
  }
  getName(): string {
    return 'Interphase';
  }
  getVersion(): string {
    return '0.1.0';
  }
  addRecentDocument(p: string): void {
    this.recentDocuments.push(p);
  }
  setAboutPanelOptions(o: unknown): void {
    this.aboutOptions = o;
  }
  setAppUserModelId(id: string): void {
    this.appUserModelId = id;
  }
}

export class FakeIpcMain {
  readonly handlers = new Map<string, Fn>();
  readonly handleCalls: string[] = [];
  handle(channel: string, fn: Fn): void {
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handleCalls.push(channel);
    this.handlers.set(channel, fn);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
}

export class FakeIpcRenderer extends Emitter {
  readonly invocations: { channel: string; args: unknown[] }[] = [];
  /** What invoke resolves with; tests replace it. */
  reply: (channel: string, ...args: unknown[]) => unknown = () => ({ ok: true, result: null });
  invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    this.invocations.push({ channel, args });
    try {
      return Promise.resolve(this.reply(channel, ...args));
    } catch (err) {
      return Promise.reject(err);
    }
  }
  send(): void {
    throw new Error('the shell must not use ipcRenderer.send');
  }
  sendSync(): never {
    throw new Error('the shell must not use ipcRenderer.sendSync');
  }
}

export class FakeContextBridge {
  readonly exposed = new Map<string, unknown>();
  exposeInMainWorld(key: string, api: unknown): void {
    if (this.exposed.has(key)) throw new Error(`Cannot bind an API on top of an existing property on the window object: ${key}`);
    this.exposed.set(key, api);
  }
}

export class FakeMenu {
  static applied: FakeMenu[] = [];
  constructor(readonly template: unknown[]) {}
  static buildFromTemplate(template: unknown[]): FakeMenu {
    return new FakeMenu(template);
  }
  static setApplicationMenu(menu: FakeMenu | null): void {
    if (menu) FakeMenu.applied.push(menu);
  }
}

export interface DialogResult {
  canceled: boolean;
  filePaths?: string[];
  filePath?: string;
}

export class FakeDialog {
  readonly openCalls: { parent: unknown; options: Record<string, unknown> }[] = [];
  readonly saveCalls: { parent: unknown; options: Record<string, unknown> }[] = [];
  readonly errorBoxes: { title: string; content: string }[] = [];
  openResult: DialogResult = { canceled: true, filePaths: [] };
  saveResult: DialogResult = { canceled: true };
  showOpenDialog(a: unknown, b?: unknown): Promise<{ canceled: boolean; filePaths: string[] }> {
    const [parent, options] = b === undefined ? [null, a] : [a, b];
    this.openCalls.push({ parent, options: options as Record<string, unknown> });
    return Promise.resolve({ canceled: this.openResult.canceled, filePaths: this.openResult.filePaths ?? [] });
  }
  showSaveDialog(a: unknown, b?: unknown): Promise<{ canceled: boolean; filePath: string }> {
    const [parent, options] = b === undefined ? [null, a] : [a, b];
    this.saveCalls.push({ parent, options: options as Record<string, unknown> });
    return Promise.resolve({ canceled: this.saveResult.canceled, filePath: this.saveResult.filePath ?? '' });
  }
  showErrorBox(title: string, content: string): void {
    this.errorBoxes.push({ title, content });
  }
}

export class FakeShell {
  readonly opened: string[] = [];
  openExternal(url: string): Promise<void> {
    this.opened.push(url);
    return Promise.resolve();
  }
}

export interface FakeElectron {
  app: FakeApp;
  BrowserWindow: typeof FakeBrowserWindow;
  ipcMain: FakeIpcMain;
  ipcRenderer: FakeIpcRenderer;
  contextBridge: FakeContextBridge;
  session: { defaultSession: FakeSession };
  Menu: typeof FakeMenu;
  dialog: FakeDialog;
  shell: FakeShell;
  /** Restore a pristine state, keeping object identities (modules hold references). */
  reset(): void;
}

function build(): FakeElectron {
  const f = {} as FakeElectron;
  f.reset = () => {
    const defaultSession = new FakeSession();
    FakeBrowserWindow.instances = [];
    FakeBrowserWindow.focused = null;
    FakeBrowserWindow.defaultSession = defaultSession;
    FakeMenu.applied = [];
    f.app = new FakeApp();
    f.BrowserWindow = FakeBrowserWindow;
    f.ipcMain = new FakeIpcMain();
    f.ipcRenderer = new FakeIpcRenderer();
    f.contextBridge = new FakeContextBridge();
    f.session = { defaultSession };
    f.Menu = FakeMenu;
    f.dialog = new FakeDialog();
    f.shell = new FakeShell();
  };
  f.reset();
  return f;
}

/**
 * The module object handed to vi.mock('electron'). Its properties are getters onto the current
 * fake, so `import { app } from 'electron'` inside a module sees the state after the latest reset.
 */
export const fake: FakeElectron = build();

export const electronModule: Record<string, unknown> = Object.defineProperties(
  {},
  Object.fromEntries(
    (['app', 'BrowserWindow', 'ipcMain', 'ipcRenderer', 'contextBridge', 'session', 'Menu', 'dialog', 'shell'] as const).map((k) => [
      k,
      { enumerable: true, get: () => fake[k] },
    ]),
  ),
);

/** The fake typed as the real module, for the shell's injected-`electron` parameters. */
export function asElectron<T = typeof import('electron')>(): T {
  return fake as unknown as T;
}
