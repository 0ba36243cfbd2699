import { z } from 'zod';
import { ConditionsSchema, RuleIdSchema, ageColumn, conditionColumn, objectSchema, withRules, type KindDefinition } from './common.ts';

export const SecurityMacroSpecSchema = withRules(z.object({
  id: RuleIdSchema.optional().describe('The name rules use, e.g. SHELLS; defaults to metadata.name.'),
  description: z.string().max(4096).optional(),
  expression: z.string().min(1).max(16384).optional().describe('A SECL expression the macro stands for.'),
  values: z.array(z.string()).max(4096).optional().describe('A list of values the macro stands for.'),
}).describe('A named SECL expression or value list, visible to every rule.'), [{
  rule: 'has(self.expression) != has(self.values)', message: 'set exactly one of expression or values',
  check: (m) => (m.expression === undefined) !== (m.values === undefined),
}]);
export type SecurityMacroSpec = z.infer<typeof SecurityMacroSpecSchema>;

export const SecurityMacroStatusSchema = z.object({
  observedGeneration: z.number().int().optional(),
  conditions: ConditionsSchema.optional(),
  macroId: z.string().optional(),
  usedBy: z.number().int().min(0).optional().describe('Rules that reference this macro.'),
});
export type SecurityMacroStatus = z.infer<typeof SecurityMacroStatusSchema>;

export const SecurityMacroSchema = objectSchema('SecurityMacro', SecurityMacroSpecSchema, SecurityMacroStatusSchema);
export type SecurityMacro = z.infer<typeof SecurityMacroSchema>;

export const securityMacroKind: KindDefinition = {
  kind: 'SecurityMacro', plural: 'securitymacros', singular: 'securitymacro', shortNames: ['smacro'],
  scope: 'Cluster',
  description: 'A named SECL expression or value list that every SecurityRule may use.',
  spec: SecurityMacroSpecSchema, status: SecurityMacroStatusSchema,
  columns: [conditionColumn('Valid'), { name: 'Used-By', type: 'integer', jsonPath: '.status.usedBy', priority: 1 }, ageColumn],
};

export function macroId(m: { metadata: { name: string }; spec: { id?: string | undefined } }): string {
  return m.spec.id ?? m.metadata.name;
}
