// The operator's configuration: flags override environment, both parsed once with zod.
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { z } from 'zod';

const ConfigSchema = z.object({
  kubeconfig: z.string().optional().describe('Run out of cluster with this kubeconfig (default: in-cluster ServiceAccount, $KUBECONFIG, ~/.kube/config).'),
  namespace: z.string().min(1).default('vigil-system').describe('Release namespace: ruleset ConfigMaps and the leader Lease.'),
  identity: z.string().min(1).describe('This replica\'s name in the Lease.'),
  httpAddr: z.string().default(':8080').describe('Address of /metrics, /healthz, /readyz.'),
  leaderElect: z.boolean().default(true),
  leaseName: z.string().default('vigil-operator'),
  leaseDurationMs: z.coerce.number().int().min(1000).default(10_000),
  renewDeadlineMs: z.coerce.number().int().min(500).default(6_000),
  retryPeriodMs: z.coerce.number().int().min(100).default(2_000),
  manageCrds: z.boolean().default(false).describe('Apply the CRDs at start (how they are upgraded).'),
  concurrency: z.coerce.number().int().min(1).max(256).default(16),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
});
export type Config = z.infer<typeof ConfigSchema>;

export const USAGE = `usage: vigil-operator [--kubeconfig PATH] [--namespace NS] [--identity NAME] [--http-addr HOST:PORT]
                      [--no-leader-elect] [--lease-name NAME] [--log-level LEVEL] [--manage-crds]
environment: VIGIL_NAMESPACE, VIGIL_MANAGE_CRDS=true, POD_NAME (identity), VIGIL_HTTP_ADDR, VIGIL_LEADER_ELECT=false,
             VIGIL_LEASE_DURATION_MS, VIGIL_RENEW_DEADLINE_MS, VIGIL_RETRY_PERIOD_MS, VIGIL_CONCURRENCY,
             VIGIL_LOG_LEVEL, KUBECONFIG`;

export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv): Config {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      kubeconfig: { type: 'string' }, namespace: { type: 'string' }, identity: { type: 'string' },
      'http-addr': { type: 'string' }, 'no-leader-elect': { type: 'boolean' }, 'lease-name': { type: 'string' },
      'log-level': { type: 'string' }, 'manage-crds': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) throw new ConfigHelp();
  return ConfigSchema.parse({
    kubeconfig: values.kubeconfig,
    namespace: values.namespace ?? env.VIGIL_NAMESPACE,
    identity: values.identity ?? env.POD_NAME ?? `${hostname()}-${process.pid}`,
    httpAddr: values['http-addr'] ?? env.VIGIL_HTTP_ADDR,
    leaderElect: values['no-leader-elect'] ? false : env.VIGIL_LEADER_ELECT !== undefined ? env.VIGIL_LEADER_ELECT !== 'false' : undefined,
    leaseName: values['lease-name'] ?? env.VIGIL_LEASE_NAME,
    leaseDurationMs: env.VIGIL_LEASE_DURATION_MS,
    renewDeadlineMs: env.VIGIL_RENEW_DEADLINE_MS,
    retryPeriodMs: env.VIGIL_RETRY_PERIOD_MS,
    concurrency: env.VIGIL_CONCURRENCY,
    manageCrds: values['manage-crds'] ?? (env.VIGIL_MANAGE_CRDS !== undefined ? env.VIGIL_MANAGE_CRDS === 'true' : undefined),
    logLevel: values['log-level'] ?? env.VIGIL_LOG_LEVEL,
  });
}

export class ConfigHelp extends Error {}
