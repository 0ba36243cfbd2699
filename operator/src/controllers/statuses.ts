// Desired status of every object, from the plan, the ruleset actually written, what the
// sensors report and the signals raised. Pure: the controller diffs these against the
// objects' current status and writes only what changed.
import {
  NotificationRuleSchema, SensorSchema, SignalSchema, channelKind, type Sensor,
} from '../api/index.ts';
import { mergeConditions, type ConditionInput, type ConditionValue } from '../framework/status.ts';
import type { KubeObject } from '../framework/kube.ts';
import type { MacroPlan, PolicyPlan, RulePlan } from './catalog.ts';

export interface Fleet {
  readonly total: number;
  readonly sensors: readonly Sensor[];
}

export function fleetOf(rawSensors: readonly KubeObject[]): Fleet {
  const sensors: Sensor[] = [];
  for (const raw of rawSensors) {
    const p = SensorSchema.safeParse(raw);
    if (p.success) sensors.push(p.data);
  }
  return { total: sensors.length, sensors };
}

export interface SignalTally {
  readonly count: number;
  readonly last?: string;
  readonly kills: number;
  readonly lastKill?: string;
}

/** Per rule id and per policy name: how many signals and kills. */
export function tallySignals(rawSignals: readonly KubeObject[]): { byRule: Map<string, SignalTally>; byPolicy: Map<string, SignalTally> } {
  const byRule = new Map<string, SignalTally>();
  const byPolicy = new Map<string, SignalTally>();
  const later = (a?: string, b?: string): string | undefined => (!a ? b : !b ? a : a > b ? a : b);
  for (const raw of rawSignals) {
    const p = SignalSchema.safeParse(raw);
    if (!p.success) continue;
    const s = p.data;
    const n = s.status?.count ?? 1;
    const seen = s.status?.lastSeen ?? s.spec.firstSeen;
    const t = byRule.get(s.spec.rule.id) ?? { count: 0, kills: 0 };
    byRule.set(s.spec.rule.id, { ...t, count: t.count + n, last: later(t.last, seen) });
    const kill = s.spec.action?.kill;
    if (kill?.status === 'performed' && kill.policy) {
      const k = byPolicy.get(kill.policy) ?? { count: 0, kills: 0 };
      byPolicy.set(kill.policy, { ...k, count: k.count + n, kills: k.kills + 1, lastKill: later(k.lastKill, kill.at ?? seen) });
    }
  }
  return { byRule, byPolicy };
}

type Status = Record<string, unknown> & { conditions?: ConditionValue[] };

function withConditions(current: Status | undefined, ours: ConditionInput[], generation: number, now: Date): ConditionValue[] {
  return mergeConditions(current?.conditions, ours, generation, now);
}

export interface RuleStatusInput {
  readonly plan: RulePlan;
  readonly current?: Status;
  readonly rulesetHash: string; // the hash written in the ConfigMap
  readonly planned: boolean; // true when the written ruleset is the one planned
  readonly fleet: Fleet;
  readonly signals?: SignalTally;
  readonly now: Date;
}

export function ruleStatus(i: RuleStatusInput): Status {
  const { plan, fleet } = i;
  const v = plan.verdict;
  const valid: ConditionInput = v.valid
    ? { type: 'Valid', status: 'True', reason: 'Checked', message: v.message }
    : { type: 'Valid', status: 'False', reason: v.reason, message: v.message };
  const inRuleset = plan.published !== 'none' && i.planned;
  let loaded = 0;
  const errors: { node: string; message: string }[] = [];
  for (const s of fleet.sensors) {
    const err = s.status?.ruleErrors?.find((e) => e.rule === plan.id);
    if (err && errors.length < 10) errors.push({ node: s.spec.node, message: err.message });
    if (inRuleset && !err && s.status?.ruleset?.hash === i.rulesetHash) loaded++;
  }
  const short = i.rulesetHash.slice(0, 12);
  let ready: ConditionInput;
  if (plan.disabled) ready = { type: 'Ready', status: 'False', reason: 'Disabled', message: 'spec.disabled is true: not in the ruleset' };
  else if (plan.published === 'none') ready = { type: 'Ready', status: 'False', reason: 'NotLoaded', message: 'not in the ruleset until it is valid' };
  else if (!i.planned) ready = { type: 'Ready', status: 'False', reason: 'Pending', message: 'waiting for the ruleset to be written' };
  else if (plan.published === 'previous') {
    ready = { type: 'Ready', status: 'False', reason: 'PreviousVersion', message: `ruleset ${short} carries generation ${plan.publishedGeneration}, the last one that checked` };
  } else if (fleet.total === 0) ready = { type: 'Ready', status: 'True', reason: 'Published', message: `in ruleset ${short}; no sensor reports yet` };
  else if (loaded === fleet.total) ready = { type: 'Ready', status: 'True', reason: 'Loaded', message: `loaded on ${loaded}/${fleet.total} nodes (ruleset ${short})` };
  else ready = { type: 'Ready', status: 'False', reason: errors.length ? 'LoadErrors' : 'Loading', message: `loaded on ${loaded}/${fleet.total} nodes (ruleset ${short})` };
  const out: Status = {
    observedGeneration: plan.generation,
    conditions: withConditions(i.current, [valid, ready], plan.generation, i.now),
    ruleId: plan.id,
    nodes: { loaded, total: fleet.total, summary: `${loaded}/${fleet.total}`, ...(errors.length ? { errors } : {}) },
    signals: i.signals?.count ?? 0,
  };
  if (v.valid) out.eventType = v.eventType;
  if (i.signals?.last) out.lastTriggered = i.signals.last;
  return out;
}

