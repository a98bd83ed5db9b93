/**
 * TIA .emi metadata: the file is a binary container; the useful metadata are XML documents
 * delimited by <ObjectInfo> … </ObjectInfo> (one per acquired object, in .ser order — the n-th
 * block describes <name>_n.ser, as rosettasciio pairs them). They are scanned in bounded chunks
 * and parsed by a small XML reader (elements, text, entities; no DTDs, nothing executed).
 */
import type { MetaTree, MetaValue } from '../../api/dataset.js';
import type { FileSource } from '../file-source.js';
import { FormatError } from '../format-error.js';
import { TIA_ID } from './spec.js';
import { decodeXmlEntities } from '../xml-entities.js';

/** Bound on the bytes scanned and on one ObjectInfo block. */
const MAX_SCAN_BYTES = 256 << 20;
const MAX_BLOCK_BYTES = 8 << 20;
const CHUNK = 1 << 20;

const OPEN = '<ObjectInfo>';
const CLOSE = '</ObjectInfo>';

function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
}

/** Find every <ObjectInfo> block (as UTF-8 text) in the .emi. */
export async function findObjectInfoBlocks(src: FileSource): Promise<string[]> {
  const limit = Math.min(src.size, MAX_SCAN_BYTES);
  const blocks: string[] = [];
  let carry = '';
  let carryStart = 0;
  for (let off = 0; off < limit; off += CHUNK) {
    const chunk = await src.read(off, Math.min(CHUNK, limit - off));
    let text = carry + latin1(chunk);
    let base = carryStart;
    for (;;) {
      const i = text.indexOf(OPEN);
      if (i < 0) {
        // Keep a tail in case a tag straddles the chunk boundary.
        const keep = Math.min(text.length, OPEN.length - 1);
        carry = text.slice(text.length - keep);
        carryStart = base + text.length - keep;
        break;
      }
      const j = text.indexOf(CLOSE, i);
      if (j < 0) {
        if (text.length - i > MAX_BLOCK_BYTES) throw new FormatError(src.name, base + i, `</ObjectInfo> within ${MAX_BLOCK_BYTES} bytes`, TIA_ID);
        carry = text.slice(i);
        carryStart = base + i;
        break;
      }
      const raw = text.slice(i, j + CLOSE.length);
      blocks.push(new TextDecoder('utf-8').decode(Uint8Array.from(raw, (c) => c.charCodeAt(0))));
      text = text.slice(j + CLOSE.length);
      base += j + CLOSE.length;
    }
  }
  return blocks;
}

interface XmlElement {
  name: string;
  children: XmlElement[];
  text: string;
}


/** Parse a small XML document; malformed input raises FormatError at the block's offset. */
export function parseXml(xml: string, file: string): XmlElement {
  const root: XmlElement = { name: '#root', children: [], text: '' };
  const stack: XmlElement[] = [root];
  const re = /<(\/?)([A-Za-z_][\w.:-]*)[^>]*?(\/?)>|<!--[\s\S]*?-->|<\?[\s\S]*?\?>|([^<]+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(xml))) {
    const top = stack[stack.length - 1]!;
    if (m[4] !== undefined) {
      top.text += decodeXmlEntities(m[4]);
    } else if (m[2] !== undefined) {
      if (m[1]) {
        if (top.name !== m[2] || stack.length === 1) throw new FormatError(file, null, `well-formed ObjectInfo XML (unexpected </${m[2]}> inside <${top.name}>)`, TIA_ID);
        stack.pop();
      } else {
        const el: XmlElement = { name: m[2], children: [], text: '' };
        top.children.push(el);
        if (!m[3]) {
          if (stack.length > 64) throw new FormatError(file, null, 'ObjectInfo XML nested at most 64 deep', TIA_ID);
          stack.push(el);
        }
      }
    }
  }
  if (stack.length !== 1) throw new FormatError(file, null, `well-formed ObjectInfo XML (<${stack[stack.length - 1]!.name}> not closed)`, TIA_ID);
  return root;
}

/** Element → JSON: leaves become text; repeated child names become arrays. */
function toMeta(el: XmlElement): MetaValue {
  if (el.children.length === 0) return el.text.trim();
  const groups = new Map<string, MetaValue[]>();
  for (const c of el.children) {
    const g = groups.get(c.name) ?? [];
    g.push(toMeta(c));
    groups.set(c.name, g);
  }
  const o: { [k: string]: MetaValue } = {};
  for (const [k, vs] of groups) o[k] = vs.length === 1 ? vs[0]! : vs;
  return o;
}

export interface EmiLabelled {
  value: string;
  unit: string;
}

export interface EmiObjectInfo {
  /** The ObjectInfo block as a JSON tree (ExperimentalDescription flattened to label → value/unit). */
  tree: MetaTree;
  /** ExperimentalDescription entries: label → value and unit, verbatim. */
  experimental: Record<string, EmiLabelled>;
}

export function parseObjectInfo(xml: string, file: string): EmiObjectInfo {
  const doc = parseXml(xml, file);
  const info = doc.children.find((c) => c.name === 'ObjectInfo');
  if (!info) throw new FormatError(file, null, 'an <ObjectInfo> root element', TIA_ID);
  const experimental: Record<string, EmiLabelled> = {};
  const tree: { [k: string]: MetaValue } = {};
  for (const c of info.children) {
    if (c.name === 'ExperimentalDescription') {
      const rootEl = c.children.find((x) => x.name === 'Root');
      const flat: { [k: string]: MetaValue } = {};
      for (const d of rootEl?.children ?? []) {
        if (d.name !== 'Data') continue;
        const get = (n: string): string => d.children.find((x) => x.name === n)?.text.trim() ?? '';
        const label = get('Label');
        if (!label) continue;
        experimental[label] = { value: get('Value'), unit: get('Unit') };
        flat[label] = { value: get('Value'), unit: get('Unit') };
      }
      tree.ExperimentalDescription = flat;
    } else {
      const v = toMeta(c);
      const prev = tree[c.name];
      tree[c.name] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
  }
  return { tree, experimental };
}
