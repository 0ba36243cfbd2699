// The sensor's Kubernetes client: the few calls a node sensor makes (list and watch pods
// and ConfigMaps; read, create and patch Signals, Events, its Sensor and its Node), as JSON
// over node:https. Why not @kubernetes/client-node, which the operator uses: loading it
// (its generated models and auth plugins) costs every node ~34 MiB of resident memory, a
// quarter of the sensor's budget (test/e2e/loop.bench.ts prints the sensor's memory in a
// cluster). Object types still come from it, as types only (erased at build).
//
// Credentials as client-node's loadFromDefault finds them: $KUBECONFIG, else
// ~/.kube/config, else the pod's ServiceAccount (its token file is re-read, as the kubelet
// rotates it).
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { Agent, request as httpsRequest, type RequestOptions } from 'node:https';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { createInterface } from 'node:readline';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** A non-2xx answer of the API server (code: the HTTP status), or a failed connection (code 0). */
export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    readonly body: string,
    what: string,
  ) {
    super(`${what}: ${code === 0 ? body : `HTTP ${code} ${body.slice(0, 300)}`}`);
    this.name = 'KubeApiError';
  }
}

/** The HTTP status of a failed call, or undefined when err is not one. */
export function apiStatus(err: unknown): number | undefined {
  return err instanceof KubeApiError ? err.code : undefined;
}

