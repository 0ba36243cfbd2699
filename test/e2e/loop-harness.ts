// The whole product on this host for end-to-end tests and benchmarks: a private control
// plane (Sensor objects are cluster-scoped and NODES counts them all), the chart, the
// operator and the sensor as local processes with their ServiceAccounts' tokens (the
// sensor's bound to its Node, as the chart's admission policy expects), the real kernel.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ControlPlane, kubectl, waitFor } from '../cluster/index.ts';
import { KubeClient, OperatorProcess, ROOT, installChart, readPublished, serviceAccountKubeconfig } from './operator-harness.ts';

/** Why the loop cannot run here, or undefined. */
export function loopSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (loads BPF programs)';
  if (!existsSync(join(ROOT, 'sensor', 'native', 'build', 'Release', 'vigil_sensor.node'))) return 'needs the sensor addon (make build)';
  return undefined;
}

export class SensorProcess {
  readonly lines: string[] = [];
  private constructor(readonly child: ChildProcess) {
    let buf = '';
    child.stderr?.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        this.lines.push(buf.slice(0, nl));
        if (process.env.VIGIL_E2E_VERBOSE) process.stderr.write(`[sensor] ${buf.slice(0, nl)}\n`);
        buf = buf.slice(nl + 1);
      }
    });
  }
  /** Stops this sensor and starts a new one with the same environment (state dir, spool). */
  async restart(): Promise<SensorProcess> {
    await this.stop();
    return SensorProcess.start(this.env);
  }
  private env: Record<string, string> = {};
  static start(env: Record<string, string>): SensorProcess {
    const child = spawn('setpriv', ['--pdeathsig', 'SIGKILL', '--', process.execPath, join(ROOT, 'sensor', 'bin', 'vigil-sensor.js'), 'run'], {
      stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env },
    });
    const p = new SensorProcess(child);
    p.env = env;
    return p;
  }
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const done = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await done;
    clearTimeout(t);
  }
}


export interface SensorStatusView {
  ruleset?: { hash: string };
  conditions?: Array<{ type: string; status: string; reason: string; message: string }>;
}

export interface Loop {
  readonly cp: ControlPlane;
  readonly kc: string;
  readonly admin: KubeClient;
  /** The release namespace. */
  readonly ns: string;
  /** A workload namespace. */
  readonly app: string;
  readonly node: string;
  sensor: SensorProcess;
  readonly op: OperatorProcess;
  sensorStatus(): SensorStatusView | undefined;
  /** Waits until the sensor runs the ruleset the operator publishes now. */
  waitSensorOnPublished(timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

export async function startLoop(): Promise<Loop> {
  const cp = await ControlPlane.start({ controllerManager: true });
  const kc = cp.kubeconfigPath;
  const ns = 'vigil-system';
  const app = 'shop';
  const node = `node-${randomBytes(3).toString('hex')}`;
  const cleanups: Array<() => Promise<void> | void> = [];
  const stop = async (): Promise<void> => {
    for (const c of cleanups.reverse()) {
      try { await c(); } catch { /* best effort */ }
    }
    await cp.stop();
  };
  try {
    kubectl(kc, ['create', 'namespace', ns]);
    kubectl(kc, ['create', 'namespace', app]);
    kubectl(kc, ['create', 'serviceaccount', 'default', '-n', app]);
    kubectl(kc, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: node, labels: { 'kubernetes.io/hostname': node } } }));
    installChart(kc, 'vigil', ns, ['defaultRules.enabled=false']);
    const admin = KubeClient.load(kc);
    cleanups.push(() => admin.close());
    const op = await OperatorProcess.start({ kubeconfig: serviceAccountKubeconfig(kc, ns, 'vigil-operator'), namespace: ns, identity: 'op' });
    cleanups.push(() => op.stop());
    await waitFor('first ruleset', 30_000, async () => (await readPublished(admin, ns)) !== undefined);
    const sensor = SensorProcess.start({
      NODE_NAME: node, VIGIL_NAMESPACE: ns, VIGIL_STATE_DIR: mkdtempSync(join(tmpdir(), 'vigil-sensor-')),
      // The tests make more distinct Signals per rule than the default budget lets through quickly.
      VIGIL_NEW_SIGNALS_PER_RULE_PER_MINUTE: '1000', VIGIL_SIGNAL_WRITES_PER_SECOND: '200',
      KUBECONFIG: serviceAccountKubeconfig(kc, ns, 'vigil-sensor', { kind: 'Node', name: node }),
    });
    cleanups.push(() => loop.sensor.stop());
    const sensorStatus = (): SensorStatusView | undefined => {
      try {
        return JSON.parse(kubectl(kc, ['get', 'sensor', node, '-o', 'json'])).status;
      } catch {
        return undefined;
      }
    };
    await waitFor('sensor reports', 60_000, () => sensorStatus()?.ruleset !== undefined);
    const waitSensorOnPublished = async (timeoutMs = 10_000): Promise<string> => {
      let hash = '';
      await waitFor('published', timeoutMs, async () => { hash = (await readPublished(admin, ns))?.hash ?? ''; return hash !== ''; });
      await waitFor('sensor on the published hash', timeoutMs, () => sensorStatus()?.ruleset?.hash === hash);
      return hash;
    };
    const loop: Loop = { cp, kc, admin, ns, app, node, sensor, op, sensorStatus, waitSensorOnPublished, stop };
    return loop;
  } catch (err) {
    await stop();
    throw err;
  }
}
