// What `make up` runs on top of the control plane. Each stage returns how to stop it.
//   1. chart:    helm upgrade --install of charts/vigil into vigil-system (CRDs, RBAC,
//                default rules; its Deployment/DaemonSet pods stay Pending: no kubelet here)
//   2. operator: the real operator as a local process, authenticated with a TokenRequest
//                token of the chart's operator ServiceAccount, so it has exactly the chart's RBAC.
//   3. sensor:   the real sensor (root: BPF) as a local process for a Node named after this
//                host, with a token of the chart's sensor ServiceAccount bound to that Node.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
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

/**
 * A kubeconfig file holding a fresh TokenRequest token of a chart ServiceAccount, bound to
 * a Node when asked (the sensor's must be: the chart's admission policy reads the node from it).
 */
export function serviceAccountKubeconfig(cp: ControlPlane, kubeconfig: string, sa: string, boundToNode?: string): string {
  const token = kubectl(kubeconfig, ['create', 'token', sa, '-n', NAMESPACE, '--duration=48h',
    ...(boundToNode ? ['--bound-object-kind', 'Node', '--bound-object-name', boundToNode] : [])]).trim();
  const path = join(cp.dir, `${sa}.kubeconfig`);
  writeFileSync(path, tokenKubeconfig(cp.server, cp.pki.ca.cert, `system:serviceaccount:${NAMESPACE}:${sa}`, token), { mode: 0o600 });
  return path;
}

interface LocalProcess {
  readonly child: ChildProcess;
  readonly log: string;
  exited(): boolean;
  stop(): Promise<void>;
}

/** Starts one of Vigil's programs on this host (dies with us: pdeathsig), logging to <cp.dir>/<name>.log. */
function startLocal(cp: ControlPlane, name: string, argv: readonly string[], env: Record<string, string> = {}): LocalProcess {
  const log = join(cp.dir, `${name}.log`);
  mkdirSync(cp.dir, { recursive: true });
  const out = createWriteStream(log, { flags: 'a' });
  const child = spawn('setpriv', ['--pdeathsig', 'SIGKILL', '--', process.execPath, ...argv],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  child.stderr?.pipe(out);
  let exited = false;
  child.on('exit', () => { exited = true; });
  return {
    child, log,
    exited: () => exited,
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

/** Runs vigil-operator on this host as the chart's operator ServiceAccount. */
export async function runOperator(cp: ControlPlane, kubeconfig: string): Promise<LocalProcess & { port: number }> {
  const saKubeconfig = serviceAccountKubeconfig(cp, kubeconfig, `${RELEASE}-operator`);
  const port = await freePort();
  const p = startLocal(cp, 'operator', [join(ROOT, 'operator', 'bin', 'vigil-operator.js'),
    '--kubeconfig', saKubeconfig, '--namespace', NAMESPACE, '--identity', 'local-operator', '--http-addr', `127.0.0.1:${port}`, '--manage-crds']);
  await waitFor('vigil-operator ready', 60_000, async () => {
    if (p.exited()) throw new Error(`vigil-operator exited; see ${p.log}`);
    return fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false);
  });
  return { ...p, port };
}

/**
 * Runs vigil-sensor on this host as the chart's sensor ServiceAccount, for a Node named
 * after this host (the chart's admission policy wants the token bound to its Node).
 */
export async function runSensor(cp: ControlPlane, kubeconfig: string): Promise<LocalProcess & { node: string }> {
  const node = hostname();
  kubectl(kubeconfig, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: node, labels: { 'kubernetes.io/hostname': node } } }));
  const saKubeconfig = serviceAccountKubeconfig(cp, kubeconfig, `${RELEASE}-sensor`, node);
  const p = startLocal(cp, 'sensor', [join(ROOT, 'sensor', 'bin', 'vigil-sensor.js'), 'run'], {
    NODE_NAME: node, VIGIL_NAMESPACE: NAMESPACE, VIGIL_STATE_DIR: join(cp.dir, 'sensor-state'), KUBECONFIG: saKubeconfig,
  });
  await waitFor('vigil-sensor reporting', 90_000, () => {
    if (p.exited()) throw new Error(`vigil-sensor exited; see ${p.log}`);
    try {
      return JSON.parse(kubectl(kubeconfig, ['get', 'sensor', node, '-o', 'json'])).status?.ruleset !== undefined;
    } catch {
      return false;
    }
  });
  return { ...p, node };
}

export async function runStages(cp: ControlPlane, kubeconfig: string): Promise<Stages> {
  installChart(kubeconfig);
  const operator = await runOperator(cp, kubeconfig);
  let sensor: (LocalProcess & { node: string }) | undefined;
  try {
    sensor = await runSensor(cp, kubeconfig);
  } catch (err) {
    await operator.stop();
    throw err;
  }
  const summary = `Vigil chart installed in ${NAMESPACE}; operator running here as ServiceAccount ${RELEASE}-operator
  (metrics http://127.0.0.1:${operator.port}/metrics, log ${operator.log});
  sensor running here for node ${sensor.node} as ServiceAccount ${RELEASE}-sensor (log ${sensor.log}).
  kubectl get securityrules            # the default rules: VALID, NODES
  kubectl get sensors                  # this host's sensor: READY, RULESET, DROPS
  kubectl get signals -A               # detections on this host, e.g. after: cp /bin/true /tmp/xmrig && /tmp/xmrig
`;
  return {
    summary,
    async stop() {
      await sensor?.stop();
      await operator.stop();
    },
  };
}
