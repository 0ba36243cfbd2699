// SECL checker: resolves every name (constant, macro, field, variable), expands macros
// (without cycles), gives every node a type, checks that operators fit their operands,
// and infers the rule's single event type. Its output, the typed tree, is what the
// compiler turns into closures and what the filter planner reads.

import type { Ast, CompareOp, MembershipOp } from './ast.ts';
import { parseCidr } from './cidr.ts';
import { BOOL_CONSTANTS, INT_CONSTANTS } from './constants.ts';
import { inMacro, SeclError, type SeclErrorCode } from './errors.ts';
import type { SeclEventType } from './event.ts';
import { FIELDS, getField, isDatadogField, type FieldDef, type IteratorDef, type ValueType } from './model.ts';
import { parseExpression, parseMacroExpression } from './parser.ts';
import { compileRegex, type Regex } from './regex.ts';
import type { VariableScope } from './types.ts';

/** 'any' stands for a missing macro, so checking can go on and list every missing one. */
export type TType = ValueType | 'any';

interface TBase {
  pos: number;
  end: number;
  type: TType;
  array: boolean;
}

export type TNode =
  | (TBase & { k: 'field'; field: FieldDef; reg?: string })
  | (TBase & { k: 'var'; name: string; scope: VariableScope; builtin?: 'uuid4' })
  | (TBase & { k: 'const'; value: string | number | boolean; duration?: boolean })
  | (TBase & { k: 'pattern'; value: string })
  | (TBase & { k: 'regex'; value: string; re: Regex })
  | (TBase & { k: 'cidr'; value: string })
  | (TBase & { k: 'interp'; parts: (string | TNode)[] })
  | (TBase & { k: 'list'; items: TNode[] })
  | (TBase & { k: 'not'; x: TNode })
  | (TBase & { k: 'and' | 'or'; items: TNode[] })
  | (TBase & { k: 'cmp'; op: CompareOp; a: TNode; b: TNode })
  | (TBase & { k: 'in'; op: MembershipOp; a: TNode; b: TNode })
  | (TBase & { k: 'bit'; op: '&' | '|' | '^'; a: TNode; b: TNode })
  | (TBase & { k: 'arith'; op: '+' | '-'; a: TNode; b: TNode })
  | (TBase & { k: 'neg' | 'bnot'; x: TNode })
  | (TBase & { k: 'missing'; name: string });

export interface VarDecl {
  /** Name as referenced: "correlation_key" (global) or "process.correlation_key". */
  ref: string;
  scope: VariableScope;
  type: ValueType;
  array: boolean;
}

export interface MacroDef {
  id: string;
  src: string;
  /** Parsed body, or why it does not parse. */
  ast?: Ast;
  error?: SeclError;
}

export interface CheckEnv {
  macros: ReadonlyMap<string, MacroDef>;
  variables: ReadonlyMap<string, VarDecl>;
}

export interface CheckedExpression {
  node: TNode;
  /** The event type inferred from the fields, undefined when only common fields are used. */
  eventType?: SeclEventType;
  /** Register name -> iterator, for `process.ancestors[A].x`. */
  registers: Map<string, IteratorDef>;
  /** Every field the expression reads. */
  fields: Set<string>;
}

/** Builds the macro table from sources; bodies are parsed once, here. */
export function macroTable(macros: readonly { id: string; expression?: string; values?: string[] }[]): Map<string, MacroDef> {
  const out = new Map<string, MacroDef>();
  for (const m of macros) {
    const src = m.expression ?? `[${(m.values ?? []).map((v) => JSON.stringify(v)).join(', ')}]`;
    try {
      out.set(m.id, { id: m.id, src, ast: parseMacroExpression(src) });
    } catch (e) {
      if (!(e instanceof SeclError)) throw e;
      out.set(m.id, { id: m.id, src, error: inMacro(e, m.id) });
    }
  }
  return out;
}

const BUILTIN_VARIABLES: Record<string, { field?: string; builtin?: 'uuid4' }> = {
  'process.pid': { field: 'process.pid' },
  'builtins.uuid4': { builtin: 'uuid4' },
};

function levenshtein(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
      cur.push(v);
      best = Math.min(best, v);
    }
    if (best > limit) return limit + 1;
    prev = cur;
  }
  return prev[b.length] as number;
}

