// What the kernel-activity family costs syscalls it does not watch (root; run by `make
// bench`). Printed, never asserted; target 1.03x or less. A storm of getppid (cheap, and
// watched by no program) timed in four modes, interleaved round by round. The loop's own
// CPU time is measured (time preempted by other load does not count), and the best round of
// each mode is the figure (slow rounds measure the neighbours); the median is printed too:
//   none            no program attached
//   kernel only     every kernel-activity program this kernel has (ptrace, bpf, mount, ...)
//   base            the process family and the open programs: what every ruleset attaches
//   base + kernel   both: the kernel family's share on a sensor that runs anyway
// Syscall tracepoints are per syscall, but enabling the first one sends every syscall
// through the tracing slow path; after that, each extra syscall costs only a bitmap test
// on the others. The kernel family's figure is the last row against the third.
import { EVENT_TYPES, typesOfFamilies, type EventName } from '../../sensor/src/kernel/event-types.ts';
import { diffStats } from '../../sensor/src/kernel/stats.ts';
import { openTestSensor, skipReason, timeOps } from './helpers.ts';

const ROUNDS = Number(process.env.VIGIL_BENCH_ROUNDS ?? 15);
const CALLS = 500_000;
const MODES = ['none', 'kernel only', 'base', 'base + kernel'] as const;
type Mode = (typeof MODES)[number];

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const best = (xs: number[]): number => Math.min(...xs);

async function main(): Promise<void> {
  const skip = skipReason();
  if (skip) {
    console.log(`skipped: ${skip}`);
    return;
  }
  const kernelTypes = typesOfFamilies(['kernel']);
  const baseTypes: EventName[] = ['exec', 'fork', 'exit', 'open'];
  const s = openTestSensor({ types: [...baseTypes, ...kernelTypes], keepRecords: false, keepEvents: false });
  const loaded = new Set(s.kernel.plan.programs);
  const programsOf = (types: readonly EventName[]): string[] => [...new Set(types.flatMap((t) => EVENT_TYPES[t].programs))].filter((p) => loaded.has(p));
  const kernelPrograms = programsOf(kernelTypes);
  const basePrograms = programsOf(baseTypes);
  const want: Record<Mode, Set<string>> = {
    none: new Set(),
    'kernel only': new Set(kernelPrograms),
    base: new Set(basePrograms),
    'base + kernel': new Set([...basePrograms, ...kernelPrograms]),
  };
  const times = Object.fromEntries(MODES.map((m) => [m, [] as number[]])) as Record<Mode, number[]>;
  let sent = 0;
  try {
    const before = s.kernel.stats();
    for (let round = 0; round < ROUNDS; round++) {
      const order = MODES.map((_, i) => MODES[(i + round) % MODES.length] as Mode);
      for (const m of order) {
        for (const p of loaded) {
          if (want[m].has(p)) s.kernel.attach(p);
          else s.kernel.native.detach(p);
        }
        times[m].push((await timeOps(['getppid', String(CALLS)])) / CALLS);
        s.drain();
      }
    }
    const d = diffStats(before, s.kernel.stats());
    for (const t of kernelTypes) sent += d.types[t]?.sent ?? 0;
  } finally {
    s.close();
  }
  const none = best(times.none);
  const base = best(times.base);
  console.log(`kernel-activity family on a storm of ${CALLS} getppid per run, best (and median) of ${ROUNDS} interleaved rounds`);
  console.log(`  ${kernelPrograms.length} kernel programs (${s.kernel.plan.skipped.length} left out: tracepoint missing); base: ${basePrograms.length} programs`);
  for (const m of MODES) {
    const t = best(times[m]);
    console.log(
      `  ${m.padEnd(14)} ${t.toFixed(1).padStart(7)} ns/call (median ${median(times[m]).toFixed(1).padStart(6)})   vs none ${(t / none).toFixed(3)}x   vs base ${(t / base).toFixed(3)}x`,
    );
  }
  console.log(`  kernel family's overhead on a running sensor: ${(best(times['base + kernel']) / base).toFixed(3)}x (target <= 1.03x); events it sent meanwhile: ${sent}`);
}

await main();
