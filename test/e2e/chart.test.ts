// The Helm chart against the real apiserver: lint, template, install, the kubectl
// experience (get signals / sensors / vigil), examples accepted by the apiserver (CRD
// schema and CEL), upgrade with changed values, and uninstall that keeps CRDs and signals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { useCluster, helm, kubectl, runTool } from '../cluster/index.ts';
import { CHART, installChart, applyYaml } from './operator-harness.ts';

const kinds = (yaml: string): string[] => parseAllDocuments(yaml).map((d) => (d.toJS() as { kind?: string } | null)?.kind ?? '').filter(Boolean);

test('helm lint is clean and helm template renders what each values switch says', () => {
  const lint = runTool('helm', ['lint', '--strict', CHART]);
  assert.match(lint, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  const all = runTool('helm', ['template', 'vigil', CHART, '-n', 'vigil-system']);
  const k = kinds(all);
  for (const want of ['Deployment', 'DaemonSet', 'ServiceAccount', 'ClusterRole', 'Role', 'ValidatingAdmissionPolicy', 'SecurityRule', 'SecurityMacro']) {
    assert.ok(k.includes(want), `renders a ${want}`);
  }
  assert.match(all, /replicas: 2/);
  assert.match(all, /hostPID: true/);
  assert.match(all, /privileged: true/);
  for (const p of ['/sys/fs/bpf', '/sys/kernel/tracing', '/sys/fs/cgroup', '/sys/kernel/btf', '/proc']) assert.ok(all.includes(`path: "${p}"`), `mounts ${p}`);
  assert.match(all, /fieldPath: spec.nodeName/);
  const bare = runTool('helm', ['template', 'vigil', CHART, '--set', 'defaultRules.enabled=false', '--set', 'sensor.enabled=false']);
  assert.ok(!kinds(bare).includes('SecurityRule') && !kinds(bare).includes('DaemonSet'));
  const oneOff = runTool('helm', ['template', 'vigil', CHART, '--set', 'defaultRules.disabled={crypto-miner-exec}']);
  assert.match(oneOff, /name: crypto-miner-exec\nspec:\n(?: {2}.*\n)*? {2}disabled: true/);
  // values.schema.json refuses what makes no sense.
  assert.throws(() => runTool('helm', ['template', 'vigil', CHART, '--set', 'operator.replicas=many']), /replicas/);
  assert.throws(() => runTool('helm', ['template', 'vigil', CHART, '--set', 'sensor.hostPaths.proc=relative']), /proc/);
  assert.throws(() => runTool('helm', ['template', 'vigil', CHART, '--set', 'operator.typo=1']), /typo/);
});

test('install, kubectl get, examples, upgrade, uninstall keeping CRDs and signals', async (t) => {
  const cluster = await useCluster();
  const kc = cluster.kubeconfig;
  const ns = cluster.namespace('vigil-chart');
  const release = 'vigil-chart';
  installChart(kc, release, ns);
  t.after(() => {
    try { helm(kc, ['uninstall', release, '-n', ns]); } catch { /* already gone */ }
  });

  await t.test('CRDs are established with the printed columns', () => {
    for (const plural of ['securityrules', 'securitymacros', 'activeprotectionpolicies', 'notificationrules', 'signals', 'sensors']) {
      kubectl(kc, ['wait', '--for=condition=Established', `crd/${plural}.vigil.dev`, '--timeout=60s']);
    }
    // Empty lists print "No resources found" on stderr; what matters is that the kinds resolve.
    kubectl(kc, ['get', 'signals', '-A']);
    kubectl(kc, ['get', 'sensors']);
    assert.match(kubectl(kc, ['api-resources', '--api-group=vigil.dev']), /signals\s+sig\s+vigil.dev\/v1alpha1\s+true\s+Signal/);
    const all = kubectl(kc, ['get', 'vigil']);
    assert.match(all, /securityrule\.vigil\.dev\/crypto-miner-exec/, 'kubectl get vigil lists the default rules');
    const rules = kubectl(kc, ['get', 'securityrules']);
    assert.match(rules.split('\n')[0] ?? '', /NAME\s+SEVERITY\s+VALID\s+NODES\s+SIGNALS\s+AGE/);
    assert.match(kubectl(kc, ['get', 'srule', 'crypto-miner-exec', '-o', 'jsonpath={.spec.severity}']), /critical/);
  });

  await t.test('the RBAC objects and workloads exist under the release name', () => {
    kubectl(kc, ['get', '-n', ns, 'serviceaccount', `${release}-operator`, `${release}-sensor`]);
    kubectl(kc, ['get', '-n', ns, 'deployment', `${release}-operator`]);
    kubectl(kc, ['get', '-n', ns, 'daemonset', `${release}-sensor`]);
    assert.equal(kubectl(kc, ['get', '-n', ns, 'deployment', `${release}-operator`, '-o', 'jsonpath={.spec.replicas}']), '2');
  });

  await t.test('every example is accepted by the apiserver (schema and CEL), and bad input is refused', () => {
    const dir = join(CHART, 'examples');
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml'))) {
      const out = kubectl(kc, ['apply', '--dry-run=server', '-n', ns, '-f', join(dir, f)]);
      assert.match(out, /\(server dry run\)/, f);
    }
    const bothBodies = 'apiVersion: vigil.dev/v1alpha1\nkind: SecurityMacro\nmetadata: {name: both}\nspec: {values: [a], expression: "x"}\n';
    assert.throws(() => applyYaml(kc, bothBodies, ['--dry-run=server']), /set exactly one of expression or values/);
    const noRules = 'apiVersion: vigil.dev/v1alpha1\nkind: ActiveProtectionPolicy\nmetadata: {name: policy}\nspec: {rules: {}, action: {kill: {}}}\n';
    assert.throws(() => applyYaml(kc, noRules, ['--dry-run=server']), /select rules by ids, tags or both/);
    const twoChannels = 'apiVersion: vigil.dev/v1alpha1\nkind: NotificationRule\nmetadata: {name: notify}\nspec: {channels: [{webhook: {url: "https://x.example"}, slack: {webhookSecretRef: {name: s, key: k}}}]}\n';
    assert.throws(() => applyYaml(kc, twoChannels, ['--dry-run=server']), /exactly one of webhook, slack, pagerduty, email/);
    const badSeverity = 'apiVersion: vigil.dev/v1alpha1\nkind: SecurityRule\nmetadata: {name: rule}\nspec: {expression: "x", severity: extreme}\n';
    assert.throws(() => applyYaml(kc, badSeverity, ['--dry-run=server']), /severity/);
    // Defaults come from the schema: severity medium, disabled false.
    const defaulted = applyYaml(kc, 'apiVersion: vigil.dev/v1alpha1\nkind: SecurityRule\nmetadata: {name: defaulted}\nspec: {expression: "exec.file.name == \\"x\\""}\n', ['--dry-run=server', '-o', 'json']);
    const spec = (JSON.parse(defaulted) as { spec: { severity: string; disabled: boolean } }).spec;
    assert.equal(spec.severity, 'medium');
    assert.equal(spec.disabled, false);
  });

  await t.test('a Signal is created and listed by kubectl get signals', () => {
    const sig = readFileSync(join(CHART, 'examples', 'signal.yaml'), 'utf8');
    kubectl(kc, ['apply', '-n', ns, '-f', '-'], sig);
    kubectl(kc, ['patch', 'signal', 'vigil-shell-in-container-7f3a9c', '-n', ns, '--subresource=status', '--type=merge', '-p', '{"status":{"state":"open","count":3}}']);
    const out = kubectl(kc, ['get', 'signals', '-n', ns]);
    assert.match(out, /RULE\s+SEVERITY\s+STATE\s+POD\s+NODE\s+COUNT\s+AGE/);
    assert.match(out, /vigil_shell_in_container\s+high\s+open\s+web-7d9f\s+worker-1\s+3/);
  });

  await t.test('helm upgrade with changed values applies them', () => {
    helm(kc, ['upgrade', release, CHART, '-n', ns, '--set', 'operator.replicas=3', '--set', 'operator.logLevel=debug',
      '--set', 'defaultRules.disabled={package-manager-in-container}', '--set', 'sensor.restrictToOwnNode=false']);
    assert.equal(kubectl(kc, ['get', '-n', ns, 'deployment', `${release}-operator`, '-o', 'jsonpath={.spec.replicas}']), '3');
    assert.equal(kubectl(kc, ['get', 'srule', 'package-manager-in-container', '-o', 'jsonpath={.spec.disabled}']), 'true');
    assert.throws(() => kubectl(kc, ['get', 'validatingadmissionpolicy', `${release}-sensor-own-node`]), /NotFound/);
    assert.match(helm(kc, ['status', release, '-n', ns]), /STATUS: deployed/);
    assert.match(helm(kc, ['history', release, '-n', ns]), /upgrade complete/i);
  });

  await t.test('helm uninstall removes the release but keeps CRDs and signals', () => {
    helm(kc, ['uninstall', release, '-n', ns, '--wait']);
    assert.throws(() => kubectl(kc, ['get', '-n', ns, 'deployment', `${release}-operator`]), /NotFound/);
    assert.throws(() => kubectl(kc, ['get', 'clusterrole', `${release}-operator`]), /NotFound/);
    for (const plural of ['securityrules', 'signals', 'sensors']) kubectl(kc, ['get', 'crd', `${plural}.vigil.dev`]);
    assert.match(kubectl(kc, ['get', 'signals', '-n', ns]), /vigil_shell_in_container/);
  });
});
