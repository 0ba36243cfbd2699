// The default ruleset as the chart installs it, end to end on this host: helm install into a
// real (private) apiserver, the operator and the sensor running with their ServiceAccounts'
// tokens. Every default rule is Valid and loaded by the node, the default policy resolves to
// the crypto-mining rules, triggers become Signals, and the policy's monitor mode turns into
// real kills when switched to enforce.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ControlPlane, haveBinaries, helm, kubectl, waitFor } from '../cluster/index.ts';
import { CHART, KubeClient, OperatorProcess, ROOT, installChart, readPublished, serviceAccountKubeconfig } from '../e2e/operator-harness.ts';
import { background, run, Scratch, sh, skipReason } from './harness.ts';

const skip = skipReason() ?? (haveBinaries() ? undefined : 'needs the control-plane binaries (make deps)');

interface SignalItem {
  spec: { rule: { id: string; severity: string; tags?: Record<string, string> }; process: { pid: number; path: string }; action?: { kill?: { status: string; policy?: string } } };
  status?: { count?: number };
}

function startSensor(env: Record<string, string>): { child: ChildProcess; stop(): Promise<void> } {
  const child = spawn('setpriv', ['--pdeathsig', 'SIGKILL', '--', process.execPath, join(ROOT, 'sensor', 'bin', 'vigil-sensor.js'), 'run'], {
    stdio: ['ignore', 'ignore', process.env.VIGIL_E2E_VERBOSE ? 'inherit' : 'ignore'], env: { ...process.env, ...env },
  });
  return {
    child,
    async stop() {
      if (child.exitCode !== null) return;
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await done;
      clearTimeout(t);
    },
  };
}

