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

/** Labels a reader's metadata key cannot spell out by itself. */
const KEY_LABELS: Record<string, string> = {
  ecLabVersion: 'EC-Lab version',
  testId: 'Test ID',
  instrumentId: 'Instrument ID',
  edsAzimuthAngle: 'EDS azimuth angle',
  edsElevationAngle: 'EDS elevation angle',
  eelsApertureSize: 'EELS aperture size',
  acAmplitude: 'AC amplitude',
  dcPotential: 'DC potential',
};

/**
 * A metadata key as a label: "characteristicMass" → "Characteristic mass", "stageAlpha" →
 * "Stage alpha"; capitals that are not just a word's first letter stay ("EDSDetector" → "EDS
 * detector", "stageX" → "Stage X"); acronyms a key spells in lower case are listed above.
 */
export function keyLabel(key: string): string {
  if (KEY_LABELS[key]) return KEY_LABELS[key]!;
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .trim()
    .split(/\s+/);
  if (!words[0]) return key;
  const out = words.map((w, i) => (/^[A-Z0-9]+$/.test(w) ? w : i === 0 ? w[0]!.toUpperCase() + w.slice(1) : w.toLowerCase()));
  return out.join(' ');
}