/** Up to three known field names closest to `name`. */
export function nearestFields(name: string): string[] {
  const limit = Math.max(3, Math.floor(name.length / 4));
  const scored: [number, string][] = [];
  for (const f of FIELDS.keys()) {
    const d = levenshtein(name, f, limit);
    if (d <= limit) scored.push([d, f]);
  }
  const lastSeg = name.slice(name.lastIndexOf('.') + 1);
  if (scored.length === 0) {
    const head = name.split('.')[0] ?? '';
    for (const f of FIELDS.keys()) if (f.startsWith(`${head}.`) && f.endsWith(`.${lastSeg}`)) scored.push([limit + 1, f]);
  }
  return scored.sort((x, y) => x[0] - y[0] || x[1].localeCompare(y[1])).slice(0, 3).map(([, f]) => f);
}

const isStringish = (n: TNode): boolean => n.type === 'string' || n.type === 'any';
const isMatcher = (n: TNode): boolean => n.k === 'pattern' || n.k === 'regex';
const sameType = (a: TType, b: TType): boolean => a === b || a === 'any' || b === 'any';

class Checker {
  private readonly eventTypes: { type: SeclEventType; pos: number; name: string }[] = [];
  private readonly missing: { name: string; pos: number }[] = [];
  readonly registers = new Map<string, IteratorDef>();
  readonly fields = new Set<string>();
  private readonly expanding: string[] = [];

  constructor(private readonly env: CheckEnv, private src: string) {}

  fail(code: SeclErrorCode, msg: string, pos: number): never {
    throw new SeclError(code, msg, this.src, pos);
  }

  run(ast: Ast): CheckedExpression {
    const node = this.check(ast);
    if (this.missing.length > 0) {
      const names = [...new Set(this.missing.map((m) => m.name))];
      const first = this.missing[0] as { pos: number };
      const err = new SeclError('unknown_macro', `unknown macro${names.length > 1 ? 's' : ''} ${names.join(', ')}`, this.src, first.pos);
      throw Object.assign(err, { missingMacros: names });
    }
    const types = [...new Set(this.eventTypes.map((e) => e.type))];
    if (types.length > 1) {
      const first = this.eventTypes[0] as { type: SeclEventType; name: string };
      const other = this.eventTypes.find((e) => e.type !== first.type) as { type: SeclEventType; pos: number; name: string };
      this.fail('multiple_event_types', `rule mixes event types ${first.type} (${first.name}) and ${other.type} (${other.name})`, other.pos);
    }
    return {
      node,
      ...(types[0] ? { eventType: types[0] } : {}),
      registers: this.registers,
      fields: this.fields,
    };
  }

  private check(a: Ast): TNode {
    switch (a.kind) {
      case 'ident': return this.ident(a.name, a.pos, a.end);
      case 'string': return this.stringLiteral(a.value, a.pos, a.end);
      case 'pattern': return { k: 'pattern', value: a.value, type: 'string', array: false, pos: a.pos, end: a.end };
      case 'regex': {
        let re: Regex;
        try {
          re = compileRegex(a.value);
        } catch (e) {
          if (e instanceof SeclError) this.fail('invalid_regex', e.reason, a.pos);
          throw e;
        }
        return { k: 'regex', value: a.value, re, type: 'string', array: false, pos: a.pos, end: a.end };
      }
      case 'int': return { k: 'const', value: a.value, type: 'int', array: false, pos: a.pos, end: a.end };
      case 'duration': return { k: 'const', value: a.ns, duration: true, type: 'int', array: false, pos: a.pos, end: a.end };
      case 'ip': return { k: 'const', value: a.value, type: 'ip', array: false, pos: a.pos, end: a.end };
      case 'cidr':
        if (!parseCidr(a.value)) this.fail('invalid_ip', `invalid CIDR "${a.value}"`, a.pos);
        return { k: 'cidr', value: a.value, type: 'ip', array: false, pos: a.pos, end: a.end };
      case 'variable': return this.variable(a.name, a.pos, a.end);
      case 'array': return this.list(a.items, a.pos, a.end);
      case 'unary': return this.unary(a);
      case 'logical': {
        const left = this.check(a.left);
        const right = this.check(a.right);
        for (const s of [left, right]) this.expectBool(s, `operator ${a.op}`);
        const k = a.op === '&&' ? 'and' : 'or';
        return { k, items: [left, right], type: 'bool', array: false, pos: a.pos, end: a.end };
      }
      case 'bitwise':
      case 'arith': {
        const left = this.check(a.left);
        const right = this.check(a.right);
        for (const s of [left, right]) {
          if (!sameType(s.type, 'int') || s.array) this.fail('type_mismatch', `operator ${a.op} needs integers, got ${describe(s)}`, s.pos);
        }
        if (left.k === 'const' && right.k === 'const') {
          const value = intOp(a.op, left.value as number, right.value as number);
          return { k: 'const', value, type: 'int', array: false, pos: a.pos, end: a.end };
        }
        if (a.kind === 'bitwise') return { k: 'bit', op: a.op, a: left, b: right, type: 'int', array: false, pos: a.pos, end: a.end };
        return { k: 'arith', op: a.op, a: left, b: right, type: 'int', array: false, pos: a.pos, end: a.end };
      }
      case 'compare': return this.compare(a.op, this.check(a.left), this.check(a.right), a.pos, a.end, a.opPos);
      case 'membership': return this.membership(a.op, this.check(a.left), this.check(a.right), a.pos, a.end, a.opPos);
    }
  }

