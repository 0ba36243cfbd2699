// The pure heart of the operator: from the SecurityRules, SecurityMacros and
// ActiveProtectionPolicies as they are, decide what the ruleset holds and what every
// object's status says. No API calls here (STYLE: plan purely, then touch the API), so all
// of it is unit-tested. Validity comes from the SECL engine, injected as a RuleChecker.
import type { z } from 'zod';
import {
  ActiveProtectionPolicySchema, SecurityMacroSchema, SecurityRuleSchema, durationMs, macroId, ruleId,
  type ActiveProtectionPolicy, type SecurityMacro, type SecurityRule,
} from '../api/index.ts';
import type { MacroSource, RuleCheckResult, RuleSource } from '../secl/types.ts';
import { severityToWire, type IMacro, type IPolicy, type IRule, type IRuleSet } from '../ruleset/index.ts';
import type { KubeObject } from '../framework/kube.ts';

/** What the operator needs from the SECL engine. */
export interface RuleChecker {
  checkRules(rules: RuleSource[], macros: MacroSource[]): RuleCheckResult[];
  /** Throws a SeclError (with a caret message) when a macro body does not parse. */
  parseMacro(expression: string): void;
}

export type Verdict =
  | { valid: true; reason: 'Checked'; message: string; eventType: string }
  | { valid: false; reason: 'InvalidSpec' | 'InvalidExpression' | 'MissingMacros' | 'DuplicateId'; message: string; missingMacros?: string[] };

export interface RulePlan {
  readonly name: string;
  readonly uid: string;
  readonly id: string;
  readonly generation: number;
  readonly verdict: Verdict;
  readonly disabled: boolean;
  /** Which version the ruleset carries: this generation, an older good one, or none. */
  readonly published: 'current' | 'previous' | 'none';
  readonly publishedGeneration?: number;
}

export interface MacroPlan {
  readonly name: string;
  readonly id: string;
  readonly generation: number;
  readonly verdict: { valid: true; message: string } | { valid: false; reason: 'InvalidSpec' | 'InvalidExpression' | 'DuplicateId'; message: string };
  readonly usedBy: number;
}

export interface PolicyPlan {
  readonly name: string;
  readonly generation: number;
  readonly verdict: { valid: true } | { valid: false; message: string };
  readonly enforce: boolean;
  readonly ruleIds: readonly string[];
  readonly unknownIds: readonly string[];
}

export interface Plan {
  readonly ruleset: IRuleSet;
  readonly rules: ReadonlyMap<string, RulePlan>;
  readonly macros: ReadonlyMap<string, MacroPlan>;
  readonly policies: ReadonlyMap<string, PolicyPlan>;
}

interface LastGood {
  readonly uid: string;
  readonly generation: number;
  readonly rule: IRule;
}

function zodMessage(err: z.ZodError): string {
  return err.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(spec)'}: ${i.message}`).join('; ');
}

/** Oldest object first (then by name): who keeps an id that two objects claim. */
function seniority(a: KubeObject, b: KubeObject): number {
  const ta = a.metadata?.creationTimestamp ?? '';
  const tb = b.metadata?.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  return (a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1;
}

function toRuleSource(r: SecurityRule): RuleSource {
  const s = r.spec;
  return {
    id: ruleId(r), expression: s.expression, severity: s.severity, tags: s.tags, every: s.every,
    description: s.description, version: s.version,
    actions: s.actions?.map((a) => ({
      set: {
        name: a.set.name, value: a.set.value, field: a.set.field, append: a.set.append, ttl: a.set.ttl,
        scope: a.set.scope === 'global' ? undefined : a.set.scope,
      },
    })),
  };
}

function wireScope(scope: SecurityRule['spec']['scope'] | ActiveProtectionPolicy['spec']['scope']): IRule['scope'] {
  if (!scope) return { scoped: false };
  const sel = (s?: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] }) =>
    s && { matchLabels: s.matchLabels ?? {}, matchExpressions: (s.matchExpressions ?? []).map((e) => ({ key: e.key, operator: e.operator, values: e.values ?? [] })) };
  return {
    namespaceSelector: sel(scope.namespaceSelector), podSelector: sel(scope.podSelector), nodeSelector: sel(scope.nodeSelector),
    hosts: scope.hosts, scoped: true,
  };
}

