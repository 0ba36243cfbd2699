// Which programs to load for the event types a ruleset (or `vigil-sensor events`) needs.
// Pure: the kernel's tracepoint list is passed in, so this is unit-tested without root.
import { EVENT_TYPES, tracepointOf, type EventName } from './event-types.ts';

export interface ProgramPlan {
  /** Programs to load and attach, in a stable order. */
  readonly programs: readonly string[];
  /** Programs left out because this kernel lacks their tracepoint (e.g. fchmodat2 before 6.6). */
  readonly skipped: ReadonlyArray<{ readonly program: string; readonly tracepoint: string }>;
  readonly types: readonly EventName[];
}

export function planPrograms(types: Iterable<EventName>, hasTracepoint: (tracepoint: string) => boolean): ProgramPlan {
  const wanted = [...new Set(types)];
  const programs = new Set<string>();
  const skipped: Array<{ program: string; tracepoint: string }> = [];
  for (const t of wanted) {
    for (const p of EVENT_TYPES[t].programs) {
      if (programs.has(p) || skipped.some((s) => s.program === p)) continue;
      const tp = tracepointOf(p);
      if (tp && !hasTracepoint(tp)) skipped.push({ program: p, tracepoint: tp });
      else programs.add(p);
    }
  }
  return { programs: [...programs].sort(), skipped, types: wanted };
}
