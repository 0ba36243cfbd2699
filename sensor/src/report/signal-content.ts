// What a detection becomes in the cluster: the Signal's namespace, its dedup key and its
// spec, built from the rule and the enriched event. Pure, so it is tested without a cluster.
//
// Repeats of the same rule, on the same node, in the same container, by the same executable
// share a dedup key and fold into one Signal (status.count) instead of new objects.
import { createHash } from 'node:crypto';
import type { SignalSpec, Severity } from '@vigil/operator/api';
import type { ProcessContext, SeclEvent } from '@vigil/operator/secl';

export interface Detection {
  readonly rule: { readonly id: string; readonly version?: string; readonly severity: Severity; readonly tags?: Readonly<Record<string, string>> };
  readonly event: SeclEvent;
  readonly action?: SignalSpec['action'];
}

export interface SignalContent {
  readonly key: string;
  readonly namespace: string;
  readonly spec: SignalSpec;
}

/** Bounds on what one Signal carries, so a hostile process cannot bloat the API server. */
const MAX_ARGS = 64;
const MAX_ARG = 1024;
const MAX_ANCESTORS = 16;
const MAX_FIELDS = 64;
const MAX_FIELD = 1024;

const clip = (s: string, n = MAX_ARG): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function argsOf(p: ProcessContext): string[] {
  return [p.argv0, ...p.argv].slice(0, MAX_ARGS).map((a) => clip(a));
}

function processPath(p: ProcessContext): string {
  return p.file.path || p.file.name;
}

export function dedupKey(ruleId: string, node: string, ev: SeclEvent): string {
  return createHash('sha256')
    .update([ruleId, node, ev.process.container?.id || 'host', processPath(ev.process)].join('\0'))
    .digest('hex');
}

/**
 * A Signal name: readable prefix from the rule id, the dedup key's hash, and the episode
 * (when the current run of repeats began), so a detection after a quiet window opens a new
 * Signal while repeats within it fold into one.
 */
export function signalName(ruleId: string, key: string, episodeStartMs: number): string {
  const slug = ruleId.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'rule';
  return `${slug}-${key.slice(0, 10)}-${Math.floor(episodeStartMs / 1000).toString(36)}`;
}

/** The triggering event's own fields as SECL names them (`open.file.path`, ...), bounded. */
export function eventFields(ev: SeclEvent): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let n = 0;
  const put = (name: string, v: unknown): void => {
    if (n >= MAX_FIELDS) return;
    if (typeof v === 'string') {
      if (v === '') return;
      out[name] = clip(v, MAX_FIELD);
    } else if (typeof v === 'number') {
      if (v === 0) return;
      out[name] = v;
    } else if (typeof v === 'boolean') {
      if (!v) return;
      out[name] = v;
    } else if (Array.isArray(v)) {
      if (v.length === 0 || typeof v[0] === 'object') return;
      out[name] = v.slice(0, MAX_ARGS).map((x) => (typeof x === 'string' ? clip(x) : x));
    } else return;
    n++;
  };
  const walk = (prefix: string, obj: unknown, depth: number): void => {
    if (obj === null || typeof obj !== 'object' || depth > 3) return;
    for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
      // A payload's process references (ptrace tracee, signal target) are summarised by pid.
      if (k === 'ancestors' || k === 'envp') continue;
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) walk(`${prefix}.${k}`, v, depth + 1);
      else put(`${prefix}.${k}`, v);
    }
  };
  if (ev.type !== 'exec' && ev.type !== 'fork' && ev.type !== 'exit') walk(ev.type, ev[ev.type], 0);
  else if (ev.type === 'exit') walk('exit', ev.exit, 0);
  const p = ev.process;
  put(ev.type === 'exec' ? 'exec.file.path' : 'process.file.path', p.file.path);
  put(ev.type === 'exec' ? 'exec.argv' : 'process.argv', p.argv);
  put('process.comm', p.comm);
  put('process.pid', p.pid);
  put('container.id', ev.container?.id ?? '');
  return out;
}

export interface SignalContentOptions {
  readonly node: string;
  /** Where host-level signals go (the release namespace). */
  readonly hostNamespace: string;
  /** "now" for firstSeen, ms since the epoch. */
  readonly now: number;
}

export function signalContent(d: Detection, opts: SignalContentOptions): SignalContent {
  const ev = d.event;
  const p = ev.process;
  const k8s = ev.k8s;
  const image = ev.container?.tags.find((t) => t.startsWith('image_name:'))?.slice('image_name:'.length);
  const imageTag = ev.container?.tags.find((t) => t.startsWith('image_tag:'))?.slice('image_tag:'.length);
  const spec: SignalSpec = {
    rule: {
      id: d.rule.id,
      severity: d.rule.severity,
      ...(d.rule.version ? { version: d.rule.version } : {}),
      ...(d.rule.tags && Object.keys(d.rule.tags).length ? { tags: { ...d.rule.tags } } : {}),
    },
    node: opts.node,
    ...(k8s ? { pod: { namespace: k8s.namespace, name: k8s.pod.name, uid: k8s.pod.uid, labels: { ...k8s.pod.labels } } } : {}),
    ...(ev.container?.id ? {
      container: {
        id: ev.container.id,
        ...(image ? { image: imageTag ? `${image}:${imageTag}` : image } : {}),
        ...(ev.container.runtime ? { runtime: ev.container.runtime } : {}),
      },
    } : {}),
    process: {
      pid: p.pid,
      ppid: p.ppid,
      path: clip(processPath(p), 4096),
      args: argsOf(p),
      ...(p.user ? { user: p.user } : {}),
      uid: p.uid,
      ancestors: p.ancestors.slice(0, MAX_ANCESTORS).map((a) => ({ pid: a.pid, path: clip(processPath(a), 4096), args: argsOf(a).slice(0, 16) })),
    },
    event: { type: ev.type, fields: eventFields(ev) },
    ...(d.action ? { action: d.action } : {}),
    firstSeen: new Date(opts.now).toISOString(),
  };
  return { key: dedupKey(d.rule.id, opts.node, ev), namespace: k8s?.namespace || opts.hostNamespace, spec };
}
