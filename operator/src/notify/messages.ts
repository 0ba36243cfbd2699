// From a notice (a signal to announce, a resolved signal, a digest of held-back signals)
// to each channel's message. Pure: no secrets, no I/O. Every message is parsed with its
// wire schema before it is returned.
import { createHash } from 'node:crypto';
import { SEVERITY_ORDER, type Severity, type Signal } from '../api/index.ts';
import { htmlEscape, oneLine, slackValue } from './escape.ts';
import { parseTemplate, type ParsedTemplate } from './markdown.ts';
import {
  EmailMessageSchema, PAGERDUTY_SEVERITIES, PagerDutyEventSchema, SlackMessageSchema, WEBHOOK_SCHEMA, WebhookPayloadSchema,
  type EmailMessage, type PagerDutyEvent, type SlackBlock, type SlackMessage, type WebhookPayload,
} from './payloads.ts';
import { render, type Dialect } from './render.ts';
import {
  actionOf, inspectCommand, renderSignal, templateFor, titleOf, workloadOf, type TemplateChannel, type TemplateContext,
} from './template.ts';

/** Signals held back by a throttle window, sent as one message when the window ends. */
export interface Digest {
  readonly ruleId: string;
  readonly workload: string;
  readonly from: string;
  readonly to: string;
  readonly signals: readonly Signal[];
}

export type Notice =
  | { readonly kind: 'signal'; readonly signal: Signal }
  | { readonly kind: 'resolve'; readonly signal: Signal }
  | { readonly kind: 'digest'; readonly digest: Digest };

export interface MessageContext extends TemplateContext {
  /** The NotificationRule's template source, when it has one. */
  readonly template?: string;
  readonly now: Date;
}

const DIGEST_SAMPLES = 20;

export function maxSeverity(signals: readonly Signal[]): Severity {
  let best = 0;
  for (const s of signals) best = Math.max(best, SEVERITY_ORDER.indexOf(s.spec.rule.severity));
  return SEVERITY_ORDER[best] as Severity;
}

export function signalKey(s: Signal): string {
  return s.metadata.uid ?? `${s.metadata.namespace ?? ''}/${s.metadata.name}`;
}

/** A stable id for one message: the same across retries and restarts, so receivers can deduplicate. */
export function deliveryId(ruleName: string, channel: string, notice: Notice): string {
  const subject = notice.kind === 'digest'
    ? `digest|${notice.digest.ruleId}|${notice.digest.workload}|${notice.digest.from}`
    : `${notice.kind}|${signalKey(notice.signal)}`;
  return createHash('sha256').update(`${ruleName}|${channel}|${subject}`).digest('hex').slice(0, 32);
}

export function pagerDutyDedupKey(ruleName: string, notice: Notice): string {
  if (notice.kind === 'digest') {
    const h = createHash('sha256').update(`${ruleName}|${notice.digest.ruleId}|${notice.digest.workload}|${notice.digest.from}`).digest('hex');
    return `vigil-digest-${h.slice(0, 32)}`;
  }
  // One incident per signal for all rules: repeats and the resolve go to the same one.
  return `vigil-signal-${signalKey(notice.signal)}`;
}

// The digest text is a template too, so its values (workload, paths) are escaped the same way.
function digestTemplate(d: Digest): { t: ParsedTemplate; values: (p: string) => string } {
  const shown = d.signals.slice(0, DIGEST_SAMPLES);
  const lines = [
    '**{{d.count}} more `{{d.rule}}` signals** on `{{d.workload}}` were held back by the throttle between {{d.from}} and {{d.to}}.',
    '',
    ...shown.map((_s, i) => `- \`{{d.s.${i}.ref}}\`: \`{{d.s.${i}.path}}\` at {{d.s.${i}.at}}`),
    ...(d.signals.length > shown.length ? ['', '…and {{d.rest}} more.'] : []),
  ];
  const values = (p: string): string => {
    const m = /^d\.s\.(\d+)\.(ref|path|at)$/.exec(p);
    if (m) {
      const s = shown[Number(m[1])] as Signal;
      if (m[2] === 'ref') return `${s.metadata.namespace ?? ''}/${s.metadata.name}`;
      if (m[2] === 'path') return s.spec.process.path ?? '';
      return s.spec.firstSeen;
    }
    return ({ 'd.count': String(d.signals.length), 'd.rule': d.ruleId, 'd.workload': d.workload, 'd.from': d.from, 'd.to': d.to,
      'd.rest': String(d.signals.length - shown.length) } as Record<string, string>)[p] ?? '';
  };
  return { t: parseTemplate(lines.join('\n')), values };
}

