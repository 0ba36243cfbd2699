// Enrich stage: decoded wire records -> SensorEvents, with the process context from the
// process cache (which exec, fork and exit keep up to date as a side effect).
import type { FileInfo, ProcessContext, SeclEvent } from '@vigil/operator/secl';
import type { ProcessCache } from '../process/cache.ts';
import { toFileInfo } from '../process/files.ts';
import type { UserNames } from '../process/users.ts';
import type { DecodedEvent } from '../wire/decode.ts';
import { ActivityEnricher, isActivity, type ActivityOptions, type ActivityRecord, type DnsStats } from './activity.ts';
import { EVENT_F_KILLED, EVENT_F_UNAPPROVED, type EventHeader, type FileInfo as WireFileInfo } from '../wire/wire.generated.ts';
import { KILLED_IN_KERNEL, type SensorEvent } from './events.ts';

// SECL's exit causes (operator/src/secl/constants.ts EXIT_CAUSES)
const EXITED = 0;
const COREDUMPED = 1;
const SIGNALED = 2;
const O_WRONLY = 0o1;
const O_TRUNC = 0o1000;

export interface EnrichStats {
  in: number;
  out: number;
  /** Process events that failed the kernel approvers: they fed the cache only. */
  cacheOnly: number;
  /** DNS packets: parsed, skipped as malformed (by cause), unattributed. */
  dns: DnsStats;
}

/** Process and file records: the ones this module turns into events itself. */
type CoreRecord = Exclude<DecodedEvent, ActivityRecord>;

/** Decodes a wait status into SECL's exit cause and code. */
export function exitOf(status: number): { cause: number; code: number } {
  const sig = status & 0x7f;
  if (sig === 0) return { cause: EXITED, code: (status >> 8) & 0xff };
  return { cause: status & 0x80 ? COREDUMPED : SIGNALED, code: sig };
}

export class Enricher {
  readonly stats: EnrichStats;
  /** DNS, network and kernel activity (activity.ts); its resolved names feed addr.hostname. */
  readonly activity: ActivityEnricher;

  constructor(
    private readonly cache: ProcessCache,
    private readonly users: UserNames,
    private readonly clockOffsetNs: number,
    private readonly hostname?: string,
    activity: ActivityOptions = {},
  ) {
    this.activity = new ActivityEnricher(cache, users, (type, hdr, process) => this.event(type, hdr, process), activity);
    this.stats = { in: 0, out: 0, cacheOnly: 0, dns: this.activity.dns };
  }

  enrich(d: DecodedEvent): SensorEvent | undefined {
    this.stats.in++;
    if (isActivity(d)) {
      const ev = this.activity.build(d);
      if (ev) this.stats.out++;
      return ev;
    }
    const ev = this.build(d);
    // A killed exec is always reported: the kill must reach the Signal.
    if (d.rec.hdr.flags & EVENT_F_KILLED) KILLED_IN_KERNEL.add(ev);
    else if (d.rec.hdr.flags & EVENT_F_UNAPPROVED) {
      this.stats.cacheOnly++;
      return undefined;
    }
    this.stats.out++;
    return ev;
  }

  private file(w: WireFileInfo): FileInfo;
  private file<X extends object>(w: WireFileInfo, destination: X): FileInfo & { destination: X };
  private file<X extends object>(w: WireFileInfo, destination?: X): FileInfo {
    return destination ? toFileInfo(w, this.users, { destination }) : toFileInfo(w, this.users);
  }

  private event(type: SeclEvent['type'], hdr: EventHeader, process: ProcessContext): SeclEvent {
    const ev: SeclEvent = { type, timestamp: hdr.tsNs + this.clockOffsetNs, process };
    if (this.hostname) ev.hostname = this.hostname;
    if (process.container) ev.container = process.container;
    return ev;
  }

  private build(d: CoreRecord): SensorEvent {
    const hdr = d.rec.hdr;
    switch (d.type) {
      case 'exec':
        return this.event('exec', hdr, this.cache.onExec(d.rec));
      case 'fork':
        return this.event('fork', hdr, this.cache.onFork(hdr, d.rec.parentPid));
      case 'exit':
        return { ...this.event('exit', hdr, this.cache.onExit(hdr)), exit: exitOf(d.rec.exitCode) };
    }
    const ev = this.event(d.type === 'truncate' || d.type === 'symlink' ? 'open' : d.type, hdr, this.cache.context(hdr));
    const r = d.rec;
    switch (d.type) {
      case 'open':
        ev.open = { retval: d.rec.ret, flags: d.rec.flags, file: this.file(d.rec.file, { mode: d.rec.mode }) };
        return ev;
      case 'truncate':
        // as Datadog does: truncate is an open for writing that truncates
        ev.open = { retval: d.rec.ret, flags: O_WRONLY | O_TRUNC, file: this.file(d.rec.file, { mode: 0 }) };
        return ev;
      case 'unlink':
        ev.unlink = { retval: d.rec.ret, flags: d.rec.flags, file: this.file(d.rec.file) };
        return ev;
      case 'rmdir':
        ev.rmdir = { retval: d.rec.ret, file: this.file(d.rec.file) };
        return ev;
      case 'rename':
      case 'link':
        ev[d.type] = { retval: d.rec.ret, file: this.file(d.rec.file, this.file(d.rec.destination)) };
        return ev;
      case 'chmod':
        ev.chmod = { retval: d.rec.ret, file: this.file(d.rec.file, { mode: d.rec.mode }) };
        return ev;
      case 'chown': {
        const { uid, gid } = d.rec;
        const user = uid >= 0 ? this.users.userName(uid) : '';
        const group = gid >= 0 ? this.users.groupName(gid) : '';
        ev.chown = { retval: d.rec.ret, file: this.file(d.rec.file, { uid, gid, user, group }) };
        return ev;
      }
      case 'mkdir':
        ev.mkdir = { retval: d.rec.ret, file: this.file(d.rec.file, { mode: d.rec.mode }) };
        return ev;
      case 'utimes':
        ev.utimes = { retval: d.rec.ret, file: this.file(d.rec.file) };
        return ev;
      case 'setxattr':
      case 'removexattr': {
        const dot = d.rec.name.indexOf('.');
        const namespace = dot < 0 ? '' : d.rec.name.slice(0, dot);
        ev[d.type] = { retval: d.rec.ret, file: this.file(d.rec.file, { name: d.rec.name, namespace }) };
        return ev;
      }
      case 'symlink': {
        const { type: _t, ...rest } = ev;
        return { ...rest, type: 'symlink', symlink: { retval: d.rec.ret, file: this.file(d.rec.file), target: d.rec.target } };
      }
    }
    void r;
    throw new Error('unreachable');
  }
}
