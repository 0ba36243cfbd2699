// The default ruleset as data (no root): every file is one valid SecurityRule or
// SecurityMacro with the metadata the table and the operator need, the set compiles, the
// kernel filters it plans stay narrow, every rule has a trigger test, the crypto-mining rules
// are enabled and selected by the chart's default policy in monitor mode, the rules are our
// own (none is Datadog's), and RULES.md is up to date.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { ActiveProtectionPolicySchema, SecurityMacroSchema, SecurityRuleSchema } from '../../operator/src/api/index.ts';
import { loadPolicyFile } from '../../operator/src/secl/index.ts';
import { loadStandaloneRuleset } from '../../sensor/src/cli/run.ts';
import { renderRulesTable } from '../../operator/scripts/gen-rules-table.ts';
import { binaryPath } from '../cluster/index.ts';
import { DEFAULT_RULES_DIR } from './harness.ts';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const CHART = join(DEFAULT_RULES_DIR, '..');
const CORPUS = fileURLToPath(new URL('../../../shared/corpus/datadog-default.policy', import.meta.url));
const CATEGORIES = ['process', 'crypto-mining', 'file-integrity', 'dns', 'kernel'];
/** Prefixes that would let most of a host's file activity through the kernel filter. */
const BROAD_PREFIXES = ['/', '/etc/', '/usr/', '/usr/lib/', '/lib/', '/var/', '/var/lib/', '/home/', '/root/', '/tmp/', '/proc/', '/sys/', '/run/', '/dev/'];

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  spec: { id?: string; expression?: string; description?: string; severity?: string; tags?: Record<string, string>; disabled?: boolean; values?: string[] };
}

const files = readdirSync(DEFAULT_RULES_DIR).filter((f) => f.endsWith('.yaml')).sort();
const objects = files.map((f) => {
  const docs = parseAllDocuments(readFileSync(join(DEFAULT_RULES_DIR, f), 'utf8'));
  assert.ok(!Array.isArray(docs) || docs.length === 1, `${f}: one object per file`);
  const doc = Array.isArray(docs) ? docs[0] : docs;
  return { file: f, obj: doc?.toJS() as Obj };
});
const rules = objects.filter((o) => o.obj.kind === 'SecurityRule');
const macros = objects.filter((o) => o.obj.kind === 'SecurityMacro');
const idOf = (o: Obj): string => o.spec.id ?? o.metadata.name;

