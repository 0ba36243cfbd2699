import { z } from 'zod';
import { SeveritySchema, TagsSchema, TimestampSchema, ageColumn, jsonPath, objectSchema, type KindDefinition } from './common.ts';

const ProcessRefSchema = z.object({
  pid: z.number().int().min(0),
  path: z.string().max(4096).optional(),
  args: z.array(z.string().max(4096)).max(256).optional(),
});

export const SignalSpecSchema = z.object({
  rule: z.object({
    id: z.string().min(1),
    version: z.string().optional(),
    severity: SeveritySchema,
    tags: TagsSchema.optional(),
  }),
  node: z.string().min(1).describe('The node whose sensor saw it.'),
  pod: z.object({
    namespace: z.string(),
    name: z.string(),
    uid: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
  }).optional().describe('Absent for host processes.'),
  container: z.object({
    id: z.string(),
    image: z.string().optional(),
    runtime: z.string().optional(),
  }).optional(),
  process: z.object({
    pid: z.number().int().min(0),
    ppid: z.number().int().min(0).optional(),
    path: z.string().max(4096).optional(),
    args: z.array(z.string().max(4096)).max(256).optional(),
    user: z.string().optional(),
    uid: z.number().int().min(0).optional(),
    ancestors: z.array(ProcessRefSchema).max(64).optional(),
  }),
  event: z.object({
    type: z.string().min(1),
    fields: z.record(z.string(), z.unknown()).optional().describe('The triggering event fields, as SECL names them.'),
  }),
  action: z.object({
    kill: z.object({
      status: z.enum(['performed', 'failed', 'disarmed', 'monitored']),
      signal: z.string().optional(),
      policy: z.string().optional(),
      at: TimestampSchema.optional(),
      error: z.string().optional(),
    }).optional(),
  }).optional().describe('The action taken, when one was.'),
  firstSeen: TimestampSchema,
});
export type SignalSpec = z.infer<typeof SignalSpecSchema>;

export const SignalStatusSchema = z.object({
  state: z.enum(['open', 'acknowledged', 'resolved', 'false-positive']).default('open'),
  count: z.number().int().min(1).default(1).describe('How many times this detection repeated.'),
  lastSeen: TimestampSchema.optional(),
  notifications: z.array(z.object({
    channel: z.string(),
    rule: z.string().optional(),
    at: TimestampSchema,
    result: z.enum(['sent', 'failed', 'throttled']),
    error: z.string().max(4096).optional(),
  })).max(64).optional(),
});
export type SignalStatus = z.infer<typeof SignalStatusSchema>;

export const SignalSchema = objectSchema('Signal', SignalSpecSchema, SignalStatusSchema);
export type Signal = z.infer<typeof SignalSchema>;

export const signalKind: KindDefinition = {
  kind: 'Signal', plural: 'signals', singular: 'signal', shortNames: ['sig'], scope: 'Namespaced',
  description: 'One detection by a node sensor, in the namespace of the workload it concerns.',
  spec: SignalSpecSchema, status: SignalStatusSchema,
  columns: [
    { name: 'Rule', type: 'string', jsonPath: '.spec.rule.id' },
    { name: 'Severity', type: 'string', jsonPath: '.spec.rule.severity' },
    { name: 'State', type: 'string', jsonPath: '.status.state' },
    { name: 'Pod', type: 'string', jsonPath: '.spec.pod.name' },
    { name: 'Node', type: 'string', jsonPath: jsonPath('spec', 'node') },
    { name: 'Count', type: 'integer', jsonPath: '.status.count' },
    ageColumn,
  ],
};
