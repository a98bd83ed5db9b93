import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame } from '../../../main/api/binary-frame.js';

describe('binary frames', () => {
  it('round-trips a header and an aligned payload', () => {
    const data = Float64Array.from([1.5, -2, Math.PI]);
    const frame = encodeFrame({ shape: [3], unit: 'V' }, data);
    const { header, payload } = decodeFrame<{ shape: number[]; unit: string }>(frame);
    expect(header).toEqual({ shape: [3], unit: 'V' });
    expect(Array.from(new Float64Array(payload))).toEqual([1.5, -2, Math.PI]);
  });

  it('copies only the payload when the frame is a view into a larger buffer (Node Buffer pool)', () => {
    const frame = encodeFrame({ a: 1 }, new Uint8Array([9, 8, 7]));
    const pool = new Uint8Array(frame.length + 100);
    pool.set(frame, 37);
    const view = Buffer.from(pool.buffer, 37, frame.length);
    const { payload } = decodeFrame(view);
    expect(payload.byteLength).toBe(3);
    expect(Array.from(new Uint8Array(payload))).toEqual([9, 8, 7]);
  });

  it('rejects what is not a frame', () => {
    expect(() => decodeFrame(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]))).toThrow(/not an Interphase binary frame/);
    const f = encodeFrame({ a: 1 }, new Uint8Array(0));
    new DataView(f.buffer).setUint32(4, 1e6, true);
    expect(() => decodeFrame(f)).toThrow(/exceeds/);
  });
});
