// At most `max` messages per window per key (rule + workload); what is held back in a
// window is handed over as one digest when the window ends. Windows are fixed: the first
// signal of a key opens one for `perMs`.
export interface ThrottleOptions {
  readonly max: number;
  readonly perMs: number;
}

interface Window<T> {
  readonly from: number;
  sent: number;
  readonly held: T[];
  readonly timer: NodeJS.Timeout;
}

export type DigestHandler<T> = (key: string, held: readonly T[], from: Date, to: Date) => void;

export class Throttle<T> {
  private readonly windows = new Map<string, Window<T>>();

  constructor(readonly opts: ThrottleOptions, private readonly onDigest: DigestHandler<T>, private readonly now = () => Date.now()) {}

  private open(key: string): Window<T> {
    let w = this.windows.get(key);
    if (!w) {
      const from = this.now();
      const timer = setTimeout(() => this.close(key), this.opts.perMs);
      timer.unref();
      w = { from, sent: 0, held: [], timer };
      this.windows.set(key, w);
    }
    return w;
  }

  /** 'send' while the window has room, then 'held' (the item joins the window's digest). */
  offer(key: string, item: T): 'send' | 'held' {
    const w = this.open(key);
    if (w.sent < this.opts.max) {
      w.sent++;
      return 'send';
    }
    w.held.push(item);
    return 'held';
  }

  /** Adds an item that was held before a restart: it goes into the next digest. */
  hold(key: string, item: T): void {
    this.open(key).held.push(item);
  }

  /** Held items of every open window (for status and tests). */
  get heldCount(): number {
    let n = 0;
    for (const w of this.windows.values()) n += w.held.length;
    return n;
  }

  private close(key: string): void {
    const w = this.windows.get(key);
    if (!w) return;
    this.windows.delete(key);
    if (w.held.length) this.onDigest(key, w.held, new Date(w.from), new Date(w.from + this.opts.perMs));
  }

  /** Ends every window now, digesting what each held (the throttle settings changed). */
  flush(): void {
    for (const [key, w] of [...this.windows]) {
      clearTimeout(w.timer);
      this.close(key);
    }
  }

  /** Ends every window without digests (the rule was deleted, disabled or we lost the lease). */
  clear(): void {
    for (const w of this.windows.values()) clearTimeout(w.timer);
    this.windows.clear();
  }
}
