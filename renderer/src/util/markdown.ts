/**
 * Notes are markdown written by people — possibly by a collaborator whose project we opened.
 * Render with raw HTML disabled, then sanitise; links get rel=noopener and open nothing here.
 */
import MarkdownIt from 'markdown-it';
import DOMPurify from 'dompurify';

const md = new MarkdownIt({ html: false, linkify: true, typographer: true });

export function renderMarkdown(text: string): string {
  const html = md.render(text ?? '');
  return DOMPurify.sanitize(html, {
    ALLOWED_TAGS: ['p', 'em', 'strong', 'code', 'pre', 'ul', 'ol', 'li', 'a', 'h1', 'h2', 'h3', 'h4', 'blockquote', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'hr', 'br', 'sub', 'sup', 'del'],
    ALLOWED_ATTR: ['href', 'title'],
    ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|#)/i,
  });
}
