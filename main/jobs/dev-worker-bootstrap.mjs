// Worker threads started from TypeScript sources (vitest, `npm run cli` under tsx) cannot load
// .ts files on their own on Node 20 — `--import tsx` in a Worker's execArgv does not install the
// loader in the thread. This bootstrap registers tsx inside the thread, then loads the real entry.
// The bundled app (dist/) never uses it: there the worker is plain JavaScript.
import { register } from 'tsx/esm/api';

register();
await import(new URL('./worker-entry.ts', import.meta.url).href);
