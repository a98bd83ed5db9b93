/**
 * A small, bounded XML scanner for the metadata members of an .ndax (TestInfo.xml, Step.xml,
 * VersionInfo.xml …). These files carry everything in attributes (`<TestInfo ChlID="14" …/>`), so
 * the scanner keeps elements and attributes and the text of leaf elements, and nothing else: no
 * DTDs, no entities beyond the five predefined ones and numeric references (so no entity
 * expansion attacks), hard caps on element count and depth.
 */
import type { MetaTree, MetaValue } from '../../api/dataset.js';
import { decodeXmlEntities } from '../xml-entities.js';

export const MAX_XML_ELEMENTS = 200_000;
export const MAX_XML_DEPTH = 64;

interface Element {
  name: string;
  attrs: Record<string, string>;
  children: Element[];
  text: string;
}

/** Decode the declared encoding (Neware writes GB2312); fall back to Latin-1. */
export function decodeXml(bytes: Uint8Array): string {
  const head = String.fromCharCode(...bytes.subarray(0, Math.min(200, bytes.length)));
  const enc = /encoding\s*=\s*["']([A-Za-z0-9_-]+)["']/.exec(head)?.[1]?.toLowerCase() ?? 'utf-8';
  const label = enc === 'gb2312' || enc === 'gbk' ? 'gb18030' : enc;
  try {
    return new TextDecoder(label, { fatal: true }).decode(bytes);
  } catch {
    try {
      return new TextDecoder(label).decode(bytes);
    } catch {
      let s = '';
      for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
      return s;
    }
  }
}


const ATTR = /([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*("([^"]*)"|'([^']*)')/g;

/** Parse into an element tree; returns null when the text is not well-formed enough to use. */
function parseElements(text: string): Element | null {
  const root: Element = { name: '#root', attrs: {}, children: [], text: '' };
  const stack: Element[] = [root];
  let count = 0;
  let i = 0;
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    if (lt < 0) break;
    if (lt > i) {
      const top = stack[stack.length - 1]!;
      const t = text.slice(i, lt).trim();
      if (t) top.text += decodeXmlEntities(t);
    }
    if (text.startsWith('<?', lt)) {
      const e = text.indexOf('?>', lt);
      if (e < 0) return null;
      i = e + 2;
      continue;
    }
    if (text.startsWith('<!--', lt)) {
      const e = text.indexOf('-->', lt);
      if (e < 0) return null;
      i = e + 3;
      continue;
    }
    if (text.startsWith('<![CDATA[', lt)) {
      const e = text.indexOf(']]>', lt);
      if (e < 0) return null;
      stack[stack.length - 1]!.text += text.slice(lt + 9, e);
      i = e + 3;
      continue;
    }
    if (text.startsWith('<!', lt)) {
      // DOCTYPE and friends: skipped, never interpreted.
      const e = text.indexOf('>', lt);
      if (e < 0) return null;
      i = e + 1;
      continue;
    }
    const gt = text.indexOf('>', lt);
    if (gt < 0) return null;
    const body = text.slice(lt + 1, gt);
    i = gt + 1;
    if (body.startsWith('/')) {
      const name = body.slice(1).trim();
      if (stack.length > 1 && stack[stack.length - 1]!.name === name) stack.pop();
      else return null;
      continue;
    }
    const selfClosing = body.endsWith('/');
    const inner = selfClosing ? body.slice(0, -1) : body;
    const m = /^([A-Za-z_:][-A-Za-z0-9_:.]*)/.exec(inner);
    if (!m) return null;
    const el: Element = { name: m[1]!, attrs: {}, children: [], text: '' };
    ATTR.lastIndex = m[1]!.length;
    for (let a = ATTR.exec(inner); a; a = ATTR.exec(inner)) el.attrs[a[1]!] = decodeXmlEntities(a[3] ?? a[4] ?? '');
    if (++count > MAX_XML_ELEMENTS) return null;
    stack[stack.length - 1]!.children.push(el);
    if (!selfClosing) {
      stack.push(el);
      if (stack.length > MAX_XML_DEPTH) return null;
    }
  }
  return stack.length === 1 ? root : null;
}

function toMeta(el: Element): MetaValue {
  const out: { [k: string]: MetaValue } = {};
  for (const [k, v] of Object.entries(el.attrs)) out[k] = v;
  for (const c of el.children) {
    const v = toMeta(c);
    const prev = out[c.name];
    if (prev === undefined) out[c.name] = v;
    else if (Array.isArray(prev) && repeated.has(prev)) prev.push(v);
    else {
      const arr: MetaValue[] = [prev, v];
      repeated.add(arr);
      out[c.name] = arr;
    }
  }
  if (el.text) {
    if (Object.keys(out).length === 0) return el.text;
    out['#text'] = el.text;
  }
  return out;
}
/** Arrays made for repeated elements (so an attribute value is never mistaken for one). */
const repeated = new WeakSet<MetaValue[]>();

/** XML text → MetaTree (attributes and child elements as keys), or null when malformed. */
export function xmlToMeta(text: string): MetaTree | null {
  const root = parseElements(text);
  if (!root) return null;
  const v = toMeta(root);
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : null;
}

/** All elements (depth-first) whose name matches, with their attributes — for TestInfo's Aux* entries. */
export function findElements(text: string, match: (name: string) => boolean): { name: string; attrs: Record<string, string> }[] {
  const root = parseElements(text);
  const out: { name: string; attrs: Record<string, string> }[] = [];
  const walk = (e: Element): void => {
    for (const c of e.children) {
      if (match(c.name)) out.push({ name: c.name, attrs: c.attrs });
      walk(c);
    }
  };
  if (root) walk(root);
  return out;
}
