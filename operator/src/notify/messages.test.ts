import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  body, deliveryId, emailMessage, pagerDutyDedupKey, pagerDutyEvent, slackMessage, webhookPayload, type MessageContext,
} from './messages.ts';
import { EmailMessageSchema, PagerDutyEventSchema, SlackMessageSchema, WebhookPayloadSchema } from './payloads.ts';
import { makeSignal } from './testing.ts';

const ctx: MessageContext = { ruleName: 'page-on-high', now: new Date('2026-12-04T20:00:00Z') };
// A process named to break out of every dialect at once.
const HOSTILE = '/tmp/<!channel> *pwn* _x_ `id` <b>hi</b> [x](http://evil) @here\n> fake & more';

test('every channel message validates against its wire schema', () => {
  const s = makeSignal({ uid: 'u-1' });
  SlackMessageSchema.parse(slackMessage({ kind: 'signal', signal: s }, ctx));
  PagerDutyEventSchema.parse(pagerDutyEvent({ kind: 'signal', signal: s }, 'R0UTINGKEY', ctx));
  PagerDutyEventSchema.parse(pagerDutyEvent({ kind: 'resolve', signal: s }, 'R0UTINGKEY', ctx));
  EmailMessageSchema.parse(emailMessage({ kind: 'signal', signal: s }, 'vigil@example.com', ['oncall@example.com'], ctx));
  WebhookPayloadSchema.parse(webhookPayload({ kind: 'signal', signal: s }, 'webhook', ctx));
  WebhookPayloadSchema.parse(webhookPayload({ kind: 'resolve', signal: s }, 'webhook', ctx));
});

test('the default Slack message: header, mrkdwn section (verbatim), context', () => {
  const m = slackMessage({ kind: 'signal', signal: makeSignal() }, ctx);
  assert.deepEqual(m.blocks.map((b) => b.type), ['header', 'section', 'context']);
  const section = m.blocks[1];
  assert.ok(section?.type === 'section');
  assert.equal(section.text.verbatim, true);
  assert.match(section.text.text, /^\*shell_in_container\* on `shop\/web-7d9f8b6c4-x2x9z` \(node `worker-1`\)\n/);
  assert.match(section.text.text, /Inspect: `kubectl get signal shell-in-container-7f3a -n shop -o yaml`/);
  assert.equal(m.text, ':red_circle: HIGH: shell_in_container on shop/web-7d9f8b6c4-x2x9z');
});

