import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Catalog } from './catalog.ts';
import { seclChecker } from './secl-checker.ts';
import { encodeRuleSet, decodeRuleSet } from '../ruleset/index.ts';
import type { KubeObject } from '../framework/kube.ts';

let uid = 0;
function rule(name: string, expression: string, spec: Record<string, unknown> = {}, generation = 1, created = '2026-01-01T00:00:00Z'): KubeObject {
  return {
    apiVersion: 'vigil.dev/v1alpha1', kind: 'SecurityRule',
    metadata: { name, uid: `uid-${name}`, generation, creationTimestamp: created, resourceVersion: String(++uid) },
    spec: { expression, severity: 'high', disabled: false, ...spec },
  };
}
function macro(name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'vigil.dev/v1alpha1', kind: 'SecurityMacro', metadata: { name, uid: `uid-${name}`, generation: 1, creationTimestamp: '2026-01-01T00:00:00Z' }, spec };
}
function policy(name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'vigil.dev/v1alpha1', kind: 'ActiveProtectionPolicy', metadata: { name, uid: `uid-${name}`, generation: 2 }, spec };
}

test('valid rules go into the ruleset with their inferred event type; invalid ones get a caret message', () => {
  const c = new Catalog(seclChecker);
  const plan = c.plan([rule('nc', 'exec.file.name == "nc"'), rule('bad', 'exec.file.name == == "nc"')], [], []);
  const nc = plan.rules.get('nc');
  assert.ok(nc?.verdict.valid);
  assert.equal(nc.verdict.valid && nc.verdict.eventType, 'exec');
  assert.equal(nc.published, 'current');
  const bad = plan.rules.get('bad');
  assert.equal(bad?.verdict.valid, false);
  assert.equal(bad?.published, 'none');
  assert.match(bad?.verdict.message ?? '', /expression: unexpected token .* at col \d+: exec.file.name == == "nc"\n\s+\^/);
  assert.deepEqual(plan.ruleset.rules?.map((r) => r.id), ['nc']);
  assert.equal(plan.ruleset.rules?.[0]?.source?.name, 'nc');
});

test('an edit that does not check keeps the last good version in the ruleset', () => {
  const c = new Catalog(seclChecker);
  const good = c.plan([rule('r', 'exec.file.name == "nc"')], [], []);
  const bytes = encodeRuleSet(good.ruleset);
  const broken = c.plan([rule('r', 'exec.file.name ==', {}, 2)], [], []);
  assert.equal(broken.rules.get('r')?.published, 'previous');
  assert.equal(broken.rules.get('r')?.publishedGeneration, 1);
  assert.deepEqual(encodeRuleSet(broken.ruleset), bytes, 'the ruleset is unchanged');
  // A restarted operator learns the last good version from the published ruleset.
  const fresh = new Catalog(seclChecker);
  fresh.seed(decodeRuleSet(bytes));
  assert.deepEqual(encodeRuleSet(fresh.plan([rule('r', 'exec.file.name ==', {}, 2)], [], []).ruleset), bytes);
  const fixed = c.plan([rule('r', 'exec.file.name == "ncat"', {}, 3)], [], []);
  assert.equal(fixed.rules.get('r')?.published, 'current');
  assert.equal(fixed.ruleset.rules?.[0]?.expression, 'exec.file.name == "ncat"');
});

test('a rule waiting for a macro becomes valid when the macro appears', () => {
  const c = new Catalog(seclChecker);
  const r = rule('sh', 'exec.file.name in my_shells');
  const before = c.plan([r], [], []);
  const v = before.rules.get('sh')?.verdict;
  assert.equal(v?.valid, false);
  assert.equal(v && !v.valid && v.reason, 'MissingMacros');
  assert.deepEqual(v && !v.valid && v.missingMacros, ['my_shells']);
  const after = c.plan([r], [macro('shells', { id: 'my_shells', values: ['bash', 'sh'] })], []);
  assert.ok(after.rules.get('sh')?.verdict.valid);
  assert.equal(after.macros.get('shells')?.usedBy, 1);
  assert.deepEqual(after.ruleset.macros?.map((m) => m.id), ['my_shells']);
});

