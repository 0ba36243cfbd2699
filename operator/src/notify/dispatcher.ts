// The dispatcher: from Signals and NotificationRules as they are, decide what to send,
// send it through the delivery queue, and record the outcome where it survives us: in
// the Signal's status (`notifications`: channel, rule, at, result) and in the
// NotificationRule's status (sent, failed, last error). Everyone keeps the caches warm;
// only the leader sends and writes (setLeading).
//
// What is sent, per Signal and NotificationRule:
//   - the first time a matching Signal is seen: one message per channel, unless the
//     rule's throttle holds it back (recorded as `throttled`; the window's digest later
//     turns those records into `sent`);
//   - when the Signal is resolved (or marked false-positive): a resolve to channels that
//     speak of it (PagerDuty, webhook), recorded as channel `<id>/resolve`;
//   - when its count grows: PagerDuty gets the trigger again (same dedup key, so the one
//     incident is updated, not a new one); chat and mail stay quiet.
// A record in status means "decided": a restart never resends it. Records are written
// after the send, so a crash in between sends again (at-least-once); webhook receivers
// get a stable delivery id and PagerDuty a stable dedup key to absorb that.
import type { Logger } from 'pino';
import {
  GROUP, NotificationRuleSchema, SignalSchema, VERSION, channelKind, durationMs,
  type NotificationRule, type NotificationRuleSpec, type Signal,
} from '../api/index.ts';
import { KeyedQueue } from '../framework/queue.ts';
import { mergeConditions, type ConditionInput, type ConditionValue, type StatusWriter } from '../framework/status.ts';
import type { KubeClient, KubeObject, ResourceRef } from '../framework/kube.ts';
import type { Change, Informer } from '../framework/watch.ts';
import type { Counter, Gauge, Registry } from '../framework/metrics.ts';
import { channelProblem, channelRefs, channelWants, deliver, type ChannelRef, type SecretSource } from './channels.ts';
import { DeliveryError } from './errors.ts';
import { matches, workloadKey } from './match.ts';
import { signalKey, type Notice } from './messages.ts';
import { DeliveryQueue, type DeliveryQueueOptions, type JobOutcome } from './queue.ts';
import { KubeSecrets } from './secrets.ts';
import { templateFor, TemplateError } from './template.ts';
import { Throttle } from './throttle.ts';

export const SIGNALS: ResourceRef = { group: GROUP, version: VERSION, plural: 'signals', kind: 'Signal', namespaced: true };
export const NOTIFICATION_RULES: ResourceRef = { group: GROUP, version: VERSION, plural: 'notificationrules', kind: 'NotificationRule', namespaced: false };

type Entry = NonNullable<NonNullable<Signal['status']>['notifications']>[number];
const MAX_ENTRIES = 64;
const RESOLVED_STATES = new Set(['resolved', 'false-positive']);
/** How long after its last record a half-sent signal is finished after a restart. */
const RECOVERY_MS = 10 * 60_000;

export interface DispatcherOptions {
  readonly client: KubeClient;
  readonly statusWriter: StatusWriter;
  readonly signals: Informer<KubeObject>;
  readonly rules: Informer<KubeObject>;
  readonly logger: Logger;
  readonly registry: Registry;
  /** Where the Secrets that channels reference live (the release namespace). */
  readonly namespace: string;
  readonly secrets?: SecretSource;
  readonly consoleUrl?: string;
  /** Extra CA certificates (PEM) trusted for channel endpoints (https, SMTP TLS). */
  readonly ca?: string;
  readonly sendTimeoutMs?: number;
  /**
   * A Signal older than this when a rule first sees it is not announced (a new rule does
   * not page about last week). Default 1h.
   */
  readonly freshnessMs?: number;
  readonly queue?: DeliveryQueueOptions;
  /** Re-examines every Signal this often (catches what a full queue refused). Default 60 s. */
  readonly resyncMs?: number;
}

