// What the default-rule tests share: the sensor as `vigil-sensor run` wires it (the chart's
// default ruleset, its kernel filter plan, the pipeline and the real Detector), the triggers'
// toolbox (renamed copies of harmless binaries, fake containers in kubelet-named cgroups,
// private mount namespaces whose writes land in a throw-away overlay, a C helper for the
// kernel-activity moves) and the assertion that a rule fired on a trigger and kept quiet on
// its near-miss.
//
// Detections are tied to a trigger by process: the trigger's pid, or an ancestor with that
// pid. A check waits for a sentinel exec seen in the decoded stream after the trigger, so an
// absence is decided on a stream known to hold everything the trigger did.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, realpathSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, it } from 'node:test';
import type { SeclEvent } from '@vigil/operator/secl';
import { ActiveProtector } from '../../sensor/src/actions/active-protection.ts';
import { DEFAULT_RULES_DIR, loadStandaloneRuleset } from '../../sensor/src/cli/run.ts';
import { CgroupResolver } from '../../sensor/src/enrich/container.ts';
import { EVENT_TYPES } from '../../sensor/src/kernel/event-types.ts';
import { fromSeclPlan } from '../../sensor/src/kernel/filters.ts';
import { KernelSensor } from '../../sensor/src/kernel/kernel-sensor.ts';
import { addonBuilt, ADDON_PATH } from '../../sensor/src/native/addon.ts';
import { Detector, type DetectionRuleset } from '../../sensor/src/pipeline/detect.ts';
import { Enricher } from '../../sensor/src/pipeline/enrich.ts';
import { isSeclEvent } from '../../sensor/src/pipeline/events.ts';
import { Pipeline } from '../../sensor/src/pipeline/pipeline.ts';
import { ProcessCache } from '../../sensor/src/process/cache.ts';
import { containerLookup } from '../../sensor/src/process/containers.ts';
import { UserNames } from '../../sensor/src/process/users.ts';
import type { Detection } from '../../sensor/src/report/signal-content.ts';
import { compiledFixture, opsBinary } from '../bpf/helpers.ts';

const here = dirname(fileURLToPath(import.meta.url));
export { DEFAULT_RULES_DIR };

/** Why the kernel rule tests cannot run here, or undefined when they can. */
export function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'rule tests need root (they load the BPF programs)';
  if (!addonBuilt()) return `the sensor addon is not built (${ADDON_PATH}): run make build`;
  return undefined;
}

const FAMILY_OF: Record<string, string> = {
  dns: 'dns', connect: 'network', accept: 'network', bind: 'network',
  ptrace: 'kernel', bpf: 'kernel', load_module: 'kernel', unload_module: 'kernel', mount: 'kernel',
  setuid: 'kernel', setgid: 'kernel', capset: 'kernel', signal: 'kernel', prctl: 'kernel',
};

/** A skip message while the sensor does not produce these event types yet (issue 4), else undefined. */
export function missingEventTypes(...types: string[]): string | undefined {
  const missing = types.filter((t) => !(t in EVENT_TYPES));
  if (missing.length === 0) return skipReason();
  const families = [...new Set(missing.map((t) => FAMILY_OF[t] ?? t))];
  return `needs the ${families.join(' and ')} famil${families.length > 1 ? 'ies' : 'y'} (issue 4): the sensor has no ${missing.join('/')} events yet`;
}

// ---------------------------------------------------------------------------------------
// The sensor

