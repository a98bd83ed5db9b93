/** Display helpers: quantities always with their unit. */
import type { Quantity } from '../../../main/api/dataset.js';

export function fmtNumber(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return String(x);
  if (x !== 0 && (Math.abs(x) >= 1e7 || Math.abs(x) < 1e-3)) return x.toExponential(digits - 1);
  return String(Number(x.toPrecision(digits)));
}

export function fmtQuantity(q: Quantity | undefined | null, digits = 4): string {
  if (!q) return '—';
  const u = q.uncertainty !== undefined ? ` ± ${fmtNumber(q.uncertainty, 2)}` : '';
  return `${fmtNumber(q.value, digits)}${u} ${q.unit}`.trim();
}

export function parseQuantity(text: string, unit: string): Quantity | undefined {
  const t = text.trim().replace(',', '.');
  if (!t) return undefined;
  const v = Number(t);
  return Number.isFinite(v) ? { value: v, unit } : undefined;
}