/** The body of a notice in one dialect, from the rule's template or the channel default. */
export function body(notice: Notice, channel: TemplateChannel, dialect: Dialect, ctx: MessageContext): string {
  if (notice.kind === 'digest') {
    const { t, values } = digestTemplate(notice.digest);
    return render(t, dialect, values);
  }
  const text = renderSignal(templateFor(channel, ctx.template), dialect, notice.signal, ctx);
  if (notice.kind === 'resolve') {
    const state = render(parseTemplate('Resolved: **{{state}}**.'), dialect, () => notice.signal.status?.state ?? 'resolved');
    return `${state}${dialect === 'html' ? '\n' : '\n\n'}${text}`;
  }
  return text;
}

export function title(notice: Notice): string {
  if (notice.kind === 'digest') {
    const d = notice.digest;
    return `Digest: ${d.signals.length} more ${d.ruleId} signal${d.signals.length === 1 ? '' : 's'} on ${d.workload}`;
  }
  return `${notice.kind === 'resolve' ? 'Resolved: ' : ''}${titleOf(notice.signal)}`;
}

const noticeSeverity = (n: Notice): Severity => (n.kind === 'digest' ? maxSeverity(n.digest.signals) : n.signal.spec.rule.severity);

// ---------------------------------------------------------------------------------------
const EMOJI: Record<Severity, string> = { info: ':information_source:', low: ':large_blue_circle:', medium: ':large_orange_circle:', high: ':red_circle:', critical: ':rotating_light:' };

/** Splits mrkdwn at line ends into section-sized parts (a code fence may be cut; Slack copes). */
function chunks(text: string, max: number): string[] {
  const out: string[] = [];
  let cur = '';
  for (const line of text.split('\n')) {
    const piece = line.length > max ? `${line.slice(0, max - 1)}…` : line;
    if (cur && cur.length + 1 + piece.length > max) {
      out.push(cur);
      cur = piece;
    } else cur = cur ? `${cur}\n${piece}` : piece;
  }
  if (cur.trim()) out.push(cur);
  return out;
}

export function slackMessage(notice: Notice, ctx: MessageContext & { channel?: string }): SlackMessage {
  const sev = noticeSeverity(notice);
  // The header is plain_text: keep it to characters that need no escaping anywhere.
  const subject = notice.kind === 'digest' ? notice.digest.ruleId : notice.signal.spec.rule.id;
  const header = `${notice.kind === 'digest' ? 'Digest' : notice.kind === 'resolve' ? 'Resolved' : sev.toUpperCase()}: ${subject.replace(/[^\w.:-]/g, '')}`.slice(0, 150);
  const sections = chunks(body(notice, 'slack', 'slack', ctx), 3000).slice(0, 45);
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: header, emoji: true } },
    ...sections.map((s): SlackBlock => ({ type: 'section', text: { type: 'mrkdwn', text: s, verbatim: true } })),
    { type: 'context', elements: [{ type: 'mrkdwn', verbatim: true, text: contextLine(notice, ctx) }] },
  ];
  return SlackMessageSchema.parse({
    text: `${EMOJI[sev]} ${slackValue(title(notice), false)}`,
    blocks,
    ...(ctx.channel ? { channel: ctx.channel } : {}),
    unfurl_links: false,
    unfurl_media: false,
  });
}

function contextLine(notice: Notice, ctx: MessageContext): string {
  const parts = [`Vigil · ${slackValue(ctx.ruleName, false)}`];
  if (notice.kind !== 'digest') {
    parts.push(`signal \`${slackValue(`${notice.signal.metadata.namespace ?? ''}/${notice.signal.metadata.name}`, true)}\``);
    parts.push(`node \`${slackValue(notice.signal.spec.node, true)}\``);
  }
  return parts.join(' · ');
}

// ---------------------------------------------------------------------------------------
const PD_SEVERITY: Record<Severity, typeof PAGERDUTY_SEVERITIES[number]> = {
  critical: 'critical', high: 'error', medium: 'warning', low: 'info', info: 'info',
};

