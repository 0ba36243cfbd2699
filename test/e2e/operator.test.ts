// The operator against the real apiserver, running as a local process with the token of
// the chart's operator ServiceAccount (so RBAC is the chart's, for real): rule → ruleset
// ConfigMap within 1 s, invalid rules become conditions with a caret message and never
// reach the ruleset, fixing heals, missing macros resolve, policies resolve, sensor status
// aggregates into rule status, and the sensor's ServiceAccount is refused Secrets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useCluster, helm, kubectl, waitFor } from '../cluster/index.ts';
import {
  KubeClient, OperatorProcess, applyYaml, conditionOf, installChart, readPublished, rule, serviceAccountKubeconfig,
} from './operator-harness.ts';

test('operator: from kubectl apply to the ruleset ConfigMap and honest status', async (t) => {
  const cluster = await useCluster();
  const kc = cluster.kubeconfig;
  const ns = cluster.namespace('vigil-op');
  const p = ns.replace(/^vigil-op-/, 'op'); // unique prefix: SecurityRules are cluster-scoped
  const release = 'vigil-op';
  installChart(kc, release, ns, ['defaultRules.enabled=false']);
  const admin = KubeClient.load(kc);
  const opKc = serviceAccountKubeconfig(kc, ns, `${release}-operator`);
  const op = await OperatorProcess.start({ kubeconfig: opKc, namespace: ns, identity: 'op-a', env: { VIGIL_MANAGE_CRDS: 'true' } });
  t.after(async () => {
    await op.stop();
    for (const kind of ['securityrules', 'securitymacros', 'activeprotectionpolicies', 'sensors']) {
      try { kubectl(kc, ['delete', kind, '-l', `e2e=${p}`, '--wait=false']); } catch { /* best effort */ }
    }
    try { helm(kc, ['uninstall', release, '-n', ns]); } catch { /* best effort */ }
    admin.close();
  });
  const label = `  labels: {e2e: ${p}}\n`;
  const withLabel = (yaml: string): string => yaml.replace(/(metadata:\n {2}name: .*\n)/, `$1${label}`);
  const published = () => readPublished(admin, ns);
  const ruleIds = async (): Promise<string[]> => (await published())?.ruleset.rules.map((r) => r.id ?? '') ?? [];

  await t.test('it leads, applies the CRDs and publishes a ruleset', async () => {
    await waitFor('ruleset ConfigMap', 30_000, async () => (await published()) !== undefined);
    await waitFor('readyz', 10_000, async () => (await op.get('/readyz')).status === 200);
    const crd = JSON.parse(kubectl(kc, ['get', 'crd', 'securityrules.vigil.dev', '-o', 'json', '--show-managed-fields'])) as { metadata: { managedFields: { manager: string }[] } };
    assert.ok(crd.metadata.managedFields.some((f) => f.manager === 'vigil-operator'), 'the operator applied the CRD (server-side apply)');
  });

  let goodHash = '';
  await t.test('a valid rule is in the ConfigMap within 1 s, with a new hash', async () => {
    const before = (await published())?.hash;
    const t0 = performance.now();
    applyYaml(kc, withLabel(rule(`${p}-nc`, 'exec.file.name == "nc"', `  tags: {category: ${p}}\n`)));
    let elapsed = 0;
    await waitFor('rule published', 5_000, async () => {
      const ok = (await ruleIds()).includes(`${p}-nc`);
      elapsed = performance.now() - t0;
      return ok;
    });
    const now = await published();
    assert.ok(now);
    assert.notEqual(now.hash, before);
    goodHash = now.hash;
    t.diagnostic(`kubectl apply → ruleset ConfigMap: ${elapsed.toFixed(0)} ms`);
    assert.ok(elapsed < 1000, `took ${elapsed.toFixed(0)} ms (kubectl apply included)`);
    const r = now.ruleset.rules.find((x) => x.id === `${p}-nc`);
    assert.equal(r?.eventType, 'exec');
    await waitFor('Valid and Ready', 5_000, async () => (await conditionOf(admin, 'securityrules', `${p}-nc`, 'Ready'))?.status === 'True');
    const valid = await conditionOf(admin, 'securityrules', `${p}-nc`, 'Valid');
    assert.equal(valid?.status, 'True');
    assert.equal(valid?.observedGeneration, 1);
    assert.match(kubectl(kc, ['get', 'securityrule', `${p}-nc`]), new RegExp(`${p}-nc\\s+high\\s+True\\s+0/0\\s+0`));
  });

  await t.test('an invalid rule: Valid=False with the caret message, and the ConfigMap keeps the previous good ruleset', async () => {
    applyYaml(kc, withLabel(rule(`${p}-bad`, 'exec.file.name == == "nc"')));
    await waitFor('Valid=False', 5_000, async () => (await conditionOf(admin, 'securityrules', `${p}-bad`, 'Valid'))?.status === 'False');
    const v = await conditionOf(admin, 'securityrules', `${p}-bad`, 'Valid');
    assert.equal(v?.reason, 'InvalidExpression');
    assert.match(v?.message ?? '', /^expression: unexpected token "==".* at col 19: exec.file.name == == "nc"\n +\^$/);
    t.diagnostic(v?.message ?? '');
    // Breaking a rule that was valid keeps its last good version in the ruleset.
    applyYaml(kc, withLabel(rule(`${p}-nc`, 'exec.file.name == "nc" &&', `  tags: {category: ${p}}\n`)));
    await waitFor('edited rule Valid=False', 5_000, async () => (await conditionOf(admin, 'securityrules', `${p}-nc`, 'Valid'))?.observedGeneration === 2);
    assert.equal((await conditionOf(admin, 'securityrules', `${p}-nc`, 'Valid'))?.status, 'False');
    const ready = await conditionOf(admin, 'securityrules', `${p}-nc`, 'Ready');
    assert.equal(ready?.reason, 'PreviousVersion');
    await new Promise((r) => setTimeout(r, 700)); // longer than the debounce: a write would have happened
    const now = await published();
    assert.equal(now?.hash, goodHash, 'the ConfigMap still holds the previous good ruleset');
    assert.ok(!now?.ruleset.rules.some((r) => r.id === `${p}-bad`));
    assert.equal(now?.ruleset.rules.find((r) => r.id === `${p}-nc`)?.expression, 'exec.file.name == "nc"');
    assert.match(kubectl(kc, ['get', 'securityrule', `${p}-bad`]), /False/);
  });

  await t.test('fixing the rules heals them', async () => {
    applyYaml(kc, withLabel(rule(`${p}-bad`, 'exec.file.name == "ncat"')));
    applyYaml(kc, withLabel(rule(`${p}-nc`, 'exec.file.name == "nc" && process.uid == 0', `  tags: {category: ${p}}\n`)));
    await waitFor('both valid', 5_000, async () => (await conditionOf(admin, 'securityrules', `${p}-bad`, 'Valid'))?.status === 'True'
      && (await conditionOf(admin, 'securityrules', `${p}-nc`, 'Ready'))?.status === 'True');
    const now = await published();
    assert.notEqual(now?.hash, goodHash);
    assert.equal(now?.ruleset.rules.find((r) => r.id === `${p}-nc`)?.source?.generation, 3);
    assert.ok(now?.ruleset.rules.some((r) => r.id === `${p}-bad`));
  });

  await t.test('a rule that references a missing macro becomes valid when the macro appears', async () => {
    const macroId = `${p.replace(/-/g, '_')}_tools`;
    applyYaml(kc, withLabel(rule(`${p}-tools`, `exec.file.name in ${macroId}`)));
    await waitFor('MissingMacros', 5_000, async () => (await conditionOf(admin, 'securityrules', `${p}-tools`, 'Valid'))?.reason === 'MissingMacros');
    assert.match((await conditionOf(admin, 'securityrules', `${p}-tools`, 'Valid'))?.message ?? '', new RegExp(`waiting for macros: ${macroId}`));
    assert.ok(!(await ruleIds()).includes(`${p}-tools`));
    applyYaml(kc, withLabel(`apiVersion: vigil.dev/v1alpha1\nkind: SecurityMacro\nmetadata:\n  name: ${p}-tools\nspec:\n  id: ${macroId}\n  values: [curl, wget]\n`));
    await waitFor('valid after the macro', 5_000, async () => (await conditionOf(admin, 'securityrules', `${p}-tools`, 'Valid'))?.status === 'True');
    const now = await published();
    assert.ok(now?.ruleset.rules.some((r) => r.id === `${p}-tools`));
    assert.ok(now?.ruleset.macros.some((m) => m.id === macroId));
    await waitFor('macro status', 5_000, async () => (await conditionOf(admin, 'securitymacros', `${p}-tools`, 'Valid'))?.status === 'True');
  });

  await t.test('an ActiveProtectionPolicy resolves its selector to rule ids', async () => {
    applyYaml(kc, withLabel(`apiVersion: vigil.dev/v1alpha1\nkind: ActiveProtectionPolicy\nmetadata:\n  name: ${p}-kill\nspec:\n  mode: enforce\n  rules: {ids: [${p}-tools, ${p}-ghost], tags: {category: ${p}}}\n  action: {kill: {signal: SIGKILL}}\n`));
    await waitFor('policy status', 5_000, async () => (await conditionOf(admin, 'activeprotectionpolicies', `${p}-kill`, 'Ready'))?.reason === 'UnknownRules');
    const out = kubectl(kc, ['get', 'activeprotectionpolicy', `${p}-kill`]);
    assert.match(out, new RegExp(`${p}-kill\\s+enforce\\s+2\\s+0/0\\s+0`));
    const policy = (await published())?.ruleset.policies.find((x) => x.name === `${p}-kill`);
    assert.deepEqual(policy?.ruleIds, [`${p}-nc`, `${p}-tools`]);
    assert.equal(policy?.enforce, true);
    assert.equal(policy?.kill?.signal, 'SIGKILL');
  });

  await t.test('Sensor reports aggregate into each rule\'s NODES and errors', async () => {
    const hash = (await published())?.hash ?? '';
    for (const [node, h, errors] of [[`${p}-node-1`, hash, []], [`${p}-node-2`, 'stale', [{ rule: `${p}-nc`, message: 'verifier said no' }]]] as const) {
      applyYaml(kc, withLabel(`apiVersion: vigil.dev/v1alpha1\nkind: Sensor\nmetadata:\n  name: ${node}\nspec:\n  node: ${node}\n`));
      kubectl(kc, ['patch', 'sensor', node, '--subresource=status', '--type=merge', '-p',
        JSON.stringify({ status: { ruleset: { hash: h, rules: 3 }, ruleErrors: errors } })]);
    }
    const total = JSON.parse(kubectl(kc, ['get', 'sensors', '-o', 'json'])).items.length as number;
    await waitFor('nodes aggregated', 10_000, async () => {
      const obj = await admin.find<{ status?: { nodes?: { total: number; errors?: unknown[] } } }>({ group: 'vigil.dev', version: 'v1alpha1', plural: 'securityrules', kind: '', namespaced: false }, `${p}-nc`);
      return obj?.status?.nodes?.total === total && (obj.status.nodes.errors?.length ?? 0) === 1;
    });
    const obj = await admin.find<{ status: { nodes: { loaded: number; errors: { node: string; message: string }[] } } }>({ group: 'vigil.dev', version: 'v1alpha1', plural: 'securityrules', kind: '', namespaced: false }, `${p}-nc`);
    assert.ok((obj?.status.nodes.loaded ?? 0) >= 1);
    assert.deepEqual(obj?.status.nodes.errors, [{ node: `${p}-node-2`, message: 'verifier said no' }]);
    assert.equal((await conditionOf(admin, 'securityrules', `${p}-nc`, 'Ready'))?.status, 'False');
  });

  await t.test('the sensor ServiceAccount: refused Secrets, allowed its duties, only its own Sensor', () => {
    const node = `${p}-node-a`;
    kubectl(kc, ['apply', '-f', '-'], `apiVersion: v1\nkind: Node\nmetadata:\n  name: ${node}\n  labels: {e2e: ${p}}\n`);
    t.after(() => { try { kubectl(kc, ['delete', 'node', node]); } catch { /* gone */ } });
    const sensorKc = serviceAccountKubeconfig(kc, ns, `${release}-sensor`, { kind: 'Node', name: node });
    assert.throws(() => kubectl(sensorKc, ['get', 'secrets', '-n', ns]), /forbidden/i);
    assert.throws(() => kubectl(sensorKc, ['get', 'secrets', '-A']), /forbidden/i);
    assert.throws(() => kubectl(sensorKc, ['auth', 'can-i', 'get', 'secrets', '-n', ns]), /failed \(1\)/, 'can-i says no (exit 1)');
    assert.equal(kubectl(sensorKc, ['auth', 'can-i', 'create', 'signals.vigil.dev', '-n', ns]).trim(), 'yes');
    kubectl(sensorKc, ['get', 'configmaps', '-n', ns]);
    assert.throws(() => kubectl(sensorKc, ['get', 'configmaps', '-n', 'kube-system']), /forbidden/i);
    kubectl(sensorKc, ['get', 'pods', '-A']);
    kubectl(sensorKc, ['apply', '-n', ns, '-f', '-'], `apiVersion: vigil.dev/v1alpha1\nkind: Signal\nmetadata:\n  name: ${p}-sig\nspec:\n  rule: {id: ${p}-nc, severity: high}\n  node: ${node}\n  process: {pid: 1}\n  event: {type: exec}\n  firstSeen: "2026-01-01T00:00:00Z"\n`);
    kubectl(sensorKc, ['apply', '-f', '-'], `apiVersion: vigil.dev/v1alpha1\nkind: Sensor\nmetadata:\n  name: ${node}\n  labels: {e2e: ${p}}\nspec:\n  node: ${node}\n`);
    kubectl(sensorKc, ['patch', 'sensor', node, '--subresource=status', '--type=merge', '-p', '{"status":{"drops":0}}']);
    assert.throws(() => kubectl(sensorKc, ['apply', '-f', '-'], `apiVersion: vigil.dev/v1alpha1\nkind: Sensor\nmetadata:\n  name: ${p}-node-1\nspec:\n  node: ${p}-node-1\n`),
      /only change the Sensor of its own node/);
    assert.throws(() => kubectl(sensorKc, ['delete', 'securityrule', `${p}-nc`]), /forbidden/i);
  });

  await t.test('the signal count reaches the rule status', async () => {
    await waitFor('signals counted', 10_000, async () => {
      const obj = await admin.find<{ status?: { signals?: number } }>({ group: 'vigil.dev', version: 'v1alpha1', plural: 'securityrules', kind: '', namespaced: false }, `${p}-nc`);
      return obj?.status?.signals === 1;
    });
  });

  await t.test('its ServiceAccount was enough: no request was refused, metrics tell the story', async () => {
    assert.deepEqual(op.forbidden().map((l) => l.msg), []);
    const metrics = (await op.get('/metrics')).text;
    assert.match(metrics, /vigil_operator_ruleset_writes_total\{result="ok"\} [1-9]/);
    assert.match(metrics, /^vigil_operator_leader 1$/m);
    assert.match(metrics, /process_resident_memory_bytes \d+/);
    assert.equal((await op.get('/healthz')).status, 200);
    assert.ok(op.alive);
  });
});
