// `vigil-sensor events [--family process,file,dns,network,kernel] [--type open,exec] [--env] [--count N]`:
// raw activity of this host as JSON lines on stdout, with process and container context.
// Root; no Kubernetes needed. Logs and the final counters go to stderr.
import { hostname } from 'node:os';
import type { Writable } from 'node:stream';
import { z } from 'zod';
import { EVENT_NAMES, FAMILIES, typesOfFamilies, type EventName } from '../kernel/event-types.ts';
import { KernelSensor } from '../kernel/kernel-sensor.ts';
import type { Logger } from '../log.ts';
import { Enricher } from '../pipeline/enrich.ts';
import type { SensorEvent } from '../pipeline/events.ts';
import { Pipeline } from '../pipeline/pipeline.ts';
import { ProcessCache } from '../process/cache.ts';
import { containerLookup } from '../process/containers.ts';
import { UserNames } from '../process/users.ts';
import { formatEvent } from './format.ts';

const csv = <T extends string>(values: readonly [T, ...T[]]) =>
  z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(z.enum(values)));

export const EventsArgsSchema = z.object({
  family: csv(FAMILIES).optional(),
  type: csv(EVENT_NAMES as [EventName, ...EventName[]]).optional(),
  env: z.boolean().default(false),
  count: z.coerce.number().int().positive().optional(),
  ringBytes: z.coerce.number().int().positive().optional(),
});
export type EventsArgs = z.infer<typeof EventsArgsSchema>;

/** Output beyond this many buffered bytes is dropped (and counted), not queued in memory. */
const MAX_PENDING_OUTPUT = 16 << 20;

export function eventTypesOf(args: EventsArgs): EventName[] {
  const fromFamilies = typesOfFamilies(args.family ?? FAMILIES);
  return args.type ? fromFamilies.filter((t) => args.type?.includes(t)) : fromFamilies;
}

export interface EventsIO {
  readonly stdout: Writable;
  readonly log: Logger;
  readonly signal: AbortSignal;
}

export async function runEvents(args: EventsArgs, io: EventsIO): Promise<number> {
  const types = eventTypesOf(args);
  // process events always flow: the cache needs them; they are printed only when asked for
  const kernelTypes = [...new Set<EventName>([...types, 'exec', 'fork', 'exit'])];
  const sensor = KernelSensor.open({ types: kernelTypes, ...(args.ringBytes ? { ringBytes: args.ringBytes } : {}) });
  for (const s of sensor.plan.skipped) io.log.info({ program: s.program, hook: s.tracepoint }, 'hook missing on this kernel: skipped');
  const users = new UserNames();
  const cache = new ProcessCache({ clockOffsetNs: sensor.clockOffsetNs, users, containers: containerLookup() });
  const seeded = cache.seed();
  const show = new Set<string>(types.map((t) => (t === 'truncate' ? 'open' : t)));
  let printed = 0;
  let outputDropped = 0;
  const done = new AbortController();
  const stop = (): void => done.abort();
  io.signal.addEventListener('abort', stop, { once: true });
  io.stdout.on('error', stop); // EPIPE: the reader went away

  const print = (events: readonly SensorEvent[]): void => {
    let text = '';
    for (const ev of events) {
      if (!show.has(ev.type)) continue;
      if (args.count !== undefined && printed >= args.count) break;
      text += JSON.stringify(formatEvent(ev, { env: args.env })) + '\n';
      printed++;
    }
    if (!text) return;
    if (io.stdout.writableLength > MAX_PENDING_OUTPUT) outputDropped++;
    else io.stdout.write(text);
    if (args.count !== undefined && printed >= args.count) stop();
  };
  const pipeline = new Pipeline(new Enricher(cache, users, sensor.clockOffsetNs, hostname()), cache, [print]);
  sensor.start(pipeline.onBatch);
  io.log.info({ types, programs: sensor.plan.programs.length, seeded }, 'sensor started');

  await new Promise<void>((resolve) => {
    if (done.signal.aborted) resolve();
    else done.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  // the abort may come from inside a batch callback: leave it before draining
  await new Promise((resolve) => setImmediate(resolve));
  if (!io.stdout.destroyed) sensor.drain();
  const kernel = sensor.stats();
  sensor.close();
  io.log.info({ printed, outputDropped, pipeline: pipeline.stats(), cache: cache.stats, kernel }, 'sensor stopped');
  if (pipeline.lastConsumerError) io.log.warn({ err: pipeline.lastConsumerError }, 'a consumer failed');
  return 0;
}
