// The operator in a hostile world, on a private control plane (the apiserver is restarted
// here): two replicas elect a leader through a Lease; the apiserver goes away and comes
// back while they run; the leader is SIGKILLed and the other replica takes over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ControlPlane, helm, kubectl, waitFor } from '../cluster/index.ts';
import { CHART, KubeClient, OperatorProcess, applyYaml, readPublished, rule, serviceAccountKubeconfig } from './operator-harness.ts';

test('operator: apiserver restart and leader failover', { timeout: 600_000 }, async (t) => {
  const cp = await ControlPlane.start();
  const kc = cp.kubeconfigPath;
  const ns = 'vigil-system';
  const procs: OperatorProcess[] = [];
  const admin = KubeClient.load(kc);
  t.after(async () => {
    await Promise.all(procs.map((p) => p.kill()));
    admin.close();
    await cp.stop();
  });
  kubectl(kc, ['create', 'namespace', ns]);
  helm(kc, ['install', 'vigil', CHART, '-n', ns]);
  const opKc = serviceAccountKubeconfig(kc, ns, 'vigil-operator');
  // The chart's lease settings: 10 s lease, 6 s renew deadline, 2 s retry period.
  for (const id of ['replica-a', 'replica-b']) procs.push(await OperatorProcess.start({ kubeconfig: opKc, namespace: ns, identity: id }));
  const holder = async (): Promise<string> => {
    const lease = await admin.find<{ spec?: { holderIdentity?: string } }>({ group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease', namespaced: true }, 'vigil-operator', ns);
    return lease?.spec?.holderIdentity ?? '';
  };
  const hasRule = async (id: string): Promise<boolean> => ((await readPublished(admin, ns))?.ruleset.rules ?? []).some((r) => r.id === id);

  await t.test('one replica leads and publishes the default rules; the other stands by', async () => {
    await waitFor('a leader', 30_000, async () => (await holder()) !== '');
    await waitFor('ruleset with the default rules', 30_000, async () => hasRule('vigil_crypto_miner_exec'));
    const leaders = await Promise.all(procs.map(async (p) => /^vigil_operator_leader 1$/m.test((await p.get('/metrics')).text)));
    assert.equal(leaders.filter(Boolean).length, 1, `exactly one replica leads: ${JSON.stringify(leaders)}`);
    for (const p of procs) assert.equal((await p.get('/readyz')).status, 200);
  });

  await t.test('the apiserver restarts under the operators: they keep running and catch up', async () => {
    await cp.stopComponent('kube-apiserver');
    await new Promise((r) => setTimeout(r, 8_000)); // past the renew deadline: the leader steps down
    await cp.startComponent('kube-apiserver');
    const back = performance.now();
    applyYaml(kc, rule('after-restart', 'exec.file.name == "after"'));
    await waitFor('rule published after the restart', 60_000, async () => hasRule('after-restart'));
    t.diagnostic(`apiserver back → new rule published: ${((performance.now() - back) / 1000).toFixed(1)} s`);
    for (const p of procs) assert.ok(p.alive, `${p.identity} is still running`);
    const watchErrors = procs.flatMap((p) => p.logs.filter((l) => l.msg === 'watch failed; resuming from last resourceVersion'));
    assert.ok(watchErrors.length > 0, 'the outage was seen (and survived) by the watches');
    await waitFor('a leader again', 30_000, async () => (await holder()) !== '');
  });

  await t.test('killing the leader hands over to the other replica within 15 s', async () => {
    const leaderId = await holder();
    const leader = procs.find((p) => p.identity === leaderId);
    const other = procs.find((p) => p.identity !== leaderId);
    assert.ok(leader && other);
    const t0 = performance.now();
    await leader.kill();
    applyYaml(kc, rule('after-failover', 'exec.file.name == "failover"'));
    let tookLease = 0;
    await waitFor('the other replica publishes', 30_000, async () => {
      if (!tookLease && (await holder()) === other.identity) tookLease = performance.now() - t0;
      return hasRule('after-failover');
    });
    const published = performance.now() - t0;
    t.diagnostic(`leader SIGKILLed → lease taken over: ${(tookLease / 1000).toFixed(1)} s, new rule published: ${(published / 1000).toFixed(1)} s`);
    assert.equal(await holder(), other.identity);
    assert.ok(published < 15_000, `failover took ${(published / 1000).toFixed(1)} s`);
    assert.match((await other.get('/metrics')).text, /^vigil_operator_leader 1$/m);
  });

  await t.test('a replica that stops cleanly releases the lease at once', async () => {
    const fresh = await OperatorProcess.start({ kubeconfig: opKc, namespace: ns, identity: 'replica-c' });
    procs.push(fresh);
    const leader = procs.find((p) => p.alive && p.identity === 'replica-b') ?? procs.find((p) => p.alive && p.identity === 'replica-a');
    assert.ok(leader);
    const t0 = performance.now();
    await leader.stop();
    await waitFor('replica-c leads', 10_000, async () => (await holder()) === 'replica-c');
    t.diagnostic(`graceful hand-over: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    assert.ok(performance.now() - t0 < 6_000);
  });
});