interface CompiledRule {
  readonly name: string;
  readonly generation: number;
  readonly created: number;
  readonly spec?: NotificationRuleSpec;
  readonly channels: readonly ChannelRef[];
  readonly error?: string;
  throttle?: Throttle<Signal>;
}

interface RuleTally {
  sent: number;
  failed: number;
  lastSent?: string;
  lastError?: string;
}

interface Memory {
  /** Rules whose first message for this Signal was decided in this term. */
  readonly decided: Set<string>;
  /** Messages finished in this term: the cache may not show their record yet. */
  readonly finished: Set<string>;
  /** Counts PagerDuty last heard of, per `<rule>|<channel>`. */
  readonly counts: Map<string, number>;
}

/** One leadership term: what it decided and what it is sending. */
interface Term {
  readonly work: KeyedQueue;
  readonly deliveries: DeliveryQueue;
  /** Per Signal (and per digest): what this term decided and sent. */
  readonly memory: Map<string, Memory>;
  readonly resync: NodeJS.Timeout;
}

function memoryOf(t: Term, key: string): Memory {
  let m = t.memory.get(key);
  if (!m) t.memory.set(key, (m = { decided: new Set(), finished: new Set(), counts: new Map() }));
  return m;
}

export class Dispatcher {
  private readonly rules = new Map<string, CompiledRule>();
  private readonly tallies = new Map<string, RuleTally>();
  private readonly ruleWrites = new Map<string, Promise<void>>();
  private readonly signalWrites = new Map<string, Promise<void>>();
  private readonly log: Logger;
  private readonly secrets: SecretSource;
  private term?: Term;
  private readonly totals = { sent: 0, failed: 0, throttled: 0 };
  private readonly m: {
    messages: Counter; dropped: Counter; latency: Gauge; queueDepth: Gauge;
  };

  constructor(private readonly o: DispatcherOptions) {
    this.log = o.logger.child({ component: 'notify' });
    this.secrets = o.secrets ?? new KubeSecrets(o.client, o.namespace);
    this.m = {
      messages: o.registry.counter('vigil_notifications_total', 'Notification messages by rule, channel, kind (signal, resolve, digest, update) and result (sent, failed, throttled).'),
      dropped: o.registry.counter('vigil_notifications_dropped_total', 'Signals or messages not handled, by reason (invalid-signal, queue-full, status-write).'),
      latency: o.registry.gauge('vigil_notification_latency_seconds', 'Signal creation to delivery of the last message sent, by channel kind.'),
      queueDepth: o.registry.gauge('vigil_notification_queue_depth', 'Messages waiting to be sent or retried.', (g) => g.set(this.term?.deliveries.depth ?? 0)),
    };
    o.rules.onChange((c) => this.ruleChanged(c));
    o.signals.onChange((c) => this.signalChanged(c));
  }

  get leading(): boolean {
    return this.term !== undefined;
  }

  /** Starts or ends a leadership term. Only a leader sends and writes status. */
  setLeading(leading: boolean): void {
    if (leading === this.leading) return;
    if (!leading) {
      const t = this.term as Term;
      this.term = undefined;
      clearInterval(t.resync);
      t.work.stop();
      t.deliveries.close();
      // Held signals are in status as `throttled`: the next leader digests them.
      for (const r of this.rules.values()) r.throttle?.clear();
      this.log.info('notifications: standing by');
      return;
    }
    const work = new KeyedQueue((key) => this.handleSignal(key), {
      concurrency: 16,
      onError: (key, err, retry) => this.log.warn({ signal: key, err: (err as Error).message, retry }, 'signal handling failed'),
    });
    const resync = setInterval(() => this.requeueAll(), this.o.resyncMs ?? 60_000);
    resync.unref();
    this.term = { work, deliveries: new DeliveryQueue(this.o.queue), memory: new Map(), resync };
    for (const r of this.rules.values()) {
      if (r.spec?.throttle) r.throttle = this.newThrottle(r.name, r.spec.throttle);
      this.writeRuleStatus(r.name);
    }
    this.requeueAll();
    this.log.info({ rules: this.rules.size, signals: this.o.signals.size }, 'notifications: leading');
  }

