// Rule files: Datadog policy YAML (version, macros, rules with id, expression, tags,
// actions, filters, combine/override, ...) and Vigil SecurityRule / SecurityMacro objects
// (multi-document YAML), read into one list of rules and macros. Parsed once with zod.

import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { SeclError } from './errors.ts';
import type { ActionSource, MacroSource, RuleSource } from './types.ts';

const ValueSchema = z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number(), z.boolean()]))]);
const DurationSchema = z.union([z.string(), z.number()]);

const ActionSchema = z.object({
  filter: z.string().optional(),
  set: z.object({
    name: z.string(),
    value: ValueSchema.optional(),
    field: z.string().optional(),
    expression: z.string().optional(),
    default_value: ValueSchema.optional(),
    append: z.boolean().optional(),
    scope: z.enum(['process', 'container', 'cgroup']).optional(),
    ttl: DurationSchema.optional(),
    size: z.number().int().positive().optional(),
    inherited: z.boolean().optional(),
    private: z.boolean().optional(),
    scope_field: z.string().optional(),
  }).optional(),
  kill: z.object({
    signal: z.string(),
    scope: z.enum(['process', 'container']).optional(),
    disable_container_disarmer: z.boolean().optional(),
    disable_executable_disarmer: z.boolean().optional(),
  }).optional(),
  hash: z.object({ field: z.string().optional() }).nullable().optional(),
  coredump: z.object({ process: z.boolean().optional(), mount: z.boolean().optional(), dentry: z.boolean().optional(), no_compression: z.boolean().optional() }).optional(),
  log: z.object({ level: z.string().optional(), message: z.string().optional(), Level: z.string().optional(), Message: z.string().optional() }).optional(),
});

const SeveritySchema = z.enum(['info', 'low', 'medium', 'high', 'critical']);

const DatadogRuleSchema = z.object({
  id: z.string().min(1),
  version: z.string().optional(),
  expression: z.string().optional(),
  description: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
  product_tags: z.array(z.string()).optional(),
  actions: z.array(ActionSchema).optional(),
  filters: z.array(z.string()).optional(),
  agent_version: z.string().optional(),
  disabled: z.boolean().optional(),
  combine: z.literal('override').optional(),
  override_options: z.object({ fields: z.array(z.enum(['all', 'expression', 'actions', 'every', 'tags'])) }).optional(),
  every: DurationSchema.optional(),
  silent: z.boolean().optional(),
  severity: SeveritySchema.optional(),
});

const DatadogMacroSchema = z.object({
  id: z.string().min(1),
  expression: z.string().optional(),
  values: z.array(z.string()).optional(),
  description: z.string().optional(),
  filters: z.array(z.string()).optional(),
  agent_version: z.string().optional(),
  combine: z.enum(['merge', 'override']).optional(),
});

const DatadogPolicySchema = z.object({
  version: z.union([z.string(), z.number()]).optional(),
  type: z.string().optional(),
  macros: z.array(DatadogMacroSchema).nullable().optional(),
  rules: z.array(DatadogRuleSchema).nullable().optional(),
});

const MetadataSchema = z.object({ name: z.string().min(1) });
const SecurityRuleSchema = z.object({
  apiVersion: z.literal('vigil.dev/v1alpha1'),
  kind: z.literal('SecurityRule'),
  metadata: MetadataSchema,
  spec: z.object({
    id: z.string().min(1).optional(),
    description: z.string().optional(),
    expression: z.string(),
    severity: SeveritySchema.optional(),
    tags: z.record(z.string(), z.string()).optional(),
    disabled: z.boolean().optional(),
    every: DurationSchema.optional(),
    actions: z.array(ActionSchema).optional(),
    version: z.string().optional(),
  }),
});
const SecurityMacroSchema = z.object({
  apiVersion: z.literal('vigil.dev/v1alpha1'),
  kind: z.literal('SecurityMacro'),
  metadata: MetadataSchema,
  spec: z.object({ id: z.string().min(1).optional(), expression: z.string().optional(), values: z.array(z.string()).optional() }),
});

