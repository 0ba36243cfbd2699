// What the operator e2e tests share: install the chart, mint ServiceAccount tokens (so
// the operator and "sensor" act with exactly the chart's RBAC), run the real operator as
// a local process, and read the published ruleset through the API.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { helm, kubectl, tokenKubeconfig, waitFor } from '../cluster/index.ts';
import { KubeClient } from '../../operator/src/framework/kube.ts';
import { RULESET_CONFIGMAP, readRuleset, type ConfigMapLike, type LoadedRuleset } from '../../operator/src/ruleset/index.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CHART = join(ROOT, 'charts', 'vigil');
const work = mkdtempSync(join(tmpdir(), 'vigil-e2e-'));

export function installChart(kubeconfig: string, release: string, namespace: string, set: readonly string[] = []): string {
  return helm(kubeconfig, ['install', release, CHART, '-n', namespace, ...set.flatMap((s) => ['--set', s])]);
}

/** A kubeconfig that authenticates as a ServiceAccount with a TokenRequest token. */
export function serviceAccountKubeconfig(adminKubeconfig: string, namespace: string, sa: string,
  bound?: { kind: 'Node' | 'Pod' | 'Secret'; name: string }): string {
  const cfg = parse(readFileSync(adminKubeconfig, 'utf8')) as { clusters: { cluster: { server: string; 'certificate-authority-data': string } }[] };
  const cluster = cfg.clusters[0]?.cluster;
  if (!cluster) throw new Error('admin kubeconfig has no cluster');
  const ca = join(work, 'ca.crt');
  writeFileSync(ca, Buffer.from(cluster['certificate-authority-data'], 'base64'));
  const token = kubectl(adminKubeconfig, ['create', 'token', sa, '-n', namespace, '--duration=2h',
    ...(bound ? ['--bound-object-kind', bound.kind, '--bound-object-name', bound.name] : [])]).trim();
  const path = join(work, `${namespace}-${sa}${bound ? `-${bound.name}` : ''}.kubeconfig`);
  writeFileSync(path, tokenKubeconfig(cluster.server, ca, `system:serviceaccount:${namespace}:${sa}`, token), { mode: 0o600 });
  return path;
}

export interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

/** The real operator (operator/bin/vigil-operator.js) as a local process. */
export class OperatorProcess {
  readonly logs: LogLine[] = [];
  port = 0;
  private exited = false;
  readonly exit: Promise<number | null>;

  private constructor(readonly child: ChildProcess, readonly identity: string) {
    this.exit = new Promise((resolve) => child.on('exit', (code) => { this.exited = true; resolve(code); }));
    let buf = '';
    child.stderr?.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const l = JSON.parse(line) as LogLine;
          this.logs.push(l);
          if (l.msg === 'serving /metrics /healthz /readyz') this.port = Number(l.port);
        } catch {
          this.logs.push({ level: 50, msg: line });
        }
        if (process.env.VIGIL_E2E_VERBOSE) process.stderr.write(`[${identity}] ${line}\n`);
      }
    });
  }

  static async start(opts: { kubeconfig: string; namespace: string; identity: string; env?: Record<string, string>; args?: string[] }): Promise<OperatorProcess> {
    const child = spawn(process.execPath, [join(ROOT, 'operator', 'bin', 'vigil-operator.js'),
      '--kubeconfig', opts.kubeconfig, '--namespace', opts.namespace, '--identity', opts.identity, '--http-addr', '127.0.0.1:0',
      ...(opts.args ?? [])], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, VIGIL_LOG_LEVEL: 'debug', ...opts.env },
    });
    const p = new OperatorProcess(child, opts.identity);
    await waitFor(`operator ${opts.identity} serving`, 60_000, () => {
      if (p.exited) throw new Error(`operator exited: ${p.logs.slice(-5).map((l) => l.msg).join(' | ')}`);
      return p.port > 0;
    });
    return p;
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  get alive(): boolean {
    return !this.exited;
  }

  async get(path: string): Promise<{ status: number; text: string }> {
    const r = await fetch(`http://127.0.0.1:${this.port}${path}`, { signal: AbortSignal.timeout(3000) });
    return { status: r.status, text: await r.text() };
  }

  /** Resident memory of the operator process, from /proc. */
  rssBytes(): number {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
    return Number(m?.[1] ?? 0) * 1024;
  }

  /** Log lines that say an API call was refused (RBAC) — must stay empty. */
  forbidden(): LogLine[] {
    return this.logs.filter((l) => /\b403\b|forbidden/i.test(JSON.stringify(l)));
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.exit;
    clearTimeout(t);
  }

  kill(): Promise<number | null> {
    if (!this.exited) this.child.kill('SIGKILL');
    return this.exit;
  }
}

export async function readPublished(client: KubeClient, namespace: string): Promise<LoadedRuleset | undefined> {
  const ref = { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true };
  const main = await client.find(ref, RULESET_CONFIGMAP, namespace);
  if (!main) return undefined;
  return readRuleset(main as ConfigMapLike, async (name) => (await client.find(ref, name, namespace)) as ConfigMapLike | undefined);
}

export function applyYaml(kubeconfig: string, yaml: string, args: string[] = []): string {
  return kubectl(kubeconfig, ['apply', '-f', '-', ...args], yaml);
}

export function rule(name: string, expression: string, extra = ''): string {
  return `apiVersion: vigil.dev/v1alpha1
kind: SecurityRule
metadata:
  name: ${name}
spec:
  expression: '${expression.replace(/'/g, "''")}'
  severity: high
${extra}`;
}

export interface Cond { type: string; status: string; reason: string; message: string; observedGeneration?: number }

export async function conditionOf(client: KubeClient, plural: string, name: string, type: string): Promise<Cond | undefined> {
  const obj = await client.find<{ status?: { conditions?: Cond[] } }>({ group: 'vigil.dev', version: 'v1alpha1', plural, kind: '', namespaced: false }, name);
  return obj?.status?.conditions?.find((c) => c.type === type);
}

export { KubeClient };