function wireRule(r: SecurityRule, eventType: string): IRule {
  const s = r.spec;
  return {
    id: ruleId(r), expression: s.expression, severity: severityToWire[s.severity], tags: s.tags ?? {}, eventType,
    everyMs: s.every ? durationMs(s.every) : 0, version: s.version ?? '', description: s.description ?? '',
    setActions: (s.actions ?? []).map(({ set }) => ({
      name: set.name, scope: set.scope, append: set.append, ttlMs: set.ttl ? durationMs(set.ttl) : 0,
      ...(set.field !== undefined ? { field: set.field }
        : typeof set.value === 'string' ? { stringValue: set.value }
          : typeof set.value === 'number' ? { numberValue: set.value } : { boolValue: set.value === true }),
    })),
    scope: wireScope(s.scope),
    source: { kind: 'SecurityRule', name: r.metadata.name, generation: r.metadata.generation ?? 0, uid: r.metadata.uid ?? '' },
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class Catalog {
  private readonly lastGood = new Map<string, LastGood>();
  private readonly checkCache = new Map<string, { key: string; result: RuleCheckResult }>();
  checks = 0;

  constructor(private readonly checker: RuleChecker) {}

  /**
   * Remembers the rules of a ruleset already published (e.g. read back at start-up), so
   * an invalid edit made while the operator was down still keeps the last good version.
   */
  seed(ruleset: IRuleSet): void {
    for (const r of ruleset.rules ?? []) {
      const src = r.source;
      if (src?.kind === 'SecurityRule' && src.name && !this.lastGood.has(src.name)) {
        this.lastGood.set(src.name, { uid: src.uid ?? '', generation: Number(src.generation ?? 0), rule: r });
      }
    }
  }

  plan(rawRules: readonly KubeObject[], rawMacros: readonly KubeObject[], rawPolicies: readonly KubeObject[]): Plan {
    // Macros first: rules are checked against the valid ones.
    const macroPlans = new Map<string, MacroPlan>();
    const macros: SecurityMacro[] = [];
    const macroSources: MacroSource[] = [];
    const wireMacros: IMacro[] = [];
    const seenMacroIds = new Map<string, string>();
    for (const raw of [...rawMacros].sort(seniority)) {
      const name = raw.metadata?.name ?? '';
      const generation = raw.metadata?.generation ?? 0;
      const parsed = SecurityMacroSchema.safeParse(raw);
      if (!parsed.success) {
        macroPlans.set(name, { name, id: name, generation, usedBy: 0, verdict: { valid: false, reason: 'InvalidSpec', message: zodMessage(parsed.error) } });
        continue;
      }
      const m = parsed.data;
      const id = macroId(m);
      const owner = seenMacroIds.get(id);
      if (owner) {
        macroPlans.set(name, { name, id, generation, usedBy: 0, verdict: { valid: false, reason: 'DuplicateId', message: `macro id ${id} is already defined by SecurityMacro ${owner}` } });
        continue;
      }
      if (m.spec.expression !== undefined) {
        try {
          this.checker.parseMacro(m.spec.expression);
        } catch (err) {
          macroPlans.set(name, { name, id, generation, usedBy: 0, verdict: { valid: false, reason: 'InvalidExpression', message: errorText(err) } });
          continue;
        }
      }
      seenMacroIds.set(id, name);
      macros.push(m);
      macroSources.push({ id, expression: m.spec.expression, values: m.spec.values });
      wireMacros.push({
        id, expression: m.spec.expression ?? '', values: m.spec.values ?? [],
        source: { kind: 'SecurityMacro', name, generation, uid: m.metadata.uid ?? '' },
      });
      macroPlans.set(name, { name, id, generation, usedBy: 0, verdict: { valid: true, message: '' } });
    }
    const macroKey = JSON.stringify(macroSources);

    // Rules: parse, settle id ownership, check what changed.
    const rulePlans = new Map<string, RulePlan>();
    const candidates: { rule: SecurityRule; source: RuleSource; key: string }[] = [];
    const parsedRules = new Map<string, SecurityRule>();
    const seenRuleIds = new Map<string, string>();
    const early = new Map<string, Verdict>();
    for (const raw of [...rawRules].sort(seniority)) {
      const name = raw.metadata?.name ?? '';
      const parsed = SecurityRuleSchema.safeParse(raw);
      if (!parsed.success) {
        early.set(name, { valid: false, reason: 'InvalidSpec', message: zodMessage(parsed.error) });
        continue;
      }
      const r = parsed.data;
      parsedRules.set(name, r);
      const id = ruleId(r);
      const owner = seenRuleIds.get(id);
      if (owner) {
        early.set(name, { valid: false, reason: 'DuplicateId', message: `rule id ${id} is already used by SecurityRule ${owner}` });
        continue;
      }
      seenRuleIds.set(id, name);
      const source = toRuleSource(r);
      candidates.push({ rule: r, source, key: JSON.stringify(source) + macroKey });
    }
    // Variables set by one rule's actions are read by others: a rule is checked together
    // with every rule that declares variables, and re-checked when those declarations change.
    const declaring = candidates.filter((c) => c.source.actions?.some((a) => a.set));
    const varKey = JSON.stringify(declaring.map((c) => c.source.actions?.map((a) => [a.set?.name, a.set?.scope])));
    for (const c of candidates) c.key += varKey;
    const toCheck = candidates.filter((c) => this.checkCache.get(c.rule.metadata.name)?.key !== c.key);
    if (toCheck.length > 0) {
      const batch = [...new Set([...toCheck, ...declaring])];
      this.checks += batch.length;
      const results = this.checker.checkRules(batch.map((c) => c.source), macroSources);
      const byId = new Map(results.map((r) => [r.id, r]));
      for (const c of batch) {
        const result = byId.get(c.source.id);
        if (result) this.checkCache.set(c.rule.metadata.name, { key: c.key, result });
      }
    }
    const live = new Set(rawRules.map((r) => r.metadata?.name ?? ''));
    for (const name of [...this.checkCache.keys()]) if (!live.has(name)) this.checkCache.delete(name);

    const wireRules: IRule[] = [];
    const includedIds = new Map<string, SecurityRule | undefined>();
    for (const raw of rawRules) {
      const name = raw.metadata?.name ?? '';
      const uid = raw.metadata?.uid ?? '';
      const generation = raw.metadata?.generation ?? 0;
      const r = parsedRules.get(name);
      let verdict = early.get(name);
      if (!verdict) {
        const result = this.checkCache.get(name)?.result;
        if (!result) verdict = { valid: false, reason: 'InvalidExpression', message: 'the rule engine returned no result for this rule' };
        else if (result.ok) verdict = { valid: true, reason: 'Checked', message: `event type ${result.eventType}`, eventType: result.eventType };
        else if (result.missingMacros?.length) {
          verdict = { valid: false, reason: 'MissingMacros', message: `waiting for macros: ${result.missingMacros.join(', ')}\n${result.error.message}`, missingMacros: result.missingMacros };
        } else verdict = { valid: false, reason: 'InvalidExpression', message: result.error.message };
      }
      const disabled = r?.spec.disabled ?? false;
      const previous = this.lastGood.get(name);
      let published: RulePlan['published'] = 'none';
      let publishedGeneration: number | undefined;
      if (!disabled && r && verdict.valid) {
        const wire = wireRule(r, verdict.eventType);
        this.lastGood.set(name, { uid, generation, rule: wire });
        wireRules.push(wire);
        includedIds.set(wire.id ?? '', r);
        published = 'current';
        publishedGeneration = generation;
      } else if (!disabled && previous && previous.uid === uid && verdict.reason !== 'DuplicateId' && !includedIds.has(previous.rule.id ?? '')) {
        // An edit that does not check never removes detection: the last good version stays.
        wireRules.push(previous.rule);
        includedIds.set(previous.rule.id ?? '', r);
        published = 'previous';
        publishedGeneration = previous.generation;
      }
      rulePlans.set(name, { name, uid, id: r ? ruleId(r) : name, generation, verdict, disabled, published, publishedGeneration });
    }
    for (const name of [...this.lastGood.keys()]) if (!live.has(name)) this.lastGood.delete(name);

    // Which rules use which macro (for the macro's status): a whole-word mention.
    for (const [name, mp] of macroPlans) {
      const word = new RegExp(`(^|[^A-Za-z0-9_.])${mp.id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^A-Za-z0-9_])`);
      const usedBy = [...parsedRules.values()].filter((r) => word.test(r.spec.expression)).length;
      macroPlans.set(name, { ...mp, usedBy });
    }

    // Policies: resolve the selector against the rules the ruleset carries.
    const policyPlans = new Map<string, PolicyPlan>();
    const wirePolicies: IPolicy[] = [];
    for (const raw of rawPolicies) {
      const name = raw.metadata?.name ?? '';
      const generation = raw.metadata?.generation ?? 0;
      const parsed = ActiveProtectionPolicySchema.safeParse(raw);
      if (!parsed.success) {
        policyPlans.set(name, { name, generation, verdict: { valid: false, message: zodMessage(parsed.error) }, enforce: false, ruleIds: [], unknownIds: [] });
        continue;
      }
      const p = parsed.data;
      const sel = p.spec.rules;
      const ids = new Set<string>();
      const unknownIds: string[] = [];
      for (const id of sel.ids ?? []) {
        if (includedIds.has(id)) ids.add(id);
        else unknownIds.push(id);
      }
      const tags = Object.entries(sel.tags ?? {});
      if (tags.length > 0) {
        for (const w of wireRules) if (tags.every(([k, v]) => w.tags?.[k] === v)) ids.add(w.id ?? '');
      }
      const ruleIds = [...ids].sort();
      const enforce = p.spec.mode === 'enforce';
      policyPlans.set(name, { name, generation, verdict: { valid: true }, enforce, ruleIds, unknownIds });
      const d = p.spec.disarmer;
      wirePolicies.push({
        name, enforce, ruleIds, scope: wireScope(p.spec.scope),
        kill: { signal: p.spec.action.kill.signal, scope: p.spec.action.kill.scope },
        disarmer: d ? { maxContainers: d.maxContainers ?? 0, maxExecutables: d.maxExecutables ?? 0, periodMs: durationMs(d.period) } : undefined,
        source: { kind: 'ActiveProtectionPolicy', name, generation, uid: p.metadata.uid ?? '' },
      });
    }

    return {
      ruleset: { rules: wireRules, macros: wireMacros, policies: wirePolicies },
      rules: rulePlans, macros: macroPlans, policies: policyPlans,
    };
  }
}
