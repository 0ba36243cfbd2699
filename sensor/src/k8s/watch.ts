// A client-node ListWatch that keeps going: the library stops at the first error (a list
// that fails, a watch that breaks); this restarts it with capped exponential backoff. The
// backoff starts over once the watch has run a while without failing, not at every
// reconnect attempt (ListWatch signals "connect" before its list, even one that fails).
import type * as k8s from '@kubernetes/client-node';

export interface KeptWatch {
  /** Resolves after the first list attempt (its failure is reported and retried, not thrown). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

const FIRST_MS = 500;
const MAX_MS = 30_000;

export function keepWatching<T extends k8s.KubernetesObject>(lw: k8s.ListWatch<T>, onError: (err: unknown, retryInMs: number) => void): KeptWatch {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let backoff = FIRST_MS;
  let lastError = 0;
  lw.on('error', (err: unknown) => {
    if (stopped) return;
    if (Date.now() - lastError > 2 * MAX_MS) backoff = FIRST_MS;
    lastError = Date.now();
    onError(err, backoff);
    timer = setTimeout(() => { if (!stopped) lw.start().catch((e: unknown) => onError(e, backoff)); }, backoff);
    backoff = Math.min(backoff * 2, MAX_MS);
  });
  return {
    start: () => lw.start(),
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await lw.stop();
    },
  };
}
