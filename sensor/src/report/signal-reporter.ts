// Detections → Signal objects and Events, durably and without duplicates.
//
//   report(detection) ─► aggregate (same Signal within flushMs → one record with a count)
//                     ─► spool (fsync'd, survives restarts, bounded)
//                     ─► deliver, in order: create the Signal (deterministic name), then fold
//                        the count into status with the object's resourceVersion as a
//                        precondition; a Warning Event on the Pod and on the Signal,
//                        aggregated like kubelet's (one Event, count and lastTimestamp).
//
// Exactly-once counting: before a status write the reporter records an intent (name,
// spool seqs, the count it will write) in the spool folder. After a crash, or a write
// whose answer never came, an intent whose count is already on the object means the write
// happened: its records are dropped, not counted again. Only this sensor writes the count
// of its Signals (the name hashes its node), so "count == intended" cannot be someone
// else's doing.
//
// Rate limits protect the API server: a node-wide budget of writes per second and a
// per-rule budget of new Signals per minute. What they hold back stays in the spool (it is
// delayed, not lost) and is counted; a spool that is full refuses and counts, per rule.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as k8s from '@kubernetes/client-node';
import { apiStatus, resourcePath, type KubeClient } from '../k8s/client.ts';
import { API_VERSION, GROUP, VERSION, type SignalSpec, type SignalStatus } from '@vigil/operator/api';
import { Spool } from './spool.ts';
import { signalContent, signalName, type Detection } from './signal-content.ts';

export interface SpooledSignal {
  readonly name: string;
  readonly namespace: string;
  readonly spec: SignalSpec;
  readonly count: number;
  readonly lastSeen: string;
}

interface Intent {
  readonly name: string;
  readonly namespace: string;
  readonly seqs: number[];
  readonly to: number;
}

export interface SignalReporterOptions {
  readonly client: KubeClient;
  readonly node: string;
  readonly hostNamespace: string;
  readonly spoolDir: string;
  /** Repeats further apart than this open a new Signal. */
  readonly episodeMs?: number;
  readonly flushMs?: number;
  readonly writesPerSecond?: number;
  readonly newSignalsPerRulePerMinute?: number;
  readonly maxSpoolRecords?: number;
  readonly log?: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
}

export interface ReporterStats {
  detections: number;
  delivered: number;
  signalsCreated: number;
  /** Detections refused by a full spool, per rule. */
  refusedByRule: Record<string, number>;
  /** Deliveries held back by a rate limit (they stay spooled). */
  deferred: number;
  apiErrors: number;
  /** Intents found done after a restart (writes that were not repeated). */
  recovered: number;
}

const PLURAL = 'signals';
const CONCURRENCY = 8;
const TERMINAL = new Set([400, 403, 404, 422]);

