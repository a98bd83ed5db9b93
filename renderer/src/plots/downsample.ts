/**
 * Min/max decimation for display: per bucket keep the first, min, max and last point in x order,
 * so peaks and spikes survive at any zoom-out (the plot is redrawn at full resolution on zoom).
 */
export function minMaxDecimate(x: ArrayLike<number>, y: ArrayLike<number>, buckets: number): [number, number][] {
  const n = Math.min(x.length, y.length);
  if (n <= buckets * 4) {
    const out: [number, number][] = [];
    for (let i = 0; i < n; i++) if (Number.isFinite(y[i]!) && Number.isFinite(x[i]!)) out.push([x[i]!, y[i]!]);
    return out;
  }
  const out: [number, number][] = [];
  const size = n / buckets;
  for (let b = 0; b < buckets; b++) {
    const s = Math.floor(b * size);
    const e = Math.min(n, Math.floor((b + 1) * size));
    let lo = -1;
    let hi = -1;
    for (let i = s; i < e; i++) {
      const v = y[i]!;
      if (!Number.isFinite(v)) continue;
      if (lo < 0 || v < y[lo]!) lo = i;
      if (hi < 0 || v > y[hi]!) hi = i;
    }
    if (lo < 0) continue;
    const idx = [...new Set([s, lo, hi, e - 1])].filter((i) => Number.isFinite(y[i]!)).sort((a, c) => a - c);
    for (const i of idx) out.push([x[i]!, y[i]!]);
  }
  return out;
}
