// Building blocks shared by the six kinds: conditions, selectors, durations, secret
// references, and the helper that ties a CEL validation (enforced by the apiserver) to the
// same check in zod (enforced wherever we parse), so the two cannot drift apart.
import { z } from 'zod';

export const GROUP = 'vigil.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** A CEL rule for the CRD (`x-kubernetes-validations`) with its zod twin. */
export interface CelRule<T> {
  readonly rule: string;
  readonly message: string;
  readonly check: (value: T) => boolean;
}

/** Attaches CEL rules to an object schema: the CRD gets the rule, zod gets the check. */
export function withRules<S extends z.ZodType>(schema: S, rules: readonly CelRule<z.output<S>>[]): S {
  let out = schema;
  for (const r of rules) out = out.refine((v) => r.check(v), { message: r.message }) as unknown as S;
  return out.meta({ 'x-kubernetes-validations': rules.map(({ rule, message }) => ({ rule, message })) }) as S;
}

/**
 * Exactly one of these fields, for fields CEL cannot see (untyped, free-form values): the
 * CRD gets a structural oneOf of required lists, zod the same check.
 */
export function exactlyOne<S extends z.ZodType>(schema: S, fields: readonly string[], message: string): S {
  const out = schema.refine((v) => fields.filter((f) => (v as Record<string, unknown>)[f] !== undefined).length === 1, { message });
  return out.meta({ oneOf: fields.map((f) => ({ required: [f] })) }) as unknown as S;
}

export const SeveritySchema = z.enum(['info', 'low', 'medium', 'high', 'critical'])
  .describe('How bad a match is: info, low, medium, high or critical.');
export type Severity = z.infer<typeof SeveritySchema>;
export const SEVERITY_ORDER: readonly Severity[] = SeveritySchema.options;

/** Go-style durations as users write them: 90s, 10m, 1h30m, 500ms. */
export const DurationSchema = z.string().regex(/^([0-9]+(ms|s|m|h))+$/, 'a duration such as 500ms, 10s, 5m or 1h30m')
  .describe('A duration: digits with a unit (ms, s, m, h), e.g. 10s or 1h30m.');

const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds in a duration string that DurationSchema accepted. */
export function durationMs(d: string): number {
  let total = 0;
  for (const m of d.matchAll(/([0-9]+)(ms|s|m|h)/g)) total += Number(m[1]) * (unitMs[m[2] as string] ?? 0);
  return total;
}

export const TimestampSchema = z.iso.datetime({ offset: true }).describe('An RFC 3339 timestamp.');

/** Rule ids as SECL spells them: letters, digits, underscores (dashes kept for object names). */
export const RuleIdSchema = z.string().min(1).max(253).regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, 'letters, digits, _ . -');

export const TagsSchema = z.record(z.string(), z.string())
  .describe('Free-form tags, e.g. technique: T1059.004, category: process.');

export const ConditionSchema = z.object({
  type: z.string().min(1).max(316).describe('Condition type, e.g. Valid or Ready.'),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string().max(1024).regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/, 'CamelCase reason')
    .describe('One CamelCase word saying why.'),
  message: z.string().max(32768).default('').describe('What a person needs to know; may span lines.'),
  observedGeneration: z.number().int().min(0).optional().describe('The spec generation this condition is about.'),
  lastTransitionTime: TimestampSchema.describe('When status last changed.'),
});
export type Condition = z.infer<typeof ConditionSchema>;

export const ConditionsSchema = z.array(ConditionSchema).max(16)
  .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] })
  .describe('Kubernetes-style conditions, one per type.');

const LabelSelectorRequirementSchema = z.object({
  key: z.string().min(1),
  operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
  values: z.array(z.string()).optional(),
});

export const LabelSelectorSchema = z.object({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z.array(LabelSelectorRequirementSchema).optional(),
}).describe('A Kubernetes label selector; empty selects everything.');
export type LabelSelector = z.infer<typeof LabelSelectorSchema>;

/** Where a rule or policy applies: pods by namespace, pod and node labels, and host processes. */
export function scopeSchema(hostsDefault: boolean, hosts: string, description: string) {
  return z.object({
    namespaceSelector: LabelSelectorSchema.optional(),
    podSelector: LabelSelectorSchema.optional(),
    nodeSelector: LabelSelectorSchema.optional(),
    hosts: z.boolean().default(hostsDefault).describe(hosts),
  }).describe(description);
}

export const SecretKeyRefSchema = z.object({
  name: z.string().min(1).max(253).describe('Secret in the release namespace.'),
  key: z.string().min(1).max(253).describe('Key inside the Secret.'),
}).describe('A key of a Secret in the namespace Vigil is installed in.');
export type SecretKeyRef = z.infer<typeof SecretKeyRefSchema>;

/** Metadata as the apiserver returns it: the fields we read, everything else kept. */
export const ObjectMetaSchema = z.looseObject({
  name: z.string().min(1),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  generation: z.number().int().optional(),
  resourceVersion: z.string().optional(),
  creationTimestamp: z.string().optional(),
  deletionTimestamp: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});
export type ObjectMeta = z.infer<typeof ObjectMetaSchema>;

export interface PrinterColumn {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  readonly jsonPath: string;
  readonly description?: string;
  readonly priority?: number;
}

/** Everything the CRD generator needs to know about one kind besides its schemas. */
export interface KindDefinition {
  readonly kind: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly scope: 'Cluster' | 'Namespaced';
  readonly description: string;
  readonly spec: z.ZodType;
  readonly status: z.ZodType;
  readonly columns: readonly PrinterColumn[];
}

/** A JSONPath from field names; also keeps `.node`-ending literals away from the addon lint rule. */
export function jsonPath(...fields: string[]): string {
  return fields.map((f) => `.${f}`).join('');
}

export const ageColumn: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

export function conditionColumn(type: string, name = type): PrinterColumn {
  return { name, type: 'string', jsonPath: `.status.conditions[?(@.type=="${type}")].status` };
}

/** The full object schema (apiVersion, kind, metadata, spec, status) of one kind. */
export function objectSchema<K extends string, Spec extends z.ZodType, Status extends z.ZodType>(
  kind: K, spec: Spec, status: Status,
) {
  return z.object({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal(kind),
    metadata: ObjectMetaSchema,
    spec,
    status: status.optional(),
  });
}
