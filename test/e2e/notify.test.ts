// Notifications end to end, against the real apiserver and real local receivers: a webhook
// receiver, a Slack-compatible and a PagerDuty-compatible one (HTTP on loopback) and a real
// SMTP server (STARTTLS with a self-signed certificate, AUTH). The chart is installed and the
// NotificationControllers run with its operator ServiceAccount's token, so its RBAC is the
// one exercised. Two of them campaign for one Lease: only the leader sends, and when it goes
// away the other takes over without resending anything (what was sent is in Signal status).
//
// A private control plane: NotificationRules are cluster-scoped, and an operator that other
// test files run on the shared one would otherwise send our rules' messages too.
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { ControlPlane, helm, kubectl, waitFor } from '../cluster/index.ts';
import { CHART, serviceAccountKubeconfig } from './operator-harness.ts';
import { KubeClient } from '../../operator/src/framework/kube.ts';
import { LeaderElector } from '../../operator/src/framework/leader.ts';
import { Registry } from '../../operator/src/framework/metrics.ts';
import { NotificationController } from '../../operator/src/controllers/notification-rule.ts';
import { PagerDutyEventSchema, SlackMessageSchema, WebhookPayloadSchema, EmailMessageSchema } from '../../operator/src/notify/payloads.ts';
import {
  makeSignal, selfSignedCert, startHttpReceiver, startSmtpReceiver, type HttpReceiver, type SignalFixture, type SmtpReceiver,
} from '../../operator/src/notify/testing.ts';
import type { NotificationRuleSpec, Signal } from '../../operator/src/api/index.ts';

const cp = await ControlPlane.start();
after(async () => {
  for (const r of [...replicas]) await stopReplica(r);
  await Promise.all([webhook?.close(), slack?.close(), pagerduty?.close(), smtp?.close()]);
  await cp.stop();
});
const kubeconfig = cp.kubeconfigPath;
const release = 'vigil-system';
kubectl(kubeconfig, ['create', 'namespace', release]);
// Before the CRDs exist the controller still starts (main.ts starts it before the leader
// applies CRDs): start() gives up waiting for its caches instead of blocking the process.
const noCrdsStartMs = await (async () => {
  const client = KubeClient.load(kubeconfig);
  const early = new NotificationController({ client, logger: pino({ level: 'silent' }), registry: new Registry(), namespace: release });
  const t0 = Date.now();
  await early.start(500);
  const ms = Date.now() - t0;
  await early.shutdown();
  client.close();
  return ms;
})();
helm(kubeconfig, ['install', 'vigil', CHART, '-n', release, '--set', 'sensor.enabled=false', '--set', 'defaultRules.enabled=false']);
for (const kind of ['signals', 'notificationrules']) kubectl(kubeconfig, ['wait', '--for=condition=Established', '--timeout=30s', `crd/${kind}.vigil.dev`]);
const operatorKubeconfig = serviceAccountKubeconfig(kubeconfig, release, 'vigil-operator');

function namespace(prefix: string): string {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  kubectl(kubeconfig, ['create', 'namespace', name]);
  return name;
}

const suffix = randomBytes(3).toString('hex');
const tls = selfSignedCert();
const SMTP_USER = 'vigil';
const SMTP_PASS = `pw-${randomBytes(6).toString('hex')}`;
const HMAC_KEY = `hmac-${randomBytes(8).toString('hex')}`;
/** Every log line of every replica: checked for refused API calls and leaked secrets. */
const logLines: string[] = [];

let webhook: HttpReceiver;
let slack: HttpReceiver;
let pagerduty: HttpReceiver;
let smtp: SmtpReceiver;

interface Replica {
  readonly name: string;
  readonly ctrl: NotificationController;
  readonly leader: LeaderElector;
  readonly client: KubeClient;
}
const replicas: Replica[] = [];

