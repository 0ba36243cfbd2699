// Which signals a NotificationRule sends. Empty lists and maps match everything.
import { SEVERITY_ORDER, type NotificationRuleSpec, type Signal } from '../api/index.ts';

type Match = NonNullable<NotificationRuleSpec['match']>;

/** A tag matches when equal, or as a parent of a dotted value (technique T1059 matches T1059.004). */
function tagMatches(have: string | undefined, want: string): boolean {
  return have !== undefined && (have === want || have.startsWith(`${want}.`));
}

export function signalNamespace(s: Signal): string {
  return s.spec.pod?.namespace ?? s.metadata.namespace ?? '';
}

export function matches(match: Match | undefined, s: Signal): boolean {
  if (!match) return true;
  if (SEVERITY_ORDER.indexOf(s.spec.rule.severity) < SEVERITY_ORDER.indexOf(match.minSeverity)) return false;
  if (match.severities?.length && !match.severities.includes(s.spec.rule.severity)) return false;
  if (match.ruleIds?.length && !match.ruleIds.includes(s.spec.rule.id)) return false;
  for (const [k, v] of Object.entries(match.tags ?? {})) if (!tagMatches(s.spec.rule.tags?.[k], v)) return false;
  if (match.namespaces?.length && !match.namespaces.includes(signalNamespace(s))) return false;
  if (match.killed !== undefined && match.killed !== null) {
    const killed = s.spec.action?.kill?.status === 'performed';
    if (killed !== match.killed) return false;
  }
  return true;
}

/**
 * The workload a signal belongs to, for throttling: pods of one Deployment or DaemonSet
 * share it (the generated suffixes are dropped), host signals group by node.
 */
export function workloadKey(s: Signal): string {
  const pod = s.spec.pod;
  if (!pod) return `node/${s.spec.node}`;
  let name = pod.name;
  const hash = pod.labels?.['pod-template-hash'];
  if (hash && name.includes(`-${hash}-`)) name = name.slice(0, name.indexOf(`-${hash}-`));
  else name = name.replace(/-[a-z0-9]{5}$/, '');
  return `${pod.namespace}/${name}`;
}
