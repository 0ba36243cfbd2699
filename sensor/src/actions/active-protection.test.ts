// Real processes are killed here (children of this test), never anything else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { emptyProcess, type SeclEvent } from '@vigil/operator/secl';
import type { IPolicy } from '@vigil/operator/ruleset';
import { ActiveProtector, planKill } from './active-protection.ts';

const node = { 'kubernetes.io/hostname': 'n1' };
const inShop = { pod: { namespace: 'shop', labels: { app: 'web' } }, nodeLabels: node };

function policy(name: string, enforce: boolean, extra: Partial<IPolicy> = {}): IPolicy {
  return { name, enforce, ruleIds: ['crypto_miner_exec'], kill: { signal: 'SIGKILL', scope: 'process' }, scope: { scoped: false }, ...extra };
}

function eventOf(child: ChildProcess, containerId = 'c'.repeat(64), path = '/tmp/xmrig'): SeclEvent {
  const process = { ...emptyProcess(), pid: child.pid as number, comm: 'xmrig' };
  process.file = { ...process.file, path, name: path.split('/').pop() as string };
  const container = { id: containerId, created_at: 0, runtime: 'containerd', tags: [] };
  return { type: 'exec', timestamp: 0, process: { ...process, container }, container };
}

const sleeper = (): ChildProcess => spawn('sleep', ['30'], { stdio: 'ignore' });
const exited = (c: ChildProcess): Promise<NodeJS.Signals | null> => new Promise((r) => c.once('exit', (_code, sig) => r(sig)));

test('plan: enforce beats monitor, scope and rule ids decide', () => {
  const scoped = policy('only-bank', true, { scope: { scoped: true, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'bank' } } } });
  assert.equal(planKill([policy('watch', false), policy('kill', true)], 'crypto_miner_exec', inShop)?.policy.name, 'kill');
  assert.equal(planKill([policy('watch', false)], 'crypto_miner_exec', inShop)?.enforce, false);
  assert.equal(planKill([scoped], 'crypto_miner_exec', inShop), undefined);
  assert.equal(planKill([policy('kill', true)], 'other_rule', inShop), undefined);
});

test('enforce kills the process with the policy signal; monitor only reports', async () => {
  const p = new ActiveProtector({ selfPid: process.pid });
  const victim = sleeper();
  const dead = exited(victim);
  const out = p.act([policy('kill', true)], 'crypto_miner_exec', eventOf(victim), inShop);
  assert.equal(out?.status, 'performed');
  assert.deepEqual(out?.pids, [victim.pid]);
  assert.equal(await dead, 'SIGKILL');
  const spared = sleeper();
  assert.equal(p.act([policy('watch', false)], 'crypto_miner_exec', eventOf(spared), inShop)?.status, 'monitored');
  assert.equal(spared.exitCode, null);
  spared.kill();
  // A process already gone is a failed kill that says so.
  const gone = p.act([policy('kill', true)], 'crypto_miner_exec', eventOf(victim), inShop);
  assert.equal(gone?.status, 'failed');
  assert.match(gone?.error ?? '', /gone/);
});

test('never kill init, the sensor itself, or the node machinery on the host', () => {
  const p = new ActiveProtector({ selfPid: process.pid });
  const pol = [policy('kill', true)];
  const ev = (pid: number, name: string, container = ''): SeclEvent => {
    const e = eventOf({ pid } as ChildProcess, container, `/usr/bin/${name}`);
    if (!container) delete e.process.container;
    return e;
  };
  assert.match(p.act(pol, 'crypto_miner_exec', ev(1, 'systemd'), { nodeLabels: node })?.error ?? '', /init/);
  assert.match(p.act(pol, 'crypto_miner_exec', ev(process.pid, 'node', 'c'.repeat(64)), inShop)?.error ?? '', /sensor itself/);
  assert.match(p.act(pol, 'crypto_miner_exec', ev(999_999, 'kubelet'), { nodeLabels: node })?.error ?? '', /host kubelet/);
  assert.equal(p.stats.refused, 3);
});

test('the disarmer trips on the 6th container within the period and says so', async () => {
  let now = 1_000_000;
  const p = new ActiveProtector({ selfPid: process.pid, now: () => now });
  const pol = [policy('kill', true, { disarmer: { maxContainers: 5, maxExecutables: 0, periodMs: 60_000 } })];
  const outcomes: string[] = [];
  const children: ChildProcess[] = [];
  for (let i = 0; i < 6; i++) {
    const c = sleeper();
    children.push(c);
    outcomes.push(p.act(pol, 'crypto_miner_exec', eventOf(c, String(i).repeat(64)), inShop)?.status ?? 'none');
    now += 1000;
  }
  assert.deepEqual(outcomes, ['performed', 'performed', 'performed', 'performed', 'performed', 'disarmed']);
  assert.equal(children[5]?.exitCode, null, 'the disarmed kill did not happen');
  assert.deepEqual(p.disarmedNow().map((d) => `${d.policy}/${d.rule}`), ['kill/crypto_miner_exec']);
  // Still disarmed within the period, armed again after it.
  const again = sleeper();
  assert.equal(p.act(pol, 'crypto_miner_exec', eventOf(again, '7'.repeat(64)), inShop)?.status, 'disarmed');
  now += 61_000;
  assert.deepEqual(p.disarmedNow(), [], 'armed again after the period, whether or not the rule fires');
  assert.equal(p.act(pol, 'crypto_miner_exec', eventOf(again, '7'.repeat(64)), inShop)?.status, 'performed');
  for (const c of children) c.kill('SIGKILL');
});

test('kernel kills count towards the disarmer, and the kernel is suspended one step before it trips', () => {
  let now = 5_000_000;
  const p = new ActiveProtector({ selfPid: process.pid, now: () => now });
  const pol = [policy('kill', true, { disarmer: { maxContainers: 2, maxExecutables: 0, periodMs: 60_000 } })];
  const gone = { pid: 999_999 } as ChildProcess;
  assert.equal(p.act(pol, 'crypto_miner_exec', eventOf(gone, '1'.repeat(64)), inShop, true)?.status, 'performed');
  assert.equal(p.suspendedKeys().size, 0);
  assert.equal(p.act(pol, 'crypto_miner_exec', eventOf(gone, '2'.repeat(64)), inShop, true)?.status, 'performed');
  // The next distinct container would disarm: user space decides it, not the kernel.
  assert.deepEqual([...p.suspendedKeys()], ['kill\0crypto_miner_exec']);
  assert.equal(p.act(pol, 'crypto_miner_exec', eventOf(gone, '3'.repeat(64)), inShop)?.status, 'disarmed');
  now += 61_000;
  assert.equal(p.suspendedKeys().size, 0, 're-armed after the period');
});
