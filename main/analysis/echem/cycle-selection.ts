/**
 * Which cycles to overlay when the user has not said: all of 600 cycles is unreadable, so the
 * default keeps the first, the second, the last and evenly spaced ones between — the selection
 * the seed thesis' voltage-profile figures use (cycles 1, 2, 100, …, 600) — exactly `maxShown`
 * of them when the file has at least that many.
 */
export function defaultCycles(all: readonly number[], maxShown = 10): number[] {
  const n = all.length;
  if (n <= maxShown) return [...all];
  const idx = new Set<number>([0, 1, n - 1]);
  for (let k = 1; k < maxShown - 2; k++) idx.add(Math.round((k * (n - 1)) / (maxShown - 2)));
  // Rounding can collide; fill the widest gaps until there are maxShown.
  while (idx.size < maxShown) {
    const s = [...idx].sort((a, b) => a - b);
    let at = 0;
    let widest = 0;
    for (let i = 1; i < s.length; i++) {
      if (s[i]! - s[i - 1]! > widest) {
        widest = s[i]! - s[i - 1]!;
        at = i;
      }
    }
    idx.add(Math.floor((s[at - 1]! + s[at]!) / 2));
  }
  return [...idx].sort((a, b) => a - b).map((i) => all[i]!);
}
