// The cluster half of `vigil-sensor run`, imported only where the sensor runs in a cluster:
// the Kubernetes client and what is built on it cost tens of MiB of memory that a
// standalone sensor (or `vigil-sensor events`) never needs.
import * as k8s from '@kubernetes/client-node';

export { PodIndex, startPodInformer } from '../k8s/pod-index.ts';
export { LiveRuleset } from '../policy/live-ruleset.ts';
export { SignalReporter } from '../report/signal-reporter.ts';
export { SensorStatusReporter } from '../report/sensor-status.ts';

/** The credentials of this process: the pod's ServiceAccount in the cluster, else the kubeconfig. */
export function clusterConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromDefault();
  return kc;
}

/** The labels of this node, for the node selectors of policies. */
export async function nodeLabelsOf(kc: k8s.KubeConfig, node: string): Promise<Record<string, string>> {
  const n = await kc.makeApiClient(k8s.CoreV1Api).readNode({ name: node });
  return n.metadata?.labels ?? {};
}
