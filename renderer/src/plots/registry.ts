/**
 * Plots register with `supports(dataset)` (h5web style); the dataset view offers every plot that
 * supports the selected dataset, first match as the default.
 */
import type { Component } from 'vue';
import type { Dataset } from '../../../main/api/dataset.js';
import ImageView from '../components/ImageView.vue';
import CyclingView from '../components/CyclingView.vue';

export interface PlotDef {
  id: string;
  label: string;
  supports(d: Dataset): boolean;
  component: Component;
}

export function hasColumn(d: Dataset, name: string): boolean {
  return !!d.columns?.some((c) => c.name === name);
}

export const PLOTS: PlotDef[] = [
  {
    id: 'image',
    label: 'Image',
    supports: (d) => (d.kind === 'image' || d.kind === 'image-stack' || d.kind === 'diffraction-4d') && d.shape.length >= 2,
    component: ImageView,
  },
  {
    id: 'voltage-capacity',
    label: 'Voltage–capacity',
    supports: (d) => d.kind === 'table' && hasColumn(d, 'Ewe') && (hasColumn(d, 'I') || hasColumn(d, 'Q charge/discharge') || hasColumn(d, '(Q-Qo)')),
    component: CyclingView,
  },
];

export function plotsFor(d: Dataset): PlotDef[] {
  return PLOTS.filter((p) => p.supports(d));
}
