/**
 * Equivalent-circuit strings in the impedance.py notation (Murbach et al., JOSS 5 (2020) 2349):
 * elements joined in series by '-', parallel groups written p(a, b, …), nested freely:
 *
 *     R0-p(R1,CPE1)-W2          Randles with a semi-infinite Warburg in series
 *     R0-p(R1-Wo1,C1)           impedance.py's Randles (Wo inside the charge-transfer branch)
 *     R-p(R,CPE)-p(R,CPE)-CPE   thin-film LNMO | LiPON | Li: bulk, interface, blocking
 *
 * Elements are numbered instances. Numbers written in the string are kept; an element written
 * without one gets the index of the top-level series stage it sits in (so the last example reads
 * R0-p(R1,CPE1)-p(R2,CPE2)-CPE3, the usual way these circuits are labelled in papers), bumped to
 * the next free number if that name is already taken.
 *
 * Parameter names follow impedance.py so its `constants` dictionaries carry over: one-parameter
 * elements use the instance name (R0, C1, L0, W2), multi-parameter ones append _k (CPE1_0 is Q,
 * CPE1_1 is α; Wo1_0 is R, Wo1_1 is τ).
 */

export type ElementType = 'R' | 'C' | 'L' | 'CPE' | 'W' | 'Wo' | 'Ws';

/** How a parameter is kept in range while fitting (fit.ts): positive → log, fraction → logistic. */
export type ParamDomain = 'positive' | 'fraction';

interface ElementSpec {
  description: string;
  params: { symbol: string; unit: string; domain: ParamDomain }[];
}

/** Units are those of the impedance expressions in impedance-model.ts. */
export const ELEMENT_SPECS: Readonly<Record<ElementType, ElementSpec>> = {
  R: { description: 'resistor', params: [{ symbol: 'R', unit: 'Ω', domain: 'positive' }] },
  C: { description: 'capacitor', params: [{ symbol: 'C', unit: 'F', domain: 'positive' }] },
  L: { description: 'inductor', params: [{ symbol: 'L', unit: 'H', domain: 'positive' }] },
  CPE: {
    description: 'constant-phase element',
    params: [
      { symbol: 'Q', unit: 'F·s^(α−1)', domain: 'positive' },
      { symbol: 'α', unit: '', domain: 'fraction' },
    ],
  },
  W: { description: 'semi-infinite Warburg', params: [{ symbol: 'Aw', unit: 'Ω·s^-½', domain: 'positive' }] },
  Wo: {
    description: 'finite-length Warburg, open (reflective) boundary',
    params: [
      { symbol: 'R', unit: 'Ω', domain: 'positive' },
      { symbol: 'τ', unit: 's', domain: 'positive' },
    ],
  },
  Ws: {
    description: 'finite-length Warburg, short (transmissive) boundary',
    params: [
      { symbol: 'R', unit: 'Ω', domain: 'positive' },
      { symbol: 'τ', unit: 's', domain: 'positive' },
    ],
  },
};

const ELEMENT_TYPES = Object.keys(ELEMENT_SPECS) as ElementType[];

export interface ElementInstance {
  type: ElementType;
  /** e.g. 'CPE1'. */
  name: string;
  /** Index of its first parameter in the circuit's parameter vector. */
  paramOffset: number;
}

export type CircuitNode =
  | { kind: 'element'; element: ElementInstance }
  | { kind: 'series'; children: CircuitNode[] }
  | { kind: 'parallel'; children: CircuitNode[] };

export interface CircuitParam {
  /** impedance.py-style name: 'R0', 'CPE1_0', 'Wo1_1'. */
  name: string;
  /** Human label: 'CPE1 Q', 'Wo1 τ'. */
  label: string;
  unit: string;
  domain: ParamDomain;
  element: string;
  elementType: ElementType;
  /** Position within its element. */
  index: number;
}

export interface Circuit {
  /** The string as given. */
  source: string;
  /** Canonical form with every instance numbered, e.g. 'R0-p(R1,CPE1)-W2'. */
  canonical: string;
  root: CircuitNode;
  elements: ElementInstance[];
  params: CircuitParam[];
}

