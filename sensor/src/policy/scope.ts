// Where a rule or an ActiveProtectionPolicy applies: Kubernetes label selectors over the
// namespace, the pod and the node, plus whether host processes are in. Shared by rule
// scopes and policy scopes, evaluated after a match (cheap: a few map lookups).
import type { IRuleSet } from '@vigil/operator/ruleset';

type Scope = NonNullable<NonNullable<IRuleSet['policies']>[number]['scope']>;
type Selector = NonNullable<Scope['podSelector']>;

export interface ScopeContext {
  /** Absent for host processes. */
  readonly pod?: { readonly namespace: string; readonly labels: Readonly<Record<string, string>> };
  /** Labels of the pod's namespace, when known. */
  readonly namespaceLabels?: Readonly<Record<string, string>>;
  readonly nodeLabels: Readonly<Record<string, string>>;
}

/** A label selector as Kubernetes evaluates it; an absent or empty selector selects all. */
export function selectorMatches(sel: Selector | null | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (!sel) return true;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const req of sel.matchExpressions ?? []) {
    const key = req.key ?? '';
    const has = Object.prototype.hasOwnProperty.call(labels, key);
    const values = req.values ?? [];
    switch (req.operator) {
      case 'In':
        if (!has || !values.includes(labels[key] as string)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(labels[key] as string)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false; // an operator we do not know selects nothing, never everything
    }
  }
  return true;
}

/**
 * Whether a scope covers an event's context. No scope (or scoped=false) covers everything.
 * Host processes are covered only where `hosts` is true; a namespace selector cannot be
 * satisfied when the namespace's labels are unknown, unless it is empty.
 */
export function scopeCovers(scope: Scope | null | undefined, ctx: ScopeContext): boolean {
  if (!scope?.scoped) return true;
  if (!selectorMatches(scope.nodeSelector, ctx.nodeLabels)) return false;
  if (!ctx.pod) return scope.hosts === true;
  const nsSel = scope.namespaceSelector;
  const nsEmpty = !nsSel || (Object.keys(nsSel.matchLabels ?? {}).length === 0 && (nsSel.matchExpressions ?? []).length === 0);
  if (!nsEmpty) {
    const nsLabels = ctx.namespaceLabels ?? { 'kubernetes.io/metadata.name': ctx.pod.namespace };
    if (!selectorMatches(nsSel, nsLabels)) return false;
  }
  return selectorMatches(scope.podSelector, ctx.pod.labels);
}
