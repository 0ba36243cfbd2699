// SECL compiler: typed tree -> closures over field accessors. Each compiled node carries a
// weight; the operands of && and || run cheapest first (they are pure, so order does not
// change the result). Lists become Sets plus the few matchers that need scanning; patterns
// and regexes are compiled once, here.
//
// Semantics of list-valued fields (argv, args_flags, process.ancestors.*): `==`, `=~`,
// `<`... hold when one element does; `!=` and `!~` when none does; `in` when one element is
// in the list, `not in` when none is, `allin` when all are.

import { cidrContains, parseCidr, parseIp, type Cidr } from './cidr.ts';
import { intOp, type TNode } from './checker.ts';
import { emptyProcess, type ProcessContext, type SeclEvent } from './event.ts';
import { compileGlob, compilePattern, type Matcher } from './glob.ts';
import type { IteratorDef } from './model.ts';
import type { VariableScope } from './types.ts';

/** What a variable lookup needs; implemented by VariableStore. */
export interface VariableReader {
  get(name: string, scope: VariableScope, ctx: EvalCtx): unknown;
}

export interface EvalCtx {
  ev: SeclEvent;
  /** ns since epoch: the event's timestamp. */
  now: number;
  /** Register values (element indexes), by slot. */
  regs: number[];
  vars: VariableReader;
}

export type BoolFn = (c: EvalCtx) => boolean;
type ValFn = (c: EvalCtx) => unknown;

export interface Compiled<F> {
  fn: F;
  weight: number;
}

const EMPTY_PROCESS: ProcessContext = Object.freeze(emptyProcess());

export class Compiler {
  /** Register name -> slot in EvalCtx.regs. */
  readonly slots = new Map<string, number>();

  constructor(private readonly iterators: ReadonlyMap<string, IteratorDef> = new Map()) {
    for (const name of iterators.keys()) this.slots.set(name, this.slots.size);
  }

  bool(n: TNode): Compiled<BoolFn> {
    switch (n.k) {
      case 'const': { const v = n.value === true; return { fn: () => v, weight: 0 }; }
      case 'not': { const x = this.bool(n.x); const f = x.fn; return { fn: (c) => !f(c), weight: x.weight }; }
      case 'and':
      case 'or': return this.logical(n);
      case 'cmp': return this.compare(n);
      case 'in': return this.membership(n);
      case 'field':
      case 'var': {
        const v = this.value(n);
        const get = v.fn;
        if (n.array) return { fn: (c) => (get(c) as boolean[]).some(Boolean), weight: v.weight };
        return { fn: (c) => get(c) === true, weight: v.weight };
      }
      default:
        throw new Error(`secl: cannot compile ${n.k} as a boolean`);
    }
  }

  private logical(n: Extract<TNode, { k: 'and' | 'or' }>): Compiled<BoolFn> {
    // Flatten chains of the same operator, then order cheapest first.
    const items: TNode[] = [];
    const flatten = (x: TNode): void => {
      if (x.k === n.k) x.items.forEach(flatten);
      else items.push(x);
    };
    flatten(n);
    const parts = items.map((i) => this.bool(i)).sort((a, b) => a.weight - b.weight);
    const fns = parts.map((p) => p.fn);
    const weight = parts.reduce((s, p) => s + p.weight, 0);
    const [f0, f1, f2] = fns as [BoolFn, BoolFn, BoolFn | undefined];
    if (n.k === 'and') {
      if (fns.length === 2) return { fn: (c) => f0(c) && f1(c), weight };
      if (fns.length === 3 && f2) return { fn: (c) => f0(c) && f1(c) && f2(c), weight };
      return { fn: (c) => { for (const f of fns) if (!f(c)) return false; return true; }, weight };
    }
    if (fns.length === 2) return { fn: (c) => f0(c) || f1(c), weight };
    if (fns.length === 3 && f2) return { fn: (c) => f0(c) || f1(c) || f2(c), weight };
    return { fn: (c) => { for (const f of fns) if (f(c)) return true; return false; }, weight };
  }

