import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeClient } from './client.ts';
import { keepWatching } from './watch.ts';

test('a list that keeps failing is retried with growing backoff, and stop() ends it', async () => {
  // nothing listens on port 1: every list fails at once
  const client = new KubeClient({ server: 'https://127.0.0.1:1', insecureSkipTlsVerify: true });
  const delays: number[] = [];
  let errors = 0;
  const kept = keepWatching(client, '/api/v1/configmaps', {}, {}, (_err, retryInMs) => {
    errors++;
    delays.push(retryInMs);
  });
  await kept.start(); // a failing first list is reported, not thrown
  await new Promise((r) => setTimeout(r, 1_700));
  await kept.stop();
  assert.deepEqual(delays.slice(0, 3), [500, 1000, 2000]);
  const after = errors;
  await new Promise((r) => setTimeout(r, 2_500));
  assert.equal(errors, after, 'no retry after stop()');
  client.close();
});
