/**
 * Zoom and pan of an image view, as pure arithmetic on the visible rectangle in source pixels.
 * The view keeps the whole image's aspect ratio (so the canvas does not change shape) and never
 * leaves the image; the worker then reads just that rectangle at full resolution.
 */
import type { ImageRegion } from '../../../main/api/contract.js';

export interface View {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Size {
  width: number;
  height: number;
}

/** Narrowest view, in source pixels (a few pixels across is as far as zoom is useful). */
export const MIN_VIEW_PIXELS = 8;

export function fullView(full: Size): View {
  return { x: 0, y: 0, w: full.width, h: full.height };
}

export function isFullView(v: View, full: Size): boolean {
  return v.w >= full.width - 1e-9 && v.h >= full.height - 1e-9;
}

function clampView(x: number, y: number, w: number, full: Size): View {
  const minW = Math.min(full.width, MIN_VIEW_PIXELS * Math.max(1, full.width / full.height));
  const cw = Math.min(full.width, Math.max(minW, w));
  const ch = (cw * full.height) / full.width;
  return {
    x: Math.min(Math.max(0, x), full.width - cw),
    y: Math.min(Math.max(0, y), full.height - ch),
    w: cw,
    h: ch,
  };
}

/**
 * Zoom by `factor` (< 1 zooms in) keeping the source point under the pointer fixed; fx, fy are
 * the pointer's position as fractions (0…1) of the shown view's width and height.
 */
export function zoomAt(v: View, full: Size, factor: number, fx: number, fy: number): View {
  const px = v.x + fx * v.w;
  const py = v.y + fy * v.h;
  const next = clampView(0, 0, v.w * factor, full);
  return clampView(px - fx * next.w, py - fy * next.h, next.w, full);
}

/** Move the view by a drag of (dx, dy) fractions of the shown view (drag right → image moves right). */
export function panBy(v: View, full: Size, dx: number, dy: number): View {
  return clampView(v.x - dx * v.w, v.y - dy * v.h, v.w, full);
}

/** The whole source pixels covering the view, to read. */
export function viewToRegion(v: View, full: Size): ImageRegion {
  const x = Math.max(0, Math.floor(v.x));
  const y = Math.max(0, Math.floor(v.y));
  return {
    x,
    y,
    width: Math.max(1, Math.min(full.width, Math.ceil(v.x + v.w)) - x),
    height: Math.max(1, Math.min(full.height, Math.ceil(v.y + v.h)) - y),
  };
}

export function regionToView(r: ImageRegion, full: Size): View {
  return clampView(r.x, r.y, r.width, full);
}
