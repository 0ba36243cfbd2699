// Our operator base: @dot-i/k8s-operator's Operator (the kopf-style base the project chose)
// with its weaknesses replaced rather than inherited:
//   - watchResource exits the process on any watch error and relists on every reconnect
//     → Informer: resumes from its resourceVersion with backoff; relists only on 410;
//   - one global event queue for all objects → per-object ordering, parallel across objects;
//   - status and finalizer calls log and swallow errors → they throw typed KubeApiErrors,
//     and status writes retry on 409 conflicts;
//   - the base's requests go through client-node 0.20 and gaxios → ours use client-node 1.4.
// On top, kopf-style handlers: handle(informer, fn) runs fn per object key, serially for one
// object and in parallel across objects, retrying temporary failures with capped backoff.
import dotI, { type ResourceEvent, type ResourceMeta, ResourceEventType } from '@dot-i/k8s-operator';
import type { Logger } from 'pino';
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { V1CustomResourceDefinitionVersion } from '@kubernetes/client-node';
import { Informer, type Change, type InformerOptions, type WatchEvent } from './watch.ts';
import { KeyedQueue } from './queue.ts';
import { StatusWriter } from './status.ts';
import { classify, KubeApiError } from './errors.ts';
import { backoffMs, sleep } from './backoff.ts';
import { CORE, type KubeClient, type KubeObject, type ResourceRef } from './kube.ts';
import type { Counter, Registry } from './metrics.ts';

const BaseOperator = dotI.default;

// Operators alive in this process (a leader re-creates its operator on every term): the
// shared gauges sum over them.
const live = new Set<ControllerOperator>();

export interface OperatorOptions {
  readonly client: KubeClient;
  readonly logger: Logger;
  readonly registry: Registry;
  /** Objects handled at once per handler (one object is never handled twice at once). */
  readonly concurrency?: number;
}

export interface HandleOptions<T extends KubeObject> {
  readonly name: string;
  /** Which changes enqueue the object (default: all). */
  readonly filter?: (c: Change<T>) => boolean;
}

export abstract class ControllerOperator extends BaseOperator {
  protected readonly client: KubeClient;
  protected readonly log: Logger;
  protected readonly registry: Registry;
  protected readonly statusWriter: StatusWriter;
  private readonly informers: Informer<KubeObject>[] = [];
  private readonly queues: KeyedQueue[] = [];
  private readonly refsById = new Map<string, ResourceRef>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly concurrency: number;
  private readonly watchEvents: Counter;
  private readonly handlerRuns: Counter;
  private readonly handlerErrors: Counter;
  private stopped = false;

  constructor(opts: OperatorOptions) {
    const log = opts.logger.child({ component: 'operator' });
    super({
      debug: (m: string) => log.debug(m), info: (m: string) => log.info(m),
      warn: (m: string) => log.warn(m), error: (m: string) => log.error(m),
    });
    this.client = opts.client;
    this.log = log;
    this.registry = opts.registry;
    this.concurrency = opts.concurrency ?? 16;
    this.statusWriter = new StatusWriter(opts.client);
    this.watchEvents = opts.registry.counter('vigil_operator_watch_events_total', 'Watch lifecycle events by resource and kind (listed, connected, closed, gone, error).');
    this.handlerRuns = opts.registry.counter('vigil_operator_handler_runs_total', 'Handler runs by handler.');
    this.handlerErrors = opts.registry.counter('vigil_operator_handler_errors_total', 'Handler failures by handler and whether they will be retried.');
    opts.registry.gauge('vigil_operator_status_conflicts', 'Status writes that met a 409 conflict and were retried, by live operators.',
      (g) => g.set([...live].reduce((n, o) => n + o.statusWriter.conflicts, 0)));
    opts.registry.gauge('vigil_operator_queue_depth', 'Objects waiting in handler queues.',
      (g) => g.set([...live].reduce((n, o) => n + o.queues.reduce((m, q) => m + q.depth, 0), 0)));
  }