  value(n: TNode): Compiled<ValFn> & { array: boolean } {
    switch (n.k) {
      case 'const': { const v = n.value; return { fn: () => v, weight: 0, array: false }; }
      case 'field': {
        const f = n.field;
        if (n.reg !== undefined && f.iterator && f.element) {
          const slot = this.slots.get(n.reg) as number;
          const list = f.iterator.list;
          const element = f.element;
          return {
            fn: (c) => element(list(c.ev)[c.regs[slot] as number] ?? EMPTY_PROCESS),
            weight: f.weight,
            array: f.elementArray ?? false,
          };
        }
        const get = f.get;
        return { fn: (c) => get(c.ev), weight: f.weight, array: f.array };
      }
      case 'var': {
        const { name, scope } = n;
        if (n.builtin === 'uuid4') return { fn: () => crypto.randomUUID(), weight: 2, array: false };
        return { fn: (c) => c.vars.get(name, scope, c), weight: 10, array: n.array };
      }
      case 'interp': {
        const parts = n.parts.map((p) => (typeof p === 'string' ? () => p : this.value(p).fn));
        return { fn: (c) => parts.map((p) => String(p(c))).join(''), weight: 10, array: false };
      }
      case 'bit':
      case 'arith': {
        const a = this.value(n.a).fn;
        const b = this.value(n.b).fn;
        const op = n.op;
        return { fn: (c) => intOp(op, a(c) as number, b(c) as number), weight: 1, array: false };
      }
      case 'neg': { const x = this.value(n.x).fn; return { fn: (c) => -(x(c) as number), weight: 1, array: false }; }
      case 'bnot': { const x = this.value(n.x).fn; return { fn: (c) => intOp('^', x(c) as number, -1), weight: 1, array: false }; }
      case 'and': case 'or': case 'not': case 'cmp': case 'in': {
        const b = this.bool(n);
        return { fn: b.fn, weight: b.weight, array: false };
      }
      default:
        throw new Error(`secl: cannot compile ${n.k} as a value`);
    }
  }

  /** A string matcher for a literal right-hand side, in the context of the left-hand field. */
  private stringMatcher(lhs: TNode, rhs: TNode): Matcher | null {
    const path = lhs.k === 'field' && lhs.field.path;
    const ci = lhs.k === 'field' && lhs.field.caseInsensitive;
    if (rhs.k === 'pattern') return path ? compileGlob(rhs.value) : compilePattern(rhs.value, ci);
    if (rhs.k === 'regex') { const re = rhs.re; return (s) => re.test(s); }
    if (rhs.k === 'const' && typeof rhs.value === 'string') {
      const v = ci ? rhs.value.toLowerCase() : rhs.value;
      return ci ? (s) => s.toLowerCase() === v : (s) => s === v;
    }
    return null;
  }

  private compare(n: Extract<TNode, { k: 'cmp' }>): Compiled<BoolFn> {
    const A = this.value(n.a);
    const a = A.fn;
    const negate = n.op === '!=' || n.op === '!~';
    const finish = (test: (x: unknown, c: EvalCtx) => boolean, weight: number): Compiled<BoolFn> => {
      const any: BoolFn = A.array ? (c) => someOf(a(c) as unknown[], test, c) : (c) => test(a(c), c);
      return { fn: negate ? (c) => !any(c) : any, weight: A.weight + weight };
    };
    if (n.b.k === 'cidr') {
      const cidr = parseCidr(n.b.value) as Cidr;
      return finish((x) => { const ip = parseIp(x as string); return ip !== null && cidrContains(cidr, ip); }, 3);
    }
    if (n.a.type === 'string' || n.a.type === 'any') {
      const m = this.stringMatcher(n.a, n.b);
      if (m) return finish((x) => m(x as string), n.b.k === 'regex' ? 50 : n.b.k === 'pattern' ? 4 : 1);
    }
    const B = this.value(n.b);
    const b = B.fn;
    if (A.array === false && B.array) {
      // scalar op list-field: flip so the list is on the left (only == and != reach here with lists on the right).
      const flipped: TNode = { ...n, a: n.b, b: n.a };
      return this.compare(flipped as Extract<TNode, { k: 'cmp' }>);
    }
    if (n.a.type === 'ip') {
      return finish((x, c) => sameIp(x as string, b(c) as string), B.weight + 3);
    }
    const durationSide = n.b.k === 'const' && n.b.duration ? 'b' : n.a.k === 'const' && n.a.duration ? 'a' : null;
    const ci = n.a.k === 'field' && n.a.field.caseInsensitive;
    let cmp: (x: unknown, y: unknown) => boolean;
    switch (n.op) {
      case '==': case '!=': cmp = ci ? (x, y) => String(x).toLowerCase() === String(y).toLowerCase() : (x, y) => x === y; break;
      case '<': cmp = (x, y) => (x as number) < (y as number); break;
      case '<=': cmp = (x, y) => (x as number) <= (y as number); break;
      case '>': cmp = (x, y) => (x as number) > (y as number); break;
      case '>=': cmp = (x, y) => (x as number) >= (y as number); break;
      default: cmp = (x, y) => x === y;
    }
    if (durationSide === 'b') {
      // `created_at > 90s`: the age of the timestamp is compared with the duration.
      return finish((x, c) => cmp(c.now - (x as number), b(c)), B.weight);
    }
    if (durationSide === 'a') {
      return finish((x, c) => cmp(b(c), c.now - (x as number)), B.weight);
    }
    return finish((x, c) => cmp(x, b(c)), B.weight);
  }

