// The memory of the sensor as it ships (root; run by `make bench`; printed, never asserted):
// `vigil-sensor run` started through its bin (the JavaScript bundle make build writes),
// standalone, with one rule that needs every open in user space and matches none of the
// storm; then 1M opens at 200k/s. Its VmRSS and VmHWM come from /proc, the events its
// pipeline decoded from its own stop line. (pipeline.bench.ts reports the RSS of a test
// harness running the same pipeline through tsx: a different, bigger process.)
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { processMemory as memory } from '../fixtures/proc-memory.ts';
import { benchFile, runOpsAsync } from './helpers.ts';

const EVENTS = 1_000_000;
const RATE = 200_000;
const repo = resolve(fileURLToPath(import.meta.url), '../../..');

const RULE = `apiVersion: vigil.dev/v1alpha1
kind: SecurityRule
metadata: {name: rss-bench}
spec:
  id: rss_bench
  description: needs every open in user space (a leading wildcard has no kernel approver), matches none of the storm
  expression: 'open.file.path =~ "*/vigil-rss-never/*"'
  severity: info
`;

async function main(): Promise<void> {
  const bench = benchFile('rss');
  if (!bench) return;
  // beside the storm's file: the bench's own folder, removed with it
  const ruleFile = join(dirname(bench.file), 'rss-bench-rule.yaml');
  writeFileSync(ruleFile, RULE);
  const child = spawn(process.execPath, [join(repo, 'sensor', 'bin', 'vigil-sensor.js'), 'run', '--rules', ruleFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  let onLine: (() => void) | undefined;
  createInterface({ input: child.stderr }).on('line', (l) => {
    try {
      lines.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      lines.push({ msg: l });
    }
    onLine?.();
  });
  const waitLog = (msg: string, ms: number): Promise<Record<string, unknown>> =>
    new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error(`vigil-sensor: no "${msg}" within ${ms} ms: ${JSON.stringify(lines.slice(-3))}`)), ms);
      const check = (): void => {
        const hit = lines.find((l) => l.msg === msg);
        if (hit) {
          clearTimeout(t);
          onLine = undefined;
          res(hit);
        }
      };
      onLine = check;
      check();
    });
  try {
    await waitLog('sensor running', 60_000);
    const pid = child.pid as number;
    const started = memory(pid);
    await runOpsAsync(['openrate', bench.file, String(EVENTS), String(RATE)]);
    await new Promise((r) => setTimeout(r, 1_000));
    const after = memory(pid);
    child.kill('SIGTERM');
    const stop = await waitLog('sensor stopped', 30_000);
    const pipeline = stop.pipeline as { decode?: { records?: number } } | undefined;
    // the bin runs the TypeScript through tsx when the bundle is missing or older than a source
    const stale = lines.some((l) => typeof l.msg === 'string' && l.msg.includes('running the TypeScript sources'));
    const how = !existsSync(join(repo, 'sensor', 'build', 'js', 'vigil-sensor.js')) ? 'tsx: no bundle, make js' : stale ? 'tsx: its bundle is stale, make js' : 'its bundle';
    console.log(
      `vigil-sensor run (standalone, ${how}): rss ${started.rss.toFixed(0)} MiB once running; after ${pipeline?.decode?.records ?? '?'} events ` +
        `(${EVENTS} opens at ${RATE / 1000}k/s, every one through the pipeline): rss ${after.rss.toFixed(0)} MiB, peak ${after.hwm.toFixed(0)} MiB; target <= 150 MiB`,
    );
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    bench.dispose();
  }
}

await main();
