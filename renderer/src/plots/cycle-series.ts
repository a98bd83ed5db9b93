/**
 * Voltage–capacity overlays as chart series. Up to MANY_CYCLES cycles each cycle's half cycles are
 * their own series (one legend entry per cycle). Beyond that — "all" of a 600-cycle run — the
 * cycles are drawn in at most COLOUR_GROUPS series of neighbouring cycles, the half cycles of a
 * group joined with gaps: 2000 series and legend entries cost ECharts seconds, 48 do not, and no
 * eye tells 1000 viridis shades apart. The point budget shrinks with the number of half cycles for
 * the same reason; zooming re-reads the window at that budget, so detail comes back on zoom.
 */
/** Half cycles laid out as in the cycle-curve and dQ/dV replies: data = [x…, y…]. */
export interface SegmentLayout {
  segments: readonly { cycle: number; offset: number; length: number }[];
}

export const MANY_CYCLES = 40;
export const COLOUR_GROUPS = 48;
/** Points drawn for a whole overlay, shared by its half cycles (each between 100 and 1500). */
export const POINT_BUDGET = 300_000;

/** Points per half cycle to ask the worker for: `cycles` undefined is the default overlay. */
export function pointsPerSegment(cycles: readonly number[] | undefined): number {
  if (!cycles) return 1500;
  return Math.max(100, Math.min(1500, Math.floor(POINT_BUDGET / (2 * Math.max(1, cycles.length)))));
}

export interface CycleSeries {
  name: string;
  /** Rank of the series' (first) cycle among the shown ones, 0…1: its colour. */
  shade: number;
  /** [x, y] points; [NaN, NaN] breaks the line between half cycles of one group. */
  data: [number, number][];
}

/** Series for the segments of `m`, x scaled by k and y by ky (data: [x…, y…]). */
export function cycleSeries(m: SegmentLayout, data: Float64Array, k: number, ky = 1): CycleSeries[] {
  const total = data.length / 2;
  const shown = [...new Set(m.segments.map((s) => s.cycle))];
  const rank = new Map(shown.map((c, i) => [c, i]));
  const shade = (c: number) => (shown.length > 1 ? rank.get(c)! / (shown.length - 1) : 0);
  const points = (s: SegmentLayout['segments'][number], into: [number, number][]) => {
    for (let i = 0; i < s.length; i++) into.push([data[s.offset + i]! * k, data[total + s.offset + i]! * ky]);
  };
  if (shown.length <= MANY_CYCLES) {
    return m.segments.map((s) => {
      const pts: [number, number][] = [];
      points(s, pts);
      return { name: `cycle ${s.cycle}`, shade: shade(s.cycle), data: pts };
    });
  }
  const groups = Math.min(COLOUR_GROUPS, shown.length);
  const groupOf = (c: number) => Math.floor((rank.get(c)! * groups) / shown.length);
  const out: CycleSeries[] = [];
  for (let g = 0; g < groups; g++) {
    const first = shown.find((c) => groupOf(c) === g)!;
    let last = first;
    for (const c of shown) if (groupOf(c) === g) last = c;
    out.push({ name: first === last ? `cycle ${first}` : `cycles ${first}–${last}`, shade: groups > 1 ? g / (groups - 1) : 0, data: [] });
  }
  for (const s of m.segments) {
    const into = out[groupOf(s.cycle)]!.data;
    if (into.length) into.push([NaN, NaN]);
    points(s, into);
  }
  return out;
}