  private membership(n: Extract<TNode, { k: 'in' }>): Compiled<BoolFn> {
    const A = this.value(n.a);
    const a = A.fn;
    let test: (x: unknown, c: EvalCtx) => boolean;
    let weight = 2;
    const rhs = n.b;
    if (rhs.k === 'list') {
      const ci = n.a.k === 'field' && n.a.field.caseInsensitive;
      const exact = new Set<unknown>();
      const matchers: Matcher[] = [];
      const cidrs: Cidr[] = [];
      for (const item of rhs.items) {
        if (item.k === 'cidr') cidrs.push(parseCidr(item.value) as Cidr);
        else if (item.k === 'const' && item.type === 'ip') cidrs.push(parseCidr(item.value as string) as Cidr);
        else if (item.k === 'const') exact.add(ci && typeof item.value === 'string' ? item.value.toLowerCase() : item.value);
        else if (item.k === 'interp') {
          const f = this.value(item).fn;
          matchers.push(((s: string, c?: EvalCtx) => c !== undefined && f(c) === s) as Matcher);
        } else {
          const m = this.stringMatcher(n.a, item);
          if (m) matchers.push(m);
        }
      }
      weight += matchers.length * 4 + cidrs.length * 3;
      if (n.a.type === 'ip') {
        test = (x) => { const ip = parseIp(x as string); return ip !== null && cidrs.some((cd) => cidrContains(cd, ip)); };
      } else if (matchers.length === 0) {
        test = ci ? (x) => exact.has((x as string).toLowerCase()) : (x) => exact.has(x);
      } else {
        const ms = matchers as ((s: string, c: EvalCtx) => boolean)[];
        test = (x, c) => {
          if (exact.has(ci ? (x as string).toLowerCase() : x)) return true;
          for (const m of ms) if (m(x as string, c)) return true;
          return false;
        };
      }
    } else if (rhs.k === 'cidr') {
      const cidr = parseCidr(rhs.value) as Cidr;
      test = (x) => { const ip = parseIp(x as string); return ip !== null && cidrContains(cidr, ip); };
    } else {
      const B = this.value(rhs);
      const b = B.fn;
      weight += B.weight;
      test = B.array
        ? (x, c) => (b(c) as unknown[]).includes(x)
        : (x, c) => b(c) === x;
    }
    let any: BoolFn;
    if (n.op === 'allin') {
      any = A.array ? (c) => !someOf(a(c) as unknown[], test, c, true) : (c) => test(a(c), c);
      return { fn: any, weight: A.weight + weight };
    }
    any = A.array ? (c) => someOf(a(c) as unknown[], test, c) : (c) => test(a(c), c);
    if (n.op === 'not in') return { fn: (c) => !any(c), weight: A.weight + weight };
    return { fn: any, weight: A.weight + weight };
  }

  /**
   * The rule body with its registers bound: true when some assignment of elements to the
   * registers makes the body hold.
   */
  withRegisters(body: BoolFn, maxIterations = 4096): BoolFn {
    const regs = [...this.iterators.entries()].map(([name, it]) => ({ slot: this.slots.get(name) as number, it }));
    if (regs.length === 0) return body;
    return (c) => {
      let budget = maxIterations;
      const loop = (k: number): boolean => {
        const r = regs[k];
        if (!r) return budget-- > 0 && body(c);
        const n = r.it.list(c.ev).length;
        for (let i = 0; i < n; i++) {
          c.regs[r.slot] = i;
          if (loop(k + 1)) return true;
          if (budget <= 0) return false;
        }
        return false;
      };
      return loop(0);
    };
  }
}

/** Some element passes `test` (or, with `failing`, some element fails it); no closure per call. */
function someOf(xs: readonly unknown[], test: (x: unknown, c: EvalCtx) => boolean, c: EvalCtx, failing = false): boolean {
  for (const x of xs) if (test(x, c) !== failing) return true;
  return false;
}

function sameIp(x: string, y: string): boolean {
  if (x === y) return true;
  const a = parseIp(x);
  const b = parseIp(y);
  return a !== null && b !== null && a.length === b.length && a.every((v, i) => v === b[i]);
}
