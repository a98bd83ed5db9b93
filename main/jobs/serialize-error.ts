/**
 * Errors cross thread and process boundaries as plain objects and are rebuilt with their type on
 * the other side (issue #2: "errors rehydrated with their type").
 */
import { ApiError, type ApiErrorShape, type ErrorCode } from '../api/contract.js';
import { FormatError } from '../formats/format-error.js';
import { UnsupportedFormat } from '../formats/registry.js';

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  details?: Record<string, unknown>;
  file?: string;
  offset?: number | null;
  expected?: string;
  readerId?: string;
  declined?: { readerId: string; reason: string }[];
}

export function serializeError(e: unknown): SerializedError {
  if (e instanceof FormatError) {
    return { name: e.name, message: e.message, file: e.file, offset: e.offset, expected: e.expected, readerId: e.readerId };
  }
  if (e instanceof UnsupportedFormat) return { name: e.name, message: e.message, file: e.file, declined: e.declined };
  if (e instanceof ApiError) return { name: e.name, message: e.message, code: e.code, details: e.details };
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    return { name: e.name, message: e.message, stack: e.stack, ...(code ? { code } : {}) };
  }
  return { name: 'Error', message: String(e) };
}

export function deserializeError(s: SerializedError): Error {
  switch (s.name) {
    case 'FormatError':
      return new FormatError(s.file ?? '?', s.offset ?? null, s.expected ?? s.message, s.readerId);
    case 'UnsupportedFormat':
      return new UnsupportedFormat(s.file ?? '?', s.declined ?? []);
    case 'ApiError':
      return new ApiError((s.code ?? 'internal') as ErrorCode, s.message, s.details);
    default: {
      const e = new Error(s.message);
      e.name = s.name;
      if (s.code) (e as NodeJS.ErrnoException).code = s.code;
      if (s.stack) e.stack = s.stack;
      return e;
    }
  }
}

/** Map any error to the contract's {code, message, details} for a transport. */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (e instanceof FormatError) {
    return new ApiError('format-error', e.message, { file: e.file, offset: e.offset, expected: e.expected, readerId: e.readerId });
  }
  if (e instanceof UnsupportedFormat) return new ApiError('unsupported-format', e.message, { file: e.file, declined: e.declined });
  const errno = (e as NodeJS.ErrnoException | null)?.code;
  if (errno === 'ENOENT') return new ApiError('not-found', (e as Error).message);
  if (errno === 'EACCES' || errno === 'EPERM') return new ApiError('forbidden', (e as Error).message);
  if (typeof errno === 'string' && errno.startsWith('E')) return new ApiError('io-error', (e as Error).message);
  if ((e as Error | null)?.name === 'AbortError') return new ApiError('cancelled', 'cancelled');
  return new ApiError('internal', e instanceof Error ? e.message : String(e));
}

export type { ApiErrorShape };