  /** Starts informers registered in init() and waits until their caches are filled. */
  override async start(): Promise<void> {
    this.stopped = false;
    live.add(this);
    await this.init();
    for (const inf of this.informers) inf.start();
    await Promise.all(this.informers.map((i) => i.waitSynced()));
  }

  override stop(): void {
    void this.shutdown();
  }

  /** Stops every watch and queue; in-flight handlers finish. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    live.delete(this);
    for (const q of this.queues) q.stop();
    await Promise.all(this.informers.map((i) => i.stop()));
    await Promise.all([...this.chains.values()]);
    await Promise.all(this.queues.map((q) => q.idle()));
  }

  /** A shared, resuming cache of one resource (started by start()). */
  protected informer<T extends KubeObject>(ref: ResourceRef, opts: InformerOptions = {}): Informer<T> {
    const inf = new Informer<T>(this.client, ref, opts);
    const name = ref.plural;
    const log = this.log.child({ resource: name });
    inf.onWatchEvent((e: WatchEvent) => {
      this.watchEvents.inc({ resource: name, event: e.kind });
      if (e.kind === 'error') log.warn({ err: e.error.message, attempt: e.attempt, retryInMs: e.retryInMs }, 'watch failed; resuming from last resourceVersion');
      else if (e.kind === 'gone') log.info({ resourceVersion: e.resourceVersion }, 'watch too old (410); relisting');
      else if (e.kind === 'listed') log.info({ items: e.items, relist: e.relist }, 'listed');
      else log.debug({ resourceVersion: e.resourceVersion }, `watch ${e.kind}`);
    });
    this.refsById.set(`${ref.plural}.${ref.group ? `${ref.group}/${ref.version}` : ref.version}`, ref);
    this.informers.push(inf as unknown as Informer<KubeObject>);
    return inf;
  }

  /**
   * Runs fn(key) for every changed object of an informer (and whenever enqueued): one key
   * at a time, level-based (a burst of changes is one run that reads the latest object).
   */
  protected handle<T extends KubeObject>(inf: Informer<T>, fn: (key: string, obj: T | undefined) => Promise<void>,
    opts: HandleOptions<T>): KeyedQueue {
    const log = this.log.child({ handler: opts.name });
    const queue = new KeyedQueue(async (key) => {
      this.handlerRuns.inc({ handler: opts.name });
      await fn(key, inf.get(key));
    }, {
      concurrency: this.concurrency,
      onError: (key, err, retry, delayMs, attempt) => {
        this.handlerErrors.inc({ handler: opts.name, retry: String(retry) });
        const level = retry && attempt < 3 ? 'info' : 'warn';
        log[level]({ key, err: (err as Error).message, retry, delayMs, attempt }, retry ? 'handler failed; retrying' : 'handler failed permanently');
      },
    });
    inf.onChange((c) => {
      if (!opts.filter || opts.filter(c)) queue.add(c.key);
    });
    this.queues.push(queue);
    return queue;
  }

  // ---- the base class's API, re-implemented on the above ----