export function pagerDutyEvent(notice: Notice, routingKey: string, ctx: MessageContext): PagerDutyEvent {
  const dedup = pagerDutyDedupKey(ctx.ruleName, notice);
  if (notice.kind === 'resolve') return PagerDutyEventSchema.parse({ routing_key: routingKey, event_action: 'resolve', dedup_key: dedup });
  const summary = oneLine(`${title(notice)}: ${body(notice, 'pagerduty', 'text', ctx)}`, 1000);
  if (notice.kind === 'digest') {
    const d = notice.digest;
    return PagerDutyEventSchema.parse({
      routing_key: routingKey, event_action: 'trigger', dedup_key: dedup,
      payload: {
        summary, source: oneLine(d.workload, 255), severity: PD_SEVERITY[maxSeverity(d.signals)], class: d.ruleId, component: d.workload,
        custom_details: { held: d.signals.length, from: d.from, to: d.to, signals: d.signals.slice(0, DIGEST_SAMPLES).map((s) => `${s.metadata.namespace ?? ''}/${s.metadata.name}`) },
      },
      client: 'Vigil',
    });
  }
  const s = notice.signal;
  return PagerDutyEventSchema.parse({
    routing_key: routingKey, event_action: 'trigger', dedup_key: dedup,
    payload: {
      summary,
      source: oneLine(s.spec.pod ? `${s.spec.pod.namespace}/${s.spec.pod.name}` : s.spec.node, 255),
      severity: PD_SEVERITY[s.spec.rule.severity],
      timestamp: s.spec.firstSeen,
      component: workloadOf(s),
      group: s.spec.pod?.namespace ?? s.spec.node,
      class: s.spec.rule.id,
      custom_details: {
        details: body(notice, 'pagerduty', 'text', ctx),
        rule: s.spec.rule.id, severity: s.spec.rule.severity, node: s.spec.node, count: s.status?.count ?? 1,
        process: s.spec.process.path ?? '', args: s.spec.process.args ?? [], action: actionOf(s), inspect: inspectCommand(s),
        tags: s.spec.rule.tags ?? {},
      },
    },
    client: 'Vigil',
    ...(ctx.consoleUrl ? { client_url: ctx.consoleUrl } : {}),
  });
}

// ---------------------------------------------------------------------------------------
export function emailMessage(notice: Notice, from: string, to: readonly string[], ctx: MessageContext): EmailMessage {
  const html = [
    '<!DOCTYPE html>',
    '<html><head><meta charset="utf-8"></head>',
    '<body style="font-family: sans-serif; line-height: 1.4">',
    body(notice, 'email', 'html', ctx),
    `<p style="color: #666; font-size: smaller">Sent by Vigil for NotificationRule ${htmlEscape(ctx.ruleName)}.</p>`,
    '</body></html>',
  ].join('\n');
  const headers: Record<string, string> = { 'X-Vigil-Rule': oneLine(ctx.ruleName, 253), 'X-Vigil-Event': notice.kind };
  if (notice.kind !== 'digest') headers['X-Vigil-Signal'] = oneLine(`${notice.signal.metadata.namespace ?? ''}/${notice.signal.metadata.name}`, 512);
  return EmailMessageSchema.parse({
    from, to: [...to],
    subject: oneLine(`[Vigil] ${title(notice)}`, 900),
    text: `${body(notice, 'email', 'text', ctx)}\n\n-- \nSent by Vigil for NotificationRule ${ctx.ruleName}.\n`,
    html,
    headers,
  });
}

// ---------------------------------------------------------------------------------------
export function webhookPayload(notice: Notice, channel: string, ctx: MessageContext): WebhookPayload {
  const base = {
    schema: WEBHOOK_SCHEMA,
    id: deliveryId(ctx.ruleName, channel, notice),
    sentAt: ctx.now.toISOString(),
    notificationRule: ctx.ruleName,
    severity: noticeSeverity(notice),
    title: oneLine(title(notice), 1024),
    text: body(notice, 'webhook', 'text', ctx),
    markdown: body(notice, 'webhook', 'markdown', ctx),
  };
  if (notice.kind === 'digest') {
    const d = notice.digest;
    return WebhookPayloadSchema.parse({
      ...base, event: 'signal.digest',
      digest: {
        rule: d.ruleId, workload: d.workload, count: d.signals.length, from: d.from, to: d.to,
        signals: d.signals.slice(0, DIGEST_SAMPLES).map((s) => ({
          namespace: s.metadata.namespace ?? '', name: s.metadata.name, uid: s.metadata.uid, process: s.spec.process.path, firstSeen: s.spec.firstSeen,
        })),
      },
    });
  }
  const s = notice.signal;
  return WebhookPayloadSchema.parse({
    ...base,
    event: notice.kind === 'resolve' ? 'signal.resolved' : 'signal.triggered',
    signal: {
      namespace: s.metadata.namespace ?? '', name: s.metadata.name, uid: s.metadata.uid,
      ...s.spec, lastSeen: s.status?.lastSeen, state: s.status?.state ?? 'open', count: s.status?.count ?? 1,
    },
  });
}
