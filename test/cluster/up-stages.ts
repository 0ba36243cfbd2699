// What `make up` runs on top of the control plane. Each stage returns how to stop it.
//   1. chart:    helm upgrade --install of charts/vigil into vigil-system (CRDs, RBAC,
//                default rules; its Deployment/DaemonSet pods stay Pending: no kubelet here)
//   2. operator: the real operator as a local process, authenticated with a TokenRequest
//                token of the chart's operator ServiceAccount, so it has exactly the chart's RBAC.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ControlPlane } from './control-plane.ts';
import { helm, kubectl, waitFor, freePort } from './control-plane.ts';
import { tokenKubeconfig } from './pki.ts';

export interface Stages {
  readonly summary: string;
  stop(): Promise<void>;
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RELEASE = 'vigil';
export const NAMESPACE = 'vigil-system';

/** Installs (or upgrades) the chart into vigil-system. */
export function installChart(kubeconfig: string): void {
  helm(kubeconfig, ['upgrade', '--install', RELEASE, join(ROOT, 'charts', 'vigil'), '-n', NAMESPACE, '--create-namespace']);
}

/** A kubeconfig file holding a fresh TokenRequest token of a chart ServiceAccount. */
export function serviceAccountKubeconfig(cp: ControlPlane, kubeconfig: string, sa: string): string {
  const token = kubectl(kubeconfig, ['create', 'token', sa, '-n', NAMESPACE, '--duration=48h']).trim();
  const path = join(cp.dir, `${sa}.kubeconfig`);
  writeFileSync(path, tokenKubeconfig(cp.server, cp.pki.ca.cert, `system:serviceaccount:${NAMESPACE}:${sa}`, token), { mode: 0o600 });
  return path;
}

/** Runs vigil-operator on this host (dies with us: pdeathsig), logging to <cp.dir>/operator.log. */
export async function runOperator(cp: ControlPlane, kubeconfig: string): Promise<{ child: ChildProcess; port: number; log: string; stop(): Promise<void> }> {
  const saKubeconfig = serviceAccountKubeconfig(cp, kubeconfig, `${RELEASE}-operator`);
  const port = await freePort();
  const log = join(cp.dir, 'operator.log');
  mkdirSync(cp.dir, { recursive: true });
  const out = createWriteStream(log, { flags: 'a' });
  const child = spawn('setpriv', ['--pdeathsig', 'SIGKILL', '--', process.execPath, join(ROOT, 'operator', 'bin', 'vigil-operator.js'),
    '--kubeconfig', saKubeconfig, '--namespace', NAMESPACE, '--identity', 'local-operator', '--http-addr', `127.0.0.1:${port}`, '--manage-crds'],
  { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env } });
  child.stderr?.pipe(out);
  let exited = false;
  child.on('exit', () => { exited = true; });
  await waitFor('vigil-operator ready', 60_000, async () => {
    if (exited) throw new Error(`vigil-operator exited; see ${log}`);
    return fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false);
  });
  return {
    child, port, log,
    async stop() {
      if (exited) return;
      const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await done;
      clearTimeout(t);
      out.end();
    },
  };
}

export async function runStages(cp: ControlPlane, kubeconfig: string): Promise<Stages> {
  installChart(kubeconfig);
  const operator = await runOperator(cp, kubeconfig);
  const summary = `Vigil chart installed in ${NAMESPACE}; operator running here as ServiceAccount ${RELEASE}-operator
  (metrics http://127.0.0.1:${operator.port}/metrics, log ${operator.log}).
  kubectl get securityrules            # the default rules, VALID
  kubectl get configmap -n ${NAMESPACE} -l vigil.dev/ruleset
  kubectl get signals -A
`;
  return { summary, stop: () => operator.stop() };
}