  /** Resolves when nothing is being decided, sent or recorded (tests). */
  async idle(): Promise<void> {
    for (;;) {
      const t = this.term;
      if (!t) return;
      await t.work.idle();
      await t.deliveries.idle();
      await Promise.all([...this.signalWrites.values(), ...this.ruleWrites.values()]);
      if (t.work.depth === 0 && t.work.busy === 0 && t.deliveries.depth === 0 && this.signalWrites.size === 0 && this.ruleWrites.size === 0) return;
    }
  }

  stop(): void {
    this.setLeading(false);
  }

  /** Messages this process sent, failed and held back, over all terms. */
  stats(): { sent: number; failed: number; throttled: number } {
    return { ...this.totals };
  }

  // ---- rules ----------------------------------------------------------------------

  private newThrottle(rule: string, t: NonNullable<NotificationRuleSpec['throttle']>): Throttle<Signal> {
    return new Throttle<Signal>({ max: t.max, perMs: durationMs(t.per) }, (key, held, from, to) => this.digest(rule, key, held, from, to));
  }

  private ruleChanged(c: Change<KubeObject>): void {
    const name = c.object.metadata?.name ?? '';
    const prev = this.rules.get(name);
    if (c.type === 'DELETED') {
      prev?.throttle?.clear();
      this.rules.delete(name);
      this.tallies.delete(name);
      return;
    }
    const generation = c.object.metadata?.generation ?? 0;
    if (prev && prev.generation === generation) return; // our own status write
    const compiled = this.compile(c.object, prev);
    this.rules.set(name, compiled);
    this.log.info({ rule: name, generation, error: compiled.error }, compiled.error ? 'notification rule invalid' : 'notification rule loaded');
    if (this.term) {
      this.writeRuleStatus(name);
      this.requeueAll();
    }
  }

  private compile(raw: KubeObject, prev: CompiledRule | undefined): CompiledRule {
    const name = raw.metadata?.name ?? '';
    const generation = raw.metadata?.generation ?? 0;
    const created = Date.parse(raw.metadata?.creationTimestamp ?? '') || Date.now();
    const parsed = NotificationRuleSchema.safeParse(raw);
    if (!parsed.success) {
      prev?.throttle?.clear();
      const error = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      return { name, generation, created, channels: [], error };
    }
    const spec = parsed.data.spec;
    const channels = channelRefs(spec.channels);
    let error = channels.map(channelProblem).find((p) => p !== undefined);
    try {
      for (const ch of channels) templateFor(ch.kind, spec.template);
    } catch (err) {
      error ??= err instanceof TemplateError ? err.message : String(err);
    }
    if (error) {
      prev?.throttle?.clear();
      return { name, generation, created, spec, channels, error };
    }
    // An unchanged throttle keeps its windows across edits. A changed or removed one sends
    // what it held now; a disabled rule drops it (the records stay `throttled`).
    let throttle: Throttle<Signal> | undefined;
    const same = prev?.throttle && spec.throttle && prev.throttle.opts.max === spec.throttle.max && prev.throttle.opts.perMs === durationMs(spec.throttle.per);
    if (same && spec.enabled) throttle = prev?.throttle;
    else {
      if (spec.enabled) prev?.throttle?.flush();
      else prev?.throttle?.clear();
      if (spec.throttle && spec.enabled && this.term) throttle = this.newThrottle(name, spec.throttle);
    }
    return { name, generation, created, spec, channels, throttle };
  }

  private tally(rule: string): RuleTally {
    let t = this.tallies.get(rule);
    if (!t) this.tallies.set(rule, (t = { sent: 0, failed: 0 }));
    return t;
  }

