import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTemplate } from './markdown.ts';

test('placeholders become nodes in text, code spans, code blocks and link targets', () => {
  const t = parseTemplate('**{{signal.rule.id}}** on `{{signal.pod.namespace}}/{{ signal.pod.name }}`\n[x](https://c/{{signal.name}})\n```\n{{signal.inspect}}\n```');
  assert.deepEqual(t.vars, ['signal.rule.id', 'signal.pod.namespace', 'signal.pod.name', 'signal.name', 'signal.inspect']);
  const [p, pre] = t.blocks;
  assert.equal(p?.t, 'p');
  assert.deepEqual(p?.t === 'p' && p.c[0], { t: 'strong', c: [{ t: 'var', path: 'signal.rule.id' }] });
  assert.deepEqual(p?.t === 'p' && p.c[2], {
    t: 'code', c: [{ t: 'var', path: 'signal.pod.namespace' }, { t: 'text', v: '/' }, { t: 'var', path: 'signal.pod.name' }],
  });
  assert.deepEqual(pre, { t: 'pre', c: [{ t: 'var', path: 'signal.inspect' }] });
});

test('blocks: headings, lists, quotes, rules, paragraphs with line breaks', () => {
  const t = parseTemplate('# Title\n\n- a\n- b\n  more\n\n1. one\n2. two\n\n> quoted *em*\n\n---\nline one\nline two');
  assert.deepEqual(t.blocks.map((b) => b.t), ['heading', 'list', 'list', 'quote', 'hr', 'p']);
  const list = t.blocks[1];
  assert.ok(list?.t === 'list' && !list.ordered && list.items.length === 2);
  assert.deepEqual(list.items[1], [{ t: 'text', v: 'b' }, { t: 'br' }, { t: 'text', v: 'more' }]);
  const ol = t.blocks[2];
  assert.ok(ol?.t === 'list' && ol.ordered && ol.start === 1);
  const p = t.blocks[5];
  assert.deepEqual(p?.t === 'p' && p.c, [{ t: 'text', v: 'line one' }, { t: 'br' }, { t: 'text', v: 'line two' }]);
});

test('intraword underscores and unmatched delimiters stay text; backslash escapes are literal', () => {
  const t = parseTemplate('shell_in_container 2 * 3 \\*not em\\* _em_ ~~gone~~ `a`b');
  const p = t.blocks[0];
  assert.ok(p?.t === 'p');
  assert.deepEqual(p.c, [
    { t: 'text', v: 'shell_in_container 2 * 3 *not em* ' },
    { t: 'em', c: [{ t: 'text', v: 'em' }] },
    { t: 'text', v: ' ' },
    { t: 'strike', c: [{ t: 'text', v: 'gone' }] },
    { t: 'text', v: ' ' },
    { t: 'code', c: [{ t: 'text', v: 'a' }] },
    { t: 'text', v: 'b' },
  ]);
});

test('a placeholder inside emphasis delimiters does not end them early', () => {
  const t = parseTemplate('*{{signal.process.path}}* and <https://x.example/a>');
  const p = t.blocks[0];
  assert.ok(p?.t === 'p');
  assert.deepEqual(p.c[0], { t: 'em', c: [{ t: 'var', path: 'signal.process.path' }] });
  assert.deepEqual(p.c[2], { t: 'link', href: [{ t: 'text', v: 'https://x.example/a' }], c: [{ t: 'text', v: 'https://x.example/a' }] });
});