async function startReplica(name: string): Promise<Replica> {
  const client = KubeClient.load(operatorKubeconfig);
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logLines.push(chunk.toString('utf8'));
      if (process.env.VIGIL_E2E_VERBOSE) process.stderr.write(chunk);
      cb();
    },
  });
  const logger = pino({ level: 'info', base: { replica: name } }, sink);
  const ctrl = new NotificationController({
    client, logger, registry: new Registry(), namespace: release, ca: tls.cert,
    queue: { baseDelayMs: 300, maxDelayMs: 2_000 },
  });
  await ctrl.start();
  const leader = new LeaderElector(client, {
    namespace: release, name: 'vigil-notify', identity: name, leaseDurationMs: 4_000, renewDeadlineMs: 3_000, retryPeriodMs: 300,
  });
  leader.on('error', (err) => logger.warn({ err: err.message }, 'leader election'));
  ctrl.followLeader(leader);
  leader.start();
  const r = { name, ctrl, leader, client };
  replicas.push(r);
  return r;
}

async function stopReplica(r: Replica): Promise<void> {
  await r.leader.stop();
  await r.ctrl.shutdown();
  r.client.close();
  replicas.splice(replicas.indexOf(r), 1);
}

let primary: Replica;
let standby: Replica;

before(async () => {
  webhook = await startHttpReceiver();
  slack = await startHttpReceiver();
  pagerduty = await startHttpReceiver({
    answer: (j) => ({ status: 202, body: JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: (j as { dedup_key?: string }).dedup_key }) }),
  });
  smtp = await startSmtpReceiver(tls, { user: SMTP_USER, pass: SMTP_PASS });
  secret('hook-hmac', { key: HMAC_KEY });
  secret('slack', { url: slack.url });
  secret('pagerduty', { key: 'R0UTINGKEY0000000000000000000000' });
  secret('smtp', { password: SMTP_PASS });
  primary = await startReplica('replica-a');
  await waitFor('replica-a leads', 20_000, () => primary.ctrl.dispatcher.leading);
  standby = await startReplica('replica-b');
});

function secret(name: string, data: Record<string, string>): void {
  kubectl(kubeconfig, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: release }, stringData: data }));
}

const allChannels = (): NotificationRuleSpec['channels'] => [
  { webhook: { url: webhook.url, secretRef: { name: 'hook-hmac', key: 'key' } } },
  { slack: { webhookSecretRef: { name: 'slack', key: 'url' } } },
  { pagerduty: { routingKeySecretRef: { name: 'pagerduty', key: 'key' }, url: pagerduty.url } },
  { email: { smtp: { host: '127.0.0.1', port: smtp.port, user: SMTP_USER, secretRef: { name: 'smtp', key: 'password' }, tls: 'starttls' }, from: 'vigil@example.com', to: ['oncall@example.com'] } },
];

/** Creates a NotificationRule and waits until the leader has loaded it. */
async function createRule(base: string, spec: Partial<NotificationRuleSpec> & Pick<NotificationRuleSpec, 'channels'>): Promise<string> {
  const name = `${base}-${suffix}`;
  kubectl(kubeconfig, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'vigil.dev/v1alpha1', kind: 'NotificationRule', metadata: { name }, spec: { enabled: true, ...spec } }));
  await waitFor(`NotificationRule ${name} Ready`, 20_000, () => {
    const st = getRule(name).status;
    return st?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  });
  return name;
}

interface RuleObject { status?: { sent?: number; failed?: number; lastError?: string; lastSent?: string; conditions?: { type: string; status: string }[] } }
function getRule(name: string): RuleObject {
  return JSON.parse(kubectl(kubeconfig, ['get', 'notificationrule', name, '-o', 'json'])) as RuleObject;
}

