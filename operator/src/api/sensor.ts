import { z } from 'zod';
import { ConditionsSchema, TimestampSchema, ageColumn, conditionColumn, jsonPath, objectSchema, type KindDefinition } from './common.ts';

export const SensorSpecSchema = z.object({
  node: z.string().min(1).describe('The node this sensor runs on (also the object name).'),
});
export type SensorSpec = z.infer<typeof SensorSpecSchema>;

export const SensorStatusSchema = z.object({
  conditions: ConditionsSchema.optional(),
  version: z.string().optional(),
  kernel: z.string().optional(),
  hooks: z.array(z.object({
    name: z.string(),
    attached: z.boolean(),
    error: z.string().max(4096).optional(),
  })).max(256).optional(),
  ruleset: z.object({
    hash: z.string().describe('sha256 of the ruleset the sensor runs.'),
    rules: z.number().int().min(0),
    loadedAt: TimestampSchema.optional(),
  }).optional(),
  ruleErrors: z.array(z.object({
    rule: z.string(),
    message: z.string().max(4096),
  })).max(256).optional().describe('Rules this sensor could not load.'),
  eventsPerSecond: z.number().min(0).optional(),
  drops: z.number().int().min(0).optional().describe('Events lost, all causes.'),
  dropsByCause: z.record(z.string(), z.number().int().min(0)).optional(),
  spool: z.object({
    depth: z.number().int().min(0),
    bytes: z.number().int().min(0).optional(),
  }).optional().describe('Signals waiting for the apiserver.'),
  signals: z.object({
    reported: z.number().int().min(0).describe('Detections delivered as Signals (counts included).'),
    deferred: z.number().int().min(0).describe('Deliveries a rate limit held back (delayed in the spool, not lost).'),
    refusedByRule: z.record(z.string(), z.number().int().min(0)).optional().describe('Detections refused by a full spool, per rule.'),
  }).optional().describe('What the per-node and per-rule rate limits did.'),
  lastHeartbeat: TimestampSchema.optional(),
});
export type SensorStatus = z.infer<typeof SensorStatusSchema>;

export const SensorSchema = objectSchema('Sensor', SensorSpecSchema, SensorStatusSchema);
export type Sensor = z.infer<typeof SensorSchema>;

export const sensorKind: KindDefinition = {
  kind: 'Sensor', plural: 'sensors', singular: 'sensor', shortNames: ['vsensor'], scope: 'Cluster',
  description: 'The health of the Vigil sensor on one node.',
  spec: SensorSpecSchema, status: SensorStatusSchema,
  columns: [
    { name: 'Node', type: 'string', jsonPath: jsonPath('spec', 'node') },
    conditionColumn('Ready'),
    { name: 'Ruleset', type: 'string', jsonPath: '.status.ruleset.hash' },
    { name: 'Rules', type: 'integer', jsonPath: '.status.ruleset.rules' },
    { name: 'Drops', type: 'integer', jsonPath: '.status.drops' },
    ageColumn,
  ],
};
