import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as k8s from '@kubernetes/client-node';
import { PodIndex, stripRuntimeScheme } from './pod-index.ts';

const cid = (n: number): string => n.toString(16).padStart(64, '0');

function pod(uid: string, name: string, containers: Array<[string, string]>): k8s.V1Pod {
  return {
    metadata: { uid, name, namespace: 'shop', labels: { app: 'web' } },
    spec: { serviceAccountName: 'web', containers: [] },
    status: { containerStatuses: containers.map(([n, id]) => ({ name: n, containerID: `containerd://${id}`, image: `registry.example/${n}:1`, imageID: '', ready: true, restartCount: 0 })) },
  };
}

test('runtime schemes are stripped', () => {
  assert.equal(stripRuntimeScheme('containerd://abc'), 'abc');
  assert.equal(stripRuntimeScheme('cri-o://abc'), 'abc');
  assert.equal(stripRuntimeScheme('abc'), 'abc');
});

test('lookup by container id, then by pod uid', () => {
  const idx = new PodIndex();
  idx.upsert(pod('u1', 'web-1', [['web', cid(1)], ['sidecar', cid(2)]]));
  const m = idx.lookup(cid(2));
  assert.equal(m?.pod.name, 'web-1');
  assert.deepEqual(m?.container, { name: 'sidecar', image: 'registry.example/sidecar:1', runtime: 'containerd', id: cid(2) });
  assert.equal(m?.pod.labels.app, 'web');
  assert.equal(m?.pod.serviceAccount, 'web');
  assert.equal(idx.lookup(cid(9), 'u1')?.pod.name, 'web-1');
  assert.equal(idx.lookup(cid(9), 'u9'), undefined);
});

test('an update replaces the old containers; a delete forgets the pod', () => {
  const idx = new PodIndex();
  idx.upsert(pod('u1', 'web-1', [['web', cid(1)]]));
  idx.upsert(pod('u1', 'web-1', [['web', cid(3)]])); // restarted container
  assert.equal(idx.lookup(cid(1)), undefined);
  assert.equal(idx.lookup(cid(3))?.pod.uid, 'u1');
  idx.remove(pod('u1', 'web-1', []));
  assert.equal(idx.lookup(cid(3)), undefined);
  assert.equal(idx.stats.pods, 0);
});

test('an event before its pod is known waits for it, and is not dropped', async () => {
  const idx = new PodIndex();
  const pending = idx.resolve(cid(5), 'u5', 5_000);
  assert.equal(idx.waiting, 1);
  setTimeout(() => idx.upsert(pod('u5', 'late', [['c', cid(5)]])), 20);
  const m = await pending;
  assert.equal(m?.pod.name, 'late');
  assert.equal(idx.stats.resolvedLate, 1);
  assert.equal(idx.waiting, 0);
});

test('the wait is bounded in time and in number; a host process does not wait', async () => {
  const idx = new PodIndex(1);
  assert.equal(await idx.resolve('', undefined, 10_000), undefined);
  const slow = idx.resolve(cid(6), undefined, 30);
  assert.equal(await idx.resolve(cid(7), undefined, 10_000), undefined);
  assert.equal(idx.stats.waitRefused, 1);
  assert.equal(await slow, undefined);
  assert.equal(idx.stats.waitTimeouts, 1);
});
