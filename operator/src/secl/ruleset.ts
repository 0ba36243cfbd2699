// Rulesets: check rules (for the operator's status conditions) and compile them (for the
// sensor). Bad rules are reported and skipped; they never poison the set. Rules are
// bucketed by event type; evaluation runs only the bucket of the event's type.

import { compileActions, declareVariables, type CompiledAction } from './actions.ts';
import { buildDiscarders, buildFilterPlan } from './approvers.ts';
import type { Ast } from './ast.ts';
import { checkAst, macroTable, missingMacrosOf, type CheckEnv, type CheckedExpression, type MacroDef } from './checker.ts';
import { Compiler, type BoolFn, type EvalCtx } from './compiler.ts';
import { parseDuration } from './duration.ts';
import { SeclError } from './errors.ts';
import type { SeclEvent, SeclEventType } from './event.ts';
import { parseExpression } from './parser.ts';
import type {
  CompiledRuleset, FilterPlan, MacroSource, Match, MatchAction, RuleCheckResult, RuleError, RuleInfo,
  RuleSource, RulesetStats, Severity,
} from './types.ts';
import { VariableStore } from './variables.ts';

/** Where rules run, for Datadog rule filters (`os == "linux"`, `kernel.version.major >= 5`). */
export interface FilterContext {
  os: string;
  kernel?: { major: number; minor: number; patch: number };
}

export interface CompileOptions {
  /** Defaults to Linux with an unknown kernel: kernel filters then keep their rule. */
  filterContext?: FilterContext;
}

const LINUX: FilterContext = { os: 'linux' };

/**
 * Evaluates a Datadog rule filter: true, false, or null when it depends on something
 * unknown here (the kernel version on the operator side). Throws SeclError when malformed.
 */
export function evaluateFilter(src: string, ctx: FilterContext): boolean | null {
  const ast = parseExpression(src);
  const value = (a: Ast): string | number | boolean | null => {
    switch (a.kind) {
      case 'string': return a.value;
      case 'int': return a.value;
      case 'ident': {
        if (a.name === 'true' || a.name === 'false') return a.name === 'true';
        if (a.name === 'os') return ctx.os;
        const m = /^kernel\.version\.(major|minor|patch)$/.exec(a.name);
        if (m) return ctx.kernel ? ctx.kernel[m[1] as 'major' | 'minor' | 'patch'] : null;
        throw new SeclError('unknown_field', `unknown filter field ${a.name} (filters know os and kernel.version.major/minor/patch)`, src, a.pos);
      }
      case 'unary': {
        if (a.op !== '!') break;
        const v = value(a.operand);
        return v === null ? null : !v;
      }
      case 'logical': {
        const l = value(a.left);
        const r = value(a.right);
        if (a.op === '&&') return l === false || r === false ? false : l === null || r === null ? null : true;
        return l === true || r === true ? true : l === null || r === null ? null : false;
      }
      case 'compare': {
        const l = value(a.left);
        const r = value(a.right);
        if (l === null || r === null) return null;
        switch (a.op) {
          case '==': return l === r;
          case '!=': return l !== r;
          case '<': return l < r;
          case '<=': return l <= r;
          case '>': return l > r;
          case '>=': return l >= r;
        }
      }
    }
    throw new SeclError('invalid_rule', 'filters support ==, !=, <, <=, >, >=, &&, ||, ! over os and kernel.version.*', src, a.pos);
  };
  const v = value(ast);
  return v === null ? null : v === true;
}

/** Why a rule or macro is filtered out here, or null when it applies. */
function filteredOut(filters: readonly string[] | undefined, ctx: FilterContext): string | null {
  for (const f of filters ?? []) {
    if (evaluateFilter(f, ctx) === false) return `filter ${JSON.stringify(f)} does not hold`;
  }
  return null;
}

interface Prepared {
  env: CheckEnv;
  variableErrors: Map<string, SeclError>;
  specs: ReturnType<typeof declareVariables>['specs'];
}

