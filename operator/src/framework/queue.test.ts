import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedQueue } from './queue.ts';
import { PermanentError, TemporaryError } from './errors.ts';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('one key runs serially and collapses events; keys run in parallel', async () => {
  const running = new Set<string>();
  let maxParallel = 0;
  const runs: string[] = [];
  const q = new KeyedQueue(async (key) => {
    assert.ok(!running.has(key), `key ${key} ran twice at once`);
    running.add(key);
    maxParallel = Math.max(maxParallel, running.size);
    runs.push(key);
    await tick(20);
    running.delete(key);
  }, { concurrency: 4 });
  q.add('a');
  await tick(1);
  for (let i = 0; i < 10; i++) q.add('a'); // while a runs: one more run, not ten
  for (const k of ['b', 'c', 'd']) q.add(k);
  await q.idle();
  assert.equal(runs.filter((k) => k === 'a').length, 2);
  assert.equal(maxParallel, 4);
});

test('temporary errors retry with backoff; permanent errors stop', async () => {
  let tries = 0;
  let perm = 0;
  const errors: boolean[] = [];
  const q = new KeyedQueue(async (key) => {
    if (key === 'flaky') {
      tries++;
      if (tries < 3) throw new TemporaryError('not yet', 10);
    } else {
      perm++;
      throw new PermanentError('never', 'Broken');
    }
  }, { onError: (_k, _e, retry) => errors.push(retry) });
  q.add('flaky');
  q.add('broken');
  await q.idle();
  assert.equal(tries, 3);
  assert.equal(perm, 1);
  assert.deepEqual(errors.sort(), [false, true, true]);
  assert.equal(q.stats.permanent, 1);
});

test('unknown errors back off, capped', async () => {
  const times: number[] = [];
  const q = new KeyedQueue(async () => {
    times.push(Date.now());
    if (times.length < 4) throw new Error('boom');
  }, { baseBackoffMs: 10, maxBackoffMs: 20 });
  q.add('k');
  await q.idle();
  assert.equal(times.length, 4);
  const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
  assert.ok(gaps.every((g) => g >= 4 && g < 200), `gaps ${gaps}`);
});
