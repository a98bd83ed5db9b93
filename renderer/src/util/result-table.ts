/**
 * An analysis's scalar results arranged for reading: the fit's pairwise correlations
 * ("corr(A,B)" entries, see main/analysis/eis/descriptors.ts) as one matrix instead of a row
 * each, and the parameters whose standard error is as large as the value flagged — the data do
 * not determine them (e.g. a Warburg whose τ lies below the lowest measured frequency).
 */
import type { Quantity } from '../../../main/api/dataset.js';

export interface ResultRow {
  key: string;
  q: Quantity;
  /** Standard error ≥ |value|: not determined by the data. */
  undetermined: boolean;
}

export interface CorrelationMatrix {
  names: string[];
  /** r[i][j] for j < i (lower triangle), null where the fit gave none. */
  rows: (number | null)[][];
}

const CORR = /^corr\((.+),(.+)\)$/;

export function arrangeResults(results: Record<string, Quantity>): { rows: ResultRow[]; correlation: CorrelationMatrix | null } {
  const rows: ResultRow[] = [];
  const pairs = new Map<string, number>();
  const names: string[] = [];
  const seen = (n: string): void => {
    if (!names.includes(n)) names.push(n);
  };
  for (const [key, q] of Object.entries(results)) {
    const m = CORR.exec(key);
    if (m) {
      seen(m[1]!);
      seen(m[2]!);
      pairs.set(`${m[1]}\u0000${m[2]}`, q.value);
      continue;
    }
    const u = q.uncertainty;
    rows.push({ key, q, undetermined: u !== undefined && Number.isFinite(q.value) && q.value !== 0 && !(u < Math.abs(q.value)) });
  }
  if (!names.length) return { rows, correlation: null };
  // Parameters in the order the results list them.
  const order = rows.map((r) => r.key).filter((k) => names.includes(k));
  const all = [...order, ...names.filter((n) => !order.includes(n))];
  const r = (a: string, b: string): number | null => pairs.get(`${a}\u0000${b}`) ?? pairs.get(`${b}\u0000${a}`) ?? null;
  return { rows, correlation: { names: all, rows: all.map((a, i) => all.slice(0, i).map((b) => r(a, b))) } };
}