  /**
   * Same contract as the base (events of one resource to onEvent), but events of one
   * object are delivered in order while objects proceed in parallel, a failing onEvent is
   * retried (unless a newer event for the object arrived), and a broken watch resumes.
   */
  protected override async watchResource(group: string, version: string, plural: string,
    onEvent: (event: ResourceEvent) => Promise<void>, namespace?: string): Promise<void> {
    const ref: ResourceRef = { group, version, plural, kind: '', namespaced: namespace !== undefined };
    const inf = this.informer<KubeObject>(ref, { namespace });
    const apiVersion = group ? `${group}/${version}` : version;
    const id = `${plural}.${apiVersion}`;
    const seq = new Map<string, number>();
    inf.onChange((c) => {
      const n = (seq.get(c.key) ?? 0) + 1;
      seq.set(c.key, n);
      const obj = c.object;
      const event: ResourceEvent = {
        type: c.type === 'ADDED' ? ResourceEventType.Added : c.type === 'MODIFIED' ? ResourceEventType.Modified : ResourceEventType.Deleted,
        object: obj as ResourceEvent['object'],
        meta: {
          id, name: obj.metadata?.name ?? '', namespace: obj.metadata?.namespace, resourceVersion: obj.metadata?.resourceVersion ?? '',
          apiVersion: obj.apiVersion ?? apiVersion, kind: obj.kind ?? '',
        },
      };
      const prev = this.chains.get(c.key) ?? Promise.resolve();
      const next = prev.then(async () => {
        for (let attempt = 0; !this.stopped; attempt++) {
          try {
            await onEvent(event);
            return;
          } catch (err) {
            const k = classify(err);
            this.log.warn({ key: c.key, err: (err as Error).message, retry: k.retry }, 'event handler failed');
            if (!k.retry || seq.get(c.key) !== n) return; // permanent, or superseded by a newer event
            await sleep(k.delayMs ?? backoffMs(attempt, 100, 60_000));
          }
        }
      });
      this.chains.set(c.key, next);
      void next.then(() => { if (this.chains.get(c.key) === next) this.chains.delete(c.key); });
    });
    inf.start();
    await inf.waitSynced();
    this.log.info({ resource: id }, 'watching');
  }

  /**
   * Registers a CRD from a YAML file: server-side apply (so it is also upgraded), errors
   * thrown — the base created it through client-node 0.20 and ignored every 409.
   */
  protected override async registerCustomResourceDefinition(crdFile: string): Promise<{ group: string; versions: V1CustomResourceDefinitionVersion[]; plural: string }> {
    const crd = parseYaml(await readFile(crdFile, 'utf8')) as KubeObject & { spec: { group: string; versions: V1CustomResourceDefinitionVersion[]; names: { plural: string } } };
    if (!crd.apiVersion?.startsWith('apiextensions.k8s.io/')) throw new Error(`${crdFile}: not a CustomResourceDefinition`);
    await this.client.apply(CORE.crds, crd, 'vigil-operator', true);
    return { group: crd.spec.group, versions: crd.spec.versions, plural: crd.spec.names.plural };
  }

  private refOf(meta: ResourceMeta): ResourceRef {
    const ref = this.refsById.get(meta.id);
    if (!ref) throw new Error(`no watched resource ${meta.id}`);
    return ref;
  }

  /** PUT status with conflict retry; throws on failure (the base returned null). */
  protected override async setResourceStatus(meta: ResourceMeta, status: unknown): Promise<ResourceMeta | null> {
    const ref = this.refOf(meta);
    const current = await this.client.get<KubeObject>(ref, meta.name, meta.namespace);
    const res = await this.statusWriter.write(ref, current, () => status);
    return this.metaOf(meta.id, res.object ?? current);
  }

  /** Merge-patches status; throws on failure (the base returned null). */
  protected override async patchResourceStatus(meta: ResourceMeta, status: unknown): Promise<ResourceMeta | null> {
    const ref = this.refOf(meta);
    const out = await this.client.mergePatch<KubeObject>(ref, meta.name, { status }, meta.namespace, 'status');
    return this.metaOf(meta.id, out);
  }

  /** Sets finalizers; throws on failure (the base logged and went on). */
  protected override async setResourceFinalizers(meta: ResourceMeta, finalizers: string[]): Promise<void> {
    await this.client.mergePatch(this.refOf(meta), meta.name, { metadata: { finalizers } }, meta.namespace);
  }

  private metaOf(id: string, obj: KubeObject): ResourceMeta {
    return {
      id, name: obj.metadata?.name ?? '', namespace: obj.metadata?.namespace,
      resourceVersion: obj.metadata?.resourceVersion ?? '', apiVersion: obj.apiVersion ?? '', kind: obj.kind ?? '',
    };
  }
}

export { KubeApiError };
