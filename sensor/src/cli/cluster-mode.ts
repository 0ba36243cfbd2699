// The cluster half of `vigil-sensor run`, imported only where the sensor runs in a cluster:
// a standalone sensor (or `vigil-sensor events`) never loads it.
import type { V1Node } from '@kubernetes/client-node';
import { KubeClient, resourcePath } from '../k8s/client.ts';

export { PodIndex, startPodInformer } from '../k8s/pod-index.ts';
export { LiveRuleset } from '../policy/live-ruleset.ts';
export { SignalReporter } from '../report/signal-reporter.ts';
export { SensorStatusReporter } from '../report/sensor-status.ts';

/** The credentials of this process: $KUBECONFIG or ~/.kube/config, else the pod's ServiceAccount. */
export function clusterClient(): KubeClient {
  return KubeClient.fromDefault();
}

/** The labels of this node, for the node selectors of policies. */
export async function nodeLabelsOf(client: KubeClient, node: string): Promise<Record<string, string>> {
  const n = await client.call<V1Node>('GET', resourcePath({ version: 'v1', plural: 'nodes', name: node }));
  return n.metadata?.labels ?? {};
}