export interface Proc {
  readonly pid: number;
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RuleSensor {
  readonly detections: Detection[];
  /** Every SECL event evaluated since the last clearEvents(), for failure messages. */
  readonly events: SeclEvent[];
  readonly detector: Detector;
  readonly kernel: KernelSensor;
  readonly ruleset: DetectionRuleset;
  /** Returns once every event produced before the call has been evaluated. */
  settle(): Promise<void>;
  /** Detections of `ruleId` by the process `pid` or one of its descendants. */
  fired(ruleId: string, pid: number): Detection[];
  /** Events of `pid` and its descendants, one line each, for failure messages. */
  describe(pid: number): string;
  clearEvents(): void;
  close(): void;
}

export interface RuleSensorOptions {
  /** Rule files instead of the chart's default rules. */
  readonly rules?: readonly string[];
  /** Keep the evaluated events (default true; the noise check turns it off). */
  readonly keepEvents?: boolean;
}

const related = (ev: SeclEvent, pid: number): boolean => ev.process.pid === pid || ev.process.ancestors.some((a) => a.pid === pid);

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function openRuleSensor(opts: RuleSensorOptions = {}): RuleSensor {
  const { ruleset, errors } = loadStandaloneRuleset(opts.rules ?? []);
  assert.deepEqual(errors, [], 'the ruleset loads without errors');
  const { types, spec } = fromSeclPlan(ruleset.compiled.filterPlan());
  const kernel = KernelSensor.open({ types, filters: spec });
  const users = new UserNames();
  const cache = new ProcessCache({ clockOffsetNs: kernel.clockOffsetNs, users, containers: containerLookup() });
  cache.seed();
  const detections: Detection[] = [];
  const events: SeclEvent[] = [];
  const keep = opts.keepEvents !== false;
  const detector = new Detector({
    ruleset: () => ruleset,
    protector: new ActiveProtector({ selfPid: process.pid }),
    nodeLabels: () => ({}),
    emit: (d) => detections.push(d),
  });
  const sentinels = new Set<number>();
  const seen = new Set<number>();
  const pipeline = new Pipeline(
    new Enricher(cache, users, kernel.clockOffsetNs, hostname()),
    cache,
    [detector.consume, (evs) => {
      if (keep) for (const e of evs) if (isSeclEvent(e) && events.length < 200_000) events.push(e);
    }],
    (recs) => {
      for (const r of recs) if (r.type === 'exec' && sentinels.has(r.rec.hdr.pid)) seen.add(r.rec.hdr.pid);
    },
  );
  kernel.start(pipeline.onBatch);
  return {
    detections, events, detector, kernel, ruleset,
    async settle() {
      const r = spawnSync('/usr/bin/true', ['vigil-settle']);
      const pid = r.pid ?? 0;
      sentinels.add(pid);
      const deadline = Date.now() + 15_000;
      while (!seen.has(pid)) {
        kernel.drain();
        if (seen.has(pid)) break;
        if (Date.now() > deadline) throw new Error('the sensor did not deliver the settle sentinel within 15 s');
        await sleep(5);
      }
      sentinels.delete(pid);
      seen.delete(pid);
    },
    fired: (ruleId, pid) => detections.filter((d) => d.rule.id === ruleId && related(d.event, pid)),
    describe(pid) {
      const lines = events.filter((e) => related(e, pid)).map((e) => {
        const payload = (e as unknown as Record<string, { file?: { path: string }; retval?: number } | undefined>)[e.type];
        return `  ${e.type} pid=${e.process.pid}${e.container?.id ? ` container=${e.container.id.slice(0, 12)}` : ""} ${e.process.file.path} ${JSON.stringify(e.process.argv).slice(0, 200)}${payload?.file ? ` file=${payload.file.path}` : ''}`;
      });
      const ds = detections.filter((d) => related(d.event, pid)).map((d) => `  detection ${d.rule.id} (${d.event.type} pid=${d.event.process.pid})`);
      return [...lines.slice(-40), ...ds].join('\n') || '  (no events of that process tree)';
    },
    clearEvents() {
      events.length = 0;
    },
    close() {
      kernel.drain();
      kernel.close();
    },
  };
}

// ---------------------------------------------------------------------------------------
// One rule, one trigger, one near-miss

export interface RuleCase {
  /** The rule id (spec.id). */
  readonly rule: string;
  /** Makes the behaviour; returns the process (tree root) that did it. */
  readonly trigger: () => Proc | Promise<Proc>;
  /** Something close that is benign; the rule must stay quiet on it. */
  readonly nearMiss: () => Proc | Promise<Proc>;
  /** Assertions on the event of the first detection. */
  readonly check?: (ev: SeclEvent) => void;
  /** A known gap in the sensor or engine: the case runs as a TODO (reported, not failing). */
  readonly gap?: string;
  /** Skip with this message (e.g. no kernel support here). */
  readonly skip?: string;
}

export async function checkRule(s: RuleSensor, c: RuleCase): Promise<void> {
  s.clearEvents();
  const t = await c.trigger();
  await s.settle();
  const hits = s.fired(c.rule, t.pid);
  assert.ok(hits.length > 0, `${c.rule} did not fire on its trigger (pid ${t.pid}, exit ${t.status}, stderr ${t.stderr.trim().slice(0, 300)}):\n${s.describe(t.pid)}`);
  c.check?.((hits[0] as Detection).event);
  const n = await c.nearMiss();
  await s.settle();
  const wrong = s.fired(c.rule, n.pid);
  assert.equal(wrong.length, 0, `${c.rule} fired on its near-miss (pid ${n.pid}):\n${s.describe(n.pid)}`);
}

/** What a describe of rule tests shares: one sensor, a scratch directory, maybe a "container". */
export interface RuleSuite {
  readonly sensor: RuleSensor;
  readonly scratch: Scratch;
  /** Present when the suite was opened with { container: true }. */
  readonly container: FakeContainer;
}

/**
 * Opens the suite's sensor, scratch directory (and fake container) before its tests and
 * closes them after; call inside a describe. Fields are set once before() has run.
 */
export function useRuleSuite(opts: { container?: boolean } = {}): RuleSuite {
  const suite = {} as { sensor: RuleSensor; scratch: Scratch; container: FakeContainer };
  before(() => {
    suite.sensor = openRuleSensor();
    suite.scratch = new Scratch();
    if (opts.container) suite.container = FakeContainer.create();
  });
  after(() => {
    suite.sensor?.close();
    suite.container?.remove();
    suite.scratch?.remove();
  });
  return suite;
}

/** Declares the test of one rule (inside a describe that owns the sensor). */
export function ruleTest(suite: RuleSuite, c: RuleCase, title?: string): void {
  const opts = c.skip ? { skip: c.skip } : c.gap ? { todo: c.gap } : {};
  it(`${c.rule}: ${title ?? 'fires on its trigger, quiet on its near-miss'}`, opts, () => checkRule(suite.sensor, c));
}

// ---------------------------------------------------------------------------------------
// Triggers

/** The output of `vigil-trigger detach`: "pid G", the program's output, "status N". */
function detachedProc(out: string, stderr: string, fallbackStatus: number | null): Proc {
  const lines = out.split('\n');
  const pid = Number(/^pid (\d+)$/.exec(lines[0] ?? '')?.[1] ?? 0);
  const statusAt = lines.findLastIndex((l) => /^status -?\d+$/.test(l));
  const status = statusAt >= 0 ? Number((lines[statusAt] as string).slice(7)) : fallbackStatus;
  const stdout = lines.slice(1, statusAt >= 0 ? statusAt : undefined).join('\n');
  if (!pid) throw new Error(`vigil-trigger detach did not start: ${out} ${stderr}`);
  return { pid, status, stdout, stderr };
}

/**
 * Runs a program to completion (20 s at most), detached from this process's ancestry (see
 * vigil-trigger's detach): rules that exclude what runs under build tools (make runs the
 * test suite) see the trigger as it would run on a host.
 */
export function run(cmd: string, args: readonly string[] = [], opts: SpawnSyncOptions = {}): Proc {
  const r = spawnSync(triggerBinary(), ['detach', cmd, ...args], { encoding: 'utf8', timeout: 20_000, ...opts });
  if (r.error) throw r.error;
  return detachedProc(String(r.stdout ?? ''), String(r.stderr ?? ''), r.status);
}

/** Runs a shell script with /bin/sh. */
export function sh(script: string, opts: SpawnSyncOptions = {}): Proc {
  return run('/bin/sh', ['-c', script], opts);
}

/** The vigil-trigger helper, compiled into test/rules/build when missing or older than its source. */
export function triggerBinary(): string {
  return compiledFixture(join(here, 'fixtures', 'vigil-trigger.c'), join(here, 'build', 'vigil-trigger'));
}

/** Runs one vigil-trigger operation (detached). */
export function trigger(...args: string[]): Proc {
  return run(triggerBinary(), args);
}

export { opsBinary };

/**
 * A scratch directory for one test file, under /tmp (its real path). Files the test process
 * writes there are invisible to the sensor: the sensor ignores its own process.
 */
export class Scratch {
  readonly dir: string;

