// What the pipeline hands to its consumers: SECL events (operator/src/secl/event.ts, the
// contract with the rule engine), plus the one kind SECL has no event type for.
import type { FileInfo, SeclEvent } from '@vigil/operator/secl';

/** symlink(2): not a SECL event type; shown by `vigil-sensor events`, never evaluated. */
export interface SymlinkEvent extends Omit<SeclEvent, 'type'> {
  type: 'symlink';
  symlink: { retval: number; file: FileInfo; target: string };
}

export type SensorEvent = SeclEvent | SymlinkEvent;

export function isSeclEvent(e: SensorEvent): e is SeclEvent {
  return e.type !== 'symlink';
}

/**
 * Exec events whose task the kernel already killed (EVENT_F_KILLED: Active Protection at
 * exec). A side set, not a field: SeclEvent is the rule engine's contract, this is not.
 */
export const KILLED_IN_KERNEL = new WeakSet<SensorEvent>();
