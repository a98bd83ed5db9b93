/**
 * What a transport (Electron IPC in electron/, HTTP in main/server) needs from the application:
 * one dispatcher for the contract's methods plus an event stream. Transports validate arguments
 * with `parseArgs` before calling `dispatch`, and serialise `ApiError`s as {code, message, details}.
 */
import { parseArgs, type ArgsOf, type EventMap, type EventName, type MethodName, type ParsedArgsOf, type ResultOf } from '../api/contract.js';

export interface CallContext {
  transport: 'electron' | 'http';
}

export interface Backend {
  dispatch<M extends MethodName>(method: M, args: ParsedArgsOf<M>, ctx: CallContext): Promise<ResultOf<M>>;
  /** Subscribe to events; returns the unsubscribe function. */
  subscribe(listener: <E extends EventName>(event: E, payload: EventMap[E]) => void): () => void;
  /** Flush pending saves and stop workers (app quit). */
  shutdown(): Promise<void>;
}

/**
 * Call a contract method the way a transport does: validate (and default) the arguments at the
 * boundary, then dispatch. For in-process callers: the CLI and the sample-project builder.
 */
export async function invoke<M extends MethodName>(backend: Backend, method: M, args: ArgsOf<M>, ctx: CallContext): Promise<ResultOf<M>> {
  return backend.dispatch(method, parseArgs(method, args), ctx);
}