  private expectBool(n: TNode, what: string): void {
    if (!sameType(n.type, 'bool')) this.fail('type_mismatch', `${what} needs a boolean, got ${describe(n)}`, n.pos);
  }

  private unary(a: Extract<Ast, { kind: 'unary' }>): TNode {
    const x = this.check(a.operand);
    if (a.op === '!') {
      this.expectBool(x, 'operator !');
      return { k: 'not', x, type: 'bool', array: false, pos: a.pos, end: a.end };
    }
    if (!sameType(x.type, 'int') || x.array) this.fail('type_mismatch', `operator ${a.op} needs an integer, got ${describe(x)}`, x.pos);
    if (x.k === 'const') {
      const v = x.value as number;
      return { k: 'const', value: a.op === '-' ? -v : intOp('^', v, -1), type: 'int', array: false, pos: a.pos, end: a.end };
    }
    return { k: a.op === '-' ? 'neg' : 'bnot', x, type: 'int', array: false, pos: a.pos, end: a.end };
  }

  private stringLiteral(value: string, pos: number, end: number): TNode {
    if (!value.includes('${')) return { k: 'const', value, type: 'string', array: false, pos, end };
    const parts: (string | TNode)[] = [];
    let rest = value;
    for (;;) {
      const at = rest.indexOf('${');
      const close = at < 0 ? -1 : rest.indexOf('}', at);
      if (at < 0 || close < 0) {
        if (rest) parts.push(rest);
        break;
      }
      if (at > 0) parts.push(rest.slice(0, at));
      const v = this.variable(rest.slice(at + 2, close), pos, end);
      if (v.array) this.fail('type_mismatch', `variable ${rest.slice(at, close + 1)} is a list and cannot be part of a string`, pos);
      parts.push(v);
      rest = rest.slice(close + 1);
    }
    return { k: 'interp', parts, type: 'string', array: false, pos, end };
  }

  private variable(name: string, pos: number, end: number): TNode {
    const builtin = BUILTIN_VARIABLES[name];
    if (builtin?.field) return this.field(builtin.field, pos, end);
    if (builtin?.builtin) return { k: 'var', name, scope: 'global', builtin: builtin.builtin, type: 'string', array: false, pos, end };
    const decl = this.env.variables.get(name);
    if (!decl) this.fail('unknown_variable', `unknown variable \${${name}}: no rule sets it`, pos);
    return { k: 'var', name: decl.ref, scope: decl.scope, type: decl.type, array: decl.array, pos, end };
  }

  private ident(name: string, pos: number, end: number): TNode {
    const int = INT_CONSTANTS.get(name);
    if (int !== undefined) return { k: 'const', value: int, type: 'int', array: false, pos, end };
    const bool = BOOL_CONSTANTS.get(name);
    if (bool !== undefined) return { k: 'const', value: bool, type: 'bool', array: false, pos, end };
    const macro = this.env.macros.get(name);
    if (macro) return this.expandMacro(macro, pos, end);
    if (!name.includes('.')) {
      this.missing.push({ name, pos });
      return { k: 'missing', name, type: 'any', array: false, pos, end };
    }
    return this.field(name, pos, end);
  }

  private expandMacro(m: MacroDef, pos: number, end: number): TNode {
    if (this.expanding.includes(m.id)) {
      this.fail('macro_cycle', `macro cycle: ${[...this.expanding, m.id].join(' -> ')}`, pos);
    }
    if (m.error || !m.ast) {
      const why = m.error?.summary() ?? 'does not parse';
      this.fail('invalid_macro', `macro ${m.id} is invalid: ${why}`, pos);
    }
    const outer = this.src;
    this.expanding.push(m.id);
    this.src = m.src;
    let node: TNode;
    try {
      node = this.check(m.ast);
    } catch (e) {
      // Errors inside the body point into the macro text; cycles are reported at the use.
      if (e instanceof SeclError && e.code !== 'macro_cycle' && !e.source && e.expression === m.src) throw inMacro(e, m.id);
      throw e;
    } finally {
      this.expanding.pop();
      this.src = outer;
    }
    // The use site, not the macro body, is where later errors about this value point.
    return { ...node, pos, end };
  }

