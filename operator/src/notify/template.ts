// Template variables: what `{{signal.x}}` means, the default template of each channel,
// and the check that a NotificationRule's template only names variables that exist.
import type { ChannelKind, Signal } from '../api/index.ts';
import { parseTemplate, type ParsedTemplate } from './markdown.ts';
import { render, type Dialect } from './render.ts';

/** What a template can say besides the Signal itself. */
export interface TemplateContext {
  /** The NotificationRule sending the message. */
  readonly ruleName: string;
  /** Base URL of a console that shows signals, when configured: `<base>/<namespace>/<name>`. */
  readonly consoleUrl?: string;
}

type Getter = (s: Signal, ctx: TemplateContext) => string;

const basename = (p: string | undefined) => (p ? p.slice(p.lastIndexOf('/') + 1) : '');

/** POSIX shell quoting, so `{{signal.process.args}}` reads back as the argv it was. */
export function shellJoin(args: readonly string[]): string {
  return args.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export function workloadOf(s: Signal): string {
  return s.spec.pod ? `${s.spec.pod.namespace}/${s.spec.pod.name}` : `host ${s.spec.node}`;
}

export function actionOf(s: Signal): string {
  const kill = s.spec.action?.kill;
  if (!kill) return 'none';
  return kill.status === 'performed' ? `killed${kill.signal ? ` (${kill.signal})` : ''}` : `kill ${kill.status}`;
}

export function inspectCommand(s: Signal): string {
  return `kubectl get signal ${s.metadata.name} -n ${s.metadata.namespace ?? 'default'} -o yaml`;
}

function signalUrl(s: Signal, ctx: TemplateContext): string {
  if (!ctx.consoleUrl) return '';
  const ns = encodeURIComponent(s.metadata.namespace ?? '');
  return `${ctx.consoleUrl.replace(/\/+$/, '')}/${ns}/${encodeURIComponent(s.metadata.name)}`;
}

const str = (v: unknown) => (v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v));

/** The variables, with what each says (the table in README.md lists the same). */
export const VARIABLES: Readonly<Record<string, Getter>> = {
  'signal.name': (s) => s.metadata.name,
  'signal.namespace': (s) => s.metadata.namespace ?? '',
  'signal.uid': (s) => s.metadata.uid ?? '',
  'signal.rule.id': (s) => s.spec.rule.id,
  'signal.rule.version': (s) => s.spec.rule.version ?? '',
  'signal.rule.tags': (s) => Object.entries(s.spec.rule.tags ?? {}).map(([k, v]) => `${k}:${v}`).join(', '),
  'signal.severity': (s) => s.spec.rule.severity,
  'signal.node': (s) => s.spec.node,
  'signal.pod.namespace': (s) => s.spec.pod?.namespace ?? '',
  'signal.pod.name': (s) => s.spec.pod?.name ?? '',
  'signal.workload': workloadOf,
  'signal.container.id': (s) => (s.spec.container?.id ?? '').slice(0, 12),
  'signal.container.image': (s) => s.spec.container?.image ?? '',
  'signal.process.pid': (s) => String(s.spec.process.pid),
  'signal.process.path': (s) => s.spec.process.path ?? '',
  'signal.process.name': (s) => basename(s.spec.process.path),
  'signal.process.args': (s) => shellJoin(s.spec.process.args ?? []),
  'signal.process.user': (s) => s.spec.process.user ?? (s.spec.process.uid !== undefined ? `uid ${s.spec.process.uid}` : ''),
  'signal.process.ancestors': (s) => (s.spec.process.ancestors ?? []).map((a) => `${basename(a.path) || '?'}(${a.pid})`).join(' ← '),
  'signal.event.type': (s) => s.spec.event.type,
  'signal.action': actionOf,
  'signal.firstSeen': (s) => s.spec.firstSeen,
  'signal.lastSeen': (s) => s.status?.lastSeen ?? s.spec.firstSeen,
  'signal.count': (s) => String(s.status?.count ?? 1),
  'signal.state': (s) => s.status?.state ?? 'open',
  'signal.inspect': inspectCommand,
  'signal.url': signalUrl,
  'rule.name': (_s, ctx) => ctx.ruleName,
};

