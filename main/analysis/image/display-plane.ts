/**
 * Turn one plane of any dtype into float32 for display: complex → modulus, rgba → luminance
 * (Rec. 709 weights), integers as values; then bin by an integer factor (mean of b×b blocks) so
 * that no side exceeds maxSize, and compute robust display limits. Pure; no I/O.
 */
import type { DType } from '../../api/dataset.js';
import type { NumericArray } from '../../formats/types.js';

export function planeToFloat32(data: NumericArray, dtype: DType, n: number): Float32Array {
  const out = new Float32Array(n);
  if (dtype === 'complex64' || dtype === 'complex128') {
    for (let i = 0; i < n; i++) out[i] = Math.hypot(Number(data[2 * i]), Number(data[2 * i + 1]));
  } else if (dtype === 'rgba8') {
    for (let i = 0; i < n; i++) {
      out[i] = 0.2126 * Number(data[4 * i]) + 0.7152 * Number(data[4 * i + 1]) + 0.0722 * Number(data[4 * i + 2]);
    }
  } else if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    for (let i = 0; i < n; i++) out[i] = Number(data[i]);
  } else if (data instanceof Float32Array) {
    out.set(data.subarray(0, n));
  } else {
    for (let i = 0; i < n; i++) out[i] = data[i] as number;
  }
  return out;
}

/**
 * The part of a width × height image to read: `region` clipped to the image (at least 1 × 1 pixel
 * inside it), or the whole image when none is asked for.
 */
export function clipRegion(
  region: { x: number; y: number; width: number; height: number } | null | undefined,
  width: number,
  height: number,
): { x: number; y: number; width: number; height: number } {
  if (!region) return { x: 0, y: 0, width, height };
  const x = Math.min(Math.max(0, Math.floor(region.x)), width - 1);
  const y = Math.min(Math.max(0, Math.floor(region.y)), height - 1);
  return {
    x,
    y,
    width: Math.max(1, Math.min(Math.ceil(region.width), width - x)),
    height: Math.max(1, Math.min(Math.ceil(region.height), height - y)),
  };
}

export function binningFor(width: number, height: number, maxSize: number): number {
  return Math.max(1, Math.ceil(Math.max(width, height) / maxSize));
}

/** Mean of b×b blocks; partial blocks at the right/bottom edge average what they contain. */
export function binPlane(src: Float32Array, width: number, height: number, b: number): { data: Float32Array; width: number; height: number } {
  if (b === 1) return { data: src, width, height };
  const w = Math.ceil(width / b);
  const h = Math.ceil(height / b);
  const sum = new Float64Array(w * h);
  const cnt = new Uint32Array(w * h);
  for (let y = 0; y < height; y++) {
    const row = ((y / b) | 0) * w;
    const off = y * width;
    for (let x = 0; x < width; x++) {
      const k = row + ((x / b) | 0);
      sum[k]! += src[off + x]!;
      cnt[k]!++;
    }
  }
  const out = new Float32Array(w * h);
  for (let i = 0; i < out.length; i++) out[i] = sum[i]! / cnt[i]!;
  return { data: out, width: w, height: h };
}

export interface PlaneStats {
  min: number;
  max: number;
  displayMin: number;
  displayMax: number;
}

/**
 * min/max over finite values and the 0.5/99.5 percentiles from a 4096-bin histogram — robust to
 * hot pixels, the usual display stretch for HRTEM (cf. DigitalMicrograph's survey contrast).
 */
export function planeStats(data: Float32Array, lowPct = 0.5, highPct = 99.5): PlaneStats {
  let min = Infinity;
  let max = -Infinity;
  let finite = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (Number.isFinite(v)) {
      finite++;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  if (finite === 0) return { min: 0, max: 0, displayMin: 0, displayMax: 0 };
  if (max === min) return { min, max, displayMin: min, displayMax: max };
  const bins = 4096;
  const hist = new Uint32Array(bins);
  const k = (bins - 1) / (max - min);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (Number.isFinite(v)) hist[Math.floor((v - min) * k)]!++;
  }
  const lowCount = (finite * lowPct) / 100;
  const highCount = (finite * highPct) / 100;
  let acc = 0;
  let lo = 0;
  let hi = bins - 1;
  let loSet = false;
  for (let i = 0; i < bins; i++) {
    acc += hist[i]!;
    if (!loSet && acc > lowCount) {
      lo = i;
      loSet = true;
    }
    if (acc >= highCount) {
      hi = i;
      break;
    }
  }
  const displayMin = min + lo / k;
  const displayMax = Math.max(displayMin, min + (hi + 1) / k);
  return { min, max, displayMin, displayMax: Math.min(max, displayMax) };
}
