// The in-kernel filters (bpf/include/filter.h, map layouts in bpf/README.md): planned
// purely from a FilterSpec, then written into the maps with a diff so that a new ruleset
// never opens a window where an event both rulesets want is dropped: new approvers are
// added first, then the modes switch, then stale approvers go.
import { eitherNeed, type FilterPlan as SeclFilterPlan } from '@vigil/operator/secl';
import type { NativeSensor } from '../native/addon.ts';
import {
  APPROVE_EXE,
  APPROVE_FLAGS,
  APPROVE_NAME,
  APPROVE_PREFIX,
  FILTER_APPROVE,
  FILTER_DROP,
  FILTER_PASS,
  LAYOUT,
  NAME_KIND_EXE,
  NAME_KIND_FILE,
  USE_DISCARDERS,
  USE_KILL_EXEC,
  VIGIL_APPROVER_NAME_MAX,
  VIGIL_APPROVER_PREFIX_MAX,
  writeKillScopeKey,
  writeKillVerdict,
  writeApprover,
  writeTypeFilter,
} from '../wire/wire.generated.ts';
import { EVENT_NAMES, EVENT_TYPES, type EventName } from './event-types.ts';

export interface TypeFilterSpec {
  /** pass: every event; approve: only events matching an approver; drop: none. */
  readonly mode: 'pass' | 'approve' | 'drop';
  /** Basenames of the event's file(s): "shadow". */
  readonly basenames?: readonly string[];
  /** Path prefixes: "/etc/". */
  readonly prefixes?: readonly string[];
  /** Basenames of the acting process's executable. */
  readonly exeNames?: readonly string[];
  /** open: approve when (flags & mask) != 0. */
  readonly flagsMask?: number;
  /**
   * open and truncate: approvers above that hold only for some open flags (value -> mask:
   * the approver passes an open when flags & mask != 0). Not listed: any flags.
   */
  readonly requiredFlags?: {
    readonly basenames?: Readonly<Record<string, number>>;
    readonly prefixes?: Readonly<Record<string, number>>;
    readonly exeNames?: Readonly<Record<string, number>>;
  };
  /** Consult the process discarders for this type. */
  readonly useDiscarders?: boolean;
  /**
   * exec only: programs killed in the kernel before they run (Active Protection where the
   * verdict is the executable's basename); applies whatever the mode.
   */
  readonly kill?: ReadonlyArray<{ readonly exe: string; readonly signal: number; /** 0 or absent: everywhere; else a kill_scopes scope. */ readonly scope?: number }>;
}

export type FilterSpec = Partial<Record<EventName, TypeFilterSpec>>;

export interface FilterPlan {
  /** filters[type] values, by wire type. */
  readonly modes: ReadonlyArray<{ readonly type: number; readonly value: Buffer }>;
  /** approve_names entries: key and struct approver. */
  readonly names: ReadonlyArray<MapEntry>;
  /** approve_prefix entries: key and struct approver (holding the covering prefixes' needs). */
  readonly prefixes: ReadonlyArray<MapEntry>;
  /** kill_exec entries: key and signal. */
  readonly kills: ReadonlyArray<MapEntry>;
  /** Where the plan had to widen the spec (the kernel may pass more, never less). */
  readonly notes: readonly string[];
}

interface MapEntry {
  readonly key: Buffer;
  readonly value: Buffer;
}

const NAME_KEY = LAYOUT.name_key;
const PREFIX_KEY = LAYOUT.prefix_key;
const TYPE_FILTER_SIZE = LAYOUT.type_filter.size;

export function nameKey(type: number, kind: number, name: string): Buffer | undefined {
  const bytes = Buffer.from(name, 'utf8');
  if (bytes.length === 0 || bytes.length >= VIGIL_APPROVER_NAME_MAX || bytes.includes(0)) return undefined;
  const key = Buffer.alloc(NAME_KEY.size);
  key.writeUInt32LE(type, NAME_KEY.fields.type);
  key.writeUInt32LE(kind, NAME_KEY.fields.kind);
  bytes.copy(key, NAME_KEY.fields.name);
  return key;
}

