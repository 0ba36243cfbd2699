// A real, local Kubernetes control plane: etcd + kube-apiserver (+ controller-manager and
// scheduler when asked) on loopback, with generated PKI, service-account signing keys and
// issuer (so TokenRequest works), Node,RBAC authorization and an admin kubeconfig.
//
// No process outlives its owner: every component runs under `setpriv --pdeathsig SIGKILL`
// (it dies with the harness, even when the harness is SIGKILLed), ports are picked free at
// start, and start() first sweeps state left by a harness that died anyway.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { request } from 'node:https';
import { join } from 'node:path';
import { clientCertKubeconfig, createPki, type Pki } from './pki.ts';
import { binaryPath, stateRoot } from './binaries.ts';

export interface ControlPlaneOptions {
  /** Run kube-controller-manager (namespace deletion, garbage collection, SA controller). */
  readonly controllerManager?: boolean;
  readonly scheduler?: boolean;
  /** Where state lives; default: a new folder under the state root. */
  readonly dir?: string;
  /** Print component logs to stderr as well as to files. */
  readonly verbose?: boolean;
  /** Extra kube-apiserver flags (--name=value). */
  readonly apiserverFlags?: readonly string[];
}

interface Component {
  readonly name: string;
  readonly bin: string;
  readonly args: readonly string[];
  readonly child: ChildProcess;
  exited: boolean;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/**
 * Kills what a dead harness left behind: every instance folder whose owner is gone has its
 * recorded component pids killed (only if their command line still names that folder, so a
 * reused pid is never hit) and the folder removed.
 */
export function sweepStale(root = stateRoot()): number {
  if (!existsSync(root)) return 0;
  let swept = 0;
  for (const entry of readdirSync(root)) {
    const dir = join(root, entry);
    const ownerFile = join(dir, 'owner.pid');
    if (!existsSync(ownerFile)) continue;
    const owner = Number(readFileSync(ownerFile, 'utf8'));
    if (owner && pidAlive(owner) && cmdlineOf(owner) !== '') continue;
    const pidsFile = join(dir, 'components.pid');
    if (existsSync(pidsFile)) {
      for (const line of readFileSync(pidsFile, 'utf8').split('\n')) {
        const pid = Number(line.split(' ')[0]);
        if (pid > 1 && cmdlineOf(pid).includes(dir)) {
          try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
        }
      }
    }
    rmSync(dir, { recursive: true, force: true });
    swept++;
  }
  return swept;
}

export class ControlPlane {
  readonly dir: string;
  readonly pki: Pki;
  readonly kubeconfigPath: string;
  readonly server: string;
  private readonly components: Component[] = [];
  private readonly verbose: boolean;
  private stopping = false;
  private readonly onExit = (): void => this.killAllSync();

  private constructor(dir: string, pki: Pki, server: string, verbose: boolean) {
    this.dir = dir;
    this.pki = pki;
    this.server = server;
    this.kubeconfigPath = join(dir, 'admin.kubeconfig');
    this.verbose = verbose;
  }

