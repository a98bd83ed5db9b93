/**
 * Technique parameter table of the "VMP Set" module: the table EC-Lab prints in the .mpt header
 * after "Cycle Definition : …" (one column per sequence Ns). Pure: settings body in, table out.
 *
 * Block layout (established on the 30 settings modules of the shared corpus and 23 more from
 * yadg's test files, see README.md "Technique parameter table"):
 *
 *   o − 5   u8    unexplained (1–11; differs by technique)
 *   o − 4   u32   L = 4 + ns × record + 256 (bytes from o to the end of the block)
 *   o       u16   ns, number of sequences
 *   o + 2   u16   np, number of parameters per sequence
 *   o + 4   ns records of the technique's layout, packed, little-endian, unaligned
 *   …       256 zero bytes, then 154 bytes to the end of the module
 *
 * o is 0x572 in the short (≈1.8 kB) modules of settings version 4–5 and 0x183F + version in the
 * ≈6.6 kB modules of versions 6–8, the version being the byte at 0x467 (4: EC-Lab 10.40–11.10,
 * 5: 11.12–11.18, 6: 11.27–11.33, 7: 11.36–11.46, 8: 11.50–11.62 and BT-Lab 1.79). yadg
 * (dgbowl/yadg @ 61d55fe, extractors/eclab/mpr.py, process_settings; GPL-3.0, read as a behaviour
 * reference only) tries 0x572 and 0x1845–0x1847 and picks the first offset whose np matches one
 * of its layouts; here L, ns, np and the record size must all agree before anything is read, and
 * every count is bounded by the module length.
 *
 * The layout of a record is chosen by technique byte, np and record size (no two layouts of a
 * technique share both). Field names are those EC-Lab prints in the .mpt, keyed as the .mpt
 * reader keys them (a "vs." row takes the name of the row above: "Ei (V) vs."; a repeated name
 * gets " #2"), so `MptHeader.params` compares key by key. The per-technique field lists started
 * from yadg's techniques.py and were checked value by value against every .mpt twin; where the
 * data disagree with yadg, the data won (README.md lists each case).
 *
 * Values: floats as the shortest decimal that is the same float32 (what was typed); NaN is
 * EC-Lab's "pass" (no limit) and is returned as the string "pass", as the .mpt prints it;
 * "(h:m:s)" durations are returned in seconds; enumeration codes become the .mpt's text only where
 * a twin shows the pairing, otherwise they stay numbers (one warning lists them).
 */

export type ParamValue = number | string;

export interface TechniqueParams {
  /** "Cycle Definition" — not located in the binary yet (see README), so never set today. */
  cycleDefinition?: string;
  /** Number of sequences (Ns = 0 … sequences − 1). */
  sequences: number;
  /** Parameter name (as the .mpt prints it) → one value per sequence. */
  params: Record<string, ParamValue[]>;
}

// ---------------------------------------------------------------------------------------------
// Enumerations: stored code → the text the .mpt prints, only for pairs a twin shows. "(Y)" marks
// evidence from yadg's test files (same exports, not in the shared corpus).

type Codes = ReadonlyMap<number, string>;
const codes = (pairs: [number, string][]): Codes => new Map(pairs);

/** Set I/C, Apply I/C: gcpl.issue_149 (0), bcd.issue_241 / mb.issue_95 (1), gcpl.issue_226.CxN (Y) (2). */
const SET_IC = codes([[0, 'I'], [1, 'C / N'], [2, 'C x N']]);
/** Current units: cp.issue_61 (Y) (A), gcpl.issue_149 (mA, µA). */
const I_UNIT = codes([[0, 'A'], [1, 'mA'], [2, 'µA']]);
/** Charge units: gcpl.issue_149 (A.h), ca.mpt (mA.h), coc.issue_185 (nA.h). */
const Q_UNIT = codes([[0, 'A.h'], [1, 'mA.h'], [3, 'nA.h']]);
/** Frequency units: peis.issue_225 (MHz), peis.mpt (kHz, Hz), mb.mpr (Y) (mHz). */
const F_UNIT = codes([[0, 'MHz'], [1, 'kHz'], [2, 'Hz'], [3, 'mHz']]);
/** Potential references ("… vs."): cv.mpt (Eoc, Ref), peis.mpt (Emeas). 1 and 3 never seen. */
const E_VS = codes([[0, 'Eoc'], [2, 'Emeas'], [4, 'Ref']]);
/** "unit Is vs." is a different list: 2 prints "<None>" (gcpl.issue_149, cp.mpt, geis.issue_149). */
const I_VS = codes([[2, '<None>']]);
/** dE/dt unit: cv.mpt (mV/s), cva.issue_202 (V/s). */
const DEDT_UNIT = codes([[1, 'mV/s'], [2, 'V/s']]);
/** I sign: gcpl.issue_226.I (0 "> 0", 1 "< 0"). */
const I_SIGN = codes([[0, '> 0'], [1, '< 0']]);
/** "record" of current-recording techniques (CA, CoV, LSV): ca.mpt (I), lsv.mpt / cov.issue_185 (<I>). */
const RECORD_I = codes([[0, 'I'], [1, '<I>']]);
/** "record" of potential-recording techniques (CP, CoC, OCV): vsp_ocv_wo (Ewe), cp.mpt (<Ewe>). */
const RECORD_E = codes([[0, 'Ewe'], [1, '<Ewe>']]);
/**
 * I Range, by stored byte. yadg's table is keyed by byte + 1 ("MPR quirk: I Range off by one");
 * every pairing below is from a twin and agrees with yadg shifted by one: cv.mpt (14 Auto),
 * cp.mpt (36 1 A), gcpl.issue_149 (40 100 µA), gcpl.issue_226.I (12 100 µA), coc.issue_185
 * (10 10 mA), mb.issue_223 (9 100 mA), cva.issue_202 (39 1 mA), bcd.issue_241 (115 1 mA),
 * geis.mpr (Y) (11 1 mA), mb.mpr (Y) (8 1 A, 13 10 µA), mb.issue_149 (Y) (38 10 mA),
 * cp.issue_61 (Y) (64 10 A). The byte depends on the instrument's range set, so no other byte
 * is guessed from its neighbours.
 */
