// Applies the CRDs this operator was built with (server-side apply, our field manager).
// Helm installs a chart's crds/ once and never upgrades them; the operator does, so a
// `helm upgrade` to a new version brings its schema along.
import { KINDS, customResourceDefinition } from '../api/index.ts';
import { CORE, type KubeClient } from '../framework/kube.ts';

export const CRD_FIELD_MANAGER = 'vigil-operator';

export async function applyCrds(client: KubeClient): Promise<string[]> {
  const applied: string[] = [];
  for (const kind of KINDS) {
    const crd = customResourceDefinition(kind);
    await client.apply(CORE.crds, crd, CRD_FIELD_MANAGER, true);
    applied.push(crd.metadata.name);
  }
  return applied;
}
