// The whole loop on this host: the chart installed in a real apiserver, the operator and the
// sensor running as local processes with their ServiceAccounts' tokens (the sensor's bound
// to its Node, as the chart's admission policy expects), the real kernel underneath.
//   kubectl apply a rule → the sensor reports the new hash, the rule shows NODES 1/1;
//   a "container" (unshare'd namespaces in a kubelet-shaped cgroup, its Pod in the
//   apiserver) runs a matching command → a Signal in the pod's namespace and a Warning on
//   the Pod; 1,000 repeats → one Signal with count 1000;
//   a malformed ruleset ConfigMap → refused, shown in Sensor status, previous keeps detecting.
// A private control plane: Sensor objects are cluster-scoped and NODES counts them all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { ControlPlane, kubectl, waitFor } from '../cluster/index.ts';
import { CgroupResolver } from '../../sensor/src/enrich/container.ts';
import { KubeClient, OperatorProcess, ROOT, applyYaml, installChart, readPublished, serviceAccountKubeconfig } from './operator-harness.ts';

const root = process.getuid?.() === 0;
const built = existsSync(join(ROOT, 'sensor', 'native', 'build', 'Release', 'vigil_sensor.node'));
const skip = !root ? 'needs root (loads BPF programs)' : !built ? 'needs the sensor addon (make build)' : false;

class SensorProcess {
  readonly lines: string[] = [];
  private constructor(readonly child: ChildProcess) {
    let buf = '';
    child.stderr?.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        this.lines.push(buf.slice(0, nl));
        if (process.env.VIGIL_E2E_VERBOSE) process.stderr.write(`[sensor] ${buf.slice(0, nl)}\n`);
        buf = buf.slice(nl + 1);
      }
    });
  }
  static start(env: Record<string, string>): SensorProcess {
    const child = spawn('setpriv', ['--pdeathsig', 'SIGKILL', '--', process.execPath, join(ROOT, 'sensor', 'bin', 'vigil-sensor.js'), 'run'], {
      stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env },
    });
    return new SensorProcess(child);
  }
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const done = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await done;
    clearTimeout(t);
  }
}

test('rules reach the sensor, detections become Signals and Events, bad rulesets are refused', { skip }, async (t) => {
  const cp = await ControlPlane.start({ controllerManager: true });
  const kc = cp.kubeconfigPath;
  const resolver = CgroupResolver.fromSystem() as CgroupResolver;
  const ns = 'vigil-system';
  const app = 'shop';
  const node = `node-${randomBytes(3).toString('hex')}`;
  const cleanups: Array<() => Promise<void> | void> = [];
  t.after(async () => {
    for (const c of cleanups.reverse()) {
      try { await c(); } catch { /* best effort */ }
    }
    await cp.stop();
  });
  kubectl(kc, ['create', 'namespace', ns]);
  kubectl(kc, ['create', 'namespace', app]);
  kubectl(kc, ['create', 'serviceaccount', 'default', '-n', app]);
  kubectl(kc, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: node, labels: { 'kubernetes.io/hostname': node } } }));
  installChart(kc, 'vigil', ns, ['defaultRules.enabled=false']);
  const admin = KubeClient.load(kc);
  cleanups.push(() => admin.close());

  const op = await OperatorProcess.start({ kubeconfig: serviceAccountKubeconfig(kc, ns, 'vigil-operator'), namespace: ns, identity: 'op' });
  cleanups.push(() => op.stop());
  await waitFor('first ruleset', 30_000, async () => (await readPublished(admin, ns)) !== undefined);

  const stateDir = mkdtempSync(join(tmpdir(), 'vigil-sensor-'));
  const sensor = SensorProcess.start({
    NODE_NAME: node, VIGIL_NAMESPACE: ns, VIGIL_STATE_DIR: stateDir,
    KUBECONFIG: serviceAccountKubeconfig(kc, ns, 'vigil-sensor', { kind: 'Node', name: node }),
  });
  cleanups.push(() => sensor.stop());
  const sensorStatus = (): { ruleset?: { hash: string }; conditions?: Array<{ type: string; status: string; reason: string; message: string }> } | undefined => {
    try {
      return JSON.parse(kubectl(kc, ['get', 'sensor', node, '-o', 'json'])).status;
    } catch {
      return undefined;
    }
  };
  await waitFor('sensor reports', 60_000, () => sensorStatus()?.ruleset !== undefined);

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

  // The "container": namespaces from unshare, a cgroup named the way kubelet + containerd do.
  const podUid = randomUUID();
  const cid = randomBytes(32).toString('hex');
  const cgroup = `vigil-e2e.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${podUid.replace(/-/g, '_')}.slice/cri-containerd-${cid}.scope`;
  mkdirSync(join(resolver.mount, cgroup), { recursive: true });
  cleanups.push(() => {
    const parts = cgroup.split('/');
    for (let i = parts.length; i > 0; i--) {
      try { rmdirSync(join(resolver.mount, ...parts.slice(0, i))); } catch { /* still in use */ }
    }
  });
  kubectl(kc, ['apply', '-f', '-'], JSON.stringify({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: app, uid: undefined, labels: { app: 'web' } },
    spec: { nodeName: node, containers: [{ name: 'web', image: 'registry.example/web:1.4' }] },
  }));
  kubectl(kc, ['patch', 'pod', 'web-1', '-n', app, '--subresource=status', '--type=merge', '-p', JSON.stringify({
    status: { phase: 'Running', containerStatuses: [{ name: 'web', image: 'registry.example/web:1.4', imageID: '', ready: true, restartCount: 0, containerID: `containerd://${cid}` }] },
  })]);
  const inContainer = (script: string): void => {
    const r = spawnSync('sh', ['-c', `echo $$ > ${join(resolver.mount, cgroup, 'cgroup.procs')} && exec unshare --pid --uts --net --mount --fork sh -c '${script}'`], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
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
});
