// The kernel side as the pipeline sees it: plan the programs for the wanted event types,
// load and attach them through the addon, set the filters, and deliver ring-buffer
// batches. One cleanup path: whatever fails after open closes what was opened.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadAddon, type BatchCallback, type NativeAddon, type NativeSensor } from '../native/addon.ts';
import { CgroupResolver } from '../enrich/container.ts';
import { cgroupHookOf, tracepointOf, type EventName } from './event-types.ts';
import { KernelFilters, planFilters, type FilterSpec } from './filters.ts';
import { planPrograms, type ProgramPlan } from './plan.ts';
import { readKernelStats, type KernelStats } from './stats.ts';

export interface KernelSensorOptions {
  readonly types: readonly EventName[];
  readonly filters?: FilterSpec;
  /** Ring buffer bytes: a power of two, at least a page (default 8 MiB). */
  readonly ringBytes?: number;
  /** Bytes per batch handed to JS (default 1 MiB). */
  readonly batchBytes?: number;
  /**
   * Batched wakeups: the kernel wakes the reader once this many bytes wait, and the
   * reader also drains every flushMs (default: a 32nd of the ring, at most 256 KiB, and
   * 10 ms). 0: wake the reader for every event it has caught up with.
   */
  readonly wakeupBytes?: number;
  readonly flushMs?: number;
  /** Do not report this process's own activity (default true: its /proc reads would loop). */
  readonly ignoreSelf?: boolean;
  /**
   * The cgroup the DNS programs (cgroup_skb) attach to: every socket below it is seen.
   * Default: the cgroup2 root from /proc/self/mountinfo; without one they are skipped.
   */
  readonly cgroupPath?: string;
}

const DEFAULT_RING_BYTES = 8 << 20;

export class KernelSensor {
  readonly filters: KernelFilters;
  /** Epoch ns minus boot ns at open: event timestamps are CLOCK_BOOTTIME. */
  readonly clockOffsetNs: number;
  private closed = false;

  private constructor(
    readonly addon: NativeAddon,
    readonly native: NativeSensor,
    readonly plan: ProgramPlan,
    readonly notes: readonly string[],
    private readonly startOpts: { batchBytes?: number; flushMs?: number },
    /** The cgroup the cgroup_skb programs attach to. */
    readonly cgroupPath: string | undefined,
  ) {
    this.filters = new KernelFilters(native);
    this.clockOffsetNs = addon.clockOffsetNs();
  }

  static open(opts: KernelSensorOptions): KernelSensor {
    const addon = loadAddon();
    const plan = planPrograms(opts.types, () => true);
    let tracefs: string | undefined;
    if (plan.programs.some((p) => tracepointOf(p))) tracefs = addon.ensureTracefs().path;
    const cgroup = plan.programs.some((p) => cgroupHookOf(p)) ? (opts.cgroupPath ?? CgroupResolver.fromSystem()?.mount) : undefined;
    const actual = planPrograms(opts.types, (hook) =>
      hook.startsWith('cgroup_skb/') ? cgroup !== undefined : tracefs !== undefined && existsSync(join(tracefs, 'events', hook)),
    );
    const ringBytes = opts.ringBytes ?? DEFAULT_RING_BYTES;
    const wakeupBytes = opts.wakeupBytes ?? Math.min(ringBytes / 32, 256 << 10);
    const native = new addon.Sensor({ selfTgid: opts.ignoreSelf === false ? 0 : process.pid, ringBytes, wakeupBytes });
    try {
      native.load(actual.programs);
      const filterPlan = planFilters(opts.filters ?? {}, opts.types);
      const sensor = new KernelSensor(addon, native, actual, filterPlan.notes, {
        ...(opts.batchBytes ? { batchBytes: opts.batchBytes } : {}),
        ...(wakeupBytes ? { flushMs: opts.flushMs ?? 10 } : {}),
      }, cgroup);
      // filters before attach: the first event already meets the ruleset's filters
      sensor.filters.apply(filterPlan);
      for (const p of actual.programs) sensor.attach(p);
      return sensor;
    } catch (e) {
      native.close();
      throw e;
    }
  }

  /** Attaches one loaded program (again): a cgroup program to the sensor's cgroup. */
  attach(program: string): void {
    this.native.attach(program, cgroupHookOf(program) ? { cgroup: this.cgroupPath } : undefined);
  }

  /** Replace the filters (a new ruleset); see KernelFilters.apply for the ordering. */
  setFilters(spec: FilterSpec): readonly string[] {
    const plan = planFilters(spec, this.plan.types);
    this.filters.apply(plan);
    return plan.notes;
  }

  start(onBatch: BatchCallback): void {
    this.native.start(onBatch, this.startOpts);
  }

  /** Delivers what the ring buffer holds now, synchronously (tests, shutdown). */
  drain(): number {
    return this.native.drain();
  }

  stats(): KernelStats {
    return readKernelStats(this.native, this.plan.types);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.native.close();
  }
}
