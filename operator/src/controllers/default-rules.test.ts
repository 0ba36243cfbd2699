// Vigil's default rules (charts/vigil/rules) must all check with the SECL engine: a chart
// that ships an invalid rule would install a red VALID column.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { Catalog } from './catalog.ts';
import { seclChecker } from './secl-checker.ts';
import type { KubeObject } from '../framework/kube.ts';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'charts', 'vigil', 'rules');

test('every default rule and macro is valid and published', () => {
  const objs = readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => parse(readFileSync(join(dir, f), 'utf8')) as KubeObject);
  const rules = objs.filter((o) => o.kind === 'SecurityRule');
  const macros = objs.filter((o) => o.kind === 'SecurityMacro');
  assert.ok(rules.length >= 5);
  const plan = new Catalog(seclChecker).plan(rules, macros, []);
  for (const [name, p] of plan.rules) assert.ok(p.verdict.valid, `${name}: ${p.verdict.message}`);
  for (const [name, p] of plan.macros) assert.ok(p.verdict.valid, `${name}: ${p.verdict.valid ? '' : p.verdict.message}`);
  assert.equal(plan.ruleset.rules?.length, rules.length);
});
