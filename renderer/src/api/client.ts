/**
 * The renderer's one API client. It picks the transport — the Electron preload's
 * `window.interphase` when present, else HTTP to browser mode — and no view knows which.
 */
import { ApiError, type ArgsOf, type EventMap, type EventName, type InterphaseApi, type MethodName, type ResultOf } from '../../../main/api/contract.js';
import { createHttpTransport, takeToken } from './http-transport.js';

declare global {
  interface Window {
    interphase?: InterphaseApi;
  }
}

export interface ApiClient {
  call<M extends MethodName>(method: M, args: ArgsOf<M>): Promise<ResultOf<M>>;
  on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void): () => void;
  /** Ask the user for instrument files: native dialog in Electron, <input type=file> + upload in a browser. */
  pickFiles(): Promise<string[]>;
}

/** The preload rethrows main-process errors as plain Errors carrying code/details. */
function rehydrate(e: unknown): never {
  if (e instanceof ApiError) throw e;
  const x = e as { code?: string; message?: string; details?: Record<string, unknown> };
  if (x && typeof x.code === 'string') throw new ApiError(x.code as never, x.message ?? 'error', x.details);
  throw e;
}

function chooseFilesInBrowser(): Promise<File[]> {
  return new Promise((resolve) => {
    const input = document.createElement('input');
    input.type = 'file';
    input.multiple = true;
    input.style.display = 'none';
    input.addEventListener('change', () => {
      resolve(Array.from(input.files ?? []));
      input.remove();
    });
    input.addEventListener('cancel', () => {
      resolve([]);
      input.remove();
    });
    document.body.appendChild(input);
    input.click();
  });
}

export function createApiClient(win: Window = window): ApiClient {
  let transport: InterphaseApi;
  if (win.interphase) {
    transport = win.interphase;
  } else {
    const token = takeToken(win.location, win.sessionStorage, win.history);
    if (!token) throw new ApiError('forbidden', 'This page needs the link printed by `npm start` (it carries an access token).');
    transport = createHttpTransport(`${win.location.origin}/`, token);
  }
  const client: ApiClient = {
    call: async (method, args) => {
      try {
        return await transport.call(method, args);
      } catch (e) {
        return rehydrate(e);
      }
    },
    on: (event, listener) => transport.on(event, listener),
    async pickFiles() {
      const native = await client.call('dialog.openFiles', { title: 'Import instrument files' });
      if (native.native) return native.paths ?? [];
      const files = await chooseFilesInBrowser();
      const paths: string[] = [];
      for (const f of files) {
        const staged = await client.call('files.stage', { name: f.name, data: await f.arrayBuffer() });
        paths.push(staged.path);
      }
      return paths;
    },
  };
  return client;
}

let singleton: ApiClient | null = null;
export function api(): ApiClient {
  return (singleton ??= createApiClient());
}
/** Tests install a mock provider (h5web style) that runs the whole UI without a backend. */
export function setApiClient(c: ApiClient | null): void {
  singleton = c;
}
