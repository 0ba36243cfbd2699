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
// A file or executable approver may hold only for some open flags: in `open.file.path =~
// "/etc/**" && open.flags & O_CREAT > 0` the prefix /etc/ approves creating opens only
// (requiredFlags: approver -> mask; the approver passes an open when flags & mask != 0).
// Without that, every read under /etc/ would reach user space for a rule about creating
// files there.
//
// Discarders: after an event matched nothing, if no rule of its type can match ANY event
// on the same file (rules evaluated in three-valued logic with only the file's path and
// name known), the kernel may drop further events on that file until the ruleset changes.

import type { CheckedExpression, TNode } from './checker.ts';
import { Compiler, type BoolFn, type EvalCtx } from './compiler.ts';
import type { FileInfo, SeclEvent, SeclEventType } from './event.ts';
import { literalPrefix } from './glob.ts';
import { RULE_EVENT_TYPES } from './model.ts';
import type { EventFilter, FilterPlan, RequiredFlags } from './types.ts';

/** Approver value -> the open flags it needs (ANY_FLAGS: none; else flags & mask != 0). */
type Needs = Map<string, number>;

interface Approvers {
  basenames: Needs;
  prefixes: Needs;
  executables: Needs;
  openFlags: number;
}

const ANY_FLAGS = 0;
const none = (): Approvers => ({ basenames: new Map(), prefixes: new Map(), executables: new Map(), openFlags: 0 });

/**
 * Two approvers of one value, either of which may pass an open: ANY_FLAGS (0) absorbs,
 * masks add up. The sensor folds LPM prefixes with it too.
 */
export const eitherNeed = (a: number, b: number): number => (a === ANY_FLAGS || b === ANY_FLAGS ? ANY_FLAGS : a | b);

function mergeNeeds(a: Needs, b: Needs): Needs {
  const out = new Map(a);
  for (const [k, v] of b) out.set(k, out.has(k) ? eitherNeed(out.get(k) as number, v) : v);
  return out;
}

function union(a: Approvers, b: Approvers): Approvers {
  return {
    basenames: mergeNeeds(a.basenames, b.basenames),
    prefixes: mergeNeeds(a.prefixes, b.prefixes),
    executables: mergeNeeds(a.executables, b.executables),
    openFlags: a.openFlags | b.openFlags,
  };
}

const isFlagsOnly = (a: Approvers): boolean => a.openFlags !== 0 && !a.basenames.size && !a.prefixes.size && !a.executables.size;

/**
 * a's approvers within a conjunction that also implies `flags & mask != 0`: each approver
 * that held for any flags now needs mask (one that already needs flags keeps its own: both
 * are implied, either is a valid filter).
 */
function needing(a: Approvers, mask: number): Approvers {
  const tighten = (n: Needs): Needs => new Map([...n].map(([k, v]) => [k, v === ANY_FLAGS ? mask : v]));
  return { basenames: tighten(a.basenames), prefixes: tighten(a.prefixes), executables: tighten(a.executables), openFlags: a.openFlags };
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
    names.set(b, ANY_FLAGS);
    return out;
  }
  if (lit.k === 'pattern' && kind === 'path' && lit.value.startsWith('/')) {
    const last = lit.value.slice(lit.value.lastIndexOf('/') + 1);
    if (last && !last.includes('*')) {
      names.set(last, ANY_FLAGS);
      return out;
    }
    const prefix = literalPrefix(lit.value);
    if (target === 'file' && prefix.length > 1) {
      out.prefixes.set(prefix, ANY_FLAGS);
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
      const best = found.sort((a, b) => rank(a) - rank(b))[0];
      if (!best || type !== 'open') return best ?? null;
      // another conjunct on the flags alone: the chosen approvers hold only with those flags
      const flags = found.find((a) => a !== best && isFlagsOnly(a));
      return flags ? needing(best, flags.openFlags) : best;
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
    const filter: EventFilter = { mode: 'none', basenames: [], pathPrefixes: [], executables: [], openFlags: 0, requiredFlags: {} };
    if (rules.length > 0) {
      let acc: Approvers | null = none();
      for (const rule of rules) {
        const a = rule.registers.size === 0 ? approversOf(rule.node, type) : null;
        if (!a) { acc = null; break; }
        acc = union(acc, a);
      }
      if (acc) {
        filter.mode = 'approvers';
        filter.basenames = [...acc.basenames.keys()].sort();
        filter.pathPrefixes = [...acc.prefixes.keys()].sort();
        filter.executables = [...acc.executables.keys()].sort();
        filter.openFlags = acc.openFlags;
        filter.requiredFlags = requiredFlagsOf(acc);
      } else {
        filter.mode = 'all';
      }
    }
    plan[type] = filter;
  }
  return plan;
}

function requiredFlagsOf(a: Approvers): RequiredFlags {
  const out: RequiredFlags = {};
  for (const [key, needs] of [['basenames', a.basenames], ['pathPrefixes', a.prefixes], ['executables', a.executables]] as const) {
    const conditional = [...needs].filter(([, v]) => v !== ANY_FLAGS).sort(([x], [y]) => (x < y ? -1 : 1));
    if (conditional.length) out[key] = Object.fromEntries(conditional);
  }
  return out;
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
  const flags = ev.type === 'open' ? (ev.open?.flags ?? 0) : 0;
  // an approver listed in requiredFlags holds only for opens with one of its flags
  const holds = (kind: keyof RequiredFlags, value: string): boolean => {
    const mask = f.requiredFlags[kind]?.[value];
    return mask === undefined || (ev.type === 'open' && (flags & mask) !== 0);
  };
  for (const file of eventFiles(ev)) {
    if (f.basenames.includes(file.name) && holds('basenames', file.name)) return true;
    if (f.pathPrefixes.some((p) => file.path.startsWith(p) && holds('pathPrefixes', p))) return true;
  }
  if (f.executables.includes(ev.process.file.name) && holds('executables', ev.process.file.name)) return true;
  if (ev.type === 'open' && (flags & f.openFlags) !== 0) return true;
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
