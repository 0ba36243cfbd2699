// 1,000 SecurityRules applied at once, on a private control plane: they reconcile into one
// consistent ruleset ConfigMap and 1,000 honest statuses. Prints the time it took and the
// operator's memory (figures, not assertions: timing never fails a test). Then rulesets
// past ~900 KiB are sharded behind a manifest, and shrink back with their shards removed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ControlPlane, helm, kubectl, waitFor } from '../cluster/index.ts';
import { CHART, KubeClient, OperatorProcess, readPublished, serviceAccountKubeconfig } from './operator-harness.ts';
import { RULESET_LABEL } from '../../operator/src/ruleset/index.ts';

const RULES = { group: 'vigil.dev', version: 'v1alpha1', plural: 'securityrules', kind: 'SecurityRule', namespaced: false };
const CM = { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true };

async function pool<T>(items: readonly T[], width: number, fn: (t: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await fn(items[next++] as T);
  }));
}

test('operator: 1,000 rules at once, and sharded rulesets', { timeout: 900_000 }, async (t) => {
  const cp = await ControlPlane.start();
  const kc = cp.kubeconfigPath;
  const ns = 'vigil-system';
  const admin = KubeClient.load(kc);
  const procs: OperatorProcess[] = [];
  t.after(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    admin.close();
    await cp.stop();
  });
  kubectl(kc, ['create', 'namespace', ns]);
  helm(kc, ['install', 'vigil', CHART, '-n', ns, '--set', 'defaultRules.enabled=false']);
  const o = await OperatorProcess.start({ kubeconfig: serviceAccountKubeconfig(kc, ns, 'vigil-operator'), namespace: ns, identity: 'scale' });
  procs.push(o);
  await waitFor('empty ruleset published', 30_000, async () => (await readPublished(admin, ns)) !== undefined);
  let peakRss = o.rssBytes();
  const sampler = setInterval(() => { if (o.alive) peakRss = Math.max(peakRss, o.rssBytes()); }, 100);
  t.after(() => clearInterval(sampler));

  await t.test('1,000 SecurityRules reconcile into one consistent ConfigMap', async () => {
    const idleRss = o.rssBytes();
    const names = Array.from({ length: 1000 }, (_, i) => `scale-${String(i).padStart(4, '0')}`);
    const t0 = performance.now();
    await pool(names, 32, (name) => admin.create(RULES, {
      apiVersion: 'vigil.dev/v1alpha1', kind: 'SecurityRule', metadata: { name },
      spec: { expression: `exec.file.name == "${name}" && process.uid == 0`, severity: 'medium', tags: { category: 'scale' } },
    }));
    const created = performance.now() - t0;
    let published = 0;
    await waitFor('all 1,000 rules in the ruleset', 120_000, async () => {
      const rs = await readPublished(admin, ns); // verifies the sha256 annotation against the payload
      if (rs?.ruleset.rules.length !== 1000) return false;
      published = performance.now() - t0;
      return true;
    });
    let statuses = 0;
    await waitFor('1,000 statuses Valid and Ready', 300_000, async () => {
      const list = await admin.list<{ status?: { conditions?: { type: string; status: string }[] } }>(RULES);
      const done = list.items.filter((r) => r.status?.conditions?.filter((c) => c.status === 'True').length === 2).length;
      if (done !== 1000) return false;
      statuses = performance.now() - t0;
      return true;
    });
    const rs = await readPublished(admin, ns);
    assert.equal(rs?.ruleset.rules.length, 1000);
    const maps = await admin.list(CM, ns, { labelSelector: RULESET_LABEL });
    assert.equal(maps.items.length, 1, 'one ConfigMap');
    const metrics = (await o.get('/metrics')).text;
    const writes = /vigil_operator_ruleset_writes_total\{result="ok"\} (\d+)/.exec(metrics)?.[1];
    const conflicts = /^vigil_operator_status_conflicts (\d+)/m.exec(metrics)?.[1];
    const line = `1,000 rules: created in ${(created / 1000).toFixed(1)} s; ruleset ConfigMap complete after ${(published / 1000).toFixed(1)} s `
      + `(${rs?.bytes.length} bytes, ${writes} ConfigMap writes in all); all statuses written after ${(statuses / 1000).toFixed(1)} s `
      + `(${conflicts} conflicts retried); operator RSS ${(idleRss / 2 ** 20).toFixed(0)} MiB idle before, `
      + `${(o.rssBytes() / 2 ** 20).toFixed(0)} MiB after, peak ${(peakRss / 2 ** 20).toFixed(0)} MiB`;
    t.diagnostic(line);
    process.stdout.write(`# ${line}\n`);
    assert.deepEqual(o.forbidden().map((l) => l.msg), []);
  });

  await t.test('past ~900 KiB the ruleset is sharded behind a manifest; shrinking removes the shards', async () => {
    const big = Array.from({ length: 300 }, (_, i) => `big-${String(i).padStart(3, '0')}`);
    const description = 'x'.repeat(3500);
    await pool(big, 32, (name) => admin.create(RULES, {
      apiVersion: 'vigil.dev/v1alpha1', kind: 'SecurityRule', metadata: { name },
      spec: { expression: `open.file.path == "/etc/${name}"`, description },
    }));
    await waitFor('sharded ruleset with 1,300 rules', 120_000, async () => (await readPublished(admin, ns))?.ruleset.rules.length === 1300);
    const rs = await readPublished(admin, ns);
    assert.ok((rs?.bytes.length ?? 0) > 900 * 1024);
    const shards = (await admin.list(CM, ns, { labelSelector: `${RULESET_LABEL}=shard` })).items;
    assert.ok(shards.length >= 2, `${shards.length} shards`);
    t.diagnostic(`${rs?.bytes.length} bytes in ${shards.length} shards`);
    await pool(big, 32, (name) => admin.delete(RULES, name));
    await waitFor('back to one ConfigMap', 60_000, async () => (await readPublished(admin, ns))?.ruleset.rules.length === 1000
      && (await admin.list(CM, ns, { labelSelector: `${RULESET_LABEL}=shard` })).items.length === 0);
  });
});
