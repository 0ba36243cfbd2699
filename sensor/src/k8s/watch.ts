// An informer that keeps going: list, then watch from the list's resourceVersion (with
// bookmarks), resume the watch where the server closed it, relist when the version is gone
// (410), and after any failure retry with capped exponential backoff. The backoff starts
// over once the watch has run a while without failing. Handlers see add, update and delete
// as a list diffed against what they saw before, then as the watch's events.
import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { apiStatus, type KubeClient, type Query, type WatchStream } from './client.ts';

export interface KeptWatch {
  /** Resolves after the first list attempt (its failure is reported and retried, not thrown). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface WatchHandlers<T> {
  onAdd?(obj: T): void;
  onUpdate?(obj: T): void;
  onDelete?(obj: T): void;
}

const FIRST_MS = 500;
const MAX_MS = 30_000;

const keyOf = (o: KubernetesObject): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

export function keepWatching<T extends KubernetesObject>(
  client: KubeClient,
  path: string,
  query: Query,
  handlers: WatchHandlers<T>,
  onError: (err: unknown, retryInMs: number) => void,
): KeptWatch {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let stream: WatchStream | undefined;
  let backoff = FIRST_MS;
  let lastError = 0;
  const seen = new Map<string, T>();

  const failed = (err: unknown): void => {
    if (stopped) return;
    if (Date.now() - lastError > 2 * MAX_MS) backoff = FIRST_MS;
    lastError = Date.now();
    onError(err, backoff);
    timer = setTimeout(() => void cycle(), backoff);
    backoff = Math.min(backoff * 2, MAX_MS);
  };

  const apply = (type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: T): void => {
    const k = keyOf(obj);
    if (type === 'DELETED') {
      seen.delete(k);
      handlers.onDelete?.(obj);
      return;
    }
    const had = seen.has(k);
    seen.set(k, obj);
    if (had) handlers.onUpdate?.(obj);
    else handlers.onAdd?.(obj);
  };

  const watchFrom = (version: string): void => {
    if (stopped) return;
    let rv = version;
    // how the watch ended, when the server said so in an ERROR event (then it is aborted)
    let ended: { gone: true } | { gone: false; err: Error } | undefined;
    const startedAt = Date.now();
    stream = client.watch<T>(path, { ...query, resourceVersion: rv }, (e) => {
      if (ended) return;
      if (e.type === 'ERROR') {
        ended = (e.object as { code?: number }).code === 410
          ? { gone: true }
          : { gone: false, err: new Error(`watch ${path}: ${JSON.stringify(e.object).slice(0, 300)}`) };
        stream?.abort();
        return;
      }
      rv = e.object.metadata?.resourceVersion ?? rv;
      if (e.type !== 'BOOKMARK') apply(e.type, e.object);
    });
    stream.done.then(
      () => {
        if (stopped) return;
        if (ended?.gone) void cycle(); // the version is gone: list again
        else if (ended) failed(ended.err);
        else if (Date.now() - startedAt < 1_000) failed(new Error(`watch ${path}: closed at once`));
        else watchFrom(rv); // the server ended it (its timeout): go on from there
      },
      (err: unknown) => (apiStatus(err) === 410 ? void cycle() : failed(err)),
    );
  };

  /** List (diffed against what the handlers saw), then watch from there. */
  const cycle = async (): Promise<void> => {
    if (stopped) return;
    let list: KubernetesListObject<T>;
    try {
      list = await client.call<KubernetesListObject<T>>('GET', path, { query });
    } catch (err) {
      failed(err);
      return;
    }
    if (stopped) return;
    const now = new Set<string>();
    for (const item of list.items) {
      const k = keyOf(item);
      now.add(k);
      // new or changed since the handlers saw it (apply tells add from update)
      const before = seen.get(k);
      if (!before || before.metadata?.resourceVersion !== item.metadata?.resourceVersion) apply('ADDED', item);
    }
    for (const [k, obj] of [...seen]) if (!now.has(k)) apply('DELETED', obj);
    watchFrom(list.metadata?.resourceVersion ?? '');
  };

  return {
    start: () => cycle(),
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      stream?.abort();
      await stream?.done.catch(() => undefined);
    },
  };
}
