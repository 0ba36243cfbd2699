// Rule actions: `set` (variables), `kill`, `hash`, `coredump`, `log`, each with an optional
// `filter` expression. Variables are declared by the set actions of the whole ruleset: a
// rule may read a variable another rule sets.

import { checkExpression, type CheckEnv, type TNode, type VarDecl } from './checker.ts';
import { Compiler, type BoolFn, type EvalCtx } from './compiler.ts';
import { SIGNALS } from './constants.ts';
import { parseDuration } from './duration.ts';
import { SeclError } from './errors.ts';
import type { SeclEventType } from './event.ts';
import { getField, type ValueType } from './model.ts';
import type { ActionSource, MatchAction, SetActionSource, VariableScope, VariableValue } from './types.ts';
import type { VariableSpec, VariableStore } from './variables.ts';

export interface CompiledAction {
  filter?: BoolFn;
  /** Applies a set action. */
  set?: (c: EvalCtx, store: VariableStore) => void;
  /** What the match reports for the sensor to carry out. */
  report: MatchAction;
}

/** The name a rule uses to read a variable: `process.x`, `cgroup.x`, `container.x`, or `x`. */
export function variableRef(set: Pick<SetActionSource, 'name' | 'scope'>): string {
  return set.scope ? `${set.scope}.${set.name}` : set.name;
}

function typeOfValue(v: VariableValue): { type: ValueType; array: boolean } | null {
  if (Array.isArray(v)) {
    const first = v[0];
    return first === undefined ? { type: 'string', array: true } : { ...(typeOfValue(first) ?? { type: 'string' }), array: true };
  }
  if (typeof v === 'string') return { type: 'string', array: false };
  if (typeof v === 'boolean') return { type: 'bool', array: false };
  if (typeof v === 'number' && Number.isInteger(v)) return { type: 'int', array: false };
  return null;
}

function zero(type: ValueType, array: boolean): VariableValue {
  if (array) return [];
  return type === 'int' ? 0 : type === 'bool' ? false : '';
}

function actionError(ruleId: string, index: number, msg: string): SeclError {
  return new SeclError('invalid_action', msg, '', -1, `rule ${ruleId} actions[${index}]`);
}

export interface DeclaredVariables {
  decls: Map<string, VarDecl>;
  specs: Map<string, VariableSpec>;
  /** Declaration conflicts, by rule id. */
  errors: Map<string, SeclError>;
}

/**
 * Declares every variable the rules' set actions write. Types come from `value`,
 * `default_value` or `field`; then from `expression` (which may read other variables).
 */
export function declareVariables(rules: readonly { id: string; actions?: ActionSource[] }[], env: Omit<CheckEnv, 'variables'>): DeclaredVariables {
  const decls = new Map<string, VarDecl>();
  const specs = new Map<string, VariableSpec>();
  const errors = new Map<string, SeclError>();
  const pending: { ruleId: string; index: number; set: SetActionSource }[] = [];
  const declare = (ruleId: string, index: number, set: SetActionSource, t: { type: ValueType; array: boolean }): void => {
    const ref = variableRef(set);
    const array = t.array || set.append === true;
    const prev = decls.get(ref);
    if (prev && (prev.type !== t.type || prev.array !== array)) {
      errors.set(ruleId, actionError(ruleId, index, `variable ${ref} is ${prev.type}${prev.array ? ' list' : ''} elsewhere, ${t.type}${array ? ' list' : ''} here`));
      return;
    }
    const scope: VariableScope = set.scope ?? 'global';
    decls.set(ref, { ref, scope, type: t.type, array });
    const dv = set.default_value ?? zero(t.type, array);
    const defaultValue = array && !Array.isArray(dv) ? ([dv] as VariableValue) : dv;
    specs.set(ref, { scope, array, inherited: set.inherited === true || specs.get(ref)?.inherited === true, defaultValue });
  };
  rules.forEach((r) => (r.actions ?? []).forEach((a, index) => {
    const set = a.set;
    if (!set) return;
    const fromValue = set.value !== undefined ? typeOfValue(set.value) : set.default_value !== undefined && set.default_value !== '' ? typeOfValue(set.default_value) : null;
    const f = set.field ? getField(set.field) : undefined;
    if (fromValue) declare(r.id, index, set, fromValue);
    else if (f) declare(r.id, index, set, { type: f.type, array: f.array });
    else if (set.expression !== undefined) pending.push({ ruleId: r.id, index, set });
    else if (set.default_value !== undefined) declare(r.id, index, set, typeOfValue(set.default_value) ?? { type: 'string', array: false });
  }));
  // Expressions may read variables declared above (or by other expressions): a few rounds.
  for (let round = 0; round < 3 && pending.length > 0; round++) {
    for (let k = pending.length - 1; k >= 0; k--) {
      const p = pending[k] as (typeof pending)[number];
      try {
        const checked = checkExpression(p.set.expression as string, { ...env, variables: decls });
        declare(p.ruleId, p.index, p.set, { type: checked.node.type === 'any' ? 'string' : checked.node.type, array: checked.node.array });
        pending.splice(k, 1);
      } catch {
        // retried next round; reported when the rule's actions are compiled
      }
    }
  }
  return { decls, specs, errors };
}

