// Compatibility with Datadog's published default policy (../shared/corpus): every Linux
// rule parses; prints how many compile against Vigil's model, and why the others do not.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { parseExpression } from './parser.ts';
import { loadPolicyFile } from './policy.ts';
import { compileRuleset, evaluateFilter } from './ruleset.ts';

const CORPUS = fileURLToPath(new URL('../../../../shared/corpus/datadog-default.policy', import.meta.url));
const present = existsSync(CORPUS);

describe('Datadog default policy corpus', { skip: present ? false : `corpus absent: ${CORPUS}` }, () => {
  const policy = present ? loadPolicyFile(CORPUS) : { rules: [], macros: [], errors: [] };
  const linux = policy.rules.filter((r) => (r.filters ?? []).some((f) => evaluateFilter(f, { os: 'linux' }) !== false));

  it('loads as a policy file', () => {
    assert.deepEqual(policy.errors, []);
    assert.equal(policy.rules.length, 319);
    assert.ok(linux.length >= 280, `${linux.length} linux rules`);
  });

  it('parses every Linux rule', () => {
    for (const r of linux) assert.doesNotThrow(() => parseExpression(r.expression), r.id);
  });

  it('compiles at least 90% of the Linux rules against Vigil\'s model', () => {
    const rs = compileRuleset({ rules: linux, macros: policy.macros });
    const pct = (100 * rs.rules.length) / linux.length;
    console.log(`corpus: ${rs.rules.length}/${linux.length} Linux rules compile (${pct.toFixed(1)}%)`);
    const reasons = new Map<string, string[]>();
    for (const e of rs.errors) {
      const key = e.error.reason.replace(/^field (\S+) is not supported yet$/, (_m, f: string) => `not supported yet: ${f.split('.')[0]}.*`);
      reasons.set(key, [...(reasons.get(key) ?? []), e.id]);
    }
    for (const [why, ids] of [...reasons].sort((a, b) => b[1].length - a[1].length)) console.log(`  ${ids.length} × ${why}: ${ids.join(', ')}`);
    assert.ok(pct >= 90, `${pct.toFixed(1)}% < 90%`);
    // Every failure is a feature Vigil does not have, never a parse or type error.
    for (const e of rs.errors) assert.equal(e.error.code, 'unsupported_field', `${e.id}: ${e.error.summary()}`);
    const plan = rs.filterPlan();
    assert.ok(Object.values(plan).some((f) => f.mode === 'approvers'));
  });
});
