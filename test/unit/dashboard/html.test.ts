import { describe, expect, it } from 'vitest';
import { escapeHtml, html, jsonScript, raw } from '../../../src/http/dashboard/html.js';

describe('html templates', () => {
  it('escapes every interpolated string, including attribute quotes', () => {
    const name = `<script>alert("x")</script>' onmouseover='y`;
    const out = html`<p title="${name}">${name}</p>`.value;
    expect(out).not.toContain('<script>');
    expect(out).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onmouseover=&#39;y">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onmouseover=&#39;y</p>',
    );
  });

  it('keeps nested templates and raw markup, joins arrays and drops null, undefined and false', () => {
    const items = ['a&b', 'c'].map((x) => html`<li>${x}</li>`);
    expect(html`<ul>${items}</ul>${null}${undefined}${false}${raw('<hr>')}${0}`.value).toBe(
      '<ul><li>a&amp;b</li><li>c</li></ul><hr>0',
    );
  });

  it('writes JSON that cannot close its script element and parses back to the same data', () => {
    const data = { name: '</script><script>alert(1)</script>', amp: 'a&b', sep: 'x\u2028y' };
    const out = jsonScript('chart-1', data).value;
    expect(out.match(/<\/script>/g)).toHaveLength(1);
    const inner = out.slice(out.indexOf('>') + 1, out.lastIndexOf('</script>'));
    expect(JSON.parse(inner)).toEqual(data);
    expect(escapeHtml('`')).toBe('&#96;');
  });
});
