// An informer that survives the real world (the weaknesses of the base class's
// watchResource, which exits the process on any error and relists on every reconnect):
// list, then watch from the list's resourceVersion; on a broken stream resume from the
// last resourceVersion seen (bookmarks keep it fresh) after a capped, jittered backoff;
// only 410 Gone forces a relist, and a relist is diffed against the cache so handlers see
// just what changed. What happens is reported as WatchEvents for logs and metrics.
import { EventEmitter } from 'node:events';
import { KubeApiError } from './errors.ts';
import { apiPath, objectKey, type KubeClient, type KubeObject, type ObjectList, type ResourceRef } from './kube.ts';
import { backoffMs, sleep } from './backoff.ts';

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface Change<T extends KubeObject> {
  readonly type: ChangeType;
  readonly key: string;
  readonly object: T;
  readonly old?: T;
}

export type WatchEvent =
  | { kind: 'listed'; items: number; resourceVersion: string; relist: boolean }
  | { kind: 'connected'; resourceVersion: string }
  | { kind: 'closed'; resourceVersion: string } // the server ended the stream (normal)
  | { kind: 'gone'; resourceVersion: string } // 410: too old, relisting
  | { kind: 'error'; error: Error; attempt: number; retryInMs: number };

export interface InformerOptions {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** Server-side watch timeout; the stream then ends and resumes. */
  readonly watchTimeoutSeconds?: number;
  readonly pageSize?: number;
}

export class Informer<T extends KubeObject> {
  private readonly store = new Map<string, T>();
  private readonly changes = new EventEmitter();
  private readonly events = new EventEmitter();
  private resourceVersion = '';
  private abort = new AbortController();
  private streamAbort?: AbortController;
  private running?: Promise<void>;
  private syncedFlag = false;
  private syncedWaiters: Array<() => void> = [];

  constructor(readonly client: KubeClient, readonly ref: ResourceRef, readonly opts: InformerOptions = {}) {
    this.changes.setMaxListeners(0);
    this.events.setMaxListeners(0);
  }

  onChange(fn: (c: Change<T>) => void): void {
    this.changes.on('change', fn);
  }

  onWatchEvent(fn: (e: WatchEvent) => void): void {
    this.events.on('event', fn);
  }

  get synced(): boolean {
    return this.syncedFlag;
  }

  /** Resolves once the first list is in the cache. */
  waitSynced(): Promise<void> {
    if (this.syncedFlag) return Promise.resolve();
    return new Promise((resolve) => this.syncedWaiters.push(resolve));
  }

  get(key: string): T | undefined {
    return this.store.get(key);
  }

  list(): T[] {
    return [...this.store.values()];
  }

  get size(): number {
    return this.store.size;
  }

  get lastResourceVersion(): string {
    return this.resourceVersion;
  }

  /**
   * Drops the current watch and resumes from resourceVersion (default: the last seen) —
   * what a dropped connection does. Tests use an expired version to provoke 410 Gone.
   */
  resumeFrom(resourceVersion = this.resourceVersion): void {
    this.resourceVersion = resourceVersion;
    this.streamAbort?.abort();
  }

  start(): void {
    if (this.running) return;
    this.abort = new AbortController();
    this.running = this.loop(this.abort.signal);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
    this.running = undefined;
  }

  private emit(e: WatchEvent): void {
    this.events.emit('event', e);
  }

  private apply(type: ChangeType, obj: T): void {
    const key = objectKey(obj);
    const old = this.store.get(key);
    if (type === 'DELETED') {
      if (!old) return;
      this.store.delete(key);
    } else {
      // Replayed or already-seen versions (after a resume) change nothing.
      if (old && old.metadata?.resourceVersion === obj.metadata?.resourceVersion) return;
      this.store.set(key, obj);
      type = old ? 'MODIFIED' : 'ADDED';
    }
    this.changes.emit('change', { type, key, object: obj, old } satisfies Change<T>);
  }