// Open-ended families: a tag by key, an event field by its SECL name.
const PREFIXES: Readonly<Record<string, (s: Signal, rest: string) => string>> = {
  'signal.rule.tags.': (s, k) => s.spec.rule.tags?.[k] ?? '',
  'signal.event.fields.': (s, k) => str(s.spec.event.fields?.[k]),
};

export function knownVariable(path: string): boolean {
  return path in VARIABLES || Object.keys(PREFIXES).some((p) => path.startsWith(p) && path.length > p.length);
}

/** The raw (untrusted) value of a variable; renderers escape it. */
export function valueOf(path: string, s: Signal, ctx: TemplateContext): string {
  const get = VARIABLES[path];
  if (get) return get(s, ctx);
  for (const [p, f] of Object.entries(PREFIXES)) if (path.startsWith(p)) return f(s, path.slice(p.length));
  return '';
}

export type TemplateChannel = ChannelKind;

// Defaults: what an on-call person needs first (what, where, what was done), then how to
// look closer. Mail has room for the process tree; chat stays short.
export const DEFAULT_TEMPLATES: Readonly<Record<TemplateChannel, string>> = {
  slack: [
    '**{{signal.rule.id}}** on `{{signal.workload}}` (node `{{signal.node}}`)',
    'Process `{{signal.process.path}}` (pid {{signal.process.pid}}, user {{signal.process.user}})',
    'Args: `{{signal.process.args}}`',
    'Action: **{{signal.action}}** · count {{signal.count}}',
    '',
    'Inspect: `{{signal.inspect}}`',
  ].join('\n'),
  email: [
    '## {{signal.rule.id}} ({{signal.severity}})',
    '',
    '- Workload: `{{signal.workload}}` on node `{{signal.node}}`',
    '- Container: `{{signal.container.image}}` ({{signal.container.id}})',
    '- Process: `{{signal.process.path}}` (pid {{signal.process.pid}}, user {{signal.process.user}})',
    '- Args: `{{signal.process.args}}`',
    '- Ancestors: {{signal.process.ancestors}}',
    '- Action: **{{signal.action}}**',
    '- First seen: {{signal.firstSeen}} · count {{signal.count}}',
    '- Tags: {{signal.rule.tags}}',
    '',
    'Inspect it with:',
    '',
    '```',
    '{{signal.inspect}}',
    '```',
  ].join('\n'),
  webhook: '**{{signal.rule.id}}** ({{signal.severity}}) on `{{signal.workload}}`: `{{signal.process.path}}` {{signal.action}}',
  pagerduty: '{{signal.severity}}: {{signal.rule.id}} on {{signal.workload}}: {{signal.process.path}} ({{signal.action}})',
};

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
  constructor(readonly unknown: readonly string[]) {
    super(`template: unknown variable${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `{{${u}}}`).join(', ')}`);
  }
}

/** Parses a template and rejects unknown variables (a typo would otherwise send blanks). */
export function compileTemplate(src: string): ParsedTemplate {
  const t = parseTemplate(src);
  const unknown = t.vars.filter((v) => !knownVariable(v));
  if (unknown.length) throw new TemplateError(unknown);
  return t;
}

const defaults = new Map<TemplateChannel, ParsedTemplate>();

/** The rule's own template, or the channel's default. */
export function templateFor(channel: TemplateChannel, src: string | undefined): ParsedTemplate {
  if (src !== undefined && src.trim() !== '') return compileTemplate(src);
  let t = defaults.get(channel);
  if (!t) defaults.set(channel, (t = compileTemplate(DEFAULT_TEMPLATES[channel])));
  return t;
}

export function renderSignal(t: ParsedTemplate, dialect: Dialect, s: Signal, ctx: TemplateContext): string {
  return render(t, dialect, (path) => valueOf(path, s, ctx));
}

/** A one-line title (mail subject, Slack header, PagerDuty summary prefix), plain text. */
export function titleOf(s: Signal): string {
  return `${s.spec.rule.severity.toUpperCase()}: ${s.spec.rule.id} on ${workloadOf(s)}`;
}
