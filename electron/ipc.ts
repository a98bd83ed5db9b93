/**
 * The IPC transport: the contract (main/api/contract.ts) over one invoke channel.
 *
 * Every call passes the same gate, in order (Electron security checklist #17 "Validate the sender
 * of all IPC messages"; Signal-Desktop/VS Code: parse arguments by schema at the boundary):
 *   1. sender  — the main frame of a window we created, showing our own page   → else 'forbidden'
 *   2. method  — a key of the contract's method table                          → else 'bad-request'
 *   3. args    — parsed by the method's valibot schema (parseArgs)             → else 'bad-request'
 *   4. dispatch through the registry built from METHOD_NAMES: the backend, or a shell override
 *      (native dialogs) for the few methods only the shell can answer.
 * The reply is an envelope, {ok:true,result} | {ok:false,error:{code,message,details}}, because
 * ipcMain.handle rejections reach the renderer as bare Errors with a rewritten message and no
 * fields. Binary results (ArrayBuffer) travel by structured clone unchanged.
 */
import type { IpcMainInvokeEvent, WebContents } from 'electron';
import {
  ApiError,
  EVENT_NAMES,
  METHOD_NAMES,
  isMethodName,
  parseArgs,
  type ApiErrorShape,
  type ErrorCode,
  type EventName,
  type MethodName,
  type ParsedArgsOf,
  type ResultOf,
  isErrorCode,
} from '../main/api/contract.js';
import type { Backend, CallContext } from '../main/services/backend-types.js';
import { isAppUrl, type ElectronModule } from './window.js';

export const CALL_CHANNEL = 'interphase:call';
export const EVENT_CHANNEL = 'interphase:event';

export type CallEnvelope = { ok: true; result: unknown } | { ok: false; error: ApiErrorShape };

/** A method the shell answers itself (native dialogs), given the parsed args and the calling event. */
export type ShellOverride<M extends MethodName> = (args: ParsedArgsOf<M>, event: IpcMainInvokeEvent) => Promise<ResultOf<M>>;
export type ShellOverrides = { [M in MethodName]?: ShellOverride<M> };

export interface IpcOptions {
  /** Decides whether an invoke may be served at all; see makeSenderCheck. */
  isTrustedSender(event: IpcMainInvokeEvent): boolean;
  /** Methods answered by the shell instead of the backend (electron/menu.ts: dialog.*). */
  overrides?: ShellOverrides;
  /** Where backend events go. Default: every open BrowserWindow. */
  eventTargets?: () => WebContents[];
}

export interface IpcRegistration {
  /** Every contract method that has a handler, in contract order. */
  methods(): MethodName[];
  /** Who answers a method: the backend, or the shell (override). */
  route(method: MethodName): 'backend' | 'shell' | undefined;
  /** The gate + dispatch behind the 'interphase:call' handler (exposed for tests and diagnostics). */
  handle(event: IpcMainInvokeEvent, request: unknown): Promise<CallEnvelope>;
  /** Remove the handler and stop forwarding events. */
  dispose(): void;
}

type Handler = (args: unknown, event: IpcMainInvokeEvent) => Promise<unknown>;

const CONTEXT: CallContext = { transport: 'electron' };


function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Details must survive structured clone and must not smuggle prototypes: JSON round-trip them. */
function cloneableDetails(details: unknown): Record<string, unknown> | undefined {
  if (!isRecord(details)) return undefined;
  try {
    const copy: unknown = JSON.parse(JSON.stringify(details));
    return isRecord(copy) ? copy : undefined;
  } catch {
    return undefined;
  }
}

/**
 * ApiError → its own shape. Anything else is a bug or an environment failure whose message may
 * carry paths, stack fragments or library internals: the renderer gets code 'internal' and a
 * fixed sentence; the real error goes to the main-process log.
 */
