// The notification controller: NotificationRules and Signals through the framework's
// resuming informers into the dispatcher (operator/src/notify). Every replica keeps the
// caches warm; only the one holding the Lease sends (setLeading from the LeaderElector).
// It writes the delivery side of NotificationRule status (sent, failed, lastSent,
// lastError, the Ready condition); the Valid condition and the CHANNEL column come from
// the spec and are written by the VigilOperator (statuses.ts).
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ControllerOperator, type OperatorOptions } from '../framework/operator.ts';
import type { LeaderElector } from '../framework/leader.ts';
import type { KubeObject } from '../framework/kube.ts';
import { Dispatcher, type DispatcherOptions } from '../notify/dispatcher.ts';
import { REFS } from './refs.ts';

export interface NotificationControllerOptions extends OperatorOptions {
  /** The release namespace: the Secrets channels reference live here. */
  readonly namespace: string;
  readonly consoleUrl?: string;
  readonly ca?: string;
  readonly sendTimeoutMs?: number;
  readonly freshnessMs?: number;
  readonly resyncMs?: number;
  readonly queue?: DispatcherOptions['queue'];
}

/** Settings from the environment (the Deployment), parsed once. */
export const NotificationEnvSchema = z.object({
  VIGIL_CONSOLE_URL: z.url().optional(),
  /** PEM bundle of extra CAs trusted for channel endpoints (internal SMTP relays, webhook hosts). */
  VIGIL_NOTIFY_CA_FILE: z.string().min(1).optional(),
  VIGIL_NOTIFY_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).optional(),
});

export function notificationSettings(env: NodeJS.ProcessEnv): Pick<NotificationControllerOptions, 'consoleUrl' | 'ca' | 'sendTimeoutMs'> {
  const e = NotificationEnvSchema.parse(env);
  return {
    ...(e.VIGIL_CONSOLE_URL ? { consoleUrl: e.VIGIL_CONSOLE_URL } : {}),
    ...(e.VIGIL_NOTIFY_CA_FILE ? { ca: readFileSync(e.VIGIL_NOTIFY_CA_FILE, 'utf8') } : {}),
    ...(e.VIGIL_NOTIFY_TIMEOUT_MS ? { sendTimeoutMs: e.VIGIL_NOTIFY_TIMEOUT_MS } : {}),
  };
}

export class NotificationController extends ControllerOperator {
  private dispatcherRef?: Dispatcher;
  private readonly nopts: NotificationControllerOptions;

  constructor(opts: NotificationControllerOptions) {
    super(opts);
    this.nopts = opts;
  }

  get dispatcher(): Dispatcher {
    if (!this.dispatcherRef) throw new Error('NotificationController: start() first');
    return this.dispatcherRef;
  }

  protected async init(): Promise<void> {
    const o = this.nopts;
    this.dispatcherRef = new Dispatcher({
      client: this.client, statusWriter: this.statusWriter, logger: this.log, registry: this.registry,
      signals: this.informer<KubeObject>(REFS.signals),
      rules: this.informer<KubeObject>(REFS.notificationRules),
      namespace: o.namespace,
      ...(o.consoleUrl ? { consoleUrl: o.consoleUrl } : {}),
      ...(o.ca ? { ca: o.ca } : {}),
      ...(o.sendTimeoutMs ? { sendTimeoutMs: o.sendTimeoutMs } : {}),
      ...(o.freshnessMs ? { freshnessMs: o.freshnessMs } : {}),
      ...(o.resyncMs ? { resyncMs: o.resyncMs } : {}),
      ...(o.queue ? { queue: o.queue } : {}),
    });
  }

  /**
   * Starts the informers and waits for their caches, but not forever: without the CRDs
   * (a fresh install where the leader applies them) the caches fill later, and leading
   * with a cache still filling is fine (every arriving object is handled).
   */
  override async start(syncTimeoutMs = 30_000): Promise<void> {
    const synced = super.start();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), syncTimeoutMs); });
    const r = await Promise.race([synced.then(() => 'synced' as const), timeout]);
    clearTimeout(timer);
    if (r === 'timeout') {
      this.log.warn({ afterMs: syncTimeoutMs }, 'notifications: caches not filled yet (CRDs missing?); going on');
      synced.catch((err: Error) => this.log.error({ err: err.message }, 'notifications: informers failed to start'));
    }
  }

  /** Sends while this replica holds the Lease. */
  followLeader(leader: LeaderElector): void {
    leader.on('started', () => this.dispatcher.setLeading(true));
    leader.on('stopped', () => this.dispatcher.setLeading(false));
    if (leader.isLeader) this.dispatcher.setLeading(true);
  }

  setLeading(leading: boolean): void {
    this.dispatcher.setLeading(leading);
  }

  override async shutdown(): Promise<void> {
    this.dispatcherRef?.stop();
    await super.shutdown();
  }
}
