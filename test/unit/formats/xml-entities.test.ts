import { describe, expect, it } from 'vitest';
import { decodeXmlEntities } from '../../../main/formats/xml-entities.js';

describe('XML entity references', () => {
  it('decodes the five predefined entities and numeric references, leaves other names alone', () => {
    expect(decodeXmlEntities('a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;')).toBe(`a <b> & "c" 'd'`);
    expect(decodeXmlEntities('&#181;m &#xB5;m &#x1F50B;')).toBe('µm µm 🔋');
    expect(decodeXmlEntities('&nbsp; &foo; & plain')).toBe('&nbsp; &foo; & plain');
  });

  it('turns a numeric reference outside Unicode into nothing instead of throwing', () => {
    expect(decodeXmlEntities('x&#x110000;y&#99999999;z')).toBe('xyz');
  });
});