export function toErrorShape(err: unknown, method: string): ApiErrorShape {
  // Duck-typed too: an ApiError from a second copy of the contract module (another bundle chunk)
  // fails instanceof but is still a deliberate, safe-to-show error.
  const code: unknown = err instanceof Error ? (err as unknown as { code?: unknown }).code : undefined;
  const apiLike = err instanceof ApiError || (err instanceof Error && err.name === 'ApiError' && typeof code === 'string' && isErrorCode(code));
  if (apiLike) {
    const e = err as ApiError;
    const details = cloneableDetails(e.details);
    return details ? { code: e.code, message: String(e.message), details } : { code: e.code, message: String(e.message) };
  }
  console.error(`[shell] ${method} failed with an unexpected error`, err);
  return { code: 'internal', message: `internal error while handling ${method}` };
}

export function registerIpc(electron: Pick<ElectronModule, 'ipcMain' | 'BrowserWindow'>, backend: Backend, opts: IpcOptions): IpcRegistration {
  const handlers = new Map<MethodName, Handler>();
  const routes = new Map<MethodName, 'backend' | 'shell'>();
  for (const m of METHOD_NAMES) {
    const override = opts.overrides?.[m] as ShellOverride<MethodName> | undefined;
    if (override) {
      handlers.set(m, (args, event) => override(args as ParsedArgsOf<MethodName>, event));
      routes.set(m, 'shell');
    } else {
      handlers.set(m, (args) => backend.dispatch(m, args as ParsedArgsOf<typeof m>, CONTEXT));
      routes.set(m, 'backend');
    }
  }

  const trusted = (event: IpcMainInvokeEvent): boolean => {
    try {
      return opts.isTrustedSender(event) === true;
    } catch {
      return false;
    }
  };

  async function handle(event: IpcMainInvokeEvent, request: unknown): Promise<CallEnvelope> {
    const method = isRecord(request) && typeof request.method === 'string' ? request.method.slice(0, 100) : '(unknown)';
    try {
      if (!trusted(event)) throw new ApiError('forbidden', 'this frame may not call the Interphase API');
      if (!isRecord(request)) throw new ApiError('bad-request', 'malformed request');
      if (!isMethodName(request.method)) throw new ApiError('bad-request', `unknown method ${JSON.stringify(method)}`);
      const handler = handlers.get(request.method);
      if (!handler) throw new ApiError('bad-request', `no handler for ${request.method}`);
      const args = parseArgs(request.method, request.args);
      return { ok: true, result: await handler(args, event) };
    } catch (err) {
      return { ok: false, error: toErrorShape(err, method) };
    }
  }

  electron.ipcMain.handle(CALL_CHANNEL, (event, request: unknown) => handle(event, request));

  const targets = opts.eventTargets ?? (() => electron.BrowserWindow.getAllWindows().map((w) => w.webContents));
  const forwardable = new Set<string>(EVENT_NAMES);
  const unsubscribe = backend.subscribe(<E extends EventName>(event: E, payload: unknown) => {
    if (!forwardable.has(event)) return;
    for (const contents of targets()) {
      if (contents.isDestroyed()) continue;
      try {
        contents.send(EVENT_CHANNEL, { event, payload });
      } catch (err) {
        console.error(`[shell] could not forward '${event}' event`, err);
      }
    }
  });

  let disposed = false;
  return {
    methods: () => [...handlers.keys()],
    route: (m) => routes.get(m),
    handle,
    dispose() {
      if (disposed) return;
      disposed = true;
      electron.ipcMain.removeHandler(CALL_CHANNEL);
      unsubscribe();
    },
  };
}

export interface SenderPolicy {
  /** URL of the renderer's entry page (appEntryUrl(dist/renderer/index.html), or app://…). */
  entryUrl: string;
  /** True for the webContents of windows the shell created. */
  isOwnWebContents(contents: WebContents): boolean;
}

/**
 * The sender check used in production: the invoking frame must exist (it is null once the frame
 * navigated away or was destroyed), be a main frame (no iframes, even same-origin ones), belong to
 * one of our windows, and currently show our own page.
 */
export function makeSenderCheck(policy: SenderPolicy): (event: IpcMainInvokeEvent) => boolean {
  return (event) => {
    const frame = event.senderFrame;
    if (!frame) return false;
    if (frame.parent !== null) return false;
    if (!policy.isOwnWebContents(event.sender)) return false;
    return isAppUrl(frame.url, policy.entryUrl);
  };
}
