import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigHelp, parseConfig } from './config.ts';

test('flags override the environment; defaults fill the rest', () => {
  const c = parseConfig(['--kubeconfig', '/k', '--namespace', 'flag-ns'], { VIGIL_NAMESPACE: 'env-ns', POD_NAME: 'pod-1', VIGIL_LEASE_DURATION_MS: '8000', VIGIL_MANAGE_CRDS: 'true' });
  assert.equal(c.kubeconfig, '/k');
  assert.equal(c.namespace, 'flag-ns');
  assert.equal(c.identity, 'pod-1');
  assert.equal(c.leaseDurationMs, 8000);
  assert.equal(c.manageCrds, true);
  assert.equal(c.leaderElect, true);
  assert.equal(c.httpAddr, ':8080');
  const d = parseConfig(['--no-leader-elect'], {});
  assert.equal(d.namespace, 'vigil-system');
  assert.equal(d.leaderElect, false);
  assert.equal(d.manageCrds, false);
  assert.match(d.identity, /-\d+$/);
});

test('bad input is refused before anything starts', () => {
  assert.throws(() => parseConfig(['--bogus'], {}), /Unknown option/);
  assert.throws(() => parseConfig([], { VIGIL_LOG_LEVEL: 'loud' }), /logLevel/);
  assert.throws(() => parseConfig([], { VIGIL_LEASE_DURATION_MS: '5' }), /leaseDurationMs/);
  assert.throws(() => parseConfig(['-h'], {}), ConfigHelp);
});
