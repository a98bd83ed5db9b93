/**
 * Browser-mode transport: POST /api/call/<method> with the per-launch token, SSE for events.
 * Binary results and arguments use the shared frame format (main/api/binary-frame.ts).
 */
import {
  ApiError,
  hasBinaryArgs,
  isBinaryMethod,
  type ApiErrorShape,
  type EventMap,
  type EventName,
  type InterphaseApi,
  type MethodName,
} from '../../../main/api/contract.js';
import { decodeFrame, encodeFrame, FRAME_CONTENT_TYPE } from '../../../main/api/binary-frame.js';

const TOKEN_KEY = 'interphase.token';

/** The token arrives once in the URL (?token=…); keep it for reloads and remove it from the address bar. */
export function takeToken(loc: Location, storage: Storage, history: History): string | null {
  const url = new URL(loc.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    storage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('token');
    history.replaceState(null, '', url.pathname + url.search + url.hash);
    return fromUrl;
  }
  return storage.getItem(TOKEN_KEY);
}

export function createHttpTransport(baseUrl: string, token: string): InterphaseApi {
  const listeners = new Map<EventName, Set<(p: unknown) => void>>();
  let source: EventSource | null = null;

  function ensureEvents(): void {
    if (source) return;
    source = new EventSource(`${baseUrl}api/events?token=${encodeURIComponent(token)}`);
    for (const name of ['job', 'project', 'menu'] as EventName[]) {
      source.addEventListener(name, (ev) => {
        const payload = JSON.parse((ev as MessageEvent<string>).data) as unknown;
        for (const l of listeners.get(name) ?? []) l(payload);
      });
    }
  }

  return {
    async call(method, args) {
      const m = method as MethodName;
      let body: BodyInit;
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      if (hasBinaryArgs(m)) {
        const { data, ...rest } = args as { data: ArrayBuffer };
        body = encodeFrame(rest, data) as Uint8Array<ArrayBuffer>;
        headers['content-type'] = FRAME_CONTENT_TYPE;
      } else {
        body = JSON.stringify(args ?? {});
        headers['content-type'] = 'application/json';
      }
      const res = await fetch(`${baseUrl}api/call/${m}`, { method: 'POST', headers, body });
      const type = res.headers.get('content-type') ?? '';
      if (type.startsWith(FRAME_CONTENT_TYPE)) {
        const { header, payload } = decodeFrame<unknown>(await res.arrayBuffer());
        return { meta: header, data: payload } as never;
      }
      const json = (await res.json()) as { ok: true; result: unknown } | { ok: false; error: ApiErrorShape };
      if (!json.ok) throw ApiError.from(json.error);
      if (isBinaryMethod(m)) throw new ApiError('internal', `${m} answered without a binary frame`);
      return json.result as never;
    },
    on<E extends EventName>(event: E, listener: (payload: EventMap[E]) => void) {
      ensureEvents();
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as (p: unknown) => void);
      return () => set!.delete(listener as (p: unknown) => void);
    },
  };
}