test('a hostile process name is inert in every channel', () => {
  const s = makeSignal({ path: HOSTILE, args: [HOSTILE] });
  const slack = JSON.stringify(slackMessage({ kind: 'signal', signal: s }, { ...ctx, template: 'Process {{signal.process.path}} ran `{{signal.process.path}}`' }));
  assert.doesNotMatch(slack, /<!channel>|<b>|<http:\/\/evil/);
  // Outside code: delimiters become look-alikes, the mention is broken; inside code only the backtick.
  assert.ok(slack.includes('Process /tmp/&lt;!channel&gt; \u2217pwn\u2217 \u02cdx\u02cd \u02cbid\u02cb &lt;b&gt;hi&lt;/b&gt; [x](http://evil) @\u2060here\\\\n&gt; fake &amp; more ran `'), slack);
  assert.ok(slack.includes('ran `/tmp/&lt;!channel&gt; *pwn* _x_ \u02cbid\u02cb'), slack);
  const mail = emailMessage({ kind: 'signal', signal: s }, 'vigil@example.com', ['o@example.com'], ctx);
  assert.doesNotMatch(mail.html, /<b>hi|<!channel>|<a href="http:\/\/evil/);
  assert.match(mail.html, /&lt;b&gt;hi&lt;\/b&gt;/);
  assert.doesNotMatch(mail.subject, /[\r\n]/);
  const hook = webhookPayload({ kind: 'signal', signal: s }, 'webhook', ctx);
  assert.equal(hook.signal?.process.path, HOSTILE); // the data itself is kept exact
  // In a code span (default template): a fence longer than any backtick run inside.
  assert.ok(hook.markdown.includes('``/tmp/<!channel> *pwn* _x_ `id` <b>hi</b> [x](http://evil) @here\\n> fake & more``'), hook.markdown);
  const plain = webhookPayload({ kind: 'signal', signal: s }, 'webhook', { ...ctx, template: '{{signal.process.path}}' });
  assert.equal(plain.markdown, '\\/tmp\\/\\<\\!channel\\> \\*pwn\\* \\_x\\_ \\`id\\` \\<b\\>hi\\<\\/b\\> \\[x\\]\\(http\\:\\/\\/evil\\) \\@here\\\\n\\> fake \\& more');
  assert.doesNotMatch(hook.text, /\n> fake/);
  const pd = pagerDutyEvent({ kind: 'signal', signal: s }, 'k', ctx);
  assert.ok(pd.event_action === 'trigger' && !/\n/.test(pd.payload.summary));
});

test('PagerDuty: one dedup key per signal for trigger, repeats and resolve; severity mapped', () => {
  const s = makeSignal({ uid: 'u-42', severity: 'critical' });
  const t = pagerDutyEvent({ kind: 'signal', signal: s }, 'k', ctx);
  const r = pagerDutyEvent({ kind: 'resolve', signal: { ...s, status: { state: 'resolved', count: 3 } } }, 'k', ctx);
  assert.equal(t.dedup_key, 'vigil-signal-u-42');
  assert.equal(r.dedup_key, t.dedup_key);
  assert.deepEqual(Object.keys(r).sort(), ['dedup_key', 'event_action', 'routing_key']);
  assert.ok(t.event_action === 'trigger' && t.payload.severity === 'critical' && t.payload.source === 'shop/web-7d9f8b6c4-x2x9z');
  assert.equal(pagerDutyDedupKey('a', { kind: 'signal', signal: s }), pagerDutyDedupKey('b', { kind: 'signal', signal: s }));
});

test('digest: counts and lists the held signals; ids are stable', () => {
  const held = Array.from({ length: 30 }, (_, i) => makeSignal({ name: `sig-${i}`, uid: `u-${i}` }));
  const notice = { kind: 'digest' as const, digest: { ruleId: 'shell_in_container', workload: 'shop/web', from: '2026-12-04T20:00:00.000Z', to: '2026-12-04T20:10:00.000Z', signals: held } };
  const text = body(notice, 'slack', 'text', ctx);
  assert.match(text, /^30 more shell_in_container signals on shop\/web were held back/);
  assert.match(text, /- shop\/sig-19: \/usr\/bin\/bash at /);
  assert.match(text, /…and 10 more\.$/);
  const hook = webhookPayload(notice, 'webhook', ctx);
  assert.equal(hook.event, 'signal.digest');
  assert.equal(hook.digest?.count, 30);
  assert.equal(hook.digest?.signals.length, 20);
  assert.equal(deliveryId(ctx.ruleName, 'webhook', notice), hook.id);
  assert.notEqual(deliveryId(ctx.ruleName, 'slack', notice), hook.id);
  SlackMessageSchema.parse(slackMessage(notice, ctx));
});

test('a very long body is split into several sections within Block Kit limits', () => {
  const s = makeSignal({ args: Array.from({ length: 200 }, (_, i) => `arg-${i}-${'x'.repeat(20)}`) });
  const m = slackMessage({ kind: 'signal', signal: s }, { ...ctx, template: Array.from({ length: 20 }, () => '`{{signal.process.args}}`').join('\n') });
  const sections = m.blocks.filter((b) => b.type === 'section');
  assert.ok(sections.length > 1);
  for (const b of sections) assert.ok(b.type === 'section' && b.text.text.length <= 3000);
});