test('the chart\'s default rules and policy work in the cluster', { skip: skip ?? false, timeout: 300_000 }, async (t) => {
  const cp = await ControlPlane.start();
  const kc = cp.kubeconfigPath;
  const ns = 'vigil-system';
  const node = `node-${randomBytes(3).toString('hex')}`;
  const x = new Scratch();
  const cleanups: Array<() => Promise<void> | void> = [];
  t.after(async () => {
    for (const c of cleanups.reverse()) {
      try { await c(); } catch { /* best effort */ }
    }
    await cp.stop();
    x.remove();
  });
  kubectl(kc, ['create', 'namespace', ns]);
  kubectl(kc, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: node, labels: { 'kubernetes.io/hostname': node } } }));
  installChart(kc, 'vigil', ns);
  const admin = KubeClient.load(kc);
  cleanups.push(() => admin.close());
  const op = await OperatorProcess.start({ kubeconfig: serviceAccountKubeconfig(kc, ns, 'vigil-operator'), namespace: ns, identity: 'op' });
  cleanups.push(() => op.stop());

  const ruleNames = kubectl(kc, ['get', 'securityrules', '-o', 'jsonpath={.items[*].metadata.name}']).split(/\s+/).filter(Boolean);
  const mining = JSON.parse(kubectl(kc, ['get', 'securityrules', '-o', 'json'])).items
    .filter((r: { spec: { tags?: { category?: string } } }) => r.spec.tags?.category === 'crypto-mining').length as number;

  await t.test('every default rule is Valid and published; the policy selects the crypto-mining rules in monitor mode', async () => {
    assert.ok(ruleNames.length >= 60, `${ruleNames.length} rules installed`);
    await waitFor('every rule published', 60_000, async () => (await readPublished(admin, ns))?.ruleset.rules.length === ruleNames.length);
    const invalid = (): string[] => JSON.parse(kubectl(kc, ['get', 'securityrules', '-o', 'json'])).items
      .filter((r: { status?: { conditions?: Array<{ type: string; status: string }> } }) => !r.status?.conditions?.some((c) => c.type === 'Valid' && c.status === 'True'))
      .map((r: { metadata: { name: string } }) => r.metadata.name);
    // statuses are written just after the ruleset is published
    await waitFor('every rule Valid', 30_000, () => invalid().length === 0).catch(() => undefined);
    assert.deepEqual(invalid(), []);
    await waitFor('policy resolved', 30_000, () => kubectl(kc, ['get', 'activeprotectionpolicy', 'vigil-crypto-mining', '-o', 'jsonpath={.status.rules}']) === String(mining));
    assert.equal(kubectl(kc, ['get', 'activeprotectionpolicy', 'vigil-crypto-mining', '-o', 'jsonpath={.spec.mode}']), 'monitor');
  });

  const sensor = startSensor({
    NODE_NAME: node, VIGIL_NAMESPACE: ns, VIGIL_STATE_DIR: mkdtempSync(join(tmpdir(), 'vigil-sensor-')),
    KUBECONFIG: serviceAccountKubeconfig(kc, ns, 'vigil-sensor', { kind: 'Node', name: node }),
  });
  cleanups.push(() => sensor.stop());
  const published = async (): Promise<string> => (await readPublished(admin, ns))?.hash ?? '';
  const sensorHash = (): string => {
    try {
      return kubectl(kc, ['get', 'sensor', node, '-o', 'jsonpath={.status.ruleset.hash}']);
    } catch {
      return '';
    }
  };
  await waitFor('the sensor runs the published ruleset', 90_000, async () => sensorHash() !== '' && sensorHash() === await published());
  const signals = (): SignalItem[] => JSON.parse(kubectl(kc, ['get', 'signals', '-n', ns, '-o', 'json'])).items;
  const signalOf = (rule: string, pid: number): SignalItem | undefined => signals().find((s) => s.spec.rule.id === rule && s.spec.process.pid === pid);

  await t.test('the node loaded every rule: rules show NODES 1/1', async () => {
    await waitFor('NODES 1/1', 30_000, () => /crypto-miner-exec\s+critical\s+True\s+1\/1/.test(kubectl(kc, ['get', 'securityrules', 'crypto-miner-exec'])));
  });

  await t.test('a miner on the host → a Signal with the kill the policy would make (monitor)', async () => {
    run(x.tool('xmrig'), ['--donate-level', '1']);
    await waitFor('signal', 15_000, () => signals().some((s) => s.spec.rule.id === 'vigil_crypto_miner_exec' && s.spec.process.path === x.path('bin', 'xmrig')));
    const s = signals().find((i) => i.spec.rule.id === 'vigil_crypto_miner_exec' && i.spec.process.path === x.path('bin', 'xmrig'));
    assert.equal(s?.spec.rule.severity, 'critical');
    assert.equal(s?.spec.action?.kill?.status, 'monitored');
    assert.equal(s?.spec.action?.kill?.policy, 'vigil-crypto-mining');
    await waitFor('the command-line rule too', 10_000, () => signals().some((i) => i.spec.rule.id === 'vigil_crypto_miner_command_line'));
  });

  await t.test('a file-integrity trigger → a Signal (cat /etc/shadow)', async () => {
    sh('cat /etc/shadow > /dev/null');
    await waitFor('shadow signal', 15_000, () => signals().some((s) => s.spec.rule.id === 'vigil_shadow_file_access' && s.spec.process.path === '/usr/bin/cat'));
  });

  await t.test('switched to enforce with helm upgrade, the policy kills the next miner', async () => {
    helm(kc, ['upgrade', 'vigil', CHART, '-n', ns, '--reuse-values', '--set', 'defaultRules.cryptoMiningPolicy.mode=enforce']);
    await waitFor('the sensor runs the enforcing ruleset', 30_000, async () => {
      const p = await readPublished(admin, ns);
      return (p?.ruleset.policies ?? []).some((q) => q.name === 'vigil-crypto-mining' && q.enforce === true) && sensorHash() === p?.hash;
    });
    const miner = background(x.tool('xmrig', '/usr/bin/sleep', 'enforced'), ['30']); // another path: a Signal of its own
    cleanups.push(() => miner.stop());
    const ended = await Promise.race([miner.exited, new Promise((r) => setTimeout(() => r('still running'), 10_000))]);
    assert.equal(ended, 'SIGKILL', 'the miner was killed');
    await waitFor('a Signal saying so', 15_000, () => signalOf('vigil_crypto_miner_exec', miner.pid)?.spec.action?.kill?.status === 'performed');
  });
});