const I_RANGE = codes([
  [8, '1 A'],
  [9, '100 mA'],
  [10, '10 mA'],
  [11, '1 mA'],
  [12, '100 µA'],
  [13, '10 µA'],
  [14, 'Auto'],
  [36, '1 A'],
  [38, '10 mA'],
  [39, '1 mA'],
  [40, '100 µA'],
  [64, '10 A'],
  [115, '1 mA'],
]);
/** I Range min / max / init: 123 prints "Unset" (ca.mpt, cv.mpt, …); not shifted like I Range. */
const I_RANGE_LIMIT = codes([[123, 'Unset']]);
/** PEIS/GEIS Mode: peis.mpt (Single sine), peis.issue_225 (Multi sine). */
const EIS_MODE = codes([[0, 'Single sine'], [1, 'Multi sine']]);
const POINTS = codes([[1, 'per decade']]); // peis.mpt
const SPACING = codes([[1, 'Logarithmic']]); // peis.mpt
const IA_VA = codes([[0, 'Ia']]); // geis.issue_149
const ZIR_MODE = codes([[0, 'Software']]); // zir.mpt
const DI_DT_UNIT = codes([[1, 'mA/s']]); // gcpl.issue_149
const SET_I_LIMIT = codes([[0, 'Im']]); // bcd.issue_241
// Modulo Bat (mb.issue_95, mb.issue_223; mb.mpr, mb.issue_149, mb.issue_218 (Y)).
const MB_CTRL_TYPE = codes([[0, 'CC'], [4, 'Rest'], [5, 'Loop'], [8, 'PEIS'], [9, 'GEIS']]);
const MB_CURRENT_POTENTIAL = codes([[0, 'current']]);
const MB_CHARGE = codes([[0, 'Charge'], [1, 'Discharge']]);
const MB_TRIGGER = codes([[0, 'Falling Edge']]);
const MB_TO_UNIT = codes([[0, 'd']]);
const MB_LIM_TYPE = codes([[0, 'Time'], [1, 'Ewe'], [5, '|Q|']]);
const MB_LIM_COMP = codes([[0, '>'], [1, '<']]);
const MB_LIM_Q = codes([[0, 'Q limit']]);
const MB_LIM_ACTION = codes([[0, 'Next sequence']]);
const MB_REC_TYPE = codes([[0, 'Time']]);
const MB_TIME_UNIT = codes([[1, 'h'], [2, 'mn'], [3, 's']]);
const MB_E_UNIT = codes([[0, 'V']]);
/** PEIS amplitude in an MB sequence: 1 prints "mV" (mb.issue_223). */
const MB_EAMP_UNIT = codes([[1, 'mV']]);

/**
 * A code whose meaning depends on another field of the same sequence (Modulo Bat units: the
 * ctrl1 value is a current for CC/GEIS, a potential amplitude for PEIS; a limit's unit follows its
 * type). Without a table for the context's code the value stays a number, silently: EC-Lab
 * prints such cells blank (Rest sequences).
 */
interface ContextCodes {
  on: string;
  by: ReadonlyMap<number, Codes>;
}
const isContext = (c: Codes | ContextCodes): c is ContextCodes => 'on' in c;
const MB_CTRL1_UNIT: ContextCodes = { on: 'ctrl_type', by: new Map([[0, I_UNIT], [9, I_UNIT], [8, MB_EAMP_UNIT]]) };
const MB_CTRL_FREQ_UNIT: ContextCodes = { on: 'ctrl_type', by: new Map([[8, F_UNIT], [9, F_UNIT]]) };
const MB_CTRL_VS: ContextCodes = { on: 'ctrl_type', by: new Map([[0, I_VS]]) };
const mbLimUnit = (k: number): ContextCodes => ({ on: `lim${k}_type`, by: new Map([[0, MB_TIME_UNIT], [1, MB_E_UNIT], [5, Q_UNIT]]) });
const mbRecUnit = (k: number): ContextCodes => ({ on: `rec${k}_type`, by: new Map([[0, MB_TIME_UNIT]]) });

// ---------------------------------------------------------------------------------------------
// Layouts

type Width = 'u1' | 'u2' | 'u4' | 'f4';
const WIDTH: Readonly<Record<Width, number>> = { u1: 1, u2: 2, u4: 4, f4: 4 };

interface Field {
  name: string;
  type: Width;
  codes?: Codes | ContextCodes;
  /** WAIT's start date: float32 OLE day number → "mm/dd/yy" as the .mpt prints it. */
  oleDate?: boolean;
  /** WAIT's start time: float32 fraction of a day → seconds. */
  dayFraction?: boolean;
  /** Only reported when the named count field is ≥ `index` in some sequence (EC-Lab prints no more). */
  group?: { count: string; index: number };
  /** Not reported when 0 in every sequence (PEIS/GEIS lim_nb: the .mpt never prints it). */
  hideIfZero?: boolean;
  /** Names not printed by EC-Lab in any twin (yadg's), reported with a warning when present. */
  unverifiedName?: boolean;
}

interface Layout {
  /** Short technique name, for warnings and the README. */
  technique: string;
  /** What the layout was checked against. */
  evidence: string;
  /** False when no .mpt twin with a parameter table exists for this layout (a warning says so). */
  twin: boolean;
  fields: readonly Field[];
  bytes: number;
}

type Spec = [string, Width, (Codes | ContextCodes)?] | Field;

function layout(technique: string, evidence: string, twin: boolean, spec: readonly Spec[]): Layout {
  const fields = spec.map((s): Field => (Array.isArray(s) ? { name: s[0], type: s[1], ...(s[2] ? { codes: s[2] } : {}) } : s));
  const names = new Set<string>();
  for (const f of fields) {
    if (names.has(f.name)) throw new Error(`internal: ${technique} layout names "${f.name}" twice`);
    names.add(f.name);
  }
  return { technique, evidence, twin, fields, bytes: fields.reduce((n, f) => n + WIDTH[f.type], 0) };
}

