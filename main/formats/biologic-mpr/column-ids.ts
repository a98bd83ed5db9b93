/**
 * EC-Lab .mpr data-module column IDs → EC-Lab label and binary type.
 *
 * BioLogic publishes no specification. The table was assembled from two public reverse-engineered
 * readers, read as behaviour references only (both GPL-3.0; nothing translated):
 *   galvani  — echemdata/galvani @ c8e5bb1, galvani/BioLogic.py, VMPdata_colID_dtype_map / _flag_map
 *   yadg     — dgbowl/yadg @ 61d55fe, src/yadg/extractors/eclab/mpr_columns.py, data_columns
 * and then checked, ID by ID, against the .mpt text export of the same measurement in the shared
 * corpus (../shared/data/biologic, same base name): the .mpt lists the .mpr's columns first, in the
 * same order, with the flag byte expanded, so position k of the expanded ID list names column k of
 * the .mpt. The comment on each entry names the twin that confirmed the label and (through the
 * record size, module length − data offset = rows × record bytes) the width. Entries marked
 * "galvani" / "yadg" have no twin in the corpus and rest on that reader alone.
 *
 * Labels are spelled exactly as the .mpt writes them, so that mapColumnLabel() of the .mpt reader
 * (biologic-mpt/columns.ts) gives the .mpr column the same name and unit as its text twin.
 *
 * Where the two readers disagree the twin decides:
 *   441  galvani "<Ecv>/V" — lsv.mpt and cp.mpt call it "<Ece>/V".
 *   211  yadg "Q charge or discharge" in C — gcpl.issue_149.mpt: "Q charge/discharge/mA.h".
 *   69/70 yadg "Rwe"/"Pwe" — gcpl.pr_182.1.mpt (EC-Lab < 11.50) writes "P/W"; the ≥ 11.50 files
 *        peis.issue_149 and geis.issue_149 write "Pwe/W" (see labelFor()).
 *   242  galvani "|E2|/V", yadg "|Ece h2|/V" — left out: no twin decides, so it goes through the
 *        unknown-column path (width inferred, warning) instead of being silently mislabelled.
 *
 * IDs ≥ 256 are often "base ID + 256·k" variants of the same quantity (434 = 178 + 256, both
 * (Q-Qo)/C; 981 = 213 + 768, z cycle) but not always (430 = Phase(Zwe-ce) while 174 = <Ewe>), so an
 * ID missing here is never guessed from its low byte; it is reported as unknown.
 */

export type MprBinaryType = 'u1' | 'u2' | 'u4' | 'f4' | 'f8';

export const BINARY_TYPE_BYTES: Readonly<Record<MprBinaryType, number>> = { u1: 1, u2: 2, u4: 4, f4: 4, f8: 8 };

export const BINARY_TYPE_DTYPE = { u1: 'uint8', u2: 'uint16', u4: 'uint32', f4: 'float32', f8: 'float64' } as const;

export interface MprColumnDef {
  /** Label as the .mpt export writes it ("quantity/unit"). */
  label: string;
  type: MprBinaryType;
}

/**
 * Flag IDs: all packed into ONE byte of the record, placed where the first flag ID appears
 * (galvani VMPdata_colID_flag_map; yadg flag_columns). Bits confirmed against the separate
 * mode/ox/red/error/control changes/Ns changes/counter inc. columns of mb.issue_95.mpt, ca.mpt
 * and gcpl.issue_149.mpt. Bit 0x40 has no ID (yadg: set on some last points only).
 */
export const FLAG_COLUMNS: ReadonlyMap<number, { label: string; mask: number }> = new Map([
  [1, { label: 'mode', mask: 0x03 }],
  [2, { label: 'ox/red', mask: 0x04 }],
  [3, { label: 'error', mask: 0x08 }],
  [21, { label: 'control changes', mask: 0x10 }],
  [31, { label: 'Ns changes', mask: 0x20 }],
  [65, { label: 'counter inc.', mask: 0x80 }],
]);

const f4 = (label: string): MprColumnDef => ({ label, type: 'f4' });
const f8 = (label: string): MprColumnDef => ({ label, type: 'f8' });
const u2 = (label: string): MprColumnDef => ({ label, type: 'u2' });
const u4 = (label: string): MprColumnDef => ({ label, type: 'u4' });

