import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backtickFence, htmlEscape, markdownEscape, oneLine, safeHref, slackValue } from './escape.ts';

test('oneLine: controls, line breaks and bidi overrides become visible escapes; long values are cut', () => {
  assert.equal(oneLine('a\nb\r\tc\u001b[31m\u202eexe.txt'), 'a\\nb\\r\\tc\\x1b[31m\\u202eexe.txt');
  assert.equal(oneLine('x'.repeat(10), 4), 'xxxx…');
});

test('slackValue: entities, mentions, formatting delimiters, leading quote', () => {
  assert.equal(slackValue('<!channel> & <@U123> <https://evil|click>', false), '&lt;!channel&gt; &amp; &lt;@\u2060U123&gt; &lt;https://evil|click&gt;');
  assert.equal(slackValue('@here @channel', false), '@\u2060here @\u2060channel');
  assert.equal(slackValue('*bold* _it_ ~s~ `c`', false), '\u2217bold\u2217 \u02cdit\u02cd \u223cs\u223c \u02cbc\u02cb');
  // Inside a word Slack does not format, so the real character stays.
  assert.equal(slackValue('shell_in_container', false), 'shell_in_container');
  assert.equal(slackValue('> quoted', false), '\u200b&gt; quoted');
  // In code only the backtick (ends the span) and the entities matter.
  assert.equal(slackValue('a`b *c* <!here>', true), 'a\u02cbb *c* &lt;!here&gt;');
});

test('html, markdown, fences, hrefs', () => {
  assert.equal(htmlEscape(`<img src=x onerror="a('b')">&`), '&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;');
  assert.equal(markdownEscape('*[x](y)* <b>'), '\\*\\[x\\]\\(y\\)\\* \\<b\\>');
  assert.equal(backtickFence('a``b', 1), '```');
  assert.equal(backtickFence('ab', 3), '```');
  assert.equal(safeHref('javascript:alert(1)'), undefined);
  assert.equal(safeHref('data:text/html,x'), undefined);
  assert.equal(safeHref('https://console.example/a b'), undefined);
  assert.equal(safeHref('https://console.example/x?a=1'), 'https://console.example/x?a=1');
});
