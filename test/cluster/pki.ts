// PKI for the local control plane, made with the openssl CLI (Node's crypto cannot issue
// X.509 certificates). EC P-256 keys: fast to generate, accepted by every component.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CertPaths {
  readonly cert: string;
  readonly key: string;
}

export interface Pki {
  readonly dir: string;
  readonly ca: CertPaths;
  readonly apiserver: CertPaths;
  readonly admin: CertPaths;
  readonly controllerManager: CertPaths;
  readonly scheduler: CertPaths;
  /** Service-account token signing key pair (private signs, public verifies). */
  readonly serviceAccount: { readonly privateKey: string; readonly publicKey: string };
}

function openssl(args: string[], input?: string): void {
  execFileSync('openssl', args, { stdio: ['pipe', 'ignore', 'pipe'], input });
}

function ecKey(path: string): void {
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path]);
}

function issue(dir: string, ca: CertPaths, name: string, subject: string, ext: string): CertPaths {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  const csr = join(dir, `${name}.csr`);
  const extFile = join(dir, `${name}.ext`);
  ecKey(key);
  writeFileSync(extFile, ext);
  openssl(['req', '-new', '-key', key, '-subj', subject, '-out', csr]);
  openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial',
    '-days', '30', '-sha256', '-extfile', extFile, '-out', cert]);
  return { cert, key };
}

const clientExt = 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n';

/** Creates a CA, serving and client certificates, and the service-account key pair in dir. */
export function createPki(dir: string): Pki {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca: CertPaths = { cert: join(dir, 'ca.crt'), key: join(dir, 'ca.key') };
  ecKey(ca.key);
  openssl(['req', '-x509', '-new', '-key', ca.key, '-subj', '/CN=vigil-local-ca', '-days', '30', '-sha256',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
    '-out', ca.cert]);
  const sans = ['IP:127.0.0.1', 'IP:10.0.0.1', 'DNS:localhost', 'DNS:kubernetes', 'DNS:kubernetes.default',
    'DNS:kubernetes.default.svc', 'DNS:kubernetes.default.svc.cluster.local'].join(',');
  const apiserver = issue(dir, ca, 'apiserver', '/CN=kube-apiserver',
    `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${sans}\n`);
  const admin = issue(dir, ca, 'admin', '/O=system:masters/CN=vigil-admin', clientExt);
  const controllerManager = issue(dir, ca, 'controller-manager', '/CN=system:kube-controller-manager', clientExt);
  const scheduler = issue(dir, ca, 'scheduler', '/CN=system:kube-scheduler', clientExt);
  const saKey = join(dir, 'sa.key');
  const saPub = join(dir, 'sa.pub');
  ecKey(saKey);
  openssl(['pkey', '-in', saKey, '-pubout', '-out', saPub]);
  return { dir, ca, apiserver, admin, controllerManager, scheduler, serviceAccount: { privateKey: saKey, publicKey: saPub } };
}

const b64 = (path: string): string => readFileSync(path).toString('base64');

/** A kubeconfig with embedded credentials, so the file stands alone. */
export function clientCertKubeconfig(server: string, ca: string, user: string, client: CertPaths): string {
  return kubeconfigYaml(server, ca, user, `    client-certificate-data: ${b64(client.cert)}\n    client-key-data: ${b64(client.key)}\n`);
}

export function tokenKubeconfig(server: string, ca: string, user: string, token: string): string {
  return kubeconfigYaml(server, ca, user, `    token: ${token}\n`);
}

function kubeconfigYaml(server: string, ca: string, user: string, credentials: string): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: vigil-local
  cluster:
    server: ${server}
    certificate-authority-data: ${b64(ca)}
users:
- name: ${user}
  user:
${credentials}contexts:
- name: ${user}@vigil-local
  context:
    cluster: vigil-local
    user: ${user}
current-context: ${user}@vigil-local
`;
}