/** Creates Signals the way a sensor does, returning when the create call started and returned. */
function createSignals(fixtures: readonly SignalFixture[]): { start: number; done: number } {
  const items = fixtures.map((f) => {
    const s = makeSignal(f);
    return { apiVersion: s.apiVersion, kind: s.kind, metadata: { name: s.metadata.name, namespace: s.metadata.namespace }, spec: s.spec };
  });
  const start = Date.now();
  kubectl(kubeconfig, ['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
  return { start, done: Date.now() };
}

function getSignal(ns: string, name: string): Signal {
  return JSON.parse(kubectl(kubeconfig, ['get', 'signal', name, '-n', ns, '-o', 'json'])) as Signal;
}

function records(s: Signal, rule: string): Record<string, string> {
  return Object.fromEntries((s.status?.notifications ?? []).filter((e) => e.rule === rule).map((e) => [e.channel, e.result]));
}

async function settle(ms = 1_500): Promise<void> {
  for (const r of replicas) await r.ctrl.dispatcher.idle();
  await new Promise((r) => setTimeout(r, ms));
  for (const r of replicas) await r.ctrl.dispatcher.idle();
}

test('a matching Signal reaches the webhook, Slack, PagerDuty and SMTP receivers; payloads validate; status records it', async (t: TestContext) => {
  const ns = namespace('notify-all');
  const rule = await createRule('all', { match: { minSeverity: 'high', namespaces: [ns] }, channels: allChannels() });
  const counts = { webhook: webhook.requests.length, slack: slack.requests.length, pagerduty: pagerduty.requests.length, mail: smtp.mails.length };

  const created = createSignals([{ name: 'shell-1', namespace: ns, severity: 'high' }, { name: 'quiet-1', namespace: ns, severity: 'low' }]);
  const t0 = created.start;
  const [hook] = (await webhook.waitFor(counts.webhook + 1)).slice(counts.webhook);
  const [sl] = (await slack.waitFor(counts.slack + 1)).slice(counts.slack);
  const [pd] = (await pagerduty.waitFor(counts.pagerduty + 1)).slice(counts.pagerduty);
  const [mail] = (await smtp.waitFor(counts.mail + 1)).slice(counts.mail);
  assert.ok(hook && sl && pd && mail);

  const latency = { webhook: hook.at - t0, slack: sl.at - t0, pagerduty: pd.at - t0, email: mail.at - t0 };
  // `kubectl create` itself (a process start and the request) takes part of that; both shown.
  const line = `Signal creation to delivery (ms): ${JSON.stringify(latency)}; of which kubectl create took ${created.done - created.start} ms`;
  t.diagnostic(line);
  console.log(`notify e2e: ${line}`);
  for (const ms of Object.values(latency)) assert.ok(ms < 10_000, `delivered within seconds (${ms} ms)`);

  const payload = WebhookPayloadSchema.parse(hook.json);
  assert.equal(payload.event, 'signal.triggered');
  assert.equal(payload.signal?.name, 'shell-1');
  assert.equal(payload.notificationRule, rule);
  assert.match(String(hook.headers['x-vigil-signature']), /^sha256=[0-9a-f]{64}$/);
  const slackMsg = SlackMessageSchema.parse(sl.json);
  assert.ok(slackMsg.blocks.some((b) => b.type === 'section' && b.text.text.includes('*shell_in_container*')));
  const pdEvent = PagerDutyEventSchema.parse(pd.json);
  assert.equal(pdEvent.event_action, 'trigger');
  assert.equal(pdEvent.routing_key, 'R0UTINGKEY0000000000000000000000');
  assert.equal(mail.secure, true);
  assert.equal(mail.user, SMTP_USER);
  EmailMessageSchema.parse({
    from: mail.from, to: mail.to, subject: mail.parsed.subject, text: mail.parsed.text, html: mail.parsed.html,
    headers: { 'X-Vigil-Rule': mail.parsed.headers.get('x-vigil-rule'), 'X-Vigil-Event': mail.parsed.headers.get('x-vigil-event'), 'X-Vigil-Signal': mail.parsed.headers.get('x-vigil-signal') },
  });
  assert.equal(mail.parsed.subject, `[Vigil] HIGH: shell_in_container on ${ns}/web-7d9f8b6c4-x2x9z`);

  await waitFor('Signal status records all four channels', 10_000, () => Object.keys(records(getSignal(ns, 'shell-1'), rule)).length === 4);
  assert.deepEqual(records(getSignal(ns, 'shell-1'), rule), { webhook: 'sent', slack: 'sent', pagerduty: 'sent', email: 'sent' });
  await waitFor('NotificationRule status counts 4 sent', 10_000, () => getRule(rule).status?.sent === 4);
  assert.equal(kubectl(kubeconfig, ['get', 'notificationrule', rule, '--no-headers', '-o', 'custom-columns=SENT:.status.sent,FAILED:.status.failed']).trim().split(/\s+/)[0], '4');

  // The low-severity signal matched nothing.
  await settle();
  assert.deepEqual(records(getSignal(ns, 'quiet-1'), rule), {});
  assert.equal(webhook.requests.length, counts.webhook + 1);

  // The detection repeats (the sensor bumps count): PagerDuty's one incident is updated
  // (same dedup key); chat, mail and webhook are not sent again.
  kubectl(kubeconfig, ['patch', 'signal', 'shell-1', '-n', ns, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { count: 7 } })]);
  const [update] = (await pagerduty.waitFor(counts.pagerduty + 2)).slice(counts.pagerduty + 1);
  const updateEvent = PagerDutyEventSchema.parse(update?.json);
  assert.ok(updateEvent.event_action === 'trigger' && updateEvent.dedup_key === pdEvent.dedup_key);
  assert.equal((updateEvent.payload.custom_details as { count?: number }).count, 7);
  await settle();
  assert.deepEqual([webhook.requests.length, slack.requests.length, smtp.mails.length], [counts.webhook + 1, counts.slack + 1, counts.mail + 1]);

  // Resolving it resolves the PagerDuty incident (same dedup key) and tells the webhook; chat and mail stay quiet.
  kubectl(kubeconfig, ['patch', 'signal', 'shell-1', '-n', ns, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { state: 'resolved' } })]);
  const [resolve] = (await pagerduty.waitFor(counts.pagerduty + 3)).slice(counts.pagerduty + 2);
  const resolveEvent = PagerDutyEventSchema.parse(resolve?.json);
  assert.equal(resolveEvent.event_action, 'resolve');
  assert.equal(resolveEvent.dedup_key, pdEvent.dedup_key);
  const [resolvedHook] = (await webhook.waitFor(counts.webhook + 2)).slice(counts.webhook + 1);
  assert.equal(WebhookPayloadSchema.parse(resolvedHook?.json).event, 'signal.resolved');
  await waitFor('resolve recorded', 10_000, () => records(getSignal(ns, 'shell-1'), rule)['pagerduty/resolve'] === 'sent');
  await settle();
  assert.equal(slack.requests.length, counts.slack + 1);
  assert.equal(smtp.mails.length, counts.mail + 1);
});

