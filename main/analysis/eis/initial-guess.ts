/**
 * Starting values for a circuit fit, read off the spectrum the way one would by eye on the
 * Nyquist plot (Orazem & Tribollet, Electrochemical Impedance Spectroscopy, 2nd ed. (2017) §19;
 * Lasia (2014) §17.2):
 *
 * - a resistor in the top-level series chain → the high-frequency intercept of Z' (where −Z''
 *   crosses zero coming from the inductive side, or Z' at the highest frequency);
 * - each parallel group, in the order written, → the next arc from high to low frequency. An arc
 *   is a local maximum of −Z'' between two valleys; its diameter is the Z' span between the
 *   valleys (twice the apex height when the arc runs off the low-frequency end). Resistors in the
 *   group take the diameter, capacitors C = 1/(2π f_apex R), CPEs α = 0.9 and
 *   Q = 1/(R (2π f_apex)^α) — the apex condition of an R‖CPE arc;
 * - series C/CPE → the low-frequency capacitive tail: −Z'' = sin(απ/2)/(Q ω^α);
 * - W → −Z'' √ω at the lowest frequency; Wo → low-frequency limit −Z'' ≈ R/(ωτ) with R from the
 *   remaining Z' span; Ws → τ = 1/ω at the last valley;
 * - L → Z''/ω at the highest frequency when inductive, else a value too small to matter.
 *
 * These only need to land in the basin of the right minimum; the user can override any of them.
 */
import type { Circuit, CircuitNode, ElementInstance } from './circuit-parser.js';

export interface Spectrum {
  /** Hz */
  freq: Float64Array;
  /** Z' in Ω */
  re: Float64Array;
  /** Z'' in Ω, physical sign (negative when capacitive). */
  im: Float64Array;
}

interface Arc {
  diameter: number;
  fApex: number;
  /** Z' at the valley on its low-frequency side (or the last point). */
  reEnd: number;
}

const DEFAULT_ALPHA = 0.9;

function sortedByFreqDesc(s: Spectrum): { f: number[]; re: number[]; mi: number[] } {
  const idx = [...s.freq.keys()].filter((i) => Number.isFinite(s.freq[i]!) && s.freq[i]! > 0 && Number.isFinite(s.re[i]!) && Number.isFinite(s.im[i]!));
  idx.sort((a, b) => s.freq[b]! - s.freq[a]!);
  return { f: idx.map((i) => s.freq[i]!), re: idx.map((i) => s.re[i]!), mi: idx.map((i) => -s.im[i]!) };
}

function highFrequencyIntercept(f: number[], re: number[], mi: number[]): number {
  for (let i = 1; i < f.length; i++) {
    if (mi[i - 1]! <= 0 && mi[i]! > 0) {
      const t = mi[i - 1]! / (mi[i - 1]! - mi[i]!);
      return re[i - 1]! + t * (re[i]! - re[i - 1]!);
    }
    if (mi[i - 1]! > 0) break;
  }
  // The sweep starts on an arc (−Z'' > 0 at the top frequency): extrapolate that arc to the real
  // axis with a circle centred on the axis through the first points, x² + y² = 2·x_c·x + k,
  // linear in (x_c, k); the intercept is x_c − r. Bounded to [0, Z'(f_max)].
  const m = Math.min(5, f.length);
  if (m >= 3 && mi[0]! > 0) {
    let sxx = 0, sx = 0, sxb = 0, sb = 0;
    for (let i = 0; i < m; i++) {
      const x = re[i]!;
      const b = x * x + mi[i]! * mi[i]!;
      sxx += 4 * x * x;
      sx += 2 * x;
      sxb += 2 * x * b;
      sb += b;
    }
    const det = sxx * m - sx * sx;
    if (Math.abs(det) > 0) {
      const xc = (sxb * m - sx * sb) / det;
      const k = (sxx * sb - sx * sxb) / det;
      const r2 = k + xc * xc;
      if (r2 > 0) {
        const x0 = xc - Math.sqrt(r2);
        if (x0 < re[0]!) return Math.max(x0, 0);
      }
    }
  }
  return re[0]!;
}

