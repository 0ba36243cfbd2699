import { z } from 'zod';
import {
  ConditionsSchema, DurationSchema, RuleIdSchema, TimestampSchema, ageColumn, objectSchema, scopeSchema,
  withRules, type KindDefinition,
} from './common.ts';

export const PolicyRuleSelectorSchema = withRules(z.object({
  ids: z.array(RuleIdSchema).max(1024).optional().describe('Rule ids (spec.id or object name).'),
  tags: z.record(z.string(), z.string()).optional().describe('Rules carrying all these tags.'),
}).describe('Which rules may act: by id, by tags, or both (a rule matching either is selected).'), [{
  rule: '(has(self.ids) && size(self.ids) > 0) || (has(self.tags) && size(self.tags) > 0)',
  message: 'select rules by ids, tags or both',
  check: (s) => (s.ids?.length ?? 0) > 0 || Object.keys(s.tags ?? {}).length > 0,
}]);
export type PolicyRuleSelector = z.infer<typeof PolicyRuleSelectorSchema>;

export const PolicyScopeSchema = scopeSchema(false, 'Also act on processes outside any pod.', 'Where the policy acts; absent selectors select everything.');

export const KillActionSchema = z.object({
  signal: z.enum(['SIGKILL', 'SIGTERM', 'SIGSTOP', 'SIGINT', 'SIGQUIT']).default('SIGKILL'),
  scope: z.enum(['process', 'container']).default('process')
    .describe('Kill the matching process, or every process of its container.'),
});

export const PolicyActionSchema = z.object({ kill: KillActionSchema })
  .describe('How the policy acts on a match.');

export const DisarmerSchema = z.object({
  maxContainers: z.number().int().min(1).optional().describe('Stop killing when more containers than this are hit within period.'),
  maxExecutables: z.number().int().min(1).optional().describe('Stop killing when more distinct executables than this are hit within period.'),
  period: DurationSchema.default('1m'),
}).describe('A safety catch: a policy that kills too widely disarms itself.');

export const ActiveProtectionPolicySpecSchema = z.object({
  mode: z.enum(['enforce', 'monitor']).default('monitor').describe('enforce acts; monitor only records what it would do.'),
  rules: PolicyRuleSelectorSchema,
  scope: PolicyScopeSchema.optional(),
  action: PolicyActionSchema,
  disarmer: DisarmerSchema.optional(),
}).describe('Which rules may kill, where and how.');
export type ActiveProtectionPolicySpec = z.infer<typeof ActiveProtectionPolicySpecSchema>;

export const ActiveProtectionPolicyStatusSchema = z.object({
  observedGeneration: z.number().int().optional(),
  conditions: ConditionsSchema.optional(),
  rules: z.number().int().min(0).optional().describe('Rules the selector resolves to.'),
  ruleIds: z.array(z.string()).max(1024).optional().describe('The first resolved rule ids.'),
  nodes: z.object({
    enforcing: z.number().int().min(0),
    total: z.number().int().min(0),
    summary: z.string(),
  }).optional(),
  kills: z.number().int().min(0).optional(),
  lastKill: TimestampSchema.optional(),
});
export type ActiveProtectionPolicyStatus = z.infer<typeof ActiveProtectionPolicyStatusSchema>;

export const ActiveProtectionPolicySchema = objectSchema('ActiveProtectionPolicy', ActiveProtectionPolicySpecSchema, ActiveProtectionPolicyStatusSchema);
export type ActiveProtectionPolicy = z.infer<typeof ActiveProtectionPolicySchema>;

export const activeProtectionPolicyKind: KindDefinition = {
  kind: 'ActiveProtectionPolicy', plural: 'activeprotectionpolicies', singular: 'activeprotectionpolicy',
  shortNames: ['app', 'vpolicy'], scope: 'Cluster',
  description: 'Grants rules the right to act (kill), with scope, mode and a disarmer.',
  spec: ActiveProtectionPolicySpecSchema, status: ActiveProtectionPolicyStatusSchema,
  columns: [
    { name: 'Mode', type: 'string', jsonPath: '.spec.mode' },
    { name: 'Rules', type: 'integer', jsonPath: '.status.rules' },
    { name: 'Nodes', type: 'string', jsonPath: '.status.nodes.summary' },
    { name: 'Kills', type: 'integer', jsonPath: '.status.kills' },
    ageColumn,
  ],
};
