/**
 * The preload: exposes exactly one global, `window.interphase`, with the contract's two verbs
 * (`call`, `on` — the InterphaseApi shape from main/api/contract.ts) and nothing else. No
 * ipcRenderer, no channel names, no IpcRendererEvent ever reach the page (Electron security
 * checklist #3/#20; the pattern of Signal-Desktop's and VS Code's preloads: a fixed vocabulary of
 * verbs, arguments parsed by schema on the other side of the boundary).
 *
 * Runs sandboxed (webPreferences.sandbox), where `require` only knows a subset of 'electron' plus
 * 'events', 'timers' and 'url'. It is therefore bundled to a single CJS file
 * (dist/electron/preload.cjs, esbuild, external 'electron') and imports nothing from node:.
 * The contract module is inlined by the bundler; its method table is the allow-list.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { IpcRenderer, IpcRendererEvent } from 'electron';
import {
  EVENT_NAMES,
  isMethodName,
  type ApiErrorShape,
  type ErrorCode,
  type EventName,
  type InterphaseApi,
  isErrorCode,
} from '../main/api/contract.js';

/** Must equal CALL_CHANNEL / EVENT_CHANNEL in electron/ipc.ts (asserted by test/shell). Kept
 *  literal here so the preload bundle does not pull main-process modules in. */
export const PRELOAD_CALL_CHANNEL = 'interphase:call';
export const PRELOAD_EVENT_CHANNEL = 'interphase:event';

/**
 * What a failed `call` rejects with. A plain object, deliberately not an Error: contextBridge
 * copies Errors by message only and drops custom properties ("any custom properties on the Error
 * object will be lost", Electron docs, context-bridge "Parameter / Error / Return Type support";
 * electron/electron#28346), so `code` and `details` would never reach the page. Plain objects are
 * copied with their properties. The renderer's client turns this into `ApiError.from(shape)`
 * (duck-typed on `name === 'ApiError'` and a string `code`).
 */
export interface BridgedApiError extends ApiErrorShape {
  name: 'ApiError';
}


function bridgedError(code: ErrorCode, message: string, details?: Record<string, unknown>): BridgedApiError {
  return details ? { name: 'ApiError', code, message, details } : { name: 'ApiError', code, message };
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The main side answers {ok:true,result} | {ok:false,error}; anything else is a shell bug. */
function unwrap(envelope: unknown): unknown {
  if (isRecord(envelope) && envelope.ok === true && 'result' in envelope) return envelope.result;
  if (isRecord(envelope) && envelope.ok === false && isRecord(envelope.error)) {
    const e = envelope.error;
    const code = typeof e.code === 'string' && isErrorCode(e.code) ? (e.code as ErrorCode) : 'internal';
    const message = typeof e.message === 'string' ? e.message : 'request failed';
    throw bridgedError(code, message, isRecord(e.details) ? e.details : undefined);
  }
  throw bridgedError('internal', 'malformed reply from the main process');
}

function describe(x: unknown): string {
  return typeof x === 'string' ? JSON.stringify(x.slice(0, 100)) : typeof x;
}

type Listener = (payload: unknown) => void;

/** Build the API over an ipcRenderer-like object (the real one in the preload, a fake in tests). */
export function createInterphaseApi(ipc: Pick<IpcRenderer, 'invoke' | 'on' | 'removeListener'>): InterphaseApi {
  const listeners = new Map<EventName, Set<Listener>>();
  let attached = false;

  // One ipcRenderer listener fans out to the page's listeners. The IpcRendererEvent (whose
  // `sender` is ipcRenderer itself) is dropped here and never handed to page code.
  const onEvent = (_event: IpcRendererEvent, message: unknown): void => {
    if (!isRecord(message) || typeof message.event !== 'string') return;
    const set = listeners.get(message.event as EventName);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(message.payload);
      } catch (err) {
        console.error(`[interphase] listener for '${message.event}' threw`, err);
      }
    }
  };

  const call = (method: unknown, args: unknown): Promise<unknown> => {
    // Refuse before anything touches IPC: the contract's method table is the allow-list.
    if (!isMethodName(method)) {
      return Promise.reject(bridgedError('bad-request', `unknown method ${describe(method)}`));
    }
    return ipc.invoke(PRELOAD_CALL_CHANNEL, { method, args: args ?? {} }).then(unwrap, (err: unknown) => {
      // invoke itself failed (no handler, unclonable arguments, …): report, don't leak internals.
      const message = err instanceof Error ? err.message : String(err);
      throw bridgedError(message.includes('could not be cloned') ? 'bad-request' : 'internal', `${method}: ${message}`);
    });
  };

  const on = (event: unknown, listener: unknown): (() => void) => {
    if (typeof event !== 'string' || !(EVENT_NAMES as string[]).includes(event)) {
      throw new TypeError(`unknown event ${describe(event)}`);
    }
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    const name = event as EventName;
    // Wrap so the same page function can subscribe twice and unsubscribe each independently.
    const wrapped: Listener = (payload) => (listener as Listener)(payload);
    let set = listeners.get(name);
    if (!set) listeners.set(name, (set = new Set()));
    set.add(wrapped);
    if (!attached) {
      ipc.on(PRELOAD_EVENT_CHANNEL, onEvent);
      attached = true;
    }
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      set.delete(wrapped);
      if (set.size === 0) listeners.delete(name);
      if (listeners.size === 0 && attached) {
        ipc.removeListener(PRELOAD_EVENT_CHANNEL, onEvent);
        attached = false;
      }
    };
  };

  const api = { call, on } as unknown as InterphaseApi;
  return Object.freeze(api);
}

contextBridge.exposeInMainWorld('interphase', createInterphaseApi(ipcRenderer));
