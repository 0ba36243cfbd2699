// The sensor's Signal reporting against the real apiserver: repeats fold into one Signal
// and one aggregated Event per object; an apiserver outage with a sensor restart in the
// middle loses nothing and duplicates nothing; a write that landed before a crash is not
// counted twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import { emptyProcess, type SeclEvent } from '@vigil/operator/secl';
import { ControlPlane, kubectl, useCluster } from '../cluster/index.ts';
import { SignalReporter } from '../../sensor/src/report/signal-reporter.ts';
import { Spool } from '../../sensor/src/report/spool.ts';
import type { Detection } from '../../sensor/src/report/signal-content.ts';
import { KubeClient } from '../../sensor/src/k8s/client.ts';

const crds = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'crds', 'vigil.dev_signals.yaml');
const { kubeconfig, namespace } = await useCluster();
kubectl(kubeconfig, ['apply', '--server-side', '--force-conflicts', '-f', crds]);
kubectl(kubeconfig, ['wait', '--for=condition=Established', '--timeout=30s', 'crd/signals.vigil.dev']);

function detection(ns: string | undefined, path: string, ruleId = 'shell_in_container'): Detection {
  const process = { ...emptyProcess(), pid: 4242, ppid: 1, comm: 'bash', argv0: 'bash', argv: ['-i'], user: 'root' };
  process.file = { ...process.file, path, name: path.split('/').pop() as string };
  const container = { id: 'c'.repeat(64), created_at: 0, runtime: 'containerd', tags: ['image_name:registry.example/web', 'image_tag:1.4'] };
  const event: SeclEvent = {
    type: 'exec', timestamp: Date.now() * 1e6, process: { ...process, container }, container,
    ...(ns ? { k8s: { namespace: ns, pod: { name: 'web-1', uid: '11111111-2222-3333-4444-555555555555', labels: { app: 'web' } } } } : {}),
  };
  return { rule: { id: ruleId, severity: 'high', tags: { technique: 'T1059.004' } }, event };
}

function reporter(kcPath: string, spoolDir: string, node = 'node-a'): SignalReporter {
  return new SignalReporter({ client: KubeClient.fromKubeconfig(kcPath), node, hostNamespace: 'default', spoolDir, flushMs: 20, writesPerSecond: 200, newSignalsPerRulePerMinute: 1000 });
}

const signalsIn = (kc: string, ns: string): Array<{ metadata: { name: string }; spec: { process: { path: string } }; status?: { count: number; state: string } }> =>
  JSON.parse(kubectl(kc, ['get', 'signals', '-n', ns, '-o', 'json'])).items;

test('1,000 repeats of one detection are one Signal with count 1000 and one Warning Event on the Pod', async () => {
  const ns = namespace('report');
  const r = reporter(kubeconfig, mkdtempSync(join(tmpdir(), 'vigil-spool-')));
  const started = Date.now();
  for (let i = 0; i < 1000; i++) {
    r.report(detection(ns, '/usr/bin/bash'));
    if (i % 100 === 0) await new Promise((res) => setTimeout(res, 5));
  }
  assert.ok(await r.drain());
  process.stderr.write(`1,000 detections delivered in ${Date.now() - started} ms, ${r.stats.signalsCreated} Signal(s)\n`);
  await r.stop();
  const items = signalsIn(kubeconfig, ns);
  assert.equal(items.length, 1);
  assert.equal(items[0]?.status?.count, 1000);
  assert.equal(items[0]?.status?.state, 'open');
  assert.equal(items[0]?.spec.process.path, '/usr/bin/bash');
  const table = kubectl(kubeconfig, ['get', 'signals', '-n', ns]);
  assert.match(table, /shell_in_container\s+high\s+open\s+web-1\s+node-a\s+1000/);
  const events = JSON.parse(kubectl(kubeconfig, ['get', 'events', '-n', ns, '-o', 'json'])).items as Array<{ involvedObject: { kind: string }; reason: string; type: string; count: number }>;
  const onPod = events.filter((e) => e.involvedObject.kind === 'Pod' && e.reason === 'ThreatDetected');
  assert.equal(onPod.length, 1);
  assert.equal(onPod[0]?.type, 'Warning');
  assert.equal(onPod[0]?.count, 1000);
  assert.equal(events.filter((e) => e.involvedObject.kind === 'Signal').length, 1);
});

test('host processes report into the host namespace; a different executable is a different Signal', async () => {
  const ns = namespace('report-host');
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  const r = new SignalReporter({ client: KubeClient.fromKubeconfig(kubeconfig), node: 'node-a', hostNamespace: ns, spoolDir: mkdtempSync(join(tmpdir(), 'vigil-spool-')), flushMs: 20 });
  r.report(detection(undefined, '/usr/bin/bash'));
  r.report(detection(undefined, '/usr/bin/dash'));
  assert.ok(await r.drain());
  await r.stop();
  assert.deepEqual(signalsIn(kubeconfig, ns).map((s) => s.spec.process.path).sort(), ['/usr/bin/bash', '/usr/bin/dash']);
});

