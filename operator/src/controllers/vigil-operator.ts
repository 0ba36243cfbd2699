// The Vigil operator: watches the vigil.dev kinds, turns them into the ruleset ConfigMap(s)
// and writes every object's status. One reconcile cycle (debounced, one at a time):
//   plan (pure, catalog.ts) → write the ruleset if its hash changed → queue the objects
//   whose desired status differs → per-object handlers write those statuses.
import { isDeepStrictEqual } from 'node:util';
import { ControllerOperator, type OperatorOptions } from '../framework/operator.ts';
import type { Informer } from '../framework/watch.ts';
import type { KeyedQueue } from '../framework/queue.ts';
import { CORE, type KubeObject } from '../framework/kube.ts';
import { KubeApiError } from '../framework/errors.ts';
import { backoffMs } from '../framework/backoff.ts';
import {
  RULESET_CONFIGMAP, RULESET_HASH_ANNOTATION, RULESET_LABEL, SHARD_OF_LABEL, encodeRuleSet, readRuleset,
  rulesetConfigMaps, type ConfigMapLike, type ConfigMapObject, type RulesetConfigMaps,
} from '../ruleset/index.ts';
import { Catalog, type Plan, type RuleChecker } from './catalog.ts';
import { fleetOf, macroStatus, notificationStatus, policyStatus, ruleStatus, tallySignals, type Fleet, type SignalTally } from './statuses.ts';
import { REFS } from './refs.ts';

export interface VigilOperatorOptions extends OperatorOptions {
  /** The release namespace: ruleset ConfigMaps live here. */
  readonly namespace: string;
  readonly checker: RuleChecker;
  /** Quiet time after a change before the ruleset is rebuilt. */
  readonly debounceMs?: number;
  /** Longest a change waits while changes keep coming. */
  readonly maxDelayMs?: number;
  readonly maxPayload?: number;
}

type Obj = KubeObject & { status?: Record<string, unknown> };

interface CycleState {
  readonly plan: Plan;
  readonly planHash: string;
  readonly fleet: Fleet;
  readonly byRule: Map<string, SignalTally>;
  readonly byPolicy: Map<string, SignalTally>;
}

export class VigilOperator extends ControllerOperator {
  readonly catalog: Catalog;
  private readonly opts: VigilOperatorOptions;
  private rules!: Informer<Obj>;
  private macros!: Informer<Obj>;
  private policies!: Informer<Obj>;
  private notifications!: Informer<Obj>;
  private sensors!: Informer<Obj>;
  private signals!: Informer<Obj>;
  private configMaps!: Informer<Obj>;
  private ruleQueue!: KeyedQueue;
  private macroQueue!: KeyedQueue;
  private policyQueue!: KeyedQueue;
  private state?: CycleState;
  private readonly verdicts = new Map<string, string>();
  private writtenHash = '';
  private timer?: NodeJS.Timeout;
  private pendingSince?: number;
  private cycleRunning?: Promise<void>;
  private again = false;
  private failures = 0;
  private running = false;
  /** Resolves after the first full cycle (for readiness). */
  firstCycle = false;
  private readonly m;

  constructor(opts: VigilOperatorOptions) {
    super(opts);
    this.opts = opts;
    this.catalog = new Catalog(opts.checker);
    const r = this.registry;
    this.m = {
      cycles: r.counter('vigil_operator_reconcile_cycles_total', 'Reconcile cycles by result.'),
      writes: r.counter('vigil_operator_ruleset_writes_total', 'Ruleset ConfigMap writes by result.'),
      lastCycle: r.gauge('vigil_operator_reconcile_last_duration_seconds', 'Duration of the last reconcile cycle.'),
      rules: r.gauge('vigil_operator_rules', 'SecurityRules by state (valid, invalid, disabled, published).'),
      bytes: r.gauge('vigil_operator_ruleset_bytes', 'Size of the published ruleset encoding.'),
      shards: r.gauge('vigil_operator_ruleset_shards', 'Shard ConfigMaps of the published ruleset (0: not sharded).'),
    };
  }

