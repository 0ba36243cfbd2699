import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkExpression, macroTable, nearestFields, type CheckEnv } from './checker.ts';
import { SeclError } from './errors.ts';

const env: CheckEnv = {
  macros: macroTable([
    { id: 'SHELLS', values: ['bash', 'sh'] },
    { id: 'PORTS', expression: '[22, 80]' },
    { id: 'LOOP_A', expression: 'LOOP_B' },
    { id: 'LOOP_B', expression: 'LOOP_A && exec.file.name == "x"' },
    { id: 'BROKEN', expression: 'exec.file.name ==' },
    { id: 'BAD_TYPE', expression: 'exec.file.name == 1' },
  ]),
  variables: new Map([['process.n', { ref: 'process.n', scope: 'process', type: 'int', array: false }]]),
};

function err(src: string): SeclError {
  try {
    checkExpression(src, env);
  } catch (e) {
    if (e instanceof SeclError) return e;
    throw e;
  }
  assert.fail(`expected ${src} to fail`);
}

describe('checker', () => {
  it('infers the event type from the fields', () => {
    assert.equal(checkExpression('exec.file.name in SHELLS && process.uid == 0', env).eventType, 'exec');
    assert.equal(checkExpression('open.flags & O_CREAT > 0', env).eventType, 'open');
    assert.equal(checkExpression('process.uid == 0', env).eventType, undefined);
  });
  it('refuses two event types in one rule, pointing at the second', () => {
    const e = err('exec.file.name == "a" && open.file.name == "b"');
    assert.equal(e.code, 'multiple_event_types');
    assert.equal(e.col, 26);
    assert.match(e.reason, /exec .*open/);
  });
  it('names unknown fields and suggests the nearest known ones', () => {
    const e = err('exec.file.pth == "x"');
    assert.equal(e.code, 'unknown_field');
    assert.match(e.reason, /unknown field exec\.file\.pth; did you mean exec\.file\.path/);
    assert.ok(nearestFields('process.comn').includes('process.comm'));
  });
  it('refuses Datadog fields Vigil does not provide with "not supported yet"', () => {
    for (const f of ['imds.url == "x"', 'exec.user_session.k8s_username == "x"', 'open.file.hashes == "x"', 'open.syscall.path == "x"']) {
      const e = err(f);
      assert.equal(e.code, 'unsupported_field', f);
      assert.match(e.reason, /not supported yet/);
    }
  });
  it('type-checks operators', () => {
    const cases: [string, string][] = [
      ['exec.file.name == 1', 'type_mismatch'],
      ['exec.pid == "1"', 'type_mismatch'],
      ['exec.file.name < "b"', 'invalid_operator'],
      ['exec.file.name =~ exec.comm', 'invalid_operator'],
      ['exec.pid =~ "x"', 'type_mismatch'],
      ['exec.pid in ["a"]', 'type_mismatch'],
      ['exec.pid in [~"a*"]', 'type_mismatch'],
      ['exec.file.name in ["a", 1]', 'type_mismatch'],
      ['!exec.pid', 'type_mismatch'],
      ['exec.pid && exec.uid == 0', 'type_mismatch'],
      ['exec.file.name & 1 > 0', 'type_mismatch'],
      ['exec.pid > 10s', 'type_mismatch'],
      ['exec.argv == exec.envs', 'type_mismatch'],
      ['exec.file.name == ~"a" == ~"b"', 'type_mismatch'],
      ['exec.pid in exec.comm', 'type_mismatch'],
      ['connect.addr.ip > 1.2.3.4', 'invalid_operator'],
      ['exec.file.name == r"("', 'invalid_regex'],
    ];
    for (const [src, code] of cases) assert.equal(err(src).code, code, src);
  });
  it('accepts durations against timestamps and CIDRs against IPs', () => {
    checkExpression('container.created_at > 90s && exec.file.change_time < 30s', env);
    checkExpression('connect.addr.ip in [10.0.0.0/8, 1.2.3.4] && connect.addr.ip != ::1', env);
  });
  it('expands macros: lists and expressions, positions at the use site', () => {
    assert.deepEqual([...checkExpression('connect.addr.hostname in SHELLS && connect.addr.port in PORTS', env).fields], ['connect.addr.hostname', 'connect.addr.port']);
    const e = err('exec.pid in SHELLS');
    assert.equal(e.code, 'type_mismatch');
    assert.equal(e.col, 10);
  });
  it('detects macro cycles', () => {
    const e = err('exec.file.name == "a" && LOOP_A');
    assert.equal(e.code, 'macro_cycle');
    assert.match(e.reason, /LOOP_A -> LOOP_B -> LOOP_A/);
  });
  it('reports invalid macros and errors inside macro bodies by macro name', () => {
    assert.equal(err('exec.file.name == "a" && BROKEN').code, 'invalid_macro');
    const e = err('BAD_TYPE');
    assert.equal(e.source, 'macro BAD_TYPE');
    assert.match(e.message, /^macro BAD_TYPE: cannot compare/);
  });
  it('resolves variables: declared, builtin, interpolated; refuses unknown ones', () => {
    checkExpression('exec.pid == ${process.n} && exec.file.path == "/proc/${process.pid}/maps"', env);
    assert.equal(err('exec.pid == ${process.m}').code, 'unknown_variable');
  });
  it('validates registers', () => {
    checkExpression('process.ancestors[A].comm == "git" && process.ancestors[A].argv in ["clone"] && exec.comm == "x"', env);
    assert.equal(err('process.parent[A].comm == "x"').code, 'invalid_register');
    assert.equal(err('process[.comm == "x"').code, 'invalid_register');
  });
  it('folds constant integer expressions', () => {
    const { node } = checkExpression('open.flags & (O_RDWR|O_WRONLY) > 0', env);
    assert.ok(node.k === 'cmp' && node.a.k === 'bit' && node.a.b.k === 'const' && node.a.b.value === 3);
  });
});
