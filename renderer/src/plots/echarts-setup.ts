/**
 * ECharts, tree-shaken to what the views use, registered once. Every chart gets the same readable
 * defaults: 14 px axis names, 12 px labels, no animation (plots are data, not decoration).
 */
import * as echarts from 'echarts/core';
import { LineChart, ScatterChart } from 'echarts/charts';
import { GridComponent, TooltipComponent, LegendComponent, DataZoomComponent, ToolboxComponent, TitleComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([LineChart, ScatterChart, GridComponent, TooltipComponent, LegendComponent, DataZoomComponent, ToolboxComponent, TitleComponent, CanvasRenderer]);

export { echarts };

export function axis(name: string, opts: { log?: boolean; scale?: boolean; gap?: number } = {}) {
  return {
    type: opts.log ? ('log' as const) : ('value' as const),
    name,
    nameLocation: 'middle' as const,
    nameGap: opts.gap ?? 32,
    nameTextStyle: { fontSize: 14 },
    // hideOverlap: a pinned end label (niceExtent) that lands near a tick label gives way.
    axisLabel: { fontSize: 12, hideOverlap: true },
    scale: opts.scale ?? true,
  };
}

/** Label for an axis: "Energy / keV", or the name alone when the unit is empty. */
export function axisLabel(name: string, unit: string): string {
  return unit ? `${name} / ${unit}` : name;
}

/** The largest 1-2-5 × 10ⁿ value not above x (x > 0): a tick step. */
export function niceStep(x: number): number {
  const base = 10 ** Math.floor(Math.log10(x));
  return [5, 2, 1].map((m) => m * base).find((s) => s <= x * (1 + 1e-9)) ?? base;
}

/**
 * [lo, hi] widened to the nearest multiples of a 1-2-5 step of at most a tenth of the span, so an
 * axis pinned to its data ends on short labels ("1", not "0.9867813769294805": ECharts prints a
 * pinned min/max in full) while adding at most one such step of empty space at each end.
 */
export function niceExtent(lo: number, hi: number): [number, number] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(hi > lo)) return [lo, hi];
  const step = niceStep((hi - lo) / 10);
  // Whole steps, then 12 significant digits: no 0.30000000000000004-style ends, at any scale.
  const round = (v: number): number => Number(v.toPrecision(12));
  return [round(Math.floor(lo / step + 1e-9) * step), round(Math.ceil(hi / step - 1e-9) * step)];
}

/** ECharts min/max callbacks for an axis pinned to its data, ending on nice values. */
export const niceDataBounds = {
  min: (e: { min: number; max: number }): number => niceExtent(e.min, e.max)[0],
  max: (e: { min: number; max: number }): number => niceExtent(e.min, e.max)[1],
};

/** ECharts min/max callbacks for a log axis: the decades around the data (labels 0.001 … 10000). */
export const decadeBounds = {
  min: (e: { min: number }): number => 10 ** Math.floor(Math.log10(e.min) + 1e-9),
  max: (e: { max: number }): number => 10 ** Math.ceil(Math.log10(e.max) - 1e-9),
};