class TokenBucket {
  private tokens: number;
  private last = Date.now();
  constructor(private readonly rate: number, private readonly burst: number) {
    this.tokens = burst;
  }
  take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** The path of a Signal (or of the namespace's Signals, without a name). */
const signalPath = (namespace: string, name?: string, sub?: string): string =>
  resourcePath({ group: GROUP, version: VERSION, plural: PLURAL, namespace, ...(name ? { name } : {}), ...(sub ? { sub } : {}) });

const eventPath = (namespace: string, name?: string): string => resourcePath({ version: 'v1', plural: 'events', namespace, ...(name ? { name } : {}) });

export class SignalReporter {
  private readonly spool: Spool<SpooledSignal>;
  private readonly pending = new Map<string, { content: SpooledSignal; count: number }>();
  /** dedup key → the Signal name of its current episode and when it was last seen. */
  private readonly episodes = new Map<string, { name: string; last: number }>();
  private readonly writes: TokenBucket;
  private readonly ruleBuckets = new Map<string, TokenBucket>();
  private flushTimer: NodeJS.Timeout | undefined;
  private delivering: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private backoff = 250;
  private stopped = false;
  readonly stats: ReporterStats = { detections: 0, delivered: 0, signalsCreated: 0, refusedByRule: {}, deferred: 0, apiErrors: 0, recovered: 0 };

  constructor(private readonly opts: SignalReporterOptions) {
    this.spool = new Spool(opts.spoolDir, { maxRecords: opts.maxSpoolRecords ?? 10_000 });
    this.writes = new TokenBucket(opts.writesPerSecond ?? 20, Math.max(20, (opts.writesPerSecond ?? 20) * 2));
    this.loadEpisodes();
  }

  get spoolDepth(): number {
    return this.spool.depth;
  }

  /** Takes one detection; returns the Signal it will be counted in. */
  report(d: Detection, now = Date.now()): { name: string; namespace: string } {
    this.stats.detections++;
    const content = signalContent(d, { node: this.opts.node, hostNamespace: this.opts.hostNamespace, now });
    const episodeMs = this.opts.episodeMs ?? 3_600_000;
    let ep = this.episodes.get(content.key);
    if (!ep || now - ep.last > episodeMs) {
      ep = { name: signalName(d.rule.id, content.key, now), last: now };
      this.episodes.set(content.key, ep);
      // Saved at once: after a restart, repeats must keep folding into this Signal.
      this.saveEpisodes(now);
    }
    ep.last = now;
    const lastSeen = new Date(now).toISOString();
    const p = this.pending.get(ep.name);
    if (p) {
      p.count++;
      p.content = { ...p.content, lastSeen, count: p.count };
    } else {
      this.pending.set(ep.name, { count: 1, content: { name: ep.name, namespace: content.namespace, spec: content.spec, count: 1, lastSeen } });
    }
    this.flushTimer ??= setTimeout(() => this.flush(), this.opts.flushMs ?? 100);
    return { name: ep.name, namespace: content.namespace };
  }

  /** Moves aggregated detections to the spool and starts delivery. */
  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pending.size > 0) {
      const batch = [...this.pending.values()].map((p) => p.content);
      this.pending.clear();
      const seqs = this.spool.append(batch);
      seqs.forEach((seq, i) => {
        if (seq !== undefined) return;
        const rule = (batch[i] as SpooledSignal).spec.rule.id;
        this.stats.refusedByRule[rule] = (this.stats.refusedByRule[rule] ?? 0) + (batch[i] as SpooledSignal).count;
        this.opts.log?.warn({ rule, count: (batch[i] as SpooledSignal).count }, 'signal spool full: detections refused');
      });
    }
    this.kick();
  }

  /** Starts a delivery pass unless one runs. */
  kick(): void {
    if (this.stopped || this.delivering) return;
    this.delivering = this.deliver().finally(() => { this.delivering = undefined; });
  }

