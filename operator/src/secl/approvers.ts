// Kernel filters derived from the compiled rules (DESIGN §3).
//
// Approvers: per event type, values the kernel can test cheaply before sending an event.
// For a rule, the approver is a condition the rule implies: for `A && B` that of A or of
// B; for `A || B` the union of both (or none when one side has none); for a comparison of
// an approvable field with literals, the literals. An event type passes everything
// ("all") as soon as one of its rules has no approver. So the plan passes a superset of
// what the rules match, never a subset. The kernel implements planPasses() below:
//   - basenames:    the event's file basename (rename/link: source or destination)
//   - pathPrefixes: the event's file path starts with one (rename/link: source or destination)
//   - executables:  the acting process's executable basename (exec: the new program)
//   - openFlags:    open events whose flags & openFlags != 0
//
// Discarders: after an event matched nothing, if no rule of its type can match ANY event
// on the same file (rules evaluated in three-valued logic with only the file's path and
// name known), the kernel may drop further events on that file until the ruleset changes.

import type { CheckedExpression, TNode } from './checker.ts';
import { Compiler, type BoolFn, type EvalCtx } from './compiler.ts';
import type { FileInfo, SeclEvent, SeclEventType } from './event.ts';
import { literalPrefix } from './glob.ts';
import { RULE_EVENT_TYPES } from './model.ts';
import type { EventFilter, FilterPlan } from './types.ts';

interface Approvers {
  basenames: Set<string>;
  prefixes: Set<string>;
  executables: Set<string>;
  openFlags: number;
}

const none = (): Approvers => ({ basenames: new Set(), prefixes: new Set(), executables: new Set(), openFlags: 0 });

function union(a: Approvers, b: Approvers): Approvers {
  return {
    basenames: new Set([...a.basenames, ...b.basenames]),
    prefixes: new Set([...a.prefixes, ...b.prefixes]),
    executables: new Set([...a.executables, ...b.executables]),
    openFlags: a.openFlags | b.openFlags,
  };
}

/** Lower is better: file approvers are the most selective, flags the least. */
function rank(a: Approvers): number {
  if (a.basenames.size || a.prefixes.size) return 0;
  return a.executables.size ? 1 : 2;
}

const basename = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

/** What a literal (string or pattern) on a path/name field gives, or null. */
function fromLiteral(kind: 'path' | 'name', target: 'file' | 'exe', lit: TNode): Approvers | null {
  const out = none();
  const names = target === 'file' ? out.basenames : out.executables;
  if (lit.k === 'const' && typeof lit.value === 'string') {
    const b = kind === 'path' ? basename(lit.value) : lit.value;
    if (!b) return null;
    names.add(b);
    return out;
  }
  if (lit.k === 'pattern' && kind === 'path' && lit.value.startsWith('/')) {
    const last = lit.value.slice(lit.value.lastIndexOf('/') + 1);
    if (last && !last.includes('*')) {
      names.add(last);
      return out;
    }
    const prefix = literalPrefix(lit.value);
    if (target === 'file' && prefix.length > 1) {
      out.prefixes.add(prefix);
      return out;
    }
  }
  return null;
}

function fieldRole(n: TNode, type: SeclEventType): { kind: 'path' | 'name'; target: 'file' | 'exe' } | null {
  if (n.k !== 'field' || n.array || n.reg !== undefined) return null;
  const name = n.field.name;
  const m = /^(.+)\.(path|name)$/.exec(name);
  if (!m) return null;
  const base = m[1] as string;
  const kind = m[2] as 'path' | 'name';
  if (base === 'process.file' || base === 'exec.file') return { kind, target: 'exe' };
  // `.destination` is a file only for rename and link; for setxattr/removexattr it is the
  // attribute (destination.name = "security.capability"), which the kernel cannot approve by.
  const destinationIsFile = type === 'rename' || type === 'link';
  if (type !== 'exec' && (base === `${type}.file` || (destinationIsFile && base === `${type}.file.destination`)) && n.field.eventType === type) {
    return { kind, target: 'file' };
  }
  return null;
}

function approversOf(n: TNode, type: SeclEventType): Approvers | null {
  switch (n.k) {
    case 'and': {
      const found = n.items.map((i) => approversOf(i, type)).filter((a): a is Approvers => a !== null);
      return found.sort((a, b) => rank(a) - rank(b))[0] ?? null;
    }
    case 'or': {
      let acc: Approvers | null = none();
      for (const i of n.items) {
        const a = approversOf(i, type);
        if (!a) return null;
        acc = union(acc, a);
      }
      return acc;
    }
    case 'cmp': {
      // open.flags & MASK > 0 (or != 0): the event's flags intersect MASK.
      if (type === 'open' && n.a.k === 'bit' && n.a.op === '&' && n.b.k === 'const' && n.b.value === 0 && (n.op === '>' || n.op === '!=')) {
        const [x, y] = [n.a.a, n.a.b];
        const field = x.k === 'field' ? x : y.k === 'field' ? y : null;
        const mask = x.k === 'const' ? x : y.k === 'const' ? y : null;
        if (field?.k === 'field' && field.field.name === 'open.flags' && mask?.k === 'const' && typeof mask.value === 'number' && mask.value > 0) {
          return { ...none(), openFlags: mask.value };
        }
        return null;
      }
      if (n.op !== '==' && n.op !== '=~') return null;
      const role = fieldRole(n.a, type);
      return role ? fromLiteral(role.kind, role.target, n.b) : null;
    }
    case 'in': {
      if (n.op !== 'in' || n.b.k !== 'list') return null;
      const role = fieldRole(n.a, type);
      if (!role) return null;
      let acc = none();
      for (const item of n.b.items) {
        const a = fromLiteral(role.kind, role.target, item);
        if (!a) return null;
        acc = union(acc, a);
      }
      return acc;
    }
    default:
      return null;
  }
}

