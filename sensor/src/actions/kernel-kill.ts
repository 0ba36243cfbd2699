// Which kills the kernel can decide at exec, before the new program runs one instruction
// (bpf_send_signal from sched_process_exec). Only where the verdict is exactly the rule's:
//
//   - the rule is a pure test of the executable's name: `exec.file.name == "xmrig"`,
//     `exec.file.name in ["xmrig", "minerd"]`, `exec.file.name in MINERS` (a value macro),
//     or an `||` of those. Anything else (an extra condition, a pattern) is decided in user
//     space, where the whole rule is evaluated: the kernel never kills a superset;
//   - the policy enforces (monitor mode never kills);
//   - the executable is not on the never-kill list.
//
// The policy's scope becomes a set of cgroups the kernel checks against the exec'ing
// task's cgroup and its ancestors (a pod's cgroup covers its containers; top-level host
// cgroups cover host processes), or "everywhere" for an unscoped policy.
import { parseExpression, parseMacroExpression, type Ast } from '@vigil/operator/secl';
import type { DecodedRuleSet, IPolicy } from '@vigil/operator/ruleset';
import { NEVER_KILL_EXECUTABLES } from './active-protection.ts';

const NAME_FIELDS = new Set(['exec.file.name', 'process.file.name']);

/** The executable names a rule is exactly about, or undefined when it says more than that. */
export function exactExecNames(expression: string, macros: ReadonlyMap<string, string>, depth = 0): string[] | undefined {
  let ast: Ast;
  try {
    ast = parseExpression(expression);
  } catch {
    return undefined;
  }
  return namesOf(ast, macros, depth);
}

function literalList(a: Ast, macros: ReadonlyMap<string, string>, depth: number): string[] | undefined {
  if (a.kind === 'string') return [a.value];
  if (a.kind === 'array') {
    const out: string[] = [];
    for (const i of a.items) {
      if (i.kind !== 'string') return undefined;
      out.push(i.value);
    }
    return out;
  }
  if (a.kind === 'ident' && macros.has(a.name) && depth < 8) {
    try {
      return literalList(parseMacroExpression(macros.get(a.name) as string), macros, depth + 1);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function namesOf(a: Ast, macros: ReadonlyMap<string, string>, depth: number): string[] | undefined {
  if (a.kind === 'logical' && a.op === '||') {
    const l = namesOf(a.left, macros, depth);
    const r = l && namesOf(a.right, macros, depth);
    return l && r ? [...l, ...r] : undefined;
  }
  if (a.kind === 'ident' && macros.has(a.name) && depth < 8) {
    // A macro holding the whole test.
    return exactExecNames(macros.get(a.name) as string, macros, depth + 1);
  }
  const field = (x: Ast): boolean => x.kind === 'ident' && NAME_FIELDS.has(x.name);
  if (a.kind === 'compare' && a.op === '==' && field(a.left) && a.right.kind === 'string') return [a.right.value];
  if (a.kind === 'membership' && a.op === 'in' && field(a.left)) return literalList(a.right, macros, depth);
  return undefined;
}

export interface KernelKillEntry {
  /** Executable basename. */
  readonly name: string;
  readonly signal: string;
  readonly policy: string;
  readonly ruleId: string;
  /** The policy covers every cgroup (unscoped). */
  readonly everywhere: boolean;
}

/** Kills the kernel can take for a ruleset: one entry per executable name (first policy wins). */
export function planKernelKills(rs: DecodedRuleSet, policies: readonly IPolicy[], disarmed: ReadonlySet<string> = new Set()): KernelKillEntry[] {
  const macros = new Map<string, string>();
  for (const m of rs.macros) {
    if (!m.id) continue;
    macros.set(m.id, m.values?.length ? JSON.stringify(m.values) : (m.expression ?? ''));
  }
  const rules = new Map(rs.rules.map((r) => [r.id ?? '', r]));
  const out = new Map<string, KernelKillEntry>();
  for (const p of policies) {
    if (!p.enforce || !p.kill || p.kill.scope === 'container') continue;
    for (const ruleId of p.ruleIds ?? []) {
      const r = rules.get(ruleId);
      if (!r?.expression || r.eventType !== 'exec' || disarmed.has(`${p.name}\0${ruleId}`)) continue;
      // A scoped rule is decided where its scope is known: in user space.
      if (r.scope?.scoped) continue;
      const names = exactExecNames(r.expression, macros);
      for (const name of names ?? []) {
        if (NEVER_KILL_EXECUTABLES.has(name) || out.has(name)) continue;
        out.set(name, { name, signal: p.kill.signal || 'SIGKILL', policy: p.name ?? '', ruleId, everywhere: !p.scope?.scoped });
      }
    }
  }
  return [...out.values()];
}
