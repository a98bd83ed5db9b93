/**
 * EIS analyses: circuit strings, impedance models, CNLS fitting, Lin-KK, ionic conductivity and
 * their descriptors. Pure numeric code, no I/O (DESIGN.md "Analyses").
 */
export { CircuitParseError, ELEMENT_SPECS, parseCircuit, paramIndex } from './circuit-parser.js';
export type { Circuit, CircuitNode, CircuitParam, ElementInstance, ElementType, ParamDomain } from './circuit-parser.js';
export { elementImpedance, evaluateCircuit } from './impedance-model.js';
export { guessInitialValues } from './initial-guess.js';
export { fitCircuit, fitMany, WEIGHTINGS } from './fit.js';
export type { BatchFitResult, CircuitFitResult, FitOptions, FitParameter, Spectrum, Weighting } from './fit.js';
export { linKk, linKkMu, timeConstants } from './lin-kk.js';
export type { LinKkFitType, LinKkOptions, LinKkResult } from './lin-kk.js';
export { ionicConductivity } from './conductivity.js';
export { DEFAULT_CIRCUIT, EIS_ANALYSES, eisFitAnalysis, ionicConductivityAnalysis, linKkAnalysis, parseValueMap, spectrumFromColumns } from './descriptors.js';
export type { EisAnalysisOutput, EisRunnableAnalysis } from './descriptors.js';
