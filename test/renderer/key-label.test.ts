/** Reader metadata keys read as labels in the metadata panel. */
import { describe, expect, it } from 'vitest';
import { keyLabel } from '../../renderer/src/util/format.js';

describe('keyLabel', () => {
  it('spells camelCase keys as sentence-case labels', () => {
    expect(keyLabel('characteristicMass')).toBe('Characteristic mass');
    expect(keyLabel('batteryCapacity')).toBe('Battery capacity');
    expect(keyLabel('scanRate')).toBe('Scan rate');
    expect(keyLabel('sequences')).toBe('Sequences');
    expect(keyLabel('stageAlpha')).toBe('Stage alpha');
    expect(keyLabel('EDSDetector')).toBe('EDS detector');
    expect(keyLabel('dwell_time')).toBe('Dwell time');
    expect(keyLabel('stageX')).toBe('Stage X');
  });
  it('uses the fixed spelling where one exists', () => {
    expect(keyLabel('ecLabVersion')).toBe('EC-Lab version');
    expect(keyLabel('testId')).toBe('Test ID');
    expect(keyLabel('edsAzimuthAngle')).toBe('EDS azimuth angle');
  });
});
