// `vigil-sensor run`: detection (and Active Protection) on this host.
//
// Standalone (no Kubernetes): rules from --rules files (SecurityRule/SecurityMacro YAML or
// Datadog policy files), or Vigil's default rules; detections go to stdout as JSON lines,
// a rule's own kill action acts.
//
// In the cluster (NODE_NAME and VIGIL_NAMESPACE set, as the DaemonSet does): the ruleset
// comes live from the operator's ConfigMaps, kills from ActiveProtectionPolicies, events
// are enriched with their pod, detections become Signals and Events, and the sensor keeps
// its Sensor object. Detections still go to stdout too.
import { readdirSync, readFileSync } from 'node:fs';
import { constants, hostname, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Writable } from 'node:stream';
import { z } from 'zod';
import { compileRuleset, loadPolicyFile, mergePolicies, type CompiledRuleset } from '@vigil/operator/secl';
import { KernelSensor } from '../kernel/kernel-sensor.ts';
import { loadAddon } from '../native/addon.ts';
import { fromSeclPlan, type FilterSpec, type TypeFilterSpec } from '../kernel/filters.ts';
import type { EventName } from '../kernel/event-types.ts';
import { notApplicableRules } from '../kernel/plan.ts';
import type { Logger } from '../log.ts';
import type { DnsStats } from '../pipeline/activity.ts';
import { Enricher } from '../pipeline/enrich.ts';
import { Pipeline } from '../pipeline/pipeline.ts';
import { Detector, type DetectionRuleset } from '../pipeline/detect.ts';
import { ProcessCache } from '../process/cache.ts';
import { containerLookup } from '../process/containers.ts';
import { UserNames } from '../process/users.ts';
import { ActiveProtector } from '../actions/active-protection.ts';
import { planKernelKills } from '../actions/kernel-kill.ts';
import { scopeCovers } from '../policy/scope.ts';
import { CgroupResolver, isHostTopLevel, podUidOfCgroup } from '../enrich/container.ts';
import type { PodIndex } from '../k8s/pod-index.ts';
import type { ActiveRuleset, LiveRuleset } from '../policy/live-ruleset.ts';
import type { SignalReporter } from '../report/signal-reporter.ts';
import type { SensorStatusReporter, StatusSnapshot } from '../report/sensor-status.ts';
import { signalContent, type Detection } from '../report/signal-content.ts';

