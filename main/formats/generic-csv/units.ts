/**
 * Units in column labels: "Voltage (V)", "I/mA", "Capacity [mAh]", "Test Time / s" (the IUPAC
 * quantity/unit notation BDF uses), "Amp-hr". Units are never rescaled here, only respelled to
 * the symbols the analyses know (mAh → mA·h, Ohm → Ω, degC → °C, Sec → s).
 */

const RESPELL: Record<string, string> = {
  ah: 'A·h',
  'a.h': 'A·h',
  'a·h': 'A·h',
  'amp-hr': 'A·h',
  mah: 'mA·h',
  'ma.h': 'mA·h',
  'ma·h': 'mA·h',
  µah: 'µA·h',
  uah: 'µA·h',
  'µa.h': 'µA·h',
  wh: 'W·h',
  'w.h': 'W·h',
  'watt-hr': 'W·h',
  mwh: 'mW·h',
  'mw.h': 'mW·h',
  ohm: 'Ω',
  ohms: 'Ω',
  mohm: 'mΩ',
  mohms: 'mΩ',
  degc: '°C',
  '°c': '°C',
  '℃': '°C',
  sec: 's',
  secs: 's',
  second: 's',
  seconds: 's',
  hr: 'h',
  hrs: 'h',
  hour: 'h',
  hours: 'h',
  minutes: 'min',
  cm2: 'cm²',
  'cm^2': 'cm²',
  ua: 'µA',
  '1': '',
  '-': '',
};

/** Respell a unit as the analyses spell it (case kept for SI prefixes: mA ≠ MA). */
export function respellUnit(unit: string): string {
  const u = unit.trim();
  const r = RESPELL[u.toLowerCase()];
  if (r !== undefined) return r;
  if (u === 'Amps' || u === 'amps') return 'A';
  if (u === 'Volts' || u === 'volts') return 'V';
  return u;
}

const UNIT_RE = /^[A-Za-zµμ°%Ω℃·.^\-\d²³⁻/]{1,16}$/;

function unitLike(u: string): boolean {
  const t = u.trim();
  if (!UNIT_RE.test(t)) return false;
  if (/^\d+$/.test(t)) return t === '1';
  return /[A-Za-zµμ°%Ω℃]/.test(t) || t === '1';
}

export interface SplitLabel {
  quantity: string;
  /** Respelled unit, '' when the label states none. */
  unit: string;
}

/**
 * Split a label into quantity and unit: "Q / unit" (spaces around the slash), "Q (unit)",
 * "Q [unit]", "Q/unit" when what follows the slash looks like a unit. Otherwise no unit.
 */
export function splitLabel(label: string): SplitLabel {
  const l = label.trim();
  let m = /^(.*\S)\s+\/\s+(\S.*)$/.exec(l);
  if (m && unitLike(m[2]!)) return { quantity: m[1]!, unit: respellUnit(m[2]!) };
  m = /^(.*?)\s*\(([^()]*)\)$/.exec(l);
  if (m && m[1] !== '' && unitLike(m[2]!)) return { quantity: m[1]!, unit: respellUnit(m[2]!) };
  m = /^(.*?)\s*\[([^[\]]*)\]$/.exec(l);
  if (m && m[1] !== '' && unitLike(m[2]!)) return { quantity: m[1]!, unit: respellUnit(m[2]!) };
  const slash = l.indexOf('/');
  if (slash > 0 && slash < l.length - 1) {
    const unit = l.slice(slash + 1);
    if (unitLike(unit) && !/\s/.test(unit)) return { quantity: l.slice(0, slash).trim(), unit: respellUnit(unit) };
  }
  return { quantity: l, unit: '' };
}
