// Leader election on a coordination.k8s.io Lease, the way client-go does it: a candidate
// takes the lease when it is free or when its record has not changed for a whole lease
// duration (measured on the local clock from when we observed it, so clock skew between
// hosts does not matter); the leader renews every retry period and steps down when it
// could not renew within the renew deadline. A leader that stops cleanly releases the lease
// so a standby takes over at once.
import { EventEmitter } from 'node:events';
import { KubeApiError } from './errors.ts';
import { CORE, type KubeClient, type KubeObject } from './kube.ts';
import { sleep } from './backoff.ts';

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

type Lease = KubeObject & { spec?: LeaseSpec };

export interface LeaderElectorOptions {
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
}

const microTime = (d: Date): string => d.toISOString().replace('Z', '000Z');

export class LeaderElector extends EventEmitter<{ started: []; stopped: []; changed: [holder: string]; error: [err: Error] }> {
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  private leading = false;
  private observed?: { spec: LeaseSpec; resourceVersion: string; at: number };
  private abort = new AbortController();
  private loopDone?: Promise<void>;

  constructor(private readonly client: KubeClient, readonly opts: LeaderElectorOptions) {
    super();
    this.leaseDurationMs = opts.leaseDurationMs ?? 10_000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 6_000;
    this.retryPeriodMs = opts.retryPeriodMs ?? 2_000;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  get holder(): string | undefined {
    return this.observed?.spec.holderIdentity;
  }

  start(): void {
    this.abort = new AbortController();
    this.loopDone = this.loop(this.abort.signal);
  }

  /** Stops campaigning; a leader releases the lease first. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loopDone;
    if (this.leading) {
      this.setLeading(false);
      await this.release().catch((err: Error) => this.emit('error', err));
    }
  }

  private setLeading(v: boolean): void {
    if (v === this.leading) return;
    this.leading = v;
    this.emit(v ? 'started' : 'stopped');
  }

  private async loop(signal: AbortSignal): Promise<void> {
    let lastRenew = 0;
    while (!signal.aborted) {
      let ok = false;
      try {
        ok = await this.tryAcquireOrRenew();
      } catch (err) {
        this.emit('error', err as Error);
      }
      const now = Date.now();
      if (ok) {
        lastRenew = now;
        this.setLeading(true);
      } else if (this.leading && now - lastRenew > this.renewDeadlineMs) {
        // Could not renew in time: someone else may take over any moment, so stop writing.
        this.setLeading(false);
      }
      await sleep(this.retryPeriodMs, signal);
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity } = this.opts;
    const now = new Date();
    const lease = await this.client.find<Lease>(CORE.leases, name, namespace);
    const durationSeconds = Math.ceil(this.leaseDurationMs / 1000);
    if (!lease) {
      try {
        const created = await this.client.create<Lease>(CORE.leases, {
          apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace },
          spec: { holderIdentity: identity, leaseDurationSeconds: durationSeconds, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 },
        }, namespace);
        this.observe(created);
        return true;
      } catch (err) {
        if (err instanceof KubeApiError && err.code === 'conflict') return false; // another candidate created it
        throw err;
      }
    }
    this.observe(lease);
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const expired = Date.now() - (this.observed?.at ?? 0) > (spec.leaseDurationSeconds ?? durationSeconds) * 1000;
    if (holder && holder !== identity && !expired) return false;
    const taking = holder !== identity;
    const next: Lease = {
      ...lease,
      spec: {
        ...spec,
        holderIdentity: identity,
        leaseDurationSeconds: durationSeconds,
        renewTime: microTime(now),
        ...(taking ? { acquireTime: microTime(now), leaseTransitions: (spec.leaseTransitions ?? 0) + 1 } : {}),
      },
    };
    try {
      this.observe(await this.client.replace<Lease>(CORE.leases, next));
      return true;
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 'conflict') return false; // lost a race: look again next period
      throw err;
    }
  }

  private observe(lease: Lease): void {
    const rv = lease.metadata?.resourceVersion ?? '';
    const spec = lease.spec ?? {};
    if (!this.observed || this.observed.resourceVersion !== rv) {
      const before = this.observed?.spec.holderIdentity;
      this.observed = { spec, resourceVersion: rv, at: Date.now() };
      if (spec.holderIdentity && spec.holderIdentity !== before) this.emit('changed', spec.holderIdentity);
    }
  }

  private async release(): Promise<void> {
    const lease = await this.client.find<Lease>(CORE.leases, this.opts.name, this.opts.namespace);
    if (!lease || lease.spec?.holderIdentity !== this.opts.identity) return;
    await this.client.replace<Lease>(CORE.leases, {
      ...lease,
      spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(new Date()) },
    });
  }
}
