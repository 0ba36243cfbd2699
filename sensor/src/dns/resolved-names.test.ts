import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResolvedNames } from './resolved-names.ts';
import type { DnsMessage } from './message.ts';

const answer = (name: string, ips: string[], ttl = 60, rcode = 0): DnsMessage => ({
  id: 1, response: true, opcode: 0, rcode, truncated: false,
  questions: [{ name, type: 1, class: 1 }],
  answers: ips.map((ip) => ({ name: 'cname.target', type: ip.includes(':') ? 28 : 1, class: 1, ttl, data: ip })),
});

test('an address maps to the name that was asked for, until its TTL expires', () => {
  let now = 1_000_000;
  const c = new ResolvedNames({ now: () => now });
  assert.equal(c.observe(answer('pool.minexmr.com', ['127.0.0.1', '::1'], 60)), 2);
  assert.equal(c.lookup('127.0.0.1'), 'pool.minexmr.com');
  assert.equal(c.lookup('::1'), 'pool.minexmr.com');
  now += 59_000;
  assert.equal(c.lookup('127.0.0.1'), 'pool.minexmr.com');
  now += 2_000;
  assert.equal(c.lookup('127.0.0.1'), undefined);
});

test('TTLs are clamped; queries and failures are not recorded', () => {
  let now = 0;
  const c = new ResolvedNames({ now: () => now, minTtlSeconds: 30 });
  c.observe(answer('a.example', ['10.0.0.1'], 0));
  now += 29_000;
  assert.equal(c.lookup('10.0.0.1'), 'a.example');
  assert.equal(c.observe(answer('b.example', ['10.0.0.2'], 60, 3)), 0);
  assert.equal(c.observe({ ...answer('b.example', ['10.0.0.2']), response: false }), 0);
  assert.equal(c.lookup('10.0.0.2'), undefined);
});

test('bounded: the oldest entries go first and are counted', () => {
  const c = new ResolvedNames({ maxEntries: 2 });
  c.observe(answer('a', ['1.1.1.1']));
  c.observe(answer('b', ['2.2.2.2']));
  c.observe(answer('a', ['1.1.1.1'])); // refreshed: now the newest
  c.observe(answer('c', ['3.3.3.3']));
  assert.equal(c.size, 2);
  assert.equal(c.evicted, 1);
  assert.equal(c.lookup('2.2.2.2'), undefined);
  assert.equal(c.lookup('1.1.1.1'), 'a');
});