  private field(raw: string, pos: number, end: number): TNode {
    let name = raw;
    let reg: string | undefined;
    const m = /^([a-z_.]+)\[([A-Za-z_][A-Za-z0-9_]*)\]\.([a-z_.]+)$/.exec(raw);
    if (m) {
      name = `${m[1]}.${m[3]}`;
      reg = m[2] === '_' ? undefined : m[2];
    } else if (raw.includes('[') || raw.includes(']')) {
      this.fail('invalid_register', `malformed register in "${raw}", expected iterator[NAME].field`, pos);
    }
    const f = getField(name);
    if (!f) {
      if (isDatadogField(name)) this.fail('unsupported_field', `field ${name} is not supported yet`, pos);
      const near = nearestFields(name);
      this.fail('unknown_field', `unknown field ${name}${near.length ? `; did you mean ${near.join(', ')}?` : ''}`, pos);
    }
    this.fields.add(f.name);
    if (f.eventType !== '*') this.eventTypes.push({ type: f.eventType, pos, name });
    if (m && reg !== undefined) {
      if (!f.iterator || f.iterator.name !== m[1]) this.fail('invalid_register', `${m[1]} is not an iterator`, pos);
      const bound = this.registers.get(reg);
      if (bound && bound !== f.iterator) this.fail('invalid_register', `register ${reg} is used with ${bound.name} and ${f.iterator.name}`, pos);
      this.registers.set(reg, f.iterator);
      return { k: 'field', field: f, reg, type: f.type, array: f.elementArray ?? false, pos, end };
    }
    return { k: 'field', field: f, type: f.type, array: f.array, pos, end };
  }

  private list(items: Ast[], pos: number, end: number): TNode {
    const checked = items.map((i) => this.check(i));
    let type: TType = 'any';
    for (const c of checked) {
      if (c.array || !(c.k === 'const' || c.k === 'pattern' || c.k === 'regex' || c.k === 'cidr' || c.k === 'interp')) {
        this.fail('type_mismatch', `list members must be literals, got ${describe(c)}`, c.pos);
      }
      if (type === 'any') type = c.type;
      else if (!sameType(type, c.type)) this.fail('type_mismatch', `list mixes ${type} and ${c.type} values`, c.pos);
    }
    return { k: 'list', items: checked, type, array: true, pos, end };
  }

  private compare(op: CompareOp, a0: TNode, b0: TNode, pos: number, end: number, opPos: number): TNode {
    let a = a0, b = b0;
    // Keep the matcher (pattern, regex) on the right.
    if (isMatcher(a) && !isMatcher(b)) [a, b] = [b, a];
    const out = (x: TNode, y: TNode): TNode => ({ k: 'cmp', op, a: x, b: y, type: 'bool', array: false, pos, end });
    if (a.k === 'list' || b.k === 'list') this.fail('type_mismatch', `operator ${op} compares single values; use in [...] for lists`, opPos);
    if (a.array && b.array) this.fail('type_mismatch', `operator ${op} cannot compare two lists (${describe(a)}, ${describe(b)})`, opPos);
    if (op === '=~' || op === '!~') {
      if (!isStringish(a) || isMatcher(a)) this.fail('type_mismatch', `operator ${op} needs a string on the left, got ${describe(a)}`, a.pos);
      if (b.k === 'const' && b.type === 'string') {
        return out(a, { k: 'pattern', value: b.value as string, type: 'string', array: false, pos: b.pos, end: b.end });
      }
      if (!isMatcher(b) && b.type !== 'any') this.fail('invalid_operator', `operator ${op} needs a pattern or regex on the right, got ${describe(b)}`, b.pos);
      return out(a, b);
    }
    if (isMatcher(a)) this.fail('type_mismatch', 'cannot compare two patterns', opPos);
    if (isMatcher(b)) {
      if (op !== '==' && op !== '!=') this.fail('invalid_operator', `operator ${op} does not apply to patterns`, opPos);
      if (!isStringish(a)) this.fail('type_mismatch', `cannot match ${describe(a)} against a pattern`, a.pos);
      return out(a, b);
    }
    if (a.type === 'any' || b.type === 'any') return out(a, b);
    if (b.k === 'cidr' || a.k === 'cidr') {
      const ip = b.k === 'cidr' ? a : b;
      const cidr = b.k === 'cidr' ? b : a;
      if (ip.type !== 'ip' || (op !== '==' && op !== '!=')) this.fail('type_mismatch', `operator ${op} cannot compare ${describe(ip)} with a CIDR`, opPos);
      return out(ip, cidr);
    }
    if (a.type !== b.type) this.fail('type_mismatch', `cannot compare ${describe(a)} with ${describe(b)}`, opPos);
    const ordered = op === '<' || op === '<=' || op === '>' || op === '>=';
    if (ordered && a.type !== 'int') this.fail('invalid_operator', `operator ${op} needs integers, got ${describe(a)}`, opPos);
    const dur = a.k === 'const' && a.duration ? a : b.k === 'const' && b.duration ? b : undefined;
    if (dur) {
      const other = dur === a ? b : a;
      const isTs = other.k === 'field' && other.field.timestamp;
      if (!isTs && !(other.k === 'const' && other.duration)) {
        this.fail('type_mismatch', `a duration compares with a time field (created_at, change_time, ...), got ${describe(other)}`, other.pos);
      }
    }
    return out(a, b);
  }

