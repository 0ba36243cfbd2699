// Benchmarks (printed, never asserted): evaluations per second of the benchmark ruleset
// (testdata/bench-rules.yaml, Vigil's own rules) on a recorded-like mix of exec, open and
// dns events, single core; and compile time of 1,000 rules.
import { fileURLToPath } from 'node:url';
import type { SeclEvent } from './event.ts';
import { dnsEvent, execEvent, openEvent, proc } from './fixtures.ts';
import { loadPolicyFile } from './policy.ts';
import { compileRuleset } from './ruleset.ts';
import type { RuleSource } from './types.ts';

const policy = loadPolicyFile(fileURLToPath(new URL('./testdata/bench-rules.yaml', import.meta.url)));
const rs = compileRuleset(policy);
if (rs.errors.length > 0) throw new Error(`bench rules do not compile: ${rs.errors.map((e) => e.error.summary()).join('; ')}`);

const parent = proc('/usr/sbin/sshd', ['-D'], { pid: 10, ancestors: [proc('/sbin/init', [], { pid: 1 })] });
const quiet: SeclEvent[] = [
  execEvent('/usr/bin/ls', ['-la', '/var/log'], parent),
  execEvent('/usr/bin/git', ['status'], parent),
  execEvent('/usr/bin/python3', ['app.py', '--port', '8080'], parent),
  openEvent('/usr/lib/x86_64-linux-gnu/libc.so.6', 0),
  openEvent('/etc/ld.so.cache', 0),
  openEvent('/var/log/app.log', 0o2001),
  openEvent('/proc/self/status', 0),
  dnsEvent('api.github.com'),
  dnsEvent('registry.npmjs.org'),
  openEvent('/home/bob/project/src/index.ts', 0),
];
const hits: SeclEvent[] = [
  execEvent('/bin/bash', ['-i'], parent, { container: { id: 'c'.repeat(64), created_at: 0, runtime: 'containerd', tags: [] } }),
  openEvent('/etc/shadow', 1),
  dnsEvent('pool.supportxmr.com'),
];
for (const h of hits) if (rs.evaluate(h).length === 0) throw new Error(`bench event does not match: ${h.type}`);
for (const q of quiet) if (rs.evaluate(q).length !== 0) throw new Error(`quiet event matches: ${JSON.stringify(q).slice(0, 200)}`);

function rate(events: SeclEvent[], n: number): number {
  let matched = 0;
  for (let i = 0; i < n / 10; i++) for (const e of events) matched += rs.evaluate(e).length; // warm-up
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) matched += rs.evaluate(events[i % events.length] as SeclEvent).length;
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  if (matched < 0) console.log(matched);
  return n / s;
}

const N = 2_000_000;
console.log(`rules: ${rs.rules.length} (${rs.eventTypes().join(', ')})`);
console.log(`non-matching events: ${(rate(quiet, N) / 1e6).toFixed(2)} M evaluations/s (target >= 1 M/s)`);
const mix: SeclEvent[] = [];
for (let i = 0; i < 100; i++) mix.push(i % 10 === 0 ? (hits[i % hits.length] as SeclEvent) : (quiet[i % quiet.length] as SeclEvent));
console.log(`10% matching mix: ${(rate(mix, N) / 1e3).toFixed(0)} k evaluations/s (target >= 200 k/s)`);

const many: RuleSource[] = [];
for (let i = 0; i < 1000; i++) {
  const base = policy.rules[i % policy.rules.length] as RuleSource;
  many.push({ ...base, id: `${base.id}_${i}`, expression: `${base.expression} && process.pid != ${i}` });
}
const t0 = performance.now();
const big = compileRuleset({ rules: many, macros: policy.macros });
const ms = performance.now() - t0;
console.log(`compile 1000 rules: ${ms.toFixed(0)} ms (${big.rules.length} loaded, ${big.errors.length} errors; target < 1000 ms)`);