  /** Resolves when everything reported so far is delivered (or timeoutMs passes). */
  async drain(timeoutMs = 30_000): Promise<boolean> {
    this.flush();
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.delivering) await this.delivering;
      if (this.spool.depth === 0 && this.pending.size === 0) return true;
      this.kick();
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.spool.depth === 0;
  }

  async stop(): Promise<void> {
    this.flush();
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.delivering;
    this.saveEpisodes(Date.now());
  }

  private retryLater(): void {
    if (this.stopped) return;
    this.retryTimer = setTimeout(() => { this.retryTimer = undefined; this.kick(); }, this.backoff);
    this.backoff = Math.min(this.backoff * 2, 30_000);
  }

  private async deliver(): Promise<void> {
    try {
      await this.recoverIntents();
      while (!this.stopped) {
        const batch = this.spool.peek(256);
        if (batch.length === 0) return;
        // Fold records of the same Signal together; keep first-appearance order.
        const groups = new Map<string, { value: SpooledSignal; count: number; seqs: number[] }>();
        for (const r of batch) {
          const g = groups.get(r.value.name);
          if (g) {
            g.count += r.value.count;
            g.seqs.push(r.seq);
            g.value = r.value;
          } else groups.set(r.value.name, { value: r.value, count: r.value.count, seqs: [r.seq] });
        }
        // Different Signals are independent: write a few at a time, within the node budget.
        let progressed = false;
        const ready: Array<{ value: SpooledSignal; count: number; seqs: number[] }> = [];
        for (const g of groups.values()) {
          if (!this.writes.take()) {
            this.stats.deferred += g.count;
            break;
          }
          ready.push(g);
        }
        for (let i = 0; i < ready.length; i += CONCURRENCY) {
          await Promise.all(ready.slice(i, i + CONCURRENCY).map((g) => this.apply(g.value, g.count, g.seqs)));
          progressed = true;
        }
        this.backoff = 250;
        if (!progressed) {
          // Rate limited: try again shortly, records stay spooled.
          this.retryTimer ??= setTimeout(() => { this.retryTimer = undefined; this.kick(); }, 200);
          return;
        }
      }
    } catch (err) {
      this.stats.apiErrors++;
      this.opts.log?.warn({ err: String(err), retryInMs: this.backoff, spooled: this.spool.depth }, 'signal delivery failed; kept in spool');
      this.retryLater();
    }
  }

  /** One intent file per Signal: different Signals are written concurrently. */
  private intentPath(name: string): string {
    return join(this.opts.spoolDir, `intent-${name}.json`);
  }

  private writeIntent(i: Intent): void {
    const tmp = `${this.intentPath(i.name)}.tmp`;
    writeFileSync(tmp, JSON.stringify(i), { flush: true });
    renameSync(tmp, this.intentPath(i.name));
  }

  private clearIntent(name: string): void {
    rmSync(this.intentPath(name), { force: true });
  }

  private async getSignal(namespace: string, name: string): Promise<{ resourceVersion: string; status?: SignalStatus } | undefined> {
    try {
      const obj = await this.opts.client.call<{ metadata: { resourceVersion: string }; status?: SignalStatus }>('GET', signalPath(namespace, name));
      return { resourceVersion: obj.metadata.resourceVersion, ...(obj.status ? { status: obj.status } : {}) };
    } catch (err) {
      if (apiStatus(err) === 404) return undefined;
      throw err;
    }
  }

  /** Settles the intents a crash left: a count already on the object means it was written. */
  private async recoverIntents(): Promise<void> {
    for (const file of readdirSync(this.opts.spoolDir)) {
      if (!/^intent-.*\.json$/.test(file)) continue;
      const path = join(this.opts.spoolDir, file);
      let intent: Intent;
      try {
        intent = JSON.parse(readFileSync(path, 'utf8')) as Intent;
      } catch {
        rmSync(path, { force: true });
        continue;
      }
      const obj = await this.getSignal(intent.namespace, intent.name);
      if (obj?.status?.count === intent.to) {
        this.stats.recovered++;
        this.spool.remove(intent.seqs);
      }
      rmSync(path, { force: true });
    }
  }

  private ruleAllowsNew(ruleId: string): boolean {
    let b = this.ruleBuckets.get(ruleId);
    if (!b) {
      const perMin = this.opts.newSignalsPerRulePerMinute ?? 60;
      b = new TokenBucket(perMin / 60, perMin);
      this.ruleBuckets.set(ruleId, b);
    }
    return b.take();
  }

  /** Creates or updates one Signal with `count` more detections, then its Events. */
  private async apply(s: SpooledSignal, count: number, seqs: number[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      let obj = await this.getSignal(s.namespace, s.name);
      if (!obj) {
        if (!this.ruleAllowsNew(s.spec.rule.id)) {
          this.stats.deferred += count;
          return;
        }
        try {
          const created = await this.opts.client.call<{ metadata: { resourceVersion: string } }>('POST', signalPath(s.namespace), {
            body: {
              apiVersion: API_VERSION, kind: 'Signal',
              metadata: { name: s.name, namespace: s.namespace, labels: { 'vigil.dev/rule': labelValue(s.spec.rule.id), 'vigil.dev/node': labelValue(s.spec.node) } },
              spec: s.spec,
            },
          });
          obj = { resourceVersion: created.metadata.resourceVersion };
          this.stats.signalsCreated++;
        } catch (err) {
          const code = apiStatus(err);
          if (code === 409) continue; // created by our own earlier attempt: read it again
          if (code !== undefined && TERMINAL.has(code)) {
            // The object can never be written (e.g. refused by validation): drop, loudly.
            this.opts.log?.warn({ err: String(err), signal: s.name }, 'signal refused by the API server; dropped');
            this.spool.remove(seqs);
            return;
          }
          throw err;
        }
      }
      const before = obj.status?.count ?? 0;
      const to = before + count;
      this.writeIntent({ name: s.name, namespace: s.namespace, seqs, to });
      try {
        await this.opts.client.call('PATCH', signalPath(s.namespace, s.name, 'status'), {
          patch: 'merge',
          body: {
            metadata: { resourceVersion: obj.resourceVersion },
            status: { count: to, lastSeen: s.lastSeen, ...(obj.status?.state ? {} : { state: 'open' }) },
          },
        });
      } catch (err) {
        const code = apiStatus(err);
        // A refusal (4xx) wrote nothing. Without an answer (connection lost, timeout, 5xx)
        // the write may have landed: the intent stays, and the next delivery settles it
        // (recoverIntents) before counting these records again.
        if (code !== undefined && code >= 400 && code < 500) this.clearIntent(s.name);
        if (code === 409 && attempt < 5) continue; // someone (triage, notifications) wrote in between
        throw err;
      }
      this.spool.remove(seqs);
      this.clearIntent(s.name);
      this.stats.delivered += count;
      await this.recordEvents(s, to, before === 0);
      return;
    }
  }

  /**
   * Warning Events on the Pod and on the Signal, aggregated like kubelet's: one Event per
   * pair whose count follows the Signal's (no read needed: the sensor may not get Events).
   */
  private async recordEvents(s: SpooledSignal, total: number, first: boolean): Promise<void> {
    const message = `${s.spec.rule.severity} threat: rule ${s.spec.rule.id} matched ${s.spec.event.type} by ${s.spec.process.path ?? '?'} (pid ${s.spec.process.pid}); kubectl get signal ${s.name} -n ${s.namespace}`;
    const targets: k8s.V1ObjectReference[] = [{ apiVersion: API_VERSION, kind: 'Signal', name: s.name, namespace: s.namespace }];
    if (s.spec.pod) targets.unshift({ apiVersion: 'v1', kind: 'Pod', name: s.spec.pod.name, namespace: s.spec.pod.namespace, ...(s.spec.pod.uid ? { uid: s.spec.pod.uid } : {}) });
    for (const target of targets) {
      const name = `${target.name}.${createHash('sha256').update(`${target.kind}/${s.name}`).digest('hex').slice(0, 16)}`;
      const now = new Date();
      const create = (): Promise<unknown> => this.opts.client.call('POST', eventPath(s.namespace), {
        body: {
          apiVersion: 'v1', kind: 'Event',
          metadata: { name, namespace: s.namespace },
          involvedObject: target, reason: 'ThreatDetected', type: 'Warning', message,
          count: total, firstTimestamp: now, lastTimestamp: now,
          source: { component: 'vigil-sensor', host: this.opts.node },
          reportingComponent: 'vigil.dev/sensor', reportingInstance: this.opts.node,
        },
      });
      try {
        if (first) await create();
        else {
          try {
            await this.opts.client.call('PATCH', eventPath(s.namespace, name), { patch: 'merge', body: { count: total, lastTimestamp: now, message } });
          } catch (err) {
            if (apiStatus(err) !== 404) throw err;
            await create(); // expired (events have a TTL) or never written
          }
        }
      } catch (err) {
        // Events are best effort (the Signal is the record); a failure is logged, not retried.
        if (apiStatus(err) !== 409) this.opts.log?.warn({ err: String(err), event: name }, 'event not recorded');
      }
    }
  }

  private episodesPath(): string {
    return join(this.opts.spoolDir, 'episodes.json');
  }

  /** Persists which Signal each dedup key currently counts into, so a restart keeps folding. */
  private saveEpisodes(now: number): void {
    const episodeMs = this.opts.episodeMs ?? 3_600_000;
    const live = [...this.episodes].filter(([, e]) => now - e.last <= episodeMs);
    const tmp = `${this.episodesPath()}.tmp`;
    writeFileSync(tmp, JSON.stringify(live), { flush: true });
    renameSync(tmp, this.episodesPath());
  }

  private loadEpisodes(): void {
    try {
      const entries = JSON.parse(readFileSync(this.episodesPath(), 'utf8')) as Array<[string, { name: string; last: number }]>;
      for (const [k, e] of entries) if (typeof e?.name === 'string' && typeof e.last === 'number') this.episodes.set(k, e);
    } catch {
      // none yet, or unreadable: new episodes start
    }
  }
}

/** Label values: 63 characters of [A-Za-z0-9_.-], starting and ending alphanumeric. */
function labelValue(v: string): string {
  return v.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}