/** Local maxima of −Z'' (window ±2 points), each with its valley-to-valley span. */
function findArcs(f: number[], re: number[], mi: number[], start: number, reStart: number): Arc[] {
  const n = f.length;
  const arcs: Arc[] = [];
  let prevRe = reStart;
  let i = start;
  while (i < n) {
    // climb to a peak
    let peak = -1;
    for (let k = i; k < n - 1; k++) {
      // A peak needs a descent after it: −Z'' rising to the last point is a tail, not an arc.
      if (mi[k]! <= 0 || mi[k + 1]! >= mi[k]!) continue;
      let isPeak = true;
      for (let d = -2; d <= 2; d++) {
        const j = k + d;
        if (d !== 0 && j >= 0 && j < n && mi[j]! > mi[k]!) isPeak = false;
      }
      if (isPeak) {
        peak = k;
        break;
      }
    }
    if (peak < 0) break;
    // descend to the following valley
    let valley = -1;
    for (let k = peak + 1; k < n; k++) {
      let isValley = true;
      for (let d = -2; d <= 2; d++) {
        const j = k + d;
        if (d !== 0 && j > peak && j < n && mi[j]! < mi[k]!) isValley = false;
      }
      if (isValley && k < n - 1) {
        valley = k;
        break;
      }
    }
    if (valley < 0) {
      arcs.push({ diameter: Math.max(2 * mi[peak]!, re[n - 1]! - prevRe), fApex: f[peak]!, reEnd: re[n - 1]! });
      break;
    }
    const diameter = re[valley]! - prevRe;
    arcs.push({ diameter: diameter > 0 ? diameter : 2 * mi[peak]!, fApex: f[peak]!, reEnd: re[valley]! });
    prevRe = re[valley]!;
    i = valley + 1;
  }
  return arcs;
}

function collect(node: CircuitNode, out: ElementInstance[]): void {
  if (node.kind === 'element') out.push(node.element);
  else for (const c of node.children) collect(c, out);
}

