// The four channels: build the message (messages.ts), fetch the secrets it needs, send
// it. A channel's id within its rule (`slack`, or `webhook-2` when a rule has several
// webhooks) is what Signal status records, so it must not change when other channels do.
import { createHmac } from 'node:crypto';
import { isIP } from 'node:net';
import nodemailer from 'nodemailer';
import { channelKind, type Channel, type ChannelKind, type SecretKeyRef } from '../api/index.ts';
import { DeliveryError } from './errors.ts';
import { postJson, type HttpOptions } from './http.ts';
import { emailMessage, pagerDutyEvent, slackMessage, webhookPayload, type MessageContext, type Notice } from './messages.ts';

export interface SecretSource {
  /** The value of one key of a Secret; throws DeliveryError('secret_missing') when absent. */
  get(ref: SecretKeyRef): Promise<string>;
  /** Every key of a Secret with its value; throws DeliveryError('secret_missing') when absent. */
  all(name: string): Promise<Record<string, string>>;
}

export interface DeliverOptions extends HttpOptions {
  readonly secrets: SecretSource;
}

export interface ChannelRef {
  readonly id: string;
  readonly kind: ChannelKind;
  readonly spec: Channel;
}

/** Ids of a rule's channels: the kind, numbered from the second of the same kind on. */
export function channelRefs(channels: readonly Channel[]): ChannelRef[] {
  const seen = new Map<ChannelKind, number>();
  const out: ChannelRef[] = [];
  for (const spec of channels) {
    const kind = channelKind(spec);
    if (!kind) continue;
    const n = (seen.get(kind) ?? 0) + 1;
    seen.set(kind, n);
    out.push({ id: n === 1 ? kind : `${kind}-${n}`, kind, spec });
  }
  return out;
}

/** Slack and email have nothing to say when a signal is resolved; PagerDuty and webhooks do. */
export function channelWants(kind: ChannelKind, notice: Notice['kind']): boolean {
  return notice !== 'resolve' || kind === 'pagerduty' || kind === 'webhook';
}

// Headers a rule may not set: transport framing and Vigil's own signature headers.
const RESERVED_HEADER = /^(host|content-length|content-type|transfer-encoding|connection|x-vigil-.*)$/i;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** What is wrong with a channel's spec beyond its schema (checked when the rule loads). */
export function channelProblem(ch: ChannelRef): string | undefined {
  return headersProblem(ch.id, ch.spec.webhook?.headers ?? {}, true);
}

/** What is wrong with custom headers; values are named only when they come from the spec. */
function headersProblem(id: string, headers: Record<string, string>, showName: boolean): string | undefined {
  for (const [k, v] of Object.entries(headers)) {
    const name = showName ? ` ${JSON.stringify(k)}` : '';
    if (!HEADER_NAME.test(k) || RESERVED_HEADER.test(k)) return `${id}: header${name} may not be set`;
    if (/[\r\n]/.test(v)) return `${id}: header${name} has a line break`;
  }
  return undefined;
}

