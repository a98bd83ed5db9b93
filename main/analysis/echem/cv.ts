/**
 * Cyclic voltammetry: sweeps, anodic and cathodic peak potentials and currents, peak separation
 * ΔEp = Epa − Epc and half-wave potential E½ = (Epa + Epc)/2 per cycle (Bard & Faulkner,
 * Electrochemical Methods, 2nd ed., §6.5). Peak currents are reported as measured (no baseline
 * subtraction: for thin-film electrodes the capacitive baseline is small and any choice of
 * baseline is a model the user should see, not a silent correction).
 * Pure: no I/O.
 */
import { findPeaks } from './dqdv.js';

export interface CvSweep {
  /** Rows [start, end) in the input. */
  start: number;
  end: number;
  direction: 'anodic' | 'cathodic';
  cycle: number;
}

export interface CvPeak {
  cycle: number;
  direction: 'anodic' | 'cathodic';
  /** V */
  potential: number;
  /** mA (signed: anodic > 0, cathodic < 0) */
  current: number;
}

export interface CvPair {
  cycle: number;
  epa: number;
  epc: number;
  ipa: number;
  ipc: number;
  /** V */
  deltaEp: number;
  /** V */
  eHalf: number;
}

export interface CvOptions {
  /** Minimum peak prominence as a fraction of the sweep's largest |I| (default 0.1). */
  minProminence?: number;
  /** Largest |Epa − Epc| for two peaks to be a redox pair, V (default 0.3). */
  maxPairSeparation?: number;
  /** Ignore potential steps smaller than this when deciding the sweep direction, V (default 1 mV). */
  directionNoise?: number;
}

/**
 * Split into sweeps where the potential reverses. The direction is decided on moves larger than
 * `noise` so that jitter at a vertex does not create one-point sweeps. A cycle is an anodic sweep
 * followed by a cathodic one (or the cycle column when the file has one).
 */
export function segmentSweeps(potential: ArrayLike<number>, cycleColumn?: ArrayLike<number>, noise = 1e-3): CvSweep[] {
  const n = potential.length;
  const sweeps: CvSweep[] = [];
  if (n < 2) return sweeps;
  let start = 0;
  let dir = 0;
  let anchor = potential[0]!;
  let extreme = anchor;
  let extremeIdx = 0;
  const push = (s: number, e: number, d: number) => {
    if (e - s >= 2) sweeps.push({ start: s, end: e, direction: d > 0 ? 'anodic' : 'cathodic', cycle: 0 });
  };
  for (let i = 1; i < n; i++) {
    const v = potential[i]!;
    if (!Number.isFinite(v)) continue;
    if (dir === 0) {
      if (Math.abs(v - anchor) > noise) {
        dir = Math.sign(v - anchor);
        extreme = v;
        extremeIdx = i;
      }
      continue;
    }
    if ((dir > 0 && v > extreme) || (dir < 0 && v < extreme)) {
      extreme = v;
      extremeIdx = i;
    } else if (Math.abs(v - extreme) > noise) {
      // Reversal at the vertex (extremeIdx).
      push(start, extremeIdx + 1, dir);
      start = extremeIdx;
      dir = -dir;
      extreme = v;
      extremeIdx = i;
    }
  }
  if (dir !== 0) push(start, n, dir);
  // Cycle numbers: from the file's column when present (its value at the sweep's middle, made
  // 1-based), else count anodic sweeps.
  let cycle = 0;
  for (const s of sweeps) {
    if (cycleColumn) {
      const c = cycleColumn[(s.start + s.end) >> 1]!;
      s.cycle = Number.isFinite(c) ? Math.round(c) + (minFinite(cycleColumn) === 0 ? 1 : 0) : 0;
    } else {
      if (s.direction === 'anodic' || cycle === 0) cycle++;
      s.cycle = cycle;
    }
  }
  return sweeps;
}

function minFinite(a: ArrayLike<number>): number {
  let m = Infinity;
  for (let i = 0; i < a.length; i++) if (Number.isFinite(a[i]!) && a[i]! < m) m = a[i]!;
  return m;
}

export function cvPeaks(potential: ArrayLike<number>, current: ArrayLike<number>, sweeps: CvSweep[], opts: CvOptions = {}): CvPeak[] {
  const out: CvPeak[] = [];
  for (const s of sweeps) {
    const e = Float64Array.from({ length: s.end - s.start }, (_, k) => potential[s.start + k]!);
    const i = Float64Array.from({ length: s.end - s.start }, (_, k) => current[s.start + k]!);
    // Anodic peaks are maxima of I, cathodic peaks minima: look at the signed current so that a
    // cathodic sweep's positive (capacitive) tail is not taken for a peak.
    const signed = s.direction === 'anodic' ? i : Float64Array.from(i, (x) => -x);
    const clipped = Float64Array.from(signed, (x) => Math.max(0, x));
    for (const p of findPeaks(e, clipped, opts.minProminence ?? 0.1)) {
      out.push({ cycle: s.cycle, direction: s.direction, potential: p.voltage, current: s.direction === 'anodic' ? p.height : -p.height });
    }
  }
  return out;
}

/** Pair each anodic peak with the nearest cathodic peak of the same cycle below it in potential. */
export function pairPeaks(peaks: CvPeak[], maxSeparation = 0.3): CvPair[] {
  const pairs: CvPair[] = [];
  const cycles = [...new Set(peaks.map((p) => p.cycle))];
  for (const c of cycles) {
    const an = peaks.filter((p) => p.cycle === c && p.direction === 'anodic').sort((a, b) => a.potential - b.potential);
    const ca = peaks.filter((p) => p.cycle === c && p.direction === 'cathodic').sort((a, b) => a.potential - b.potential);
    const used = new Set<CvPeak>();
    for (const a of an) {
      let best: CvPeak | null = null;
      for (const k of ca) {
        if (used.has(k)) continue;
        const d = a.potential - k.potential;
        if (Math.abs(d) <= maxSeparation && (!best || Math.abs(d) < Math.abs(a.potential - best.potential))) best = k;
      }
      if (!best) continue;
      used.add(best);
      pairs.push({
        cycle: c,
        epa: a.potential,
        epc: best.potential,
        ipa: a.current,
        ipc: best.current,
        deltaEp: a.potential - best.potential,
        eHalf: (a.potential + best.potential) / 2,
      });
    }
  }
  return pairs;
}
