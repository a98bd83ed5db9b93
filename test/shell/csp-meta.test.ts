import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { CSP_META_CONTENT, CONTENT_SECURITY_POLICY } from '../../main/api/csp.js';

describe('renderer CSP', () => {
  it('index.html carries exactly the shared policy (file:// pages get no headers)', () => {
    const html = readFileSync('renderer/index.html', 'utf8');
    const m = /<meta http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html);
    expect(m?.[1]).toBe(CSP_META_CONTENT);
    expect(CONTENT_SECURITY_POLICY.startsWith("default-src 'none'")).toBe(true);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|\*/);
  });
});
