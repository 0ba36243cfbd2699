// The sensor's live ruleset against the real apiserver: a new ruleset ConfigMap loads and
// detects; a malformed one (bad protobuf, wrong hash, a rule that does not compile) is
// refused and the previous keeps detecting; a sharded ruleset loads; a restart with the
// API server away runs the last good ruleset from disk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyProcess, type SeclEvent } from '@vigil/operator/secl';
import { encodeRuleSet, rulesetConfigMaps, RULESET_HASH_ANNOTATION, type IRuleSet } from '@vigil/operator/ruleset';
import { kubectl, useCluster, waitFor, freePort } from '../cluster/index.ts';
import { LiveRuleset, type ActiveRuleset } from '../../sensor/src/policy/live-ruleset.ts';
import { KubeClient } from '../../sensor/src/k8s/client.ts';

const { kubeconfig, namespace } = await useCluster();

const rule = (id: string, expression: string): NonNullable<IRuleSet['rules']>[number] => ({ id, expression, severity: 4, eventType: 'exec', tags: { category: 'test' } });
const ruleset = (...rules: NonNullable<IRuleSet['rules']>): IRuleSet => ({ format: 1, rules, macros: [{ id: 'tools', values: ['nc', 'ncat'] }], policies: [] });

function exec(name: string): SeclEvent {
  const process = { ...emptyProcess(), pid: 10, comm: name, argv0: name };
  process.file = { ...process.file, path: `/usr/bin/${name}`, name };
  return { type: 'exec', timestamp: Date.now() * 1e6, process };
}

function publish(ns: string, rs: IRuleSet, maxPayload?: number): string {
  const cms = rulesetConfigMaps(encodeRuleSet(rs), ns, maxPayload);
  for (const cm of [...cms.shards, cms.main]) kubectl(kubeconfig, ['apply', '-f', '-'], JSON.stringify(cm));
  return cms.hash;
}

function applyRaw(ns: string, binary: Buffer, hash: string): void {
  kubectl(kubeconfig, ['apply', '-f', '-'], JSON.stringify({
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: { name: 'vigil-ruleset', namespace: ns, labels: { 'vigil.dev/ruleset': 'main' }, annotations: { [RULESET_HASH_ANNOTATION]: hash } },
    binaryData: { 'ruleset.pb': binary.toString('base64') },
  }));
}

function adminClient(): KubeClient {
  return KubeClient.fromKubeconfig(kubeconfig);
}

test('load, swap, refuse what is malformed, keep detecting with the previous ruleset, restore from disk', async () => {
  const ns = namespace('ruleset');
  const stateDir = mkdtempSync(join(tmpdir(), 'vigil-state-'));
  const loads: ActiveRuleset[] = [];
  const live = new LiveRuleset({ client: adminClient(), namespace: ns, stateDir, onLoad: (a) => { loads.push(a); } });
  const h1 = publish(ns, ruleset(rule('net_tool', 'exec.file.name in tools')));
  await live.start();
  try {
    await waitFor('first ruleset', 5_000, () => live.active?.hash === h1);
    assert.deepEqual(live.active?.compiled.evaluate(exec('nc')).map((m) => m.ruleId), ['net_tool']);
    assert.deepEqual(live.active?.compiled.evaluate(exec('ls')), []);

    const started = Date.now();
    const h2 = publish(ns, ruleset(rule('net_tool', 'exec.file.name in tools'), rule('miner', 'exec.file.name == "xmrig"')));
    await waitFor('second ruleset', 5_000, () => live.active?.hash === h2);
    process.stderr.write(`ruleset ConfigMap change → loaded in ${Date.now() - started} ms\n`);
    assert.equal(live.active?.compiled.evaluate(exec('xmrig'))[0]?.ruleId, 'miner');

    // Bad protobuf whose hash matches, a hash that does not match, a rule that does not compile.
    const garbage = Buffer.from('\xff\xff\xff\x0f not a ruleset', 'latin1');
    const { createHash } = await import('node:crypto');
    const cases: Array<[string, () => void, RegExp]> = [
      ['bad protobuf', () => applyRaw(ns, garbage, createHash('sha256').update(garbage).digest('hex')), /decode/],
      ['wrong hash', () => applyRaw(ns, Buffer.from(encodeRuleSet(ruleset(rule('x', 'exec.file.name == "x"')))), 'f'.repeat(64)), /hash-mismatch/],
      ['rule does not compile', () => publish(ns, ruleset(rule('broken', 'exec.file.name == == "nc"'))), /broken/],
    ];
    for (const [what, apply, reason] of cases) {
      const before = live.refusals;
      apply();
      await waitFor(`refusal of ${what}`, 5_000, () => live.refusals > before);
      assert.match(live.refusal?.reason ?? '', reason, what);
      assert.equal(live.active?.hash, h2, `${what}: the previous ruleset stays`);
      assert.equal(live.active?.compiled.evaluate(exec('xmrig'))[0]?.ruleId, 'miner', `${what}: still detecting`);
    }
    assert.equal(loads.length, 2);
  } finally {
    await live.stop();
  }

  // A restart with the API server unreachable runs the last good ruleset from disk.
  const away = new KubeClient({ server: `https://127.0.0.1:${await freePort()}`, insecureSkipTlsVerify: true, token: () => 'x' });
  const restarted = new LiveRuleset({ client: away, namespace: ns, stateDir, onLoad: () => {} });
  await restarted.start();
  try {
    assert.equal(restarted.active?.origin, 'disk');
    assert.equal(restarted.active?.compiled.evaluate(exec('xmrig'))[0]?.ruleId, 'miner');
  } finally {
    await restarted.stop();
  }
});

test('a sharded ruleset loads from its manifest and shards', async () => {
  const ns = namespace('ruleset-shards');
  const rules = Array.from({ length: 300 }, (_, i) => rule(`r${String(i).padStart(3, '0')}`, `exec.file.name == "tool-${i}-${'x'.repeat(200)}"`));
  const hash = publish(ns, ruleset(...rules), 16 * 1024);
  const live = new LiveRuleset({ client: adminClient(), namespace: ns, stateDir: mkdtempSync(join(tmpdir(), 'vigil-state-')), onLoad: () => {} });
  await live.start();
  try {
    await waitFor('sharded ruleset', 10_000, () => live.active?.hash === hash);
    assert.equal(live.active?.compiled.rules.length, 300);
    const shards = JSON.parse(kubectl(kubeconfig, ['get', 'cm', '-n', ns, '-l', 'vigil.dev/ruleset=shard', '-o', 'json'])).items.length;
    assert.ok(shards > 1, `expected several shards, got ${shards}`);
  } finally {
    await live.stop();
  }
});
