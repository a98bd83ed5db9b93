/**
 * Reading a user's list of cycles to overlay: "1, 2, 10-20, last" or "all". (The default overlay is
 * chosen by the backend: main/analysis/echem/cycle-selection.ts.)
 */
export function parseCycleList(text: string, all: number[]): number[] | string {
  const t = text.trim().toLowerCase();
  if (!t || t === 'all') return [...all];
  const have = new Set(all);
  const out = new Set<number>();
  for (const part of t.split(/[,\s]+/).filter(Boolean)) {
    const last = all[all.length - 1];
    const p = part.replace(/last/g, String(last ?? ''));
    const m = /^(\d+)(?:-(\d+))?$/.exec(p);
    if (!m) return `cannot read '${part}' — use numbers, ranges like 10-20, or 'last'`;
    const a = Number(m[1]);
    const b = m[2] ? Number(m[2]) : a;
    for (let c = Math.min(a, b); c <= Math.max(a, b); c++) if (have.has(c)) out.add(c);
  }
  if (!out.size) return `none of those cycles are in the file (cycles ${all[0]}…${all[all.length - 1]})`;
  return [...out].sort((x, y) => x - y);
}
