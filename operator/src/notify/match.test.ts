import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matches, workloadKey } from './match.ts';
import { makeSignal } from './testing.ts';

const base = { minSeverity: 'info' as const };

test('severity at least, rule ids, tags (technique prefix), namespaces, killed', () => {
  const s = makeSignal({ severity: 'high', tags: { technique: 'T1059.004', category: 'process' }, killed: true });
  assert.ok(matches(undefined, s));
  assert.ok(matches({ minSeverity: 'high' }, s));
  assert.ok(!matches({ minSeverity: 'critical' }, s));
  assert.ok(matches({ minSeverity: 'info', severities: ['high'] }, s), 'exactly high');
  assert.ok(!matches({ minSeverity: 'info', severities: ['low', 'critical'] }, s), 'exactly low or critical');
  assert.ok(matches({ ...base, ruleIds: ['shell_in_container'] }, s));
  assert.ok(!matches({ ...base, ruleIds: ['crypto_miner_exec'] }, s));
  assert.ok(matches({ ...base, tags: { technique: 'T1059' } }, s));
  assert.ok(matches({ ...base, tags: { technique: 'T1059.004', category: 'process' } }, s));
  assert.ok(!matches({ ...base, tags: { technique: 'T105' } }, s));
  assert.ok(!matches({ ...base, tags: { category: 'crypto-mining' } }, s));
  assert.ok(matches({ ...base, namespaces: ['shop', 'db'] }, s));
  assert.ok(!matches({ ...base, namespaces: ['db'] }, s));
  assert.ok(matches({ ...base, killed: true }, s));
  assert.ok(!matches({ ...base, killed: false }, s));
  assert.ok(matches({ ...base, killed: null }, makeSignal()));
  assert.ok(matches({ ...base, killed: false }, makeSignal()));
});

test('workload: pods of one Deployment share a key; host signals group by node', () => {
  assert.equal(workloadKey(makeSignal({ pod: 'web-7d9f8b6c4-x2x9z' })), 'shop/web');
  assert.equal(workloadKey(makeSignal({ pod: 'web-7d9f8b6c4-abcde' })), 'shop/web');
  assert.equal(workloadKey(makeSignal({ pod: null })), 'node/worker-1');
});