/**
 * The same fields with some widened. From settings version 8 (EC-Lab 11.50) on, the "vs." codes,
 * "I sign" and "Reverse Scan" take 4 bytes instead of 1; the twins on both sides of 11.50 (CA, CP,
 * CV, GEIS, LSV, PEIS) confirm it value by value. BT-Lab's BCD (version 8) keeps 1-byte codes.
 */
function widen(l: Layout, evidence: string, twin: boolean, to4: readonly string[]): Layout {
  for (const n of to4) if (!l.fields.some((f) => f.name === n)) throw new Error(`internal: ${l.technique} has no field "${n}"`);
  return layout(l.technique, evidence, twin, l.fields.map((f) => (to4.includes(f.name) ? { ...f, type: 'u4' as const } : f)));
}

const REST_PARAMS: Spec[] = [
  ['tR (h:m:s)', 'f4'],
  ['dER/dt (mV/h)', 'f4'],
  ['dER (mV)', 'f4'],
  ['dtR (s)', 'f4'],
];
const E_RANGE: Spec[] = [
  ['E range min (V)', 'f4'],
  ['E range max (V)', 'f4'],
];
const I_RANGES: Spec[] = [
  ['I Range', 'u1', I_RANGE],
  ['I Range min', 'u1', I_RANGE_LIMIT],
  ['I Range max', 'u1', I_RANGE_LIMIT],
  ['I Range init', 'u1', I_RANGE_LIMIT],
];

/** PEIS/GEIS limits: 6 × (type, comparison, value, unit) after lim_nb. Never set in a twin. */
function eisLimits(): Spec[] {
  const out: Spec[] = [{ name: 'lim_nb', type: 'u1', hideIfZero: true, unverifiedName: true }];
  for (let k = 1; k <= 6; k++) {
    const g = { count: 'lim_nb', index: k };
    out.push(
      { name: `limit_type${k}`, type: 'u1', group: g, unverifiedName: true },
      { name: `limit_comp${k}`, type: 'u1', group: g, unverifiedName: true },
      { name: `limit_value${k}`, type: 'f4', group: g, unverifiedName: true },
      { name: `limit_unit${k}`, type: 'u1', group: g, unverifiedName: true },
    );
  }
  return out;
}

// CA — ca.mpt (v6), ca.issue_149 (Y) (v8).
const CA_OLD = layout('CA', 'ca.mpr (settings v6, EC-Lab 11.27); ca.issue_134 (Y) v4 has the same size', true, [
  ['Ei (V)', 'f4'],
  ['Ei (V) vs.', 'u1', E_VS],
  ['ti (h:m:s)', 'f4'],
  ['Imax', 'f4'],
  ['unit Imax', 'u1', I_UNIT],
  ['Imin', 'f4'],
  ['unit Imin', 'u1', I_UNIT],
  ['dQM', 'f4'],
  ['unit dQM', 'u1', Q_UNIT],
  ['record', 'u1', RECORD_I],
  ['dI', 'f4'],
  ['unit dI', 'u1', I_UNIT],
  ['dQ', 'f4'],
  ['unit dQ', 'u1', Q_UNIT],
  ['dt (s)', 'f4'],
  ['dta (s)', 'f4'],
  ...E_RANGE,
  ...I_RANGES,
  ['Bandwidth', 'u1'],
  ["goto Ns'", 'u4'],
  ['nc cycles', 'u4'],
]);
const CA_1150 = widen(CA_OLD, 'ca.issue_149 (Y) (settings v8, EC-Lab 11.50)', true, ['Ei (V) vs.']);

// CP — cp.mpt (v6), cp.issue_61 (Y) (v7, 12 sequences), cp.issue_149 (Y) (v8).
/** The chronopotentiometry step; CoC repeats it after a rest. */
const CP_FIELDS: Spec[] = [
  ['Is', 'f4'],
  ['unit Is', 'u1', I_UNIT],
  ['unit Is vs.', 'u1', I_VS],
  ['ts (h:m:s)', 'f4'],
  ['EM (V)', 'f4'],
  ['dQM', 'f4'],
  ['unit dQM', 'u1', Q_UNIT],
  ['record', 'u1', RECORD_E],
  ['dEs (mV)', 'f4'],
  ['dts (s)', 'f4'],
  ...E_RANGE,
  ['I Range', 'u1', I_RANGE],
  ['Bandwidth', 'u1'],
  ["goto Ns'", 'u4'],
  ['nc cycles', 'u4'],
];
const CP_OLD = layout('CP', 'cp.mpr (settings v6); cp.issue_61 (Y) (v7, 12 sequences)', true, CP_FIELDS);
const CP_1150 = widen(CP_OLD, 'cp.issue_149 (Y) (settings v8)', true, ['unit Is vs.']);

// CV — cv.mpt (v5, block at 0x572), cv.issue_149 / cv.issue_217 (Y) (v8).
const CV_OLD = layout('CV', 'cv.mpr (settings v5, EC-Lab 11.12, block at 0x572)', true, [
  ['Ei (V)', 'f4'],
  ['Ei (V) vs.', 'u1', E_VS],
  ['dE/dt', 'f4'],
  ['dE/dt unit', 'u1', DEDT_UNIT],
  ['E1 (V)', 'f4'],
  ['E1 (V) vs.', 'u1', E_VS],
  ['Step percent', 'u1'],
  ['N', 'u4'],
  ...E_RANGE,
  ...I_RANGES,
  ['Bandwidth', 'u1'],
  ['E2 (V)', 'f4'],
  ['E2 (V) vs.', 'u1', E_VS],
  ['nc cycles', 'u4'],
  ['Reverse Scan', 'u1'],
  ['Ef (V)', 'f4'],
  ['Ef (V) vs.', 'u1', E_VS],
]);
const CV_1150 = widen(CV_OLD, 'cv.issue_149, cv.issue_217 (Y) (settings v8)', true, ['Ei (V) vs.', 'E1 (V) vs.', 'E2 (V) vs.', 'Reverse Scan', 'Ef (V) vs.']);

