// The only module that loads the compiled addon (sensor/native, built by `make addon`).
// It types what the C++ side exposes and turns its errors into BpfError. Everything else
// in the sensor uses this facade, never the .node file.
//
// Lifetimes: a NativeSensor owns the BPF object, its maps, links and ring buffer; close()
// frees all of them (GC does too, but the kernel side should not wait for a GC). The
// batch Buffer handed to onBatch is reused: it is valid only during the call.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface ProgramDesc {
  readonly name: string;
  readonly section: string;
  readonly autoload: boolean;
}

export interface ProgramInfo {
  readonly id: number;
  readonly attached: boolean;
  /** Cumulative run time; counted only while kernel.bpf_stats_enabled=1. */
  readonly runTimeNs: number;
  readonly runCount: number;
  readonly verifiedInsns: number;
  readonly xlatedBytes: number;
}

export interface MapInfo {
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly perCpu: boolean;
  /** Bytes of a value buffer for lookups/updates: per-CPU maps hold one 8-aligned slot per CPU. */
  readonly valueBytes: number;
}

export type BatchCallback = (buf: Buffer, bytes: number, count: number) => void;

export interface NativeSensor {
  programs(): ProgramDesc[];
  load(names: readonly string[]): void;
  /** cgroup: the cgroup directory a cgroup program (cgroup_skb) applies to, with its descendants. */
  attach(name: string, opts?: { readonly cgroup?: string }): void;
  detach(name: string): void;
  programInfo(name: string): ProgramInfo | null;
  mapInfo(name: string): MapInfo;
  mapUpdate(name: string, key: Buffer, value: Buffer, flags?: number): void;
  mapLookup(name: string, key: Buffer): Buffer | null;
  mapDelete(name: string, key: Buffer): boolean;
  mapKeys(name: string): Buffer[];
  /** flushMs: also drain on a timer (needed with wakeupBytes: records below it wait for it). */
  start(onBatch: BatchCallback, opts?: { batchBytes?: number; flushMs?: number }): void;
  drain(): number;
  stop(): void;
  close(): void;
}

export interface SensorOptions {
  /** This process: the kernel reports nothing it does. */
  readonly selfTgid?: number;
  readonly ringBytes?: number;
  /** Wake the reader once this many bytes wait (0: whenever it has caught up). */
  readonly wakeupBytes?: number;
}

export interface StructLayoutReport {
  readonly size: number;
  readonly fields: Readonly<Record<string, number>>;
}

export interface NativeAddon {
  readonly wireVersion: number;
  readonly Sensor: new (opts?: SensorOptions) => NativeSensor;
  layout(): Record<string, StructLayoutReport>;
  clockOffsetNs(): number;
  ensureTracefs(): { path: string; mounted: boolean };
  takeLog(): string;
  numPossibleCpus(): number;
}

export const ADDON_PATH = fileURLToPath(new URL('../../native/build/Release/vigil_sensor.node', import.meta.url));

/** A kernel or libbpf failure, as the addon reports it. */
export class BpfError extends Error {
  constructor(
    message: string,
    /** errno name ("EPERM", "EACCES", ...) or "LIBBPF_<n>". */
    readonly code: string,
    readonly errno: number,
    /** What was being done: "load", "attach x_openat", "update filters", ... */
    readonly op: string,
    /** libbpf's messages during the operation: the verifier log for a failed load. */
    readonly log: string,
  ) {
    super(message);
    this.name = 'BpfError';
  }

  /** The same failure will happen again (a verifier rejection, a missing tracepoint). */
  get permanent(): boolean {
    return !['EAGAIN', 'EINTR', 'ENOMEM', 'EBUSY'].includes(this.code);
  }
}

export class AddonNotBuiltError extends Error {
  readonly code = 'ADDON_NOT_BUILT';
  constructor(readonly path: string) {
    super(`the sensor addon is not built (${path}); run make build`);
    this.name = 'AddonNotBuiltError';
  }
}

function isNativeError(e: unknown): e is Error & { code: string; errno: number; op: string; log: string } {
  return e instanceof Error && typeof (e as { errno?: unknown }).errno === 'number' && typeof (e as { op?: unknown }).op === 'string';
}

/** Rethrows addon errors as BpfError; everything else unchanged. */
export function toBpfError(e: unknown): unknown {
  if (isNativeError(e)) return new BpfError(e.message, e.code, e.errno, e.op, e.log);
  return e;
}

function wrapSensor(raw: NativeSensor): NativeSensor {
  const guarded = <A extends unknown[], R>(fn: (...a: A) => R) => (...a: A): R => {
    try {
      return fn(...a);
    } catch (e) {
      throw toBpfError(e);
    }
  };
  return {
    programs: guarded(() => raw.programs()),
    load: guarded((names) => raw.load(names)),
    attach: guarded((name, opts) => raw.attach(name, opts)),
    detach: guarded((name) => raw.detach(name)),
    programInfo: guarded((name) => raw.programInfo(name)),
    mapInfo: guarded((name) => raw.mapInfo(name)),
    mapUpdate: guarded((name, key, value, flags) => raw.mapUpdate(name, key, value, flags)),
    mapLookup: guarded((name, key) => raw.mapLookup(name, key)),
    mapDelete: guarded((name, key) => raw.mapDelete(name, key)),
    mapKeys: guarded((name) => raw.mapKeys(name)),
    start: guarded((onBatch, opts) => raw.start(onBatch, opts)),
    drain: guarded(() => raw.drain()),
    stop: guarded(() => raw.stop()),
    close: guarded(() => raw.close()),
  };
}

let cached: NativeAddon | undefined;

export function addonBuilt(): boolean {
  return existsSync(ADDON_PATH);
}

/** The addon, loaded once. Throws AddonNotBuiltError when it has not been compiled. */
export function loadAddon(): NativeAddon {
  if (cached) return cached;
  if (!addonBuilt()) throw new AddonNotBuiltError(ADDON_PATH);
  const raw = createRequire(import.meta.url)(ADDON_PATH) as NativeAddon;
  const RawSensor = raw.Sensor;
  const Sensor = function (opts?: SensorOptions): NativeSensor {
    try {
      return wrapSensor(new RawSensor(opts));
    } catch (e) {
      throw toBpfError(e);
    }
  } as unknown as NativeAddon['Sensor'];
  cached = {
    wireVersion: raw.wireVersion,
    Sensor,
    layout: () => raw.layout(),
    clockOffsetNs: () => raw.clockOffsetNs(),
    ensureTracefs: () => {
      try {
        return raw.ensureTracefs();
      } catch (e) {
        throw toBpfError(e);
      }
    },
    takeLog: () => raw.takeLog(),
    numPossibleCpus: () => raw.numPossibleCpus(),
  };
  return cached;
}
