import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Channel, SecretKeyRef } from '../api/index.ts';
import { channelRefs, deliver, type DeliverOptions } from './channels.ts';
import { DeliveryError } from './errors.ts';
import type { MessageContext } from './messages.ts';
import { EmailMessageSchema, PagerDutyEventSchema, SlackMessageSchema, WebhookPayloadSchema } from './payloads.ts';
import { makeSignal, selfSignedCert, startHttpReceiver, startSmtpReceiver, type HttpReceiver } from './testing.ts';

const secretValues: Record<string, string> = {
  'hook/key': 'hmac-secret', 'pd/key': 'R0UTING', 'smtp/password': 's3cret',
  'hook-headers/Authorization': 'Bearer t0ken', 'hook-headers/X-Tenant': 'blue', 'bad-headers/X-Vigil-Event': 'forged',
};
// Secrets as the Kubernetes reader returns them (KubeSecrets is tested against the apiserver in e2e).
const secrets = {
  async get(ref: SecretKeyRef) {
    const v = secretValues[`${ref.name}/${ref.key}`];
    if (v === undefined) throw new DeliveryError('secret_missing', `secret ${ref.name} not found`);
    return v;
  },
  async all(name: string) {
    const out = Object.fromEntries(Object.entries(secretValues).filter(([k]) => k.startsWith(`${name}/`)).map(([k, v]) => [k.slice(name.length + 1), v]));
    if (Object.keys(out).length === 0) throw new DeliveryError('secret_missing', `secret ${name} not found`);
    return out;
  },
};
const opts: DeliverOptions = { secrets, timeoutMs: 2000 };
const ctx = (): MessageContext => ({ ruleName: 'page-on-high', now: new Date() });
const notice = { kind: 'signal' as const, signal: makeSignal({ uid: 'u-1' }) };

let hook: HttpReceiver;
before(async () => {
  hook = await startHttpReceiver();
});
after(() => hook.close());

const only = (c: Channel) => channelRefs([c])[0]!;

test('channel ids: the kind, numbered from the second of a kind', () => {
  const ids = channelRefs([
    { webhook: { url: 'http://a' } }, { slack: { webhookSecretRef: { name: 's', key: 'u' } } }, { webhook: { url: 'http://b' } },
  ]).map((c) => c.id);
  assert.deepEqual(ids, ['webhook', 'slack', 'webhook-2']);
});

test('webhook: versioned JSON, delivery id, HMAC over timestamp and body, custom headers', async () => {
  const before = hook.requests.length;
  const receipt = await deliver(only({ webhook: { url: hook.url, secretRef: { name: 'hook', key: 'key' }, headers: { 'X-Team': 'sec' } } }), notice, ctx(), opts);
  assert.equal(receipt, 'HTTP 200');
  const r = hook.requests[before]!;
  const payload = WebhookPayloadSchema.parse(r.json);
  assert.equal(payload.event, 'signal.triggered');
  assert.equal(r.headers['x-vigil-delivery'], payload.id);
  assert.equal(r.headers['x-team'], 'sec');
  const expected = createHmac('sha256', 'hmac-secret').update(`${r.headers['x-vigil-timestamp']}.${r.body}`).digest('hex');
  assert.equal(r.headers['x-vigil-signature'], `sha256=${expected}`);
  await assert.rejects(deliver(only({ webhook: { url: hook.url, headers: { 'X-Vigil-Signature': 'forged' } } }), notice, ctx(), opts),
    (e: DeliveryError) => e.code === 'invalid_config');
});

test('webhook: custom headers from a Secret; reserved names refused without echoing the Secret', async () => {
  const before = hook.requests.length;
  await deliver(only({ webhook: { url: hook.url, headersSecretRef: { name: 'hook-headers' } } }), notice, ctx(), opts);
  const r = hook.requests[before]!;
  assert.equal(r.headers['authorization'], 'Bearer t0ken');
  assert.equal(r.headers['x-tenant'], 'blue');
  await assert.rejects(deliver(only({ webhook: { url: hook.url, headersSecretRef: { name: 'bad-headers' } } }), notice, ctx(), opts),
    (e: DeliveryError) => e.code === 'invalid_config' && !e.message.includes('forged') && !e.message.includes('X-Vigil-Event'));
});