// CVA — cva.issue_202 (v8); the old layout only from yadg (cva.issue_135 (Y) v4 has no usable twin).
const CVA_OLD = layout('CVA', 'yadg only (cva.issue_135 (Y), settings v4: its .mpt is not in the fetched snapshot)', false, [
  ['Ei (V)', 'f4'],
  ['Ei (V) vs.', 'u1', E_VS],
  ['ti (h:m:s)', 'f4'],
  ['dti (s)', 'f4'],
  ['dE/dt', 'f4'],
  ['dE/dt unit', 'u1', DEDT_UNIT],
  ['E1 (V)', 'f4'],
  ['E1 (V) vs.', 'u1', E_VS],
  ['t1 (h:m:s)', 'f4'],
  ['dt1 (s)', 'f4'],
  ['Step percent', 'u1'],
  ['N', 'u4'],
  ...E_RANGE,
  ...I_RANGES,
  ['Bandwidth', 'u1'],
  ['E2 (V)', 'f4'],
  ['E2 (V) vs.', 'u1', E_VS],
  ['t2 (h:m:s)', 'f4'],
  ['dt2 (s)', 'f4'],
  ['nc cycles', 'u4'],
  ['nr', 'u4'],
  ['Reverse Scan', 'u1'],
  ['Ef (V)', 'f4'],
  ['Ef (V) vs.', 'u1', E_VS],
  ['tf (h:m:s)', 'f4'],
  ['dtf (s)', 'f4'],
]);
const CVA_1150 = widen(CVA_OLD, 'cva.issue_202 (settings v8, EC-Lab 11.52)', true, ['Ei (V) vs.', 'E1 (V) vs.', 'E2 (V) vs.', 'Reverse Scan', 'Ef (V) vs.']);

// GCPL — gcpl.issue_149 / gcpl.issue_226.I (v8) and 5 more (Y). Versions 5–7 have no twin with a table.
const GCPL_HEAD: Spec[] = [
  ['Set I/C', 'u1', SET_IC],
  ['Is', 'f4'],
  ['unit Is', 'u1', I_UNIT],
  ['unit Is vs.', 'u1', I_VS],
  ['N', 'f4'],
  ['I sign', 'u1', I_SIGN],
  ['t1 (h:m:s)', 'f4'],
  ['I Range', 'u1', I_RANGE],
  ['Bandwidth', 'u1'],
  ['dE1 (mV)', 'f4'],
  ['dt1 (s)', 'f4'],
  ['EM (V)', 'f4'],
  ['tM (h:m:s)', 'f4'],
  ['Im', 'f4'],
  ['unit Im', 'u1', I_UNIT],
  ['dI/dt', 'f4'],
  ['dunit dI/dt', 'u1', DI_DT_UNIT],
  ...E_RANGE,
  ['dq', 'f4'],
  ['unit dq', 'u1', Q_UNIT],
  ['dtq (s)', 'f4'],
  ['dQM', 'f4'],
  ['unit dQM', 'u1', Q_UNIT],
  ['dxM', 'f4'],
];
const GCPL_TAIL: Spec[] = [...REST_PARAMS, ['EL (V)', 'f4'], ["goto Ns'", 'u4'], ['nc cycles', 'u4']];
const GCPL_32 = layout('GCPL', 'yadg only: no twin with a parameter table (jdb11-1_…_C09.mpr v6, gcpl.mpr (Y) v5)', false, [...GCPL_HEAD, ...GCPL_TAIL]);
const GCPL_33 = layout('GCPL', 'no twin with a parameter table (gcpl.pr_182.1 v7: its .mpt has no header); the v8 layout with 1-byte codes', false, [
  ...GCPL_HEAD,
  ['delta SoC (%)', 'f4'],
  ...GCPL_TAIL,
]);
const GCPL_1150 = widen(GCPL_33, 'gcpl.issue_149, gcpl.issue_226.I; gcpl.issue_211, gcpl.issue_226.CxN (Y) (settings v8)', true, ['unit Is vs.', 'I sign']);

/** Frequency sweep of PEIS/GEIS: first and last frequency, points per decade or in all, spacing. */
const EIS_SWEEP: Spec[] = [
  ['fi', 'f4'],
  ['unit fi', 'u1', F_UNIT],
  ['ff', 'f4'],
  ['unit ff', 'u1', F_UNIT],
  ['Nd', 'u4'],
  ['Points', 'u1', POINTS],
  ['spacing', 'u1', SPACING],
];
/** What follows the excitation in PEIS/GEIS: averaging, drift correction, limits, ranges, loops. */
const EIS_TAIL: Spec[] = [
  ['pw', 'f4'],
  ['Na', 'u4'],
  ['corr', 'u1'],
  ...eisLimits(),
  ...E_RANGE,
  ['I Range', 'u1', I_RANGE],
  ['Bandwidth', 'u1'],
  ['nc cycles', 'u4'],
  ["goto Ns'", 'u4'],
  ['nr cycles', 'u4'],
  ['inc. cycle', 'u1'],
];