  /** Status of a rule: conditions, the CHANNEL column, and the counts added since the last write. */
  private writeRuleStatus(name: string): void {
    if (!this.term || this.ruleWrites.has(name)) return;
    const p = (async () => {
      await new Promise((r) => setTimeout(r, 100)); // a burst of outcomes becomes one write
      const current = this.o.rules.get(name);
      const rule = this.rules.get(name);
      if (!current || !rule || !this.term) return;
      const pending = { ...this.tally(name) };
      const enabled = rule.spec?.enabled ?? false;
      // Valid, observedGeneration and the CHANNEL column belong to the VigilOperator (from
      // the spec); this writer owns the delivery side: Ready, counts, last error.
      const ready: ConditionInput = rule.error ? { type: 'Ready', status: 'False', reason: 'Invalid', message: rule.error }
        : !enabled ? { type: 'Ready', status: 'False', reason: 'Disabled', message: 'spec.enabled is false' }
          : { type: 'Ready', status: 'True', reason: 'Delivering', message: '' };
      await this.o.statusWriter.write(NOTIFICATION_RULES, current, (obj) => {
        const st = (obj.status ?? {}) as NonNullable<NotificationRule['status']>;
        return {
          ...st,
          conditions: mergeConditions(st.conditions as ConditionValue[] | undefined, [ready], rule.generation),
          sent: (st.sent ?? 0) + pending.sent,
          failed: (st.failed ?? 0) + pending.failed,
          ...(pending.lastSent ? { lastSent: pending.lastSent } : {}),
          ...(pending.lastError ? { lastError: pending.lastError.slice(0, 4096) } : {}),
        };
      });
      const t = this.tally(name);
      t.sent -= pending.sent;
      t.failed -= pending.failed;
      if (t.lastSent === pending.lastSent) delete t.lastSent;
      if (t.lastError === pending.lastError) delete t.lastError;
    })().catch((err: Error) => this.log.warn({ rule: name, err: err.message }, 'notification rule status write failed'))
      .finally(() => {
        this.ruleWrites.delete(name);
        const t = this.tallies.get(name);
        if (t && (t.sent || t.failed)) this.writeRuleStatus(name);
      });
    this.ruleWrites.set(name, p);
  }

  // ---- signals --------------------------------------------------------------------

  private signalChanged(c: Change<KubeObject>): void {
    if (c.type === 'DELETED') {
      const uid = c.object.metadata?.uid;
      if (uid && this.term) {
        this.term.memory.delete(uid);
      }
      return;
    }
    this.term?.work.add(c.key);
  }

  private requeueAll(): void {
    const t = this.term;
    if (!t) return;
    for (const obj of this.o.signals.list()) t.work.add(`${obj.metadata?.namespace}/${obj.metadata?.name}`);
  }

