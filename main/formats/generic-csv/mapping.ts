/**
 * Column mapping for tables whose vendor the app does not know: the UI's column-mapping dialog
 * proposes `guessMapping`, lets the user correct it, applies it with `applyMapping`, and remembers
 * it per `headerSignature` so the next file with the same header maps itself.
 *
 * Pure TS (no node:), safe to import from the renderer.
 */
import type { Column, ColumnArray, ColumnMapping, DatasetEntry } from '../../api/dataset.js';
import { respellUnit } from './units.js';

/** The mapping type is part of the Dataset model (main/api/dataset.ts). */
export type { ColumnMapping };

export type MappingRole = 'time' | 'voltage' | 'current' | 'cycle' | 'capacity';

/**
 * The normalised name each role gets: the names main/analysis/echem/cycling.ts looks up.
 * Voltage becomes 'Ecell' (a cycler measures the cell voltage, not a working-electrode potential;
 * cycling.ts accepts both). Capacity becomes 'capacity': vendor capacity columns usually restart
 * every step and carry no sign, which is not EC-Lab's (Q-Qo); cycling.ts reads such a step
 * counter by its increments, treating a drop to near zero as the restart of a new step.
 */
export const ROLE_NAMES: Readonly<Record<MappingRole, string>> = {
  time: 'time',
  voltage: 'Ecell',
  current: 'I',
  cycle: 'cycle number',
  capacity: 'capacity',
};

const ROLES: MappingRole[] = ['time', 'voltage', 'current', 'cycle', 'capacity'];

/** FNV-1a, 32 bit, over UTF-16 code units, with a seed (two seeds give a 64-bit signature). */
function fnv1a(text: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * A stable signature of a header: the vendor labels, trimmed, in order. Same labels ⇒ same
 * signature on every machine and run; any added, removed, renamed or reordered label changes it.
 * Format "<count>:<16 hex digits>" (two FNV-1a 32-bit hashes with different offset bases).
 */
export function headerSignature(columns: readonly (Column | string)[]): string {
  const labels = columns.map((c) => (typeof c === 'string' ? c : (c.sourceName ?? c.name)).trim());
  const text = labels.join('\u001f');
  const a = fnv1a(text, 0x811c9dc5);
  const b = fnv1a(text, 0x050c5d1f);
  return `${labels.length}:${a.toString(16).padStart(8, '0')}${b.toString(16).padStart(8, '0')}`;
}

const GUESS: Record<MappingRole, RegExp[]> = {
  // Best first: a test/total time beats a bare "time", which in Neware exports is the step time.
  time: [/^(test|total|run|cumulative|elapsed|program)[ _]?time\b/i, /^time$/i, /^time\b(?!.*step)/i, /^t$/i],
  voltage: [/^(voltage|potential|cell voltage|ecell|ewe|volts)\b/i, /^(u|v|e)$/i],
  current: [/^(current|amps|amperes)\b/i, /^i$/i],
  cycle: [/^(cycle( ?(index|number|count|no\.?|nr\.?))?|cyc#|cycle_index)$/i],
  capacity: [/^(capacity|cap\.?|q)$/i],
};

/** Propose a mapping from column names/labels (the UI shows it for confirmation). */
export function guessMapping(columns: readonly Column[]): ColumnMapping {
  const out: ColumnMapping = {};
  const used = new Set<string>();
  for (const role of ROLES) {
    for (const re of GUESS[role]) {
      const hit = columns.find((c) => {
        const label = c.sourceName ?? c.name;
        return !used.has(label) && (re.test(c.name) || re.test(label));
      });
      if (hit) {
        const label = hit.sourceName ?? hit.name;
        out[role] = label;
        used.add(label);
        break;
      }
    }
  }
  return out;
}

/**
 * Rename and re-unit the mapped columns of a table entry for the analyses. Returns a new entry;
 * `sourceName` keeps the vendor label, so data are still read with readColumns(entry, [label]) or
 * via `mappedColumns`. A column that already had a target name (and is not the mapped one) falls
 * back to its vendor label. Every change is listed in `warnings`.
 */
export function applyMapping(entry: DatasetEntry, mapping: ColumnMapping): DatasetEntry {
  if (entry.kind !== 'table' || !entry.columns) throw new Error(`applyMapping needs a table entry (got kind "${entry.kind}")`);
  const columns = entry.columns.map((c) => ({ ...c }));
  const warnings = [...entry.warnings];
  const find = (ref: string) => {
    const i = columns.findIndex((c) => c.sourceName === ref);
    return i >= 0 ? i : columns.findIndex((c) => c.name === ref);
  };
  const assigned = new Map<number, MappingRole>();
  for (const role of ROLES) {
    const ref = mapping[role];
    if (ref === undefined || ref === '') continue;
    const i = find(ref);
    if (i < 0) throw new Error(`mapping for ${role}: no column "${ref}" (have: ${columns.map((c) => c.sourceName ?? c.name).join(', ')})`);
    if (assigned.has(i)) throw new Error(`column "${ref}" is mapped twice (${assigned.get(i)} and ${role})`);
    assigned.set(i, role);
  }
  const targets = new Set([...assigned.values()].map((r) => ROLE_NAMES[r]));
  columns.forEach((c, i) => {
    if (!assigned.has(i) && targets.has(c.name)) {
      const fallback = c.sourceName && c.sourceName !== c.name ? c.sourceName : `${c.name} (unmapped)`;
      warnings.push(`column "${c.name}" renamed to "${fallback}": its name was mapped to another column`);
      c.name = fallback;
    }
  });
  for (const [i, role] of assigned) {
    const c = columns[i]!;
    const to = ROLE_NAMES[role];
    if (c.name !== to) warnings.push(`mapped ${role}: "${c.sourceName ?? c.name}" → ${to}`);
    c.name = to;
  }
  const units = mapping.units ?? {};
  for (const [key, unit] of Object.entries(units)) {
    let i = -1;
    if ((ROLES as string[]).includes(key)) {
      const ref = mapping[key as MappingRole];
      if (ref !== undefined) i = find(ref);
    } else i = find(key);
    if (i < 0) throw new Error(`mapping units: no column for "${key}"`);
    const c = columns[i]!;
    const u = respellUnit(unit);
    if (c.units !== u) warnings.push(`units of "${c.name}" set to "${u}" (file stated "${c.units}")`);
    c.units = u;
  }
  // Names must stay unique for readColumns and the analyses.
  const seen = new Map<string, number>();
  for (const c of columns) {
    const n = seen.get(c.name) ?? 0;
    seen.set(c.name, n + 1);
    if (n > 0) c.name = `${c.name} (${n + 1})`;
  }
  return { ...entry, columns, warnings };
}

/**
 * Columns keyed by (mapped) name with their units, from data read by name or vendor label — the
 * shape main/analysis/echem/cycling.ts takes.
 */
export function mappedColumns(entry: DatasetEntry, data: Record<string, ColumnArray>): Record<string, { units: string; values: ColumnArray }> {
  const out: Record<string, { units: string; values: ColumnArray }> = {};
  for (const c of entry.columns ?? []) {
    const v = data[c.name] ?? (c.sourceName !== undefined ? data[c.sourceName] : undefined);
    if (v) out[c.name] = { units: c.units, values: v };
  }
  return out;
}
