import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiStatus, credentialsFromKubeconfig, defaultCredentials, KubeApiError, KubeClient, resourcePath } from './client.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-kubeconfig-'));
const b64 = (s: string): string => Buffer.from(s).toString('base64');

test('a kubeconfig: the current context picks the cluster and the user; data and files, relative to the file', () => {
  writeFileSync(join(dir, 'ca.pem'), 'CA FROM FILE');
  writeFileSync(join(dir, 'token'), 'tok-1\n');
  const path = join(dir, 'config');
  writeFileSync(path, `apiVersion: v1
kind: Config
current-context: second
clusters:
- {name: one, cluster: {server: "https://10.0.0.1:6443", certificate-authority-data: ${b64('CA ONE')}}}
- {name: two, cluster: {server: "https://10.0.0.2:443/", certificate-authority: ca.pem}}
users:
- {name: certs, user: {client-certificate-data: ${b64('CERT')}, client-key-data: ${b64('KEY')}}}
- {name: file-token, user: {tokenFile: token}}
contexts:
- {name: first, context: {cluster: one, user: certs}}
- {name: second, context: {cluster: two, user: file-token}}
`);
  const c = credentialsFromKubeconfig(path);
  assert.equal(c.server, 'https://10.0.0.2:443');
  assert.equal(c.ca?.toString(), 'CA FROM FILE');
  assert.equal(c.token?.(), 'tok-1');
  // a rotated token file is read again
  writeFileSync(join(dir, 'token'), 'tok-2\n');
  const later = Date.now() / 1000 + 5;
  utimesSync(join(dir, 'token'), later, later);
  assert.equal(c.token?.(), 'tok-2');
  assert.equal(c.cert, undefined);
});

test('KUBECONFIG wins over the ServiceAccount; a kubeconfig without its context is an error', () => {
  const path = join(dir, 'certs');
  writeFileSync(path, `current-context: a
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {client-certificate-data: ${b64('CERT')}, client-key-data: ${b64('KEY')}}}]
contexts: [{name: a, context: {cluster: c, user: u}}]
`);
  const c = defaultCredentials({ KUBECONFIG: path, KUBERNETES_SERVICE_HOST: '10.96.0.1' });
  assert.equal(c.server, 'https://127.0.0.1:1');
  assert.equal(c.insecureSkipTlsVerify, true);
  assert.equal(c.cert?.toString(), 'CERT');
  assert.equal(c.key?.toString(), 'KEY');
  const broken = join(dir, 'broken');
  writeFileSync(broken, 'current-context: nowhere\nclusters: []\ncontexts: []\nusers: []\n');
  assert.throws(() => credentialsFromKubeconfig(broken), /no context nowhere/);
});

test('resource paths: core and grouped, cluster and namespaced, collection, name and subresource, names encoded', () => {
  assert.equal(resourcePath({ version: 'v1', plural: 'pods' }), '/api/v1/pods');
  assert.equal(resourcePath({ version: 'v1', plural: 'nodes', name: 'worker-1' }), '/api/v1/nodes/worker-1');
  assert.equal(resourcePath({ version: 'v1', plural: 'configmaps', namespace: 'vigil' }), '/api/v1/namespaces/vigil/configmaps');
  assert.equal(resourcePath({ group: 'vigil.dev', version: 'v1alpha1', plural: 'signals', namespace: 'shop', name: 'a/b', sub: 'status' }),
    '/apis/vigil.dev/v1alpha1/namespaces/shop/signals/a%2Fb/status');
  assert.equal(resourcePath({ group: 'vigil.dev', version: 'v1alpha1', plural: 'sensors' }), '/apis/vigil.dev/v1alpha1/sensors');
});

test('a call to an API server that is away fails with a KubeApiError of code 0', async () => {
  const client = new KubeClient({ server: 'https://127.0.0.1:1', insecureSkipTlsVerify: true });
  const err = await client.call('GET', '/api/v1/namespaces').then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof KubeApiError);
  assert.equal(apiStatus(err), 0);
  assert.match(String(err), /GET \/api\/v1\/namespaces/);
  client.close();
});