test('apiserver outage + sensor restart: 100 distinct detections all appear once', async () => {
  const cp = await ControlPlane.start();
  try {
    kubectl(cp.kubeconfigPath, ['apply', '--server-side', '-f', crds]);
    kubectl(cp.kubeconfigPath, ['wait', '--for=condition=Established', '--timeout=30s', 'crd/signals.vigil.dev']);
    kubectl(cp.kubeconfigPath, ['create', 'namespace', 'outage']);
    const spoolDir = mkdtempSync(join(tmpdir(), 'vigil-spool-'));
    await cp.stopComponent('kube-apiserver');
    const first = reporter(cp.kubeconfigPath, spoolDir);
    for (let i = 0; i < 50; i++) first.report(detection('outage', `/tmp/tool-${i}`));
    first.flush();
    await new Promise((res) => setTimeout(res, 300));
    await first.stop(); // the sensor restarts while the apiserver is away
    assert.equal(new Spool(spoolDir).depth, 50);
    const second = reporter(cp.kubeconfigPath, spoolDir);
    for (let i = 50; i < 100; i++) second.report(detection('outage', `/tmp/tool-${i}`));
    second.flush();
    await new Promise((res) => setTimeout(res, 300));
    assert.equal(second.spoolDepth, 100);
    await cp.startComponent('kube-apiserver');
    second.kick();
    assert.ok(await second.drain(60_000), `spool still holds ${second.spoolDepth}`);
    await second.stop();
    const items = signalsIn(cp.kubeconfigPath, 'outage');
    assert.equal(items.length, 100);
    assert.equal(new Set(items.map((s) => s.spec.process.path)).size, 100);
    assert.ok(items.every((s) => s.status?.count === 1), 'no detection counted twice');
  } finally {
    await cp.stop();
  }
});

test('a status write that landed before a crash is not counted again', async () => {
  const ns = namespace('report-crash');
  const spoolDir = mkdtempSync(join(tmpdir(), 'vigil-spool-'));
  const r = reporter(kubeconfig, spoolDir);
  const { name } = r.report(detection(ns, '/usr/bin/bash'));
  assert.ok(await r.drain());
  await r.stop();
  // Recreate the state a crash leaves between the status write and the spool removal.
  const spool = new Spool<unknown>(spoolDir);
  const [seq] = spool.append([{ name, namespace: ns, spec: signalsIn(kubeconfig, ns)[0]?.spec, count: 1, lastSeen: new Date().toISOString() }]);
  writeFileSync(join(spoolDir, `intent-${name}.json`), JSON.stringify({ name, namespace: ns, seqs: [seq], to: 1 }));
  const again = reporter(kubeconfig, spoolDir);
  again.kick();
  assert.ok(await again.drain());
  assert.equal(again.stats.recovered, 1);
  await again.stop();
  assert.equal(signalsIn(kubeconfig, ns)[0]?.status?.count, 1);
});

test('a status write whose answer was lost is not counted again', async () => {
  const ns = namespace('report-lost');
  const client = KubeClient.fromKubeconfig(kubeconfig);
  const call = client.call.bind(client);
  let lost = 0;
  // the first status write reaches the apiserver, its answer does not reach the reporter
  client.call = (async (method: Parameters<typeof call>[0], path: string, opts?: Parameters<typeof call>[2]) => {
    const out = await call(method, path, opts);
    if (method === 'PATCH' && path.endsWith('/status') && lost++ === 0) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    return out;
  }) as typeof client.call;
  const r = new SignalReporter({ client, node: 'node-a', hostNamespace: 'default', spoolDir: mkdtempSync(join(tmpdir(), 'vigil-spool-')), flushMs: 20, writesPerSecond: 200, newSignalsPerRulePerMinute: 1000 });
  r.report(detection(ns, '/usr/bin/bash'));
  assert.ok(await r.drain(30_000));
  await r.stop();
  assert.equal(lost, 1, 'the lost answer happened once');
  assert.equal(r.stats.recovered, 1, 'the retry found the write landed');
  assert.deepEqual(signalsIn(kubeconfig, ns).map((x) => x.status?.count), [1]);
});

test('the per-rule budget of new Signals holds back a storm, delays it, and loses none', async () => {
  const ns = namespace('report-limit');
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  const r = new SignalReporter({ client: KubeClient.fromKubeconfig(kubeconfig), node: 'node-a', hostNamespace: ns, spoolDir: mkdtempSync(join(tmpdir(), 'vigil-spool-')), flushMs: 20, writesPerSecond: 1000, newSignalsPerRulePerMinute: 30 });
  // 30/min: a burst of 30, then one every two seconds: 35 distinct Signals take ~10 s more.
  for (let i = 0; i < 35; i++) r.report(detection(ns, `/tmp/storm-${i}`, 'storm_rule'));
  assert.ok(await r.drain(60_000));
  assert.ok(r.stats.deferred > 0, 'the limit held some back');
  await r.stop();
  assert.equal(signalsIn(kubeconfig, ns).length, 35);
});
