import { describe, expect, it } from 'vitest';
import { niceLength, scaleBar } from '../../renderer/src/plots/scale-bar.js';

describe('niceLength', () => {
  it('picks the nearest 1-2-5 value on a log scale', () => {
    expect(niceLength(1.92)).toBe(2);
    expect(niceLength(1.3)).toBe(1);
    expect(niceLength(3.4)).toBe(5);
    expect(niceLength(0.0062)).toBe(0.005);
    expect(niceLength(0.0071)).toBe(0.01);
    expect(niceLength(640)).toBe(500);
    expect(niceLength(740)).toBe(1000);
    expect(niceLength(0)).toBe(0);
  });
});

describe('scaleBar', () => {
  it('is about a fifth of the width with a round label in nm', () => {
    const b = scaleBar(0.025, 'nm', 384, 720)!;
    expect(b.label).toBe('2 nm');
    expect(b.pixels).toBeCloseTo((2 / 9.6) * 720, 6);
  });
  it('switches to µm and pm when the numbers get large or small', () => {
    expect(scaleBar(5, 'nm', 1000, 500)!.label).toBe('1 µm');
    expect(scaleBar(0.168675, 'µm', 68, 500)!.label).toBe('2 µm');
    expect(scaleBar(0.0005, 'nm', 100, 500)!.label).toBe('10 pm');
  });
  it('keeps reciprocal units as they are', () => {
    const b = scaleBar(0.1744, '1/nm', 87, 500)!;
    expect(b.unit).toBe('1/nm');
    expect(b.label).toBe('2 1/nm');
  });
  it('has no bar without a calibration', () => {
    expect(scaleBar(0, 'nm', 100, 100)).toBeNull();
  });
});
