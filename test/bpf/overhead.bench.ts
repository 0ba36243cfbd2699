// What the sensor costs the workloads it watches (root; run by `make bench`). Printed, never
// asserted. Two loops in vigil-ops (open+close of a file; fork+exec of /bin/true), each
// timed in four modes measured side by side, interleaved round by round:
//   none       no program attached
//   floor      every program attached, every type set to DROP: the cost of the hooks
//   realistic  the filters of Datadog's default policy (the shared corpus), compiled by
//              the rule engine: approvers on open/rename/link/chown/utimes
//   names      the same filters without their path prefixes (basenames, flags,
//              executables only): what the prefix approvers cost
//   all-pass   every event of every type sent, decoded and enriched
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileRuleset, loadPolicyFile } from '@vigil/operator/secl';
import { cgroupHookOf, EVENT_NAMES, type EventName } from '../../sensor/src/kernel/event-types.ts';
import { CgroupResolver } from '../../sensor/src/enrich/container.ts';
import { fromSeclPlan, type FilterSpec } from '../../sensor/src/kernel/filters.ts';
import { diffStats } from '../../sensor/src/kernel/stats.ts';
import { benchFile, openTestSensor, timeOps } from './helpers.ts';

const ROUNDS = Number(process.env.VIGIL_BENCH_ROUNDS ?? 9); // this host's rounds vary by ±0.1: fewer and the median wanders
const OPENS = 200_000;
const FORKS = 1000; // ~0.6 s a measurement: fewer and the figure is noise
const MODES = ['none', 'floor', 'realistic', 'names', 'all-pass'] as const;
type Mode = (typeof MODES)[number];

const repo = resolve(fileURLToPath(import.meta.url), '../../..');
const POLICY = resolve(repo, '../shared/corpus/datadog-default.policy');

