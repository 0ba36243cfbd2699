// Which pod a container belongs to, on this node. A node-scoped pod informer
// (fieldSelector spec.nodeName=<node>) keeps an index by container id (from
// status.*containerStatuses[].containerID) and by pod uid (which cgroup paths carry).
// Events from a container the informer has not seen yet wait, bounded in time and in
// number, for the pod to appear instead of being reported without it.
import type * as k8s from '@kubernetes/client-node';
import { resourcePath, type KubeClient } from './client.ts';
import { keepWatching } from './watch.ts';

export interface PodContainer {
  readonly name: string;
  readonly image: string;
  /** From the containerID scheme: "containerd", "cri-o", "docker", ... */
  readonly runtime: string;
}

export interface PodInfo {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly serviceAccount: string;
  /** Container id (without the runtime scheme) → the container it names. */
  readonly containers: ReadonlyMap<string, PodContainer>;
}

export interface PodMatch {
  readonly pod: PodInfo;
  /** Absent when only the pod uid was known (e.g. a container not in status yet). */
  readonly container?: PodContainer & { readonly id: string };
}

/** "containerd://3f2a..." → "3f2a..." (every runtime uses scheme://id). */
export function stripRuntimeScheme(containerId: string): string {
  const i = containerId.indexOf('://');
  return i >= 0 ? containerId.slice(i + 3) : containerId;
}

export function podInfoOf(pod: k8s.V1Pod): PodInfo | undefined {
  const md = pod.metadata;
  if (!md?.name || !md.namespace || !md.uid) return undefined;
  const containers = new Map<string, PodContainer>();
  const statuses = [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
    ...(pod.status?.ephemeralContainerStatuses ?? []),
  ];
  for (const s of statuses) {
    if (!s.containerID) continue;
    const scheme = s.containerID.indexOf('://');
    containers.set(stripRuntimeScheme(s.containerID), { name: s.name, image: s.image, runtime: scheme > 0 ? s.containerID.slice(0, scheme) : '' });
  }
  return {
    namespace: md.namespace, name: md.name, uid: md.uid, labels: { ...(md.labels ?? {}) },
    serviceAccount: pod.spec?.serviceAccountName ?? 'default', containers,
  };
}

interface Waiter {
  readonly containerId: string;
  readonly podUid: string | undefined;
  readonly resolve: (m: PodMatch | undefined) => void;
  readonly timer: NodeJS.Timeout;
}

export interface PodIndexStats {
  pods: number;
  containers: number;
  /** Lookups that waited for the informer and then found the pod. */
  resolvedLate: number;
  /** Lookups that waited the full time and found nothing (host process or unknown pod). */
  waitTimeouts: number;
  /** Lookups that could not wait because too many were waiting already. */
  waitRefused: number;
}

export class PodIndex {
  private readonly byUid = new Map<string, PodInfo>();
  private readonly byContainer = new Map<string, PodInfo>();
  private readonly waiters = new Set<Waiter>();
  readonly stats: PodIndexStats = { pods: 0, containers: 0, resolvedLate: 0, waitTimeouts: 0, waitRefused: 0 };

  constructor(private readonly maxWaiters = 10_000) {}

  upsert(pod: k8s.V1Pod): void {
    const info = podInfoOf(pod);
    if (!info) return;
    this.drop(info.uid);
    this.byUid.set(info.uid, info);
    for (const id of info.containers.keys()) this.byContainer.set(id, info);
    this.count();
    this.onChange?.();
    for (const w of this.waiters) {
      const m = this.lookup(w.containerId, w.podUid);
      if (m?.container || (m && !w.containerId)) {
        this.waiters.delete(w);
        clearTimeout(w.timer);
        this.stats.resolvedLate++;
        w.resolve(m);
      }
    }
  }

  remove(pod: k8s.V1Pod): void {
    if (pod.metadata?.uid) this.drop(pod.metadata.uid);
    this.count();
    this.onChange?.();
  }

  /** Replaces the whole index (after a relist). */
  reset(pods: readonly k8s.V1Pod[]): void {
    this.byUid.clear();
    this.byContainer.clear();
    for (const p of pods) this.upsert(p);
    this.count();
  }

  /** What is known now: by container id first, else by the pod uid from the cgroup path. */
  lookup(containerId: string, podUid?: string): PodMatch | undefined {
    const byId = containerId ? this.byContainer.get(containerId) : undefined;
    if (byId) {
      const c = byId.containers.get(containerId) as PodContainer;
      return { pod: byId, container: { ...c, id: containerId } };
    }
    const byPod = podUid ? this.byUid.get(podUid) : undefined;
    return byPod ? { pod: byPod } : undefined;
  }

  /**
   * The pod of a container, waiting up to waitMs for the informer to learn of it when it
   * is not known yet. Resolves undefined for a host process (no container id) at once.
   */
  resolve(containerId: string, podUid: string | undefined, waitMs: number): Promise<PodMatch | undefined> {
    const now = this.lookup(containerId, podUid);
    if (now?.container || (now && !containerId)) return Promise.resolve(now);
    if (!containerId && !podUid) return Promise.resolve(undefined);
    if (this.waiters.size >= this.maxWaiters) {
      this.stats.waitRefused++;
      return Promise.resolve(now);
    }
    return new Promise((resolve) => {
      const w: Waiter = {
        containerId, podUid, resolve,
        timer: setTimeout(() => {
          this.waiters.delete(w);
          this.stats.waitTimeouts++;
          resolve(this.lookup(containerId, podUid));
        }, waitMs),
      };
      this.waiters.add(w);
    });
  }

  /** Every pod known now. */
  pods(): IterableIterator<PodInfo> {
    return this.byUid.values();
  }

  /** Called after every change (add, update, delete, relist). */
  onChange: (() => void) | undefined;

  get waiting(): number {
    return this.waiters.size;
  }

  private drop(uid: string): void {
    const old = this.byUid.get(uid);
    if (!old) return;
    this.byUid.delete(uid);
    for (const id of old.containers.keys()) if (this.byContainer.get(id) === old) this.byContainer.delete(id);
  }

  private count(): void {
    this.stats.pods = this.byUid.size;
    this.stats.containers = this.byContainer.size;
  }
}

export interface PodInformerOptions {
  readonly client: KubeClient;
  readonly nodeName: string;
  readonly index: PodIndex;
  /** Called on watch errors (the informer restarts itself with backoff). */
  readonly onError?: (err: unknown, retryInMs: number) => void;
}

/**
 * Keeps `index` in step with the pods on one node. Returns once the first list is in the
 * index; stop() ends it.
 */
export async function startPodInformer(opts: PodInformerOptions): Promise<{ stop(): Promise<void> }> {
  const { index } = opts;
  const kept = keepWatching<k8s.V1Pod>(opts.client, resourcePath({ version: 'v1', plural: 'pods' }), { fieldSelector: `spec.nodeName=${opts.nodeName}` }, {
    onAdd: (p) => index.upsert(p),
    onUpdate: (p) => index.upsert(p),
    onDelete: (p) => index.remove(p),
  }, (err, retryInMs) => opts.onError?.(err, retryInMs));
  await kept.start();
  return { stop: () => kept.stop() };
}
