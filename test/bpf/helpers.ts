// Shared by the kernel tests and benchmarks: why to skip, the vigil-ops syscall driver
// (compiled on demand), and a sensor with its pipeline collecting every event.
import { execFileSync, spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EventName } from '../../sensor/src/kernel/event-types.ts';
import type { FilterSpec } from '../../sensor/src/kernel/filters.ts';
import { KernelSensor } from '../../sensor/src/kernel/kernel-sensor.ts';
import { addonBuilt, ADDON_PATH } from '../../sensor/src/native/addon.ts';
import { Enricher } from '../../sensor/src/pipeline/enrich.ts';
import type { SensorEvent } from '../../sensor/src/pipeline/events.ts';
import { Pipeline } from '../../sensor/src/pipeline/pipeline.ts';
import { ProcessCache } from '../../sensor/src/process/cache.ts';
import { containerLookup } from '../../sensor/src/process/containers.ts';
import { UserNames } from '../../sensor/src/process/users.ts';
import type { DecodedEvent } from '../../sensor/src/wire/decode.ts';

const here = dirname(fileURLToPath(import.meta.url));

/** Why kernel tests cannot run here, or undefined when they can. */
export function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'kernel tests need root (they load BPF programs)';
  if (!addonBuilt()) return `the sensor addon is not built (${ADDON_PATH}): run make build`;
  return undefined;
}

/**
 * For a benchmark: a file to hammer, in an application's data directory (outside the
 * path prefixes Datadog's default policy approves, /tmp/ being one), or undefined after
 * printing why benchmarks cannot run here.
 */
export function benchFile(name: string): { file: string; dispose(): void } | undefined {
  const skip = skipReason();
  if (skip) {
    console.log(`skipped: ${skip}`);
    return undefined;
  }
  const dir = '/var/cache/vigil-bench';
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, 'x');
  return { file, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A C test fixture compiled to `out` when missing or older than its source. Test files run
 * in parallel: each compiles to its own temporary file and renames it into place, so no
 * process ever executes a half-written binary.
 */
export function compiledFixture(src: string, out: string): string {
  if (!existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs) {
    mkdirSync(dirname(out), { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    execFileSync('cc', ['-O2', '-Wall', '-o', tmp, src]);
    renameSync(tmp, out);
  }
  return out;
}

/** The vigil-ops helper, compiled into test/bpf/build. */
export function opsBinary(): string {
  return compiledFixture(join(here, 'fixtures', 'vigil-ops.c'), join(here, 'build', 'vigil-ops'));
}

export interface OpsResult {
  readonly pid: number;
  readonly status: number | null;
  /** One entry per step: { op, ret, errno }. */
  readonly steps: ReadonlyArray<{ op: string; ret: number; errno: string }>;
}

/** Runs vigil-ops with ops like ['chdir', '/tmp', ':', 'open', 'x', 'rdonly', '0']. */
export function runOps(ops: string[], opts: SpawnSyncOptions = {}): OpsResult {
  const r = spawnSync(opsBinary(), ops, { encoding: 'utf8', ...opts });
  if (r.error) throw r.error;
  const steps = String(r.stdout)
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const m = /^(\S+) ret=(-?\d+) errno=(\S+)$/.exec(line);
      return m ? { op: m[1] as string, ret: Number(m[2]), errno: m[3] as string } : { op: line, ret: NaN, errno: '' };
    });
  return { pid: r.pid ?? 0, status: r.status, steps };
}

/**
 * Runs vigil-ops without blocking this thread (the sensor's consumer keeps running on the
 * event loop meanwhile); resolves with what it printed.
 */
export function runOpsAsync(ops: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(opsBinary(), ops, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', () => resolve(out));
  });
}

/** The "ns=<elapsed>" a vigil-ops benchmark loop printed. */
export async function timeOps(ops: string[]): Promise<number> {
  const out = await runOpsAsync(ops);
  const m = /ns=(\d+)/.exec(out);
  if (!m) throw new Error(`vigil-ops printed ${out}`);
  return Number(m[1]);
}

export interface TestSensor {
  readonly kernel: KernelSensor;
  readonly cache: ProcessCache;
  readonly pipeline: Pipeline;
  /** Every enriched event, in arrival order. */
  readonly events: SensorEvent[];
  /** Every decoded record (before enrichment), for wire-level assertions. */
  readonly records: DecodedEvent[];
  /** Delivers what the kernel has produced so far. */
  drain(): void;
  /** Events of one process. */
  of(pid: number): SensorEvent[];
  clear(): void;
  close(): void;
}

export interface TestSensorOptions {
  readonly types: readonly EventName[];
  readonly filters?: FilterSpec;
  readonly ringBytes?: number;
  /** Keep decoded records too (default true). */
  readonly keepRecords?: boolean;
  /** Keep the enriched events (default true; benchmarks only count them). */
  readonly keepEvents?: boolean;
}

export function openTestSensor(opts: TestSensorOptions): TestSensor {
  const kernel = KernelSensor.open({
    types: opts.types,
    ...(opts.filters ? { filters: opts.filters } : {}),
    ...(opts.ringBytes ? { ringBytes: opts.ringBytes } : {}),
  });
  const users = new UserNames();
  const cache = new ProcessCache({ clockOffsetNs: kernel.clockOffsetNs, users, containers: containerLookup() });
  cache.seed();
  const events: SensorEvent[] = [];
  const records: DecodedEvent[] = [];
  const keep = opts.keepRecords !== false;
  const pipeline = new Pipeline(
    new Enricher(cache, users, kernel.clockOffsetNs),
    cache,
    opts.keepEvents === false ? [] : [(evs) => events.push(...evs)],
    keep ? (recs) => records.push(...recs) : undefined,
  );
  kernel.start(pipeline.onBatch);
  return {
    kernel,
    cache,
    pipeline,
    events,
    records,
    drain: () => {
      kernel.drain();
    },
    of: (pid) => events.filter((e) => e.process.pid === pid),
    clear: () => {
      events.length = 0;
      records.length = 0;
    },
    close: () => kernel.close(),
  };
}