/** An LPM key: prefixlen counts the 32 bits of the type, then 8 per path byte. */
export function prefixKey(type: number, prefix: string): { key: Buffer; truncated: boolean } {
  let bytes = Buffer.from(prefix, 'utf8');
  const truncated = bytes.length > VIGIL_APPROVER_PREFIX_MAX;
  if (truncated) bytes = bytes.subarray(0, VIGIL_APPROVER_PREFIX_MAX);
  const key = Buffer.alloc(PREFIX_KEY.size);
  key.writeUInt32LE(32 + bytes.length * 8, PREFIX_KEY.fields.prefixlen);
  key.writeUInt32LE(type, PREFIX_KEY.fields.type);
  bytes.copy(key, PREFIX_KEY.fields.path);
  return { key, truncated };
}

function approverValue(openFlags: number): Buffer {
  const value = Buffer.alloc(LAYOUT.approver.size);
  writeApprover(value, 0, { openFlags });
  return value;
}

/**
 * The prefix entries of one type. The LPM trie answers with the longest matching prefix
 * only, so each value holds what any prefix covering it approves: /etc/pam.d/ needing write
 * flags under /etc/ needing none approves every open (as /etc/ alone would).
 */
function prefixEntries(needs: ReadonlyArray<Need>): MapEntry[] {
  const byKey = new Map<string, Need & { path: Buffer }>();
  for (const n of needs) {
    const hex = n.key.toString('hex');
    const seen = byKey.get(hex);
    const path = n.key.subarray(PREFIX_KEY.fields.path, PREFIX_KEY.fields.path + (n.key.readUInt32LE(PREFIX_KEY.fields.prefixlen) - 32) / 8);
    byKey.set(hex, { key: n.key, path, need: seen ? eitherNeed(seen.need, n.need) : n.need }); // two prefixes shortened alike
  }
  const all = [...byKey.values()];
  return all.map(({ key, path, need }) => {
    let folded = need;
    for (const o of all) if (o.path.length < path.length && path.subarray(0, o.path.length).equals(o.path)) folded = eitherNeed(folded, o.need);
    return { key, value: approverValue(folded) };
  });
}

/** An approver's key and the open flags it needs, before it becomes a map entry. */
interface Need {
  readonly key: Buffer;
  readonly need: number;
}

