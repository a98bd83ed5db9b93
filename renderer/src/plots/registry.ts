/**
 * Plots register with `supports(dataset)` (h5web style); the dataset view offers every plot that
 * supports the selected dataset, the first match as the default — so the order matters: an EIS
 * file also has Ewe and I columns, and should open on its Nyquist plot.
 */
import type { Component } from 'vue';
import type { Dataset } from '../../../main/api/dataset.js';
import ImageView from '../components/ImageView.vue';
import CyclingView from '../components/CyclingView.vue';
import SpectrumView from '../components/SpectrumView.vue';
import EisView from '../components/EisView.vue';
import TableView from '../components/TableView.vue';
import DqdvView from '../components/DqdvView.vue';
import CvView from '../components/CvView.vue';

export interface PlotDef {
  id: string;
  label: string;
  supports(d: Dataset): boolean;
  component: Component;
}

export function hasColumn(d: Dataset, name: string): boolean {
  return !!d.columns?.some((c) => c.name === name);
}

/** Potentiostats record the working-electrode potential (Ewe); cyclers the cell voltage (Ecell). */
function hasVoltage(d: Dataset): boolean {
  return hasColumn(d, 'Ewe') || hasColumn(d, 'Ecell') || hasColumn(d, '<Ewe>');
}
function hasCharge(d: Dataset): boolean {
  return hasColumn(d, 'I') || hasColumn(d, '<I>') || hasColumn(d, 'Q charge/discharge') || hasColumn(d, '(Q-Qo)');
}

export const PLOTS: PlotDef[] = [
  {
    id: 'image',
    label: 'Image',
    supports: (d) => (d.kind === 'image' || d.kind === 'image-stack' || d.kind === 'diffraction-4d') && d.shape.length >= 2,
    component: ImageView,
  },
  {
    id: 'impedance',
    label: 'Nyquist / Bode',
    supports: (d) => d.kind === 'table' && hasColumn(d, 'freq') && hasColumn(d, 'Re(Z)') && hasColumn(d, '-Im(Z)'),
    component: EisView,
  },
  {
    id: 'cv',
    label: 'I–E (CV)',
    supports: (d) => d.kind === 'table' && hasVoltage(d) && (hasColumn(d, 'I') || hasColumn(d, '<I>')) && /voltamm|\bCV\b|\bCVA\b/i.test(d.metadata.technique ?? ''),
    component: CvView,
  },
  {
    id: 'voltage-capacity',
    label: 'Voltage–capacity',
    supports: (d) => d.kind === 'table' && hasVoltage(d) && hasCharge(d),
    component: CyclingView,
  },
  {
    id: 'dqdv',
    label: 'dQ/dV',
    supports: (d) => d.kind === 'table' && hasVoltage(d) && hasCharge(d),
    component: DqdvView,
  },
  {
    id: 'spectrum',
    label: 'Spectrum',
    supports: (d) => (d.kind === 'spectrum' || d.kind === 'line-plot') ? d.shape.length === 1 : d.kind === 'spectrum-image' && (d.shape.length === 2 || d.shape.length === 3),
    component: SpectrumView,
  },
  {
    id: 'table',
    label: 'Columns',
    supports: (d) => d.kind === 'table' && (d.columns?.length ?? 0) >= 2,
    component: TableView,
  },
];

export function plotsFor(d: Dataset): PlotDef[] {
  return PLOTS.filter((p) => p.supports(d));
}