  private async handleSignal(key: string): Promise<void> {
    const t = this.term;
    const raw = this.o.signals.get(key);
    if (!t || !raw) return;
    const parsed = SignalSchema.safeParse(raw);
    if (!parsed.success) {
      this.m.dropped.inc({ reason: 'invalid-signal' });
      this.log.debug({ signal: key, err: parsed.error.issues[0]?.message }, 'signal does not parse; not notified');
      return;
    }
    const s = parsed.data;
    const mem = memoryOf(t, signalKey(s));
    const entries = s.status?.notifications ?? [];
    const held: Entry[] = [];
    for (const r of this.rules.values()) {
      if (!r.spec || r.error || !r.spec.enabled || !matches(r.spec.match, s)) continue;
      const mine = entries.filter((e) => e.rule === r.name);
      if (!mem.decided.has(r.name)) {
        mem.decided.add(r.name);
        if (mine.length === 0) {
          if (!this.fresh(s, r)) continue;
          const decision = r.throttle ? r.throttle.offer(`${s.spec.rule.id}|${workloadKey(s)}`, s) : 'send';
          if (decision === 'held') {
            const at = new Date().toISOString();
            for (const ch of r.channels) {
              held.push({ channel: ch.id, rule: r.name, at, result: 'throttled' });
              this.totals.throttled++;
              this.m.messages.inc({ rule: r.name, channel: ch.kind, kind: 'signal', result: 'throttled' });
            }
            continue;
          }
          for (const ch of r.channels) this.send(r, ch, { kind: 'signal', signal: s }, ch.id);
        } else if (mine.some((e) => e.result === 'throttled')) {
          // Held before a restart or a change of leader: it goes into the next digest.
          r.throttle?.hold(`${s.spec.rule.id}|${workloadKey(s)}`, s);
        } else if (mine.some((e) => Date.now() - Date.parse(e.at) < RECOVERY_MS)) {
          // A crash between channels: finish the ones without a record. (Not for a channel
          // added to the rule later: that one starts with the next signal.)
          for (const ch of r.channels) if (!mine.some((e) => e.channel === ch.id)) this.send(r, ch, { kind: 'signal', signal: s }, ch.id);
        }
      }
      for (const ch of r.channels) {
        const sent = mine.find((e) => e.channel === ch.id && e.result === 'sent');
        if (!sent) continue;
        if (RESOLVED_STATES.has(s.status?.state ?? 'open')) {
          if (channelWants(ch.kind, 'resolve') && !mine.some((e) => e.channel === `${ch.id}/resolve`)) {
            this.send(r, ch, { kind: 'resolve', signal: s }, `${ch.id}/resolve`);
          }
        } else if (ch.kind === 'pagerduty') {
          const ck = `${r.name}|${ch.id}`;
          const count = s.status?.count ?? 1;
          const before = mem.counts.get(ck);
          mem.counts.set(ck, count);
          if (before !== undefined && count > before) this.send(r, ch, { kind: 'signal', signal: s }, `${ch.id}/update`, false, undefined, `#${count}`);
        }
      }
    }
    if (held.length) await this.record(key, held);
  }

  /** A rule announces Signals created after it, and not older than the freshness window. */
  private fresh(s: Signal, r: CompiledRule): boolean {
    const created = Date.parse(s.metadata.creationTimestamp ?? s.spec.firstSeen);
    if (!Number.isFinite(created)) return true;
    return created >= r.created - 1000 && Date.now() - created <= (this.o.freshnessMs ?? 3_600_000);
  }