function compileSetValue(ruleId: string, index: number, set: SetActionSource, env: CheckEnv, eventType: SeclEventType): (c: EvalCtx) => VariableValue {
  if (set.value !== undefined) {
    const v = set.value;
    return () => v;
  }
  const src = set.field ?? set.expression;
  if (src === undefined) throw actionError(ruleId, index, `set ${set.name}: needs value, field or expression`);
  const node = checkActionExpression(src, env, eventType, `rule ${ruleId} actions[${index}].set.${set.field ? 'field' : 'expression'}`);
  const fn = new Compiler().value(node).fn;
  return fn as (c: EvalCtx) => VariableValue;
}

function checkActionExpression(src: string, env: CheckEnv, eventType: SeclEventType, where: string): TNode {
  try {
    const checked = checkExpression(src, env);
    if (checked.eventType && checked.eventType !== eventType) {
      throw new SeclError('multiple_event_types', `reads ${checked.eventType} fields in a ${eventType} rule`, src, 0);
    }
    if (checked.registers.size > 0) throw new SeclError('invalid_register', 'registers are not allowed in actions', src, 0);
    return checked.node;
  } catch (e) {
    if (e instanceof SeclError && !e.source) throw new SeclError(e.code, e.reason, e.expression, e.pos, where);
    throw e;
  }
}

/** Compiles a rule's actions. Throws SeclError (invalid_action or an expression error). */
export function compileActions(ruleId: string, actions: readonly ActionSource[], env: CheckEnv, eventType: SeclEventType): CompiledAction[] {
  return actions.map((a, index) => {
    const kinds = (['set', 'kill', 'hash', 'coredump', 'log'] as const).filter((k) => a[k] !== undefined);
    if (kinds.length !== 1) throw actionError(ruleId, index, `an action has exactly one of set, kill, hash, coredump, log (got ${kinds.join(', ') || 'none'})`);
    let filter: BoolFn | undefined;
    if (a.filter !== undefined) {
      const node = checkActionExpression(a.filter, env, eventType, `rule ${ruleId} actions[${index}].filter`);
      if (node.type !== 'bool' || node.array) throw actionError(ruleId, index, 'filter must be a boolean expression');
      filter = new Compiler().bool(node).fn;
    }
    const withFilter = (x: Omit<CompiledAction, 'filter'>): CompiledAction => (filter ? { ...x, filter } : x);
    if (a.set) {
      const set = a.set;
      if (!set.name || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(set.name)) throw actionError(ruleId, index, `set: invalid variable name "${set.name}"`);
      if (set.scope_field !== undefined) throw actionError(ruleId, index, 'set: scope_field is not supported yet');
      const ref = variableRef(set);
      const decl = env.variables.get(ref);
      if (!decl) throw actionError(ruleId, index, `set ${ref}: cannot infer the variable's type`);
      const value = compileSetValue(ruleId, index, set, env, eventType);
      const ttl = set.ttl !== undefined ? parseDuration(set.ttl, `rule ${ruleId} actions[${index}].set.ttl`) : 0;
      const opts = { append: set.append === true, ttl, ...(set.size ? { size: set.size } : {}) };
      return withFilter({
        set: (c, store) => store.set(ref, value(c), c.ev, c.now, opts),
        report: { kind: 'set', name: set.name, scope: decl.scope },
      });
    }
    if (a.kill) {
      const signal = SIGNALS[a.kill.signal];
      if (signal === undefined) throw actionError(ruleId, index, `kill: unknown signal "${a.kill.signal}"`);
      const scope = a.kill.scope ?? 'process';
      if (scope !== 'process' && scope !== 'container') throw actionError(ruleId, index, `kill: scope must be process or container, not "${String(scope)}"`);
      return withFilter({ report: { kind: 'kill', signal, signalName: a.kill.signal, scope } });
    }
    if (a.hash) return withFilter({ report: { kind: 'hash', field: a.hash.field ?? 'process.file' } });
    if (a.coredump) return withFilter({ report: { kind: 'coredump' } });
    const log = a.log ?? {};
    return withFilter({ report: { kind: 'log', level: log.level ?? 'info', message: log.message ?? '' } });
  });
}
