import { z } from 'zod';
import {
  ConditionsSchema, DurationSchema, SecretKeyRefSchema, SeveritySchema, TimestampSchema, ageColumn, objectSchema,
  withRules, type KindDefinition,
} from './common.ts';

const HttpUrlSchema = z.string().max(2048).regex(/^https?:\/\/[^\s/?#]+[^\s]*$/, 'an http(s) URL');
// A deliberately plain address check: the SMTP server is the real judge.
const EmailSchema = z.string().max(320).regex(/^[^@\s]+@[^@\s]+$/, 'an email address');

export const WebhookChannelSchema = z.object({
  url: HttpUrlSchema,
  secretRef: SecretKeyRefSchema.optional().describe('HMAC-SHA256 key; the signature goes in X-Vigil-Signature.'),
  headers: z.record(z.string(), z.string()).optional(),
  headersSecretRef: z.object({ name: z.string().min(1).max(253) }).optional()
    .describe('A Secret in the release namespace whose every key is a header name and its value the header value (tokens stay out of the spec).'),
});
export const SlackChannelSchema = z.object({
  webhookSecretRef: SecretKeyRefSchema.describe('Secret key holding the Slack incoming-webhook URL.'),
  channel: z.string().optional(),
});
export const PagerDutyChannelSchema = z.object({
  routingKeySecretRef: SecretKeyRefSchema,
  url: HttpUrlSchema.default('https://events.pagerduty.com/v2/enqueue'),
});
export const EmailChannelSchema = z.object({
  smtp: z.object({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(587),
    user: z.string().optional(),
    secretRef: SecretKeyRefSchema.optional().describe('Secret key holding the SMTP password.'),
    tls: z.enum(['starttls', 'tls', 'none']).default('starttls'),
  }),
  from: EmailSchema,
  to: z.array(EmailSchema).min(1).max(100),
});

export const CHANNEL_KINDS = ['webhook', 'slack', 'pagerduty', 'email'] as const;
export type ChannelKind = typeof CHANNEL_KINDS[number];

export const ChannelSchema = withRules(z.object({
  webhook: WebhookChannelSchema.optional(),
  slack: SlackChannelSchema.optional(),
  pagerduty: PagerDutyChannelSchema.optional(),
  email: EmailChannelSchema.optional(),
}).describe('One destination; set exactly one of webhook, slack, pagerduty, email.'), [{
  rule: '[has(self.webhook), has(self.slack), has(self.pagerduty), has(self.email)].exists_one(x, x)',
  message: 'set exactly one of webhook, slack, pagerduty, email',
  check: (c) => CHANNEL_KINDS.filter((k) => c[k] !== undefined).length === 1,
}]);
export type Channel = z.infer<typeof ChannelSchema>;

export function channelKind(c: Channel): ChannelKind | undefined {
  return CHANNEL_KINDS.find((k) => c[k] !== undefined);
}

export const NotificationMatchSchema = z.object({
  minSeverity: SeveritySchema.default('info').describe('Severity at least this.'),
  severities: z.array(SeveritySchema).optional().describe('Exactly these severities (with minSeverity, both must hold).'),
  ruleIds: z.array(z.string()).optional(),
  tags: z.record(z.string(), z.string()).optional(),
  namespaces: z.array(z.string()).optional(),
  killed: z.boolean().nullable().optional().describe('true: only signals whose process was killed; false: only others; null: both.'),
}).describe('Which signals this rule sends; empty lists match everything.');

export const NotificationRuleSpecSchema = z.object({
  enabled: z.boolean().default(true),
  match: NotificationMatchSchema.optional(),
  channels: z.array(ChannelSchema).min(1).max(16),
  template: z.string().max(8192).optional().describe('Markdown with {{signal.field}} placeholders.'),
  throttle: z.object({
    max: z.number().int().min(1),
    per: DurationSchema,
  }).optional().describe('Send at most max notifications per period.'),
});
export type NotificationRuleSpec = z.infer<typeof NotificationRuleSpecSchema>;

export const NotificationRuleStatusSchema = z.object({
  observedGeneration: z.number().int().optional(),
  conditions: ConditionsSchema.optional(),
  channels: z.string().optional().describe('The channel kinds, for the CHANNEL column.'),
  sent: z.number().int().min(0).optional(),
  failed: z.number().int().min(0).optional(),
  lastSent: TimestampSchema.optional(),
  lastError: z.string().max(4096).optional(),
});
export type NotificationRuleStatus = z.infer<typeof NotificationRuleStatusSchema>;

export const NotificationRuleSchema = objectSchema('NotificationRule', NotificationRuleSpecSchema, NotificationRuleStatusSchema);
export type NotificationRule = z.infer<typeof NotificationRuleSchema>;

export const notificationRuleKind: KindDefinition = {
  kind: 'NotificationRule', plural: 'notificationrules', singular: 'notificationrule', shortNames: ['vnotify'],
  scope: 'Cluster',
  description: 'Sends matching signals to Slack, PagerDuty, email or a webhook.',
  spec: NotificationRuleSpecSchema, status: NotificationRuleStatusSchema,
  columns: [
    { name: 'Channel', type: 'string', jsonPath: '.status.channels' },
    { name: 'Sent', type: 'integer', jsonPath: '.status.sent' },
    { name: 'Failed', type: 'integer', jsonPath: '.status.failed' },
    ageColumn,
  ],
};
