// The sensor's own Kubernetes client (sensor/src/k8s/client.ts) and its informer
// (watch.ts) against the real apiserver: calls and their errors, and an informer that
// sees add, update and delete (a list first, then the watch from its version).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { kubectl, useCluster, waitFor } from '../cluster/index.ts';
import { apiStatus, KubeApiError, KubeClient } from '../../sensor/src/k8s/client.ts';
import { keepWatching } from '../../sensor/src/k8s/watch.ts';

const { kubeconfig, namespace } = await useCluster();

test('create, read, merge-patch and delete a ConfigMap; 404 and 409 come back as their codes', async () => {
  const ns = namespace('kclient');
  const client = KubeClient.fromKubeconfig(kubeconfig);
  try {
    const base = `/api/v1/namespaces/${ns}/configmaps`;
    const created = await client.call<V1ConfigMap>('POST', base, { body: { metadata: { name: 'one' }, data: { a: '1' } } });
    assert.equal(created.metadata?.name, 'one');
    const dup = await client.call('POST', base, { body: { metadata: { name: 'one' } } }).then(() => undefined, (e: unknown) => e);
    assert.ok(dup instanceof KubeApiError);
    assert.equal(apiStatus(dup), 409);
    await client.call('PATCH', `${base}/one`, { body: { data: { b: '2' } } });
    const read = await client.call<V1ConfigMap>('GET', `${base}/one`);
    assert.deepEqual(read.data, { a: '1', b: '2' });
    await client.call('DELETE', `${base}/one`);
    assert.equal(apiStatus(await client.call('GET', `${base}/one`).then(() => undefined, (e: unknown) => e)), 404);
  } finally {
    client.close();
  }
});

test('the informer sees a labelled ConfigMap added, updated and deleted, and nothing after stop()', async () => {
  const ns = namespace('kinformer');
  const client = KubeClient.fromKubeconfig(kubeconfig);
  const seen: string[] = [];
  const errors: unknown[] = [];
  const kept = keepWatching<V1ConfigMap>(client, `/api/v1/namespaces/${ns}/configmaps`, { labelSelector: 'vigil.dev/test=1' }, {
    onAdd: (cm) => seen.push(`add ${cm.metadata?.name} ${cm.data?.v ?? ''}`),
    onUpdate: (cm) => seen.push(`update ${cm.metadata?.name} ${cm.data?.v ?? ''}`),
    onDelete: (cm) => seen.push(`delete ${cm.metadata?.name}`),
  }, (err) => errors.push(err));
  const apply = (name: string, v: string, labelled = true): void => {
    kubectl(kubeconfig, ['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, labels: labelled ? { 'vigil.dev/test': '1' } : {} }, data: { v },
    }));
  };
  try {
    apply('before', '0'); // listed at start
    await kept.start();
    assert.deepEqual(seen, ['add before 0']);
    apply('cm', '1');
    apply('other', '1', false); // not selected
    apply('cm', '2');
    kubectl(kubeconfig, ['delete', 'configmap', 'cm', '-n', ns]);
    await waitFor('add, update, delete', 10_000, () => seen.length >= 4);
    assert.deepEqual(seen, ['add before 0', 'add cm 1', 'update cm 2', 'delete cm']);
    assert.deepEqual(errors, []);
  } finally {
    await kept.stop();
  }
  apply('after', '1');
  await new Promise((r) => setTimeout(r, 500));
  assert.ok(!seen.some((s) => s.includes('after')), 'nothing after stop()');
  client.close();
});
