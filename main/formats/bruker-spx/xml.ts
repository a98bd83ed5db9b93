/**
 * A small, bounded XML scanner for Bruker Esprit files (.spx, and the header of .bcf). Bruker's
 * XML is plain: elements, attributes, text, an XML declaration, occasionally comments or CDATA.
 * This scanner builds an element tree and nothing more — no DTD, no external entities, no
 * namespaces — so a hostile file cannot make it fetch, expand or recurse without bound
 * ("billion laughs" needs entity definitions, which are refused). Depth and node count are capped;
 * every error is a FormatError with the byte offset (character offsets of the decoded text equal
 * byte offsets for the single-byte encodings Esprit writes; for UTF-8 input the offset is that of
 * the decoded character and is labelled so).
 */
import { FormatError } from '../format-error.js';

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Concatenated character data directly inside this element (entities decoded). */
  text: string;
  /** Offset of '<' in the decoded text. */
  offset: number;
}

export interface XmlLimits {
  maxDepth: number;
  maxNodes: number;
}

const DEFAULT_LIMITS: XmlLimits = { maxDepth: 256, maxNodes: 2_000_000 };

const CP1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];

/** Decode by the XML declaration's encoding: Esprit writes WINDOWS-1252; UTF-8 otherwise. */
export function decodeXml(bytes: Uint8Array): string {
  let start = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  let decl = '';
  for (let i = start; i < Math.min(bytes.length, start + 200); i++) {
    decl += String.fromCharCode(bytes[i]!);
    if (bytes[i] === 0x3e) break;
  }
  const enc = /encoding\s*=\s*["']([^"']+)["']/i.exec(decl)?.[1]?.toLowerCase() ?? 'utf-8';
  if (enc === 'utf-8' || enc === 'utf8') return new TextDecoder('utf-8').decode(bytes.subarray(start));
  // windows-1252 / iso-8859-1: one byte per character (0x80–0x9F per Windows-1252).
  const parts: string[] = [];
  const CHUNK = 8192;
  for (let i = start; i < bytes.length; i += CHUNK) {
    const end = Math.min(bytes.length, i + CHUNK);
    const codes = new Array<number>(end - i);
    for (let j = i; j < end; j++) {
      const b = bytes[j]!;
      codes[j - i] = enc !== 'iso-8859-1' && b >= 0x80 && b <= 0x9f ? CP1252_HIGH[b - 0x80]! : b;
    }
    parts.push(String.fromCharCode(...codes));
  }
  return parts.join('');
}

const NAME_START = /[A-Za-z_:\u00c0-\uffff]/;
const NAME_CHAR = /[A-Za-z0-9_:.\-\u00b7\u00c0-\uffff]/;

function decodeEntities(s: string, file: string, base: number): string {
  if (s.indexOf('&') < 0) return s;
  return s.replace(/&([^;&\s]{1,12});|&/g, (m, name: string | undefined, at: number) => {
    if (name === undefined) throw new FormatError(file, base + at, "an entity reference after '&'");
    switch (name) {
      case 'lt': return '<';
      case 'gt': return '>';
      case 'amp': return '&';
      case 'quot': return '"';
      case 'apos': return "'";
    }
    const code = /^#x([0-9a-fA-F]{1,6})$/.exec(name) ? parseInt(name.slice(2), 16) : /^#([0-9]{1,7})$/.exec(name) ? parseInt(name.slice(1), 10) : NaN;
    if (Number.isFinite(code) && code > 0 && code <= 0x10ffff) return String.fromCodePoint(code);
    throw new FormatError(file, base + at, `a predefined or numeric entity (found "${m.slice(0, 16)}")`);
  });
}

