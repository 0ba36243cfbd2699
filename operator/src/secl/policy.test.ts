import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from './cli.ts';
import { renderFieldsMarkdown } from './fields-doc.ts';
import { loadPolicyFile, mergePolicies, parsePolicyText } from './policy.ts';

const DATADOG = `
version: 1.2.3
macros:
  - id: shells
    values: [bash, sh]
rules:
  - id: shell
    expression: exec.file.name in shells
    tags: {technique: T1059}
    every: 10s
    actions:
      - filter: process.uid == 0
        set: {name: seen, scope: process, value: true, ttl: 600000000000}
      - log: {Level: warn, Message: hi}
    filters: ['os == "linux"']
`;
const VIGIL = `
apiVersion: vigil.dev/v1alpha1
kind: SecurityRule
metadata: {name: shell-in-container}
spec:
  expression: 'exec.file.name in SHELLS && container.id != ""'
  severity: high
  actions: [{kill: {signal: SIGKILL, scope: container}}]
---
apiVersion: vigil.dev/v1alpha1
kind: SecurityMacro
metadata: {name: shells}
spec: {id: SHELLS, values: [bash, zsh]}
---
apiVersion: vigil.dev/v1alpha1
kind: SecurityRule
metadata: {name: named}
spec: {id: custom_id, expression: 'exec.file.name == "x"'}
`;

describe('policy files', () => {
  it('reads Datadog policies', () => {
    const p = parsePolicyText(DATADOG, 'dd.policy');
    assert.deepEqual(p.errors, []);
    assert.deepEqual(p.macros, [{ id: 'shells', values: ['bash', 'sh'] }]);
    assert.equal(p.rules[0]?.every, '10s');
    assert.deepEqual(p.rules[0]?.actions?.[1], { log: { level: 'warn', message: 'hi' } });
  });
  it('reads Vigil SecurityRule and SecurityMacro objects, id defaulting to metadata.name', () => {
    const p = parsePolicyText(VIGIL, 'v.yaml');
    assert.deepEqual(p.errors, []);
    assert.deepEqual(p.rules.map((r) => r.id), ['shell-in-container', 'custom_id']);
    assert.equal(p.rules[0]?.severity, 'high');
    assert.deepEqual(p.macros, [{ id: 'SHELLS', values: ['bash', 'zsh'] }]);
  });
  it('reports bad documents without throwing', () => {
    const p = parsePolicyText('kind: SecurityRule\napiVersion: vigil.dev/v1alpha1\nmetadata: {name: x}\nspec: {}\n---\n: [\n---\nkind: Pod\n', 'bad.yaml');
    assert.deepEqual(p.errors.map((e) => e.error.code), ['invalid_policy', 'invalid_policy', 'invalid_policy']);
    assert.match(p.errors[0]?.error.message ?? '', /bad.yaml#1: invalid SecurityRule: spec.expression/);
    assert.equal(loadPolicyFile('/nonexistent/x.yaml').errors[0]?.error.code, 'invalid_policy');
  });
  it('merges policies: combine override and merge, duplicates otherwise', () => {
    const a = parsePolicyText(DATADOG);
    const b = parsePolicyText(`version: 1\nmacros:\n  - {id: shells, values: [zsh], combine: merge}\nrules:\n  - {id: shell, combine: override, override_options: {fields: [expression]}, expression: 'exec.file.name == "zsh"'}\n`);
    const m = mergePolicies([a, b]);
    assert.deepEqual(m.errors, []);
    assert.deepEqual(m.macros[0]?.values, ['bash', 'sh', 'zsh']);
    assert.equal(m.rules[0]?.expression, 'exec.file.name == "zsh"');
    assert.equal(m.rules[0]?.every, '10s');
    assert.equal(mergePolicies([a, a]).errors[0]?.error.code, 'duplicate_id');
  });
});

describe('vigil-rules lint', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-rules-'));
  const run = (...files: string[]): { code: number; out: string[]; err: string[] } => {
    const out: string[] = [];
    const err: string[] = [];
    const code = runCli(['lint', ...files], { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out, err };
  };
  it('exits 0 and prints one JSON line per rule when all rules check', () => {
    writeFileSync(join(dir, 'good.yaml'), VIGIL);
    const r = run(join(dir, 'good.yaml'));
    assert.equal(r.code, 0, r.err.join('\n'));
    assert.deepEqual(r.out.map((l) => JSON.parse(l).id), ['shell-in-container', 'custom_id']);
  });
  it('exits 1 and prints each error with a caret on stderr', () => {
    writeFileSync(join(dir, 'bad.yaml'), 'version: 1\nrules:\n  - id: bad\n    expression: exec.file.name == == "nc"\n');
    const r = run(join(dir, 'bad.yaml'));
    assert.equal(r.code, 1);
    assert.deepEqual(JSON.parse(r.out[0] ?? '{}'), { file: join(dir, 'bad.yaml'), id: 'bad', ok: false, code: 'unexpected_token', message: 'expression: unexpected token "==", expected an operand at col 19: exec.file.name == == "nc"', col: 19 });
    assert.match(r.err[0] ?? '', /rule bad: expression: unexpected token "==".*\n *\^$/);
  });
  it('checks rules of one file against macros of another', () => {
    writeFileSync(join(dir, 'macros.yaml'), 'version: 1\nmacros:\n  - {id: SHELLS, values: [sh]}\n');
    writeFileSync(join(dir, 'rules.yaml'), 'version: 1\nrules:\n  - {id: r, expression: exec.file.name in SHELLS}\n');
    assert.equal(run(join(dir, 'rules.yaml')).code, 1);
    assert.equal(run(join(dir, 'macros.yaml'), join(dir, 'rules.yaml')).code, 0);
  });
  it('refuses bad usage', () => {
    assert.equal(runCli([], { out: () => {}, err: () => {} }), 2);
  });
});

describe('FIELDS.md', () => {
  it('is up to date with the model (run make generate)', () => {
    const committed = readFileSync(new URL('./FIELDS.md', import.meta.url), 'utf8');
    assert.equal(committed, renderFieldsMarkdown());
    assert.ok(committed.startsWith('<!-- Code generated by operator/scripts/gen-fields.ts. DO NOT EDIT. -->'));
  });
});
