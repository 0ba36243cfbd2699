import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DecodedRuleSet, IPolicy } from '@vigil/operator/ruleset';
import { exactExecNames, planKernelKills } from './kernel-kill.ts';

const macros = new Map([['miners', '["xmrig", "minerd"]'], ['is_miner', 'exec.file.name in miners']]);

test('only pure executable-name tests are decided in the kernel', () => {
  assert.deepEqual(exactExecNames('exec.file.name == "xmrig"', macros), ['xmrig']);
  assert.deepEqual(exactExecNames('exec.file.name in ["a", "b"]', macros), ['a', 'b']);
  assert.deepEqual(exactExecNames('exec.file.name in miners', macros), ['xmrig', 'minerd']);
  assert.deepEqual(exactExecNames('is_miner || exec.file.name == "cpuminer"', macros), ['xmrig', 'minerd', 'cpuminer']);
  // Anything more than the name: user space decides (the kernel never kills a superset).
  for (const e of ['exec.file.name == "xmrig" && process.uid == 0', 'exec.file.name =~ "xm*"', 'exec.file.name != "xmrig"',
    'exec.file.name in [~"x*"]', 'exec.file.path == "/tmp/xmrig"', 'exec.file.name == "x" || process.uid == 0', 'broken ==']) {
    assert.equal(exactExecNames(e, macros), undefined, e);
  }
});

test('plan: enforce policies only, never-kill names left out, scoped rules and disarmed rules stay in user space', () => {
  const rs = {
    rules: [
      { id: 'miner', expression: 'exec.file.name in miners || exec.file.name == "kubelet"', eventType: 'exec' },
      { id: 'scoped', expression: 'exec.file.name == "nc"', eventType: 'exec', scope: { scoped: true, hosts: true } },
    ],
    macros: [{ id: 'miners', values: ['xmrig', 'minerd'] }],
  } as unknown as DecodedRuleSet;
  const enforce: IPolicy = { name: 'kill', enforce: true, ruleIds: ['miner', 'scoped'], kill: { signal: 'SIGKILL', scope: 'process' }, scope: { scoped: false } };
  const monitor: IPolicy = { ...enforce, name: 'watch', enforce: false };
  assert.deepEqual(planKernelKills(rs, [monitor]), []);
  const plan = planKernelKills(rs, [monitor, enforce]);
  assert.deepEqual(plan.map((e) => e.name).sort(), ['minerd', 'xmrig']);
  assert.ok(plan.every((e) => e.everywhere && e.policy === 'kill' && e.ruleId === 'miner'));
  assert.deepEqual(planKernelKills(rs, [enforce], new Set(['kill\0miner'])), []);
});
