/**
 * Technique byte (first byte of the "VMP Set" module body, repeated at byte 2 of "VMP LOG") → the
 * technique name EC-Lab prints on line 4 of the .mpt export.
 *
 * The byte values come from yadg (dgbowl/yadg @ 61d55fe, extractors/eclab/techniques.py,
 * technique_params_dtypes; read as reference only). The full names are the ones the .mpt twin of
 * each corpus file prints; the twin is named per entry. Bytes known to yadg but without a twin in
 * the corpus keep yadg's short name. The parameter table layouts of each byte are in
 * technique-params.ts (PARAM_LAYOUTS); 0x0C (col_27_issue_74.mpr) is in neither table.
 */
export const TECHNIQUES: ReadonlyMap<number, string> = new Map([
  [0x04, 'Galvanostatic Cycling with Potential Limitation'], // gcpl.issue_149.mpt, gcpl.issue_226.I.mpt
  [0x06, 'Cyclic Voltammetry'], // cv.mpt
  [0x0b, 'Open Circuit Voltage'], // ocv.mpt, vsp_ocv_wo.mpt
  [0x16, 'MP'], // yadg only
  [0x18, 'Chronoamperometry / Chronocoulometry'], // ca.mpt
  [0x19, 'Chronopotentiometry'], // cp.mpt
  [0x1c, 'Wait'], // wait.mpt
  [0x1d, 'Potentio Electrochemical Impedance Spectroscopy'], // peis.mpt
  [0x1e, 'Galvano Electrochemical Impedance Spectroscopy'], // geis.issue_149.mpt
  [0x30, 'Cyclic Voltammetry'], // yadg maps 0x30 to CV as well
  [0x32, 'IR compensation (PEIS)'], // zir.mpt
  [0x33, 'Cyclic Voltammetry Advanced'], // cva.issue_202.mpt
  [0x6c, 'Linear Sweep Voltammetry'], // lsv.mpt
  [0x75, 'Constant Voltage'], // cov.issue_185.mpt
  [0x76, 'Constant Current'], // coc.issue_185.mpt
  [0x77, 'GCPL'], // yadg only
  [0x7f, 'Modulo Bat'], // mb.issue_95.mpt, mb.issue_223.mpt
  [0x88, 'Battery Capacity Determination'], // bcd.issue_241.mpt
]);
