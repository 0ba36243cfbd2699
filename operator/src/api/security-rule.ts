import { z } from 'zod';
import {
  ConditionsSchema, DurationSchema, RuleIdSchema, SeveritySchema, TagsSchema, TimestampSchema,
  ageColumn, conditionColumn, exactlyOne, objectSchema, scopeSchema, type KindDefinition,
} from './common.ts';

const ScalarSchema = z.union([z.string(), z.number(), z.boolean()])
  .meta({ 'x-kubernetes-preserve-unknown-fields': true });

export const SetActionSchema = exactlyOne(z.object({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.]*$/, 'a SECL variable name').describe('Variable to set, read back as ${name}.'),
  scope: z.enum(['global', 'process', 'container', 'cgroup']).default('global')
    .describe('Where the variable lives: global, per process (inherited by children), per container or per cgroup.'),
  value: ScalarSchema.optional().describe('A constant value (string, number or boolean).'),
  field: z.string().optional().describe('An event field whose value is stored instead of a constant.'),
  append: z.boolean().default(false).describe('Append to a list variable instead of replacing it.'),
  ttl: DurationSchema.optional().describe('Forget the value after this long.'),
}), ['value', 'field'], 'set exactly one of value or field');

export const RuleActionSchema = z.object({
  set: SetActionSchema.describe('Set a variable when the rule matches.'),
}).describe('What to do when the rule matches; killing is granted by an ActiveProtectionPolicy.');

export const RuleScopeSchema = scopeSchema(true, 'Also evaluate on processes outside any pod.', 'Where the rule applies; absent means everywhere.');

export const SecurityRuleSpecSchema = z.object({
  id: RuleIdSchema.optional().describe('The SECL rule id; defaults to metadata.name.'),
  description: z.string().max(4096).optional(),
  expression: z.string().min(1).max(16384).describe('The SECL expression, e.g. exec.file.name == "nc".'),
  severity: SeveritySchema.default('medium'),
  tags: TagsSchema.optional(),
  disabled: z.boolean().default(false).describe('Keep the rule but do not load it.'),
  every: DurationSchema.optional().describe('Report at most one match per this period.'),
  version: z.string().max(64).optional().describe('A version carried into signals.'),
  actions: z.array(RuleActionSchema).max(32).optional(),
  scope: RuleScopeSchema.optional(),
}).describe('One detection rule.');
export type SecurityRuleSpec = z.infer<typeof SecurityRuleSpecSchema>;

export const NodeLoadErrorSchema = z.object({
  node: z.string(),
  message: z.string().max(4096),
});

export const RuleNodesStatusSchema = z.object({
  loaded: z.number().int().min(0).describe('Nodes whose sensor runs the current version of this rule.'),
  total: z.number().int().min(0).describe('Nodes with a sensor.'),
  summary: z.string().describe('loaded/total, for the NODES column.'),
  errors: z.array(NodeLoadErrorSchema).max(10).optional().describe('The first load errors, one per node.'),
});

export const SecurityRuleStatusSchema = z.object({
  observedGeneration: z.number().int().optional(),
  conditions: ConditionsSchema.optional(),
  ruleId: z.string().optional().describe('The id the rule runs under.'),
  eventType: z.string().optional().describe('The event type inferred from the expression.'),
  nodes: RuleNodesStatusSchema.optional(),
  signals: z.number().int().min(0).optional().describe('Signals raised by this rule.'),
  lastTriggered: TimestampSchema.optional(),
});
export type SecurityRuleStatus = z.infer<typeof SecurityRuleStatusSchema>;

export const SecurityRuleSchema = objectSchema('SecurityRule', SecurityRuleSpecSchema, SecurityRuleStatusSchema);
export type SecurityRule = z.infer<typeof SecurityRuleSchema>;

export const securityRuleKind: KindDefinition = {
  kind: 'SecurityRule', plural: 'securityrules', singular: 'securityrule', shortNames: ['srule', 'vrule'],
  scope: 'Cluster',
  description: 'A Vigil detection rule: a SECL expression evaluated by every node sensor.',
  spec: SecurityRuleSpecSchema, status: SecurityRuleStatusSchema,
  columns: [
    { name: 'Severity', type: 'string', jsonPath: '.spec.severity' },
    conditionColumn('Valid'),
    { name: 'Nodes', type: 'string', jsonPath: '.status.nodes.summary', description: 'loaded/total' },
    { name: 'Signals', type: 'integer', jsonPath: '.status.signals' },
    { name: 'Event', type: 'string', jsonPath: '.status.eventType', priority: 1 },
    ageColumn,
  ],
};

/** The rule id: spec.id when set, else the object name. */
export function ruleId(rule: { metadata: { name: string }; spec: { id?: string | undefined } }): string {
  return rule.spec.id ?? rule.metadata.name;
}
