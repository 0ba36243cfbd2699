import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scopeCovers, selectorMatches } from './scope.ts';

test('label selectors: matchLabels and every operator; unknown operators select nothing', () => {
  const labels = { app: 'web', tier: 'front' };
  assert.equal(selectorMatches(undefined, labels), true);
  assert.equal(selectorMatches({}, labels), true);
  assert.equal(selectorMatches({ matchLabels: { app: 'web' } }, labels), true);
  assert.equal(selectorMatches({ matchLabels: { app: 'db' } }, labels), false);
  assert.equal(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'back'] }] }, labels), true);
  assert.equal(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['front'] }] }, labels), false);
  assert.equal(selectorMatches({ matchExpressions: [{ key: 'team', operator: 'NotIn', values: ['x'] }] }, labels), true);
  assert.equal(selectorMatches({ matchExpressions: [{ key: 'app', operator: 'Exists' }] }, labels), true);
  assert.equal(selectorMatches({ matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, labels), false);
  assert.equal(selectorMatches({ matchExpressions: [{ key: 'app', operator: 'Gt', values: ['1'] }] }, labels), false);
});

test('scopes: none covers all; hosts only when asked; namespaces by name without an informer', () => {
  const pod = { namespace: 'shop', labels: { app: 'web' } };
  const node = { 'kubernetes.io/hostname': 'n1' };
  assert.equal(scopeCovers(undefined, { pod, nodeLabels: node }), true);
  assert.equal(scopeCovers({ scoped: false, hosts: false }, { nodeLabels: node }), true);
  assert.equal(scopeCovers({ scoped: true, hosts: false }, { nodeLabels: node }), false);
  assert.equal(scopeCovers({ scoped: true, hosts: true }, { nodeLabels: node }), true);
  const inShop = { scoped: true, namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['shop'] }] } };
  assert.equal(scopeCovers(inShop, { pod, nodeLabels: node }), true);
  assert.equal(scopeCovers(inShop, { pod: { ...pod, namespace: 'bank' }, nodeLabels: node }), false);
  assert.equal(scopeCovers({ scoped: true, podSelector: { matchLabels: { app: 'db' } } }, { pod, nodeLabels: node }), false);
  assert.equal(scopeCovers({ scoped: true, nodeSelector: { matchLabels: { 'kubernetes.io/hostname': 'n2' } } }, { pod, nodeLabels: node }), false);
});