export function macroStatus(plan: MacroPlan, current: Status | undefined, now: Date): Status {
  const v = plan.verdict;
  const valid: ConditionInput = v.valid
    ? { type: 'Valid', status: 'True', reason: 'Checked', message: '' }
    : { type: 'Valid', status: 'False', reason: v.reason, message: v.message };
  return {
    observedGeneration: plan.generation,
    conditions: withConditions(current, [valid], plan.generation, now),
    macroId: plan.id,
    usedBy: plan.usedBy,
  };
}

export function policyStatus(plan: PolicyPlan, current: Status | undefined, rulesetHash: string, planned: boolean,
  fleet: Fleet, tally: SignalTally | undefined, now: Date): Status {
  const v = plan.verdict;
  const valid: ConditionInput = v.valid
    ? { type: 'Valid', status: 'True', reason: 'Checked', message: '' }
    : { type: 'Valid', status: 'False', reason: 'InvalidSpec', message: v.message };
  const enforcing = v.valid && plan.enforce && planned ? fleet.sensors.filter((s) => s.status?.ruleset?.hash === rulesetHash).length : 0;
  let ready: ConditionInput;
  if (!v.valid) ready = { type: 'Ready', status: 'False', reason: 'Invalid', message: 'the spec does not validate' };
  else if (plan.ruleIds.length === 0) {
    ready = { type: 'Ready', status: 'False', reason: 'NoRules', message: plan.unknownIds.length ? `no valid rule matches; unknown rule ids: ${plan.unknownIds.join(', ')}` : 'no valid rule matches the selector' };
  } else if (plan.unknownIds.length) {
    ready = { type: 'Ready', status: 'False', reason: 'UnknownRules', message: `unknown rule ids: ${plan.unknownIds.join(', ')}` };
  } else if (!planned) ready = { type: 'Ready', status: 'False', reason: 'Pending', message: 'waiting for the ruleset to be written' };
  else ready = { type: 'Ready', status: 'True', reason: plan.enforce ? 'Enforcing' : 'Monitoring', message: `${plan.ruleIds.length} rules` };
  const out: Status = {
    observedGeneration: plan.generation,
    conditions: withConditions(current, [valid, ready], plan.generation, now),
    rules: plan.ruleIds.length,
    ruleIds: plan.ruleIds.slice(0, 100),
    nodes: { enforcing, total: fleet.total, summary: `${enforcing}/${fleet.total}` },
    kills: tally?.kills ?? 0,
  };
  if (tally?.lastKill) out.lastKill = tally.lastKill;
  return out;
}

/** NotificationRule: we own Valid and the channel summary; the notifier owns the counters. */
export function notificationStatus(raw: KubeObject, now: Date): Status {
  const current = raw.status as Status | undefined;
  const generation = raw.metadata?.generation ?? 0;
  const p = NotificationRuleSchema.safeParse(raw);
  const valid: ConditionInput = p.success
    ? { type: 'Valid', status: 'True', reason: 'Checked', message: '' }
    : { type: 'Valid', status: 'False', reason: 'InvalidSpec', message: p.error.issues.slice(0, 5).map((e) => `${e.path.join('.')}: ${e.message}`).join('; ') };
  const channels = p.success ? [...new Set(p.data.spec.channels.map((c) => channelKind(c) ?? '?'))].join(',') : '';
  return {
    ...(current ?? {}),
    observedGeneration: generation,
    conditions: withConditions(current, [valid], generation, now),
    channels,
  };
}
