// The framework's fixes of the base class, against the real apiserver: a watch that ends
// resumes from its resourceVersion without relisting; an expired resourceVersion (410 Gone)
// relists and reports only what changed; status writes retry a 409 conflict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ControlPlane, kubectl, waitFor } from '../cluster/index.ts';
import { ROOT } from './operator-harness.ts';
import { KubeClient, type KubeObject } from '../../operator/src/framework/kube.ts';
import { Informer, type Change, type WatchEvent } from '../../operator/src/framework/watch.ts';
import { StatusWriter } from '../../operator/src/framework/status.ts';
import { CORE } from '../../operator/src/framework/kube.ts';
import { REFS } from '../../operator/src/controllers/refs.ts';
import { ControllerOperator } from '../../operator/src/framework/operator.ts';
import { KubeApiError, TemporaryError } from '../../operator/src/framework/errors.ts';
import { Registry } from '../../operator/src/framework/metrics.ts';
import { createLogger } from '../../operator/src/framework/logger.ts';
import type { ResourceEvent } from '@dot-i/k8s-operator';

/** The base class's own API (watchResource, patchResourceStatus), as a user of it would call it. */
class BaseApiOperator extends ControllerOperator {
  readonly seen: string[] = [];
  failedOnce = false;
  constructor(client: KubeClient, private readonly ns: string) {
    super({ client, logger: createLogger('silent'), registry: new Registry() });
  }

  protected async init(): Promise<void> {
    await this.watchResource('', 'v1', 'configmaps', async (e: ResourceEvent) => {
      if (!e.meta.name.startsWith('base-')) return;
      if (e.meta.name === 'base-flaky' && !this.failedOnce) {
        this.failedOnce = true;
        throw new TemporaryError('not yet', 50);
      }
      this.seen.push(`${e.type} ${e.meta.name} ${(e.object as { data?: { v?: string } }).data?.v ?? ''}`);
    }, this.ns);
    await this.watchResource('vigil.dev', 'v1alpha1', 'sensors', async () => {});
  }

  register(file: string) {
    return this.registerCustomResourceDefinition(file);
  }

  patchStatus(meta: ResourceEvent['meta'], status: unknown) {
    return this.patchResourceStatus(meta, status);
  }
}