/** Initial values for every circuit parameter (circuit.params order). */
export function guessInitialValues(circuit: Circuit, spectrum: Spectrum): Float64Array {
  const { f, re, mi } = sortedByFreqDesc(spectrum);
  const p = new Float64Array(circuit.params.length);
  if (f.length === 0) throw new Error('no finite data points with f > 0');
  const n = f.length;
  let zmax = 0;
  let zmin = Infinity;
  for (let i = 0; i < n; i++) {
    const m = Math.hypot(re[i]!, mi[i]!);
    zmax = Math.max(zmax, m);
    zmin = Math.min(zmin, m);
  }
  // Floors are relative to the smallest |Z|: a blocking tail makes the largest meaningless.
  const floorR = 1e-3 * zmin || 1e-9;
  const hfR = Math.max(highFrequencyIntercept(f, re, mi), floorR);
  let hfIndex = 0;
  while (hfIndex < n - 1 && mi[hfIndex]! <= 0) hfIndex++;
  const arcs = findArcs(f, re, mi, hfIndex, hfR);
  const wMin = 2 * Math.PI * f[n - 1]!;
  const wMax = 2 * Math.PI * f[0]!;
  const miLow = Math.max(mi[n - 1]!, 1e-3 * zmax || 1e-9);
  const reLow = re[n - 1]!;
  const lastArcEnd = arcs.length ? arcs[arcs.length - 1]!.reEnd : hfR;
  // With a capacitive element in the top-level series chain the spectrum ends in a tail whose Z'
  // keeps growing; the arcs end roughly where the phase passes −45° for good.
  const seriesCapacitive = (circuit.root.kind === 'series' ? circuit.root.children : [circuit.root]).some(
    (c) => c.kind === 'element' && (c.element.type === 'C' || c.element.type === 'CPE' || c.element.type === 'W'),
  );
  let tailIndex = n - 1;
  if (seriesCapacitive) {
    for (let k = n - 1; k >= 0 && mi[k]! >= re[k]!; k--) tailIndex = k;
  }
  const reTail = re[tailIndex]!;
  const span = Math.max((seriesCapacitive ? reTail : reLow) - hfR, floorR);

  // Parallel groups in the order written, depth-first; each takes the next arc.
  const groups: CircuitNode[] = [];
  const walk = (node: CircuitNode, inParallel: boolean) => {
    if (node.kind === 'parallel' && !inParallel) {
      groups.push(node);
      for (const c of node.children) walk(c, true);
      return;
    }
    if (node.kind !== 'element') for (const c of node.children) walk(c, inParallel || node.kind === 'parallel');
  };
  walk(circuit.root, false);
  const groupOf = new Map<string, number>();
  groups.forEach((g, k) => {
    const els: ElementInstance[] = [];
    collect(g, els);
    for (const e of els) groupOf.set(e.name, k);
  });
  const arcFor = (k: number): Arc => {
    if (arcs[k]) return arcs[k]!;
    // More groups than visible arcs: share what is left of the span over the rest, with apex
    // frequencies spread log-uniformly below the last arc.
    const missing = groups.length - arcs.length;
    const used = arcs.reduce((a, b) => a + b.diameter, 0);
    const rest = Math.max(span - used, span / (groups.length || 1));
    const fLast = arcs.length ? arcs[arcs.length - 1]!.fApex : f[0]!;
    const fEnd = f[tailIndex]!;
    const step = Math.pow(fEnd / fLast, 1 / (missing + 1));
    return { diameter: rest / missing, fApex: fLast * Math.pow(step, k - arcs.length + 1), reEnd: reTail };
  };

  let seriesRCount = 0;
  for (const el of circuit.elements) {
    const o = el.paramOffset;
    const k = groupOf.get(el.name);
    const arc = k === undefined ? undefined : arcFor(k);
    switch (el.type) {
      case 'R':
        if (arc) p[o] = Math.max(arc.diameter, floorR);
        else p[o] = seriesRCount++ === 0 ? hfR : Math.max(span / Math.max(1, groups.length + 1), floorR);
        break;
      case 'C':
        if (arc) p[o] = 1 / (2 * Math.PI * arc.fApex * Math.max(arc.diameter, floorR));
        else p[o] = 1 / (wMin * miLow);
        break;
      case 'CPE':
        p[o + 1] = DEFAULT_ALPHA;
        if (arc) p[o] = 1 / (Math.max(arc.diameter, floorR) * Math.pow(2 * Math.PI * arc.fApex, DEFAULT_ALPHA));
        else p[o] = Math.sin((DEFAULT_ALPHA * Math.PI) / 2) / (Math.pow(wMin, DEFAULT_ALPHA) * miLow);
        break;
      case 'L': {
        const imHf = -mi[0]!;
        p[o] = imHf > 0 ? imHf / wMax : (1e-6 * zmax) / wMax || 1e-9;
        break;
      }
      case 'W':
        p[o] = miLow * Math.sqrt(wMin);
        break;
      case 'Wo': {
        const r = Math.max(reLow - lastArcEnd, 0.1 * span);
        p[o] = r;
        p[o + 1] = Math.max(r / (wMin * miLow), 1 / wMax);
        break;
      }
      case 'Ws': {
        const r = Math.max(reLow - lastArcEnd, 0.1 * span);
        p[o] = r;
        p[o + 1] = arcs.length ? 1 / (2 * Math.PI * arcs[arcs.length - 1]!.fApex) : 1 / wMin;
        break;
      }
    }
  }
  return p;
}