export const DATA_COLUMNS: ReadonlyMap<number, MprColumnDef> = new Map<number, MprColumnDef>([
  [4, f8('time/s')], // every twin (ocv.mpt, cv.mpt, peis.mpt, …)
  [5, f4('control/V/mA')], // gcpl.issue_149.mpt, bcd.issue_241.mpt
  [6, f4('Ewe/V')], // ocv.mpt, cv.mpt, mb.issue_95.mpt; "Ecell/V" in BCD (labelFor)
  [7, f8('dq/mA.h')], // gcpl.issue_149.mpt, coc.issue_185.mpt
  [8, f4('I/mA')], // ca.mpt, mb.issue_95.mpt
  [9, f4('Ece/V')], // gcpl.issue_226.I.mpt, gcpl.pr_182.1.mpt
  [11, f8('<I>/mA')], // cv.mpt, cov.issue_185.mpt
  [13, f8('(Q-Qo)/mA.h')], // gcpl.issue_149.mpt, mb.issue_95.mpt
  [15, f4('Phase(Z1)/deg')], // yadg
  [16, f4('Analog IN 1/V')], // vsp_ocv_with.mpt
  [17, f4('Analog IN 2/V')], // vsp_ocv_with.mpt
  [19, f4('control/V')], // cv.mpt, ca.mpt
  [20, f4('control/mA')], // mb.issue_95.mpt, coc.issue_185.mpt
  [23, f8('dQ/mA.h')], // coc.issue_185.mpt, cov.issue_185.mpt
  [24, f8('cycle number')], // cv.mpt, peis.mpt
  [26, f4('Rapp/Ohm')], // galvani
  [27, f4('Ewe-Ece/V')], // galvani (col_27_issue_74.mpr, no twin)
  [32, f4('freq/Hz')], // peis.mpt, zir.mpt
  [33, f4('|Ewe|/V')], // peis.mpt
  [34, f4('|I|/A')], // peis.mpt
  [35, f4('Phase(Z)/deg')], // peis.mpt
  [36, f4('|Z|/Ohm')], // peis.mpt
  [37, f4('Re(Z)/Ohm')], // peis.mpt
  [38, f4('-Im(Z)/Ohm')], // peis.mpt
  [39, u2('I Range')], // peis.mpt, ca.mpt
  [45, f4('|Z1|/Ohm')], // yadg
  [46, f4('|Z2|/Ohm')], // yadg
  [69, f4('R/Ohm')], // galvani
  [70, f4('P/W')], // gcpl.pr_182.1.mpt; "Pwe/W" from EC-Lab 11.50 (labelFor)
  [74, f8('|Energy|/W.h')], // mb.issue_95.mpt
  [75, f4('Analog OUT/V')], // galvani
  [76, f4('<I>/mA')], // peis.mpt, zir.mpt
  [77, f4('<Ewe>/V')], // peis.mpt, zir.mpt
  [78, f4('Cs-2/µF-2')], // galvani
  [96, f4('|Ece|/V')], // peis.mpt
  [98, f4('Phase(Zce)/deg')], // peis.mpt
  [99, f4('|Zce|/Ohm')], // peis.mpt
  [100, f4('Re(Zce)/Ohm')], // peis.mpt
  [101, f4('-Im(Zce)/Ohm')], // peis.mpt
  [105, f4('-Im(Z1)/Ohm')], // yadg
  [106, f4('-Im(Z2)/Ohm')], // yadg
  [110, f8('Energy ce/W.h')], // yadg
  [112, f8('Energy we/W.h')], // yadg; its +256 variant 368 confirmed by mb.issue_223.mpt
  [115, f8('Energy ce charge/W.h')], // yadg
  [116, f8('Energy ce discharge/W.h')], // yadg
  [123, f8('Energy charge/W.h')], // mb.issue_95.mpt, ca.mpt
  [124, f8('Energy discharge/W.h')], // mb.issue_95.mpt, coc.issue_185.mpt
  [125, f8('Capacitance charge/µF')], // mb.issue_95.mpt
  [126, f8('Capacitance discharge/µF')], // mb.issue_95.mpt
  [131, u2('Ns')], // ca.mpt, peis.issue_149.mpt
  [135, f4('<E1>/V')], // yadg
  [136, f4('<E2>/V')], // yadg
  [163, f4('|Estack|/V')], // galvani
  [166, f4('Phase(Zstack)/deg')], // yadg
  [167, f4('|Zstack|/Ohm')], // yadg
  [168, f4('Rcmp/Ohm')], // cva.issue_202.mpt
  [169, f4('Cs/µF')], // peis.mpt
  [172, f4('Cp/µF')], // peis.mpt
  [173, f4('Cp-2/µF-2')], // galvani
  [174, f4('<Ewe>/V')], // cp.mpt, coc.issue_185.mpt ("<Ewe/V>"); Phase(Zwe-ce) next to 6/77 (labelFor)
  [175, f4('|Zwe-ce|/Ohm')], // yadg
  [176, f4('Re(Zwe-ce)/Ohm')], // yadg
  [177, f4('-Im(Zwe-ce)/Ohm')], // yadg
  [178, f4('(Q-Qo)/C')], // cva.issue_202.mpt
  [179, f4('dQ/C')], // galvani
  [182, f8('step time/s')], // coc.issue_185.mpt, cov.issue_185.mpt (yadg; unknown to galvani)
  [185, f4('<Ece>/V')], // yadg
  [206, f4('Temperature/°C')], // yadg
  [211, f8('Q charge/discharge/mA.h')], // gcpl.issue_149.mpt, coc.issue_185.mpt
  [212, u4('half cycle')], // galvani
  [213, u4('z cycle')], // galvani
  [215, f4('<Ece>/V')], // peis.issue_225.ewe_ece.mpt (yadg; unknown to galvani)
  [217, f4('THD Ewe/%')], // peis.issue_149.mpt
  [218, f4('THD I/%')], // galvani
  [219, f4('THD Ece/%')], // yadg
  [220, f4('NSD Ewe/%')], // galvani
  [221, f4('NSD I/%')], // galvani
  [222, f4('NSD Ece/%')], // yadg
  [223, f4('NSR Ewe/%')], // galvani
  [224, f4('NSR I/%')], // galvani
  [225, f4('NSR Ece/%')], // yadg
  [230, f4('|Ewe h2|/V')], // galvani, yadg
  [231, f4('|Ewe h3|/V')],
  [232, f4('|Ewe h4|/V')],
  [233, f4('|Ewe h5|/V')],
  [234, f4('|Ewe h6|/V')],
  [235, f4('|Ewe h7|/V')],
  [236, f4('|I h2|/A')], // galvani, yadg
  [237, f4('|I h3|/A')],
  [238, f4('|I h4|/A')],
  [239, f4('|I h5|/A')],
  [240, f4('|I h6|/A')],
  [241, f4('|I h7|/A')],
  [248, f4('Rac/Ohm')], // yadg
  [249, f4('Rdc/Ohm')], // yadg
  [253, { label: 'Acir/Dcir Control', type: 'u1' }], // yadg (galvani: 509)
  [271, f4('Phase(Z1)/deg')], // galvani
  [272, f4('Phase(Z2)/deg')], // galvani
  [295, u2('I Range')], // cva.issue_202.mpt (39 + 256)
  [301, f4('|Z1|/Ohm')], // galvani
  [302, f4('|Z2|/Ohm')], // galvani
  [326, f4('P/W')], // gcpl.issue_149.mpt (70 + 256)
  [331, f4('Re(Z1)/Ohm')], // galvani
  [332, f4('Re(Z2)/Ohm')], // galvani
  [352, f4('|Ece|/V')], // peis.issue_225.ewe_ece.mpt (96 + 256)
  [361, f4('-Im(Z1)/Ohm')], // galvani
  [362, f4('-Im(Z2)/Ohm')], // galvani
  [368, f8('Energy we/W.h')], // mb.issue_223.mpt (112 + 256; galvani reports it as unknown 112)
  [379, f8('Energy charge/W.h')], // coc.issue_185.mpt, cov.issue_185.mpt (123 + 256)
  [391, f4('<E1>/V')], // galvani
  [392, f4('<E2>/V')], // galvani
  [422, f4('Phase(Zstack)/deg')], // galvani
  [423, f4('|Zstack|/Ohm')], // galvani
  [424, f4('Re(Zstack)/Ohm')], // galvani
  [425, f4('-Im(Zstack)/Ohm')], // galvani
  [426, f4('<Estack>/V')], // galvani
  [430, f4('Phase(Zwe-ce)/deg')], // peis.mpt
  [431, f4('|Zwe-ce|/Ohm')], // peis.mpt, peis.issue_225.ewe_ece.mpt
  [432, f4('Re(Zwe-ce)/Ohm')], // peis.mpt
  [433, f4('-Im(Zwe-ce)/Ohm')], // peis.mpt
  [434, f4('(Q-Qo)/C')], // cv.mpt, lsv.mpt
  [435, f4('dQ/C')], // ca.mpt, cp.mpt
  [438, f8('step time/s')], // galvani
  [441, f4('<Ece>/V')], // lsv.mpt, cp.mpt (galvani: "<Ecv>/V")
  [462, f4('Temperature/°C')], // galvani
  [467, f8('Q charge/discharge/mA.h')], // ca.mpt, mb.issue_95.mpt
  [468, u4('half cycle')], // ca.mpt, 00_test_02_MB (navani), gcpl.issue_149.mpt
  [469, u4('z cycle')], // galvani (biol.mpr, no twin)
  [471, f4('<Ece>/V')], // peis.mpt
  [473, f4('THD Ewe/%')], // galvani
  [474, f4('THD I/%')], // peis.issue_149.mpt
  [476, f4('NSD Ewe/%')], // peis.issue_149.mpt
  [477, f4('NSD I/%')], // peis.issue_149.mpt
  [479, f4('NSR Ewe/%')], // peis.issue_149.mpt
  [480, f4('NSR I/%')], // peis.issue_149.mpt
  [486, f4('|Ewe h2|/V')], // peis.issue_149.mpt
  [487, f4('|Ewe h3|/V')],
  [488, f4('|Ewe h4|/V')],
  [489, f4('|Ewe h5|/V')],
  [490, f4('|Ewe h6|/V')],
  [491, f4('|Ewe h7|/V')],
  [492, f4('|I h2|/A')], // peis.issue_149.mpt
  [493, f4('|I h3|/A')],
  [494, f4('|I h4|/A')],
  [495, f4('|I h5|/A')],
  [496, f4('|I h6|/A')],
  [497, f4('|I h7|/A')],
  [498, f8('Q charge/mA.h')], // galvani
  [499, f8('Q discharge/mA.h')], // galvani
  [500, f8('step time/s')], // galvani
  [501, f8('Efficiency/%')], // galvani
  [502, f8('Capacity/mA.h')], // galvani
  [505, f4('Rdc/Ohm')], // galvani
  [509, { label: 'Acir/Dcir Control', type: 'u1' }], // galvani
  [981, u4('z cycle')], // mb.issue_223.mpt (213 + 768)
]);