const here = dirname(fileURLToPath(import.meta.url));
/** Vigil's default rules: the chart's rules folder is their one source. */
export const DEFAULT_RULES_DIR = join(here, '..', '..', '..', 'charts', 'vigil', 'rules');
const VERSION = (JSON.parse(readFileSync(join(here, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;

export const RunEnvSchema = z.object({
  NODE_NAME: z.string().min(1).optional(),
  VIGIL_NAMESPACE: z.string().min(1).optional(),
  /** The last good ruleset and other state that must survive a restart. */
  VIGIL_STATE_DIR: z.string().min(1).default('/var/lib/vigil'),
  /** Signals not delivered yet (default: <state dir>/spool). */
  VIGIL_SPOOL_DIR: z.string().min(1).optional(),
  /** API protection: new Signals per rule per minute, and writes per second, from this node. */
  VIGIL_NEW_SIGNALS_PER_RULE_PER_MINUTE: z.coerce.number().int().positive().default(60),
  VIGIL_SIGNAL_WRITES_PER_SECOND: z.coerce.number().int().positive().default(20),
});

export const RunArgsSchema = z.object({
  rules: z.array(z.string().min(1)).default([]),
  /** Force standalone even where the cluster environment is set. */
  standalone: z.boolean().default(false),
});
export type RunArgs = z.infer<typeof RunArgsSchema>;

export interface RunIO {
  readonly stdout: Writable;
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly env: NodeJS.ProcessEnv;
}

/** Rules from files (or the defaults) compiled into a standalone ruleset; errors are fatal. */
export function loadStandaloneRuleset(paths: readonly string[]): { ruleset: DetectionRuleset; errors: string[] } {
  const files = paths.length ? paths : readdirSync(DEFAULT_RULES_DIR).filter((f) => f.endsWith('.yaml')).sort().map((f) => join(DEFAULT_RULES_DIR, f));
  const loaded = files.map((f) => loadPolicyFile(f));
  const merged = mergePolicies(loaded);
  const errors = merged.errors.map((e) => `${e.source}: ${e.error.message}`);
  const compiled = compileRuleset({ rules: merged.rules, macros: merged.macros });
  for (const e of compiled.errors) errors.push(`${e.id}: ${e.error.message}`);
  return { ruleset: { hash: 'local', compiled, policies: [] }, errors };
}

/** DNS packets skipped as malformed, as Sensor status drop causes ("dns_malformed_pointer_loop"). */
function dnsMalformed(dns: DnsStats): Record<string, number> {
  return Object.fromEntries(Object.entries(dns.malformed).map(([cause, n]) => [`dns_malformed_${cause.replace(/-/g, '_')}`, n]));
}

/** "tracepoint" for a syscall tracepoint, "hook" for the others (a cgroup_skb hook). */
function hookWord(hook: string): string {
  return hook.startsWith('syscalls/') ? 'tracepoint' : 'hook';
}

/** The cluster ruleset as detection sees it: rule scopes and versions by id. */
export function detectionRulesetOf(a: ActiveRuleset): DetectionRuleset {
  const scopes = new Map<string, NonNullable<ActiveRuleset['decoded']['rules'][number]['scope']>>();
  const versions = new Map<string, string>();
  for (const r of a.decoded.rules) {
    if (r.id && r.scope) scopes.set(r.id, r.scope);
    if (r.id && r.version) versions.set(r.id, r.version);
  }
  return { hash: a.hash, compiled: a.compiled, policies: a.policies, scopes, versions };
}

/**
 * Keeps the kernel programs and filters in step with the ruleset. Filters change in place;
 * a ruleset that needs other event types opens a new kernel sensor and starts it before
 * the old one closes, so there is no moment without hooks.
 */
class KernelRunner {
  private sensor: KernelSensor | undefined;
  private types = '';
  private spec: FilterSpec = {};
  private kills: NonNullable<TypeFilterSpec['kill']> = [];
  private scopes: Array<{ cgroupId: bigint; scope: number }> = [];

  constructor(private readonly onBatch: (buf: Buffer, bytes: number) => void, private readonly log: Logger) {}

  get current(): KernelSensor | undefined {
    return this.sensor;
  }

  /** The ruleset's filters plus the kills the kernel takes at exec. */
  private withKills(spec: FilterSpec): FilterSpec {
    if (this.kills.length === 0) return spec;
    return { ...spec, exec: { ...(spec.exec ?? { mode: 'approve' }), kill: this.kills } };
  }

  /** Kills at exec and the cgroups of their scopes (Active Protection in the kernel). */
  setKills(kills: NonNullable<TypeFilterSpec['kill']>, scopes: Array<{ cgroupId: bigint; scope: number }>): void {
    const changed = JSON.stringify(kills) !== JSON.stringify(this.kills);
    this.kills = kills;
    this.scopes = scopes;
    if (!this.sensor) return;
    // Scopes first: a new kill entry never applies before its cgroups are in place.
    this.sensor.filters.setKillScopes(scopes);
    if (changed) {
      this.sensor.setFilters(this.withKills(this.spec));
      this.log.info({ kills: kills.map((k) => `${k.exe}${k.scope ? `@scope${k.scope}` : ''}`), scopedCgroups: scopes.length }, 'kernel kills at exec');
    }
  }

  apply(compiled: CompiledRuleset): void {
    const { types, spec } = fromSeclPlan(compiled.filterPlan());
    this.spec = spec;
    const key = [...types].sort().join(',');
    if (this.sensor && key === this.types) {
      for (const note of this.sensor.setFilters(this.withKills(spec))) this.log.info({ note }, 'kernel filter widened');
      return;
    }
    const next = KernelSensor.open({ types: types as EventName[], filters: this.withKills(spec) });
    next.filters.setKillScopes(this.scopes);
    for (const s of next.plan.skipped) this.log.warn({ program: s.program, hook: s.tracepoint }, 'hook missing on this kernel');
    for (const e of notApplicableRules(compiled.rules, next.plan)) this.log.warn(e, 'rule not applicable on this kernel');
    next.start(this.onBatch);
    const old = this.sensor;
    this.sensor = next;
    this.types = key;
    old?.drain();
    old?.close();
    this.log.info({ types, programs: next.plan.programs.length }, 'kernel programs attached');
  }

  close(): void {
    this.sensor?.drain();
    this.sensor?.close();
    this.sensor = undefined;
  }
}

export async function runSensor(args: RunArgs, io: RunIO): Promise<number> {
  const env = RunEnvSchema.parse(io.env);
  const inCluster = !args.standalone && args.rules.length === 0 && !!env.NODE_NAME && !!env.VIGIL_NAMESPACE;
  const node = env.NODE_NAME ?? hostname();
  const log = io.log;

  let active: DetectionRuleset | undefined;
  if (!inCluster) {
    const { ruleset, errors } = loadStandaloneRuleset(args.rules);
    for (const e of errors) log.error({ error: e }, 'rule not loaded');
    if (errors.length > 0) return 1;
    active = ruleset;
    log.info({ rules: ruleset.compiled.rules.length }, 'rules loaded');
  }

  const resolver = CgroupResolver.fromSystem();
  const users = new UserNames();
  const clockProbe = loadAddon().clockOffsetNs();
  const cache = new ProcessCache({ clockOffsetNs: clockProbe, users, containers: containerLookup(resolver) });
  const seeded = cache.seed();
  let nodeLabels: Record<string, string> = { 'kubernetes.io/hostname': node };
  const protector = new ActiveProtector({ selfPid: process.pid, ...(resolver ? { cgroupMount: resolver.mount } : {}) });

  let reporter: SignalReporter | undefined;
  let pods: PodIndex | undefined;
  let stopInformer: (() => Promise<void>) | undefined;
  // the Kubernetes half only where it runs (cluster-mode.ts: its memory)
  const cluster = inCluster ? await import('./cluster-mode.ts') : undefined;
  const client = cluster?.clusterClient();
  if (cluster && client) {
    reporter = new cluster.SignalReporter({ client, node, hostNamespace: env.VIGIL_NAMESPACE as string, spoolDir: env.VIGIL_SPOOL_DIR ?? join(env.VIGIL_STATE_DIR, 'spool'), log,
      newSignalsPerRulePerMinute: env.VIGIL_NEW_SIGNALS_PER_RULE_PER_MINUTE, writesPerSecond: env.VIGIL_SIGNAL_WRITES_PER_SECOND,
    });
    pods = new cluster.PodIndex();
    try {
      nodeLabels = { ...nodeLabels, ...(await cluster.nodeLabelsOf(client, node)) };
    } catch (err) {
      log.info({ err: String(err) }, 'node labels unknown; node selectors see only kubernetes.io/hostname');
    }
    try {
      stopInformer = (await cluster.startPodInformer({ client, nodeName: node, index: pods, onError: (err, retryInMs) => log.warn({ err: String(err), retryInMs }, 'pod watch failed') })).stop;
    } catch (err) {
      log.warn({ err: String(err) }, 'pod informer not started; events carry no pod context until it is');
    }
  }

  let printed = 0;
  const emit = (d: Detection): void => {
    const c = signalContent(d, { node, hostNamespace: env.VIGIL_NAMESPACE ?? 'host', now: Date.now() });
    const line = JSON.stringify({ namespace: c.namespace, ...c.spec });
    if (io.stdout.writableLength < 16 << 20) io.stdout.write(line + '\n');
    printed++;
    reporter?.report(d);
  };
  let refreshQueued = false;
  const queueKillRefresh = (): void => {
    if (refreshQueued) return;
    refreshQueued = true;
    setImmediate(() => {
      refreshQueued = false;
      refreshKernelKills();
    });
  };
  const detector = new Detector({ ruleset: () => active, protector, nodeLabels: () => nodeLabels, emit, onAction: queueKillRefresh, ...(pods ? { pods } : {}) });
  const enricher = new Enricher(cache, users, clockProbe, node);
  const pipeline = new Pipeline(enricher, cache, [detector.consume]);
  const kernel = new KernelRunner(pipeline.onBatch, log);

  let lastLoad: ActiveRuleset | undefined;
  let status: SensorStatusReporter | undefined;

  /**
   * What the kernel kills at exec, from the cluster ruleset: pure executable-name rules of
   * enforcing policies, minus rules the disarmer holds back; scoped policies become the
   * cgroups of the pods they cover (and the host's top-level cgroups when hosts: true).
   */
  function refreshKernelKills(): void {
    if (!lastLoad) return;
    const entries = planKernelKills(lastLoad.decoded, lastLoad.policies, protector.suspendedKeys());
    const scopeIds = new Map<string, number>();
    const kills = entries.map((e) => {
      let scope = 0;
      if (!e.everywhere) {
        scope = scopeIds.get(e.policy) ?? scopeIds.size + 1;
        scopeIds.set(e.policy, scope);
      }
      return { exe: e.name, signal: (constants.signals as Record<string, number>)[e.signal] ?? constants.signals.SIGKILL, scope };
    });
    const scopes: Array<{ cgroupId: bigint; scope: number }> = [];
    for (const [name, scope] of scopeIds) {
      const policy = lastLoad.policies.find((p) => p.name === name);
      if (!policy || !resolver) continue;
      const uids = new Set<string>();
      for (const pod of pods?.pods() ?? []) {
        if (scopeCovers(policy.scope, { pod: { namespace: pod.namespace, labels: pod.labels }, nodeLabels })) uids.add(pod.uid);
      }
      const hosts = policy.scope?.hosts === true;
      if (uids.size === 0 && !hosts) continue;
      for (const cgroupId of resolver.idsWhere((p) => uids.has(podUidOfCgroup(p) ?? '') || (hosts && isHostTopLevel(p)))) scopes.push({ cgroupId, scope });
    }
    kernel.setKills(kills, scopes);
  }
  if (pods) pods.onChange = queueKillRefresh;
  // New cgroups (a pod's cgroup appears after the pod) and disarmers re-arming.
  const killTimer = inCluster ? setInterval(refreshKernelKills, 2_000) : undefined;
  let live: LiveRuleset | undefined;
  if (cluster && client) {
    live = new cluster.LiveRuleset({
      client, namespace: env.VIGIL_NAMESPACE as string, stateDir: env.VIGIL_STATE_DIR, log,
      onLoad: (a) => {
        // Kernel hooks for the new ruleset first, then the swap: no window without them.
        kernel.apply(a.compiled);
        active = detectionRulesetOf(a);
        lastLoad = a;
        refreshKernelKills();
        status?.urgent();
      },
      onRefuse: () => status?.urgent(),
    });
    await live.start();
  } else if (active) {
    kernel.apply(active.compiled);
  }

  let lastDecoded = 0;
  let lastAt = Date.now();
  const snapshot = (): StatusSnapshot => {
    const k = kernel.current?.stats();
    const drops = Object.values(k?.drops ?? {}).reduce((a, b) => a + b, 0);
    const decoded = pipeline.stats().decode.records;
    const now = Date.now();
    const eps = Math.round(((decoded - lastDecoded) * 1000) / Math.max(1, now - lastAt));
    lastDecoded = decoded;
    lastAt = now;
    const refusal = live?.refusal;
    const refusedNow = refusal && (!lastLoad || refusal.at > lastLoad.loadedAt);
    const disarmed = protector.disarmedNow().map((d) => `${d.policy}/${d.rule}`);
    return {
      version: VERSION, kernel: release(),
      hooks: [
        ...(kernel.current?.plan.programs ?? []).map((p) => ({ name: p, attached: true })),
        ...(kernel.current?.plan.skipped ?? []).map((s) => ({ name: s.program, attached: false, error: `${hookWord(s.tracepoint)} ${s.tracepoint} missing on this kernel` })),
      ],
      ...(active ? { ruleset: { hash: active.hash, rules: active.compiled.rules.length, ...(lastLoad ? { loadedAt: lastLoad.loadedAt.toISOString() } : {}) } } : {}),
      // rules whose every hook this kernel lacks (module loading without CONFIG_MODULES)
      ruleErrors: active && kernel.current ? notApplicableRules(active.compiled.rules, kernel.current.plan) : [],
      // the kernel's drops, and the DNS packets user space skipped as malformed (by cause)
      eventsPerSecond: eps, drops, dropsByCause: { ...(k?.drops ?? {}), ...dnsMalformed(pipeline.stats().enrich.dns) },
      spool: { depth: reporter?.spoolDepth ?? 0 },
      ...(reporter ? {
        signals: { reported: reporter.stats.delivered, deferred: reporter.stats.deferred, refusedByRule: { ...reporter.stats.refusedByRule } },
      } : {}),
      conditions: {
        Ready: kernel.current && active ? ['True', 'Running', `${active.compiled.rules.length} rules`] : ['False', 'NoRuleset', 'waiting for the first ruleset'],
        RulesetLoaded: refusedNow ? ['False', 'Refused', `${refusal.hash ?? '?'}: ${refusal.reason}`] : ['True', 'Loaded', active?.hash ?? ''],
        ProtectionArmed: disarmed.length ? ['False', 'Disarmed', `disarmed: ${disarmed.join(', ')}`] : ['True', 'Armed', ''],
      },
    };
  };
  if (cluster && client) {
    status = new cluster.SensorStatusReporter({ client, node, snapshot, log });
    status.start();
  }
  log.info({ mode: inCluster ? 'cluster' : 'standalone', node, seeded }, 'sensor running');

  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    else io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await new Promise((r) => setImmediate(r));
  if (killTimer) clearInterval(killTimer);
  kernel.close();
  await live?.stop();
  await stopInformer?.();
  await status?.stop();
  await reporter?.stop();
  client?.close();
  log.info({ printed, detect: detector.stats, pipeline: pipeline.stats(), protection: protector.stats, reporter: reporter?.stats }, 'sensor stopped');
  return 0;
}
