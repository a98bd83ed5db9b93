/**
 * Parsed dialect → the one Dataset model: a 'table' entry whose first three columns are the
 * normalised impedance columns every EIS consumer reads — 'freq' (Hz), 'Re(Z)' (Ω), '-Im(Z)' (Ω),
 * the names and sign convention of BioLogic's .mpt (biologic-mpt/columns.ts) — followed by the
 * file's other columns under their own labels. sourceName always holds the vendor's label.
 *
 * Values are converted only where the normalised column demands it: Z'' is negated when the file
 * holds Im(Z), and impedances in mΩ/kΩ are scaled to Ω. Other columns keep their values and units.
 */
import type { Column, DatasetEntry, MetaTree } from '../../api/dataset.js';
import { FormatError } from '../format-error.js';
import { ohmFactor, READER_ID, splitLabelUnit, type EisParsed } from './text-lines.js';

/** Well-known extra columns get the .mpt names; anything else keeps its label. */
const KNOWN_EXTRA: Record<string, { name: string; unit?: string }> = {
  zmod: { name: '|Z|' },
  '|z|': { name: '|Z|' },
  z: { name: '|Z|' },
  zphz: { name: 'Phase(Z)' },
  phase: { name: 'Phase(Z)' },
  time: { name: 'time' },
  'elapsedtime': { name: 'time' },
};

export interface MappedTable {
  entry: DatasetEntry;
  /** Values by normalised column name. */
  values: Record<string, Float64Array>;
}

export function mapToDataset(file: string, p: EisParsed): MappedTable {
  const { mapping } = p;
  const cols = p.columns;
  const f = cols[mapping.freq];
  const re = cols[mapping.re];
  const im = cols[mapping.im];
  if (!f || !re || !im) throw new FormatError(file, null, 'frequency, Re(Z) and Im(Z) columns', READER_ID);
  const zUnit = mapping.impedanceUnit ?? re.unit;
  const k = ohmFactor(zUnit);
  if (k === null) throw new FormatError(file, null, `impedance in a unit of Ω (got "${zUnit}")`, READER_ID);
  const sign = mapping.imSign === 'Im(Z)' ? -1 : 1;
  const values: Record<string, Float64Array> = {
    freq: Float64Array.from(f.values),
    'Re(Z)': Float64Array.from(re.values, (v) => v * k),
    '-Im(Z)': Float64Array.from(im.values, (v) => v * k * sign),
  };
  const columns: Column[] = [
    { name: 'freq', units: 'Hz', dtype: 'float64', sourceName: f.label },
    { name: 'Re(Z)', units: 'Ω', dtype: 'float64', sourceName: re.label },
    { name: '-Im(Z)', units: 'Ω', dtype: 'float64', sourceName: im.label },
  ];
  const used = new Set(columns.map((c) => c.name));
  cols.forEach((c, i) => {
    if (i === mapping.freq || i === mapping.re || i === mapping.im) return;
    const split = splitLabelUnit(c.label);
    const key = split.quantity.replace(/\s+/g, '').toLowerCase();
    // "Potential (V)" → name "Potential", unit "V"; the label stays in sourceName.
    let name = KNOWN_EXTRA[key]?.name ?? (split.unit ? split.quantity : c.label);
    if (used.has(name)) name = c.label;
    for (let n = 2; used.has(name); n++) name = `${c.label} #${n}`;
    used.add(name);
    columns.push({ name, units: c.unit, dtype: c.integer ? 'int32' : 'float64', sourceName: c.label });
    values[name] = c.values;
  });
  const n = f.values.length;
  const extra = { ...(p.metadata.extra ?? {}), dialect: p.dialect, imaginarySign: `file column "${im.label}" holds ${mapping.imSign}` };
  const original: MetaTree = { dialect: p.dialect, dialectName: p.dialectName, ...p.original };
  return {
    entry: {
      entry: p.entry ?? 'data',
      kind: 'table',
      title: p.title ?? p.metadata.title ?? `${p.dialectName}: ${file}`,
      dtype: 'float64',
      shape: [n],
      axes: [{ name: 'row', units: '', size: n, scale: 1, offset: 0, navigate: false }],
      columns,
      metadata: { ...p.metadata, technique: p.metadata.technique ?? 'EIS', extra },
      original,
      warnings: [...p.warnings],
    },
    values,
  };
}
