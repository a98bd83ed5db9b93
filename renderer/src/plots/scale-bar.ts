/**
 * Scale bars for calibrated images: a round length (1, 2 or 5 × 10ⁿ) close to a target fraction of
 * the displayed width, in a unit chosen so the number stays between 1 and 999 (DM / Velox style).
 */
const LENGTH_LADDER: { unit: string; factor: number }[] = [
  { unit: 'pm', factor: 1e-3 },
  { unit: 'Å', factor: 0.1 },
  { unit: 'nm', factor: 1 },
  { unit: 'µm', factor: 1e3 },
  { unit: 'mm', factor: 1e6 },
];

/** Length units in nm; reciprocal and unknown units are left as they are. */
function toNm(unit: string): number | null {
  const u = unit.replace('um', 'µm').replace('μm', 'µm');
  const hit = LENGTH_LADDER.find((l) => l.unit === u);
  return hit ? hit.factor : null;
}

/** The 1-2-5 value nearest to target on a log scale (so 1.9 → 2, not 1). */
export function niceLength(target: number): number {
  if (!(target > 0) || !Number.isFinite(target)) return 0;
  const exp = Math.floor(Math.log10(target));
  let best = 0;
  let bestErr = Infinity;
  for (const e of [exp - 1, exp, exp + 1]) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      const err = Math.abs(Math.log(v / target));
      if (err < bestErr) {
        bestErr = err;
        best = v;
      }
    }
  }
  return Number(best.toPrecision(12));
}

export interface ScaleBar {
  /** Bar length in screen pixels. */
  pixels: number;
  /** The label, e.g. "20 nm". */
  label: string;
  value: number;
  unit: string;
}

/**
 * @param pixelSize physical size of one *image* pixel
 * @param unit its unit (nm, µm, 1/nm …)
 * @param imagePixels image width in pixels
 * @param screenPixels displayed width in screen pixels
 * @param fraction target bar length as a fraction of the displayed width
 */
export function scaleBar(pixelSize: number, unit: string, imagePixels: number, screenPixels: number, fraction = 0.2): ScaleBar | null {
  if (!(pixelSize > 0) || !(imagePixels > 0) || !(screenPixels > 0)) return null;
  const physicalWidth = pixelSize * imagePixels;
  let value = niceLength(physicalWidth * fraction);
  let outUnit = unit || 'px';
  const nm = toNm(unit);
  let valueInInput = value;
  if (nm !== null && unit !== 'Å') {
    const lengthNm = value * nm;
    // Pick the ladder unit in which the number is ≥ 1 and < 1000.
    const choice = [...LENGTH_LADDER].filter((l) => l.unit !== 'Å').reverse().find((l) => lengthNm / l.factor >= 1) ?? LENGTH_LADDER[0]!;
    outUnit = choice.unit;
    value = lengthNm / choice.factor;
    valueInInput = lengthNm / nm;
  }
  const pixels = (valueInInput / physicalWidth) * screenPixels;
  const shown = Number(value.toPrecision(3));
  return { pixels, label: `${shown} ${outUnit}`, value: shown, unit: outUnit };
}
