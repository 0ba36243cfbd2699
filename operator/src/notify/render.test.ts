import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTemplate } from './markdown.ts';
import { render, type Values } from './render.ts';

const TEMPLATE = '# Alert\n**{{rule}}** on `{{pod}}`: {{name}}\n\n- [inspect]({{url}})\n\n```\n{{cmd}}\n```';
const HOSTILE = '*x* _y_ <!channel> @here `z` <b>bold</b> [l](javascript:1) & #h\n> q';
const values: Values = (p) => ({ rule: 'shell_in_container', pod: 'shop/web`x', name: HOSTILE, url: 'https://c.example/s?x=1&y=2', cmd: 'kubectl get `x`' })[p] ?? '';

test('slack mrkdwn: markup from the template, values inert', () => {
  const out = render(parseTemplate(TEMPLATE), 'slack', values);
  assert.equal(out, [
    '*Alert*',
    '',
    '*shell_in_container* on `shop/web\u02cbx`: \u2217x\u2217 \u02cdy\u02cd &lt;!channel&gt; @\u2060here \u02cbz\u02cb &lt;b&gt;bold&lt;/b&gt; [l](javascript:1) &amp; #h\\n&gt; q',
    '',
    '• <https://c.example/s?x=1&amp;y=2|inspect>',
    '',
    '```\nkubectl get \u02cbx\u02cb\n```',
  ].join('\n'));
  assert.doesNotMatch(out, /<!channel>|<b>|@here/);
});

test('html: values escaped, links only for safe targets', () => {
  const out = render(parseTemplate(TEMPLATE), 'html', values);
  assert.match(out, /^<h1>Alert<\/h1>\n<p><strong>shell_in_container<\/strong> on <code>shop\/web`x<\/code>: /);
  assert.match(out, /&lt;b&gt;bold&lt;\/b&gt;/);
  assert.match(out, /<a href="https:\/\/c.example\/s\?x=1&amp;y=2">inspect<\/a>/);
  assert.doesNotMatch(out, /<b>|\n> q/);
  const evil = render(parseTemplate('[a]({{u}})'), 'html', () => 'javascript:alert(1)');
  assert.equal(evil, '<p>a</p>');
});

test('markdown: values backslash-escaped, code spans fenced longer than their content', () => {
  const out = render(parseTemplate(TEMPLATE), 'markdown', values);
  assert.ok(out.includes('**shell\\_in\\_container** on ``shop/web`x``\\: \\*x\\* \\_y\\_ \\<\\!channel\\> \\@here \\`z\\`'), out);
  assert.match(out, /\\#h\\\\n\\> q/);
});

test('text: no markup, one line per value', () => {
  const out = render(parseTemplate(TEMPLATE), 'text', values);
  assert.equal(out.split('\n')[2], `shell_in_container on shop/web\`x: *x* _y_ <!channel> @here \`z\` <b>bold</b> [l](javascript:1) & #h\\n> q`);
  assert.match(out, /- inspect \(https:\/\/c.example\/s\?x=1&y=2\)/);
  assert.match(out, /\n {4}kubectl get `x`$/);
});

test('a link target placeholder after the origin is percent-encoded', () => {
  const out = render(parseTemplate('[s](https://c.example/signals/{{ns}}/{{name}})'), 'html', (p) => (p === 'ns' ? 'a/../b' : 'x?y#z'));
  assert.equal(out, '<p><a href="https://c.example/signals/a%2F..%2Fb/x%3Fy%23z">s</a></p>');
});