// EIS.
const PEIS_OLD = layout('PEIS', 'peis.mpr (settings v6; vsp_peis_with (Y), v7, has the same size)', true, [
  ['Mode', 'u1', EIS_MODE],
  ['E (V)', 'f4'],
  ['E (V) vs.', 'u1', E_VS],
  ['tE (h:m:s)', 'f4'],
  ['record', 'u1'],
  ['dI', 'f4'],
  ['unit dI', 'u1', I_UNIT],
  ['dt (s)', 'f4'],
  ...EIS_SWEEP,
  ['Va (mV)', 'f4'],
  ...EIS_TAIL,
]);
const PEIS_1150 = widen(PEIS_OLD, 'peis.issue_149, peis.issue_225.* (settings v8)', true, ['E (V) vs.']);
const GEIS_OLD = layout('GEIS', 'geis.mpr (Y) (settings v6)', true, [
  ['Mode', 'u1', EIS_MODE],
  ['Is', 'f4'],
  ['unit Is', 'u1', I_UNIT],
  ['unit Is vs.', 'u1', I_VS],
  ['tIs (h:m:s)', 'f4'],
  ['record', 'u1'],
  ['dE (mV)', 'f4'],
  ['dt (s)', 'f4'],
  ...EIS_SWEEP,
  ['Ia/Va', 'u1', IA_VA],
  ['Ia', 'f4'],
  ['unit  Ia', 'u1', I_UNIT],
  ['va pourcent', 'f4'],
  ...EIS_TAIL,
]);
const GEIS_1150 = widen(GEIS_OLD, 'geis.issue_149 (settings v8)', true, ['unit Is vs.']);
const ZIR = layout('ZIR', 'zir.mpr (settings v5, block at 0x572)', true, [
  ['E (V)', 'f4'],
  ['E (V) vs.', 'u1', E_VS],
  ['f', 'f4'],
  ['unit f', 'u1', F_UNIT],
  ['Va (mV)', 'f4'],
  ['pw', 'f4'],
  ['Na', 'u4'],
  ...E_RANGE,
  ['I Range', 'u1', I_RANGE],
  ['Bandwidth', 'u1'],
  ['comp. level (%)', 'u1'],
  ['use results', 'u1'],
  ['comp. mode', 'u1', ZIR_MODE],
]);

// LSV — lsv.mpt (v6), lsv.issue_195 (Y) (v8).
const LSV_OLD = layout('LSV', 'lsv.mpr (settings v6)', true, [
  ...REST_PARAMS,
  ['dE/dt', 'f4'],
  ['dE/dt unit', 'u1', DEDT_UNIT],
  ['Ei (V)', 'f4'],
  ['Ei (V) vs.', 'u1', E_VS],
  ['EL (V)', 'f4'],
  ['EL (V) vs.', 'u1', E_VS],
  ['record', 'u1', RECORD_I],
  ['dI', 'f4'],
  ['unit dI', 'u1', I_UNIT],
  ['tI (s)', 'f4'],
  ['step percent', 'u1'],
  ['N', 'u4'],
  ...E_RANGE,
  ...I_RANGES,
  ['Bandwidth', 'u1'],
]);
const LSV_1150 = widen(LSV_OLD, 'lsv.issue_195 (Y) (settings v8)', true, ['Ei (V) vs.', 'EL (V) vs.']);

// OCV: 7 fields with "record" (vsp_ocv_wo v7, ocv.issue_149 (Y) v8), 6 without (ocv.mpr v6).
const OCV_7 = layout('OCV', 'vsp_ocv_wo (settings v7); ocv.issue_149 (Y) (v8)', true, [
  ['tR (h:m:s)', 'f4'],
  ['dER/dt (mV/h)', 'f4'],
  ['record', 'u1', RECORD_E],
  ['dER (mV)', 'f4'],
  ['dtR (s)', 'f4'],
  ...E_RANGE,
]);
const OCV_6 = layout('OCV', 'ocv.mpr (settings v6, EC-Lab 11.30)', true, [...REST_PARAMS, ...E_RANGE]);

// WAIT — wait.mpt (v6). "td (h:m:s)" is a float32 (0x44E24000 = 1810 s = 0:30:10); yadg reads u4.
const WAIT = layout('WAIT', 'wait.mpr (settings v6)', true, [
  ['select', 'u1'],
  ['td (h:m:s)', 'f4'],
  ['from', 'u1'],
  ['tech. num.', 'u1'],
  { name: 'date (m/d/y)', type: 'f4', oleDate: true },
  { name: 'date (h:m:s)', type: 'f4', dayFraction: true },
  ['record', 'u1'],
  ['dE (mV)', 'f4'],
  ['dI', 'f4'],
  ['unit dI', 'u1', I_UNIT],
  ['dt (s)', 'f4'],
]);

// Constant Voltage / Constant Current (BT-Lab style techniques in EC-Lab 11.50).
const COV = layout('CoV', 'cov.issue_185 (settings v8)', true, [
  ...REST_PARAMS,
  ['Ei (V)', 'f4'],
  ['Ei (V) vs.', 'u4', E_VS],
  ['ti (h:m:s)', 'f4'],
  ['Imax', 'f4'],
  ['unit Imax', 'u1', I_UNIT],
  ['Imin', 'f4'],
  ['unit Imin', 'u1', I_UNIT],
  ['dQM', 'f4'],
  ['unit dQM', 'u1', Q_UNIT],
  ['record', 'u1', RECORD_I],
  ['dI', 'f4'],
  ['unit dI', 'u1', I_UNIT],
  ['dQ', 'f4'],
  ['unit dQ', 'u1', Q_UNIT],
  ['dt (s)', 'f4'],
  ['dta (s)', 'f4'],
  ...E_RANGE,
  ...I_RANGES,
  ['Bandwidth', 'u1'],
  ["goto Ns'", 'u4'],
  ['nc cycles', 'u4'],
]);
// CoC: a rest, then the CP step with the ≥ 11.50 4-byte "vs." code.
const COC = widen(layout('CoC', 'coc.issue_185 (settings v8)', true, [...REST_PARAMS, ...CP_FIELDS]), 'coc.issue_185 (settings v8)', true, ['unit Is vs.']);