export interface KubeCredentials {
  /** https://host:port (no trailing slash). */
  readonly server: string;
  readonly ca?: Buffer;
  readonly insecureSkipTlsVerify?: boolean;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  /** A bearer token, read anew when it comes from a file that changed. */
  readonly token?: () => string | undefined;
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

const KubeconfigSchema = z.object({
  'current-context': z.string().optional(),
  contexts: z.array(z.object({ name: z.string(), context: z.object({ cluster: z.string(), user: z.string().optional() }) })).default([]),
  clusters: z.array(z.object({
    name: z.string(),
    cluster: z.object({
      server: z.string().url(),
      'certificate-authority-data': z.string().optional(),
      'certificate-authority': z.string().optional(),
      'insecure-skip-tls-verify': z.boolean().optional(),
    }),
  })).default([]),
  users: z.array(z.object({
    name: z.string(),
    user: z.object({
      token: z.string().optional(),
      tokenFile: z.string().optional(),
      'client-certificate-data': z.string().optional(),
      'client-certificate': z.string().optional(),
      'client-key-data': z.string().optional(),
      'client-key': z.string().optional(),
    }).passthrough().nullable().default({}),
  })).default([]),
});

/** A token file, re-read when its modification time changes. */
function tokenFile(path: string): () => string | undefined {
  let mtime = -1;
  let token: string | undefined;
  return () => {
    try {
      const m = statSync(path).mtimeMs;
      if (m !== mtime) {
        token = readFileSync(path, 'utf8').trim();
        mtime = m;
      }
    } catch {
      // keep the last token: a rotation replaces the file, it does not remove it for long
    }
    return token;
  };
}

/** The credentials of a kubeconfig file's current context (relative paths from the file's folder). */
export function credentialsFromKubeconfig(path: string): KubeCredentials {
  const doc = KubeconfigSchema.parse(parseYaml(readFileSync(path, 'utf8')));
  const contextName = doc['current-context'] ?? doc.contexts[0]?.name;
  const context = doc.contexts.find((c) => c.name === contextName)?.context;
  if (!context) throw new Error(`${path}: no context ${contextName ?? '(none)'}`);
  const cluster = doc.clusters.find((c) => c.name === context.cluster)?.cluster;
  if (!cluster) throw new Error(`${path}: no cluster ${context.cluster}`);
  const user = doc.users.find((u) => u.name === context.user)?.user ?? {};
  const file = (p: string): Buffer => readFileSync(isAbsolute(p) ? p : join(dirname(path), p));
  const b64 = (s: string): Buffer => Buffer.from(s, 'base64');
  const pick = (data: string | undefined, p: string | undefined): Buffer | undefined => (data ? b64(data) : p ? file(p) : undefined);
  const token = user.token;
  const tokenPath = user.tokenFile;
  const ca = pick(cluster['certificate-authority-data'], cluster['certificate-authority']);
  const cert = pick(user['client-certificate-data'], user['client-certificate']);
  const key = pick(user['client-key-data'], user['client-key']);
  return {
    server: cluster.server.replace(/\/+$/, ''),
    ...(ca ? { ca } : {}),
    ...(cluster['insecure-skip-tls-verify'] ? { insecureSkipTlsVerify: true } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
    ...(token ? { token: () => token } : tokenPath ? { token: tokenFile(isAbsolute(tokenPath) ? tokenPath : join(dirname(path), tokenPath)) } : {}),
  };
}

/** Where client-node's loadFromDefault would look: $KUBECONFIG, ~/.kube/config, the ServiceAccount. */
export function defaultCredentials(env: NodeJS.ProcessEnv = process.env): KubeCredentials {
  const fromEnv = env.KUBECONFIG?.split(':').find((p) => p && existsSync(p));
  if (fromEnv) return credentialsFromKubeconfig(fromEnv);
  const home = join(homedir(), '.kube', 'config');
  if (existsSync(home)) return credentialsFromKubeconfig(home);
  const host = env.KUBERNETES_SERVICE_HOST;
  if (host && existsSync(join(SA_DIR, 'token'))) {
    const port = env.KUBERNETES_SERVICE_PORT ?? '443';
    return {
      server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
      ca: readFileSync(join(SA_DIR, 'ca.crt')),
      token: tokenFile(join(SA_DIR, 'token')),
    };
  }
  throw new Error('no Kubernetes credentials: set KUBECONFIG, or run in a pod with a ServiceAccount');
}

export type Query = Record<string, string | number | boolean | undefined>;

/**
 * The API path of a resource, or of its collection without a name: core (`/api/v1`) without
 * a group; namespaced with a namespace; sub a subresource (`status`). Names are encoded.
 */
export function resourcePath(r: { group?: string; version: string; plural: string; namespace?: string; name?: string; sub?: string }): string {
  const root = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  const ns = r.namespace ? `/namespaces/${encodeURIComponent(r.namespace)}` : '';
  const name = r.name ? `/${encodeURIComponent(r.name)}${r.sub ? `/${r.sub}` : ''}` : '';
  return `${root}${ns}/${r.plural}${name}`;
}

/** The whole body of an answer, as text. */
function bodyOf(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('error', reject);
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

export interface CallOptions {
  readonly query?: Query;
  readonly body?: unknown;
  /** Content type of a PATCH body (default: JSON merge patch). */
  readonly patch?: 'merge' | 'json' | 'strategic';
}

const PATCH_TYPES = { merge: 'application/merge-patch+json', json: 'application/json-patch+json', strategic: 'application/strategic-merge-patch+json' } as const;

export interface WatchEvent<T> {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: T;
}

/** A watch in progress: done settles when the stream ends (or fails); abort() ends it. */
export interface WatchStream {
  readonly done: Promise<void>;
  abort(): void;
}

export class KubeClient {
  private readonly agent: Agent;

  constructor(readonly credentials: KubeCredentials) {
    this.agent = new Agent({
      keepAlive: true,
      maxSockets: 8,
      ...(credentials.ca ? { ca: credentials.ca } : {}),
      ...(credentials.cert ? { cert: credentials.cert } : {}),
      ...(credentials.key ? { key: credentials.key } : {}),
      rejectUnauthorized: !credentials.insecureSkipTlsVerify,
    });
  }

  static fromDefault(env?: NodeJS.ProcessEnv): KubeClient {
    return new KubeClient(defaultCredentials(env));
  }

  static fromKubeconfig(path: string): KubeClient {
    return new KubeClient(credentialsFromKubeconfig(path));
  }

  /** Closes idle connections (watches end with their abort()). */
  close(): void {
    this.agent.destroy();
  }

  private options(method: string, path: string, query: Query | undefined, headers: Record<string, string>): RequestOptions & { url: URL } {
    const url = new URL(this.credentials.server + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const token = this.credentials.token?.();
    return {
      url,
      method,
      agent: this.agent,
      headers: { Accept: 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers },
    };
  }

  /** One call; resolves with the decoded JSON answer, rejects with KubeApiError. */
  call<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, opts: CallOptions = {}): Promise<T> {
    const body = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    const contentType = method === 'PATCH' ? PATCH_TYPES[opts.patch ?? 'merge'] : 'application/json';
    const { url, ...o } = this.options(method, path, opts.query, body ? { 'Content-Type': contentType, 'Content-Length': String(body.length) } : {});
    const what = `${method} ${url.pathname}`;
    return new Promise<T>((resolve, reject) => {
      const req = httpsRequest(url, { ...o, timeout: 30_000 }, (res) => {
        bodyOf(res).then((text) => {
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300) return reject(new KubeApiError(status, text, what));
          try {
            resolve((text ? JSON.parse(text) : {}) as T);
          } catch (e) {
            reject(new KubeApiError(status, `not JSON: ${(e as Error).message}`, what));
          }
        }, (e: Error) => reject(new KubeApiError(0, e.message, what)));
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', (e) => reject(new KubeApiError(0, e.message, what)));
      req.end(body);
    });
  }

  /**
   * A watch (?watch=1) from query.resourceVersion: onEvent for every event line, in order.
   * done rejects with KubeApiError when the server refuses it (410: the version is gone).
   */
  watch<T>(path: string, query: Query, onEvent: (e: WatchEvent<T>) => void): WatchStream {
    const { url, ...o } = this.options('GET', path, { ...query, watch: 1, allowWatchBookmarks: true }, {});
    const what = `watch ${url.pathname}`;
    let abort = (): void => undefined;
    const done = new Promise<void>((resolve, reject) => {
      const req = httpsRequest(url, o, (res) => {
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          bodyOf(res).then((text) => reject(new KubeApiError(status, text, what)), (e: Error) => reject(new KubeApiError(0, e.message, what)));
          return;
        }
        const lines = createInterface({ input: res, crlfDelay: Infinity });
        // a broken stream (the server went away, abort()) ends the watch through done
        lines.on('error', (e) => reject(new KubeApiError(0, e.message, what)));
        lines.on('line', (line) => {
          if (!line.trim()) return;
          let event: WatchEvent<T>;
          try {
            event = JSON.parse(line) as WatchEvent<T>;
          } catch (e) {
            req.destroy(new Error(`bad watch line: ${(e as Error).message}`));
            return;
          }
          try {
            onEvent(event);
          } catch (e) {
            req.destroy(new Error(`watch handler failed: ${(e as Error).message}`));
          }
        });
        res.on('error', (e) => reject(new KubeApiError(0, e.message, what)));
        res.on('close', () => resolve());
      });
      req.on('error', (e) => reject(new KubeApiError(0, e.message, what)));
      req.end();
      abort = () => req.destroy();
    });
    // an aborted watch ends quietly
    let aborted = false;
    return {
      done: done.catch((e: unknown) => {
        if (!aborted) throw e;
      }),
      abort: () => {
        aborted = true;
        abort();
      },
    };
  }
}
