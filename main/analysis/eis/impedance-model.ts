/**
 * Impedance of a parsed circuit at given frequencies. Element expressions (ω = 2πf):
 *
 *   R   Z = R
 *   C   Z = 1 / (jωC)
 *   L   Z = jωL
 *   CPE Z = 1 / (Q (jω)^α)                       (Brug et al., J. Electroanal. Chem. 176 (1984) 275)
 *   W   Z = Aw (1 − j) / √ω                       semi-infinite Warburg
 *   Wo  Z = R coth(√(jωτ)) / √(jωτ)               finite length, reflective boundary
 *   Ws  Z = R tanh(√(jωτ)) / √(jωτ)               finite length, transmissive boundary
 *
 * (the same definitions as impedance.py's elements.py, so fitted values are comparable; for the
 * Warburg forms see Lasia, Electrochemical Impedance Spectroscopy and its Applications (2014) §4.)
 * Series impedances add; parallel branches add as admittances.
 */
import { cdiv, cinv, csqrt, ctanh, type Complex, type ComplexArray, complexArray } from './complex.js';
import type { Circuit, CircuitNode, ElementInstance } from './circuit-parser.js';

/** Impedance of one element at angular frequency ω with the circuit's parameter vector p. */
export function elementImpedance(el: ElementInstance, p: ArrayLike<number>, omega: number): Complex {
  const a = p[el.paramOffset]!;
  switch (el.type) {
    case 'R':
      return [a, 0];
    case 'C':
      return [0, -1 / (omega * a)];
    case 'L':
      return [0, omega * a];
    case 'CPE': {
      const alpha = p[el.paramOffset + 1]!;
      // (jω)^α = ω^α e^{jαπ/2}; its inverse over Q:
      const mag = 1 / (a * Math.pow(omega, alpha));
      const phi = (-alpha * Math.PI) / 2;
      return [mag * Math.cos(phi), mag * Math.sin(phi)];
    }
    case 'W': {
      const s = a / Math.sqrt(omega);
      return [s, -s];
    }
    case 'Wo':
    case 'Ws': {
      const tau = p[el.paramOffset + 1]!;
      const x = csqrt([0, omega * tau]);
      const th = ctanh(x);
      // coth(x)/x = 1/(x tanh x); tanh(x)/x as written.
      if (el.type === 'Wo') {
        const d: Complex = [x[0] * th[0] - x[1] * th[1], x[0] * th[1] + x[1] * th[0]];
        const r = cinv(d);
        return [a * r[0], a * r[1]];
      }
      const r = cdiv(th, x);
      return [a * r[0], a * r[1]];
    }
  }
}

function nodeImpedance(node: CircuitNode, p: ArrayLike<number>, omega: number): Complex {
  if (node.kind === 'element') return elementImpedance(node.element, p, omega);
  if (node.kind === 'series') {
    let re = 0;
    let im = 0;
    for (const c of node.children) {
      const z = nodeImpedance(c, p, omega);
      re += z[0];
      im += z[1];
    }
    return [re, im];
  }
  let yr = 0;
  let yi = 0;
  for (const c of node.children) {
    const y = cinv(nodeImpedance(c, p, omega));
    yr += y[0];
    yi += y[1];
  }
  return cinv([yr, yi]);
}

/** Z(f) of the circuit for parameter vector `params` (in the order of circuit.params). */
export function evaluateCircuit(circuit: Circuit, params: ArrayLike<number>, freq: ArrayLike<number>): ComplexArray {
  if (params.length !== circuit.params.length) {
    throw new Error(`circuit ${circuit.canonical} has ${circuit.params.length} parameters, got ${params.length}`);
  }
  const out = complexArray(freq.length);
  for (let i = 0; i < freq.length; i++) {
    const z = nodeImpedance(circuit.root, params, 2 * Math.PI * freq[i]!);
    out.re[i] = z[0];
    out.im[i] = z[1];
  }
  return out;
}