// BCD — bcd.issue_241 (BT-Lab 1.79, settings v8 but 1-byte "vs." codes). The .mpt prints
// "Set I/C" twice; the .mpt reader keys the second "Set I/C #2" (yadg: "Set I/C 1", "Set I/C 2").
const BCD = layout('BCD', 'bcd.issue_241 (settings v8, BT-Lab 1.79)', true, [
  ['Set I/C', 'u1', SET_IC],
  ['Is1', 'f4'],
  ['unit Is1', 'u1', I_UNIT],
  ['N1', 'f4'],
  ['I1 sign', 'u1', I_SIGN],
  ['t1 (h:m:s)', 'f4'],
  ['EM1 (V)', 'f4'],
  ['EM1 vs.', 'u1', E_VS],
  ['EM2 (V)', 'f4'],
  ['EM2 vs.', 'u1', E_VS],
  ['dE1 (mV)', 'f4'],
  ['dt1 (s)', 'f4'],
  ['Hold NONE/EM1/EM2', 'u1'],
  ['tM (h:m:s)', 'f4'],
  ['Set I limit', 'u1', SET_I_LIMIT],
  ['Im', 'f4'],
  ['unit Im', 'u1', I_UNIT],
  ['Nl', 'f4'],
  ['I Range', 'u1', I_RANGE],
  ['Bandwidth', 'u1'],
  ...E_RANGE,
  ...REST_PARAMS,
  ['Charge/Discharge', 'u1'],
  ['Set I/C #2', 'u1', SET_IC],
  ['Is2', 'f4'],
  ['unit Is2', 'u1', I_UNIT],
  ['N2', 'f4'],
  ['I2 sign', 'u1', I_SIGN],
  ['t2 (h:m:s)', 'f4'],
  ['Return Ei', 'u1'],
  ['use C', 'u1'],
]);

// Modulo Bat. Limits and records: EC-Lab prints lim1…limN / rec1…recN for N the largest lim_nb /
// rec_nb of the table (mb.issue_223: lim_nb 0 or 1 → only lim1 rows).
function mbLimits(k: number, qprev: 'u2' | false): Spec[] {
  const g = { count: 'lim_nb', index: k };
  const out: Spec[] = [
    { name: `lim${k}_type`, type: 'u1', codes: MB_LIM_TYPE, group: g },
    { name: `lim${k}_comp`, type: 'u1', codes: MB_LIM_COMP, group: g },
  ];
  if (qprev) out.push({ name: `lim${k}_Qprev_pct`, type: qprev, group: g });
  out.push(
    { name: `lim${k}_Q`, type: 'u1', codes: MB_LIM_Q, group: g },
    { name: `lim${k}_value`, type: 'f4', group: g },
    { name: `lim${k}_value_unit`, type: 'u1', codes: mbLimUnit(k), group: g },
    { name: `lim${k}_action`, type: 'u1', codes: MB_LIM_ACTION, group: g },
    { name: `lim${k}_seq`, type: 'u4', group: g },
  );
  return out;
}
function mbRecords(k: number): Spec[] {
  const g = { count: 'rec_nb', index: k };
  return [
    { name: `rec${k}_type`, type: 'u1', codes: MB_REC_TYPE, group: g },
    { name: `rec${k}_value`, type: 'f4', group: g },
    { name: `rec${k}_value_unit`, type: 'u1', codes: mbRecUnit(k), group: g },
  ];
}
interface MbWidths {
  head: 'u1' | 'u2';
  vs: 'u1' | 'u4';
  currentPotential: boolean;
  second: boolean;
  ctrl5: boolean;
  qprev: 'u2' | false;
  wide: boolean;
}
function mb(evidence: string, twin: boolean, w: MbWidths): Layout {
  const spec: Spec[] = [
    ['ctrl_type', w.head, MB_CTRL_TYPE],
    ['Apply I/C', w.head, SET_IC],
  ];
  if (w.currentPotential) spec.push(['current/potential', w.head, MB_CURRENT_POTENTIAL]);
  spec.push(
    ['ctrl1_val', 'f4'],
    ['ctrl1_val_unit', 'u1', MB_CTRL1_UNIT],
    ['ctrl1_val_vs', w.vs, MB_CTRL_VS],
    ['ctrl2_val', 'f4'],
    ['ctrl2_val_unit', 'u1', MB_CTRL_FREQ_UNIT],
    ['ctrl2_val_vs', w.vs],
    ['ctrl3_val', 'f4'],
    ['ctrl3_val_unit', 'u1', MB_CTRL_FREQ_UNIT],
    ['ctrl3_val_vs', w.vs],
    ['N', 'f4'],
    ['charge/discharge', 'u1', MB_CHARGE],
  );
  if (w.second) {
    spec.push(
      ['charge/discharge_1', w.wide ? 'u2' : 'u1', MB_CHARGE],
      ['Apply I/C_1', w.wide ? 'u4' : 'u1', SET_IC],
      ['N1', 'f4'],
      ['ctrl4_val', 'f4'],
      ['ctrl4_val_unit', w.wide ? 'u2' : 'u1'],
    );
  }
  if (w.ctrl5) spec.push(['ctrl5_val', 'f4'], ['ctrl5_val_unit', 'u2'], ['ctrl_tM', 'u4']);
  spec.push(
    ['ctrl_seq', 'u4'],
    ['ctrl_repeat', w.wide ? 'u1' : 'u4'],
    ['ctrl_trigger', w.wide ? 'u4' : 'u1', MB_TRIGGER],
    ['ctrl_TO_t', 'f4'],
    ['ctrl_TO_t_unit', 'u1', MB_TO_UNIT],
    ['ctrl_Nd', 'u4'],
    ['ctrl_Na', w.wide ? 'u1' : 'u4'],
    ['ctrl_corr', w.wide ? 'u4' : 'u1'],
    ['lim_nb', w.wide ? 'u4' : 'u1'],
    ...mbLimits(1, w.qprev),
    ...mbLimits(2, w.qprev),
    ...mbLimits(3, w.qprev),
    ['rec_nb', 'u1'],
    ...mbRecords(1),
    ...mbRecords(2),
    ...mbRecords(3),
    ...E_RANGE,
    ...I_RANGES,
    ['auto rest', w.wide ? 'u4' : 'u1'],
    ['Bandwidth', 'u1'],
  );
  return layout('MB', evidence, twin, spec);
}
const MB_61 = mb('yadg only (biol.mpr, settings v4, has no twin)', false, { head: 'u1', vs: 'u1', currentPotential: false, second: false, ctrl5: false, qprev: false, wide: false });
const MB_66 = mb('mb.mpr (Y) (settings v7)', true, { head: 'u1', vs: 'u1', currentPotential: false, second: true, ctrl5: false, qprev: false, wide: false });
const MB_67 = mb('mb.issue_95 (settings v7, EC-Lab 11.43)', true, { head: 'u1', vs: 'u1', currentPotential: true, second: true, ctrl5: false, qprev: false, wide: false });
const MB_70 = mb('mb.issue_149, mb.issue_218 (Y) (settings v8, EC-Lab 11.50)', true, { head: 'u2', vs: 'u4', currentPotential: true, second: true, ctrl5: true, qprev: false, wide: true });
const MB_73 = mb('mb.issue_223 (settings v8, EC-Lab 11.61)', true, { head: 'u2', vs: 'u4', currentPotential: true, second: true, ctrl5: true, qprev: 'u2', wide: true });