function prepare(rules: readonly RuleSource[], macros: readonly MacroSource[], ctx: FilterContext): Prepared {
  const active = macros.filter((m) => {
    try {
      return filteredOut(m.filters, ctx) === null;
    } catch {
      return true;
    }
  });
  const table: Map<string, MacroDef> = macroTable(active);
  const declared = declareVariables(rules.filter((r) => !r.disabled), { macros: table });
  return { env: { macros: table, variables: declared.decls }, variableErrors: declared.errors, specs: declared.specs };
}

interface CheckedRule {
  checked: CheckedExpression;
  eventType: SeclEventType;
}

function checkOne(rule: RuleSource, env: CheckEnv): CheckedRule {
  const ast = parseExpression(rule.expression);
  const checked = checkAst(ast, rule.expression, env);
  if (checked.node.type !== 'bool' && checked.node.type !== 'any') {
    throw new SeclError('not_boolean', `a rule must be a boolean expression, this one is a ${checked.node.type}`, rule.expression, 0);
  }
  if (!checked.eventType) {
    throw new SeclError('no_event_type', 'the rule reads no event-specific field (exec.*, open.*, dns.*, ...), so it has no event type', rule.expression, 0);
  }
  return { checked, eventType: checked.eventType };
}

function failure(id: string, e: unknown): RuleError {
  if (!(e instanceof SeclError)) throw e;
  const missing = missingMacrosOf(e);
  return { id, error: e, ...(missing ? { missingMacros: missing } : {}) };
}

/**
 * Checks rules against macros without compiling them for evaluation. A rule that uses an
 * undefined macro reports it in `missingMacros`, so the caller can re-check when it appears.
 */
export function checkRules(rules: readonly RuleSource[], macros: readonly MacroSource[], options: CompileOptions = {}): RuleCheckResult[] {
  const ctx = options.filterContext ?? LINUX;
  const prep = prepare(rules, macros, ctx);
  const seen = new Set<string>();
  return rules.map((rule): RuleCheckResult => {
    try {
      if (seen.has(rule.id)) throw new SeclError('duplicate_id', `duplicate rule id ${rule.id}`, '', -1, `rule ${rule.id}`);
      seen.add(rule.id);
      const varError = prep.variableErrors.get(rule.id);
      if (varError) throw varError;
      const { eventType } = checkOne(rule, prep.env);
      compileActions(rule.id, rule.actions ?? [], prep.env, eventType);
      if (rule.every !== undefined) parseDuration(rule.every, `rule ${rule.id} every`);
      return { id: rule.id, ok: true, eventType };
    } catch (e) {
      return { ...failure(rule.id, e), ok: false };
    }
  });
}

interface RunnableRule {
  info: RuleInfo;
  fn: BoolFn;
  actions: CompiledAction[];
  every: number;
  checked: CheckedExpression;
  slots: number;
}

const SEVERITIES: readonly Severity[] = ['info', 'low', 'medium', 'high', 'critical'];

class Ruleset implements CompiledRuleset {
  readonly rules: RuleInfo[] = [];
  readonly errors: RuleError[] = [];
  readonly skipped: { id: string; reason: string }[] = [];
  private readonly buckets = new Map<SeclEventType, RunnableRule[]>();
  private readonly lastFired = new Map<string, number>();
  private readonly vars: VariableStore;
  private readonly counters: RulesetStats = { evaluated: 0, matched: 0, rateLimited: {}, actionErrors: {} };
  private plan: FilterPlan | undefined;
  private discarders: ((ev: SeclEvent) => boolean) | undefined;
  private regs: number[] = [];

