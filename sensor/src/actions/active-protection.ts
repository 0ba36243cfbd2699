// Active Protection: what happens after a rule matched and an ActiveProtectionPolicy
// selects it. The decision (plan) is separate from the act (kill), so every safety rule
// is tested without killing anything:
//
//   1. policies whose rule ids include the rule and whose scope covers the workload;
//   2. never kill what keeps the node alive: the sensor itself, PID 1, and host processes
//      of kubelet and the container runtimes;
//   3. monitor mode reports what would have been killed;
//   4. the disarmer: a rule that would kill in more than N distinct containers or
//      executables within a period is disarmed (a bad rule must not take the fleet down),
//      and says so until the period passes;
//   5. kill: the process, or every process of its container (cgroup.procs).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants } from 'node:os';
import type { IPolicy } from '@vigil/operator/ruleset';
import type { SeclEvent } from '@vigil/operator/secl';
import { scopeCovers, type ScopeContext } from '../policy/scope.ts';

export type KillStatus = 'performed' | 'failed' | 'disarmed' | 'monitored';

export interface KillOutcome {
  readonly status: KillStatus;
  readonly signal: string;
  readonly policy: string;
  readonly at: string;
  readonly error?: string;
  /** Pids the signal was sent to. */
  readonly pids?: readonly number[];
}

export interface KillPlan {
  readonly policy: IPolicy;
  readonly signal: string;
  readonly scope: 'process' | 'container';
  readonly enforce: boolean;
}

/** Executables never killed on the host: the node's own machinery. */
export const NEVER_KILL_EXECUTABLES: ReadonlySet<string> = new Set([
  'systemd', 'init', 'kubelet', 'containerd', 'containerd-shim', 'containerd-shim-runc-v2', 'dockerd', 'docker-proxy',
  'crio', 'conmon', 'runc', 'crun', 'sshd', 'vigil-sensor',
]);

export interface ProtectorOptions {
  /** The sensor's own pid (never killed, nor its ancestors' chain up to it). */
  readonly selfPid: number;
  readonly cgroupMount?: string;
  readonly now?: () => number;
}

interface DisarmerState {
  readonly maxContainers: number;
  readonly maxExecutables: number;
  readonly periodMs: number;
  /** Distinct containers and executables killed in the period → when last. */
  containers: Map<string, number>;
  executables: Map<string, number>;
  disarmedUntil: number;
}

function prune(s: DisarmerState, now: number): void {
  for (const m of [s.containers, s.executables]) for (const [k, t] of m) if (now - t > s.periodMs) m.delete(k);
}

/** One more distinct container or executable would disarm. */
function nearLimit(s: DisarmerState): boolean {
  return (s.maxContainers > 0 && s.containers.size >= s.maxContainers) || (s.maxExecutables > 0 && s.executables.size >= s.maxExecutables);
}

export interface ProtectionStats {
  performed: number;
  failed: number;
  disarmed: number;
  monitored: number;
  /** Kills refused by the never-kill list. */
  refused: number;
}

/** The policies that would act on a match of ruleId for this workload (first enforce wins). */
export function planKill(policies: readonly IPolicy[], ruleId: string, ctx: ScopeContext): KillPlan | undefined {
  let monitor: KillPlan | undefined;
  for (const p of policies) {
    if (!p.ruleIds?.includes(ruleId) || !p.kill) continue;
    if (!scopeCovers(p.scope, ctx)) continue;
    const plan: KillPlan = {
      policy: p,
      signal: p.kill.signal || 'SIGKILL',
      scope: p.kill.scope === 'container' ? 'container' : 'process',
      enforce: p.enforce === true,
    };
    if (plan.enforce) return plan;
    monitor ??= plan;
  }
  return monitor;
}

export class ActiveProtector {
  private readonly disarmers = new Map<string, DisarmerState>();
  readonly stats: ProtectionStats = { performed: 0, failed: 0, disarmed: 0, monitored: 0, refused: 0 };
  /** Rules disarmed now, per policy (what the Sensor status shows); derived, so never stale. */
  disarmedNow(): Array<{ policy: string; rule: string; until: number }> {
    const now = this.now();
    const out: Array<{ policy: string; rule: string; until: number }> = [];
    for (const [key, s] of this.disarmers) {
      if (s.disarmedUntil <= now) continue;
      const [policy = '', rule = ''] = key.split('\0');
      out.push({ policy, rule, until: s.disarmedUntil });
    }
    return out;
  }

