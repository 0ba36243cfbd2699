// A small apiserver client over @kubernetes/client-node's KubeConfig (which does the
// authentication: client certificates, bearer tokens, token files that rotate, exec
// plugins). Requests are plain HTTPS with a keep-alive agent, errors are KubeApiError with
// a closed code, and watches stream line by line with an idle timeout.
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from 'node:https';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { createInterface } from 'node:readline';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeApiError } from './errors.ts';

export interface ResourceRef {
  readonly group: string; // '' for the core group
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    resourceVersion?: string;
    generation?: number;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

/** Anything with a name: what create/replace/apply need to address it. */
export interface Addressable {
  metadata?: { name?: string; namespace?: string };
}

export interface ObjectList<T> {
  metadata: { resourceVersion?: string; continue?: string };
  items: T[];
}

export type Query = Record<string, string | number | boolean | undefined>;

export function apiPath(ref: ResourceRef, namespace?: string, name?: string, sub?: string): string {
  let p = ref.group ? `/apis/${ref.group}/${ref.version}` : `/api/${ref.version}`;
  if (ref.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${ref.plural}`;
  if (name) p += `/${encodeURIComponent(name)}`;
  if (sub) p += `/${sub}`;
  return p;
}

export function objectKey(obj: KubeObject): string {
  const m = obj.metadata ?? {};
  return m.namespace ? `${m.namespace}/${m.name}` : `${m.name}`;
}

export interface RequestOpts {
  readonly query?: Query;
  readonly body?: unknown;
  readonly contentType?: string;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export class KubeClient {
  readonly server: string;
  private readonly agent: HttpsAgent | HttpAgent;

  constructor(readonly config: KubeConfig) {
    const cluster = config.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    this.server = cluster.server.replace(/\/$/, '');
    this.agent = this.server.startsWith('https:') ? new HttpsAgent({ keepAlive: true, maxSockets: 32 }) : new HttpAgent({ keepAlive: true, maxSockets: 32 });
  }

  /** A kubeconfig file, or (no path) the in-cluster ServiceAccount / $KUBECONFIG / ~/.kube/config. */
  static load(kubeconfigPath?: string): KubeClient {
    const kc = new KubeConfig();
    if (kubeconfigPath) kc.loadFromFile(kubeconfigPath);
    else kc.loadFromDefault();
    return new KubeClient(kc);
  }

  /** Who we are: the user of the current context (for logs). */
  get user(): string {
    return this.config.getCurrentUser()?.name ?? 'unknown';
  }

  private async open(method: string, path: string, opts: RequestOpts): Promise<IncomingMessage> {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const options: RequestOptions = { method, headers: { Accept: 'application/json' } };
    // Per request: token files rotate, and the config re-reads them when they do.
    await this.config.applyToHTTPSOptions(options);
    const headers = options.headers as Record<string, string>;
    let payload: Buffer | undefined;
    if (opts.body !== undefined) {
      payload = Buffer.from(typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body));
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      headers['Content-Length'] = String(payload.length);
    }
    // TLS material (ca, cert, key) rides in the options; the agent pools sockets per set.
    const agent = this.agent as HttpsAgent;
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = send(url, { ...options, agent, signal: opts.signal }, resolve);
      req.setTimeout(opts.timeoutMs ?? 30_000, () => req.destroy(new KubeApiError('timeout', 0, `${method} ${path}: timed out`)));
      req.on('error', (err) => reject(err instanceof KubeApiError ? err
        : new KubeApiError(opts.signal?.aborted ? 'other' : 'network', 0, `${method} ${path}: ${err.message}`, undefined, { cause: err })));
      req.end(payload);
    });
  }

  async request<T>(method: string, path: string, opts: RequestOpts = {}): Promise<T> {
    const res = await this.open(method, path, opts);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) throw KubeApiError.fromStatus(status, text, `${method} ${path}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /**
   * Streams a watch: calls onLine for each JSON line until the server ends the stream,
   * the connection breaks (rejects), no byte arrives for idleMs, or signal aborts.
   */
  async stream(path: string, query: Query, onLine: (obj: unknown) => void, opts: { signal?: AbortSignal; idleMs: number }): Promise<void> {
    const res = await this.open('GET', path, { query, signal: opts.signal, timeoutMs: opts.idleMs });
    const status = res.statusCode ?? 0;
    if (status !== 200) {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      throw KubeApiError.fromStatus(status, Buffer.concat(chunks).toString('utf8'), `watch ${path}`);
    }
    // The request's idle timeout (timeoutMs above) keeps watching the socket while the body streams.
    const lines = createInterface({ input: res, crlfDelay: Infinity });
    await new Promise<void>((resolve, reject) => {
      // readline re-emits input errors on the interface: unhandled, they would kill the process.
      lines.on('error', (err) => reject(new KubeApiError('network', 0, `watch ${path}: ${err.message}`)));
      res.on('error', (err) => reject(err instanceof KubeApiError ? err : new KubeApiError('network', 0, `watch ${path}: ${err.message}`)));
      res.on('aborted', () => reject(new KubeApiError('network', 0, `watch ${path}: connection aborted`)));
      lines.on('line', (line) => {
        if (!line.trim()) return;
        let obj: unknown;
        try {
          obj = JSON.parse(line);
        } catch {
          reject(new KubeApiError('other', 0, `watch ${path}: malformed line`));
          res.destroy();
          return;
        }
        try {
          onLine(obj);
        } catch (err) {
          // A handler refusing a line ends the stream with its error, never escapes.
          reject(err);
          res.destroy();
        }
      });
      lines.on('close', () => (res.complete ? resolve() : reject(new KubeApiError('network', 0, `watch ${path}: stream cut`))));
    });
  }

  get<T extends KubeObject>(ref: ResourceRef, name: string, namespace?: string): Promise<T> {
    return this.request<T>('GET', apiPath(ref, namespace, name));
  }

  /** The object, or undefined when it does not exist. */
  async find<T extends KubeObject>(ref: ResourceRef, name: string, namespace?: string): Promise<T | undefined> {
    try {
      return await this.get<T>(ref, name, namespace);
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 'not-found') return undefined;
      throw err;
    }
  }

  list<T extends KubeObject>(ref: ResourceRef, namespace?: string, query: Query = {}): Promise<ObjectList<T>> {
    return this.request<ObjectList<T>>('GET', apiPath(ref, namespace), { query });
  }

  create<T extends Addressable>(ref: ResourceRef, obj: T, namespace?: string): Promise<T> {
    return this.request<T>('POST', apiPath(ref, namespace ?? obj.metadata?.namespace), { body: obj });
  }

  /** PUT: optimistic concurrency through metadata.resourceVersion (409 when stale). */
  replace<T extends Addressable>(ref: ResourceRef, obj: T, sub?: string): Promise<T> {
    return this.request<T>('PUT', apiPath(ref, obj.metadata?.namespace, obj.metadata?.name, sub), { body: obj });
  }

  mergePatch<T extends KubeObject>(ref: ResourceRef, name: string, patch: unknown, namespace?: string, sub?: string): Promise<T> {
    return this.request<T>('PATCH', apiPath(ref, namespace, name, sub), { body: patch, contentType: 'application/merge-patch+json' });
  }

  /** Server-side apply with our field manager. */
  apply<T extends Addressable>(ref: ResourceRef, obj: T, fieldManager: string, force = true): Promise<T> {
    return this.request<T>('PATCH', apiPath(ref, obj.metadata?.namespace, obj.metadata?.name), {
      body: obj, contentType: 'application/apply-patch+yaml', query: { fieldManager, force },
    });
  }

  async delete(ref: ResourceRef, name: string, namespace?: string): Promise<void> {
    try {
      await this.request('DELETE', apiPath(ref, namespace, name));
    } catch (err) {
      if (!(err instanceof KubeApiError && err.code === 'not-found')) throw err;
    }
  }

  close(): void {
    this.agent.destroy();
  }
}

export const CORE = {
  configMaps: { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true },
  events: { group: '', version: 'v1', plural: 'events', kind: 'Event', namespaced: true },
  leases: { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease', namespaced: true },
  crds: { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions', kind: 'CustomResourceDefinition', namespaced: false },
} as const satisfies Record<string, ResourceRef>;
