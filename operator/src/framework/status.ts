// Status writes that do not lie (the base class's status calls swallow every error):
// compute the status from the object as last seen, skip the write when nothing changes,
// PUT the status subresource with the object's resourceVersion, and on 409 read the object
// again and recompute, a bounded number of times. Other failures are thrown for the work
// queue to retry.
import { isDeepStrictEqual } from 'node:util';
import { KubeApiError } from './errors.ts';
import type { KubeClient, KubeObject, ResourceRef } from './kube.ts';
import { backoffMs, sleep } from './backoff.ts';

export interface ConditionInput {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message?: string;
}

export interface ConditionValue extends ConditionInput {
  readonly message: string;
  readonly observedGeneration?: number;
  readonly lastTransitionTime: string;
}

/**
 * Merges our conditions into the existing ones: types we do not set are kept, and
 * lastTransitionTime moves only when a condition's status changes.
 */
export function mergeConditions(existing: readonly ConditionValue[] | undefined, ours: readonly ConditionInput[],
  generation: number | undefined, now = new Date()): ConditionValue[] {
  const out: ConditionValue[] = [];
  const mine = new Map(ours.map((c) => [c.type, c]));
  for (const old of existing ?? []) if (!mine.has(old.type)) out.push(old);
  for (const c of ours) {
    const old = existing?.find((e) => e.type === c.type);
    out.push({
      type: c.type, status: c.status, reason: c.reason, message: c.message ?? '',
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
      lastTransitionTime: old && old.status === c.status ? old.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    });
  }
  const order = (t: string): number => { const i = ours.findIndex((c) => c.type === t); return i < 0 ? -1 : i; };
  return out.sort((a, b) => order(a.type) - order(b.type));
}

export interface StatusWriteResult {
  readonly written: boolean;
  readonly conflicts: number;
  readonly object?: KubeObject;
}

export class StatusWriter {
  conflicts = 0;
  writes = 0;

  constructor(private readonly client: KubeClient, private readonly maxConflicts = 8) {}

  /**
   * Writes compute(current) as the status of current (from a cache, possibly stale).
   * compute returns undefined for "no opinion". Returns whether a write happened.
   */
  async write<T extends KubeObject>(ref: ResourceRef, current: T, compute: (obj: T) => unknown): Promise<StatusWriteResult> {
    let obj = current;
    for (let attempt = 0; ; attempt++) {
      const desired = compute(obj);
      if (desired === undefined || isDeepStrictEqual(obj.status, desired)) return { written: false, conflicts: attempt, object: obj };
      try {
        const body = { ...obj, status: desired };
        const out = await this.client.replace<T>(ref, body, 'status');
        this.writes++;
        return { written: true, conflicts: attempt, object: out };
      } catch (err) {
        if (err instanceof KubeApiError && err.code === 'not-found') return { written: false, conflicts: attempt };
        if (!(err instanceof KubeApiError && err.code === 'conflict') || attempt >= this.maxConflicts) throw err;
        this.conflicts++;
        await sleep(backoffMs(attempt, 10, 500));
        const fresh = await this.client.find<T>(ref, obj.metadata?.name ?? '', obj.metadata?.namespace);
        if (!fresh) return { written: false, conflicts: attempt + 1 };
        obj = fresh;
      }
    }
  }
}