  get rulesetHash(): string {
    return this.writtenHash;
  }

  protected async init(): Promise<void> {
    this.rules = this.informer<Obj>(REFS.securityRules);
    this.macros = this.informer<Obj>(REFS.securityMacros);
    this.policies = this.informer<Obj>(REFS.policies);
    this.notifications = this.informer<Obj>(REFS.notificationRules);
    this.sensors = this.informer<Obj>(REFS.sensors);
    this.signals = this.informer<Obj>(REFS.signals);
    this.configMaps = this.informer<Obj>(CORE.configMaps, { namespace: this.opts.namespace, labelSelector: RULESET_LABEL });

    // Status handlers are fed by the cycle (which knows what changed), not by raw events.
    const never = (): boolean => false;
    this.ruleQueue = this.handle(this.rules, (_k, obj) => this.writeStatus(REFS.securityRules, obj), { name: 'securityrule-status', filter: never });
    this.macroQueue = this.handle(this.macros, (_k, obj) => this.writeStatus(REFS.securityMacros, obj), { name: 'securitymacro-status', filter: never });
    this.policyQueue = this.handle(this.policies, (_k, obj) => this.writeStatus(REFS.policies, obj), { name: 'policy-status', filter: never });
    this.handle(this.notifications, async (_k, obj) => {
      if (obj) await this.statusWriter.write(REFS.notificationRules, obj, (o) => notificationStatus(o, new Date()));
    }, { name: 'notificationrule-status', filter: (c) => c.type !== 'DELETED' && c.object.metadata?.generation !== (c.object.status as { observedGeneration?: number } | undefined)?.observedGeneration });

    const specChanged = (c: { type: string; object: Obj; old?: Obj }): boolean =>
      c.type !== 'MODIFIED' || c.object.metadata?.generation !== c.old?.metadata?.generation
      || !isDeepStrictEqual(c.object.metadata?.labels, c.old?.metadata?.labels);
    for (const inf of [this.rules, this.macros, this.policies]) inf.onChange((c) => { if (specChanged(c)) this.schedule(); });
    // Sensor heartbeats and signal counts only move status columns: batch them more.
    for (const inf of [this.sensors, this.signals]) inf.onChange(() => this.schedule(1000));
    // Someone else touched the ruleset ConfigMaps (deleted, edited): put ours back.
    this.configMaps.onChange((c) => {
      if (c.object.metadata?.name !== RULESET_CONFIGMAP) return;
      const hash = c.type === 'DELETED' ? '' : c.object.metadata?.annotations?.[RULESET_HASH_ANNOTATION] ?? '';
      if (hash !== this.writtenHash) {
        this.writtenHash = hash;
        this.schedule();
      }
    });
  }

  override async start(): Promise<void> {
    this.running = true;
    await super.start();
    await this.seedFromConfigMap();
    this.schedule(0);
  }

  override async shutdown(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.cycleRunning;
    await super.shutdown();
  }