describe('the default ruleset', () => {
  it('is at least 60 rules, each one valid object per file with id, description, severity, technique, category and a tuning note', () => {
    assert.ok(rules.length >= 60, `${rules.length} rules`);
    assert.equal(rules.length + macros.length, files.length, 'only SecurityRule and SecurityMacro files');
    const ids = new Set<string>();
    for (const { file, obj } of rules) {
      const r = SecurityRuleSchema.safeParse(obj);
      assert.ok(r.success, `${file}: ${r.success ? '' : r.error.message}`);
      assert.equal(file, `${obj.metadata.name}.yaml`, `${file}: named after the object`);
      const id = idOf(obj);
      assert.match(id, /^vigil_[a-z0-9_]+$/, `${file}: id`);
      assert.ok(!ids.has(id), `${id} is unique`);
      ids.add(id);
      assert.ok((obj.spec.description ?? '').length > 20, `${file}: description`);
      assert.ok(obj.spec.severity, `${file}: severity`);
      assert.match(obj.spec.tags?.technique ?? '', /^T\d{4}(\.\d{3})?$/, `${file}: MITRE technique`);
      assert.ok(CATEGORIES.includes(obj.spec.tags?.category ?? ''), `${file}: category ${obj.spec.tags?.category}`);
      assert.ok((obj.metadata.annotations?.['vigil.dev/tuning'] ?? '').length > 40, `${file}: vigil.dev/tuning note`);
      assert.notEqual(obj.spec.disabled, true, `${file}: enabled`);
    }
    for (const { file, obj } of macros) {
      const m = SecurityMacroSchema.safeParse(obj);
      assert.ok(m.success, `${file}: ${m.success ? '' : m.error.message}`);
      assert.equal(file, `macro-${obj.metadata.name}.yaml`);
      assert.match(idOf(obj), /^vigil_[a-z0-9_]+$/);
    }
  });

  it('compiles whole (the sensor\'s standalone loader), and every macro is used', () => {
    const { ruleset, errors } = loadStandaloneRuleset([]);
    assert.deepEqual(errors, []);
    assert.equal(ruleset.compiled.rules.length, rules.length);
    const texts = objects.map((o) => o.obj.spec.expression ?? '').join('\n');
    for (const { obj } of macros) assert.match(texts, new RegExp(`\\b${idOf(obj)}\\b`), `macro ${idOf(obj)} is used`);
  });

  it('plans narrow kernel filters: file events pass only by name or a specific directory', () => {
    const { ruleset } = loadStandaloneRuleset([]);
    const plan = ruleset.compiled.filterPlan();
    for (const t of ['open', 'rename', 'unlink', 'utimes'] as const) {
      const f = plan[t];
      assert.equal(f?.mode, 'approvers', `${t} events are filtered in the kernel`);
      const broad = (f?.pathPrefixes ?? []).filter((p) => BROAD_PREFIXES.includes(p));
      assert.deepEqual(broad, [], `${t}: no prefix approver covers a whole top-level tree`);
    }
  });

  it('has a trigger test for every rule', () => {
    const tests = readdirSync(HERE).filter((f) => f.endsWith('.test.ts') && f !== 'ruleset.test.ts')
      .map((f) => readFileSync(join(HERE, f), 'utf8')).join('\n');
    const missing = rules.map((r) => idOf(r.obj)).filter((id) => !tests.includes(`rule: '${id}'`));
    assert.deepEqual(missing, [], 'rules without a test case');
  });

  it('enables every crypto-mining rule, and the chart selects them in a monitor-mode ActiveProtectionPolicy', (t) => {
    const mining = rules.filter((r) => r.obj.spec.tags?.category === 'crypto-mining');
    assert.ok(mining.length >= 6, `${mining.length} crypto-mining rules`);
    let helm: string;
    try {
      helm = binaryPath('helm');
    } catch (err) {
      t.skip(`helm is not built: ${String(err)}`);
      return;
    }
    const render = (...set: string[]): Obj[] => parseAllDocuments(execFileSync(helm, ['template', 'vigil', CHART, ...set.flatMap((s) => ['--set', s])], { encoding: 'utf8' }))
      .map((d) => d.toJS() as Obj).filter(Boolean);
    const all = render();
    const policies = all.filter((o) => o.kind === 'ActiveProtectionPolicy');
    assert.equal(policies.length, 1);
    const p = ActiveProtectionPolicySchema.parse(policies[0]);
    assert.equal(p.spec.mode, 'monitor');
    assert.deepEqual(p.spec.rules.tags, { category: 'crypto-mining' });
    assert.equal(p.spec.scope?.hosts, true);
    const rendered = all.filter((o) => o.kind === 'SecurityRule');
    assert.equal(rendered.length, rules.length, 'the chart renders every rule');
    const selected = rendered.filter((o) => o.spec.tags?.category === 'crypto-mining' && !o.spec.disabled).map(idOf).sort();
    assert.deepEqual(selected, mining.map((r) => idOf(r.obj)).sort());
    const enforce = render('defaultRules.cryptoMiningPolicy.mode=enforce').find((o) => o.kind === 'ActiveProtectionPolicy');
    assert.equal(ActiveProtectionPolicySchema.parse(enforce).spec.mode, 'enforce');
    assert.ok(!render('defaultRules.cryptoMiningPolicy.enabled=false').some((o) => o.kind === 'ActiveProtectionPolicy'));
  });

  it('is our own: no expression is taken from Datadog\'s default policy', (t) => {
    if (!existsSync(CORPUS)) {
      t.skip(`corpus absent: ${CORPUS}`);
      return;
    }
    const norm = (e: string): string => e.replace(/\s+/g, '');
    const theirs = new Set(loadPolicyFile(CORPUS).rules.map((r) => norm(r.expression)));
    assert.ok(theirs.size > 100, 'the corpus was read');
    const copied = rules.filter(({ obj }) => theirs.has(norm(obj.spec.expression ?? ''))).map(({ obj }) => idOf(obj));
    assert.deepEqual(copied, [], 'rules whose expression is one of Datadog\'s');
  });

  it('RULES.md is what operator/scripts/gen-rules-table.ts generates', () => {
    assert.equal(readFileSync(join(CHART, 'RULES.md'), 'utf8'), renderRulesTable(), 'run make generate');
  });
});
