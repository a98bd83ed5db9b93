/**
 * XML character and predefined entity references (XML 1.0 §4.1, §4.6): &lt; &gt; &amp; &quot;
 * &apos; and &#…; / &#x…;. Other names are left as written (no DTD is ever read). A numeric
 * reference outside Unicode decodes to nothing rather than throwing: these strings come from
 * collaborators' files (xlsx sheets, Neware XML, TIA .emi), and a bad reference is not a crash.
 */
const NAMED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

export function decodeXmlEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|lt|gt|amp|quot|apos);/g, (_, e: string) => {
    const named = NAMED[e];
    if (named !== undefined) return named;
    const code = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    return code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '';
  });
}
