// Benchmarks of the whole loop on this host (root; printed, never asserted):
//   rule propagation: kubectl apply → every sensor on the new hash;
//   detection latency: exec → the Signal's count visible through the API, p50/p99 over 1,000;
//   in-kernel kill: exec → death of a program the kernel kills, against the same run unkilled;
//   the sensor process's memory in the cluster after all that, and after 1M more events.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { kubectl, waitFor } from '../cluster/index.ts';
import { processMemory } from '../fixtures/proc-memory.ts';
import { runOpsAsync } from '../bpf/helpers.ts';
import { applyYaml } from './operator-harness.ts';
import { loopSkipReason, startLoop } from './loop-harness.ts';

const skip = loopSkipReason();
if (skip) {
  process.stdout.write(`loop benchmarks skipped: ${skip}\n`);
  process.exit(0);
}

const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;
const fmt = (xs: number[]): string => `p50 ${pct(xs, 50).toFixed(0)} ms, p99 ${pct(xs, 99).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms (n=${xs.length})`;

const loop = await startLoop();
try {
  const { kc, ns } = loop;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-'));
  const tool = `vigil-bench-${randomBytes(3).toString('hex')}`;
  const bin = join(dir, tool);
  copyFileSync('/bin/true', bin);
  const rule = (i: number, name: string): string => `apiVersion: vigil.dev/v1alpha1
kind: SecurityRule
metadata: {name: bench-${i}}
spec: {id: bench_${i}, expression: 'exec.file.name == "${name}"', severity: low}
`;

  // Rule propagation.
  const propagation: number[] = [];
  for (let i = 0; i < 10; i++) {
    const before = loop.sensorStatus()?.ruleset?.hash;
    const t0 = performance.now();
    applyYaml(kc, rule(i, i === 0 ? tool : `unused-${i}`));
    await waitFor('new hash on the sensor', 20_000, () => {
      const h = loop.sensorStatus()?.ruleset?.hash;
      return h !== undefined && h !== before;
    });
    await loop.waitSensorOnPublished(20_000);
    propagation.push(performance.now() - t0);
  }
  process.stdout.write(`rule propagation (kubectl apply → the sensor on the new hash, via its Sensor status): ${fmt(propagation)}\n`);

  // Detection latency, through a watch on Signals.
  const kcfg = new k8s.KubeConfig();
  kcfg.loadFromFile(kc);
  const seen: number[] = [];
  let count = 0;
  const watch = await new k8s.Watch(kcfg).watch(`/apis/vigil.dev/v1alpha1/namespaces/${ns}/signals`, {}, (_type, obj: { spec?: { rule?: { id?: string } }; status?: { count?: number } }) => {
    if (obj.spec?.rule?.id !== 'bench_0') return;
    const c = obj.status?.count ?? 0;
    const now = performance.now();
    while (count < c) {
      seen[count] = now;
      count++;
    }
  }, () => undefined);
  const started: number[] = [];
  for (let i = 0; i < 1000; i++) {
    started.push(performance.now());
    spawnSync(bin);
    await new Promise((r) => setTimeout(r, 15));
  }
  await waitFor('all 1,000 counted', 60_000, () => count >= 1000);
  watch.abort();
  const latency = started.map((t, i) => (seen[i] as number) - t);
  process.stdout.write(`detection latency (exec → Signal count visible through a watch): ${fmt(latency)}\n`);

  // In-kernel kill.
  const miner = join(dir, 'xmrig');
  copyFileSync('/bin/true', miner);
  applyYaml(kc, `apiVersion: vigil.dev/v1alpha1
kind: SecurityRule
metadata: {name: bench-miner}
spec: {id: bench_miner, expression: 'exec.file.name == "xmrig"', severity: critical}
---
apiVersion: vigil.dev/v1alpha1
kind: ActiveProtectionPolicy
metadata: {name: bench-kill}
spec:
  mode: enforce
  rules: {ids: [bench_miner]}
  action: {kill: {signal: SIGKILL, scope: process}}
`);
  await loop.waitSensorOnPublished(20_000);
  await waitFor('kernel kill armed', 10_000, () => spawnSync(miner).signal === 'SIGKILL');
  const time = (path: string): number => {
    const t0 = process.hrtime.bigint();
    spawnSync(path);
    return Number(process.hrtime.bigint() - t0) / 1e3;
  };
  const killed: number[] = [];
  const plain: number[] = [];
  for (let i = 0; i < 200; i++) {
    killed.push(time(miner));
    plain.push(time(bin));
  }
  process.stdout.write(`in-kernel kill: spawn → death of a killed program p50 ${pct(killed, 50).toFixed(0)} µs; the same binary unkilled runs to its exit in p50 ${pct(plain, 50).toFixed(0)} µs\n`);
  kubectl(kc, ['delete', 'activeprotectionpolicy', 'bench-kill']);

  // The sensor's memory in the cluster (its bundle, with the Kubernetes half loaded), after
  // the above and then after 1M opens that a rule needs in user space (no kernel approver
  // for a leading wildcard) and none of which it matches.
  const pid = loop.sensor.child.pid as number;
  let mem = processMemory(pid);
  process.stdout.write(`sensor memory in the cluster after the above: rss ${mem.rss.toFixed(0)} MiB, peak ${mem.hwm.toFixed(0)} MiB\n`);
  applyYaml(kc, `apiVersion: vigil.dev/v1alpha1
kind: SecurityRule
metadata: {name: bench-every-open}
spec: {id: bench_every_open, expression: 'open.file.path =~ "*/vigil-rss-never/*"', severity: info}
`);
  await loop.waitSensorOnPublished(20_000);
  const storm = join(dir, 'storm');
  writeFileSync(storm, 'x');
  await runOpsAsync(['openrate', storm, '1000000', '200000']);
  await new Promise((r) => setTimeout(r, 1_000));
  mem = processMemory(pid);
  process.stdout.write(`sensor memory in the cluster after 1M more events (opens at 200k/s): rss ${mem.rss.toFixed(0)} MiB, peak ${mem.hwm.toFixed(0)} MiB (target <= 150 MiB)\n`);
  kubectl(kc, ['delete', 'securityrule', 'bench-every-open']);
} finally {
  await loop.stop();
}
