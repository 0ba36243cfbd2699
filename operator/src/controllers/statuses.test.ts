import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fleetOf, policyStatus, ruleStatus, tallySignals, notificationStatus } from './statuses.ts';
import type { RulePlan } from './catalog.ts';
import type { KubeObject } from '../framework/kube.ts';

const now = new Date('2026-01-01T00:00:00Z');
const plan: RulePlan = { name: 'r', uid: 'u', id: 'r_id', generation: 2, disabled: false, published: 'current', publishedGeneration: 2,
  verdict: { valid: true, reason: 'Checked', message: 'event type exec', eventType: 'exec' } };

function sensor(node: string, hash: string, errors: { rule: string; message: string }[] = []): KubeObject {
  return { apiVersion: 'vigil.dev/v1alpha1', kind: 'Sensor', metadata: { name: node }, spec: { node }, status: { ruleset: { hash, rules: 1 }, ruleErrors: errors } };
}

test('rule status: NODES counts sensors running the written ruleset; errors name the node', () => {
  const fleet = fleetOf([sensor('a', 'h1'), sensor('b', 'h0'), sensor('c', 'h1', [{ rule: 'r_id', message: 'boom' }])]);
  const s = ruleStatus({ plan, rulesetHash: 'h1', planned: true, fleet, now });
  assert.deepEqual(s.nodes, { loaded: 1, total: 3, summary: '1/3', errors: [{ node: 'c', message: 'boom' }] });
  const ready = s.conditions?.find((c) => c.type === 'Ready');
  assert.equal(ready?.status, 'False');
  assert.equal(ready?.reason, 'LoadErrors');
  assert.equal(s.eventType, 'exec');
  assert.equal(s.observedGeneration, 2);
});

test('rule status: Ready follows publication and the fleet', () => {
  const empty = fleetOf([]);
  const reason = (p: RulePlan, planned = true, fleet = empty) => ruleStatus({ plan: p, rulesetHash: 'h', planned, fleet, now }).conditions?.find((c) => c.type === 'Ready')?.reason;
  assert.equal(reason(plan), 'Published');
  assert.equal(reason(plan, false), 'Pending');
  assert.equal(reason({ ...plan, disabled: true, published: 'none' }), 'Disabled');
  assert.equal(reason({ ...plan, published: 'previous', publishedGeneration: 1, verdict: { valid: false, reason: 'InvalidExpression', message: 'x' } }), 'PreviousVersion');
  assert.equal(reason(plan, true, fleetOf([sensor('a', 'h')])), 'Loaded');
});

test('a status computed twice from the same inputs is identical (no write loops)', () => {
  const fleet = fleetOf([sensor('a', 'h')]);
  const first = ruleStatus({ plan, rulesetHash: 'h', planned: true, fleet, now });
  const again = ruleStatus({ plan, current: first, rulesetHash: 'h', planned: true, fleet, now: new Date('2026-01-02T00:00:00Z') });
  assert.deepEqual(again, first);
});

test('signals are tallied per rule and kills per policy', () => {
  const sig = (rule: string, count: number, kill?: string): KubeObject => ({
    apiVersion: 'vigil.dev/v1alpha1', kind: 'Signal', metadata: { name: `${rule}-${count}`, namespace: 'x' },
    spec: { rule: { id: rule, severity: 'high' }, node: 'n', process: { pid: 1 }, event: { type: 'exec' }, firstSeen: '2026-01-01T00:00:00Z',
      ...(kill ? { action: { kill: { status: 'performed', policy: kill, at: '2026-01-01T00:01:00Z' } } } : {}) },
    status: { state: 'open', count, lastSeen: `2026-01-01T00:0${count}:00Z` },
  });
  const { byRule, byPolicy } = tallySignals([sig('a', 2), sig('a', 3, 'p'), sig('b', 1)]);
  assert.deepEqual(byRule.get('a'), { count: 5, kills: 0, last: '2026-01-01T00:03:00Z' });
  assert.equal(byPolicy.get('p')?.kills, 1);
  const ps = policyStatus({ name: 'p', generation: 1, verdict: { valid: true }, enforce: true, ruleIds: ['a'], unknownIds: [] }, undefined, 'h', true, fleetOf([sensor('n', 'h')]), byPolicy.get('p'), now);
  assert.equal(ps.kills, 1);
  assert.deepEqual(ps.nodes, { enforcing: 1, total: 1, summary: '1/1' });
});

test('notification status keeps the notifier\'s fields and sets Valid and the channel summary', () => {
  const s = notificationStatus({
    apiVersion: 'vigil.dev/v1alpha1', kind: 'NotificationRule', metadata: { name: 'n', generation: 3 },
    spec: { channels: [{ webhook: { url: 'https://x.example/h' } }, { slack: { webhookSecretRef: { name: 's', key: 'k' } } }] },
    status: { sent: 4, conditions: [{ type: 'Ready', status: 'True', reason: 'Delivering', message: '', lastTransitionTime: '2025-01-01T00:00:00Z' }] },
  }, now);
  assert.equal(s.sent, 4);
  assert.equal(s.channels, 'webhook,slack');
  assert.deepEqual(s.conditions?.map((c) => `${c.type}=${c.status}`), ['Ready=True', 'Valid=True']);
});
