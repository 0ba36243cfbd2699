// The whole loop on this host: the chart installed in a real apiserver, the operator and the
// sensor running as local processes with their ServiceAccounts' tokens (the sensor's bound
// to its Node, as the chart's admission policy expects), the real kernel underneath.
//   kubectl apply a rule → the sensor reports the new hash, the rule shows NODES 1/1;
//   a "container" (unshare'd namespaces in a kubelet-shaped cgroup, its Pod in the
//   apiserver) runs a matching command → a Signal in the pod's namespace and a Warning on
//   the Pod; 1,000 repeats → one Signal with count 1000;
//   a malformed ruleset ConfigMap → refused, shown in Sensor status, previous keeps detecting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { kubectl, waitFor } from '../cluster/index.ts';
import { CgroupResolver } from '../../sensor/src/enrich/container.ts';
import { applyYaml, readPublished } from './operator-harness.ts';
import { loopSkipReason, startLoop } from './loop-harness.ts';

const skip = loopSkipReason() ?? false;

test('rules reach the sensor, detections become Signals and Events, bad rulesets are refused', { skip }, async (t) => {
  const loop = await startLoop();
  const { kc, admin, ns, app, node, sensorStatus } = loop;
  const resolver = CgroupResolver.fromSystem() as CgroupResolver;
  const cleanups: Array<() => Promise<void> | void> = [];
  t.after(async () => {
    for (const c of cleanups.reverse()) {
      try { await c(); } catch { /* best effort */ }
    }
    await loop.stop();
  });

  // A unique executable name, so nothing else on the host matches.
  const tool = `vigil-e2e-${randomBytes(3).toString('hex')}`;
  const bin = join(mkdtempSync(join(tmpdir(), 'vigil-tool-')), tool);
  copyFileSync('/bin/true', bin);

  await t.test('kubectl apply → the sensor runs the new hash within 2 s and the rule shows NODES 1/1', async () => {
    const t0 = Date.now();
    applyYaml(kc, `apiVersion: vigil.dev/v1alpha1
kind: SecurityRule
metadata: {name: e2e-tool}
spec:
  id: e2e_tool
  expression: 'exec.file.name == "${tool}"'
  severity: high
  tags: {technique: T1059, category: process}
`);
    let hash = '';
    await waitFor('published', 5_000, async () => {
      const p = await readPublished(admin, ns);
      hash = p?.ruleset.rules.some((r) => r.id === 'e2e_tool') ? p.hash : '';
      return hash !== '';
    });
    await waitFor('sensor on the new hash', 5_000, () => sensorStatus()?.ruleset?.hash === hash);
    const elapsed = Date.now() - t0;
    t.diagnostic(`apply → Sensor status on the new hash: ${elapsed} ms`);
    assert.ok(elapsed < 2_000, `took ${elapsed} ms`);
    await waitFor('rule NODES 1/1', 10_000, () => /e2e-tool\s+high\s+True\s+1\/1/.test(kubectl(kc, ['get', 'securityrules', 'e2e-tool'])));
  });

  // The "container": namespaces from unshare, a cgroup named the way kubelet + containerd
  // do, with the pod's real uid (the apiserver assigns it).
  const cid = randomBytes(32).toString('hex');
  kubectl(kc, ['apply', '-f', '-'], JSON.stringify({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: app, labels: { app: 'web' } },
    spec: { nodeName: node, containers: [{ name: 'web', image: 'registry.example/web:1.4' }] },
  }));
  const podUid = kubectl(kc, ['get', 'pod', 'web-1', '-n', app, '-o', 'jsonpath={.metadata.uid}']).trim();
  const cgroup = `vigil-e2e.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${podUid.replace(/-/g, '_')}.slice/cri-containerd-${cid}.scope`;
  mkdirSync(join(resolver.mount, cgroup), { recursive: true });
  cleanups.push(() => {
    const parts = cgroup.split('/');
    for (let i = parts.length; i > 0; i--) {
      try { rmdirSync(join(resolver.mount, ...parts.slice(0, i))); } catch { /* still in use */ }
    }
  });
  kubectl(kc, ['patch', 'pod', 'web-1', '-n', app, '--subresource=status', '--type=merge', '-p', JSON.stringify({
    status: { phase: 'Running', containerStatuses: [{ name: 'web', image: 'registry.example/web:1.4', imageID: '', ready: true, restartCount: 0, containerID: `containerd://${cid}` }] },
  })]);
  /** Runs a command with its shell moved into a cgroup first (so the exec happens there). */
  const inCgroup = (cg: string, command: string): ReturnType<typeof spawnSync> =>
    spawnSync('sh', ['-c', `echo $$ > ${join(resolver.mount, cg, 'cgroup.procs')} && exec ${command}`], { encoding: 'utf8', timeout: 120_000 });
  const inContainer = (script: string): void => {
    const r = inCgroup(cgroup, `unshare --pid --uts --net --mount --fork sh -c '${script}'`);
    assert.equal(r.status, 0, String(r.stderr));
  };
  const signals = (): Array<{ spec: { rule: { id: string; severity: string }; pod?: { name: string }; process: { path: string }; container?: { id: string } }; status?: { count?: number } }> =>
    JSON.parse(kubectl(kc, ['get', 'signals', '-n', app, '-o', 'json'])).items;

  await t.test('a matching command in the container → a Signal in its namespace within 2 s, and a Warning on the Pod', async () => {
    const t0 = Date.now();
    inContainer(bin);
    await waitFor('signal', 10_000, () => signals().length > 0);
    const elapsed = Date.now() - t0;
    t.diagnostic(`exec → Signal visible through the API: ${elapsed} ms`);
    assert.ok(elapsed < 2_000, `took ${elapsed} ms`);
    const s = signals()[0];
    assert.equal(s?.spec.rule.id, 'e2e_tool');
    assert.equal(s?.spec.rule.severity, 'high');
    assert.equal(s?.spec.pod?.name, 'web-1');
    assert.equal(s?.spec.container?.id, cid);
    assert.equal(s?.spec.process.path, bin);
    assert.match(kubectl(kc, ['get', 'signals', '-n', app]), /e2e_tool\s+high\s+open\s+web-1/);
    await waitFor('event on the pod', 5_000, () => /Warning\s+ThreatDetected\s+pod\/web-1/.test(kubectl(kc, ['get', 'events', '-n', app])));
  });

  await t.test('1,000 repeats → one Signal with count 1000', async () => {
    inContainer(`i=0; while [ $i -lt 999 ]; do ${bin}; i=$((i+1)); done`);
    await waitFor('count 1000', 30_000, () => signals()[0]?.status?.count === 1000);
    assert.equal(signals().length, 1);
    // What the sensor delivered (and what rate limits held back) shows in its Sensor status.
    await waitFor('Sensor status counts them', 15_000, () => ((sensorStatus() as { signals?: { reported: number } } | undefined)?.signals?.reported ?? 0) >= 1000);
  });

  await t.test('a malformed ruleset ConfigMap is refused, shown in Sensor status, and the previous ruleset keeps detecting', async () => {
    const good = sensorStatus()?.ruleset?.hash;
    kubectl(kc, ['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { name: 'vigil-ruleset', namespace: ns, labels: { 'vigil.dev/ruleset': 'main' }, annotations: { 'vigil.dev/ruleset-sha256': 'f'.repeat(64) } },
      binaryData: { 'ruleset.pb': Buffer.from('not a ruleset').toString('base64') },
    }));
    await waitFor('refusal in status', 10_000, () => sensorStatus()?.conditions?.some((c) => c.type === 'RulesetLoaded' && c.status === 'False') ?? false);
    const cond = sensorStatus()?.conditions?.find((c) => c.type === 'RulesetLoaded');
    assert.match(cond?.message ?? '', /hash-mismatch/);
    assert.equal(sensorStatus()?.ruleset?.hash, good);
    const before = signals()[0]?.status?.count ?? 0;
    inContainer(bin);
    await waitFor('still detecting', 10_000, () => (signals()[0]?.status?.count ?? 0) > before);
  });

  // A tiny static program whose first act is to create the file named by its argument.
  const markerSrc = join(mkdtempSync(join(tmpdir(), 'vigil-xmrig-')), 'marker.c');
  writeFileSync(markerSrc, '#include <fcntl.h>\n#include <unistd.h>\nint main(int c, char **v) { if (c > 1) close(open(v[1], O_CREAT | O_WRONLY, 0600)); return 0; }\n');
  const xmrig = join(dirname(markerSrc), 'xmrig');
  const cc = spawnSync('gcc', ['-static', '-O2', '-o', xmrig, markerSrc], { encoding: 'utf8' });
  assert.equal(cc.status, 0, cc.stderr);
  const policy = (mode: string, extra = ''): string => `apiVersion: vigil.dev/v1alpha1
kind: ActiveProtectionPolicy
metadata: {name: e2e-kill}
spec:
  mode: ${mode}
  rules: {ids: [e2e_miner]}
  scope:
    namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ${app}}}
  action: {kill: {signal: SIGKILL, scope: process}}
${extra}`;
  const minerSignal = (): { spec: { action?: { kill?: { status: string; signal?: string } } }; status?: { count?: number } } | undefined =>
    (JSON.parse(kubectl(kc, ['get', 'signals', '-n', app, '-l', 'vigil.dev/rule=e2e_miner', '-o', 'json'])).items as Array<{ spec: { action?: { kill?: { status: string } } }; status?: { count?: number } }>)[0];
  const waitHash = async (): Promise<void> => { await loop.waitSensorOnPublished(); };

  await t.test('enforce: xmrig in a covered namespace dies by SIGKILL before its first instruction; the Signal says killed', async () => {
    applyYaml(kc, `apiVersion: vigil.dev/v1alpha1
kind: SecurityRule
metadata: {name: e2e-miner}
spec:
  id: e2e_miner
  expression: 'exec.file.name == "xmrig"'
  severity: critical
  tags: {technique: T1496, category: crypto-mining}
`);
    applyYaml(kc, policy('enforce'));
    await waitFor('policy published', 10_000, async () => (await readPublished(admin, ns))?.ruleset.policies.some((p) => p.name === 'e2e-kill' && p.enforce) ?? false);
    await waitHash();
    await new Promise((r) => setTimeout(r, 300)); // the kill scope follows the pod index
    const marker = join(dirname(markerSrc), 'marker-enforce');
    const r = inCgroup(cgroup, `${xmrig} ${marker}`);
    assert.equal(r.signal, 'SIGKILL');
    assert.equal(existsSync(marker), false, 'killed before its first instruction');
    await waitFor('signal says killed', 10_000, () => minerSignal()?.spec.action?.kill?.status === 'performed');
    assert.match(kubectl(kc, ['get', 'activeprotectionpolicy', 'e2e-kill', '-o', 'json']), /"kills"/);
  });

  await t.test('monitor: the same runs, and the Signal says it would have been killed', async () => {
    kubectl(kc, ['delete', 'signals', '-n', app, '-l', 'vigil.dev/rule=e2e_miner']);
    applyYaml(kc, policy('monitor'));
    await waitFor('monitor published', 10_000, async () => (await readPublished(admin, ns))?.ruleset.policies.some((p) => p.name === 'e2e-kill' && !p.enforce) ?? false);
    await waitHash();
    const marker = join(dirname(markerSrc), 'marker-monitor');
    inContainer(`${xmrig} ${marker}`);
    assert.equal(existsSync(marker), true);
    await waitFor('signal says monitored', 10_000, () => minerSignal()?.spec.action?.kill?.status === 'monitored');
  });

  await t.test('the disarmer trips when the rule would kill across 6 containers within a minute', async () => {
    applyYaml(kc, `apiVersion: vigil.dev/v1alpha1
kind: ActiveProtectionPolicy
metadata: {name: e2e-kill}
spec:
  mode: enforce
  rules: {ids: [e2e_miner]}
  action: {kill: {signal: SIGKILL, scope: process}}
  disarmer: {maxContainers: 5, period: 1m}
`);
    await waitFor('unscoped enforce published', 10_000, async () => (await readPublished(admin, ns))?.ruleset.policies.some((p) => p.name === 'e2e-kill' && p.enforce && !p.scope?.scoped) ?? false);
    await waitHash();
    const outcomes: string[] = [];
    for (let i = 0; i < 6; i++) {
      const c = `vigil-e2e.slice/disarm-${i}.slice/cri-containerd-${randomBytes(32).toString('hex')}.scope`;
      mkdirSync(join(resolver.mount, c), { recursive: true });
      cleanups.push(() => { for (const d of [c, c.slice(0, c.lastIndexOf('/'))]) { try { rmdirSync(join(resolver.mount, d)); } catch { /* busy */ } } });
      const marker = join(dirname(markerSrc), `marker-disarm-${i}`);
      const r = inCgroup(c, `${xmrig} ${marker}`);
      outcomes.push(r.signal === 'SIGKILL' ? 'killed' : existsSync(marker) ? 'ran' : 'other');
      await new Promise((res) => setTimeout(res, 300)); // the sensor sees each one before the next
    }
    assert.deepEqual(outcomes, ['killed', 'killed', 'killed', 'killed', 'killed', 'ran']);
    await waitFor('Sensor status says disarmed', 10_000, () => sensorStatus()?.conditions?.some((c) => c.type === 'ProtectionArmed' && c.status === 'False' && /e2e-kill/.test(c.message)) ?? false);
    const statuses = (JSON.parse(kubectl(kc, ['get', 'signals', '-n', ns, '-l', 'vigil.dev/rule=e2e_miner', '-o', 'json'])).items as Array<{ spec: { action?: { kill?: { status: string } } } }>)
      .map((x) => x.spec.action?.kill?.status).sort();
    assert.deepEqual(statuses, ['disarmed', 'performed', 'performed', 'performed', 'performed', 'performed']);
  });

  await t.test('apiserver away: 100 distinct detections and a sensor restart meanwhile → all 100 Signals, none twice', async () => {
    applyYaml(kc, `apiVersion: vigil.dev/v1alpha1
kind: SecurityRule
metadata: {name: e2e-outage}
spec: {id: e2e_outage, expression: 'exec.file.name =~ "vigil-outage-*"', severity: medium}
`);
    await waitFor('outage rule published', 10_000, async () => (await readPublished(admin, ns))?.ruleset.rules.some((r) => r.id === 'e2e_outage') ?? false);
    await loop.waitSensorOnPublished();
    const tools = Array.from({ length: 100 }, (_, i) => {
      const p = join(dirname(markerSrc), `vigil-outage-${i}`);
      copyFileSync('/bin/true', p);
      return p;
    });
    await loop.cp.stopComponent('kube-apiserver');
    for (const p of tools.slice(0, 50)) spawnSync(p);
    await new Promise((r) => setTimeout(r, 500)); // detected and spooled
    loop.sensor = await loop.sensor.restart();
    await waitFor('restarted sensor running', 60_000, () => loop.sensor.lines.some((l) => l.includes('"sensor running"')));
    for (const p of tools.slice(50)) spawnSync(p);
    await new Promise((r) => setTimeout(r, 500));
    await loop.cp.startComponent('kube-apiserver');
    const outage = (): Array<{ spec: { process: { path: string } }; status?: { count?: number } }> =>
      JSON.parse(kubectl(kc, ['get', 'signals', '-n', ns, '-l', 'vigil.dev/rule=e2e_outage', '-o', 'json'])).items;
    await waitFor('100 signals', 90_000, () => outage().length >= 100);
    await new Promise((r) => setTimeout(r, 1_000)); // nothing more arrives
    const items = outage();
    assert.equal(items.length, 100);
    assert.equal(new Set(items.map((x) => x.spec.process.path)).size, 100);
    const counts = items.filter((x) => x.status?.count !== 1).map((x) => `${x.spec.process.path}: ${x.status?.count}`);
    assert.deepEqual(counts, [], 'no detection counted twice');
  });
});
