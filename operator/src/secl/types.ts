// The SECL engine's public data types: what the operator validates and the sensor loads.
// Keys of action and rule sources are spelled as in Datadog policy files (snake_case),
// so a Datadog rule, a Vigil SecurityRule spec and the ruleset protobuf carry one shape.

import type { SeclError } from './errors.ts';
import type { SeclEvent, SeclEventType } from './event.ts';

export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';
export type VariableScope = 'global' | 'process' | 'container' | 'cgroup';
export type ScalarValue = string | number | boolean;
export type VariableValue = ScalarValue | string[] | number[] | boolean[];

export interface SetActionSource {
  name: string;
  value?: VariableValue;
  /** Copy a field of the event (`process.file.path`). */
  field?: string;
  /** A SECL expression evaluated on the event (`"${process.pid}:x"`, `${cgroup.n} + 1`). */
  expression?: string;
  default_value?: VariableValue;
  append?: boolean;
  /** Omitted: global. */
  scope?: 'process' | 'container' | 'cgroup';
  /** Go duration string ("10m") or nanoseconds. */
  ttl?: string | number;
  /** Maximum number of elements kept by `append` (oldest dropped first). */
  size?: number;
  /** Process scope: children see the variable of their ancestors. */
  inherited?: boolean;
  private?: boolean;
  scope_field?: string;
}

export interface KillActionSource {
  /** Signal name: SIGKILL, SIGTERM, ... */
  signal: string;
  scope?: 'process' | 'container';
  disable_container_disarmer?: boolean;
  disable_executable_disarmer?: boolean;
}

export interface ActionSource {
  /** SECL expression: the action runs only when it holds. */
  filter?: string;
  set?: SetActionSource;
  kill?: KillActionSource;
  hash?: { field?: string };
  coredump?: { process?: boolean; mount?: boolean; dentry?: boolean; no_compression?: boolean };
  log?: { level?: string; message?: string };
}

export interface RuleSource {
  id: string;
  expression: string;
  severity?: Severity;
  tags?: Record<string, string>;
  disabled?: boolean;
  /** Rate limit: at most one match per duration ("10s", Go syntax, or nanoseconds). */
  every?: string | number;
  actions?: ActionSource[];
  description?: string;
  version?: string;
  /** Datadog rule filters (`os == "linux"`); a rule whose filters fail is skipped, not an error. */
  filters?: string[];
  /** Datadog `agent_version` constraint, kept for reference; not enforced. */
  agent_version?: string;
  product_tags?: string[];
  silent?: boolean;
}

export interface MacroSource {
  id: string;
  /** A SECL expression or value list (`["bash", "sh"]`). */
  expression?: string;
  /** A value list, the same as expression `["v1", "v2"]`. */
  values?: string[];
  description?: string;
  filters?: string[];
}

export type RuleCheckResult =
  | { id: string; ok: true; eventType: SeclEventType }
  | {
      id: string;
      ok: false;
      error: SeclError;
      /** Present when the rule failed only because these macros are not defined (yet). */
      missingMacros?: string[];
    };

/** A rule that was not loaded, with why. */
export interface RuleError {
  id: string;
  error: SeclError;
  missingMacros?: string[];
}

/** An action resolved at compile time, returned with each match for the sensor to carry out. */
export type MatchAction =
  | { kind: 'kill'; signal: number; signalName: string; scope: 'process' | 'container' }
  | { kind: 'set'; name: string; scope: VariableScope }
  | { kind: 'hash'; field: string }
  | { kind: 'coredump' }
  | { kind: 'log'; level: string; message: string };

export interface RuleInfo {
  id: string;
  eventType: SeclEventType;
  severity: Severity;
  tags: Record<string, string>;
  description: string;
  version: string;
  silent: boolean;
}

export interface Match {
  ruleId: string;
  rule: RuleInfo;
  /** Actions whose filter held for this event (set actions have already been applied). */
  actions: MatchAction[];
}

/** Kernel-side filter for one event type. See approvers.ts for the exact semantics. */
export interface EventFilter {
  /** none: no rule needs the event; all: pass every event; approvers: pass when one approver matches. */
  mode: 'all' | 'none' | 'approvers';
  /** Basenames of the event's file (for rename/link: the source or the destination). */
  basenames: string[];
  /** Prefixes of the event's file path (for rename/link: the source or the destination). */
  pathPrefixes: string[];
  /** Basenames of the acting process's executable (process.file.name). */
  executables: string[];
  /** open events: pass when flags & openFlags != 0. 0 = no flags approver. */
  openFlags: number;
  /**
   * open events: approvers above that hold only for some flags (value -> mask: the approver
   * passes an open when flags & mask != 0). An approver not listed holds for any flags.
   */
  requiredFlags: RequiredFlags;
}

export interface RequiredFlags {
  basenames?: Record<string, number>;
  pathPrefixes?: Record<string, number>;
  executables?: Record<string, number>;
}

export type FilterPlan = Partial<Record<SeclEventType, EventFilter>>;

/** Runtime counters of a compiled ruleset. */
export interface RulesetStats {
  evaluated: number;
  matched: number;
  /** Matches dropped by `every` rate limits, per rule id. */
  rateLimited: Record<string, number>;
  /** Action filters or set expressions that failed at run time, per rule id. */
  actionErrors: Record<string, number>;
}

export interface CompiledRuleset {
  /** Rules that compiled and are enabled. */
  readonly rules: readonly RuleInfo[];
  /** Rules that did not compile (bad rules are skipped, never poison the set). */
  readonly errors: readonly RuleError[];
  /** Rules skipped on purpose: disabled, or their filters do not hold here. */
  readonly skipped: readonly { id: string; reason: string }[];
  evaluate(event: SeclEvent): Match[];
  eventTypes(): SeclEventType[];
  filterPlan(): FilterPlan;
  /**
   * After an event matched no rule: true when no event of this type on the same file
   * (path) can match any rule, whatever its other fields, so the kernel may drop the
   * next ones. Valid for this ruleset only: the sensor clears its discarders on swap.
   */
  isDiscarder(event: SeclEvent): boolean;
  stats(): RulesetStats;
}
