import { escapeHtml, html } from './console-html';

describe('the console HTML templates', () => {
  it.each([
    ['&', '&amp;'],
    ['<', '&lt;'],
    ['>', '&gt;'],
    ['"', '&quot;'],
    ["'", '&#39;'],
    ['<script>alert("x")</script>', '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'],
    ['Müller & Söhne', 'Müller &amp; Söhne'],
    ['plain text', 'plain text'],
  ])('escapes %p as %p', (text, escaped) => {
    expect(escapeHtml(text)).toBe(escaped);
  });

  it('escapes every value put into a template, in text and in quoted attributes', () => {
    const name = '<script>alert(1)</script>';
    const attribute = '" onmouseover="alert(1)';
    expect(html`<td title="${attribute}">${name}</td>`.text).toBe('<td title="&quot; onmouseover=&quot;alert(1)">&lt;script&gt;alert(1)&lt;/script&gt;</td>');
  });

  it('keeps HTML made by a template as it is, and escapes text that only looks like it', () => {
    const inner = html`<b>${'a<b'}</b>`;
    expect(html`<p>${inner}</p>`.text).toBe('<p><b>a&lt;b</b></p>');
    expect(html`<p>${inner.text}</p>`.text).toBe('<p>&lt;b&gt;a&amp;lt;b&lt;/b&gt;</p>');
    // Only what `html` made is kept as HTML: an object that merely looks like it is text.
    expect(html`<p>${{ text: '<i>forged</i>' }}</p>`.text).not.toContain('<i>');
  });

  it('joins arrays, writes numbers, and leaves out false, true, null and undefined', () => {
    const items = ['<a>', 'b'].map((item) => html`<li>${item}</li>`);
    expect(html`<ul>${items}</ul>`.text).toBe('<ul><li>&lt;a&gt;</li><li>b</li></ul>');
    expect(html`${0} ${1.5} ${false}${true}${null}${undefined}|`.text).toBe('0 1.5 |');
    expect(html`${[['nested', ['<deep>']]]}`.text).toBe('nested&lt;deep&gt;');
  });
});
