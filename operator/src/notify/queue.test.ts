import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeliveryError } from './errors.ts';
import { DeliveryQueue, type JobOutcome } from './queue.ts';

const fast = { baseDelayMs: 5, maxDelayMs: 20, random: () => 1 };

function scripted(codes: (DeliveryError | 'ok')[]) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    async run(): Promise<string> {
      const c = codes[calls++] ?? 'ok';
      if (c === 'ok') return 'delivered';
      throw c;
    },
  };
}

test('500, 500, 200: retried with backoff and delivered exactly once', async () => {
  const q = new DeliveryQueue(fast);
  const s = scripted([new DeliveryError('http_server_error', 'HTTP 500'), new DeliveryError('http_server_error', 'HTTP 500'), 'ok']);
  const outcomes: JobOutcome[] = [];
  const retries: number[] = [];
  q.enqueue({ key: 'a', run: () => s.run(), done: (o) => { outcomes.push(o); }, retrying: (_e, attempt) => retries.push(attempt) });
  await q.idle();
  assert.equal(s.calls, 3);
  assert.deepEqual(retries, [1, 2]);
  assert.deepEqual(outcomes, [{ ok: true, receipt: 'delivered', attempts: 3 }]);
});

test('400 is not retried; the failure is the outcome', async () => {
  const q = new DeliveryQueue(fast);
  const s = scripted([new DeliveryError('http_client_error', 'HTTP 400: invalid_payload', { status: 400 })]);
  const outcomes: JobOutcome[] = [];
  q.enqueue({ key: 'a', run: () => s.run(), done: (o) => { outcomes.push(o); } });
  await q.idle();
  assert.equal(s.calls, 1);
  assert.equal(outcomes.length, 1);
  assert.ok(!outcomes[0]?.ok && outcomes[0]?.error.code === 'http_client_error');
});

test('retries stop at maxAttempts; Retry-After is honoured', async () => {
  const q = new DeliveryQueue({ ...fast, maxAttempts: 3 });
  const s = scripted(Array.from({ length: 5 }, () => new DeliveryError('rate_limited', 'HTTP 429', { retryAfterMs: 30 })));
  const delays: number[] = [];
  let outcome: JobOutcome | undefined;
  q.enqueue({ key: 'a', run: () => s.run(), done: (o) => { outcome = o; }, retrying: (_e, _a, d) => delays.push(d) });
  await q.idle();
  assert.equal(s.calls, 3);
  assert.deepEqual(delays, [30, 30]);
  assert.ok(outcome && !outcome.ok && outcome.attempts === 3);
});

test('a key is sent once while queued or running; the queue is bounded', async () => {
  const q = new DeliveryQueue({ ...fast, maxQueued: 2, concurrency: 1 });
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const job = (key: string) => ({ key, run: async () => { await gate; return 'ok'; }, done: () => {} });
  assert.equal(q.enqueue(job('a')), 'queued');
  assert.equal(q.enqueue(job('a')), 'duplicate');
  assert.equal(q.enqueue(job('b')), 'queued');
  assert.equal(q.enqueue(job('c')), 'full');
  release();
  await q.idle();
  assert.deepEqual({ ...q.stats }, { enqueued: 2, duplicates: 1, refused: 1, attempts: 2, retries: 0, succeeded: 2, failed: 0 });
  assert.equal(q.enqueue(job('a')), 'queued'); // finished keys may be asked for again
  await q.idle();
});

test('close() forgets waiting jobs and records nothing for a retryable failure in flight', async () => {
  const q = new DeliveryQueue({ ...fast, baseDelayMs: 10_000, maxDelayMs: 10_000 });
  const outcomes: JobOutcome[] = [];
  q.enqueue({ key: 'a', run: async () => { throw new DeliveryError('network', 'ECONNREFUSED'); }, done: (o) => { outcomes.push(o); } });
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(q.depth, 1); // waiting for its retry
  q.close();
  await q.idle();
  assert.equal(q.depth, 0);
  assert.deepEqual(outcomes, []);
  assert.equal(q.enqueue({ key: 'b', run: async () => 'x', done: () => {} }), 'closed');
});
