// The pipeline against a real storm (root; run by `make bench`). Printed, never asserted.
//   - throughput: events/s the pipeline decodes and enriches on this core while vigil-ops
//     opens and closes a file as fast as it can on the other, and the kernel drops at
//     that rate;
//   - a paced storm at the target rate (200k events/s), to see whether it runs drop-free;
//   - RSS of this process after one million events (a harness running TypeScript through
//     tsx: the shipped sensor's memory is sensor-rss.bench.ts's figure).
import { diffStats } from '../../sensor/src/kernel/stats.ts';
import { benchFile, openTestSensor, runOpsAsync, type TestSensor } from './helpers.ts';

const MIB = 2 ** 20;

/** Runs opens until `events` have gone through the pipeline; returns the figures. */
async function measure(s: TestSensor, file: string, events: number, pace: boolean) {
  const before = s.kernel.stats();
  const enrichedBefore = s.pipeline.stats().enrich.out;
  const t0 = process.hrtime.bigint();
  await runOpsAsync(pace ? ['openrate', file, String(events), '200000'] : ['openclose', file, String(events)]);
  await new Promise((r) => setImmediate(r));
  s.drain();
  const ns = Number(process.hrtime.bigint() - t0);
  const d = diffStats(before, s.kernel.stats());
  const enriched = s.pipeline.stats().enrich.out - enrichedBefore;
  return { seconds: ns / 1e9, enriched, rate: enriched / (ns / 1e9), sent: d.types.open?.sent ?? 0, lost: d.drops.ringbuf_full };
}

async function main(): Promise<void> {
  const bench = benchFile('storm');
  if (!bench) return;
  const { file } = bench;
  const rss0 = process.memoryUsage().rss;
  // no events kept: only the pipeline's work counts
  const s = openTestSensor({ types: ['exec', 'fork', 'exit', 'open'], keepRecords: false, keepEvents: false });
  try {
    const rssLoaded = process.memoryUsage().rss;
    const flat = await measure(s, file, 500_000, false);
    console.log(
      `unpaced storm: ${flat.enriched} events decoded+enriched in ${flat.seconds.toFixed(2)} s = ${(flat.rate / 1000).toFixed(0)}k events/s; ` +
        `kernel sent ${flat.sent}, lost ${flat.lost} (${((flat.lost / (flat.sent + flat.lost)) * 100).toFixed(1)}%)`,
    );
    const paced = await measure(s, file, 500_000, true);
    console.log(
      `paced storm (target 200k/s): ${(paced.rate / 1000).toFixed(0)}k events/s through the pipeline, kernel sent ${paced.sent}, lost ${paced.lost}`,
    );
    let total = flat.enriched + paced.enriched;
    while (total < 1_000_000) total += (await measure(s, file, 200_000, false)).enriched;
    const m = process.memoryUsage();
    console.log(
      `after ${total} events: this harness's rss ${(m.rss / MIB).toFixed(0)} MiB (heap ${(m.heapUsed / MIB).toFixed(0)} MiB; ` +
        `runtime and tsx before the sensor ${(rss0 / MIB).toFixed(0)} MiB, after loading it ${(rssLoaded / MIB).toFixed(0)} MiB; the shipped sensor: sensor-rss.bench.ts); ` +
        `process cache ${s.cache.size} entries`,
    );
  } finally {
    s.close();
    bench.dispose();
  }
}

await main();
