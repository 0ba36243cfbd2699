// Which programs to load for the event types a ruleset (or `vigil-sensor events`) needs.
// Pure: the kernel's tracepoint list is passed in, so this is unit-tested without root.
import { EVENT_TYPES, hookOf, type EventName } from './event-types.ts';

export interface ProgramPlan {
  /** Programs to load and attach, in a stable order. */
  readonly programs: readonly string[];
  /**
   * Programs left out because this kernel lacks their hook: a syscall tracepoint
   * (fchmodat2 before 6.6, the module syscalls without CONFIG_MODULES) or, for the DNS
   * programs, a cgroup2 hierarchy to attach to. `tracepoint` names the hook.
   */
  readonly skipped: ReadonlyArray<{ readonly program: string; readonly tracepoint: string }>;
  readonly types: readonly EventName[];
}

/** hasHook: is this syscall tracepoint ("syscalls/sys_exit_x") or cgroup hook ("cgroup_skb/egress") here? */
export function planPrograms(types: Iterable<EventName>, hasHook: (hook: string) => boolean): ProgramPlan {
  const wanted = [...new Set(types)];
  const programs = new Set<string>();
  const skipped: Array<{ program: string; tracepoint: string }> = [];
  for (const t of wanted) {
    for (const p of EVENT_TYPES[t].programs) {
      if (programs.has(p) || skipped.some((s) => s.program === p)) continue;
      const hook = hookOf(p);
      if (hook && !hasHook(hook)) skipped.push({ program: p, tracepoint: hook });
      else programs.add(p);
    }
  }
  return { programs: [...programs].sort(), skipped, types: wanted };
}

/**
 * Event types none of whose programs this kernel can run, with the hooks it lacks: a rule
 * of such a type can never match here ("not applicable on this kernel"). A type that lost
 * only some of its programs (chmod without fchmodat2) still sees the other syscalls.
 */
export function unavailableTypes(plan: ProgramPlan): Map<EventName, string[]> {
  const missing = new Map(plan.skipped.map((s) => [s.program, s.tracepoint]));
  const out = new Map<EventName, string[]>();
  for (const t of plan.types) {
    const programs = EVENT_TYPES[t].programs;
    if (programs.length > 0 && programs.every((p) => missing.has(p))) out.set(t, programs.map((p) => missing.get(p) as string));
  }
  return out;
}

/**
 * The rules of a ruleset that can never match on this kernel, as the Sensor status reports
 * them (`ruleErrors`): those whose event type lost every program. At most `max` of them.
 */
export function notApplicableRules(
  rules: ReadonlyArray<{ readonly id: string; readonly eventType: string }>,
  plan: ProgramPlan,
  max = 256,
): Array<{ rule: string; message: string }> {
  const missing = unavailableTypes(plan);
  const out: Array<{ rule: string; message: string }> = [];
  for (const r of rules) {
    const hooks = missing.get(r.eventType as EventName);
    if (!hooks || out.length >= max) continue;
    const what = hooks.every((h) => h.startsWith('syscalls/')) ? 'tracepoint' : 'hook';
    out.push({ rule: r.id, message: `not applicable on this kernel: ${what} ${hooks.join(', ')} missing` });
  }
  return out;
}
