/**
 * Helpers for browsing a dataset's original metadata (the file's own tag tree, verbatim): a
 * search that flattens matching leaves to paths, and recognising "parameter tables" — objects of
 * equal-length arrays of plain values, such as an EC-Lab technique's parameters per sequence.
 */
import type { MetaValue } from '../../../main/api/dataset.js';

export type Leaf = string | number | boolean | null;

export function isLeaf(v: MetaValue): v is Leaf {
  return v === null || typeof v !== 'object';
}

export function leafText(v: Leaf): string {
  if (v === null) return '—';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(10)));
  return String(v);
}

/** name → values per column, when every value of `v` is an array of `n` leaves (1 ≤ n ≤ 64). */
export function asTable(v: MetaValue): { names: string[]; width: number } | null {
  if (isLeaf(v) || Array.isArray(v)) return null;
  const entries = Object.entries(v);
  if (entries.length < 2) return null;
  let width = -1;
  for (const [, a] of entries) {
    if (!Array.isArray(a) || a.length === 0 || a.length > 64 || !a.every(isLeaf)) return null;
    if (width < 0) width = a.length;
    else if (a.length !== width) return null;
  }
  return { names: entries.map(([k]) => k), width };
}

export interface Match {
  path: string;
  value: string;
}

/**
 * Leaves whose path or value contains `query` (case-insensitive), depth-first, at most `limit`;
 * `more` says whether the search stopped early.
 */
export function searchTree(root: MetaValue, query: string, limit = 200): { matches: Match[]; more: boolean } {
  const q = query.trim().toLowerCase();
  const matches: Match[] = [];
  let more = false;
  const walk = (v: MetaValue, path: string): void => {
    if (more) return;
    if (isLeaf(v)) {
      const text = leafText(v);
      if (path.toLowerCase().includes(q) || text.toLowerCase().includes(q)) {
        if (matches.length >= limit) more = true;
        else matches.push({ path, value: text });
      }
      return;
    }
    const entries: [string, MetaValue][] = Array.isArray(v) ? v.map((x, i) => [`[${i}]`, x]) : Object.entries(v);
    for (const [k, x] of entries) walk(x, path ? (k.startsWith('[') ? `${path}${k}` : `${path}.${k}`) : k);
  };
  if (q) walk(root, '');
  return { matches, more };
}