/** What changes a label: the technique and the software generation that wrote the file. */
export interface LabelContext {
  /** Technique byte of the settings module (see techniques.ts). */
  techniqueId: number | undefined;
  /** True for files written by EC-Lab ≥ 11.50 (the module header carries a max-length field). */
  ecLab1150: boolean;
  /** Every column ID of the file (some IDs change meaning next to others). */
  ids: readonly number[];
}

/** Battery Capacity Determination (technique byte 0x88). */
const BCD_TECHNIQUE = 0x88;

/** The label of a known data column in its context, or undefined when the ID is not known. */
export function labelFor(id: number, ctx: LabelContext): MprColumnDef | undefined {
  const def = DATA_COLUMNS.get(id);
  if (!def) return undefined;
  // bcd.issue_241.mpt: BCD labels the working-electrode potential "Ecell/V" (yadg technique_dependent_ids).
  if (id === 6 && ctx.techniqueId === BCD_TECHNIQUE) return { ...def, label: 'Ecell/V' };
  // peis.issue_225.ewe_ece.mpt: next to Ewe (6) or <Ewe> (77), ID 174 is Phase(Zwe-ce), not <Ewe>
  // (yadg conflict_columns; the twin lists Phase(Zwe-ce)/deg at that position).
  if (id === 174 && (ctx.ids.includes(6) || ctx.ids.includes(77))) return { ...def, label: 'Phase(Zwe-ce)/deg' };
  // Power of the working electrode: "P/W" up to EC-Lab 11.4x (gcpl.pr_182.1.mpt), "Pwe/W" from 11.50
  // (peis.issue_149.mpt, geis.issue_149.mpt), when EC-Lab began splitting P into Pwe/Pce/Pwe-ce.
  if (id === 70 && ctx.ecLab1150) return { ...def, label: 'Pwe/W' };
  return def;
}