export function planFilters(spec: FilterSpec, enabled: readonly EventName[]): FilterPlan {
  const modes: Array<{ type: number; value: Buffer }> = [];
  const names: MapEntry[] = [];
  const prefixes: MapEntry[] = [];
  const kills: MapEntry[] = [];
  const notes: string[] = [];
  const on = new Set(enabled);
  for (const name of EVENT_NAMES) {
    const type = EVENT_TYPES[name].wire;
    const s: TypeFilterSpec = on.has(name) ? (spec[name] ?? { mode: 'pass' }) : { mode: 'drop' };
    let mode = s.mode === 'drop' ? FILTER_DROP : s.mode === 'approve' ? FILTER_APPROVE : FILTER_PASS;
    let approvers = s.useDiscarders ? USE_DISCARDERS : 0;
    const typeNames: Need[] = [];
    const typePrefixes: Need[] = [];
    // what approvers need of the open flags (the kernel checks them on open and truncate only)
    const needs = name === 'open' || name === 'truncate' ? s.requiredFlags : undefined;
    const needOf = (m: Readonly<Record<string, number>> | undefined, v: string): number => (m && Object.hasOwn(m, v) ? (m[v] as number) >>> 0 : 0);
    if (mode === FILTER_APPROVE) {
      for (const [kind, list, bit, need] of [
        [NAME_KIND_FILE, s.basenames, APPROVE_NAME, needs?.basenames],
        [NAME_KIND_EXE, s.exeNames, APPROVE_EXE, needs?.exeNames],
      ] as const) {
        for (const n of list ?? []) {
          const key = nameKey(type, kind, n);
          if (!key) {
            // a name the kernel cannot hold cannot be approved in the kernel: let all through
            notes.push(`${name}: approver name "${n}" cannot be a kernel key; type passes everything`);
            mode = FILTER_PASS;
            break;
          }
          typeNames.push({ key, need: needOf(need, n) });
          approvers |= bit;
        }
      }
      for (const p of s.prefixes ?? []) {
        const { key, truncated } = prefixKey(type, p);
        if (truncated) notes.push(`${name}: prefix "${p.slice(0, 24)}..." shortened to ${VIGIL_APPROVER_PREFIX_MAX} bytes`);
        typePrefixes.push({ key, need: needOf(needs?.prefixes, p) });
        approvers |= APPROVE_PREFIX;
      }
      if (s.flagsMask) approvers |= APPROVE_FLAGS;
    }
    let needFlags = 0;
    if (mode === FILTER_APPROVE) {
      names.push(...typeNames.map(({ key, need }) => ({ key, value: approverValue(need) })));
      prefixes.push(...prefixEntries(typePrefixes));
      for (const { need } of [...typeNames, ...typePrefixes]) needFlags |= need;
    } else {
      approvers &= USE_DISCARDERS;
    }
    if (name === 'exec') {
      for (const k of s.kill ?? []) {
        const key = nameKey(type, NAME_KIND_EXE, k.exe);
        if (!key) {
          notes.push(`exec: cannot kill "${k.exe}" in the kernel (name too long for a key)`);
          continue;
        }
        const value = Buffer.alloc(LAYOUT.kill_verdict.size);
        writeKillVerdict(value, 0, { signal: k.signal, scope: k.scope ?? 0 });
        kills.push({ key, value });
        approvers |= USE_KILL_EXEC;
      }
    }
    const value = Buffer.alloc(TYPE_FILTER_SIZE);
    writeTypeFilter(value, 0, { mode, approvers, flagsMask: mode === FILTER_APPROVE ? (s.flagsMask ?? 0) : 0, needFlags });
    modes.push({ type, value });
  }
  return { modes, names, prefixes, kills, notes };
}

/** The filter maps of one loaded sensor, and what this process has written into them. */
export class KernelFilters {
  /** What this process wrote into approve_names and approve_prefix: key (hex) -> entry. */
  private names = new Map<string, MapEntry>();
  private prefixes = new Map<string, MapEntry>();
  private kills = new Map<string, Buffer>();
  private readonly one = Buffer.from([1]);

  constructor(private readonly sensor: NativeSensor) {}

  apply(plan: FilterPlan): void {
    const nextNames = new Map(plan.names.map((e) => [e.key.toString('hex'), e]));
    const nextPrefixes = new Map(plan.prefixes.map((e) => [e.key.toString('hex'), e]));
    let changed = false;
    for (const [map, next, now] of [
      ['approve_names', nextNames, this.names],
      ['approve_prefix', nextPrefixes, this.prefixes],
    ] as const) {
      for (const [hex, e] of next) {
        if (now.get(hex)?.value.equals(e.value)) continue;
        this.sensor.mapUpdate(map, e.key, e.value);
        changed = true;
      }
    }
    // the kernel remembers the opens its name and prefix approvers refused (bpf/include/filter.h):
    // a new approver, or one that needs other flags, makes them stale (a removed one only refuses more)
    if (changed) this.bumpGeneration();
    const nextKills = new Map(plan.kills.map(({ key }) => [key.toString('hex'), key]));
    for (const { key, value } of plan.kills) this.sensor.mapUpdate('kill_exec', key, value);
    for (const { type, value } of plan.modes) this.sensor.mapUpdate('filters', u32(type), value);
    for (const [hex, e] of this.names) if (!nextNames.has(hex)) this.sensor.mapDelete('approve_names', e.key);
    for (const [hex, e] of this.prefixes) if (!nextPrefixes.has(hex)) this.sensor.mapDelete('approve_prefix', e.key);
    for (const [hex, k] of this.kills) if (!nextKills.has(hex)) this.sensor.mapDelete('kill_exec', k);
    this.names = nextNames;
    this.prefixes = nextPrefixes;
    this.kills = nextKills;
  }

