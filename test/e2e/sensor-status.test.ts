// The sensor's Sensor object against the real apiserver: created on first write, shown by
// `kubectl get sensors`, updated soon after an urgent change, conditions keep their
// transition times, heartbeats keep coming.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kubectl, useCluster, waitFor } from '../cluster/index.ts';
import { SensorStatusReporter, type StatusSnapshot } from '../../sensor/src/report/sensor-status.ts';
import { KubeClient } from '../../sensor/src/k8s/client.ts';

const crd = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'crds', 'vigil.dev_sensors.yaml');
const { kubeconfig } = await useCluster();
kubectl(kubeconfig, ['apply', '--server-side', '--force-conflicts', '-f', crd]);
kubectl(kubeconfig, ['wait', '--for=condition=Established', '--timeout=30s', 'crd/sensors.vigil.dev']);

test('Sensor status: created, urgent updates within a second, heartbeats, stable transition times', async () => {
  const node = `node-${Date.now().toString(36)}`;
  let snap: StatusSnapshot = {
    version: '0.1.0', kernel: '6.18', ruleset: { hash: 'a'.repeat(64), rules: 3 }, drops: 0, ruleErrors: [],
    conditions: { Ready: ['True', 'Running', 'all hooks attached'] },
  };
  const r = new SensorStatusReporter({ client: KubeClient.fromKubeconfig(kubeconfig), node, intervalMs: 1_000, snapshot: () => snap });
  const get = (): { status: { ruleset: { hash: string }; lastHeartbeat: string; conditions: Array<{ type: string; lastTransitionTime: string }> } } =>
    JSON.parse(kubectl(kubeconfig, ['get', 'sensor', node, '-o', 'json']));
  r.start();
  try {
    await waitFor('sensor object', 5_000, () => { try { return get().status.ruleset.hash === 'a'.repeat(64); } catch { return false; } });
    assert.match(kubectl(kubeconfig, ['get', 'sensors']), new RegExp(`${node}\\s+${node}\\s+True\\s+a{64}\\s+3\\s+0`));
    const readySince = get().status.conditions.find((c) => c.type === 'Ready')?.lastTransitionTime;
    const beat = get().status.lastHeartbeat;
    await waitFor('heartbeat', 5_000, () => get().status.lastHeartbeat !== beat);

    snap = { ...snap, ruleset: { hash: 'b'.repeat(64), rules: 4 } };
    const started = Date.now();
    r.urgent();
    await waitFor('new hash', 2_000, () => get().status.ruleset.hash === 'b'.repeat(64));
    process.stderr.write(`urgent Sensor status update visible in ${Date.now() - started} ms\n`);
    assert.equal(get().status.conditions.find((c) => c.type === 'Ready')?.lastTransitionTime, readySince);
  } finally {
    await r.stop();
  }
});