test('500, 500, 200 is delivered exactly once; a 400 is not retried and shows in status', async () => {
  const ns = namespace('notify-retry');
  const flaky = await startHttpReceiver();
  const broken = await startHttpReceiver({ fallback: 400, answer: () => ({ status: 400, body: '' }) });
  secret('slack-broken', { url: broken.url });
  try {
    flaky.script([500, 500]);
    const rule = await createRule('retry', {
      match: { minSeverity: 'info', namespaces: [ns] },
      channels: [{ webhook: { url: flaky.url } }, { slack: { webhookSecretRef: { name: 'slack-broken', key: 'url' } } }],
    });
    createSignals([{ name: 'retry-1', namespace: ns }]);
    await flaky.waitFor(1);
    await broken.waitFor(1, 30_000, () => true);
    await waitFor('both outcomes recorded', 15_000, () => Object.keys(records(getSignal(ns, 'retry-1'), rule)).length === 2);
    await settle(3_000);
    assert.deepEqual(flaky.requests.map((r) => r.status), [500, 500, 200]);
    assert.equal(new Set(flaky.requests.map((r) => r.headers['x-vigil-delivery'])).size, 1, 'the same delivery id on every attempt');
    assert.equal(flaky.accepted.length, 1);
    assert.deepEqual(broken.requests.map((r) => r.status), [400], 'a 400 is not retried');
    const s = getSignal(ns, 'retry-1');
    assert.deepEqual(records(s, rule), { webhook: 'sent', slack: 'failed' });
    assert.match(s.status?.notifications?.find((e) => e.channel === 'slack')?.error ?? '', /^slack: HTTP 400/);
    await waitFor('rule status counts the failure', 10_000, () => getRule(rule).status?.failed === 1);
    const st = getRule(rule).status;
    assert.equal(st?.sent, 1);
    assert.match(st?.lastError ?? '', /slack: slack: HTTP 400: invalid_payload/);
  } finally {
    await Promise.all([flaky.close(), broken.close()]);
  }
});

