// The sensor's own `Sensor` object (cluster-scoped, named after its node): what it runs
// and how it is doing, for `kubectl get sensors` and for the operator, which aggregates it
// into every rule's NODES column. Written at most every intervalMs (a heartbeat even when
// nothing changed), and soon after a ruleset change, which users wait on.
import { apiStatus, resourcePath, type KubeClient } from '../k8s/client.ts';
import { API_VERSION, GROUP, VERSION, type Condition, type SensorStatus } from '@vigil/operator/api';

export type StatusSnapshot = Omit<SensorStatus, 'conditions' | 'lastHeartbeat'> & {
  /** Condition type → [status, reason, message]; lastTransitionTime is kept here. */
  readonly conditions?: Readonly<Record<string, readonly ['True' | 'False' | 'Unknown', string, string]>>;
};

export interface SensorStatusOptions {
  readonly client: KubeClient;
  readonly node: string;
  readonly intervalMs?: number;
  /** How soon after an urgent change (a new ruleset) the status is written. */
  readonly urgentMs?: number;
  readonly snapshot: () => StatusSnapshot;
  readonly log?: { warn(obj: object, msg: string): void };
}

const PLURAL = 'sensors';

export class SensorStatusReporter {
  private readonly transitions = new Map<string, { status: string; at: string }>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private lastWrite = 0;
  writes = 0;
  failures = 0;

  constructor(private readonly opts: SensorStatusOptions) {}

  start(): void {
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.writing;
  }

  /** Something users wait on changed (the ruleset): write soon, not at the next heartbeat. */
  urgent(): void {
    const wait = Math.max(0, (this.opts.urgentMs ?? 200) - (Date.now() - this.lastWrite));
    this.schedule(Math.min(wait, this.opts.urgentMs ?? 200));
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.writing) {
        this.again = true;
        return;
      }
      this.writing = this.write().finally(() => {
        this.writing = undefined;
        if (this.again) {
          this.again = false;
          this.schedule(0);
        } else this.schedule(this.opts.intervalMs ?? 5_000);
      });
    }, ms);
  }

  private conditions(snap: StatusSnapshot, now: string): Condition[] {
    return Object.entries(snap.conditions ?? {}).map(([type, [status, reason, message]]) => {
      const prev = this.transitions.get(type);
      const at = prev && prev.status === status ? prev.at : now;
      this.transitions.set(type, { status, at });
      return { type, status, reason, message, lastTransitionTime: at };
    });
  }

  private async write(): Promise<void> {
    const now = new Date().toISOString();
    const snap = this.opts.snapshot();
    const { conditions: _c, ...rest } = snap;
    const status: SensorStatus = { ...rest, conditions: this.conditions(snap, now), lastHeartbeat: now };
    const name = this.opts.node;
    const sensors = { group: GROUP, version: VERSION, plural: PLURAL };
    const patchStatus = (): Promise<unknown> =>
      this.opts.client.call('PATCH', resourcePath({ ...sensors, name, sub: 'status' }), { body: { status }, patch: 'merge' });
    try {
      try {
        await patchStatus();
      } catch (err) {
        if (apiStatus(err) !== 404) throw err;
        await this.opts.client.call('POST', resourcePath(sensors), {
          body: { apiVersion: API_VERSION, kind: 'Sensor', metadata: { name, labels: { 'vigil.dev/node': name } }, spec: { node: name } },
        });
        await patchStatus();
      }
      this.writes++;
      this.lastWrite = Date.now();
    } catch (err) {
      this.failures++;
      this.opts.log?.warn({ err: String(err) }, 'Sensor status not written; will retry at the next heartbeat');
    }
  }
}