/** Technique byte → its layouts (techniques.ts names the bytes). */
export const PARAM_LAYOUTS: ReadonlyMap<number, readonly Layout[]> = new Map<number, readonly Layout[]>([
  [0x04, [GCPL_32, GCPL_33, GCPL_1150]],
  [0x06, [CV_OLD, CV_1150]],
  [0x0b, [OCV_6, OCV_7]],
  [0x18, [CA_OLD, CA_1150]],
  [0x19, [CP_OLD, CP_1150]],
  [0x1c, [WAIT]],
  [0x1d, [PEIS_OLD, PEIS_1150]],
  [0x1e, [GEIS_OLD, GEIS_1150]],
  [0x30, [CV_OLD, CV_1150]], // yadg maps 0x30 to CV; no corpus file
  [0x32, [ZIR]],
  [0x33, [CVA_OLD, CVA_1150]],
  [0x6c, [LSV_OLD, LSV_1150]],
  [0x75, [COV]],
  [0x76, [COC]],
  [0x77, [GCPL_32, GCPL_33, GCPL_1150]], // gcpl.pr_182.2 (Y): GCPL2, same 33-field layout
  [0x7f, [MB_61, MB_66, MB_67, MB_70, MB_73]],
  [0x88, [BCD]],
]);

// ---------------------------------------------------------------------------------------------
// Locating the block

/** Offset of the settings "version" byte (4–8 in the corpora; see the file comment). */
export const SETTINGS_VERSION_AT = 0x467;
/** Ns offsets seen: 0x572 (versions 4–5), 0x1845/0x1846/0x1847 (versions 6/7/8). */
export const PARAM_BLOCK_OFFSETS = [0x572, 0x1845, 0x1846, 0x1847] as const;
/** Zero bytes after the records that L counts. */
export const PARAM_RESERVED_BYTES = 256;
/** Upper bound on parameters per sequence (the largest layout has 73). */
const MAX_PARAMS = 512;
/** The fallback scan looks no further into a settings body than this. */
const SCAN_LIMIT = 64 * 1024;

interface Block {
  /** Offset of ns in the body. */
  at: number;
  sequences: number;
  paramCount: number;
  recordBytes: number;
}

/** The block whose ns is at `at`, if L, ns, np and the module length agree. */
function blockAt(body: Uint8Array, dv: DataView, at: number): Block | undefined {
  if (at < 5 || at + 4 > body.length) return undefined;
  const total = dv.getUint32(at - 4, true);
  const sequences = dv.getUint16(at, true);
  const paramCount = dv.getUint16(at + 2, true);
  if (sequences === 0 || paramCount === 0 || paramCount > MAX_PARAMS) return undefined;
  // L must fit in the module before it sizes anything.
  if (total > body.length - at || total < 4 + PARAM_RESERVED_BYTES + sequences) return undefined;
  const recordsBytes = total - 4 - PARAM_RESERVED_BYTES;
  if (recordsBytes % sequences !== 0) return undefined;
  const recordBytes = recordsBytes / sequences;
  // Each parameter takes 1–4 bytes.
  if (recordBytes < paramCount || recordBytes > 4 * paramCount) return undefined;
  return { at, sequences, paramCount, recordBytes };
}