test('a process named with Markdown, Slack and HTML metacharacters and <!channel> is escaped per channel', async () => {
  const ns = namespace('notify-escape');
  const rule = await createRule('escape', {
    match: { minSeverity: 'info', namespaces: [ns] },
    template: '**{{signal.rule.id}}**: {{signal.process.path}} ran `{{signal.process.args}}` [inspect](https://console.example/{{signal.name}})',
    channels: allChannels(),
  });
  const evil = '/tmp/<!channel> *bold* _it_ ~x~ `id` <b>html</b> [link](http://evil.example) @here & <@U024BE7LH> # x';
  const counts = { webhook: webhook.requests.length, slack: slack.requests.length, pagerduty: pagerduty.requests.length, mail: smtp.mails.length };
  createSignals([{ name: 'evil-1', namespace: ns, path: evil, args: [evil, '--x=$(reboot)\n> quoted'] }]);
  const sl = (await slack.waitFor(counts.slack + 1))[counts.slack];
  const hook = (await webhook.waitFor(counts.webhook + 1))[counts.webhook];
  const pd = (await pagerduty.waitFor(counts.pagerduty + 1))[counts.pagerduty];
  const mail = (await smtp.waitFor(counts.mail + 1))[counts.mail];
  assert.ok(sl && hook && pd && mail);
  void rule;

  const msg = SlackMessageSchema.parse(sl.json);
  const section = msg.blocks.find((b) => b.type === 'section');
  assert.ok(section?.type === 'section');
  const text = section.text.text;
  // Markup from the template survives; nothing from the process is markup.
  assert.ok(text.startsWith('*shell_in_container*: /tmp/&lt;!channel&gt; \u2217bold\u2217 \u02cdit\u02cd \u223cx\u223c \u02cbid\u02cb &lt;b&gt;html&lt;/b&gt; [link](http://evil.example) @\u2060here &amp; &lt;@\u2060U024BE7LH&gt; # x ran `'), text);
  assert.doesNotMatch(sl.body, /<!channel>|<@U024BE7LH>|<http:\/\/evil/);
  assert.match(text, /<https:\/\/console\.example\/evil-1\|inspect>$/);
  assert.ok(!text.includes('\n'), 'a newline in an argument does not start a new line (or a quote)');
  assert.equal(section.text.verbatim, true);

  const html = String(mail.parsed.html);
  assert.match(html, /\/tmp\/&lt;!channel&gt; \*bold\* _it_ ~x~ `id` &lt;b&gt;html&lt;\/b&gt; \[link\]\(http:\/\/evil\.example\) @here &amp; &lt;@U024BE7LH&gt;/);
  assert.doesNotMatch(html, /<b>html|href="http:\/\/evil/);
  assert.match(html, /<a href="https:\/\/console\.example\/evil-1">inspect<\/a>/);
  assert.doesNotMatch(mail.parsed.subject ?? '', /[\r\n]/);

  const payload = WebhookPayloadSchema.parse(hook.json);
  assert.equal(payload.signal?.process.path, evil, 'webhook data is exact; only rendered text is escaped');
  assert.ok(payload.markdown.startsWith('**shell\\_in\\_container**\\: \\/tmp\\/\\<\\!channel\\> \\*bold\\* \\_it\\_'), payload.markdown);
  const ev = PagerDutyEventSchema.parse(pd.json);
  assert.ok(ev.event_action === 'trigger' && !ev.payload.summary.includes('\n'));
});

test('throttling: 100 signals of one rule produce at most max messages plus one digest', async (t: TestContext) => {
  const ns = namespace('notify-throttle');
  const sink = await startHttpReceiver();
  try {
    const max = 5;
    const rule = await createRule('throttle', { match: { minSeverity: 'info', namespaces: [ns] }, throttle: { max, per: '15s' }, channels: [{ webhook: { url: sink.url } }] });
    const t0 = Date.now();
    createSignals(Array.from({ length: 100 }, (_, i) => ({ name: `burst-${String(i).padStart(3, '0')}`, namespace: ns })));
    const got = await sink.waitFor(max + 1, 40_000);
    t.diagnostic(`digest after ${got[max]!.at - t0} ms`);
    await settle(3_000);
    const events = sink.requests.map((r) => WebhookPayloadSchema.parse(r.json));
    assert.equal(events.length, max + 1, `${max} messages and one digest, got ${events.length}`);
    assert.equal(events.filter((e) => e.event === 'signal.triggered').length, max);
    const digest = events.find((e) => e.event === 'signal.digest');
    assert.equal(digest?.digest?.count, 100 - max);
    assert.equal(digest?.digest?.workload, `${ns}/web`);
    // Every held signal's record now says it went out (in the digest).
    await waitFor('all 100 signals recorded as sent', 20_000, () => {
      const list = JSON.parse(kubectl(kubeconfig, ['get', 'signals', '-n', ns, '-o', 'json'])) as { items: Signal[] };
      return list.items.length === 100 && list.items.every((s) => records(s, rule).webhook === 'sent');
    });
    await waitFor('rule status counts 6 sent', 10_000, () => getRule(rule).status?.sent === max + 1);
  } finally {
    await sink.close();
  }
});

test('editing, disabling and deleting a rule take effect at once', async () => {
  const ns = namespace('notify-edit');
  const sink = await startHttpReceiver();
  try {
    const rule = await createRule('edit', { match: { minSeverity: 'info', namespaces: [ns] }, template: 'first: {{signal.name}}', channels: [{ webhook: { url: sink.url } }] });
    createSignals([{ name: 'edit-1', namespace: ns }]);
    assert.equal(WebhookPayloadSchema.parse((await sink.waitFor(1))[0]?.json).text, 'first: edit-1');

    const patch = (spec: object) => kubectl(kubeconfig, ['patch', 'notificationrule', rule, '--type=merge', '-p', JSON.stringify({ spec })]);
    patch({ template: 'second: {{signal.name}} on {{signal.node}}' });
    await waitFor('edited template in use', 10_000, async () => {
      for (const r of replicas) await r.ctrl.dispatcher.idle();
      return getRule(rule).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    });
    await settle(500);
    createSignals([{ name: 'edit-2', namespace: ns }]);
    assert.equal(WebhookPayloadSchema.parse((await sink.waitFor(2))[1]?.json).text, 'second: edit-2 on worker-1');

    // A template naming an unknown variable: the rule is not Ready, and says why.
    patch({ template: 'oops: {{signal.nope}}' });
    await waitFor('invalid template reported', 10_000, () => getRule(rule).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'False') ?? false);
    const cond = (getRule(rule).status?.conditions ?? []).find((c) => c.type === 'Ready') as { reason?: string; message?: string };
    assert.equal(cond.reason, 'Invalid');
    assert.equal(cond.message, 'template: unknown variable {{signal.nope}}');
    createSignals([{ name: 'edit-bad', namespace: ns }]);
    await settle(1_500);
    assert.equal(sink.requests.length, 2, 'an invalid rule sends nothing');

    patch({ template: 'second: {{signal.name}} on {{signal.node}}', enabled: false });
    await waitFor('rule disabled', 10_000, () => getRule(rule).status?.conditions?.some((c) => c.type === 'Ready' && (c as { reason?: string }).reason === 'Disabled') ?? false);
    createSignals([{ name: 'edit-3', namespace: ns }]);
    await settle(2_000);
    assert.equal(sink.requests.length, 2, 'a disabled rule sends nothing');

    kubectl(kubeconfig, ['delete', 'notificationrule', rule]);
    await settle(500);
    createSignals([{ name: 'edit-4', namespace: ns }]);
    await settle(2_000);
    assert.equal(sink.requests.length, 2, 'a deleted rule sends nothing');
  } finally {
    await sink.close();
  }
});

