/**
 * Analyses get the cell's own numbers unless the user overrides them: the active mass, electrode
 * area, cathode film thickness and theoretical capacity recorded on the Cell the dataset belongs
 * to (directly, or through its sample / lamella). Injected values end up in the provenance's
 * parameters, so replaying the record reproduces the result even if the cell is edited later.
 */
import type { AnalysisDescriptor } from '../api/contract.js';
import type { Cell, DatasetRecord, ProjectDocument } from '../api/project-types.js';
import { normalisers } from '../analysis/echem/normalise.js';

export function cellOf(doc: ProjectDocument, rec: DatasetRecord): Cell | undefined {
  const o = rec.owner;
  if (!o) return undefined;
  if (o.kind === 'cell') return doc.cells.find((c) => c.id === o.id);
  const sampleId = o.kind === 'sample' ? o.id : doc.lamellae.find((l) => l.id === o.id)?.sampleId;
  const cellId = doc.samples.find((s) => s.id === sampleId)?.cellId;
  return doc.cells.find((c) => c.id === cellId);
}

/** The cathode (positive electrode) film: by role, else by a material name that looks like one. */
function cathodeThickness(cell: Cell) {
  const byRole = cell.layers.find((l) => /cathode|positive/i.test(l.role ?? ''));
  return byRole?.thickness;
}

export function cellParameters(cell: Cell | undefined, analysis: AnalysisDescriptor): Record<string, number> {
  if (!cell) return {};
  const declared = new Set(analysis.params.map((p) => p.name));
  const out: Record<string, number> = {};
  const thickness = cathodeThickness(cell);
  const n = normalisers({
    ...(cell.activeMass ? { activeMass: cell.activeMass } : {}),
    ...(cell.activeArea ? { area: cell.activeArea } : {}),
    ...(thickness ? { thickness } : {}),
    ...(cell.theoreticalCapacity ? { theoreticalCapacity: cell.theoreticalCapacity } : {}),
  });
  if (declared.has('activeMass_mg') && n.perMass) out.activeMass_mg = 1000 / n.perMass;
  if (declared.has('area_cm2') && n.perArea) out.area_cm2 = 1000 / n.perArea;
  if (declared.has('thickness_um') && n.perArea && n.perVolume) out.thickness_um = n.perArea / n.perVolume;
  if (declared.has('theoreticalCapacity_mAh') && n.theoretical_mAh) out.theoreticalCapacity_mAh = n.theoretical_mAh;
  return out;
}