test('framework: resuming watches, 410 relists, conflict-retrying status writes', { timeout: 300_000 }, async (t) => {
  // A private control plane that compacts etcd every few seconds, so old resourceVersions
  // really expire (the shared one would keep them for minutes).
  const cp = await ControlPlane.start({ apiserverFlags: ['--etcd-compaction-interval=3s'] });
  const cluster = { kubeconfig: cp.kubeconfigPath };
  const ns = 'vigil-fw';
  kubectl(cluster.kubeconfig, ['create', 'namespace', ns]);
  kubectl(cluster.kubeconfig, ['apply', '--server-side', '-f', join(ROOT, 'crds')]);
  kubectl(cluster.kubeconfig, ['wait', '--for=condition=Established', 'crd', '--all', '--timeout=60s']);
  const client = KubeClient.load(cluster.kubeconfig);
  t.after(async () => {
    client.close();
    await cp.stop();
  });

  await t.test('a watch the server ends resumes from its resourceVersion: no relist, nothing replayed', async () => {
    const inf = new Informer<KubeObject>(client, CORE.configMaps, { namespace: ns, watchTimeoutSeconds: 1 });
    const events: WatchEvent[] = [];
    const changes: Change<KubeObject>[] = [];
    inf.onWatchEvent((e) => events.push(e));
    inf.onChange((c) => changes.push(c));
    kubectl(cluster.kubeconfig, ['create', 'configmap', 'before', '-n', ns]);
    inf.start();
    t.after(() => inf.stop());
    await inf.waitSynced();
    await waitFor('two server-side closes', 10_000, () => events.filter((e) => e.kind === 'closed').length >= 2);
    kubectl(cluster.kubeconfig, ['create', 'configmap', 'during', '-n', ns]);
    await waitFor('the new object', 5_000, () => inf.get(`${ns}/during`) !== undefined);
    assert.equal(events.filter((e) => e.kind === 'listed').length, 1, 'listed once');
    assert.deepEqual(changes.filter((c) => c.key.endsWith('/before')).map((c) => c.type), ['ADDED'], 'no replay of known objects');
    // kube-root-ca.crt may be published into the namespace meanwhile: compare the objects we made.
    assert.deepEqual(changes.filter((c) => c.key.endsWith('/during')).map((c) => c.type), ['ADDED']);
  });

  await t.test('an expired resourceVersion (410 Gone) relists and reports only the difference', async () => {
    const inf = new Informer<KubeObject>(client, CORE.configMaps, { namespace: ns });
    const events: WatchEvent[] = [];
    const changes: Change<KubeObject>[] = [];
    inf.onWatchEvent((e) => events.push(e));
    inf.onChange((c) => changes.push(c));
    inf.start();
    t.after(() => inf.stop());
    await inf.waitSynced();
    const before = changes.length;
    kubectl(cluster.kubeconfig, ['delete', 'configmap', 'before', '-n', ns]);
    kubectl(cluster.kubeconfig, ['create', 'configmap', 'gone-test', '-n', ns]);
    await waitFor('both changes seen', 5_000, () => inf.get(`${ns}/gone-test`) !== undefined && inf.get(`${ns}/before`) === undefined);
    // Pretend the connection dropped long ago: resume from a version etcd has compacted away.
    const old = inf.lastResourceVersion;
    kubectl(cluster.kubeconfig, ['create', 'configmap', 'while-away', '-n', ns]);
    for (let i = 0; i < 3; i++) kubectl(cluster.kubeconfig, ['create', 'configmap', `filler-${i}`, '-n', ns]);
    await new Promise((r) => setTimeout(r, 8_000)); // two compaction intervals
    // The apiserver's watch cache remembers everything since it started; a restarted one
    // starts at the current version, so the compacted one is now really gone.
    await cp.stopComponent('kube-apiserver');
    await cp.startComponent('kube-apiserver');
    await waitFor('watching again after the restart', 30_000, () => events.at(-1)?.kind === 'connected');
    // Usually the restart alone is a 410 (the apiserver wrote while starting, so its cache
    // begins past our version); if not, resume from the compacted version ourselves.
    if (!events.some((e) => e.kind === 'gone')) inf.resumeFrom(old);
    await waitFor('relisted after 410', 10_000, () => events.some((e) => e.kind === 'listed' && e.relist)).catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(events.map((e) => (e.kind === 'error' ? `error ${e.error.message}` : e.kind)))}`);
    });
    assert.ok(events.some((e) => e.kind === 'gone'), '410 reported');
    await waitFor('cache complete', 5_000, () => inf.get(`${ns}/while-away`) !== undefined);
    const after = changes.slice(before).map((c) => `${c.type} ${c.key.split('/')[1]}`);
    assert.equal(after.filter((c) => c.endsWith(' during')).length, 0, 'unchanged objects are not re-reported');
    assert.equal(after.filter((c) => c === 'ADDED while-away').length, 1);
  });

  await t.test('the base class API: per-object ordered events, retried handlers, status errors thrown', async () => {
    const op = new BaseApiOperator(client, ns);
    await op.start();
    t.after(() => op.shutdown());
    kubectl(cluster.kubeconfig, ['create', 'configmap', 'base-a', '-n', ns, '--from-literal=v=1']);
    kubectl(cluster.kubeconfig, ['create', 'configmap', 'base-flaky', '-n', ns, '--from-literal=v=1']);
    kubectl(cluster.kubeconfig, ['patch', 'configmap', 'base-a', '-n', ns, '-p', '{"data":{"v":"2"}}']);
    kubectl(cluster.kubeconfig, ['delete', 'configmap', 'base-a', '-n', ns]);
    await waitFor('events handled', 10_000, () => op.seen.length >= 4);
    assert.deepEqual(op.seen.filter((x) => x.includes('base-a')), ['ADDED base-a 1', 'MODIFIED base-a 2', 'DELETED base-a 2']);
    assert.ok(op.failedOnce);
    assert.deepEqual(op.seen.filter((x) => x.includes('base-flaky')), ['ADDED base-flaky 1'], 'a temporary failure is retried');
    // The base returned null on any status error; ours throws a typed error.
    const meta = { id: 'sensors.vigil.dev/v1alpha1', name: 'no-such-sensor', resourceVersion: '1', apiVersion: 'vigil.dev/v1alpha1', kind: 'Sensor' };
    await assert.rejects(op.patchStatus(meta, { drops: 1 }), (e: unknown) => e instanceof KubeApiError && e.code === 'not-found');
    // CRD registration applies (and so upgrades) instead of create-and-ignore-409.
    const reg = await op.register(join(ROOT, 'crds', 'vigil.dev_sensors.yaml'));
    assert.deepEqual([reg.group, reg.plural, reg.versions[0]?.name], ['vigil.dev', 'sensors', 'v1alpha1']);
    assert.match(kubectl(cluster.kubeconfig, ['get', 'crd', 'sensors.vigil.dev', '-o', 'yaml', '--show-managed-fields']), /manager: vigil-operator/);
  });

  await t.test('a status write on a stale object meets 409, reads it again and succeeds', async () => {
    const name = `${ns}-conflict`;
    kubectl(cluster.kubeconfig, ['apply', '-f', '-'], `apiVersion: vigil.dev/v1alpha1\nkind: Sensor\nmetadata:\n  name: ${name}\nspec:\n  node: ${name}\n`);
    t.after(() => { try { kubectl(cluster.kubeconfig, ['delete', 'sensor', name]); } catch { /* gone */ } });
    const stale = await client.get<KubeObject>(REFS.sensors, name);
    kubectl(cluster.kubeconfig, ['label', 'sensor', name, 'touched=yes']); // moves resourceVersion on
    const writer = new StatusWriter(client);
    const res = await writer.write(REFS.sensors, stale, () => ({ drops: 7 }));
    assert.equal(res.written, true);
    assert.equal(res.conflicts, 1);
    assert.equal(writer.conflicts, 1);
    const now = await client.get<KubeObject & { status?: { drops?: number } }>(REFS.sensors, name);
    assert.equal(now.status?.drops, 7);
    assert.equal(now.metadata?.labels?.touched, 'yes', 'the other writer\'s change survives');
    const again = await writer.write(REFS.sensors, now, () => ({ drops: 7 }));
    assert.equal(again.written, false, 'no write when nothing changes');
  });
});
