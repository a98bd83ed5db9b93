/**
 * The renderer's Content-Security-Policy: deny everything, then allow the few sources the built
 * renderer needs. Electron security checklist item 7 ("Define a Content Security Policy").
 *
 * Pure data — no electron, no node: — so the renderer, browser mode (main/server) and the shell
 * (electron/csp.ts re-exports it) share one definition. The renderer build (vite's index.html transform) and the
 * shell share one definition. The shell sends it as a response header from
 * `session.webRequest.onHeadersReceived` (electron/window.ts) — which covers http(s) and custom
 * protocols; pages loaded from file:// get no response headers (checklist #7, "CSP meta tag"), so
 * the renderer's index.html carries the same policy in a <meta http-equiv> tag (CSP_META_CONTENT).
 */

/** Directive → sources. Order is kept in the serialised string; `default-src 'none'` comes first. */
const DIRECTIVES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['default-src', ["'none'"]],
  // Only the bundled modules: no inline scripts, no eval. (If the renderer ever instantiates
  // WebAssembly, add 'wasm-unsafe-eval' here — and nothing broader.)
  ['script-src', ["'self'"]],
  // Vue's :style bindings and ECharts/three set element.style and inject <style>; both count as
  // inline styles under CSP. Styles cannot run code, so this is the accepted trade-off.
  ['style-src', ["'self'", "'unsafe-inline'"]],
  // data: for small inlined icons, blob: for canvases exported as images / object URLs of planes.
  ['img-src', ["'self'", 'data:', 'blob:']],
  // The renderer talks to the backend over IPC in Electron; in browser mode its own origin.
  ['connect-src', ["'self'"]],
  ['font-src', ["'self'"]],
  // Module workers from the bundle, plus blob: workers some libraries spin up.
  ['worker-src', ["'self'", 'blob:']],
  // Not covered by default-src, so each is pinned explicitly.
  ['base-uri', ["'none'"]],
  ['form-action', ["'none'"]],
  ['frame-ancestors', ["'none'"]],
];

/** Directives a <meta> CSP cannot carry (the HTML spec ignores them there and Chromium warns). */
const HEADER_ONLY = new Set(['frame-ancestors', 'report-uri', 'sandbox']);

function serialise(filter: (name: string) => boolean): string {
  return DIRECTIVES.filter(([name]) => filter(name))
    .map(([name, sources]) => `${name} ${sources.join(' ')}`)
    .join('; ');
}

/** The policy sent as the `Content-Security-Policy` response header. */
export const CONTENT_SECURITY_POLICY: string = serialise(() => true);

/** The same policy for `<meta http-equiv="Content-Security-Policy" content="…">` in index.html. */
export const CSP_META_CONTENT: string = serialise((name) => !HEADER_ONLY.has(name));

/** The whole meta tag, ready to inject into the renderer's index.html <head>. */
export const CSP_META_TAG: string = `<meta http-equiv="Content-Security-Policy" content="${CSP_META_CONTENT}">`;