test('only the leader sends; when it stops, the standby takes over and resends nothing', async () => {
  assert.equal(primary.ctrl.dispatcher.leading, true);
  assert.equal(standby.ctrl.dispatcher.leading, false);
  assert.equal(standby.ctrl.dispatcher.stats().sent, 0, 'the standby sent nothing while the other led');
  // Signals held by a throttle window when the leader goes away are digested by the next one.
  const heldNs = namespace('notify-held');
  const heldSink = await startHttpReceiver();
  const heldRule = await createRule('held', { match: { minSeverity: 'info', namespaces: [heldNs] }, throttle: { max: 1, per: '10s' }, channels: [{ webhook: { url: heldSink.url } }] });
  createSignals(Array.from({ length: 5 }, (_, i) => ({ name: `held-${i}`, namespace: heldNs })));
  await heldSink.waitFor(1);
  await waitFor('4 signals held', 10_000, () => {
    const list = JSON.parse(kubectl(kubeconfig, ['get', 'signals', '-n', heldNs, '-o', 'json'])) as { items: Signal[] };
    return list.items.filter((s) => records(s, heldRule).webhook === 'throttled').length === 4;
  });
  const before = { webhook: webhook.requests.length, slack: slack.requests.length, pagerduty: pagerduty.requests.length, mail: smtp.mails.length };

  await stopReplica(primary);
  assert.equal(heldSink.requests.length, 1, 'the window had not closed yet');
  await waitFor('replica-b leads', 20_000, () => standby.ctrl.dispatcher.leading);
  await settle(3_000);
  assert.deepEqual(
    { webhook: webhook.requests.length, slack: slack.requests.length, pagerduty: pagerduty.requests.length, mail: smtp.mails.length }, before,
    'nothing already delivered is sent again',
  );
  const digest = WebhookPayloadSchema.parse((await heldSink.waitFor(2, 30_000))[1]?.json);
  assert.equal(digest.event, 'signal.digest');
  assert.equal(digest.digest?.count, 4);
  await settle();
  assert.equal(heldSink.requests.length, 2);
  await heldSink.close();

  // And a fresh replica (a restarted operator) over the same Signals resends nothing either.
  await stopReplica(standby);
  const fresh = await startReplica('replica-c');
  await waitFor('replica-c leads', 20_000, () => fresh.ctrl.dispatcher.leading);
  await settle(3_000);
  assert.deepEqual({ webhook: webhook.requests.length, slack: slack.requests.length, pagerduty: pagerduty.requests.length, mail: smtp.mails.length }, before);

  // It does send what is new.
  const ns = namespace('notify-after');
  await createRule('after', { match: { minSeverity: 'info', namespaces: [ns] }, channels: [{ webhook: { url: webhook.url } }] });
  createSignals([{ name: 'after-1', namespace: ns }]);
  const [hook] = (await webhook.waitFor(before.webhook + 1)).slice(before.webhook);
  assert.equal(WebhookPayloadSchema.parse(hook?.json).signal?.name, 'after-1');
  await settle();
  assert.equal(webhook.requests.length, before.webhook + 1);
});


test('without its CRDs the controller starts anyway (it does not block the operator)', () => {
  assert.ok(noCrdsStartMs < 5_000, `start() took ${noCrdsStartMs} ms`);
});

test('with the chart RBAC no API call was refused, and no secret value reached a log line', () => {
  assert.ok(logLines.length > 0);
  const all = logLines.join('');
  assert.doesNotMatch(all, /\b403\b|forbidden/i);
  for (const secretValue of [HMAC_KEY, SMTP_PASS, slack.url, 'R0UTINGKEY0000000000000000000000']) assert.ok(!all.includes(secretValue), 'a secret in the logs');
  assert.match(all, /"msg":"notification sent"/);
});