  constructor(sources: { rules: readonly RuleSource[]; macros: readonly MacroSource[] }, options: CompileOptions) {
    const ctx = options.filterContext ?? LINUX;
    const active: RuleSource[] = [];
    for (const r of sources.rules) {
      if (r.disabled) { this.skipped.push({ id: r.id, reason: 'disabled' }); continue; }
      try {
        const why = filteredOut(r.filters, ctx);
        if (why) { this.skipped.push({ id: r.id, reason: why }); continue; }
      } catch (e) {
        this.errors.push(failure(r.id, e));
        continue;
      }
      active.push(r);
    }
    const prep = prepare(active, sources.macros, ctx);
    this.vars = new VariableStore(prep.specs);
    const seen = new Set<string>();
    let maxSlots = 0;
    for (const rule of active) {
      try {
        if (seen.has(rule.id)) throw new SeclError('duplicate_id', `duplicate rule id ${rule.id}`, '', -1, `rule ${rule.id}`);
        seen.add(rule.id);
        const varError = prep.variableErrors.get(rule.id);
        if (varError) throw varError;
        const { checked, eventType } = checkOne(rule, prep.env);
        const compiler = new Compiler(checked.registers);
        const fn = compiler.withRegisters(compiler.bool(checked.node).fn);
        const actions = compileActions(rule.id, rule.actions ?? [], prep.env, eventType);
        const every = rule.every !== undefined ? parseDuration(rule.every, `rule ${rule.id} every`) : 0;
        const info: RuleInfo = {
          id: rule.id,
          eventType,
          severity: rule.severity && SEVERITIES.includes(rule.severity) ? rule.severity : 'medium',
          tags: rule.tags ?? {},
          description: rule.description ?? '',
          version: rule.version ?? '',
          silent: rule.silent === true,
        };
        maxSlots = Math.max(maxSlots, compiler.slots.size);
        const runnable: RunnableRule = { info, fn, actions, every, checked, slots: compiler.slots.size };
        const bucket = this.buckets.get(eventType) ?? [];
        bucket.push(runnable);
        this.buckets.set(eventType, bucket);
        this.rules.push(info);
      } catch (e) {
        this.errors.push(failure(rule.id, e));
      }
    }
    this.regs = new Array<number>(maxSlots).fill(0);
  }

  evaluate(ev: SeclEvent): Match[] {
    this.counters.evaluated++;
    const bucket = this.buckets.get(ev.type);
    if (!bucket) return [];
    const ctx: EvalCtx = { ev, now: ev.timestamp, regs: this.regs, vars: this.vars };
    let out: Match[] | undefined;
    for (const rule of bucket) {
      if (!rule.fn(ctx)) continue;
      if (rule.every > 0) {
        const last = this.lastFired.get(rule.info.id);
        if (last !== undefined && ev.timestamp - last < rule.every) {
          this.counters.rateLimited[rule.info.id] = (this.counters.rateLimited[rule.info.id] ?? 0) + 1;
          continue;
        }
        this.lastFired.set(rule.info.id, ev.timestamp);
      }
      const done: MatchAction[] = [];
      for (const a of rule.actions) {
        try {
          if (a.filter && !a.filter(ctx)) continue;
          a.set?.(ctx, this.vars);
          done.push(a.report);
        } catch {
          this.counters.actionErrors[rule.info.id] = (this.counters.actionErrors[rule.info.id] ?? 0) + 1;
        }
      }
      this.counters.matched++;
      (out ??= []).push({ ruleId: rule.info.id, rule: rule.info, actions: done });
    }
    if (ev.type === 'exit') this.vars.releaseProcess(ev);
    return out ?? [];
  }

  eventTypes(): SeclEventType[] {
    return [...this.buckets.keys()].sort();
  }

  /** The checked rules of an event type, for the filter planner. */
  checkedRules(type: SeclEventType): readonly CheckedExpression[] {
    return (this.buckets.get(type) ?? []).map((r) => r.checked);
  }

  filterPlan(): FilterPlan {
    this.plan ??= buildFilterPlan(this);
    return this.plan;
  }

  isDiscarder(ev: SeclEvent): boolean {
    this.discarders ??= buildDiscarders(this);
    return this.discarders(ev);
  }

  stats(): RulesetStats {
    return structuredClone(this.counters);
  }
}

/** Compiles a ruleset. Never throws on a bad rule: see `.errors`. */
export function compileRuleset(sources: { rules: readonly RuleSource[]; macros?: readonly MacroSource[] }, options: CompileOptions = {}): CompiledRuleset {
  return new Ruleset({ rules: sources.rules, macros: sources.macros ?? [] }, options);
}
