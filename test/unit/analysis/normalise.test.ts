import { describe, expect, it } from 'vitest';
import { cRate, normalisers } from '../../../main/analysis/echem/normalise.js';
import { cyclingSummaryAnalysis } from '../../../main/analysis/echem/cycling.js';
import { synthGcpl } from '../../fixtures/writers/mpt-writer.js';
import { mapColumnLabel } from '../../../main/formats/biologic-mpt/columns.js';

describe('normalisation', () => {
  it('converts mass, area and thickness with their units', () => {
    const n = normalisers({ activeMass: { value: 50, unit: 'µg' }, area: { value: 5, unit: 'mm²' }, thickness: { value: 1000, unit: 'nm' } });
    expect(n.perMass).toBeCloseTo(1 / 50e-6, 6); // mA·h → mA·h g⁻¹
    expect(n.perArea).toBeCloseTo(1000 / 0.05, 9); // mA·h → µA·h cm⁻²
    expect(n.perVolume).toBeCloseTo(1000 / 0.05, 9); // 1 µm film
    expect(() => normalisers({ area: { value: 1, unit: 'acres' } })).toThrow(/area in "acres"/);
  });
  it('derives absolute theoretical capacity from specific or volumetric values', () => {
    expect(normalisers({ activeMass: { value: 2, unit: 'mg' }, theoreticalCapacity: { value: 147, unit: 'mAh g⁻¹' } }).theoretical_mAh).toBeCloseTo(0.294, 9);
    expect(normalisers({ area: { value: 0.05, unit: 'cm²' }, thickness: { value: 1, unit: 'µm' }, theoreticalCapacity: { value: 63, unit: 'µAh cm⁻² µm⁻¹' } }).theoretical_mAh).toBeCloseTo(0.00315, 9);
    expect(cRate(0.003, 0.00315)).toBeCloseTo(0.952, 3);
  });
});

describe('cycling summary with the cell’s numbers', () => {
  it('gives µAh cm⁻² µm⁻¹ (58 of 63 for the seed LNMO film) and the C-rate', () => {
    const g = synthGcpl({ cycles: 3, capacity_mAh: 0.0029, ce: 0.996, fade: 0, currentmA: 0.003 });
    const cols: Record<string, { units: string; values: Float64Array }> = {};
    for (const c of g.columns) {
      const m = mapColumnLabel(c.label);
      cols[m.name] = { units: m.units, values: Float64Array.from(c.values) };
    }
    const r = cyclingSummaryAnalysis.run(cols, { area_cm2: 0.05, thickness_um: 1, theoreticalCapacity_mAh: 0.00315 });
    expect(r.results.firstCycleDischargeCapacityVolumetric!.value).toBeCloseTo((0.0029 * 0.996 * 1000) / 0.05, 6);
    expect(r.results.firstCycleDischargeCapacityVolumetric!.unit).toBe('µA·h cm⁻² µm⁻¹');
    expect(r.results.firstCycleChargeCapacityAreal!.value).toBeCloseTo(58, 6);
    expect(r.results.chargeCRate!.value).toBeCloseTo(0.003 / 0.00315, 6);
    expect(r.arrays.dischargeCapacityVolumetric!.values).toHaveLength(r.arrays.dischargeCapacity!.values.length);
  });
});

describe('energy efficiency and irreversible capacity', () => {
  it('follow from the per-cycle capacities and energies', () => {
    const g = synthGcpl({ cycles: 4, capacity_mAh: 0.002, ce: 0.99, fade: 0, currentmA: 0.002 });
    const cols: Record<string, { units: string; values: Float64Array }> = {};
    for (const c of g.columns) {
      const m = mapColumnLabel(c.label);
      cols[m.name] = { units: m.units, values: Float64Array.from(c.values) };
    }
    const r = cyclingSummaryAnalysis.run(cols, {});
    const ee = r.arrays.energyEfficiency!.values;
    for (let k = 0; k < 4; k++) expect(ee[k]).toBeCloseTo((100 * g.expected.dischargeEnergy_Wh[k]!) / g.expected.chargeEnergy_Wh[k]!, 6);
    expect(r.results.cumulativeIrreversibleCapacity!.value).toBeCloseTo(4 * 0.002 * 0.01, 9);
    expect(r.results.meanEnergyEfficiency!.unit).toBe('%');
  });
});