export async function deliver(ch: ChannelRef, notice: Notice, ctx: MessageContext, opts: DeliverOptions): Promise<string> {
  switch (ch.kind) {
    case 'webhook': {
      const spec = ch.spec.webhook!;
      const payload = webhookPayload(notice, ch.id, ctx);
      const body = JSON.stringify(payload);
      const headers: Record<string, string> = {};
      const problem = channelProblem(ch);
      if (problem) throw new DeliveryError('invalid_config', problem);
      Object.assign(headers, spec.headers ?? {});
      if (spec.headersSecretRef) {
        const fromSecret = await opts.secrets.all(spec.headersSecretRef.name);
        // Header names are not secret, but keep the message free of anything from the Secret.
        const bad = headersProblem(ch.id, fromSecret, false);
        if (bad) throw new DeliveryError('invalid_config', `${bad} (secret ${spec.headersSecretRef.name})`);
        Object.assign(headers, fromSecret);
      }
      const ts = String(Math.floor(ctx.now.getTime() / 1000));
      Object.assign(headers, { 'x-vigil-event': payload.event, 'x-vigil-delivery': payload.id, 'x-vigil-timestamp': ts });
      if (spec.secretRef) {
        const key = await opts.secrets.get(spec.secretRef);
        // Signed over timestamp and body, so a captured request cannot be replayed later.
        headers['x-vigil-signature'] = `sha256=${createHmac('sha256', key).update(`${ts}.${body}`).digest('hex')}`;
      }
      const res = await postJson(spec.url, body, headers, 'webhook', opts);
      return `HTTP ${res.status}`;
    }
    case 'slack': {
      const spec = ch.spec.slack!;
      const url = (await opts.secrets.get(spec.webhookSecretRef)).trim();
      const msg = slackMessage(notice, { ...ctx, ...(spec.channel ? { channel: spec.channel } : {}) });
      const res = await postJson(url, JSON.stringify(msg), {}, 'slack', opts);
      return `HTTP ${res.status}`;
    }
    case 'pagerduty': {
      const spec = ch.spec.pagerduty!;
      const key = (await opts.secrets.get(spec.routingKeySecretRef)).trim();
      const event = pagerDutyEvent(notice, key, ctx);
      const res = await postJson(spec.url, JSON.stringify(event), {}, 'pagerduty', opts);
      return `HTTP ${res.status} ${event.event_action} ${event.dedup_key}`;
    }
    case 'email': {
      const spec = ch.spec.email!;
      const msg = emailMessage(notice, spec.from, spec.to, ctx);
      const pass = spec.smtp.secretRef ? await opts.secrets.get(spec.smtp.secretRef) : undefined;
      return sendMail(spec.smtp, spec.smtp.user, pass, msg, opts);
    }
  }
}

type Smtp = NonNullable<Channel['email']>['smtp'];

async function sendMail(smtp: Smtp, user: string | undefined, pass: string | undefined, msg: ReturnType<typeof emailMessage>, opts: HttpOptions): Promise<string> {
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.tls === 'tls',
    requireTLS: smtp.tls === 'starttls',
    ignoreTLS: smtp.tls === 'none',
    ...(user !== undefined && pass !== undefined ? { auth: { user, pass } } : {}),
    // SNI carries names only; for an address the certificate's IP SAN is checked instead.
    tls: { ...(isIP(smtp.host) ? {} : { servername: smtp.host }), ...(opts.ca ? { ca: opts.ca } : {}) },
    connectionTimeout: opts.timeoutMs,
    greetingTimeout: opts.timeoutMs,
    socketTimeout: opts.timeoutMs,
  });
  try {
    const info = await transport.sendMail({ from: msg.from, to: msg.to, subject: msg.subject, text: msg.text, html: msg.html, headers: msg.headers });
    return `SMTP ${String(info.response).slice(0, 120)}`;
  } catch (err) {
    throw smtpError(err);
  } finally {
    transport.close();
  }
}

/** SMTP answers the other way round from HTTP: 4xx is "try later", 5xx is "never". */
function smtpError(err: unknown): DeliveryError {
  const e = err as { code?: string; responseCode?: number; message?: string };
  const msg = `email: ${e.responseCode ? `SMTP ${e.responseCode}: ` : ''}${(e.message ?? String(err)).replace(/\s+/g, ' ').slice(0, 200)}`;
  if (e.code === 'EAUTH') return new DeliveryError('auth_failed', msg);
  if (e.responseCode !== undefined && e.responseCode >= 500) return new DeliveryError('smtp_rejected', msg);
  if (e.responseCode !== undefined && e.responseCode >= 400) return new DeliveryError('smtp_unavailable', msg);
  if (e.code === 'ETIMEDOUT') return new DeliveryError('timeout', msg);
  if (e.code === 'EENVELOPE' || e.code === 'EMESSAGE') return new DeliveryError('invalid_message', msg);
  return new DeliveryError('network', msg);
}