  private send(r: CompiledRule, ch: ChannelRef, notice: Notice, recordAs: string, record = true,
    onDone?: (o: JobOutcome) => Promise<void>, keySuffix = ''): void {
    const t = this.term;
    if (!t) return;
    const subject = notice.kind === 'digest' ? `digest:${notice.digest.ruleId}|${notice.digest.workload}|${notice.digest.from}` : signalKey(notice.signal);
    const kind = recordAs.endsWith('/update') ? 'update' : notice.kind;
    const log = this.log.child({ rule: r.name, channel: recordAs, ...(notice.kind === 'digest' ? { digest: subject } : { signal: `${notice.signal.metadata.namespace}/${notice.signal.metadata.name}` }) });
    const key = `${subject}|${r.name}|${recordAs}${keySuffix}`;
    // Digests are not asked for again by a stale cache: only Signal messages need the memory.
    const mem = notice.kind === 'digest' ? undefined : memoryOf(t, subject);
    if (mem?.finished.has(key)) return;
    const result = t.deliveries.enqueue({
      key,
      run: async () => {
        // Edits take effect at once: a queued message follows the rule as it is now.
        const now = this.rules.get(r.name);
        const current = now?.channels.find((c) => c.id === ch.id);
        if (!now?.spec || now.error || !now.spec.enabled || !current) throw new DeliveryError('cancelled', 'the rule or channel changed');
        return deliver(current, notice, { ruleName: r.name, template: now.spec.template, consoleUrl: this.o.consoleUrl, now: new Date() }, {
          secrets: this.secrets, timeoutMs: this.o.sendTimeoutMs ?? 10_000, ...(this.o.ca ? { ca: this.o.ca } : {}),
        });
      },
      retrying: (err, attempt, delayMs) => log.info({ err: err.message, code: err.code, attempt, delayMs }, 'notification failed; retrying'),
      done: async (o) => {
        if (!o.ok && o.error.code === 'cancelled') return;
        const at = new Date();
        this.m.messages.inc({ rule: r.name, channel: ch.kind, kind, result: o.ok ? 'sent' : 'failed' });
        const tally = this.tally(r.name);
        if (o.ok) {
          this.totals.sent++;
          tally.sent++;
          tally.lastSent = at.toISOString();
          if (notice.kind !== 'digest') {
            const latency = (at.getTime() - Date.parse(notice.signal.metadata.creationTimestamp ?? '')) / 1000;
            if (Number.isFinite(latency)) this.m.latency.set(latency, { channel: ch.kind });
            log.info({ kind, attempts: o.attempts, receipt: o.receipt, latencyMs: Math.round(latency * 1000) }, 'notification sent');
          } else log.info({ kind, attempts: o.attempts, receipt: o.receipt }, 'notification sent');
        } else {
          this.totals.failed++;
          tally.failed++;
          tally.lastError = `${recordAs}: ${o.error.message}`;
          log.warn({ kind, attempts: o.attempts, code: o.error.code, err: o.error.message }, 'notification failed');
        }
        this.writeRuleStatus(r.name);
        mem?.finished.add(key);
        if (record && notice.kind !== 'digest') {
          await this.record(`${notice.signal.metadata.namespace}/${notice.signal.metadata.name}`, [{
            channel: recordAs, rule: r.name, at: at.toISOString(), result: o.ok ? 'sent' : 'failed',
            ...(o.ok ? {} : { error: o.error.message.slice(0, 4096) }),
          }]);
        }
        await onDone?.(o);
      },
    });
    if (result === 'full') {
      this.m.dropped.inc({ reason: 'queue-full' });
      // Not recorded: the next resync decides again.
      if (notice.kind === 'signal') mem?.decided.delete(r.name);
      log.warn('notification queue full; will try again at the next resync');
    }
  }

  /** A throttle window closed with signals held back: one digest per channel. */
  private digest(rule: string, key: string, held: readonly Signal[], from: Date, to: Date): void {
    const r = this.rules.get(rule);
    if (!r || !this.term) return;
    const [ruleId = '', workload = ''] = key.split('|');
    const notice: Notice = { kind: 'digest', digest: { ruleId, workload, from: from.toISOString(), to: to.toISOString(), signals: held } };
    for (const ch of r.channels) {
      this.send(r, ch, notice, ch.id, false, async (o) => {
        const at = new Date().toISOString();
        // The held signals' records say what became of them: sent in the digest, or failed.
        for (const s of held) {
          void this.record(`${s.metadata.namespace}/${s.metadata.name}`, [{
            channel: ch.id, rule, at, result: o.ok ? 'sent' : 'failed', ...(o.ok ? {} : { error: `digest: ${o.error.message}`.slice(0, 4096) }),
          }]);
        }
      });
    }
  }

  /** Adds or replaces (rule, channel) records in a Signal's status; one write at a time per Signal. */
  private record(key: string, updates: readonly Entry[]): Promise<void> {
    const prev = this.signalWrites.get(key) ?? Promise.resolve();
    const next = prev.then(async () => {
      const current = this.o.signals.get(key);
      if (!current) return;
      await this.o.statusWriter.write(SIGNALS, current, (obj) => {
        const st = (obj.status ?? {}) as NonNullable<Signal['status']>;
        const kept = (st.notifications ?? []).filter((e) => !updates.some((u) => u.rule === e.rule && u.channel === e.channel));
        return { ...st, notifications: [...kept, ...updates].slice(-MAX_ENTRIES) };
      });
    }).catch((err: Error) => {
      this.m.dropped.inc({ reason: 'status-write' });
      this.log.warn({ signal: key, err: err.message }, 'could not record notification in Signal status');
    });
    this.signalWrites.set(key, next);
    return next.then(() => { if (this.signalWrites.get(key) === next) this.signalWrites.delete(key); });
  }
}

export { channelKind };