test('a macro that does not parse is invalid with a caret message and not offered to rules', () => {
  const c = new Catalog(seclChecker);
  const plan = c.plan([rule('x', 'exec.file.name == "a" && broken_macro')], [macro('broken', { id: 'broken_macro', expression: 'exec.file.name ==' })], []);
  const m = plan.macros.get('broken');
  assert.equal(m?.verdict.valid, false);
  assert.match(m?.verdict.valid === false ? m.verdict.message : '', /\^/);
  assert.equal(plan.rules.get('x')?.verdict.valid, false);
});

test('duplicate ids: the older object keeps the id', () => {
  const c = new Catalog(seclChecker);
  const plan = c.plan([
    rule('b', 'exec.file.name == "b"', { id: 'same' }, 1, '2026-01-02T00:00:00Z'),
    rule('a', 'exec.file.name == "a"', { id: 'same' }, 1, '2026-01-01T00:00:00Z'),
  ], [], []);
  assert.ok(plan.rules.get('a')?.verdict.valid);
  const b = plan.rules.get('b')?.verdict;
  assert.equal(b && !b.valid && b.reason, 'DuplicateId');
  assert.equal(plan.ruleset.rules?.length, 1);
});

test('disabled rules are checked but not published; policies resolve ids and tags', () => {
  const c = new Catalog(seclChecker);
  const plan = c.plan([
    rule('miner', 'exec.file.name == "xmrig"', { id: 'miner', tags: { category: 'crypto-mining' } }),
    rule('miner2', 'exec.file.name == "minerd"', { tags: { category: 'crypto-mining' } }),
    rule('off', 'exec.file.name == "x"', { disabled: true, tags: { category: 'crypto-mining' } }),
  ], [], [
    policy('kill', { mode: 'enforce', rules: { ids: ['miner', 'ghost'], tags: { category: 'crypto-mining' } }, action: { kill: { signal: 'SIGKILL', scope: 'process' } } }),
  ]);
  assert.ok(plan.rules.get('off')?.verdict.valid);
  assert.equal(plan.rules.get('off')?.published, 'none');
  const p = plan.policies.get('kill');
  assert.deepEqual(p?.ruleIds, ['miner', 'miner2']);
  assert.deepEqual(p?.unknownIds, ['ghost']);
  assert.equal(plan.ruleset.policies?.[0]?.enforce, true);
  assert.deepEqual(plan.ruleset.policies?.[0]?.ruleIds, ['miner', 'miner2']);
});

test('only changed rules are re-checked; a macro change re-checks all', () => {
  const c = new Catalog(seclChecker);
  const rules = Array.from({ length: 50 }, (_, i) => rule(`r${i}`, `exec.file.name == "t${i}"`));
  c.plan(rules, [], []);
  const first = c.checks;
  c.plan([...rules.slice(1), rule('r0', 'exec.file.name == "changed"', {}, 2)], [], []);
  assert.equal(c.checks - first, 1);
  c.plan(rules, [macro('m', { id: 'unused', values: ['x'] })], []);
  assert.ok(c.checks - first >= 51);
});

test('a rule reading a variable set by another rule checks', () => {
  const c = new Catalog(seclChecker);
  const setter = rule('setter', 'exec.file.name == "curl"', { actions: [{ set: { name: 'fetched', scope: 'process', value: true, append: false } }] });
  const reader = rule('reader', 'exec.file.name == "sh" && ${process.fetched} == true');
  c.plan([setter], [], []);
  const plan = c.plan([setter, reader], [], []);
  const v = plan.rules.get('reader')?.verdict;
  assert.ok(v?.valid, v && !v.valid ? v.message : '');
});
