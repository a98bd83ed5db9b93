/**
 * Normalising capacities by what the cell record states: active mass (mA·h g⁻¹), electrode area
 * (µA·h cm⁻²) and film thickness (µA·h cm⁻² µm⁻¹ — the volumetric figure thin-film papers quote,
 * e.g. 58 of a theoretical 63 µAh cm⁻² µm⁻¹ for LNMO), and the C-rate from current and theoretical
 * capacity (C = I / Q_theo, in h⁻¹). Inputs carry their units; unknown units are refused, never
 * guessed. Pure.
 */
import type { Quantity } from '../../api/dataset.js';

const MASS_TO_G: Record<string, number> = { g: 1, mg: 1e-3, µg: 1e-6, ug: 1e-6 };
const AREA_TO_CM2: Record<string, number> = { 'cm²': 1, cm2: 1, 'mm²': 1e-2, mm2: 1e-2, 'm²': 1e4, 'µm²': 1e-8 };
const LENGTH_TO_UM: Record<string, number> = { µm: 1, um: 1, nm: 1e-3, mm: 1e3, cm: 1e4 };
const CAPACITY_TO_MAH: Record<string, number> = { mAh: 1, 'mA·h': 1, µAh: 1e-3, 'µA·h': 1e-3, Ah: 1e3, 'A·h': 1e3 };

function convert(q: Quantity, table: Record<string, number>, what: string): number {
  const f = table[q.unit];
  if (f === undefined) throw new Error(`${what} in "${q.unit}" cannot be used; give it in ${Object.keys(table).join(', ')}`);
  return q.value * f;
}

export interface CellNormalisation {
  activeMass?: Quantity;
  area?: Quantity;
  /** Thickness of the active film. */
  thickness?: Quantity;
  /** Theoretical capacity: absolute (mAh, µAh) or specific (mAh g⁻¹, needs the mass). */
  theoreticalCapacity?: Quantity;
}

export interface Normalisers {
  /** mA·h → mA·h g⁻¹ */
  perMass?: number;
  /** mA·h → µA·h cm⁻² */
  perArea?: number;
  /** mA·h → µA·h cm⁻² µm⁻¹ */
  perVolume?: number;
  /** Theoretical capacity in mA·h, for C-rates. */
  theoretical_mAh?: number;
}

export function normalisers(n: CellNormalisation): Normalisers {
  const out: Normalisers = {};
  const g = n.activeMass ? convert(n.activeMass, MASS_TO_G, 'active mass') : undefined;
  const cm2 = n.area ? convert(n.area, AREA_TO_CM2, 'area') : undefined;
  const um = n.thickness ? convert(n.thickness, LENGTH_TO_UM, 'thickness') : undefined;
  if (g && g > 0) out.perMass = 1 / g;
  if (cm2 && cm2 > 0) {
    out.perArea = 1000 / cm2;
    if (um && um > 0) out.perVolume = 1000 / (cm2 * um);
  }
  const t = n.theoreticalCapacity;
  if (t) {
    if (t.unit === 'mAh g⁻¹' || t.unit === 'mAh/g' || t.unit === 'mA·h g⁻¹') {
      if (g) out.theoretical_mAh = t.value * g;
    } else if (t.unit === 'µAh cm⁻² µm⁻¹') {
      if (cm2 && um) out.theoretical_mAh = (t.value * cm2 * um) / 1000;
    } else {
      out.theoretical_mAh = convert(t, CAPACITY_TO_MAH, 'theoretical capacity');
    }
  }
  return out;
}

/** C-rate (h⁻¹) of a constant current |I| in mA against a theoretical capacity in mA·h. */
export function cRate(current_mA: number, theoretical_mAh: number): number {
  return Math.abs(current_mA) / theoretical_mAh;
}