  private selectors(): Record<string, string | undefined> {
    return { labelSelector: this.opts.labelSelector, fieldSelector: this.opts.fieldSelector };
  }

  /** Lists everything (paged) and replaces the cache, reporting the difference as changes. */
  private async relist(signal: AbortSignal): Promise<void> {
    const seen = new Map<string, T>();
    let cont: string | undefined;
    let rv = '';
    do {
      const page: ObjectList<T> & { kind?: string } = await this.client.request('GET', apiPath(this.ref, this.opts.namespace), {
        query: { ...this.selectors(), limit: this.opts.pageSize ?? 500, continue: cont }, signal,
      });
      for (const item of page.items) {
        // List items carry no apiVersion/kind; handlers expect whole objects.
        item.apiVersion ??= this.ref.group ? `${this.ref.group}/${this.ref.version}` : this.ref.version;
        item.kind ??= this.ref.kind || page.kind?.replace(/List$/, '');
        seen.set(objectKey(item), item);
      }
      cont = page.metadata.continue || undefined;
      rv = page.metadata.resourceVersion ?? rv;
    } while (cont);
    const relist = this.syncedFlag;
    for (const [key, old] of [...this.store]) if (!seen.has(key)) this.apply('DELETED', old);
    for (const obj of seen.values()) this.apply('ADDED', obj);
    this.resourceVersion = rv;
    this.emit({ kind: 'listed', items: seen.size, resourceVersion: rv, relist });
    if (!this.syncedFlag) {
      this.syncedFlag = true;
      for (const w of this.syncedWaiters.splice(0)) w();
    }
  }

  private async loop(signal: AbortSignal): Promise<void> {
    let attempt = 0;
    let needList = true;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.relist(signal);
          needList = false;
        }
        const base = this.opts.watchTimeoutSeconds ?? 300;
        const timeout = base + Math.floor(Math.random() * base * 0.2); // spread reconnects of many informers
        let gone = false;
        this.emit({ kind: 'connected', resourceVersion: this.resourceVersion });
        this.streamAbort = new AbortController();
        const streamSignal = AbortSignal.any([signal, this.streamAbort.signal]);
        await this.client.stream(apiPath(this.ref, this.opts.namespace), {
          ...this.selectors(), watch: 1, resourceVersion: this.resourceVersion, allowWatchBookmarks: true, timeoutSeconds: timeout,
        }, (line) => {
          const ev = line as { type?: string; object?: T & { code?: number } };
          if (!ev.object) return;
          attempt = 0; // data flows: the connection is healthy
          if (ev.type === 'ERROR') {
            if (ev.object.code === 410) gone = true;
            else throw new KubeApiError('other', Number(ev.object.code ?? 0), `watch error: ${JSON.stringify(ev.object).slice(0, 500)}`);
            return;
          }
          const rv = ev.object.metadata?.resourceVersion;
          if (rv) this.resourceVersion = rv;
          if (ev.type === 'BOOKMARK') return;
          if (ev.type === 'ADDED' || ev.type === 'MODIFIED' || ev.type === 'DELETED') this.apply(ev.type, ev.object);
        }, { signal: streamSignal, idleMs: (timeout + 30) * 1000 });
        if (gone) {
          this.emit({ kind: 'gone', resourceVersion: this.resourceVersion });
          needList = true;
        } else {
          this.emit({ kind: 'closed', resourceVersion: this.resourceVersion });
        }
      } catch (err) {
        if (signal.aborted) break;
        if (err instanceof KubeApiError && err.code === 'gone') {
          this.emit({ kind: 'gone', resourceVersion: this.resourceVersion });
          needList = true;
          continue;
        }
        const retryInMs = backoffMs(attempt, 200, 30_000);
        this.emit({ kind: 'error', error: err as Error, attempt, retryInMs });
        attempt++;
        await sleep(retryInMs, signal);
      }
    }
  }
}