  /** Reads back the ruleset in place, so last good versions survive an operator restart. */
  private async seedFromConfigMap(): Promise<void> {
    const main = this.configMaps.get(`${this.opts.namespace}/${RULESET_CONFIGMAP}`);
    if (!main) return;
    try {
      const loaded = await readRuleset(main as ConfigMapLike, (name) => this.configMaps.get(`${this.opts.namespace}/${name}`) as ConfigMapLike | undefined);
      this.catalog.seed(loaded.ruleset);
      this.writtenHash = loaded.hash;
      this.log.info({ hash: loaded.hash, rules: loaded.ruleset.rules.length }, 'found the published ruleset');
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'the published ruleset does not load; it will be replaced');
    }
  }

  /** Asks for a cycle: after delayMs of quiet, but never later than maxDelayMs after the first ask. */
  schedule(delayMs = this.opts.debounceMs ?? 50): void {
    if (!this.running) return;
    if (this.cycleRunning) {
      this.again = true;
      return;
    }
    const now = Date.now();
    this.pendingSince ??= now;
    const latest = this.pendingSince + (this.opts.maxDelayMs ?? 300);
    const at = Math.min(now + delayMs, Math.max(latest, now));
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.runCycle(), at - now);
  }

  private runCycle(): void {
    this.timer = undefined;
    this.pendingSince = undefined;
    this.again = false;
    this.cycleRunning = this.cycle().then(() => {
      this.failures = 0;
      this.m.cycles.inc({ result: 'ok' });
    }, (err: unknown) => {
      this.m.cycles.inc({ result: 'error' });
      const delay = backoffMs(this.failures++, 200, 30_000);
      this.log.warn({ err: (err as Error).message, retryInMs: delay }, 'reconcile failed; retrying');
      this.again = false;
      this.cycleRunning = undefined;
      this.schedule(delay);
    }).finally(() => {
      this.cycleRunning = undefined;
      if (this.again) this.schedule(0);
    });
  }

  private async cycle(): Promise<void> {
    const started = performance.now();
    const plan = this.catalog.plan(this.rules.list(), this.macros.list(), this.policies.list());
    const bytes = encodeRuleSet(plan.ruleset);
    const maps = rulesetConfigMaps(bytes, this.opts.namespace, this.opts.maxPayload);
    if (maps.hash !== this.writtenHash) await this.publish(maps, plan);
    const { byRule, byPolicy } = tallySignals(this.signals.list());
    this.state = { plan, planHash: maps.hash, fleet: fleetOf(this.sensors.list()), byRule, byPolicy };
    this.queueStatusChanges();
    this.logVerdicts(plan);
    const states = { valid: 0, invalid: 0, disabled: 0 };
    for (const p of plan.rules.values()) states[p.disabled ? 'disabled' : p.verdict.valid ? 'valid' : 'invalid']++;
    for (const [k, v] of Object.entries(states)) this.m.rules.set(v, { state: k });
    this.m.rules.set(plan.ruleset.rules?.length ?? 0, { state: 'published' });
    this.m.lastCycle.set((performance.now() - started) / 1000);
    this.firstCycle = true;
  }

  /** One log line per rule or macro whose verdict changed (bad input: a condition, a log line, a metric). */
  private logVerdicts(plan: Plan): void {
    const seen = new Set<string>();
    const note = (kind: string, name: string, generation: number, valid: boolean, reason: string, message: string): void => {
      const key = `${kind}/${name}`;
      seen.add(key);
      const verdict = `${generation}:${valid}:${reason}`;
      if (this.verdicts.get(key) === verdict) return;
      this.verdicts.set(key, verdict);
      if (valid) this.log.debug({ kind, name, generation }, 'valid');
      else this.log.info({ kind, name, generation, reason, message }, 'invalid: not loaded (a previous good version stays if there is one)');
    };
    for (const p of plan.rules.values()) note('SecurityRule', p.name, p.generation, p.verdict.valid, p.verdict.reason, p.verdict.message);
    for (const p of plan.macros.values()) note('SecurityMacro', p.name, p.generation, p.verdict.valid, p.verdict.valid ? 'Checked' : p.verdict.reason, p.verdict.message);
    for (const key of [...this.verdicts.keys()]) if (!seen.has(key)) this.verdicts.delete(key);
  }

  /** Shards first, then the main ConfigMap (the switch), then old shards go. */
  private async publish(maps: RulesetConfigMaps, plan: Plan): Promise<void> {
    const ns = this.opts.namespace;
    try {
      for (const shard of maps.shards) {
        if (this.configMaps.get(`${ns}/${shard.metadata.name}`)) continue; // content-addressed: already there
        try {
          await this.client.create(CORE.configMaps, shard, ns);
        } catch (err) {
          if (!(err instanceof KubeApiError && err.code === 'conflict')) throw err;
        }
      }
      await this.upsert(maps.main);
      this.writtenHash = maps.hash;
      this.m.writes.inc({ result: 'ok' });
      this.m.bytes.set(maps.size);
      this.m.shards.set(maps.shards.length);
      this.log.info({ hash: maps.hash, bytes: maps.size, shards: maps.shards.length, rules: plan.ruleset.rules?.length ?? 0 }, 'ruleset written');
    } catch (err) {
      this.m.writes.inc({ result: 'error' });
      throw err;
    }
    for (const cm of this.configMaps.list()) {
      const of = cm.metadata?.labels?.[SHARD_OF_LABEL];
      if (of && of !== maps.hash.slice(0, 63)) await this.client.delete(CORE.configMaps, cm.metadata?.name ?? '', ns);
    }
  }

  private async upsert(cm: ConfigMapObject): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const cached = this.configMaps.get(`${cm.metadata.namespace}/${cm.metadata.name}`);
      try {
        if (!cached && attempt === 0) {
          await this.client.create(CORE.configMaps, cm, cm.metadata.namespace);
        } else {
          const current = cached && attempt === 0 ? cached : await this.client.find<Obj>(CORE.configMaps, cm.metadata.name, cm.metadata.namespace);
          if (!current) {
            await this.client.create(CORE.configMaps, cm, cm.metadata.namespace);
          } else {
            // Replace data and our labels/annotations; keep what others added to metadata.
            await this.client.replace(CORE.configMaps, {
              ...current,
              metadata: { ...current.metadata, labels: { ...current.metadata?.labels, ...cm.metadata.labels }, annotations: { ...current.metadata?.annotations, ...cm.metadata.annotations } },
              data: undefined, binaryData: cm.binaryData,
            });
          }
        }
        return;
      } catch (err) {
        if (!(err instanceof KubeApiError && err.code === 'conflict') || attempt >= 5) throw err;
      }
    }
  }

  private desired(ref: typeof REFS[keyof typeof REFS], obj: Obj): Record<string, unknown> | undefined {
    const s = this.state;
    const name = obj.metadata?.name ?? '';
    if (!s) return undefined;
    const planned = s.planHash === this.writtenHash;
    const now = new Date();
    if (ref === REFS.securityRules) {
      const plan = s.plan.rules.get(name);
      return plan && ruleStatus({ plan, current: obj.status, rulesetHash: this.writtenHash, planned, fleet: s.fleet, signals: s.byRule.get(plan.id), now });
    }
    if (ref === REFS.securityMacros) {
      const plan = s.plan.macros.get(name);
      return plan && macroStatus(plan, obj.status, now);
    }
    if (ref === REFS.policies) {
      const plan = s.plan.policies.get(name);
      return plan && policyStatus(plan, obj.status, this.writtenHash, planned, s.fleet, s.byPolicy.get(name), now);
    }
    return undefined;
  }

  /** Queues every object whose status would change; the handlers write them. */
  private queueStatusChanges(): void {
    const pairs: [Informer<Obj>, KeyedQueue, typeof REFS[keyof typeof REFS]][] = [
      [this.rules, this.ruleQueue, REFS.securityRules], [this.macros, this.macroQueue, REFS.securityMacros], [this.policies, this.policyQueue, REFS.policies],
    ];
    for (const [inf, queue, ref] of pairs) {
      for (const obj of inf.list()) {
        const want = this.desired(ref, obj);
        if (want && !isDeepStrictEqual(obj.status, want)) queue.add(obj.metadata?.name ?? '');
      }
    }
  }

  private async writeStatus(ref: typeof REFS[keyof typeof REFS], obj: Obj | undefined): Promise<void> {
    if (!obj) return; // deleted meanwhile
    await this.statusWriter.write(ref, obj, (o) => this.desired(ref, o));
  }

  /** Waits until no status write is queued or running (tests, benchmarks). */
  async settled(): Promise<void> {
    await this.cycleRunning;
    await Promise.all([this.ruleQueue.idle(), this.macroQueue.idle(), this.policyQueue.idle()]);
  }
}