  private generation = 0n;

  /** filter_gen[0]: strictly increasing, also across KernelFilters of one loaded sensor (monotonic clock). */
  private bumpGeneration(): void {
    const now = process.hrtime.bigint();
    this.generation = now > this.generation ? now : this.generation + 1n;
    const value = Buffer.alloc(8);
    value.writeBigUInt64LE(this.generation);
    this.sensor.mapUpdate('filter_gen', u32(0), value);
  }

  private scopes = new Map<string, Buffer>();

  /**
   * The cgroups where scoped kills apply (kill_scopes): (cgroup id, scope) pairs. Added
   * before stale ones go, so a cgroup staying in scope is never out of it for a moment.
   */
  setKillScopes(entries: Iterable<{ readonly cgroupId: bigint; readonly scope: number }>): void {
    const next = new Map<string, Buffer>();
    for (const e of entries) {
      const key = Buffer.alloc(LAYOUT.kill_scope_key.size);
      writeKillScopeKey(key, 0, { cgroupId: Number(e.cgroupId), scope: e.scope }); // cgroup ids are inode numbers, far below 2^53
      next.set(key.toString('hex'), key);
    }
    for (const [hex, k] of next) if (!this.scopes.has(hex)) this.sensor.mapUpdate('kill_scopes', k, this.one);
    for (const [hex, k] of this.scopes) if (!next.has(hex)) this.sensor.mapDelete('kill_scopes', k);
    this.scopes = next;
  }

  /** Stop sending these event types for this process until it execs or exits. */
  setDiscarder(pid: number, types: readonly EventName[]): void {
    let mask = 0n;
    for (const t of types) mask |= 1n << BigInt(EVENT_TYPES[t].wire);
    const value = Buffer.alloc(8);
    value.writeBigUInt64LE(mask);
    this.sensor.mapUpdate('discarders', u32(pid), value);
  }

  clearDiscarder(pid: number): void {
    this.sensor.mapDelete('discarders', u32(pid));
  }
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

/**
 * The rule engine's kernel filter plan (operator/src/secl: buildFilterPlan) as the event
 * types to load and their filters. Process events always flow (the process cache needs
 * them); truncate follows open, as the enrich stage reports it as an open. Types SECL has
 * no event for (umount, memfd_create, ...) are never in a rule's plan: only `vigil-sensor
 * events` loads them.
 */
export function fromSeclPlan(plan: SeclFilterPlan): { types: EventName[]; spec: FilterSpec } {
  const spec: FilterSpec = {};
  const types = new Set<EventName>(['exec', 'fork', 'exit']);
  for (const name of EVENT_NAMES) {
    const f = plan[name === 'truncate' ? 'open' : (name as keyof SeclFilterPlan)];
    if (!f || f.mode === 'none') continue;
    types.add(name);
    if (f.mode === 'all') {
      spec[name] = { mode: 'pass' };
      continue;
    }
    const required = f.requiredFlags;
    spec[name] = {
      mode: 'approve',
      basenames: f.basenames,
      prefixes: f.pathPrefixes,
      exeNames: f.executables,
      ...(name === 'open' || name === 'truncate'
        ? {
            flagsMask: f.openFlags,
            ...(required.basenames || required.pathPrefixes || required.executables
              ? { requiredFlags: { basenames: required.basenames, prefixes: required.pathPrefixes, exeNames: required.executables } }
              : {}),
          }
        : {}),
    };
  }
  // exec approvers only flag events (the cache needs every exec); fork and exit always pass
  delete spec.fork;
  delete spec.exit;
  // connect.addr.hostname comes from the answers of DNS responses: they flow too
  if (types.has('connect') || types.has('accept')) types.add('dns_response');
  return { types: [...types], spec };
}
