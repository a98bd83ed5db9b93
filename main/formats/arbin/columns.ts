/**
 * Arbin column labels → normalised column descriptors, shared by the .res, CSV and .xlsx paths.
 *
 * Arbin writes the same quantities under three spellings: the database column names of a .res
 * (MITS Pro 4.x/7.x: "Test_Time", "Charge_Capacity", "dV/dt"), the same names in the CSV exports
 * read by BEEP (no units), and the Excel/CSV exports of MITS Pro ("Test_Time(s)",
 * "Charge_Capacity(Ah)", "Internal Resistance(Ohm)", "dV/dt(V/s)") which append the unit in
 * parentheses. Units follow Arbin's conventions when the label states none (time s, current A,
 * voltage V, capacity A·h, energy W·h, resistance Ω — cellpy's raw_units for Arbin agree) and are
 * otherwise taken from the label; values are never rescaled, only the spelling of the unit is
 * normalised ("Ah" → "A·h", "Ohm" → "Ω").
 *
 * Names: the quantities the cycling analyses look up by name (main/analysis/echem/cycling.ts) get
 * those names — Test_Time → `time`, Voltage → `Ecell` (two-electrode cell voltage), Current → `I`,
 * Cycle_Index → `cycle number`. Arbin's Charge/Discharge_Capacity accumulate over a cycle and reset
 * at each new cycle, which is not EC-Lab's `(Q-Qo)` nor its per-half-cycle `Q charge/discharge`, so
 * they keep their own names. Anything unrecognised keeps its label.
 */
import type { Column, DType } from '../../api/dataset.js';

interface Known {
  name: string;
  units: string;
  dtype: DType;
}

/** Keyed by the label without its unit, lower case, spaces and underscores removed. */
const KNOWN: Record<string, Known> = {
  datapoint: { name: 'index', units: '', dtype: 'uint32' },
  testid: { name: 'test id', units: '', dtype: 'int32' },
  testtime: { name: 'time', units: 's', dtype: 'float64' },
  steptime: { name: 'step time', units: 's', dtype: 'float64' },
  stepindex: { name: 'step index', units: '', dtype: 'int32' },
  cycleindex: { name: 'cycle number', units: '', dtype: 'int32' },
  current: { name: 'I', units: 'A', dtype: 'float64' },
  voltage: { name: 'Ecell', units: 'V', dtype: 'float64' },
  chargecapacity: { name: 'charge capacity', units: 'A·h', dtype: 'float64' },
  dischargecapacity: { name: 'discharge capacity', units: 'A·h', dtype: 'float64' },
  chargeenergy: { name: 'charge energy', units: 'W·h', dtype: 'float64' },
  dischargeenergy: { name: 'discharge energy', units: 'W·h', dtype: 'float64' },
  'dv/dt': { name: 'dV/dt', units: 'V/s', dtype: 'float64' },
  internalresistance: { name: 'internal resistance', units: 'Ω', dtype: 'float64' },
  acimpedance: { name: 'AC impedance', units: 'Ω', dtype: 'float64' },
  aciphaseangle: { name: 'ACI phase angle', units: '°', dtype: 'float64' },
  isfcdata: { name: 'is FC data', units: '', dtype: 'uint8' },
  temperature: { name: 'temperature', units: '°C', dtype: 'float64' },
  // Channel_Statistic_Table (.res)
  vmaxoncycle: { name: 'Vmax on cycle', units: 'V', dtype: 'float64' },
  chargetime: { name: 'charge time', units: 's', dtype: 'float64' },
  dischargetime: { name: 'discharge time', units: 's', dtype: 'float64' },
};

/** Date columns: their units depend on the container (Excel serial days or Unix seconds). */
const DATE_KEYS = new Set(['datetime']);

export function labelKey(base: string): string {
  return base.toLowerCase().replace(/[\s_]+/g, '');
}

/** "Charge_Capacity(Ah)" → { base: "Charge_Capacity", unit: "Ah" }; no parentheses → unit ''. */
export function splitArbinLabel(label: string): { base: string; unit: string } {
  const t = label.trim();
  const m = /^(.*?)\s*\(([^()]*)\)$/.exec(t);
  return m ? { base: m[1]!, unit: m[2]!.trim() } : { base: t, unit: '' };
}

/** Respell a unit; values are never rescaled. */
export function normaliseArbinUnit(u: string): string {
  if (u === '') return '';
  const map: Record<string, string> = {
    Ah: 'A·h',
    mAh: 'mA·h',
    Wh: 'W·h',
    mWh: 'mW·h',
    Ohm: 'Ω',
    ohm: 'Ω',
    mOhm: 'mΩ',
    sec: 's',
    deg: '°',
    C: '°C',
  };
  return map[u] ?? u;
}

export interface ArbinColumn extends Column {
  known: boolean;
  /** Date column (units are set by the caller's container). */
  isDate: boolean;
}

export function mapArbinLabel(label: string): ArbinColumn {
  const { base, unit } = splitArbinLabel(label);
  const key = labelKey(base);
  if (DATE_KEYS.has(key)) return { name: 'date time', units: '', dtype: 'float64', sourceName: label, known: true, isDate: true };
  const k = KNOWN[key];
  if (k) {
    return { name: k.name, units: unit ? normaliseArbinUnit(unit) : k.units, dtype: k.dtype, sourceName: label, known: true, isDate: false };
  }
  return { name: label.trim(), units: normaliseArbinUnit(unit), dtype: 'float64', sourceName: label, known: false, isDate: false };
}

/** Map all labels, keeping names unique (a repeat falls back to the raw label, then " #k"). */
export function mapArbinLabels(labels: readonly string[]): ArbinColumn[] {
  const used = new Set<string>();
  return labels.map((label) => {
    const c = mapArbinLabel(label);
    let name = c.name;
    if (used.has(name)) name = label.trim();
    for (let k = 2; used.has(name); k++) name = `${label.trim()} #${k}`;
    used.add(name);
    return { ...c, name };
  });
}

/** Excel serial days (1900 date system, day 0 = 1899-12-30) → ISO 8601 without zone. */
export function excelDaysToIso(days: number): string | undefined {
  if (!Number.isFinite(days) || days <= 0) return undefined;
  const ms = Math.round((days - 25569) * 86400 * 1000);
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString().slice(0, -1).replace(/\.000$/, '');
}

/** Unix seconds → ISO 8601 UTC. */
export function unixToIso(s: number): string | undefined {
  if (!Number.isFinite(s) || s <= 0) return undefined;
  const d = new Date(Math.round(s * 1000));
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString().replace(/\.000Z$/, 'Z');
}