export class CircuitParseError extends Error {
  override readonly name = 'CircuitParseError';
  constructor(
    readonly circuit: string,
    /** 0-based character position of the problem. */
    readonly position: number,
    readonly expected: string,
  ) {
    super(`circuit "${circuit}" at character ${position + 1}: expected ${expected}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Tokens

type Token =
  | { t: 'elem'; type: ElementType; number: number | null; pos: number; text: string }
  | { t: 'p('; pos: number }
  | { t: '-' | ',' | ')'; pos: number }
  | { t: 'end'; pos: number };

/** Longest-first, so 'Wo' wins over 'W' and 'CPE' over 'C'. */
const TYPES_BY_LENGTH = [...ELEMENT_TYPES].sort((a, b) => b.length - a.length);

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === '-' || ch === ',' || ch === ')') {
      out.push({ t: ch, pos: i });
      i++;
      continue;
    }
    if (ch === '(') throw new CircuitParseError(src, i, "an element or 'p(' (a bare '(' is not a group; write p(a, b) for parallel)");
    if (ch === 'p') {
      let j = i + 1;
      while (j < src.length && /\s/.test(src[j]!)) j++;
      if (src[j] === '(') {
        out.push({ t: 'p(', pos: i });
        i = j + 1;
        continue;
      }
      throw new CircuitParseError(src, i, "'(' after 'p' (parallel group p(a, b))");
    }
    if (/[A-Za-z]/.test(ch)) {
      let j = i;
      while (j < src.length && /[A-Za-z]/.test(src[j]!)) j++;
      const letters = src.slice(i, j);
      const type = TYPES_BY_LENGTH.find((t) => t === letters);
      if (!type) {
        throw new CircuitParseError(src, i, `an element type (${ELEMENT_TYPES.join(', ')}), got "${letters}"`);
      }
      let k = j;
      while (k < src.length && /[0-9]/.test(src[k]!)) k++;
      if (k < src.length && /[A-Za-z_]/.test(src[k]!)) {
        throw new CircuitParseError(src, k, `'-', ',' or ')' after element "${src.slice(i, k)}"`);
      }
      const number = k > j ? Number(src.slice(j, k)) : null;
      out.push({ t: 'elem', type, number, pos: i, text: src.slice(i, k) });
      i = k;
      continue;
    }
    throw new CircuitParseError(src, i, `an element, '-', ',', 'p(' or ')', got "${ch}"`);
  }
  out.push({ t: 'end', pos: src.length });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Recursive descent:  series := term ('-' term)* ;  term := element | 'p(' series (',' series)+ ')'

interface RawElement {
  type: ElementType;
  number: number | null;
  pos: number;
  stage: number;
  instance?: ElementInstance;
}
type RawNode = { kind: 'element'; raw: RawElement } | { kind: 'series' | 'parallel'; children: RawNode[] };

function parseTokens(src: string, tokens: Token[]): { root: RawNode; raws: RawElement[] } {
  let k = 0;
  const raws: RawElement[] = [];
  const peek = () => tokens[k]!;
  let stage = 0;

  function series(depth: number): RawNode {
    const children: RawNode[] = [term(depth)];
    while (peek().t === '-') {
      k++;
      if (depth === 0) stage++;
      children.push(term(depth));
    }
    return children.length === 1 ? children[0]! : { kind: 'series', children };
  }

  function term(depth: number): RawNode {
    const tok = peek();
    if (tok.t === 'elem') {
      k++;
      const raw: RawElement = { type: tok.type, number: tok.number, pos: tok.pos, stage };
      raws.push(raw);
      return { kind: 'element', raw };
    }
    if (tok.t === 'p(') {
      k++;
      const children: RawNode[] = [series(depth + 1)];
      while (peek().t === ',') {
        k++;
        children.push(series(depth + 1));
      }
      const close = peek();
      if (close.t !== ')') throw new CircuitParseError(src, close.pos, close.t === 'end' ? "')' to close the parallel group (string ended)" : "',' or ')' in the parallel group");
      k++;
      if (children.length < 2) throw new CircuitParseError(src, tok.pos, 'at least two branches in p(…), separated by commas');
      return { kind: 'parallel', children };
    }
    if (tok.t === 'end') throw new CircuitParseError(src, tok.pos, 'an element or p(…) (string ended)');
    throw new CircuitParseError(src, tok.pos, `an element or p(…), got '${tok.t}'`);
  }

  if (peek().t === 'end') throw new CircuitParseError(src, 0, 'a non-empty circuit');
  const root = series(0);
  const rest = peek();
  if (rest.t !== 'end') {
    throw new CircuitParseError(src, rest.pos, rest.t === ')' ? "no ')' here (unbalanced parenthesis)" : rest.t === ',' ? "no ',' outside p(…)" : "'-' or the end of the circuit");
  }
  return { root, raws };
}

function canonicalOf(node: CircuitNode): string {
  if (node.kind === 'element') return node.element.name;
  if (node.kind === 'series') return node.children.map(canonicalOf).join('-');
  return `p(${node.children.map(canonicalOf).join(',')})`;
}

/** Parse a circuit string; throws CircuitParseError with the position and what was expected. */
export function parseCircuit(source: string): Circuit {
  if (typeof source !== 'string') throw new CircuitParseError(String(source), 0, 'a circuit string');
  const tokens = tokenize(source);
  const { root, raws } = parseTokens(source, tokens);

  // Names: explicit numbers first (and they must be unique), then the unnumbered ones.
  const used = new Set<string>();
  for (const r of raws) {
    if (r.number === null) continue;
    const name = `${r.type}${r.number}`;
    if (used.has(name)) throw new CircuitParseError(source, r.pos, `a unique element name ("${name}" is used twice)`);
    used.add(name);
  }
  const elements: ElementInstance[] = [];
  const params: CircuitParam[] = [];
  for (const r of raws) {
    let name: string;
    if (r.number !== null) name = `${r.type}${r.number}`;
    else {
      let n = r.stage;
      while (used.has(`${r.type}${n}`)) n++;
      name = `${r.type}${n}`;
      used.add(name);
    }
    const inst: ElementInstance = { type: r.type, name, paramOffset: params.length };
    r.instance = inst;
    elements.push(inst);
    const spec = ELEMENT_SPECS[r.type];
    spec.params.forEach((p, i) => {
      params.push({
        name: spec.params.length === 1 ? name : `${name}_${i}`,
        label: `${name} ${p.symbol}`,
        unit: p.unit,
        domain: p.domain,
        element: name,
        elementType: r.type,
        index: i,
      });
    });
  }
  const convert = (n: RawNode): CircuitNode =>
    n.kind === 'element' ? { kind: 'element', element: n.raw.instance! } : { kind: n.kind, children: n.children.map(convert) };
  const tree = convert(root);
  return { source, canonical: canonicalOf(tree), root: tree, elements, params };
}

/** Look up a parameter by impedance.py name ('CPE1_0') or label ('CPE1 Q'); -1 when absent. */
export function paramIndex(circuit: Circuit, name: string): number {
  const trimmed = name.trim();
  let i = circuit.params.findIndex((p) => p.name === trimmed);
  if (i < 0) i = circuit.params.findIndex((p) => p.label === trimmed);
  return i;
}