test('HTTP answers are classified: 4xx permanent, 5xx and 429 retryable, silence is a timeout', async () => {
  const ch = only({ slack: { webhookSecretRef: { name: 'slack', key: 'url' } } });
  secretValues['slack/url'] = hook.url;
  hook.script([400, 500, 429]);
  await assert.rejects(deliver(ch, notice, ctx(), opts), (e: DeliveryError) => e.code === 'http_client_error' && !e.retryable && e.message === 'slack: HTTP 400: invalid_payload');
  await assert.rejects(deliver(ch, notice, ctx(), opts), (e: DeliveryError) => e.code === 'http_server_error' && e.retryable);
  await assert.rejects(deliver(ch, notice, ctx(), opts), (e: DeliveryError) => e.code === 'rate_limited' && e.retryable);
  const silent = createServer(() => { /* never answers */ });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  secretValues['slack/url'] = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/x`;
  await assert.rejects(deliver(ch, notice, ctx(), { ...opts, timeoutMs: 200 }), (e: DeliveryError) => e.code === 'timeout' && e.retryable);
  silent.closeAllConnections();
  silent.close();
  secretValues['slack/url'] = 'http://127.0.0.1:1/refused';
  await assert.rejects(deliver(ch, notice, ctx(), opts), (e: DeliveryError) => e.code === 'network' && e.retryable && !e.message.includes('127.0.0.1'));
  delete secretValues['slack/url'];
  await assert.rejects(deliver(ch, notice, ctx(), opts), (e: DeliveryError) => e.code === 'secret_missing');
});

test('slack and pagerduty payloads arrive valid', async () => {
  secretValues['slack/url'] = hook.url;
  const n = hook.requests.length;
  await deliver(only({ slack: { webhookSecretRef: { name: 'slack', key: 'url' }, channel: '#sec' } }), notice, ctx(), opts);
  const slack = SlackMessageSchema.parse(hook.requests[n]!.json);
  assert.equal(slack.channel, '#sec');
  const pd = await startHttpReceiver({ answer: (j) => ({ status: 202, body: JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: (j as { dedup_key: string }).dedup_key }) }) });
  try {
    const receipt = await deliver(only({ pagerduty: { routingKeySecretRef: { name: 'pd', key: 'key' }, url: pd.url } }), notice, ctx(), opts);
    assert.equal(receipt, 'HTTP 202 trigger vigil-signal-u-1');
    const ev = PagerDutyEventSchema.parse(pd.requests[0]!.json);
    assert.equal(ev.routing_key, 'R0UTING');
  } finally {
    await pd.close();
  }
});

test('email: STARTTLS with a trusted self-signed certificate, AUTH, HTML and text bodies', async () => {
  const tls = selfSignedCert();
  const smtp = await startSmtpReceiver(tls, { user: 'vigil', pass: 's3cret' });
  try {
    const email = (secret: string): Channel => ({
      email: { smtp: { host: '127.0.0.1', port: smtp.port, user: 'vigil', secretRef: { name: 'smtp', key: secret }, tls: 'starttls' }, from: 'vigil@example.com', to: ['oncall@example.com'] },
    });
    const receipt = await deliver(only(email('password')), notice, ctx(), { ...opts, ca: tls.cert });
    assert.match(receipt, /^SMTP 250/);
    const [mail] = await smtp.waitFor(1);
    assert.ok(mail);
    assert.equal(mail.secure, true);
    assert.equal(mail.user, 'vigil');
    assert.deepEqual(mail.to, ['oncall@example.com']);
    assert.equal(mail.parsed.subject, '[Vigil] HIGH: shell_in_container on shop/web-7d9f8b6c4-x2x9z');
    assert.match(String(mail.parsed.html), /<h2>shell_in_container \(high\)<\/h2>/);
    assert.match(mail.parsed.text ?? '', /Inspect it with:\n\n {4}kubectl get signal shell-in-container-7f3a -n shop -o yaml/);
    assert.equal(mail.parsed.headers.get('x-vigil-rule'), 'page-on-high');
    EmailMessageSchema.parse({
      from: mail.from, to: mail.to, subject: mail.parsed.subject, text: mail.parsed.text, html: mail.parsed.html,
      headers: { 'X-Vigil-Rule': mail.parsed.headers.get('x-vigil-rule'), 'X-Vigil-Event': mail.parsed.headers.get('x-vigil-event'), 'X-Vigil-Signal': mail.parsed.headers.get('x-vigil-signal') },
    });
    // A wrong password is permanent; an untrusted certificate never gets as far as AUTH.
    secretValues['smtp/wrong'] = 'nope';
    await assert.rejects(deliver(only(email('wrong')), notice, ctx(), { ...opts, ca: tls.cert }), (e: DeliveryError) => e.code === 'auth_failed' && !e.retryable);
    await assert.rejects(deliver(only(email('password')), notice, ctx(), opts), (e: DeliveryError) => e.code === 'network');
    assert.equal(smtp.mails.length, 1);
  } finally {
    await smtp.close();
  }
});