interface RulesByType {
  eventTypes(): SeclEventType[];
  checkedRules(t: SeclEventType): readonly CheckedExpression[];
}

/** Builds the kernel filter plan of a ruleset. */
export function buildFilterPlan(r: RulesByType): FilterPlan {
  const plan: FilterPlan = {};
  for (const type of RULE_EVENT_TYPES) {
    const rules = r.checkedRules(type);
    const filter: EventFilter = { mode: 'none', basenames: [], pathPrefixes: [], executables: [], openFlags: 0 };
    if (rules.length > 0) {
      let acc: Approvers | null = none();
      for (const rule of rules) {
        const a = rule.registers.size === 0 ? approversOf(rule.node, type) : null;
        if (!a) { acc = null; break; }
        acc = union(acc, a);
      }
      if (acc) {
        filter.mode = 'approvers';
        filter.basenames = [...acc.basenames].sort();
        filter.pathPrefixes = [...acc.prefixes].sort();
        filter.executables = [...acc.executables].sort();
        filter.openFlags = acc.openFlags;
      } else {
        filter.mode = 'all';
      }
    }
    plan[type] = filter;
  }
  return plan;
}

/** The files an event is about: the file, and for rename/link the destination too. */
export function eventFiles(ev: SeclEvent): FileInfo[] {
  switch (ev.type) {
    case 'rename': return ev.rename ? [ev.rename.file, ev.rename.file.destination] : [];
    case 'link': return ev.link ? [ev.link.file, ev.link.file.destination] : [];
    case 'exec': case 'fork': case 'exit': return [ev.process.file];
    default: {
      const payload = (ev as unknown as Record<string, { file?: FileInfo } | undefined>)[ev.type];
      return payload?.file ? [payload.file] : [];
    }
  }
}

/** Whether the plan lets the event through: the reference for the kernel implementation. */
export function planPasses(plan: FilterPlan, ev: SeclEvent): boolean {
  const f = plan[ev.type];
  if (!f || f.mode === 'none') return false;
  if (f.mode === 'all') return true;
  for (const file of eventFiles(ev)) {
    if (f.basenames.includes(file.name)) return true;
    if (f.pathPrefixes.some((p) => file.path.startsWith(p))) return true;
  }
  if (f.executables.includes(ev.process.file.name)) return true;
  if (ev.type === 'open' && ((ev.open?.flags ?? 0) & f.openFlags) !== 0) return true;
  return false;
}

// ---- discarders ----

/** Event types whose events are about one file, the discarder key. */
export const DISCARDER_TYPES: readonly SeclEventType[] = ['open', 'chmod', 'chown', 'unlink', 'utimes', 'mkdir', 'rmdir', 'setxattr', 'removexattr'];

const T = 1, F = 0, U = 2;
type Tri = 0 | 1 | 2;
type TriFn = (c: EvalCtx) => Tri;

function fieldsOf(n: TNode, out: Set<string>): boolean {
  // Returns false when the node depends on something never known (variables, registers).
  switch (n.k) {
    case 'field': out.add(n.field.name); return n.reg === undefined;
    case 'var': return false;
    case 'const': case 'pattern': case 'regex': case 'cidr': case 'missing': return true;
    case 'interp': return n.parts.every((p) => typeof p === 'string' || fieldsOf(p, out));
    case 'list': return n.items.every((i) => fieldsOf(i, out));
    case 'not': case 'neg': case 'bnot': return fieldsOf(n.x, out);
    case 'and': case 'or': return n.items.every((i) => fieldsOf(i, out));
    case 'cmp': case 'in': case 'bit': case 'arith': return fieldsOf(n.a, out) && fieldsOf(n.b, out);
  }
}

function triCompile(n: TNode, known: ReadonlySet<string>, compiler: Compiler): TriFn {
  if (n.k === 'and' || n.k === 'or') {
    const parts = n.items.map((i) => triCompile(i, known, compiler));
    const isAnd = n.k === 'and';
    return (c) => {
      let unknown = false;
      for (const p of parts) {
        const v = p(c);
        if (v === (isAnd ? F : T)) return v;
        if (v === U) unknown = true;
      }
      return unknown ? U : isAnd ? T : F;
    };
  }
  if (n.k === 'not') {
    const x = triCompile(n.x, known, compiler);
    return (c) => { const v = x(c); return v === U ? U : v === T ? F : T; };
  }
  const used = new Set<string>();
  const closed = fieldsOf(n, used);
  if (!closed || [...used].some((f) => !known.has(f))) return () => U;
  const fn: BoolFn = compiler.bool(n).fn;
  return (c) => (fn(c) ? T : F);
}

/** Builds the discarder test of a ruleset. */
export function buildDiscarders(r: Pick<RulesByType, 'checkedRules'>): (ev: SeclEvent) => boolean {
  const byType = new Map<SeclEventType, TriFn[]>();
  for (const type of DISCARDER_TYPES) {
    const known = new Set(['path', 'name', 'extension', 'path.length', 'name.length'].map((s) => `${type}.file.${s}`));
    byType.set(type, r.checkedRules(type).map((rule) => triCompile(rule.node, known, new Compiler(rule.registers))));
  }
  const noVars = { get: () => undefined };
  return (ev) => {
    const rules = byType.get(ev.type);
    if (!rules) return false;
    const c: EvalCtx = { ev, now: ev.timestamp, regs: [], vars: noVars };
    return rules.every((t) => t(c) === F);
  };
}
