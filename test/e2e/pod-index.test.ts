// The sensor's node-scoped pod informer against the real apiserver: container ids from pod
// status map to pod name, namespace and labels; pods of other nodes stay out; an event that
// arrives before its pod is known is enriched when the pod appears.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kubectl, useCluster } from '../cluster/index.ts';
import { PodIndex, startPodInformer } from '../../sensor/src/k8s/pod-index.ts';
import { KubeClient } from '../../sensor/src/k8s/client.ts';

const { kubeconfig, namespace } = await useCluster();
const cid = (n: number): string => n.toString(16).padStart(64, 'a');

function createPod(ns: string, name: string, node: string, containerId: string): void {
  kubectl(kubeconfig, ['apply', '-f', '-'], JSON.stringify({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: ns, labels: { app: name, tier: 'web' } },
    spec: { nodeName: node, containers: [{ name: 'main', image: 'registry.example/web:1.4' }] },
  }));
  // No kubelet here: write the status a kubelet would have written.
  kubectl(kubeconfig, ['patch', 'pod', name, '-n', ns, '--subresource=status', '--type=merge', '-p', JSON.stringify({
    status: { phase: 'Running', containerStatuses: [{
      name: 'main', image: 'registry.example/web:1.4', imageID: '', ready: true, restartCount: 0,
      containerID: `containerd://${containerId}`, state: { running: { startedAt: new Date().toISOString() } },
    }] },
  })]);
}

test('pods on this node are indexed by container id; other nodes are not watched', async () => {
  const ns = namespace('podidx');
  createPod(ns, 'here', 'node-a', cid(1));
  createPod(ns, 'elsewhere', 'node-b', cid(2));
  const index = new PodIndex();
  const informer = await startPodInformer({ client: KubeClient.fromKubeconfig(kubeconfig), nodeName: 'node-a', index });
  try {
    const m = await index.resolve(cid(1), undefined, 5_000);
    assert.equal(m?.pod.name, 'here');
    assert.equal(m?.pod.namespace, ns);
    assert.deepEqual(m?.pod.labels, { app: 'here', tier: 'web' });
    assert.equal(m?.container?.image, 'registry.example/web:1.4');
    assert.equal(index.lookup(cid(2)), undefined);

    // An event from a container whose pod does not exist yet waits for it.
    const late = index.resolve(cid(3), undefined, 10_000);
    createPod(ns, 'late', 'node-a', cid(3));
    const lm = await late;
    assert.equal(lm?.pod.name, 'late');
    assert.ok(index.stats.resolvedLate >= 1);

    kubectl(kubeconfig, ['delete', 'pod', 'here', '-n', ns, '--grace-period=0', '--force', '--wait=false']);
    const deadline = Date.now() + 10_000;
    while (index.lookup(cid(1)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(index.lookup(cid(1)), undefined);
  } finally {
    await informer.stop();
  }
});
