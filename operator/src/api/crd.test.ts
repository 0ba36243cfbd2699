import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';
import { KINDS, customResourceDefinition, openApiSchema, type JsonSchemaProps } from './index.ts';
import { checkOpenApi } from './openapi-check.ts';
import { renderCrds, HEADER } from '../../scripts/gen-crds.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

test('every kind has a structural CRD with columns, short names, category vigil and a status subresource', () => {
  for (const kind of KINDS) {
    const crd = customResourceDefinition(kind);
    const spec = crd.spec as { names: { categories: string[]; shortNames: string[]; plural: string }; versions: { subresources: unknown; additionalPrinterColumns: { name: string }[] }[] };
    assert.deepEqual(spec.names.categories, ['vigil']);
    assert.ok(spec.names.shortNames.length > 0);
    assert.deepEqual(spec.versions[0]?.subresources, { status: {} });
    assert.ok(spec.versions[0]?.additionalPrinterColumns.some((c) => c.name === 'Age'));
    // Structural: every node typed (or explicitly free-form), no unions, no additionalProperties:false.
    const walk = (n: JsonSchemaProps, p: string): void => {
      assert.ok(n.type || n['x-kubernetes-preserve-unknown-fields'], `${kind.kind}${p}: untyped`);
      for (const k of ['anyOf', 'allOf', '$schema']) assert.ok(!(k in n), `${kind.kind}${p}: ${k}`);
      for (const b of (n.oneOf ?? []) as JsonSchemaProps[]) assert.deepEqual(Object.keys(b), ['required'], `${kind.kind}${p}: oneOf may only list required fields`);
      assert.notEqual(n.additionalProperties, false);
      for (const [name, c] of Object.entries((n.properties ?? {}) as Record<string, JsonSchemaProps>)) walk(c, `${p}.${name}`);
      if (n.items) walk(n.items as JsonSchemaProps, `${p}[]`);
      if (typeof n.additionalProperties === 'object') walk(n.additionalProperties as JsonSchemaProps, `${p}.*`);
    };
    walk(openApiSchema(kind.spec), '.spec');
    walk(openApiSchema(kind.status), '.status');
  }
});

test('the printed columns match the design (kubectl get signals, rules, sensors)', () => {
  const cols = (k: string) => (customResourceDefinition(KINDS.find((x) => x.kind === k) as (typeof KINDS)[number]).spec as { versions: { additionalPrinterColumns: { name: string; priority?: number }[] }[] })
    .versions[0]?.additionalPrinterColumns.filter((c) => !c.priority).map((c) => c.name.toUpperCase());
  assert.deepEqual(cols('SecurityRule'), ['SEVERITY', 'VALID', 'NODES', 'SIGNALS', 'AGE']);
  assert.deepEqual(cols('Signal'), ['RULE', 'SEVERITY', 'STATE', 'POD', 'NODE', 'COUNT', 'AGE']);
  assert.deepEqual(cols('Sensor'), ['NODE', 'READY', 'RULESET', 'RULES', 'DROPS', 'AGE']);
  assert.deepEqual(cols('ActiveProtectionPolicy'), ['MODE', 'RULES', 'NODES', 'KILLS', 'AGE']);
  assert.deepEqual(cols('NotificationRule'), ['CHANNEL', 'SENT', 'FAILED', 'AGE']);
  assert.deepEqual(cols('SecurityMacro'), ['VALID', 'AGE']);
});

test('CEL rules travel with their zod twins', () => {
  const rule = KINDS.find((k) => k.kind === 'SecurityMacro')?.spec as z.ZodType;
  assert.equal(rule.safeParse({ values: ['a'] }).success, true);
  assert.equal(rule.safeParse({ values: ['a'], expression: 'x' }).success, false);
  assert.equal(rule.safeParse({}).success, false);
  const json = JSON.stringify(openApiSchema(rule));
  assert.match(json, /has\(self.expression\) != has\(self.values\)/);
});

test('the committed CRDs are what the generator writes now', () => {
  for (const [name, text] of renderCrds()) {
    assert.ok(text.startsWith(HEADER));
    for (const dir of ['crds', join('charts', 'vigil', 'crds')]) {
      assert.equal(readFileSync(join(root, dir, name), 'utf8'), text, `${dir}/${name} is stale: run make generate`);
    }
  }
});

test('every chart example validates against zod and the generated CRD schema', () => {
  const dir = join(root, 'charts', 'vigil', 'examples');
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  assert.ok(files.length >= 6);
  const seen = new Set<string>();
  for (const f of files) {
    const doc = parse(readFileSync(join(dir, f), 'utf8')) as { kind: string; spec: unknown };
    const kind = KINDS.find((k) => k.kind === doc.kind);
    assert.ok(kind, `${f}: unknown kind ${doc.kind}`);
    seen.add(kind.kind);
    const z1 = kind.spec.safeParse(doc.spec);
    assert.ok(z1.success, `${f}: zod: ${z1.error?.message}`);
    const crd = customResourceDefinition(kind).spec as { versions: { schema: { openAPIV3Schema: JsonSchemaProps } }[] };
    const errs = checkOpenApi(doc, crd.versions[0]?.schema.openAPIV3Schema as JsonSchemaProps);
    assert.deepEqual(errs, [], `${f}: CRD schema`);
  }
  assert.equal(seen.size, KINDS.length, 'one example per kind');
});

test('the structural check catches what the apiserver would reject', () => {
  const schema = openApiSchema(KINDS[0]?.spec as z.ZodType);
  assert.deepEqual(checkOpenApi({ expression: 'a', severity: 'meh' }, schema).length, 1);
  assert.match(checkOpenApi({ expression: 'a', bogus: 1 }, schema)[0] ?? '', /unknown field/);
  assert.match(checkOpenApi({}, schema)[0] ?? '', /expression: required/);
});