export function parseXml(text: string, file: string, limits: Partial<XmlLimits> = {}): XmlElement {
  const { maxDepth, maxNodes } = { ...DEFAULT_LIMITS, ...limits };
  const n = text.length;
  let i = 0;
  let nodes = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const textParts = new Map<XmlElement, string[]>();

  const fail = (at: number, expected: string): never => {
    throw new FormatError(file, at, expected);
  };
  const readName = (): string => {
    const s = i;
    if (i >= n || !NAME_START.test(text[i]!)) fail(i, 'an XML name');
    i++;
    while (i < n && NAME_CHAR.test(text[i]!)) i++;
    return text.slice(s, i);
  };
  const skipWs = (): void => {
    while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const addText = (s: string, at: number): void => {
    const top = stack[stack.length - 1];
    if (!top) {
      if (s.trim().length) fail(at, 'markup, not text, outside the root element');
      return;
    }
    let parts = textParts.get(top);
    if (!parts) textParts.set(top, (parts = []));
    parts.push(s);
  };

  while (i < n) {
    const lt = text.indexOf('<', i);
    if (lt < 0) {
      addText(decodeEntities(text.slice(i), file, i), i);
      break;
    }
    if (lt > i) addText(decodeEntities(text.slice(i, lt), file, i), i);
    i = lt;
    if (text.startsWith('<?', i)) {
      const e = text.indexOf('?>', i + 2);
      if (e < 0) fail(i, "'?>' closing the processing instruction");
      i = e + 2;
    } else if (text.startsWith('<!--', i)) {
      const e = text.indexOf('-->', i + 4);
      if (e < 0) fail(i, "'-->' closing the comment");
      i = e + 3;
    } else if (text.startsWith('<![CDATA[', i)) {
      const e = text.indexOf(']]>', i + 9);
      if (e < 0) fail(i, "']]>' closing the CDATA section");
      addText(text.slice(i + 9, e), i);
      i = e + 3;
    } else if (text.startsWith('<!', i)) {
      // A DOCTYPE without an internal subset is skipped; entity definitions are refused.
      const e = text.indexOf('>', i);
      const decl = e < 0 ? '' : text.slice(i, e);
      if (e < 0 || decl.includes('[')) fail(i, 'no DTD internal subset (entity definitions are not supported)');
      i = e + 1;
    } else if (text.startsWith('</', i)) {
      const at = i;
      i += 2;
      const name = readName();
      skipWs();
      if (text[i] !== '>') fail(i, `'>' closing </${name}`);
      i++;
      const top = stack.pop();
      if (!top || top.name !== name) fail(at, `</${top ? top.name : '(no open element)'}> (found </${name}>)`);
      const parts = textParts.get(top!);
      if (parts) {
        top!.text = parts.join('');
        textParts.delete(top!);
      }
    } else {
      const at = i;
      i++;
      const name = readName();
      const el: XmlElement = { name, attrs: {}, children: [], text: '', offset: at };
      if (++nodes > maxNodes) fail(at, `at most ${maxNodes} elements`);
      for (;;) {
        skipWs();
        if (i >= n) fail(i, `'>' closing <${name}`);
        if (text[i] === '>' || text.startsWith('/>', i)) break;
        const an = readName();
        skipWs();
        if (text[i] !== '=') fail(i, `'=' after attribute ${an}`);
        i++;
        skipWs();
        const q = text[i];
        if (q !== '"' && q !== "'") fail(i, `a quoted value for attribute ${an}`);
        const e = text.indexOf(q!, i + 1);
        if (e < 0) fail(i, `the closing quote of attribute ${an}`);
        el.attrs[an] = decodeEntities(text.slice(i + 1, e), file, i + 1);
        i = e + 1;
      }
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(el);
      else if (root) fail(at, 'a single root element');
      else root = el;
      if (text[i] === '/') {
        i += 2;
      } else {
        i++;
        if (stack.length >= maxDepth) fail(at, `element nesting of at most ${maxDepth}`);
        stack.push(el);
      }
    }
  }
  if (stack.length) fail(n, `</${stack[stack.length - 1]!.name}> before the end of the file`);
  if (!root) fail(0, 'a root element');
  return root!;
}

/* ---------- navigation helpers ---------- */

export function child(el: XmlElement | undefined, name: string): XmlElement | undefined {
  return el?.children.find((c) => c.name === name);
}

/** The first child `<ClassInstance Type="…">` (Bruker's typed containers). */
export function classInstance(el: XmlElement | undefined, type: string, name?: string): XmlElement | undefined {
  return el?.children.find((c) => c.name === 'ClassInstance' && c.attrs.Type === type && (name === undefined || c.attrs.Name === name));
}

export function childText(el: XmlElement | undefined, name: string): string | undefined {
  const c = child(el, name);
  return c ? c.text.trim() : undefined;
}

/**
 * A scalar number from element text. Esprit on a Windows PC with a decimal-comma locale writes
 * "0,966497572879044" through MSXML (rosettasciio's sanitize_msxml_float documents the same);
 * a single comma between digits in a scalar field is a decimal mark.
 */
export function parseBrukerNumber(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  let t = s.trim();
  if (/^-?\d+,\d*([eE][-+]?\d+)?$/.test(t)) t = t.replace(',', '.');
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return undefined;
  const v = Number(t);
  return Number.isFinite(v) ? v : undefined;
}

export function childNumber(el: XmlElement | undefined, name: string): number | undefined {
  return parseBrukerNumber(childText(el, name));
}

/** The element tree as JSON for `original`: text leaves become numbers/strings; long text is cut. */
export function xmlToMeta(el: XmlElement, maxText = 4096): import('../../api/dataset.js').MetaValue {
  const out: { [k: string]: import('../../api/dataset.js').MetaValue } = {};
  for (const [k, v] of Object.entries(el.attrs)) out[`@${k}`] = v;
  if (el.children.length === 0) {
    const t = el.text.trim();
    const v = t.length > maxText ? `${t.slice(0, maxText)}… (${t.length} characters)` : t;
    if (Object.keys(out).length === 0) return parseBrukerNumber(v) ?? v;
    if (t) out['#text'] = v;
    return out;
  }
  for (const c of el.children) {
    const key = c.name === 'ClassInstance' && c.attrs.Type ? `ClassInstance[${c.attrs.Type}${c.attrs.Name ? `:${c.attrs.Name}` : ''}]` : c.name;
    const v = xmlToMeta(c, maxText);
    const prev = out[key];
    if (prev === undefined) out[key] = v;
    else if (Array.isArray(prev)) prev.push(v);
    else out[key] = [prev, v];
  }
  return out;
}
