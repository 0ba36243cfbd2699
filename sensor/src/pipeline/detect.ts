// Detect stage: enriched events → rule matches → Active Protection → detections.
//
//   pod context: events of a kubelet container whose pod the informer does not know yet
//     wait for it (bounded, in the pod index) and are evaluated then: never dropped;
//   evaluate: the active ruleset, read once per event (a swap between two events is
//     atomic: JS runs one batch at a time);
//   rule scope: a rule scoped to namespaces/pods/nodes only fires there;
//   act: the policies that select the rule (in-cluster), or the rule's own kill action
//     (Datadog policy files on a standalone host);
//   emit: one Detection per match, carrying the action taken.
import { constants } from 'node:os';
import type { DecodedRuleSet, IPolicy } from '@vigil/operator/ruleset';
import type { CompiledRuleset, Match, SeclEvent } from '@vigil/operator/secl';
import type { SignalSpec } from '@vigil/operator/api';
import { containerFromCgroupPath } from '../enrich/container.ts';
import type { PodIndex, PodMatch } from '../k8s/pod-index.ts';
import { scopeCovers, type ScopeContext } from '../policy/scope.ts';
import type { ActiveProtector, KillOutcome } from '../actions/active-protection.ts';
import type { Detection } from '../report/signal-content.ts';
import { isSeclEvent, KILLED_IN_KERNEL, type SensorEvent } from './events.ts';

/** What detection runs against: swapped whole when a new ruleset loads. */
export interface DetectionRuleset {
  readonly hash: string;
  readonly compiled: CompiledRuleset;
  readonly policies: readonly IPolicy[];
  /** Rule scopes by rule id (cluster rulesets); absent: rules apply everywhere. */
  readonly scopes?: ReadonlyMap<string, NonNullable<DecodedRuleSet['rules'][number]['scope']>>;
  /** Rule versions by rule id, for the Signal. */
  readonly versions?: ReadonlyMap<string, string>;
}

export interface DetectStats {
  evaluated: number;
  matched: number;
  /** Matches outside their rule's scope. */
  outOfScope: number;
  /** Events that waited for their pod to be known. */
  waitedForPod: number;
  detections: number;
}

export interface DetectorOptions {
  readonly ruleset: () => DetectionRuleset | undefined;
  readonly protector: ActiveProtector;
  readonly nodeLabels: () => Readonly<Record<string, string>>;
  readonly emit: (d: Detection) => void;
  readonly pods?: PodIndex;
  /** How long an event waits for its pod (default 2 s). */
  readonly podWaitMs?: number;
  /** After every Active Protection decision (the disarmer may have moved). */
  readonly onAction?: () => void;
}

/** Signal numbers to names, from the platform's own table. */
const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, n]) => [n as number, name]));

/** A rule's own kill action (Datadog policy files) as a one-rule enforcing policy. */
function policiesOf(rs: DetectionRuleset, m: Match): readonly IPolicy[] {
  const kill = m.actions.find((a) => a.kind === 'kill');
  if (!kill || kill.kind !== 'kill') return rs.policies;
  const own: IPolicy = {
    name: `rule:${m.ruleId}`, enforce: true, ruleIds: [m.ruleId], scope: { scoped: false },
    kill: { signal: kill.signalName || SIGNAL_NAMES.get(kill.signal) || 'SIGKILL', scope: kill.scope },
  };
  return [...rs.policies, own];
}

function tagsOf(p: PodMatch): string[] {
  const tags = [`kube_namespace:${p.pod.namespace}`, `pod_name:${p.pod.name}`];
  const c = p.container;
  if (c) {
    tags.push(`container_name:${c.name}`, `kube_container_name:${c.name}`);
    const at = c.image.lastIndexOf('@');
    const ref = at >= 0 ? c.image.slice(0, at) : c.image;
    const colon = ref.lastIndexOf(':');
    const name = colon > ref.lastIndexOf('/') ? ref.slice(0, colon) : ref;
    const tag = colon > ref.lastIndexOf('/') ? ref.slice(colon + 1) : 'latest';
    tags.push(`image_name:${name}`, `image_tag:${tag}`, `short_image:${name.slice(name.lastIndexOf('/') + 1)}`);
  }
  return tags;
}

/** Puts the pod's context on the event (and its container's Datadog-style tags). */
export function attachPod(ev: SeclEvent, m: PodMatch): void {
  ev.k8s = { namespace: m.pod.namespace, pod: { name: m.pod.name, uid: m.pod.uid, labels: { ...m.pod.labels } } };
  const c = ev.container ?? ev.process.container;
  if (c && c.tags.length === 0) c.tags = tagsOf(m);
  if (c && !c.runtime && m.container?.runtime) c.runtime = m.container.runtime;
}

export class Detector {
  readonly stats: DetectStats = { evaluated: 0, matched: 0, outOfScope: 0, waitedForPod: 0, detections: 0 };

  constructor(private readonly opts: DetectorOptions) {}

  /** The pipeline consumer. */
  readonly consume = (events: readonly SensorEvent[]): void => {
    for (const e of events) {
      if (!isSeclEvent(e) || e.type === 'fork') continue;
      const cid = e.container?.id ?? '';
      const pods = this.opts.pods;
      if (!cid || !pods) {
        this.evaluate(e);
        continue;
      }
      const podUid = e.process.cgroup ? containerFromCgroupPath(e.process.cgroup.id)?.podUid : undefined;
      const now = pods.lookup(cid, podUid);
      // Known pod (by container id, or by the pod uid of a container not in status yet), or
      // a container no kubelet manages (no pod uid in its cgroup): decide now. Only a
      // kubelet container whose pod the informer has not seen yet waits for it.
      if (now || !podUid) {
        if (now) attachPod(e, now);
        this.evaluate(e);
        continue;
      }
      this.stats.waitedForPod++;
      void pods.resolve(cid, podUid, this.opts.podWaitMs ?? 2_000).then((m) => {
        if (m) attachPod(e, m);
        this.evaluate(e);
      });
    }
  };

  evaluate(ev: SeclEvent): void {
    const rs = this.opts.ruleset();
    if (!rs) return;
    this.stats.evaluated++;
    const matches = rs.compiled.evaluate(ev);
    if (matches.length === 0) return;
    const ctx: ScopeContext = {
      ...(ev.k8s ? { pod: { namespace: ev.k8s.namespace, labels: ev.k8s.pod.labels } } : {}),
      nodeLabels: this.opts.nodeLabels(),
    };
    for (const m of matches) {
      this.stats.matched++;
      if (!scopeCovers(rs.scopes?.get(m.ruleId), ctx)) {
        this.stats.outOfScope++;
        continue;
      }
      const outcome = this.opts.protector.act(policiesOf(rs, m), m.ruleId, ev, ctx, KILLED_IN_KERNEL.has(ev));
      if (outcome) this.opts.onAction?.();
      const version = rs.versions?.get(m.ruleId) || m.rule.version;
      this.stats.detections++;
      this.opts.emit({
        rule: { id: m.ruleId, severity: m.rule.severity, tags: m.rule.tags, ...(version ? { version } : {}) },
        event: ev,
        ...(outcome ? { action: actionOf(outcome) } : {}),
      });
    }
  }
}

export function actionOf(o: KillOutcome): NonNullable<SignalSpec['action']> {
  return { kill: { status: o.status, signal: o.signal, policy: o.policy, at: o.at, ...(o.error ? { error: o.error } : {}) } };
}