  constructor(prefix = 'vigil-rules-') {
    this.dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  /** A copy of `from` (default /usr/bin/true) named `name`, executable; returns its path. */
  tool(name: string, from = '/usr/bin/true', sub = 'bin'): string {
    const dir = this.path(sub);
    mkdirSync(dir, { recursive: true });
    const p = join(dir, name);
    copyFileSync(from, p);
    chmodSync(p, 0o755);
    return p;
  }

  file(rel: string, content = 'vigil test\n', mode = 0o644): string {
    const p = this.path(rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content, { mode });
    return p;
  }

  /** A fresh empty directory (a mount point for private mounts). */
  mkdir(rel: string): string {
    const p = this.path(rel);
    mkdirSync(p, { recursive: true });
    return p;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Runs `script` with /bin/sh -e in a private mount namespace where each directory of
 * `overlay` is covered by an overlayfs whose upper layer is a tmpfs, and each of `tmpfs` by
 * an empty tmpfs: the script sees the real files but every write lands in memory that
 * disappears with the namespace. Nothing is written to the real directories.
 */
export function privateFs(scratch: Scratch, script: string, mounts: { overlay?: readonly string[]; tmpfs?: readonly string[] }, env: NodeJS.ProcessEnv = {}): Proc {
  const base = scratch.mkdir(`ns-${randomBytes(4).toString('hex')}`);
  const lines = ['set -e', `T='${base}'`, 'mount -t tmpfs vigil-rules "$T"'];
  (mounts.overlay ?? []).forEach((d, i) => {
    lines.push(`mkdir "$T/u${i}" "$T/w${i}"`,
      `mount -t overlay vigil-rules -o "lowerdir=${d},upperdir=$T/u${i},workdir=$T/w${i}" '${d}'`,
      `mountpoint -q '${d}'`);
  });
  for (const d of mounts.tmpfs ?? []) lines.push(`mount -t tmpfs vigil-rules '${d}'`, `mountpoint -q '${d}'`);
  lines.push(script);
  const r = run('/usr/bin/unshare', ['-m', '--propagation', 'private', '/bin/sh', '-c', lines.join('\n')], { env: { ...process.env, ...env } });
  try { rmdirSync(base); } catch { /* removed with the scratch dir */ }
  return r;
}

const resolver = process.getuid?.() === 0 ? CgroupResolver.fromSystem() : undefined;

/**
 * A "container": a cgroup named the way kubelet (systemd driver) and containerd name a
 * container's, so the sensor attributes what runs in it to a container id.
 */
export class FakeContainer {
  readonly id = randomBytes(32).toString('hex');
  readonly relPath: string;
  private readonly dirs: string[];

  private constructor(readonly mount: string) {
    const uid = randomUUID().replace(/-/g, '_');
    this.relPath = `vigil-rules-test.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${uid}.slice/cri-containerd-${this.id}.scope`;
    this.dirs = this.relPath.split('/').map((_, i, a) => a.slice(0, i + 1).join('/'));
    for (const d of this.dirs) mkdirSync(join(mount, d), { recursive: true });
  }

  static create(): FakeContainer {
    if (!resolver) throw new Error('no cgroup2 mount');
    return new FakeContainer(resolver.mount);
  }

  /** Runs a program inside the container's cgroup (detached, see run()): moved there before it execs. */
  async run(cmd: string, args: readonly string[] = [], env: NodeJS.ProcessEnv = process.env): Promise<Proc> {
    const child = spawn(triggerBinary(), ['detach-wait', cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    let moved = false;
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const done = new Promise<void>((resolve) => child.stdout.on('end', () => resolve()));
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /^pid (\d+)\n/.exec(stdout);
      if (m && !moved) {
        moved = true;
        writeFileSync(join(this.mount, this.relPath, 'cgroup.procs'), m[1] as string);
        process.kill(Number(m[1]), 'SIGUSR1');
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await done;
    clearTimeout(timer);
    return detachedProc(stdout, stderr, null);
  }

  remove(): void {
    for (const d of [...this.dirs].reverse()) {
      try { rmdirSync(join(this.mount, d)); } catch { /* a shared parent still in use */ }
    }
  }
}

/** The rule's id as spelled in the chart (to look rules up in tests). */
export function ruleFile(name: string): string {
  return join(DEFAULT_RULES_DIR, `${name}.yaml`);
}

/** A local DNS resolver on 127.0.0.1:53 (fixtures/resolver.mjs), as a process of its own. */
export interface Resolver {
  /** False when port 53 was taken by someone else's resolver (queries still leave the host stack). */
  readonly ours: boolean;
  close(): void;
}

export async function startResolver(): Promise<Resolver> {
  const child = spawn(process.execPath, [join(here, 'fixtures', 'resolver.mjs')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const first = await new Promise<string>((resolve) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    child.on('exit', () => resolve(out.trim() || 'exited'));
  });
  return {
    ours: first === 'ready',
    close: () => {
      child.stdin.end();
      child.kill();
    },
  };
}

/** Starts a program in the background (not detached); the caller stops it. */
export function background(cmd: string, args: readonly string[] = []): { pid: number; exited: Promise<NodeJS.Signals | number | null>; stop(): void } {
  const child = spawn(cmd, args, { stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  return { pid: child.pid ?? 0, exited, stop: () => child.kill('SIGKILL') };
}
