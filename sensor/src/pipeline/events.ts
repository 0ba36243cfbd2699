// What the pipeline hands to its consumers: SECL events (operator/src/secl/event.ts, the
// contract with the rule engine), plus the kinds SECL has no event type for.
import type { FileInfo, ProcessContext, SeclEvent } from '@vigil/operator/secl';

/** symlink(2): not a SECL event type; shown by `vigil-sensor events`, never evaluated. */
export interface SymlinkEvent extends Omit<SeclEvent, 'type'> {
  type: 'symlink';
  symlink: { retval: number; file: FileInfo; target: string };
}

/**
 * Activity SECL has no event type for (see sensor/src/pipeline/activity.ts): shown by
 * `vigil-sensor events`, never evaluated. The payload sits under the kind's own name.
 */
type NonSecl<K extends string, P> = Omit<SeclEvent, 'type'> & { type: K } & { [k in K]: P };

export interface DnsAnswerInfo { name: string; type: number; class: number; ttl: number; data: string }
/** A DNS response: SECL's dns.* fields describe the query only. */
export type DnsResponseEvent = NonSecl<'dns_response', {
  id: number;
  question: { name: string; type: number; class: number; count: number };
  rcode: number;
  answers: DnsAnswerInfo[];
}>;
export type UmountEvent = NonSecl<'umount', { retval: number; mountpoint: { path: string }; flags: number }>;
export type MemfdCreateEvent = NonSecl<'memfd_create', { retval: number; name: string; flags: number }>;
export type ProcessVmWritevEvent = NonSecl<'process_vm_writev', {
  retval: number;
  /** The target as passed (a pid of the caller's pid namespace). */
  pid: number;
  target?: ProcessContext;
  remote_addr: number;
  liovcnt: number;
  riovcnt: number;
}>;
export type UnshareEvent = NonSecl<'unshare', { retval: number; flags: number }>;
export type SetnsEvent = NonSecl<'setns', { retval: number; fd: number; nstype: number; ns_type: number; ns_inum: number }>;

export type ActivityEvent = DnsResponseEvent | UmountEvent | MemfdCreateEvent | ProcessVmWritevEvent | UnshareEvent | SetnsEvent;

export type SensorEvent = SeclEvent | SymlinkEvent | ActivityEvent;

const NOT_SECL: ReadonlySet<string> = new Set(['symlink', 'dns_response', 'umount', 'memfd_create', 'process_vm_writev', 'unshare', 'setns']);

export function isSeclEvent(e: SensorEvent): e is SeclEvent {
  return !NOT_SECL.has(e.type);
}

/**
 * Exec events whose task the kernel already killed (EVENT_F_KILLED: Active Protection at
 * exec). A side set, not a field: SeclEvent is the rule engine's contract, this is not.
 */
export const KILLED_IN_KERNEL = new WeakSet<SensorEvent>();
