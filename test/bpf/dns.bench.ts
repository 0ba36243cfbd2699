// DNS monitoring: capacity and cost (root; run by `make bench`). Printed, never asserted.
//   1. queries/s parsed with process attribution: vigil-ops sends UDP queries (a different
//      name each) to 127.0.0.1:53 at paced rates and flat out; the sensor's pipeline (decode,
//      DNS parse, enrich) runs on this event loop. Per rate: sent, parsed and attributed to
//      the sender, lost in the kernel (ring buffer full), malformed, unattributed, and the
//      pipeline's CPU per query.
//   2. what the two cgroup_skb programs cost traffic that is not DNS (UDP to port 5353):
//      attached vs detached, interleaved rounds; the sender's CPU time per send (the egress
//      program runs inside the send), best round and median.
import { hostname } from 'node:os';
import { CgroupResolver } from '../../sensor/src/enrich/container.ts';
import { cgroupHookOf } from '../../sensor/src/kernel/event-types.ts';
import { KernelSensor } from '../../sensor/src/kernel/kernel-sensor.ts';
import { diffStats } from '../../sensor/src/kernel/stats.ts';
import { Enricher } from '../../sensor/src/pipeline/enrich.ts';
import { Pipeline } from '../../sensor/src/pipeline/pipeline.ts';
import { ProcessCache } from '../../sensor/src/process/cache.ts';
import { containerLookup } from '../../sensor/src/process/containers.ts';
import { UserNames } from '../../sensor/src/process/users.ts';
import { runOpsAsync, skipReason, timeOps } from './helpers.ts';

const RATES = [10_000, 50_000, 100_000, 0];
const SECONDS = 2;
const FLAT_OUT = 200_000;
const STORM = 200_000;
const ROUNDS = Number(process.env.VIGIL_BENCH_ROUNDS ?? 5);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const skip = skipReason();
  if (skip) {
    console.log(`skipped: ${skip}`);
    return;
  }
  const cgroup = CgroupResolver.fromSystem()?.mount;
  if (!cgroup) {
    console.log('skipped: no cgroup2 hierarchy to attach the DNS programs to');
    return;
  }
  const kernel = KernelSensor.open({ types: ['exec', 'fork', 'exit', 'dns', 'dns_response'], ringBytes: 8 << 20 });
  const users = new UserNames();
  const cache = new ProcessCache({ clockOffsetNs: kernel.clockOffsetNs, users, containers: containerLookup() });
  cache.seed();
  const enricher = new Enricher(cache, users, kernel.clockOffsetNs, hostname());
  const attributed = new Map<number, number>();
  const pipeline = new Pipeline(enricher, cache, [
    (evs) => {
      for (const e of evs) if (e.type === 'dns') attributed.set(e.process.pid, (attributed.get(e.process.pid) ?? 0) + 1);
    },
  ]);
  kernel.start(pipeline.onBatch);

  const rows: string[] = [];
  try {
    for (const rate of RATES) {
      const n = rate ? rate * SECONDS : FLAT_OUT;
      const before = kernel.stats();
      const dnsBefore = structuredClone(enricher.stats.dns);
      const cpu0 = process.cpuUsage();
      const out = await runOpsAsync(['dnsflood', String(n), String(rate), '53']);
      const ns = Number(/wall=(\d+)/.exec(out)?.[1] ?? 0);
      // let the reader catch up with what the kernel kept
      for (let i = 0, last = -1; i < 100; i++) {
        kernel.drain();
        const seen = enricher.stats.dns.queries;
        if (seen === last) break;
        last = seen;
        await pause(20);
      }
      const cpu = process.cpuUsage(cpu0);
      const k = diffStats(before, kernel.stats());
      const d = enricher.stats.dns;
      const malformed = Object.values(d.malformed).reduce((a, b) => a + b, 0) - Object.values(dnsBefore.malformed).reduce((a, b) => a + b, 0);
      const pid = Number([...attributed.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 0);
      const mine = attributed.get(pid) ?? 0;
      attributed.clear();
      const sentPerSec = n / (ns / 1e9);
      rows.push(
        [
          (rate ? `${rate / 1000}k/s` : 'flat out').padEnd(9),
          String(n).padStart(8),
          `${Math.round(sentPerSec / 1000)}k/s`.padStart(9),
          String(mine).padStart(9),
          `${((100 * mine) / n).toFixed(1)}%`.padStart(7),
          String(k.types.dns?.lost ?? 0).padStart(8),
          String(malformed).padStart(6),
          String(d.unattributed - dnsBefore.unattributed).padStart(7),
          `${((cpu.user + cpu.system) / Math.max(1, d.queries - dnsBefore.queries)).toFixed(2)}µs`.padStart(9),
        ].join(' '),
      );
    }
  } finally {
    // part 2 reuses the programs; counters above are final
  }
  console.log(`DNS queries parsed with process attribution (UDP to 127.0.0.1:53, ${SECONDS} s per paced rate, ${FLAT_OUT} flat out)`);
  console.log(`${'rate'.padEnd(9)} ${'sent'.padStart(8)} ${'sent/s'.padStart(9)} ${'parsed'.padStart(9)} ${'share'.padStart(7)} ${'lost'.padStart(8)} ${'malf'.padStart(6)} ${'unattr'.padStart(7)} ${'cpu/query'.padStart(9)}`);
  for (const r of rows) console.log(r);
  console.log('  parsed: dns events attributed to the sender (name parsed in user space); lost: ring buffer full (counted per type);');
  console.log('  cpu/query: the sensor process (decode, parse, enrich, this loop) per parsed query');

  // part 2: unrelated UDP traffic with the programs attached and detached
  const programs = kernel.plan.programs.filter((p) => cgroupHookOf(p));
  const times: Record<'detached' | 'attached', number[]> = { detached: [], attached: [] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of round % 2 ? (['attached', 'detached'] as const) : (['detached', 'attached'] as const)) {
        for (const p of programs) {
          if (mode === 'attached') kernel.attach(p);
          else kernel.native.detach(p);
        }
        times[mode].push((await timeOps(['dnsflood', String(STORM), '0', '5353'])) / STORM);
      }
    }
  } finally {
    kernel.close();
  }
  const off = Math.min(...times.detached);
  const on = Math.min(...times.attached);
  console.log(`\nunrelated UDP traffic (to port 5353), best (median) of ${ROUNDS} interleaved rounds of ${STORM} sends, sender CPU time`);
  console.log(
    `  detached ${off.toFixed(0)} ns/send (${median(times.detached).toFixed(0)}), attached ${on.toFixed(0)} ns/send (${median(times.attached).toFixed(0)}): ${(on / off).toFixed(3)}x`,
  );
}

await main();