function findBlock(body: Uint8Array, dv: DataView): { block: Block; scanned: boolean } | undefined {
  const tried = new Set<number>();
  const version = body.length > SETTINGS_VERSION_AT ? body[SETTINGS_VERSION_AT]! : -1;
  const first = version >= 6 && version <= 8 ? 0x183f + version : version === 4 || version === 5 ? 0x572 : undefined;
  for (const at of first === undefined ? PARAM_BLOCK_OFFSETS : [first, ...PARAM_BLOCK_OFFSETS]) {
    if (tried.has(at)) continue;
    tried.add(at);
    const b = blockAt(body, dv, at);
    if (b) return { block: b, scanned: false };
  }
  // Another EC-Lab version may move the block: accept a self-consistent one ending where the
  // known blocks end (154 bytes before the end of the module) anywhere after the cell block.
  // Real modules are < 9 kB; the scan stops at 64 KiB whatever the module claims.
  const end = body.length - 154;
  for (let at = 0x262; at + 4 <= end && at < SCAN_LIMIT; at++) {
    if (dv.getUint32(at - 4, true) !== end - at || tried.has(at)) continue;
    const b = blockAt(body, dv, at);
    if (b) return { block: b, scanned: true };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** The shortest decimal that is the same float32 (as parse-mpr's float32Decimal; kept here to avoid an import cycle). */
function shortestFloat32(v: number): number {
  if (!Number.isFinite(v) || v === 0) return v;
  for (let p = 1; p <= 9; p++) {
    const d = Number(v.toPrecision(p));
    if (Math.fround(d) === v) return d;
  }
  return v;
}

/** OLE day number → "mm/dd/yy" (wait.mpt "03/07/09" for 39879); the number itself when out of range. */
function oleDateText(days: number): string | number {
  if (!(days >= 0 && days < 2_958_466)) return days; // 1899-12-30 … 9999-12-31
  const d = new Date(Date.UTC(1899, 11, 30) + Math.floor(days) * 86_400_000);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCMonth() + 1)}/${two(d.getUTCDate())}/${two(d.getUTCFullYear() % 100)}`;
}

function read(dv: DataView, p: number, type: Width): number {
  switch (type) {
    case 'u1':
      return dv.getUint8(p);
    case 'u2':
      return dv.getUint16(p, true);
    case 'u4':
      return dv.getUint32(p, true);
    case 'f4':
      return dv.getFloat32(p, true);
  }
}

const hex = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;

/**
 * Parse the technique parameter table of a settings module body (`bodyOffset`: its file offset,
 * for messages; `techniqueId`: body[0]). Returns undefined, with a warning, when no table is
 * found, the technique or layout is unknown, or the values fail the sanity checks; never throws
 * on file content.
 */
export function parseTechniqueParams(body: Uint8Array, bodyOffset: number, techniqueId: number, warnings: string[]): TechniqueParams | undefined {
  const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const where = `settings module @ byte ${bodyOffset}`;
  const layouts = PARAM_LAYOUTS.get(techniqueId);
  const found = findBlock(body, dv);
  if (!found) {
    warnings.push(`technique ${hex(techniqueId)}: no technique parameter table found in the ${where} (${body.length} bytes)`);
    return undefined;
  }
  const { block, scanned } = found;
  const blockAtFile = bodyOffset + block.at;
  const shape = `${block.sequences} sequence(s) × ${block.paramCount} parameters of ${block.recordBytes} bytes @ byte ${blockAtFile}`;
  if (!layouts) {
    warnings.push(`technique ${hex(techniqueId)} has no known parameter layout: its table (${shape}, ${where}) is not decoded`);
    return undefined;
  }
  const lay = layouts.find((l) => l.fields.length === block.paramCount && l.bytes === block.recordBytes);
  if (!lay) {
    const known = layouts.map((l) => `${l.fields.length}/${l.bytes} B`).join(', ');
    warnings.push(`${layouts[0]!.technique} (technique ${hex(techniqueId)}) parameter table (${shape}, ${where}) matches none of the known layouts (${known}): not decoded`);
    return undefined;
  }
  if (scanned) warnings.push(`${lay.technique} parameter table found at an unusual offset (Ns @ byte ${blockAtFile}, not at 0x572 or 0x1845–0x1847 of the ${where})`);

  // Raw values, sequence-major as stored. block.sequences × recordBytes ≤ module length (blockAt).
  const raw: number[][] = [];
  for (let s = 0, p = block.at + 4; s < block.sequences; s++) {
    const row: number[] = [];
    for (const f of lay.fields) {
      row.push(read(dv, p, f.type));
      p += WIDTH[f.type];
    }
    raw.push(row);
  }
  const index = new Map(lay.fields.map((f, j) => [f.name, j]));

  // Sanity: a misplaced or foreign block shows up as huge, infinite or inverted values.
  const insane: string[] = [];
  lay.fields.forEach((f, j) => {
    if (f.type !== 'f4') return;
    for (const row of raw) {
      const v = row[j]!;
      if (!Number.isNaN(v) && !(Math.abs(v) <= 1e12)) {
        insane.push(`${f.name} = ${v}`);
        return;
      }
    }
  });
  const eMin = index.get('E range min (V)');
  const eMax = index.get('E range max (V)');
  if (eMin !== undefined && eMax !== undefined) {
    raw.forEach((row, s) => {
      if (row[eMin]! > row[eMax]!) insane.push(`E range min ${row[eMin]} > max ${row[eMax]} (Ns ${s})`);
    });
  }
  if (insane.length > 0) {
    warnings.push(`${lay.technique} parameter table (${shape}, ${where}) fails its sanity checks (${insane.slice(0, 3).join('; ')}): not decoded`);
    return undefined;
  }

  const params: Record<string, ParamValue[]> = {};
  if (block.sequences > 1) params.Ns = raw.map((_, s) => s);
  const unmapped = new Map<string, Set<number>>();
  const unverified: string[] = [];
  lay.fields.forEach((f, j) => {
    const column = raw.map((row) => row[j]!);
    if (f.hideIfZero && column.every((v) => v === 0)) return;
    if (f.group) {
      const c = index.get(f.group.count);
      if (c === undefined || !raw.some((row) => row[c]! >= f.group!.index)) return;
    }
    if (f.unverifiedName) unverified.push(f.name);
    params[f.name] = raw.map((row) => {
      const v = row[j]!;
      if (f.type === 'f4') {
        if (Number.isNaN(v)) return 'pass';
        if (f.oleDate) return oleDateText(v);
        if (f.dayFraction) return Math.round(v * 86_400_000) / 1000;
        return shortestFloat32(v);
      }
      if (!f.codes) return v;
      let table: Codes | undefined;
      if (!isContext(f.codes)) table = f.codes;
      else {
        const c = index.get(f.codes.on);
        table = c === undefined ? undefined : f.codes.by.get(row[c]!);
        if (!table) return v; // no meaning in this context (EC-Lab prints a blank)
      }
      const text = table.get(v);
      if (text !== undefined) return text;
      let set = unmapped.get(f.name);
      if (!set) unmapped.set(f.name, (set = new Set()));
      set.add(v);
      return v;
    });
  });
  if (!lay.twin) warnings.push(`${lay.technique} parameter layout of ${lay.fields.length} parameters (${where}) has not been checked against an .mpt export (${lay.evidence}): values may be misassigned`);
  if (unverified.length > 0) warnings.push(`${lay.technique} parameters ${unverified.join(', ')} are named after yadg: no .mpt twin prints them`);
  if (unmapped.size > 0) {
    const list = [...unmapped].map(([n, set]) => `${n} ${[...set].join('/')}`).join(', ');
    warnings.push(`${lay.technique} parameter codes without an established meaning, reported as numbers: ${list}`);
  }
  return { sequences: block.sequences, params };
}
