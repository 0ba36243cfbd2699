// The wire formats Vigil sends, as zod schemas: every message is checked against its
// schema before it leaves (a bug becomes a permanent failure in status, not a malformed
// post), and the e2e receivers validate what arrives with the same schemas.
// Limits are the receivers' documented ones (Block Kit, PagerDuty Events API v2).
import { z } from 'zod';
import { SeveritySchema } from '../api/index.ts';

// ---------------------------------------------------------------------------------------
// Webhook: Vigil's own format, versioned by `schema`. Documented in README.md.
export const WEBHOOK_SCHEMA = 'vigil.dev/notification/v1';
export const WEBHOOK_EVENTS = ['signal.triggered', 'signal.resolved', 'signal.digest'] as const;

const SignalRefSchema = z.object({ namespace: z.string(), name: z.string(), uid: z.string().optional() });

export const WebhookSignalSchema = SignalRefSchema.extend({
  rule: z.object({ id: z.string(), version: z.string().optional(), severity: SeveritySchema, tags: z.record(z.string(), z.string()).optional() }),
  node: z.string(),
  pod: z.object({ namespace: z.string(), name: z.string(), uid: z.string().optional(), labels: z.record(z.string(), z.string()).optional() }).optional(),
  container: z.object({ id: z.string(), image: z.string().optional(), runtime: z.string().optional() }).optional(),
  process: z.object({
    pid: z.number().int(), ppid: z.number().int().optional(), path: z.string().optional(), args: z.array(z.string()).optional(),
    user: z.string().optional(), uid: z.number().int().optional(),
    ancestors: z.array(z.object({ pid: z.number().int(), path: z.string().optional(), args: z.array(z.string()).optional() })).optional(),
  }),
  event: z.object({ type: z.string(), fields: z.record(z.string(), z.unknown()).optional() }),
  action: z.object({ kill: z.object({ status: z.string(), signal: z.string().optional(), policy: z.string().optional(), at: z.string().optional() }).optional() }).optional(),
  firstSeen: z.string(),
  lastSeen: z.string().optional(),
  state: z.string(),
  count: z.number().int().min(1),
});

export const WebhookDigestSchema = z.object({
  rule: z.string().describe('The SecurityRule id whose signals were held back.'),
  workload: z.string(),
  count: z.number().int().min(1).describe('How many signals were held back.'),
  from: z.string(),
  to: z.string(),
  signals: z.array(SignalRefSchema.extend({ process: z.string().optional(), firstSeen: z.string() })).max(20)
    .describe('The first of them.'),
});

export const WebhookPayloadSchema = z.object({
  schema: z.literal(WEBHOOK_SCHEMA),
  id: z.string().min(1).describe('Delivery id: the same for a retry of the same message, so receivers can deduplicate.'),
  event: z.enum(WEBHOOK_EVENTS),
  sentAt: z.iso.datetime({ offset: true }),
  notificationRule: z.string(),
  severity: SeveritySchema,
  title: z.string().max(1024),
  text: z.string().describe('The template rendered as plain text.'),
  markdown: z.string().describe('The template rendered as CommonMark, values escaped.'),
  signal: WebhookSignalSchema.optional().describe('Set for signal.triggered and signal.resolved.'),
  digest: WebhookDigestSchema.optional().describe('Set for signal.digest.'),
}).refine((p) => (p.event === 'signal.digest') === (p.digest !== undefined) && (p.event === 'signal.digest') === (p.signal === undefined), {
  message: 'signal events carry signal, digests carry digest',
});
export type WebhookPayload = z.infer<typeof WebhookPayloadSchema>;

// ---------------------------------------------------------------------------------------
// Slack incoming webhook: top-level text (the notification fallback) and Block Kit blocks.
const PlainTextSchema = z.object({ type: z.literal('plain_text'), text: z.string().min(1), emoji: z.boolean().optional() });
const MrkdwnSchema = z.object({ type: z.literal('mrkdwn'), text: z.string().min(1), verbatim: z.boolean().optional() });

export const SlackBlockSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('header'), text: PlainTextSchema.extend({ text: z.string().min(1).max(150) }) }),
  z.object({ type: z.literal('section'), text: MrkdwnSchema.extend({ text: z.string().min(1).max(3000) }) }),
  z.object({ type: z.literal('context'), elements: z.array(MrkdwnSchema).min(1).max(10) }),
  z.object({ type: z.literal('divider') }),
]);

export const SlackMessageSchema = z.object({
  text: z.string().min(1).max(40000),
  blocks: z.array(SlackBlockSchema).min(1).max(50),
  channel: z.string().optional(),
  unfurl_links: z.boolean().optional(),
  unfurl_media: z.boolean().optional(),
});
export type SlackMessage = z.infer<typeof SlackMessageSchema>;
export type SlackBlock = z.infer<typeof SlackBlockSchema>;

// ---------------------------------------------------------------------------------------
// PagerDuty Events API v2.
export const PAGERDUTY_SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;

const PagerDutyBase = z.object({
  routing_key: z.string().min(1),
  dedup_key: z.string().min(1).max(255),
});

export const PagerDutyEventSchema = z.discriminatedUnion('event_action', [
  PagerDutyBase.extend({
    event_action: z.literal('trigger'),
    payload: z.object({
      summary: z.string().min(1).max(1024),
      source: z.string().min(1),
      severity: z.enum(PAGERDUTY_SEVERITIES),
      timestamp: z.iso.datetime({ offset: true }).optional(),
      component: z.string().optional(),
      group: z.string().optional(),
      class: z.string().optional(),
      custom_details: z.record(z.string(), z.unknown()).optional(),
    }),
    client: z.string().optional(),
    client_url: z.string().optional(),
    links: z.array(z.object({ href: z.string(), text: z.string().optional() })).optional(),
  }),
  PagerDutyBase.extend({ event_action: z.literal('resolve') }),
  PagerDutyBase.extend({ event_action: z.literal('acknowledge') }),
]);
export type PagerDutyEvent = z.infer<typeof PagerDutyEventSchema>;

/** What the Events API answers (202): the receiver in the tests answers the same. */
export const PagerDutyResponseSchema = z.object({ status: z.string(), message: z.string(), dedup_key: z.string().optional() });

// ---------------------------------------------------------------------------------------
// Email: the message handed to the SMTP client.
const Address = z.string().regex(/^[^@\s<>]+@[^@\s<>]+$/);
export const EmailMessageSchema = z.object({
  from: Address,
  to: z.array(Address).min(1),
  subject: z.string().min(1).max(998).regex(/^[^\r\n]*$/, 'one line'),
  text: z.string().min(1),
  html: z.string().min(1),
  headers: z.record(z.string().regex(/^X-Vigil-[A-Za-z-]+$/), z.string().regex(/^[^\r\n]*$/)),
});
export type EmailMessage = z.infer<typeof EmailMessageSchema>;