  constructor(private readonly opts: ProtectorOptions) {}

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  /** Decides and, where a policy enforces, acts. Undefined when no policy selects the rule. */
  act(policies: readonly IPolicy[], ruleId: string, ev: SeclEvent, ctx: ScopeContext, killedInKernel = false): KillOutcome | undefined {
    const plan = planKill(policies, ruleId, ctx);
    if (!plan) return undefined;
    const at = new Date(this.now()).toISOString();
    const base = { signal: plan.signal, policy: plan.policy.name ?? '', at };
    if (killedInKernel) {
      // Done before the program ran; it still counts towards the disarmer.
      this.trips(plan, ruleId, ev);
      this.stats.performed++;
      return { ...base, status: 'performed', pids: [ev.process.pid] };
    }
    const refusal = this.neverKill(ev);
    if (refusal) {
      this.stats.refused++;
      return { ...base, status: 'failed', error: refusal };
    }
    if (this.trips(plan, ruleId, ev)) {
      this.stats.disarmed++;
      return { ...base, status: 'disarmed', error: 'disarmer tripped: this rule would kill in too many containers or executables' };
    }
    if (!plan.enforce) {
      this.stats.monitored++;
      return { ...base, status: 'monitored' };
    }
    return this.kill(plan, ev, base);
  }

  /** Why this process must not be killed, or undefined. */
  private neverKill(ev: SeclEvent): string | undefined {
    const p = ev.process;
    if (p.pid <= 1) return 'never-kill: init';
    if (p.pid === this.opts.selfPid) return 'never-kill: the sensor itself';
    if (!p.container?.id && NEVER_KILL_EXECUTABLES.has(p.file.name || p.comm)) return `never-kill: host ${p.file.name || p.comm}`;
    return undefined;
  }

  /**
   * Policy/rule keys the kernel must not kill for now: disarmed, or one more distinct
   * container or executable away from it (so the kill that would trip the disarmer is
   * decided here, in user space, and not taken by the kernel first).
   */
  suspendedKeys(): Set<string> {
    const now = this.now();
    const out = new Set<string>();
    for (const [key, s] of this.disarmers) {
      prune(s, now);
      if (s.disarmedUntil > now || nearLimit(s)) out.add(key);
    }
    return out;
  }

  /** Counts this kill against the disarmer; true when the rule is (now) disarmed. */
  private trips(plan: KillPlan, ruleId: string, ev: SeclEvent): boolean {
    const d = plan.policy.disarmer;
    const maxC = Number(d?.maxContainers ?? 0);
    const maxE = Number(d?.maxExecutables ?? 0);
    if (!d || (maxC === 0 && maxE === 0)) return false;
    const period = Number(d.periodMs ?? 60_000) || 60_000;
    const key = `${plan.policy.name}\0${ruleId}`;
    const now = this.now();
    let s = this.disarmers.get(key);
    if (!s) {
      s = { maxContainers: maxC, maxExecutables: maxE, periodMs: period, containers: new Map(), executables: new Map(), disarmedUntil: 0 };
      this.disarmers.set(key, s);
    }
    if (s.disarmedUntil > now) return true;
    prune(s, now);
    if (ev.process.container?.id) s.containers.set(ev.process.container.id, now);
    s.executables.set(ev.process.file.path || ev.process.file.name, now);
    if ((maxC > 0 && s.containers.size > maxC) || (maxE > 0 && s.executables.size > maxE)) {
      s.disarmedUntil = now + period;
      s.containers.clear();
      s.executables.clear();
      return true;
    }
    return false;
  }

  private kill(plan: KillPlan, ev: SeclEvent, base: Omit<KillOutcome, 'status'>): KillOutcome {
    const signal = plan.signal as NodeJS.Signals;
    if (!(signal in constants.signals)) {
      this.stats.failed++;
      return { ...base, status: 'failed', error: `unknown signal ${plan.signal}` };
    }
    const pids = plan.scope === 'container' && ev.process.container?.id ? this.containerPids(ev) : [ev.process.pid];
    const sent: number[] = [];
    const errors: string[] = [];
    for (const pid of pids) {
      if (pid === this.opts.selfPid || pid <= 1) continue;
      try {
        process.kill(pid, signal);
        sent.push(pid);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        errors.push(code === 'ESRCH' ? `process ${pid} gone` : `${pid}: ${code ?? String(err)}`);
      }
    }
    if (sent.length > 0) {
      this.stats.performed++;
      return { ...base, status: 'performed', pids: sent };
    }
    this.stats.failed++;
    return { ...base, status: 'failed', error: errors.join('; ') || 'no process to kill' };
  }

  /** Every pid of the event's container, from its cgroup (falls back to the process alone). */
  private containerPids(ev: SeclEvent): number[] {
    const rel = ev.process.cgroup?.id;
    if (!rel || !this.opts.cgroupMount) return [ev.process.pid];
    try {
      const pids = readFileSync(join(this.opts.cgroupMount, rel, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
      return pids.length ? pids : [ev.process.pid];
    } catch {
      return [ev.process.pid];
    }
  }
}
