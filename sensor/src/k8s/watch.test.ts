import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { keepWatching } from './watch.ts';

test('a list that keeps failing is retried with growing backoff, and stop() ends it', async () => {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: true }],
    users: [{ name: 'u' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x',
  });
  let lists = 0;
  const lw = new k8s.ListWatch<k8s.V1ConfigMap>('/api/v1/configmaps', new k8s.Watch(kc), async () => {
    lists++;
    throw new Error('apiserver away');
  }, false);
  const delays: number[] = [];
  const kept = keepWatching(lw, (_err, retryInMs) => delays.push(retryInMs));
  await kept.start(); // a failing first list is reported, not thrown
  await new Promise((r) => setTimeout(r, 1_700));
  await kept.stop();
  assert.deepEqual(delays.slice(0, 3), [500, 1000, 2000]);
  const after = lists;
  await new Promise((r) => setTimeout(r, 2_500));
  assert.equal(lists, after, 'no retry after stop()');
});
