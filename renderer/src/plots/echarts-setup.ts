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
    axisLabel: { fontSize: 12 },
    scale: opts.scale ?? true,
  };
}

/** Label for an axis: "Energy / keV", or the name alone when the unit is empty. */
export function axisLabel(name: string, unit: string): string {
  return unit ? `${name} / ${unit}` : name;
}
