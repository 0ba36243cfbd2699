import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { NotificationRuleSchema } from '../api/index.ts';
import { DEFAULT_TEMPLATES, TemplateError, compileTemplate, renderSignal, shellJoin, templateFor, valueOf } from './template.ts';
import { makeSignal } from './testing.ts';

const ctx = { ruleName: 'page-on-high', consoleUrl: 'https://console.example/signals/' };

test('variables read the Signal; families by tag key and SECL field', () => {
  const s = makeSignal({ killed: true, args: ['sh', '-c', "echo 'hi there'"] });
  assert.equal(valueOf('signal.rule.id', s, ctx), 'shell_in_container');
  assert.equal(valueOf('signal.workload', s, ctx), 'shop/web-7d9f8b6c4-x2x9z');
  assert.equal(valueOf('signal.process.name', s, ctx), 'bash');
  assert.equal(valueOf('signal.process.args', s, ctx), `sh -c 'echo '\\''hi there'\\'''`);
  assert.equal(valueOf('signal.process.ancestors', s, ctx), 'containerd-shim(4200) ← init(1)');
  assert.equal(valueOf('signal.action', s, ctx), 'killed (SIGKILL)');
  assert.equal(valueOf('signal.container.id', s, ctx), '3f2a9c0d1e2b');
  assert.equal(valueOf('signal.rule.tags', s, ctx), 'technique:T1059.004, category:process');
  assert.equal(valueOf('signal.rule.tags.technique', s, ctx), 'T1059.004');
  assert.equal(valueOf('signal.event.fields.exec.file.path', s, ctx), '/usr/bin/bash');
  assert.equal(valueOf('signal.url', s, ctx), 'https://console.example/signals/shop/shell-in-container-7f3a');
  assert.equal(valueOf('signal.inspect', s, ctx), 'kubectl get signal shell-in-container-7f3a -n shop -o yaml');
  assert.equal(valueOf('rule.name', s, ctx), 'page-on-high');
  assert.equal(valueOf('signal.workload', makeSignal({ pod: null }), ctx), 'host worker-1');
  assert.equal(valueOf('signal.url', s, { ruleName: 'x' }), '');
});

test('shellJoin quotes what a shell would split or expand', () => {
  assert.equal(shellJoin(['ls', '-la', '/tmp/a b', '$(id)', "it's"]), `ls -la '/tmp/a b' '$(id)' 'it'\\''s'`);
});

test('unknown variables are refused when the template is compiled', () => {
  assert.throws(() => compileTemplate('{{signal.rule.id}} {{signal.nope}} {{sig}}'), (e: TemplateError) =>
    e.message === 'template: unknown variables {{signal.nope}}, {{sig}}' && e.unknown.length === 2);
  for (const src of Object.values(DEFAULT_TEMPLATES)) compileTemplate(src);
});

test('each channel has its default; a rule template replaces it', () => {
  const s = makeSignal();
  assert.match(renderSignal(templateFor('email', undefined), 'text', s, ctx), /^shell_in_container \(high\)\n\n- Workload: shop\/web/);
  assert.equal(renderSignal(templateFor('slack', '  '), 'text', s, ctx).split('\n')[0], 'shell_in_container on shop/web-7d9f8b6c4-x2x9z (node worker-1)');
  assert.equal(renderSignal(templateFor('slack', '{{signal.severity}}!'), 'slack', s, ctx), 'high!');
});

test("the chart's example NotificationRule has a template that compiles", () => {
  const example = NotificationRuleSchema.parse(parse(readFileSync(new URL('../../../charts/vigil/examples/notification-rule.yaml', import.meta.url), 'utf8')));
  assert.ok(example.spec.template);
  const out = renderSignal(compileTemplate(example.spec.template), 'slack', makeSignal(), ctx);
  assert.equal(out, '*shell_in_container* on `shop/web-7d9f8b6c4-x2x9z` (worker-1)');
});
