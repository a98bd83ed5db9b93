/**
 * EC-Lab column labels → normalised column descriptors.
 *
 * An EC-Lab text export labels each column "quantity/unit" ("Ewe/V", "(Q-Qo)/mA.h",
 * "Re(Conductivity)/mS/cm"), but the quantity itself may contain '/' ("Q charge/discharge/mA.h",
 * "ox/red") and some labels carry no unit at all ("cycle number", "Re(M)"). So the split point is
 * chosen by recognising the unit, not by position: the first '/' whose remainder parses entirely as
 * unit symbols wins. The label list was collected from the EC-Lab v11.12–v11.61 exports in the
 * shared corpus (yadg and impedance.py test files).
 *
 * Units are reported as written — no scaling — only the spelling is normalised so that downstream
 * code sees one form: "mA.h" → "mA·h", "Ohm" → "Ω", "Ohm-1" → "Ω⁻¹", "deg" → "°".
 */
import type { Column } from '../../api/dataset.js';

/** Unit symbols EC-Lab writes (prefix + base), all forms seen in exports. */
const UNIT_ATOM = /^(?:[pnµumkMG]?(?:V|A|s|h|Hz|Ohm|W|C|F|S|g|m|mol|eq)|cm|mm|%|deg|°C|K|min|d|Ohm-1|cm2|cm²|cm3|cm³)$/;

/** Quantities whose values are integer codes (mode flags, sequence numbers, ranges). */
const INTEGER_COLUMNS = new Set([
  'mode',
  'ox/red',
  'error',
  'control changes',
  'Ns changes',
  'counter inc.',
  'Ns',
  'I Range',
  'half cycle',
  'z cycle',
]);

/**
 * Quantities this module knows by name. The normalised name is the quantity part of the label;
 * a label whose quantity is not listed here keeps its raw label as name (DESIGN: never drop,
 * never rename into something it is not).
 */
const KNOWN_QUANTITIES = new Set([
  ...INTEGER_COLUMNS,
  'time',
  'step time',
  'cycle number',
  'Ewe',
  '<Ewe>',
  '|Ewe|',
  'Ece',
  '<Ece>',
  '|Ece|',
  'Ewe-Ece',
  '<Ewe-Ece>',
  'Ecell',
  'I',
  '<I>',
  '|I|',
  'control',
  'dq',
  'dQ',
  '(Q-Qo)',
  'Q charge/discharge',
  'Q charge',
  'Q discharge',
  'Capacity',
  'Efficiency',
  'x',
  '|Energy|',
  'Energy charge',
  'Energy discharge',
  'Capacitance charge',
  'Capacitance discharge',
  'P',
  'R',
  'freq',
  'Re(Z)',
  '-Im(Z)',
  '|Z|',
  'Phase(Z)',
  'Cs',
  'Cp',
  'Re(Y)',
  'Im(Y)',
  '|Y|',
  'Phase(Y)',
  'Rcmp',
]);

export interface MptColumnInfo extends Column {
  /** The unit exactly as the label spells it ('' when none). */
  rawUnit: string;
  /** Whether the quantity is one this module recognises by name. */
  known: boolean;
}

function isUnitExpression(s: string): boolean {
  if (s.length === 0) return false;
  // Compound units are joined by '/' (per) or '.' (product): "mA.h", "Ohm.cm", "mS/cm", "V/mA".
  for (const atom of s.split(/[/.]/)) if (!UNIT_ATOM.test(atom)) return false;
  return true;
}

/** Normalise the spelling of a unit expression; values are never rescaled. */
export function normaliseUnit(raw: string): string {
  if (raw === '') return '';
  return raw
    .split('/')
    .map((part) =>
      part
        .split('.')
        .map((atom) => {
          if (atom === 'Ohm-1') return 'Ω⁻¹';
          if (atom.endsWith('Ohm')) return `${atom.slice(0, -3)}Ω`;
          if (atom === 'deg') return '°';
          if (atom === 'cm2') return 'cm²';
          if (atom === 'cm3') return 'cm³';
          if (atom === 'um') return 'µm';
          return atom;
        })
        .join('·'),
    )
    .join('/');
}

/** Split a label into quantity and raw unit ("Q charge/discharge/mA.h" → ["Q charge/discharge", "mA.h"]). */
export function splitLabel(label: string): { quantity: string; unit: string } {
  const trimmed = label.trim();
  // One EC-Lab version writes "<Ewe/V>" for the averaged potential: the unit sits inside the brackets.
  const bracketed = /^<(.+)\/([^/]+)>$/.exec(trimmed);
  if (bracketed && isUnitExpression(bracketed[2]!)) return { quantity: `<${bracketed[1]}>`, unit: bracketed[2]! };
  for (let i = trimmed.indexOf('/'); i > 0; i = trimmed.indexOf('/', i + 1)) {
    const unit = trimmed.slice(i + 1);
    if (isUnitExpression(unit)) return { quantity: trimmed.slice(0, i), unit };
  }
  return { quantity: trimmed, unit: '' };
}

/** Map one EC-Lab column label to its descriptor. */
export function mapColumnLabel(label: string): MptColumnInfo {
  const { quantity, unit } = splitLabel(label);
  const known = KNOWN_QUANTITIES.has(quantity);
  return {
    name: known ? quantity : label.trim(),
    units: normaliseUnit(unit),
    rawUnit: unit,
    dtype: INTEGER_COLUMNS.has(quantity) ? 'int32' : 'float64',
    sourceName: label,
    known,
  };
}

/**
 * Map all labels of a file, keeping names unique: a repeated normalised name (e.g. "control/V"
 * and "control/mA" in one file) falls back to the raw label, and a repeated raw label gets " #2".
 */
export function mapColumnLabels(labels: readonly string[]): MptColumnInfo[] {
  const used = new Set<string>();
  return labels.map((label) => {
    const info = mapColumnLabel(label);
    let name = info.name;
    if (used.has(name)) name = label.trim();
    for (let k = 2; used.has(name); k++) name = `${label.trim()} #${k}`;
    used.add(name);
    return { ...info, name };
  });
}
