import { describe, expect, it } from 'vitest';
import { fullView, isFullView, panBy, regionToView, viewToRegion, zoomAt } from '../../renderer/src/plots/image-viewport.js';

const full = { width: 4096, height: 2048 };

describe('image viewport', () => {
  it('zooms about the pointer: the source point under it stays put', () => {
    const v0 = fullView(full);
    const v1 = zoomAt(v0, full, 0.5, 0.25, 0.75);
    expect(v1.w).toBe(2048);
    expect(v1.h).toBe(1024);
    // Source point under the pointer before: (1024, 1536); after: x + 0.25 w, y + 0.75 h.
    expect(v1.x + 0.25 * v1.w).toBeCloseTo(1024, 9);
    expect(v1.y + 0.75 * v1.h).toBeCloseTo(1536, 9);
    expect(isFullView(v1, full)).toBe(false);
  });

  it('never zooms out past the image or in past a few pixels, and stays inside the image', () => {
    const out = zoomAt(fullView(full), full, 3, 0.9, 0.9);
    expect(out).toEqual({ x: 0, y: 0, w: 4096, h: 2048 });
    let v = fullView(full);
    for (let i = 0; i < 60; i++) v = zoomAt(v, full, 0.5, 1, 1);
    expect(v.w).toBe(16); // 8 px high, 2:1 aspect
    expect(v.h).toBe(8);
    expect(v.x + v.w).toBeCloseTo(4096, 9);
    expect(v.y + v.h).toBeCloseTo(2048, 9);
  });

  it('pans by drag fractions and clamps at the edges', () => {
    const v = zoomAt(fullView(full), full, 0.25, 0.5, 0.5); // 1024 × 512 in the middle
    const right = panBy(v, full, 0.5, 0); // drag right by half the view → image moves right → view moves left
    expect(right.x).toBeCloseTo(v.x - 512, 9);
    expect(panBy(v, full, 100, -100)).toMatchObject({ x: 0, y: 2048 - 512 });
  });

  it('turns a view into whole source pixels to read, and a saved region back into a view', () => {
    const r = viewToRegion({ x: 10.4, y: 20.6, w: 100, h: 50 }, full);
    expect(r).toEqual({ x: 10, y: 20, width: 101, height: 51 });
    expect(viewToRegion(fullView(full), full)).toEqual({ x: 0, y: 0, width: 4096, height: 2048 });
    const back = regionToView({ x: 100, y: 50, width: 400, height: 200 }, full);
    expect(back).toEqual({ x: 100, y: 50, w: 400, h: 200 });
  });
});
