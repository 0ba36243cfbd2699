// Per-object work queue (the base class runs every event of every object through one
// global queue): one key is handled serially and level-based (events that arrive while it
// is being handled collapse into one more run), different keys run in parallel up to a
// limit, and failures retry with a capped backoff unless the handler says they are
// permanent.
import { classify } from './errors.ts';
import { backoffMs } from './backoff.ts';

export interface QueueStats {
  handled: number;
  failed: number;
  retried: number;
  permanent: number;
}

export interface KeyedQueueOptions {
  readonly concurrency?: number;
  readonly maxBackoffMs?: number;
  readonly baseBackoffMs?: number;
  /** Told about every failure (for logs and metrics). */
  readonly onError?: (key: string, err: unknown, retry: boolean, delayMs: number, attempt: number) => void;
}

export class KeyedQueue {
  private readonly ready: string[] = [];
  private readonly queued = new Set<string>();
  private readonly active = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly attempts = new Map<string, number>();
  private idleWaiters: Array<() => void> = [];
  private stopped = false;
  readonly stats: QueueStats = { handled: 0, failed: 0, retried: 0, permanent: 0 };

  constructor(private readonly handler: (key: string) => Promise<void>, private readonly opts: KeyedQueueOptions = {}) {}

  /** Asks for key to be handled (again); with delayMs, not before then. */
  add(key: string, delayMs = 0): void {
    if (this.stopped) return;
    if (delayMs > 0) {
      if (this.timers.has(key)) return;
      this.timers.set(key, setTimeout(() => {
        this.timers.delete(key);
        this.add(key);
      }, delayMs));
      return;
    }
    if (this.active.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.ready.push(key);
    this.pump();
  }

  get depth(): number {
    return this.ready.length + this.timers.size;
  }

  get busy(): number {
    return this.active.size;
  }

  /** Resolves when nothing is queued, running or waiting for a retry. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.ready.length === 0 && this.active.size === 0 && this.timers.size === 0;
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.ready.length = 0;
    this.queued.clear();
    this.dirty.clear();
    this.checkIdle();
  }

  private pump(): void {
    const limit = this.opts.concurrency ?? 8;
    while (this.active.size < limit && this.ready.length > 0) {
      const key = this.ready.shift() as string;
      this.queued.delete(key);
      this.active.add(key);
      void this.run(key);
    }
  }

  private async run(key: string): Promise<void> {
    try {
      await this.handler(key);
      this.stats.handled++;
      this.attempts.delete(key);
    } catch (err) {
      this.stats.failed++;
      const attempt = this.attempts.get(key) ?? 0;
      const c = classify(err);
      const delay = c.delayMs ?? backoffMs(attempt, this.opts.baseBackoffMs ?? 100, this.opts.maxBackoffMs ?? 60_000);
      this.opts.onError?.(key, err, c.retry, delay, attempt);
      if (c.retry && !this.stopped) {
        this.stats.retried++;
        this.attempts.set(key, attempt + 1);
        // A newer change supersedes the retry: run again now rather than after the delay.
        if (!this.dirty.has(key)) this.add(key, delay);
      } else {
        this.stats.permanent++;
        this.attempts.delete(key);
      }
    } finally {
      this.active.delete(key);
      if (this.dirty.delete(key)) this.add(key);
      this.pump();
      this.checkIdle();
    }
  }

  private checkIdle(): void {
    if (this.isIdle()) for (const w of this.idleWaiters.splice(0)) w();
  }
}