export interface PolicyError {
  /** File, document and rule the error belongs to: `rules.yaml#2 rule shell_in_container`. */
  source: string;
  /** Rule or macro id when known. */
  id?: string;
  error: SeclError;
}

export interface LoadedPolicy {
  rules: RuleSource[];
  macros: MacroSource[];
  errors: PolicyError[];
}

type ParsedAction = z.infer<typeof ActionSchema>;

function toAction(a: ParsedAction): ActionSource {
  const out: ActionSource = {};
  if (a.filter !== undefined) out.filter = a.filter;
  if (a.set) out.set = defined(a.set) as NonNullable<ActionSource['set']>;
  if (a.kill) out.kill = a.kill;
  if (a.hash !== undefined) out.hash = a.hash ?? {};
  if (a.coredump) out.coredump = a.coredump;
  if (a.log) out.log = { level: a.log.level ?? a.log.Level ?? 'info', message: a.log.message ?? a.log.Message ?? '' };
  return out;
}

function zodMessage(e: z.ZodError): string {
  return e.issues.map((i) => `${i.path.join('.') || '(document)'}: ${i.message}`).join('; ');
}

function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Parses one YAML text (Datadog policy or Vigil objects). Never throws: see `errors`. */
export function parsePolicyText(text: string, name = '<input>'): LoadedPolicy {
  const out: LoadedPolicy = { rules: [], macros: [], errors: [] };
  const fail = (source: string, msg: string, id?: string): void => {
    out.errors.push({ source, ...(id ? { id } : {}), error: new SeclError('invalid_policy', msg, '', -1, source) });
  };
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((doc, d) => {
    const where = list.length > 1 ? `${name}#${d + 1}` : name;
    if (doc.errors.length > 0) {
      const e = doc.errors[0];
      fail(where, `invalid YAML: ${e?.message.split('\n')[0] ?? 'syntax error'}`);
      return;
    }
    const data: unknown = doc.toJS();
    if (data === null || data === undefined) return;
    const kind = typeof data === 'object' && data !== null ? (data as Record<string, unknown>).kind : undefined;
    if (kind === 'SecurityRule') {
      const r = SecurityRuleSchema.safeParse(data);
      if (!r.success) return fail(where, `invalid SecurityRule: ${zodMessage(r.error)}`);
      const s = r.data.spec;
      out.rules.push(defined({
        id: s.id ?? r.data.metadata.name,
        expression: s.expression,
        severity: s.severity,
        tags: s.tags,
        disabled: s.disabled,
        every: s.every,
        actions: s.actions?.map(toAction),
        description: s.description,
        version: s.version,
      }));
      return;
    }
    if (kind === 'SecurityMacro') {
      const m = SecurityMacroSchema.safeParse(data);
      if (!m.success) return fail(where, `invalid SecurityMacro: ${zodMessage(m.error)}`);
      const id = m.data.spec.id ?? m.data.metadata.name;
      if ((m.data.spec.expression === undefined) === (m.data.spec.values === undefined)) {
        return fail(where, `SecurityMacro ${id}: set exactly one of expression and values`, id);
      }
      out.macros.push(defined({ id, expression: m.data.spec.expression, values: m.data.spec.values }));
      return;
    }
    if (kind !== undefined) return fail(where, `unsupported kind ${String(kind)} (expected SecurityRule, SecurityMacro or a Datadog policy)`);
    const p = DatadogPolicySchema.safeParse(data);
    if (!p.success) return fail(where, `invalid policy: ${zodMessage(p.error)}`);
    for (const m of p.data.macros ?? []) {
      if ((m.expression === undefined) === (m.values === undefined)) {
        fail(`${where} macro ${m.id}`, `macro ${m.id}: set exactly one of expression and values`, m.id);
        continue;
      }
      out.macros.push(defined({ id: m.id, expression: m.expression, values: m.values, description: m.description, filters: m.filters,
        ...(m.combine ? { combine: m.combine } : {}) }));
    }
    for (const r of p.data.rules ?? []) {
      if (r.expression === undefined && r.combine !== 'override') {
        fail(`${where} rule ${r.id}`, `rule ${r.id} has no expression`, r.id);
        continue;
      }
      out.rules.push(defined({
        id: r.id, expression: r.expression ?? '', severity: r.severity, tags: r.tags, disabled: r.disabled, every: r.every,
        actions: r.actions?.map(toAction), description: r.description, version: r.version, filters: r.filters,
        agent_version: r.agent_version, product_tags: r.product_tags, silent: r.silent,
        ...(r.combine ? { combine: r.combine, override_fields: r.override_options?.fields ?? ['all'] } : {}),
      }));
    }
  });
  return out;
}