  private membership(op: MembershipOp, a: TNode, b: TNode, pos: number, end: number, opPos: number): TNode {
    const out: TNode = { k: 'in', op, a, b, type: 'bool', array: false, pos, end };
    if (a.k === 'list') this.fail('type_mismatch', `the left side of ${op} must be a value or a field, got a list`, a.pos);
    if (isMatcher(a)) this.fail('type_mismatch', `the left side of ${op} cannot be a pattern`, a.pos);
    if (!(b.k === 'list' || b.k === 'cidr' || b.array || b.k === 'var' || b.k === 'missing')) {
      this.fail('type_mismatch', `${op} needs a list on the right, got ${describe(b)}`, b.pos);
    }
    if (a.type === 'any' || b.type === 'any') return out;
    if (a.type !== b.type) this.fail('type_mismatch', `cannot look for ${describe(a)} in ${describe(b)}`, opPos);
    if (b.k === 'list' && a.type !== 'string' && b.items.some(isMatcher)) {
      this.fail('type_mismatch', `patterns only match strings, not ${describe(a)}`, opPos);
    }
    return out;
  }
}

export function intOp(op: '&' | '|' | '^' | '+' | '-', a: number, b: number): number {
  if (op === '+') return a + b;
  if (op === '-') return a - b;
  if (a >= 0 && b >= 0 && a <= 0x7fffffff && b <= 0x7fffffff) return op === '&' ? a & b : op === '|' ? a | b : a ^ b;
  // 64-bit masks do not fit JS's 32-bit bitwise operators: high and low words apart.
  const ah = Math.floor(a / 2 ** 32), bh = Math.floor(b / 2 ** 32);
  const al = a >>> 0, bl = b >>> 0;
  const hi = op === '&' ? ah & bh : op === '|' ? ah | bh : ah ^ bh;
  const lo = op === '&' ? al & bl : op === '|' ? al | bl : al ^ bl;
  return (hi | 0) * 2 ** 32 + (lo >>> 0);
}

function describe(n: TNode): string {
  const what = n.k === 'field' ? n.field.name : n.k === 'var' ? `\${${n.name}}` : n.k === 'const' ? JSON.stringify(n.value) : n.k;
  const t = n.k === 'pattern' ? 'pattern' : n.k === 'regex' ? 'regex' : n.k === 'cidr' ? 'CIDR' : `${n.type}${n.array ? ' list' : ''}`;
  return n.k === 'field' || n.k === 'var' || n.k === 'const' ? `${what} (${t})` : t;
}

/** Checks a parsed expression. Throws SeclError; `missingMacros` is set on unknown_macro errors. */
export function checkAst(ast: Ast, src: string, env: CheckEnv): CheckedExpression {
  return new Checker(env, src).run(ast);
}

/** Parses and checks an expression. Throws SeclError. */
export function checkExpression(src: string, env: CheckEnv): CheckedExpression {
  return checkAst(parseExpression(src), src, env);
}

/** The missing macro names attached to an unknown_macro error, if any. */
export function missingMacrosOf(e: SeclError): string[] | undefined {
  return (e as SeclError & { missingMacros?: string[] }).missingMacros;
}
