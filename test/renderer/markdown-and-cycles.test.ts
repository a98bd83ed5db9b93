import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../renderer/src/util/markdown.js';
import { parseCycleList } from '../../renderer/src/plots/cycle-selection.js';
import { viridis } from '../../renderer/src/plots/colormap.js';

describe('notes from untrusted projects', () => {
  it('render markdown but never raw HTML, scripts or javascript: links', () => {
    const html = renderMarkdown('**cryo** lift-out <img src=x onerror=alert(1)> <script>alert(1)</script> [x](javascript:alert(1)) [ok](https://example.org)');
    expect(html).toContain('<strong>cryo</strong>');
    const div = document.createElement('div');
    div.innerHTML = html;
    expect(div.querySelectorAll('img, script, [onerror]')).toHaveLength(0);
    const hrefs = [...div.querySelectorAll('a')].map((a) => a.getAttribute('href'));
    expect(hrefs).toEqual(['https://example.org']);
  });
});

describe('parseCycleList', () => {
  const all = Array.from({ length: 600 }, (_, i) => i + 1);
  it('reads numbers, ranges and last', () => {
    expect(parseCycleList('1, 2, 100-102, last', all)).toEqual([1, 2, 100, 101, 102, 600]);
    expect(parseCycleList('all', [1, 2, 3])).toEqual([1, 2, 3]);
  });
  it('explains what it cannot read', () => {
    expect(parseCycleList('1, two', all)).toMatch(/cannot read 'two'/);
    expect(parseCycleList('900', all)).toMatch(/none of those cycles/);
  });
});

describe('viridis', () => {
  it('runs from purple to yellow', () => {
    expect(viridis(0)).toBe('rgb(68, 1, 84)');
    expect(viridis(1)).toBe('rgb(253, 231, 37)');
  });
});
