// Decode + enrich throughput on one core, from synthetic batches (no kernel, no root):
// the ceiling of what the pipeline can take from the ring buffer. Printed, not asserted.
import { ProcessCache } from '../process/cache.ts';
import type { ProcSource } from '../process/procfs.ts';
import { UserNames } from '../process/users.ts';
import { frame, openRecord } from '../wire/synthetic.ts';
import { Enricher } from './enrich.ts';
import { Pipeline } from './pipeline.ts';

const PER_BATCH = 4000;
const BATCHES = 250;
const noProc: ProcSource = { pids: () => [], read: () => undefined, ppidOf: () => undefined };
// a realistic mix: 200 processes, paths of ordinary length
const records = Array.from({ length: PER_BATCH }, (_, i) =>
  openRecord({ pid: 1000 + (i % 200), path: `/var/lib/app/data/${i % 50}/file-${i}.json`, ret: 3 }),
);
const batch = frame(records);
const users = new UserNames();
const cache = new ProcessCache({ clockOffsetNs: 0, proc: noProc, users });
let seen = 0;
const pipeline = new Pipeline(new Enricher(cache, users, 0), cache, [(evs) => (seen += evs.length)]);

for (let i = 0; i < 20; i++) pipeline.onBatch(batch, batch.length); // warm up the JIT
const rssBefore = process.memoryUsage().rss;
const t0 = process.hrtime.bigint();
for (let i = 0; i < BATCHES; i++) pipeline.onBatch(batch, batch.length);
const ns = Number(process.hrtime.bigint() - t0);
const events = PER_BATCH * BATCHES;
console.log(`decode+enrich: ${events} events in ${(ns / 1e6).toFixed(0)} ms = ${((events / ns) * 1e9 / 1000).toFixed(0)}k events/s on one core (${(ns / events).toFixed(0)} ns/event)`);
console.log(`rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB (before the timed run ${(rssBefore / 2 ** 20).toFixed(0)} MiB), delivered ${seen}`);
