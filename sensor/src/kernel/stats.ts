// The kernel's counters: per event type (seen, sent, filtered, discarded, lost) and per
// drop cause, summed over the per-CPU slots.
import type { NativeSensor } from '../native/addon.ts';
import { DropCause, LAYOUT } from '../wire/wire.generated.ts';
import { EVENT_NAMES, EVENT_TYPES, type EventName } from './event-types.ts';

export interface TypeCounters {
  seen: number;
  sent: number;
  filtered: number;
  discarded: number;
  lost: number;
}


type Strip<K> = K extends `DROP_${infer N}` ? Lowercase<N> : never;
/** ringbuf_full, path_truncated, ...: enum drop_cause of events.h without its prefix. */
export type DropName = Strip<Exclude<keyof typeof DropCause, 'DROP_CAUSE_MAX'>>;

export interface KernelStats {
  readonly types: Partial<Record<EventName, TypeCounters>>;
  /** Lost or degraded events by cause. */
  readonly drops: Record<DropName, number>;
}

const STATS = LAYOUT.type_stats;
const SLOT = (STATS.size + 7) & ~7;

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

function sumU64(buf: Buffer, slot: number, offset: number): number {
  let total = 0;
  for (let o = offset; o + 8 <= buf.length; o += slot) total += Number(buf.readBigUInt64LE(o));
  return total;
}

export function dropCauseName(key: string): DropName {
  return key.replace(/^DROP_/, '').toLowerCase() as DropName;
}

export function readKernelStats(sensor: NativeSensor, types: readonly EventName[] = EVENT_NAMES): KernelStats {
  const out: Partial<Record<EventName, TypeCounters>> = {};
  for (const name of types) {
    const buf = sensor.mapLookup('stats', u32(EVENT_TYPES[name].wire));
    if (!buf) continue;
    out[name] = {
      seen: sumU64(buf, SLOT, STATS.fields.seen),
      sent: sumU64(buf, SLOT, STATS.fields.sent),
      filtered: sumU64(buf, SLOT, STATS.fields.filtered),
      discarded: sumU64(buf, SLOT, STATS.fields.discarded),
      lost: sumU64(buf, SLOT, STATS.fields.lost),
    };
  }
  const drops = {} as Record<DropName, number>;
  for (const [key, index] of Object.entries(DropCause)) {
    if (key === 'DROP_CAUSE_MAX') continue;
    const buf = sensor.mapLookup('drops', u32(index));
    drops[dropCauseName(key)] = buf ? sumU64(buf, 8, 0) : 0;
  }
  return { types: out, drops };
}

/** b - a, per counter: what happened between two readings. */
export function diffStats(a: KernelStats, b: KernelStats): KernelStats {
  const types: Partial<Record<EventName, TypeCounters>> = {};
  for (const [name, tb] of Object.entries(b.types) as Array<[EventName, TypeCounters]>) {
    const ta = a.types[name];
    types[name] = {
      seen: tb.seen - (ta?.seen ?? 0),
      sent: tb.sent - (ta?.sent ?? 0),
      filtered: tb.filtered - (ta?.filtered ?? 0),
      discarded: tb.discarded - (ta?.discarded ?? 0),
      lost: tb.lost - (ta?.lost ?? 0),
    };
  }
  const drops = { ...b.drops };
  for (const k of Object.keys(drops) as DropName[]) drops[k] -= a.drops[k] ?? 0;
  return { types, drops };
}
