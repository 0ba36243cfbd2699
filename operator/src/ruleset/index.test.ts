import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MANIFEST_KEY, PAYLOAD_KEY, RULESET_HASH_ANNOTATION, RulesetError, Severity, decodeRuleSet, encodeRuleSet, readRuleset,
  rulesetConfigMaps, sha256Hex, type ConfigMapLike, type IRuleSet,
} from './index.ts';

function sample(n: number, exprPad = 0): IRuleSet {
  return {
    rules: Array.from({ length: n }, (_, i) => ({
      id: `rule_${String(i).padStart(5, '0')}`,
      expression: `exec.file.name == "tool${i}"${' '.repeat(exprPad)}`,
      severity: Severity.HIGH,
      tags: { technique: 'T1059', category: 'process' },
      eventType: 'exec',
      source: { kind: 'SecurityRule', name: `rule-${i}`, generation: 1 },
    })),
    macros: [{ id: 'SHELLS', values: ['bash', 'sh'] }],
    policies: [{ name: 'kill', enforce: true, ruleIds: ['rule_00001', 'rule_00000'], kill: { signal: 'SIGKILL', scope: 'process' } }],
  };
}

test('encode → decode round-trips and the encoding is canonical', () => {
  const rs = sample(3);
  const bytes = encodeRuleSet(rs);
  const shuffled = { ...rs, rules: [...(rs.rules ?? [])].reverse().map((r) => ({ ...r, tags: { category: 'process', technique: 'T1059' } })) };
  assert.deepEqual(encodeRuleSet(shuffled), bytes, 'order of rules and tag keys does not change the bytes');
  const back = decodeRuleSet(bytes);
  assert.equal(back.format, 1);
  assert.deepEqual(back.rules.map((r) => r.id), ['rule_00000', 'rule_00001', 'rule_00002']);
  assert.equal(back.rules[1]?.source?.generation, 1);
  assert.deepEqual(back.policies[0]?.ruleIds, ['rule_00000', 'rule_00001']);
  assert.deepEqual(back.macros[0]?.values, ['bash', 'sh']);
});

test('a small ruleset is one ConfigMap carrying the payload and its sha256', async () => {
  const bytes = encodeRuleSet(sample(10));
  const out = rulesetConfigMaps(bytes, 'vigil-system');
  assert.equal(out.shards.length, 0);
  assert.equal(out.hash, sha256Hex(bytes));
  assert.equal(out.main.metadata.annotations[RULESET_HASH_ANNOTATION], out.hash);
  assert.ok(out.main.binaryData[PAYLOAD_KEY]);
  const loaded = await readRuleset(out.main, () => undefined);
  assert.equal(loaded.ruleset.rules.length, 10);
  assert.equal(loaded.hash, out.hash);
});

test('past ~900 KiB the ruleset is sharded behind a manifest and reassembles exactly', async () => {
  const bytes = encodeRuleSet(sample(4000, 400));
  assert.ok(bytes.length > 900 * 1024, `sample is ${bytes.length} bytes`);
  const out = rulesetConfigMaps(bytes, 'vigil-system');
  assert.ok(out.shards.length >= 2);
  assert.ok(out.main.binaryData[MANIFEST_KEY]);
  for (const s of out.shards) assert.ok(Buffer.from(s.binaryData['shard.pb'] ?? '', 'base64').length <= 900 * 1024);
  const byName = new Map(out.shards.map((s) => [s.metadata.name, s as ConfigMapLike]));
  const loaded = await readRuleset(out.main, (n) => byName.get(n));
  assert.equal(loaded.hash, out.hash);
  assert.equal(loaded.ruleset.rules.length, 4000);
});

test('a missing or altered shard is refused with a typed error', async () => {
  const out = rulesetConfigMaps(encodeRuleSet(sample(50)), 'ns', 1024);
  const byName = new Map(out.shards.map((s) => [s.metadata.name, structuredClone(s) as ConfigMapLike]));
  const first = out.shards[0]?.metadata.name as string;
  await assert.rejects(readRuleset(out.main, (n) => (n === first ? undefined : byName.get(n))),
    (e: unknown) => e instanceof RulesetError && e.code === 'missing-shard');
  const bad = byName.get(first) as ConfigMapLike;
  const raw = Buffer.from(bad.binaryData?.['shard.pb'] ?? '', 'base64');
  raw[0] = (raw[0] ?? 0) ^ 0xff;
  bad.binaryData = { 'shard.pb': raw.toString('base64') };
  await assert.rejects(readRuleset(out.main, (n) => byName.get(n)),
    (e: unknown) => e instanceof RulesetError && e.code === 'hash-mismatch');
});

test('a payload that does not match its annotation is refused', async () => {
  const out = rulesetConfigMaps(encodeRuleSet(sample(2)), 'ns');
  const main = structuredClone(out.main);
  main.metadata.annotations[RULESET_HASH_ANNOTATION] = '0'.repeat(64);
  await assert.rejects(readRuleset(main, () => undefined), (e: unknown) => e instanceof RulesetError && e.code === 'hash-mismatch');
  await assert.rejects(readRuleset({ metadata: { name: 'x' } }, () => undefined), (e: unknown) => e instanceof RulesetError && e.code === 'not-a-ruleset');
});