  static async start(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
    const root = stateRoot();
    mkdirSync(root, { recursive: true });
    sweepStale(root);
    const dir = opts.dir ?? join(root, `cp-${process.pid}-${Date.now().toString(36)}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'owner.pid'), String(process.pid));
    const pki = createPki(join(dir, 'pki'));
    const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
    const server = `https://127.0.0.1:${apiPort}`;
    const cp = new ControlPlane(dir, pki, server, opts.verbose ?? false);
    process.on('exit', cp.onExit);
    try {
      writeFileSync(cp.kubeconfigPath, clientCertKubeconfig(server, pki.ca.cert, 'vigil-admin', pki.admin), { mode: 0o600 });
      cp.launch('etcd', binaryPath('etcd'), [
        '--name=vigil', `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=http://127.0.0.1:${etcdClient}`, `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`, `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-cluster=vigil=http://127.0.0.1:${etcdPeer}`, '--listen-metrics-urls=',
        // A throwaway test store: skipping fsync makes every write several times faster.
        '--unsafe-no-fsync', '--log-level=warn',
      ]);
      await waitFor('etcd', 30_000, () => httpOk(`http://127.0.0.1:${etcdClient}/health`));
      cp.launch('kube-apiserver', binaryPath('kube-apiserver'), [
        `--etcd-servers=http://127.0.0.1:${etcdClient}`, '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1',
        `--secure-port=${apiPort}`, `--cert-dir=${join(dir, 'apiserver-certs')}`,
        `--tls-cert-file=${pki.apiserver.cert}`, `--tls-private-key-file=${pki.apiserver.key}`,
        `--client-ca-file=${pki.ca.cert}`,
        `--service-account-key-file=${pki.serviceAccount.publicKey}`,
        `--service-account-signing-key-file=${pki.serviceAccount.privateKey}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        '--api-audiences=https://kubernetes.default.svc.cluster.local',
        '--authorization-mode=Node,RBAC', '--service-cluster-ip-range=10.0.0.0/24', '--allow-privileged=true',
        '--enable-admission-plugins=NamespaceLifecycle,ServiceAccount,DefaultStorageClass',
        '--disable-admission-plugins=ResourceQuota', '--profiling=false', '--v=1',
        ...(opts.apiserverFlags ?? []),
      ]);
      await waitFor('kube-apiserver', 90_000, () => cp.healthy('/readyz'));
      if (opts.controllerManager) {
        const kc = join(dir, 'controller-manager.kubeconfig');
        writeFileSync(kc, clientCertKubeconfig(server, pki.ca.cert, 'system:kube-controller-manager', pki.controllerManager), { mode: 0o600 });
        cp.launch('kube-controller-manager', binaryPath('kube-controller-manager'), [
          `--kubeconfig=${kc}`, `--authentication-kubeconfig=${kc}`, `--authorization-kubeconfig=${kc}`,
          '--bind-address=127.0.0.1', `--secure-port=${await freePort()}`,
          `--service-account-private-key-file=${pki.serviceAccount.privateKey}`, `--root-ca-file=${pki.ca.cert}`,
          '--use-service-account-credentials=true', '--leader-elect=false',
          `--cluster-signing-cert-file=${pki.ca.cert}`, `--cluster-signing-key-file=${pki.ca.key}`,
          '--controllers=*,-nodeipam,-nodelifecycle,-persistentvolume-binder,-attachdetach,-persistentvolume-expander,-ttl,-bootstrapsigner,-tokencleaner',
          '--v=1',
        ]);
      }
      if (opts.scheduler) {
        const kc = join(dir, 'scheduler.kubeconfig');
        writeFileSync(kc, clientCertKubeconfig(server, pki.ca.cert, 'system:kube-scheduler', pki.scheduler), { mode: 0o600 });
        cp.launch('kube-scheduler', binaryPath('kube-scheduler'), [
          `--kubeconfig=${kc}`, `--authentication-kubeconfig=${kc}`, `--authorization-kubeconfig=${kc}`,
          '--bind-address=127.0.0.1', `--secure-port=${await freePort()}`, '--leader-elect=false', '--v=1',
        ]);
      }
      // The default namespace and RBAC bootstrap roles exist once the post-start hooks ran.
      await waitFor('bootstrap RBAC', 60_000, async () => (await cp.get('/api/v1/namespaces/default')) === 200);
      return cp;
    } catch (err) {
      await cp.stop();
      throw err;
    }
  }

  /** Starts one component under pdeathsig, logging to <dir>/<name>.log. */
  private launch(name: string, bin: string, args: readonly string[]): void {
    const log = createWriteStream(join(this.dir, `${name}.log`), { flags: 'a' });
    // The state dir in argv lets sweepStale() recognise this process later.
    // Own process group: a Ctrl-C at the terminal reaches the harness only, which then stops
    // the components in order (clients, apiserver, etcd) instead of all at once.
    const child = spawn('setpriv', ['--pdeathsig', 'SIGKILL', '--', bin, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      env: { ...process.env, VIGIL_CP_DIR: this.dir },
    });
    const comp: Component = { name, bin, args, child, exited: false };
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    if (this.verbose) child.stderr?.on('data', (d: Buffer) => process.stderr.write(`[${name}] ${d}`));
    child.on('exit', (code, signal) => {
      comp.exited = true;
      log.end();
      if (!this.stopping) process.stderr.write(`control-plane: ${name} exited (${signal ?? code}); log: ${join(this.dir, `${name}.log`)}\n`);
    });
    this.components.push(comp);
    writeFileSync(join(this.dir, 'components.pid'), this.components.filter((c) => !c.exited).map((c) => `${c.child.pid} ${c.name}`).join('\n') + '\n');
  }

  /** GET path on the apiserver as admin; returns the HTTP status (0 on connection error). */
  get(path: string): Promise<number> {
    return new Promise((resolve) => {
      const req = request(this.server + path, {
        ca: readFileSync(this.pki.ca.cert), cert: readFileSync(this.pki.admin.cert), key: readFileSync(this.pki.admin.key),
        timeout: 5000,
      }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
      req.on('error', () => resolve(0));
      req.on('timeout', () => req.destroy());
      req.end();
    });
  }

  async healthy(path = '/readyz'): Promise<boolean> {
    return (await this.get(path)) === 200;
  }

  /** Names the running component processes (for tests that prove teardown). */
  pids(): number[] {
    return this.components.filter((c) => !c.exited && c.child.pid).map((c) => c.child.pid as number);
  }

  /** Stops one component (e.g. the apiserver, to test outages); restart() brings it back. */
  async stopComponent(name: string): Promise<void> {
    const comp = this.components.find((c) => c.name === name && !c.exited);
    if (!comp) return;
    this.stopping = true;
    await terminate(comp);
    this.stopping = false;
  }

  /**
   * Starts a stopped component again with the same flags and ports (an apiserver outage
   * and its end, for tests); waits until the apiserver is ready again.
   */
  async startComponent(name: string): Promise<void> {
    const last = [...this.components].reverse().find((c) => c.name === name);
    if (!last) throw new Error(`no component ${name}`);
    if (!last.exited) return;
    this.launch(name, last.bin, last.args);
    if (name === 'kube-apiserver') await waitFor('kube-apiserver', 90_000, () => this.healthy('/readyz'));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    // Reverse order: clients before the apiserver, the apiserver before etcd.
    for (const comp of [...this.components].reverse()) await terminate(comp);
    process.off('exit', this.onExit);
    if (!process.env.VIGIL_KEEP_STATE) rmSync(this.dir, { recursive: true, force: true });
  }

  private killAllSync(): void {
    for (const c of this.components) {
      if (!c.exited && c.child.pid) {
        try { process.kill(c.child.pid, 'SIGKILL'); } catch { /* gone */ }
      }
    }
  }
}

async function terminate(comp: Component): Promise<void> {
  if (comp.exited || !comp.child.pid) return;
  const exited = new Promise<void>((resolve) => comp.child.once('exit', () => resolve()));
  comp.child.kill('SIGTERM');
  const timer = setTimeout(() => comp.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

function httpOk(url: string): Promise<boolean> {
  return fetch(url, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);
}

export async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 50;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 500);
  }
  throw new Error(`${what} not ready after ${timeoutMs} ms`);
}

/** Runs kubectl (the pinned build) against a kubeconfig; returns stdout, throws on failure. */
export function kubectl(kubeconfig: string, args: readonly string[], input?: string): string {
  return runTool('kubectl', ['--kubeconfig', kubeconfig, ...args], input);
}

export function helm(kubeconfig: string, args: readonly string[]): string {
  return runTool('helm', ['--kubeconfig', kubeconfig, ...args]);
}

export function runTool(tool: string, args: readonly string[], input?: string): string {
  const res = spawnSync(binaryPath(tool), args, { input, encoding: 'utf8', timeout: 120_000 });
  if (res.status !== 0) {
    const err = new Error(`${tool} ${args.join(' ')} failed (${res.status ?? res.signal}): ${res.stderr.trim()}`) as Error & { stderr: string };
    err.stderr = res.stderr;
    throw err;
  }
  return res.stdout;
}
