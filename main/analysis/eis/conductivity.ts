/**
 * Ionic conductivity of a film between two electrodes from its ionic resistance:
 *     σ = t / (R · A)
 * t film thickness, A electrode overlap area, R the resistance of the electrolyte arc (e.g. the
 * R of the bulk R‖CPE in an LNMO | LiPON | Li fit). Sputtered LiPON gives 2–3 × 10⁻⁶ S cm⁻¹ at
 * room temperature (Bates et al., Solid State Ionics 53–56 (1992) 647; Yu et al.,
 * J. Electrochem. Soc. 144 (1997) 524).
 *
 * Uncertainty: first-order propagation for a product of independent factors (GUM, JCGM 100:2008
 * §5.1.6): (u_σ/σ)² = (u_t/t)² + (u_R/R)² + (u_A/A)².
 */
import type { Quantity } from '../../api/dataset.js';

const TO_CM: Record<string, number> = { cm: 1, mm: 0.1, µm: 1e-4, um: 1e-4, nm: 1e-7, m: 100 };
const TO_CM2: Record<string, number> = { 'cm²': 1, cm2: 1, 'mm²': 0.01, mm2: 0.01, 'm²': 1e4, m2: 1e4, 'µm²': 1e-8, um2: 1e-8 };
const TO_OHM: Record<string, number> = { Ω: 1, Ohm: 1, ohm: 1, mΩ: 1e-3, kΩ: 1e3, MΩ: 1e6 };

function convert(q: Quantity, table: Record<string, number>, what: string): { value: number; u: number } {
  const f = table[q.unit];
  if (f === undefined) throw new Error(`${what} has unit '${q.unit}'; expected one of ${Object.keys(table).join(', ')}`);
  if (!(q.value > 0) || !Number.isFinite(q.value)) throw new Error(`${what} must be a finite positive number (got ${q.value} ${q.unit})`);
  const u = q.uncertainty ?? 0;
  if (!(u >= 0)) throw new Error(`${what} uncertainty must be ≥ 0`);
  return { value: q.value * f, u: u * f };
}

/** σ in S/cm (with propagated standard uncertainty when any input has one). */
export function ionicConductivity(thickness: Quantity, area: Quantity, resistance: Quantity): Quantity {
  const t = convert(thickness, TO_CM, 'thickness');
  const a = convert(area, TO_CM2, 'area');
  const r = convert(resistance, TO_OHM, 'resistance');
  const sigma = t.value / (r.value * a.value);
  const rel = Math.sqrt((t.u / t.value) ** 2 + (a.u / a.value) ** 2 + (r.u / r.value) ** 2);
  const out: Quantity = { value: sigma, unit: 'S/cm' };
  if (Number.isFinite(rel) && rel > 0) out.uncertainty = sigma * rel;
  return out;
}
