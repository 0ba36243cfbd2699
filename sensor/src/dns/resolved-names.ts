// The per-node cache of observed DNS answers: address → the name that was asked for, so a
// connect to an address carries the hostname it was resolved from
// (`connect.addr.hostname`). Bounded (least recently resolved are evicted first) and
// expiring (the record's TTL, clamped so one odd TTL neither pins nor flushes an entry).
import type { DnsMessage } from './message.ts';
import { DNS_TYPE } from './message.ts';

export interface ResolvedNamesOptions {
  readonly maxEntries?: number;
  readonly minTtlSeconds?: number;
  readonly maxTtlSeconds?: number;
  readonly now?: () => number;
}

interface Entry {
  readonly hostname: string;
  readonly expiresAt: number;
}

export class ResolvedNames {
  private readonly entries = new Map<string, Entry>();
  private readonly max: number;
  private readonly minTtl: number;
  private readonly maxTtl: number;
  private readonly now: () => number;
  /** Entries pushed out by the size bound before they expired. */
  evicted = 0;

  constructor(opts: ResolvedNamesOptions = {}) {
    this.max = opts.maxEntries ?? 65_536;
    this.minTtl = opts.minTtlSeconds ?? 30;
    this.maxTtl = opts.maxTtlSeconds ?? 3600;
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Records the A/AAAA answers of a response under the name the client asked for (the
   * question, not a CNAME target: rules match what the process looked up).
   */
  observe(msg: DnsMessage): number {
    if (!msg.response || msg.rcode !== 0) return 0;
    const asked = msg.questions[0]?.name;
    if (!asked) return 0;
    let added = 0;
    for (const a of msg.answers) {
      if ((a.type !== DNS_TYPE.A && a.type !== DNS_TYPE.AAAA) || a.data === undefined) continue;
      const ttl = Math.min(this.maxTtl, Math.max(this.minTtl, a.ttl));
      this.entries.delete(a.data);
      this.entries.set(a.data, { hostname: asked, expiresAt: this.now() + ttl * 1000 });
      added++;
    }
    while (this.entries.size > this.max) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
      this.evicted++;
    }
    return added;
  }

  /** The hostname an address was last resolved from, if that answer has not expired. */
  lookup(address: string): string | undefined {
    const e = this.entries.get(address);
    if (!e) return undefined;
    if (e.expiresAt <= this.now()) {
      this.entries.delete(address);
      return undefined;
    }
    return e.hostname;
  }
}
