// The delivery queue: bounded, deduplicated by job key, a few sends at a time, retries
// with capped exponential backoff while the error is retryable. A job's `done` runs
// (and is awaited) before its key is released, so the outcome is recorded before the same
// delivery could be asked for again.
import { backoffMs } from '../framework/backoff.ts';
import { asDeliveryError, DeliveryError } from './errors.ts';

export interface DeliveryQueueOptions {
  readonly concurrency?: number;
  /** Jobs waiting (to run or to be retried) at most; more are refused. */
  readonly maxQueued?: number;
  readonly maxAttempts?: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly random?: () => number;
}

export type JobOutcome =
  | { readonly ok: true; readonly receipt: string; readonly attempts: number }
  | { readonly ok: false; readonly error: DeliveryError; readonly attempts: number };

export interface DeliveryJob {
  readonly key: string;
  /** One attempt (1-based). Throws a DeliveryError when it fails. */
  run(attempt: number): Promise<string>;
  done(outcome: JobOutcome): Promise<void> | void;
  /** Told before each retry, for logs. */
  retrying?(error: DeliveryError, attempt: number, delayMs: number): void;
}

export interface DeliveryQueueStats {
  enqueued: number;
  duplicates: number;
  refused: number;
  attempts: number;
  retries: number;
  succeeded: number;
  failed: number;
}

export class DeliveryQueue {
  private readonly ready: { job: DeliveryJob; attempt: number }[] = [];
  private readonly keys = new Set<string>();
  private readonly timers = new Map<NodeJS.Timeout, string>();
  private active = 0;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  readonly stats: DeliveryQueueStats = { enqueued: 0, duplicates: 0, refused: 0, attempts: 0, retries: 0, succeeded: 0, failed: 0 };
  private readonly o: Required<DeliveryQueueOptions>;

  constructor(opts: DeliveryQueueOptions = {}) {
    this.o = {
      concurrency: opts.concurrency ?? 8, maxQueued: opts.maxQueued ?? 10_000, maxAttempts: opts.maxAttempts ?? 8,
      baseDelayMs: opts.baseDelayMs ?? 500, maxDelayMs: opts.maxDelayMs ?? 60_000, random: opts.random ?? Math.random,
    };
  }

  /** Jobs not finished: queued, running, or waiting for a retry. */
  get depth(): number {
    return this.keys.size;
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  enqueue(job: DeliveryJob): 'queued' | 'duplicate' | 'full' | 'closed' {
    if (this.closed) return 'closed';
    if (this.keys.has(job.key)) {
      this.stats.duplicates++;
      return 'duplicate';
    }
    if (this.keys.size >= this.o.maxQueued) {
      this.stats.refused++;
      return 'full';
    }
    this.keys.add(job.key);
    this.stats.enqueued++;
    this.ready.push({ job, attempt: 1 });
    this.pump();
    return 'queued';
  }

  /** Stops sending: waiting jobs are forgotten (they were not recorded, so the next leader does them). */
  close(): void {
    this.closed = true;
    for (const [t, key] of this.timers) {
      clearTimeout(t);
      this.keys.delete(key);
    }
    this.timers.clear();
    for (const { job } of this.ready.splice(0)) this.keys.delete(job.key);
    this.checkIdle();
  }

  idle(): Promise<void> {
    if (this.keys.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (!this.closed && this.active < this.o.concurrency && this.ready.length) {
      const next = this.ready.shift() as { job: DeliveryJob; attempt: number };
      this.active++;
      void this.runOne(next.job, next.attempt);
    }
  }

  private async runOne(job: DeliveryJob, attempt: number): Promise<void> {
    let outcome: JobOutcome | undefined;
    this.stats.attempts++;
    try {
      outcome = { ok: true, receipt: await job.run(attempt), attempts: attempt };
    } catch (err) {
      const error = asDeliveryError(err);
      if (this.closed) {
        // Lost the lease mid-send: record nothing; whoever leads next decides again.
      } else if (error.retryable && attempt < this.o.maxAttempts) {
        const delay = Math.max(error.extra.retryAfterMs ?? 0, backoffMs(attempt - 1, this.o.baseDelayMs, this.o.maxDelayMs, this.o.random));
        this.stats.retries++;
        job.retrying?.(error, attempt, delay);
        const t = setTimeout(() => {
          this.timers.delete(t);
          this.ready.push({ job, attempt: attempt + 1 });
          this.pump();
        }, Math.min(delay, 5 * this.o.maxDelayMs));
        this.timers.set(t, job.key);
      } else {
        outcome = { ok: false, error, attempts: attempt };
      }
    }
    try {
      if (outcome) {
        if (outcome.ok) this.stats.succeeded++;
        else this.stats.failed++;
        await job.done(outcome);
      }
    } finally {
      if (outcome || this.closed) this.keys.delete(job.key);
      this.active--;
      this.pump();
      this.checkIdle();
    }
  }

  private checkIdle(): void {
    if (this.keys.size === 0) for (const w of this.idleWaiters.splice(0)) w();
  }
}

export { DeliveryError };
