/**
 * Typed errors for bad input (DESIGN.md: "Bad input raises a typed FormatError (file, byte offset,
 * what was expected)"). Collaborators' files are untrusted: readers throw these, never crash.
 */
export class FormatError extends Error {
  override readonly name = 'FormatError';
  constructor(
    readonly file: string,
    readonly offset: number | null,
    readonly expected: string,
    readonly readerId?: string,
  ) {
    super(`${file}${offset === null ? '' : ` @ byte ${offset}`}: ${expected}`);
  }
}

/** A reader saying "not mine after all"; the registry tries the next candidate. */
export class FormatDeclined extends Error {
  override readonly name = 'FormatDeclined';
  constructor(
    readonly readerId: string,
    readonly reason: string,
  ) {
    super(`${readerId} declined: ${reason}`);
  }
}

/** Upper bound on any single allocation a reader makes from a header field (1 GiB). */
export const MAX_ALLOCATION_BYTES = 1 << 30;

/**
 * Check a size read from a header before allocating: non-negative integer, within the bytes that
 * remain in the file and within a sane bound.
 */
export function checkedSize(
  value: number | bigint,
  file: string,
  offset: number,
  what: string,
  limit: number,
): number {
  const n = typeof value === 'bigint' ? Number(value) : value;
  if (!Number.isFinite(n) || !Number.isInteger(n) || n < 0) {
    throw new FormatError(file, offset, `${what}: a non-negative integer (got ${String(value)})`);
  }
  if (n > limit || n > MAX_ALLOCATION_BYTES) {
    throw new FormatError(file, offset, `${what} ≤ ${Math.min(limit, MAX_ALLOCATION_BYTES)} (got ${n})`);
  }
  return n;
}