function realisticSpec(): { spec: FilterSpec; source: string } {
  if (!existsSync(POLICY)) {
    // without the corpus: a small FIM ruleset of the same shape
    return {
      source: 'built-in (corpus not found)',
      spec: {
        open: { mode: 'approve', basenames: ['shadow', 'gshadow', 'sudoers', 'authorized_keys', 'ld.so.preload', 'crontab'], prefixes: ['/etc/sudoers.d/', '/etc/cron.d/', '/root/.ssh/'], flagsMask: 0o100 },
      },
    };
  }
  const { types, spec } = fromSeclPlan(compileRuleset(loadPolicyFile(POLICY)).filterPlan());
  for (const t of EVENT_NAMES) if (!types.includes(t)) spec[t] = { mode: 'drop' };
  return { spec, source: POLICY };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

async function main(): Promise<void> {
  const bench = benchFile('openclose');
  if (!bench) return;
  const { file } = bench;
  const types: EventName[] = [...EVENT_NAMES];
  const s = openTestSensor({ types, keepRecords: false, keepEvents: false });
  // the DNS programs (cgroup_skb) go on the cgroup2 root, as the sensor attaches them; without one they stay out
  const cgroup = CgroupResolver.fromSystem()?.mount;
  const programs = s.kernel.plan.programs.filter((p) => !cgroupHookOf(p) || cgroup !== undefined);
  const realistic = realisticSpec();
  const names: FilterSpec = Object.fromEntries(
    Object.entries(realistic.spec).map(([t, f]) => [t, f.mode === 'approve' ? { ...f, prefixes: [] } : f]),
  );
  const floor: FilterSpec = Object.fromEntries(types.map((t) => [t, { mode: 'drop' }]));
  const setMode = (m: Mode): void => {
    if (m === 'none') {
      for (const p of programs) s.kernel.native.detach(p);
      return;
    }
    for (const p of programs) s.kernel.native.attach(p, cgroupHookOf(p) ? { cgroup } : undefined);
    s.kernel.setFilters(m === 'floor' ? floor : m === 'realistic' ? realistic.spec : m === 'names' ? names : {});
  };
  const perMode = <T>(make: () => T): Record<Mode, T> => Object.fromEntries(MODES.map((m) => [m, make()])) as Record<Mode, T>;
  const results = { openclose: perMode<number[]>(() => []), forkexec: perMode<number[]>(() => []) };
  // the programs' own run time (kernel.bpf_stats_enabled): steady where wall time is noisy
  const bpfNs = { openclose: perMode<number[]>(() => []), forkexec: perMode<number[]>(() => []) };
  const programNs = (): number => programs.reduce((n, p) => n + (s.kernel.native.programInfo(p)?.runTimeNs ?? 0), 0);
  const statsKnob = '/proc/sys/kernel/bpf_stats_enabled';
  const statsBefore = readFileSync(statsKnob, 'utf8');
  const kernel = perMode(() => ({ sent: 0, filtered: 0, lost: 0 }));
  try {
    // ROUNDS timed rounds, then one with the kernel's run-time accounting on (it costs
    // time itself, so it only yields the programs' share, not a wall time)
    for (let round = 0; round <= ROUNDS; round++) {
      const accounting = round === ROUNDS;
      if (accounting) writeFileSync(statsKnob, '1');
      // rotate the order so that no mode always runs first (cache warmth, frequency)
      const order = MODES.map((_, i) => MODES[(i + round) % MODES.length] as Mode);
      for (const m of order) {
        setMode(m);
        const before = s.kernel.stats();
        let t = programNs();
        const oc = (await timeOps(['openclose', file, String(OPENS)])) / OPENS;
        if (accounting) bpfNs.openclose[m].push((programNs() - t) / OPENS);
        else results.openclose[m].push(oc);
        t = programNs();
        const fe = (await timeOps(['forkexec', String(FORKS), '/bin/true'])) / FORKS;
        if (accounting) bpfNs.forkexec[m].push((programNs() - t) / FORKS);
        else results.forkexec[m].push(fe);
        s.drain();
        const d = diffStats(before, s.kernel.stats());
        for (const t of Object.values(d.types)) {
          kernel[m].sent += t.sent;
          kernel[m].filtered += t.filtered;
          kernel[m].lost += t.lost;
        }
      }
    }
  } finally {
    writeFileSync(statsKnob, statsBefore);
    s.close();
    bench.dispose();
  }

  const oc = results.openclose;
  const fe = results.forkexec;
  console.log(`sensor overhead, medians of ${ROUNDS} interleaved rounds (realistic filters: ${realistic.source})`);
  console.log(
    `${'mode'.padEnd(10)} ${'open+close'.padStart(12)} ${'ratio (range)'.padStart(19)} ${'bpf/op'.padStart(8)} ${'fork+exec'.padStart(12)} ${'ratio (range)'.padStart(19)} ${'bpf/op'.padStart(8)}   kernel: sent / filtered / lost`,
  );
  // a ratio is the median of the rounds' own ratios (each round measures every mode side by
  // side, so a slow round is slow for all of them); the range shows how much rounds differ
  const ratio = (xs: number[], base: number[]): { mid: number; lo: number; hi: number } => {
    const r = xs.map((x, i) => x / (base[i] as number));
    return { mid: median(r), lo: Math.min(...r), hi: Math.max(...r) };
  };
  const show = (r: { mid: number; lo: number; hi: number }): string => `${r.mid.toFixed(3)} (${r.lo.toFixed(2)}-${r.hi.toFixed(2)})`;
  for (const m of MODES) {
    const k = kernel[m];
    console.log(
      `${m.padEnd(10)} ${`${median(oc[m]).toFixed(0)} ns`.padStart(12)} ${show(ratio(oc[m], oc.none)).padStart(19)} ${`${median(bpfNs.openclose[m]).toFixed(0)} ns`.padStart(8)}` +
        ` ${`${(median(fe[m]) / 1000).toFixed(0)} us`.padStart(12)} ${show(ratio(fe[m], fe.none)).padStart(19)} ${`${(median(bpfNs.forkexec[m]) / 1000).toFixed(1)} us`.padStart(8)}` +
        `   ${k.sent} / ${k.filtered} / ${k.lost}`,
    );
  }
  console.log('bpf/op: run time of the programs per loop iteration (their part of the cost; the tracepoint machinery is extra)');
  console.log(`targets: realistic <= 1.15 on open+close, <= 1.05 on fork+exec; pipeline: ${JSON.stringify(s.pipeline.stats().decode)}`);
}

await main();
