// vigil-operator: configuration, logging, HTTP endpoints, leader election, and the operator
// started on winning the Lease and stopped on losing it. The only file that exits.
import { ZodError } from 'zod';
import { ConfigHelp, USAGE, parseConfig, type Config } from './config.ts';
import { createLogger } from './framework/logger.ts';
import { KubeClient } from './framework/kube.ts';
import { Registry, processMetrics } from './framework/metrics.ts';
import { serveHttp } from './framework/http.ts';
import { LeaderElector } from './framework/leader.ts';
import { VigilOperator } from './controllers/vigil-operator.ts';
import { seclChecker } from './controllers/secl-checker.ts';
import { applyCrds } from './controllers/crds.ts';
import { NotificationController, notificationSettings } from './controllers/notification-rule.ts';

let config: Config;
try {
  config = parseConfig(process.argv.slice(2), process.env);
} catch (err) {
  if (err instanceof ConfigHelp) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const msg = err instanceof ZodError ? err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') : (err as Error).message;
  process.stderr.write(`vigil-operator: ${msg}\n${USAGE}\n`);
  process.exit(2);
}

const log = createLogger(config.logLevel);
const registry = new Registry();
processMetrics(registry);
const client = KubeClient.load(config.kubeconfig);
log.info({ server: client.server, user: client.user, namespace: config.namespace, identity: config.identity }, 'starting');

const leaderGauge = registry.gauge('vigil_operator_leader', '1 while this replica leads.');
const transitions = registry.counter('vigil_operator_leader_transitions_total', 'Times this replica started or stopped leading.');
let operator: VigilOperator | undefined;
let lifecycle: Promise<void> = Promise.resolve();

let stopping = false;

function lead(): void {
  lifecycle = lifecycle.then(async () => {
    if (operator || stopping) return;
    leaderGauge.set(1);
    transitions.inc({ to: 'leader' });
    log.info('leading: starting controllers');
    if (config.manageCrds) {
      // Not fatal: the CRDs Helm installed still work; the log says why they were not upgraded.
      await applyCrds(client).then((names) => log.info({ crds: names.length }, 'CRDs applied'),
        (err: Error) => log.warn({ err: err.message }, 'could not apply CRDs'));
    }
    const op = new VigilOperator({ client, logger: log, registry, concurrency: config.concurrency, namespace: config.namespace, checker: seclChecker });
    operator = op;
    try {
      await op.start();
      log.info('controllers started');
    } catch (err) {
      log.error({ err: (err as Error).message }, 'controllers failed to start');
    }
  });
}

function follow(): void {
  lifecycle = lifecycle.then(async () => {
    leaderGauge.set(0);
    if (!operator) return;
    transitions.inc({ to: 'follower' });
    log.warn('lost the lease: stopping controllers');
    const op = operator;
    operator = undefined;
    await op.shutdown();
  });
}

const elector = config.leaderElect
  ? new LeaderElector(client, {
    namespace: config.namespace, name: config.leaseName, identity: config.identity,
    leaseDurationMs: config.leaseDurationMs, renewDeadlineMs: config.renewDeadlineMs, retryPeriodMs: config.retryPeriodMs,
  })
  : undefined;

const http = await serveHttp(config.httpAddr, registry, () => {
  if (operator) return operator.firstCycle ? { ok: true, detail: 'leading' } : { ok: false, detail: 'leading, caches filling' };
  if (elector) return { ok: true, detail: `standby (leader: ${elector.holder ?? 'none'})` };
  return { ok: false, detail: 'starting' };
});
log.info({ port: http.port }, 'serving /metrics /healthz /readyz');

// Notifications: every replica keeps its caches warm; only the leader sends.
const notifications = new NotificationController({ client, logger: log, registry, concurrency: config.concurrency, namespace: config.namespace, ...notificationSettings(process.env) });
await notifications.start();
if (elector) notifications.followLeader(elector);
else notifications.setLeading(true);

if (elector) {
  elector.on('started', lead);
  elector.on('stopped', follow);
  elector.on('changed', (holder) => log.info({ holder }, 'lease holder'));
  elector.on('error', (err) => log.warn({ err: err.message }, 'leader election: apiserver call failed'));
  elector.start();
} else {
  lead();
}

async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'stopping');
  const force = setTimeout(() => process.exit(1), 10_000);
  force.unref();
  // Controllers stop before the lease is released: no write after another replica leads.
  follow();
  await lifecycle;
  await elector?.stop();
  await notifications.shutdown();
  http.server.close();
  client.close();
  log.info('stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
process.on('unhandledRejection', (err) => log.error({ err: (err as Error)?.message ?? String(err) }, 'unhandled rejection'));
