/**
 * Binary framing for browser mode: a JSON header and one ArrayBuffer in a single HTTP body, so
 * arrays never travel as JSON numbers (issue #2: "Binary payloads travel as ArrayBuffers").
 * Layout: 'IPF1' | u32 LE header length | header UTF-8 | zero pad to 8 | payload bytes.
 * Pure: runs in Node and in the browser.
 */
const MAGIC = [0x49, 0x50, 0x46, 0x31];
export const FRAME_CONTENT_TYPE = 'application/x-interphase-frame';

export function encodeFrame(header: unknown, payload: ArrayBuffer | ArrayBufferView): Uint8Array {
  const head = new TextEncoder().encode(JSON.stringify(header));
  const start = Math.ceil((8 + head.length) / 8) * 8;
  const bytes =
    payload instanceof ArrayBuffer ? new Uint8Array(payload) : new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
  const out = new Uint8Array(start + bytes.length);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(4, head.length, true);
  out.set(head, 8);
  out.set(bytes, start);
  return out;
}

export function decodeFrame<H>(buf: ArrayBuffer | Uint8Array): { header: H; payload: ArrayBuffer } {
  const u8 = buf instanceof Uint8Array ? buf : new Uint8Array(buf);
  if (u8.length < 8 || MAGIC.some((m, i) => u8[i] !== m)) throw new Error('not an Interphase binary frame');
  const len = new DataView(u8.buffer, u8.byteOffset, 8).getUint32(4, true);
  if (8 + len > u8.length) throw new Error('binary frame header exceeds the body');
  const header = JSON.parse(new TextDecoder().decode(u8.subarray(8, 8 + len))) as H;
  const start = Math.ceil((8 + len) / 8) * 8;
  // Copy into a fresh, aligned ArrayBuffer so typed views of any width are valid. (Not u8.slice:
  // on a Node Buffer slice() is a view, and its .buffer is the whole shared pool.)
  const payload = new ArrayBuffer(u8.length - start);
  new Uint8Array(payload).set(u8.subarray(start));
  return { header, payload };
}