/** Reads a rule file (a path) or YAML text given as `{ text, name }`. Never throws: see `errors`. */
export function loadPolicyFile(source: string | { text: string; name?: string }): LoadedPolicy {
  if (typeof source !== 'string') return parsePolicyText(source.text, source.name);
  let text: string;
  try {
    text = readFileSync(source, 'utf8');
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return { rules: [], macros: [], errors: [{ source, error: new SeclError('invalid_policy', `cannot read: ${msg}`, '', -1, source) }] };
  }
  return parsePolicyText(text, source);
}

type Combinable = RuleSource & { combine?: 'override'; override_fields?: string[] };
type CombinableMacro = MacroSource & { combine?: 'merge' | 'override' };

/**
 * Merges policies in order, as Datadog does: a later rule with an id already seen must say
 * `combine: override` (and which fields); a later macro replaces (`override`) or extends
 * (`merge`) the earlier one. Anything else is a duplicate_id error.
 */
export function mergePolicies(policies: readonly LoadedPolicy[]): LoadedPolicy {
  const rules = new Map<string, Combinable>();
  const macros = new Map<string, CombinableMacro>();
  const errors: PolicyError[] = policies.flatMap((p) => p.errors);
  const dup = (kind: string, id: string): void => {
    errors.push({ source: `${kind} ${id}`, id, error: new SeclError('duplicate_id', `${kind} ${id} is defined twice (use combine to override)`, '', -1, `${kind} ${id}`) });
  };
  for (const p of policies) {
    for (const m of p.macros as CombinableMacro[]) {
      const prev = macros.get(m.id);
      if (!prev) { macros.set(m.id, m); continue; }
      if (m.combine === 'override') macros.set(m.id, m);
      else if (m.combine === 'merge' && prev.values && m.values) macros.set(m.id, { ...prev, values: [...prev.values, ...m.values] });
      else dup('macro', m.id);
    }
    for (const r of p.rules as Combinable[]) {
      const prev = rules.get(r.id);
      if (!prev) { rules.set(r.id, r); continue; }
      if (r.combine !== 'override') { dup('rule', r.id); continue; }
      const fields = r.override_fields ?? ['all'];
      const next: Combinable = { ...prev };
      const take = (f: 'expression' | 'actions' | 'every' | 'tags'): boolean => fields.includes('all') || fields.includes(f);
      if (take('expression') && r.expression) next.expression = r.expression;
      if (take('actions') && r.actions) next.actions = r.actions;
      if (take('every') && r.every !== undefined) next.every = r.every;
      if (take('tags') && r.tags) next.tags = { ...prev.tags, ...r.tags };
      if (r.disabled !== undefined) next.disabled = r.disabled;
      rules.set(r.id, next);
    }
  }
  const strip = <T extends object>(o: T): T => {
    const { combine: _c, override_fields: _o, ...rest } = o as T & { combine?: unknown; override_fields?: unknown };
    return rest as T;
  };
  return { rules: [...rules.values()].map(strip), macros: [...macros.values()].map(strip), errors };
}
