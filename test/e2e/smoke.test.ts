// The local control plane is real: CRDs and custom objects, RBAC enforced on real
// ServiceAccount tokens from the TokenRequest API, and Helm installing a chart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import { helm, kubectl, tokenKubeconfig, useCluster, waitFor } from '../cluster/index.ts';

const { kubeconfig, namespace } = await useCluster();
const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

test('apiserver serves a CRD and its custom objects', async () => {
  const ns = namespace('smoke-crd');
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.smoke.vigil.dev' },
    spec: {
      group: 'smoke.vigil.dev', scope: 'Namespaced',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
      versions: [{
        name: 'v1', served: true, storage: true,
        schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer', minimum: 1 } } } } } },
      }],
    },
  };
  kubectl(kubeconfig, ['apply', '-f', '-'], JSON.stringify(crd));
  kubectl(kubeconfig, ['wait', '--for=condition=Established', '--timeout=30s', 'crd/widgets.smoke.vigil.dev']);
  const widget = { apiVersion: 'smoke.vigil.dev/v1', kind: 'Widget', metadata: { name: 'w1', namespace: ns }, spec: { size: 3 } };
  kubectl(kubeconfig, ['apply', '-f', '-'], JSON.stringify(widget));
  const got = JSON.parse(kubectl(kubeconfig, ['get', 'widget', 'w1', '-n', ns, '-o', 'json']));
  assert.equal(got.spec.size, 3);
  // The structural schema is enforced by the apiserver, not by us.
  assert.throws(() => kubectl(kubeconfig, ['apply', '-f', '-'], JSON.stringify({ ...widget, metadata: { name: 'w2', namespace: ns }, spec: { size: 0 } })),
    /spec.size: Invalid value/);
  kubectl(kubeconfig, ['delete', 'crd', 'widgets.smoke.vigil.dev', '--wait=false']);
});

test('a ServiceAccount token from TokenRequest is bound by its Role: permitted verb works, forbidden gets 403', async () => {
  const ns = namespace('smoke-rbac');
  kubectl(kubeconfig, ['create', 'serviceaccount', 'reader', '-n', ns]);
  kubectl(kubeconfig, ['create', 'role', 'cm-reader', '-n', ns, '--verb=get,list', '--resource=configmaps']);
  kubectl(kubeconfig, ['create', 'rolebinding', 'cm-reader', '-n', ns, '--role=cm-reader', `--serviceaccount=${ns}:reader`]);
  kubectl(kubeconfig, ['create', 'configmap', 'visible', '-n', ns, '--from-literal=k=v']);
  kubectl(kubeconfig, ['create', 'secret', 'generic', 'hidden', '-n', ns, '--from-literal=k=v']);
  const token = kubectl(kubeconfig, ['create', 'token', 'reader', '-n', ns, '--duration=10m']).trim();
  // A real signed JWT whose subject is the ServiceAccount.
  const claims = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString());
  assert.equal(claims.sub, `system:serviceaccount:${ns}:reader`);

  const admin = new k8s.KubeConfig();
  admin.loadFromFile(kubeconfig);
  const cluster = admin.getCurrentCluster();
  assert.ok(cluster);
  const dir = mkdtempSync(join(tmpdir(), 'vigil-smoke-'));
  const caPath = join(dir, 'ca.crt');
  writeFileSync(caPath, Buffer.from(cluster.caData ?? '', 'base64'));
  const saKubeconfig = join(dir, 'reader.kubeconfig');
  writeFileSync(saKubeconfig, tokenKubeconfig(cluster.server, caPath, 'reader', token));

  const kc = new k8s.KubeConfig();
  kc.loadFromFile(saKubeconfig);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const cms = await core.listNamespacedConfigMap({ namespace: ns });
  assert.ok(cms.items.some((c) => c.metadata?.name === 'visible'));
  await assert.rejects(core.listNamespacedSecret({ namespace: ns }), (err: unknown) => {
    assert.ok(err instanceof k8s.ApiException, `expected ApiException, got ${String(err)}`);
    assert.equal(err.code, 403);
    return true;
  });
  // The same through kubectl, as a user would see it.
  assert.throws(() => kubectl(saKubeconfig, ['get', 'secrets', '-n', ns]), /Forbidden/);
  assert.match(kubectl(saKubeconfig, ['auth', 'can-i', 'list', 'configmaps', '-n', ns]), /yes/);
});

test('helm installs and uninstalls a chart', async () => {
  const ns = namespace('smoke-helm');
  helm(kubeconfig, ['install', 'hello', join(fixtures, 'charts', 'tiny'), '-n', ns, '--set', 'greeting=bonjour', '--wait', '--timeout', '60s']);
  const cm = JSON.parse(kubectl(kubeconfig, ['get', 'configmap', 'hello-tiny', '-n', ns, '-o', 'json']));
  assert.equal(cm.data.greeting, 'bonjour');
  assert.match(helm(kubeconfig, ['list', '-n', ns]), /hello\s+/);
  helm(kubeconfig, ['uninstall', 'hello', '-n', ns, '--wait', '--timeout', '60s']);
  await waitFor('configmap deleted', 30_000, () => {
    try {
      kubectl(kubeconfig, ['get', 'configmap', 'hello-tiny', '-n', ns]);
      return false;
    } catch {
      return true;
    }
  });
});
