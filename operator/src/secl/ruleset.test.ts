import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dnsEvent, event, execEvent, file, NOW, openEvent, proc } from './fixtures.ts';
import { checkRules, compileRuleset, evaluateFilter } from './ruleset.ts';
import type { MacroSource, RuleSource } from './types.ts';
import type { SeclEvent } from './event.ts';

const MACROS: MacroSource[] = [
  { id: 'SHELLS', values: ['/bin/bash', '/bin/sh'] },
  { id: 'WRITE', expression: 'O_CREAT|O_TRUNC|O_APPEND|O_RDWR|O_WRONLY' },
  { id: 'IN_CONTAINER', expression: 'process.container.id != ""' },
];

/** Does `expression` match `ev`? Throws on a compile error. */
function matches(expression: string, ev: SeclEvent, macros: MacroSource[] = MACROS): boolean {
  const rs = compileRuleset({ rules: [{ id: 'r', expression }], macros });
  if (rs.errors[0]) throw rs.errors[0].error;
  return rs.evaluate(ev).length === 1;
}

const shell = execEvent('/bin/bash', ['-i', '-c', 'id', '--login', '-T', '8', '--width=3'], proc('/usr/sbin/sshd', [], { pid: 10 }));

describe('evaluation: operators', () => {
  it('== and != on strings, ints and booleans', () => {
    assert.ok(matches('exec.file.path == "/bin/bash"', shell));
    assert.ok(!matches('exec.file.path != "/bin/bash"', shell));
    assert.ok(matches('exec.pid == 100 && process.uid != 5', shell));
    assert.ok(matches('exec.file.in_upper_layer == false', shell));
  });
  it('< <= > >= on integers', () => {
    for (const [e, want] of [['exec.pid > 99', true], ['exec.pid >= 100', true], ['exec.pid < 100', false], ['exec.pid <= 100', true]] as const) {
      assert.equal(matches(e, shell), want, e);
    }
  });
  it('=~ and !~ with patterns, strings (as patterns) and regexes', () => {
    assert.ok(matches('exec.file.name =~ "ba*"', shell));
    assert.ok(matches('exec.file.name =~ ~"*sh"', shell));
    assert.ok(matches('exec.file.name =~ r"^ba.h$"', shell));
    assert.ok(matches('exec.file.name !~ "zsh*"', shell));
    assert.ok(matches('exec.file.name == ~"b*"', shell));
  });
  it('path fields use globs: * stops at /', () => {
    assert.ok(matches('exec.file.path =~ "/bin/*"', shell));
    assert.ok(!matches('exec.file.path =~ "/*"', shell));
    assert.ok(matches('exec.file.path =~ "/**"', shell));
    assert.ok(matches('exec.comm =~ "*"', shell));
  });
  it('in, not in and allin with literal lists, macros and patterns', () => {
    assert.ok(matches('exec.file.path in SHELLS', shell));
    assert.ok(matches('exec.file.name in ["zsh", ~"ba*"]', shell));
    assert.ok(matches('exec.file.name not in ["zsh", "dash"]', shell));
    assert.ok(matches('exec.args_flags allin ["i", "c", "login", "T"]', shell));
    assert.ok(!matches('exec.args_flags allin ["i"]', shell));
  });
  it('list fields: == means some element, != and not in mean none', () => {
    assert.ok(matches('exec.argv == "id"', shell));
    assert.ok(!matches('exec.argv != "id"', shell));
    assert.ok(matches('"id" in exec.argv', shell));
    assert.ok(matches('exec.args_flags in ["i"] && exec.args_flags not in ["x"]', shell));
  });
  it('derives args, flags and options as Datadog does', () => {
    assert.ok(matches('exec.args == "-i -c id --login -T 8 --width=3"', shell));
    assert.ok(matches('exec.args_options in ["T=8"] && exec.args_options in ["width=3"]', shell));
    assert.ok(matches('exec.args_flags in ["login"]', shell));
  });
  it('bitwise & | ^ and unary - ^ on integers', () => {
    const ev = openEvent('/etc/shadow', 0o1101);
    assert.ok(matches('open.flags & O_CREAT > 0', ev));
    assert.ok(matches('open.flags & WRITE > 0', ev));
    assert.ok(matches('open.flags & (O_RDWR|O_WRONLY) == O_WRONLY', ev));
    assert.ok(matches('open.flags ^ O_WRONLY == 576', ev));
    assert.ok(matches('-open.retval == -3 && ^0 == -1', ev));
    assert.ok(matches('exec.pid + 1 - 2 == 99', shell));
  });
  it('handles 64-bit capability masks', () => {
    const ev = execEvent('/bin/x', [], undefined, { cap_permitted: 2 ** 39 + 2 ** 21 });
    assert.ok(matches('exec.cap_permitted & CAP_BPF > 0 && process.cap_permitted & CAP_SYS_ADMIN != 0', ev));
    assert.ok(!matches('exec.cap_permitted & CAP_NET_RAW > 0', ev));
  });
  it('compares ages with durations', () => {
    const ev = execEvent('/bin/x', [], undefined, { created_at: NOW - 120e9 });
    assert.ok(matches('exec.created_at > 90s && process.created_at < 3m', ev));
    assert.ok(!matches('exec.created_at < 1m', ev));
  });
  it('matches IPs against addresses and CIDRs', () => {
    const ev = event('connect', proc('/usr/bin/ssh'), { addr: { ip: '10.1.2.3', port: 22, family: 2, hostname: 'Git.Example.com' }, protocol: 6, retval: 0 });
    assert.ok(matches('connect.addr.ip in 10.0.0.0/8', ev));
    assert.ok(matches('connect.addr.ip == 10.1.2.3 && connect.addr.ip not in [127.0.0.0/8, ::1/128]', ev));
    assert.ok(!matches('connect.addr.is_public', ev));
    assert.ok(matches('connect.addr.hostname == "git.example.COM"', ev));
  });
  it('compares DNS names case-insensitively', () => {
    assert.ok(matches('dns.question.name in ["pastebin.com"] && dns.question.type == TXT', dnsEvent('PasteBin.com', 16)));
  });
  it('compares a field with another field', () => {
    const ev = event('unlink', proc('/tmp/x'), { file: file('/tmp/x'), flags: 0, retval: 0 });
    assert.ok(matches('unlink.file.path == process.file.path', ev));
  });
  it('reads constants event.origin and friends', () => {
    assert.ok(matches('exec.file.name != "" && event.origin == "ebpf" && event.os == "linux"', shell));
  });
});

describe('evaluation: iterators', () => {
  const deep = execEvent('/bin/sh', [], proc('/usr/bin/git', ['clone', '--recursive', 'u'], { ancestors: [proc('/usr/bin/make', ['all'])] }));
  it('process.ancestors.* holds when some ancestor matches', () => {
    assert.ok(matches('exec.comm == "sh" && process.ancestors.file.name == "make"', deep));
    assert.ok(matches('exec.comm == "sh" && process.ancestors.file.path not in ["/usr/bin/apt"]', deep));
    assert.ok(!matches('exec.comm == "sh" && process.ancestors.file.name != "make"', deep));
    assert.ok(matches('exec.comm == "sh" && process.parent.file.name == "git"', deep));
  });
  it('registers bind one ancestor across conditions', () => {
    assert.ok(matches('exec.comm == "sh" && process.ancestors[A].comm == "git" && process.ancestors[A].argv in ["clone"]', deep));
    assert.ok(!matches('exec.comm == "sh" && process.ancestors[A].comm == "make" && process.ancestors[A].argv in ["clone"]', deep));
  });
});

describe('rulesets', () => {
  const rules: RuleSource[] = [
    { id: 'shell', expression: 'exec.file.path in SHELLS && process.parent.file.name == "sshd"', severity: 'high', tags: { technique: 'T1059' } },
    { id: 'shadow_write', expression: 'open.file.path == "/etc/shadow" && open.flags & WRITE > 0', actions: [{ kill: { signal: 'SIGKILL' } }] },
    { id: 'broken', expression: 'exec.file.path ==' },
    { id: 'typo', expression: 'exec.file.pth == "x"' },
    { id: 'off', expression: 'exec.file.name == "x"', disabled: true },
    { id: 'windows', expression: 'exec.file.name == "cmd.exe"', filters: ['os == "windows"'] },
  ];
  const rs = compileRuleset({ rules, macros: MACROS });

  it('loads the good rules, reports the bad ones, skips disabled and filtered rules', () => {
    assert.deepEqual(rs.rules.map((r) => r.id), ['shell', 'shadow_write']);
    assert.deepEqual(rs.errors.map((e) => [e.id, e.error.code]), [['broken', 'unexpected_end'], ['typo', 'unknown_field']]);
    assert.deepEqual(rs.skipped.map((s) => s.id), ['off', 'windows']);
    assert.deepEqual(rs.eventTypes(), ['exec', 'open']);
  });
  it('evaluates only the bucket of the event type and returns rule info and actions', () => {
    const [m] = rs.evaluate(shell);
    assert.equal(m?.ruleId, 'shell');
    assert.equal(m?.rule.severity, 'high');
    assert.deepEqual(rs.evaluate(openEvent('/etc/shadow', 1))[0]?.actions, [{ kind: 'kill', signal: 9, signalName: 'SIGKILL', scope: 'process' }]);
    assert.deepEqual(rs.evaluate(openEvent('/etc/shadow', 0)), []);
    assert.deepEqual(rs.evaluate(dnsEvent('x')), []);
  });
  it('rate-limits a rule with every', () => {
    const r = compileRuleset({ rules: [{ id: 'e', expression: 'exec.file.name == "bash"', every: '10s' }] });
    const at = (t: number): SeclEvent => ({ ...shell, timestamp: NOW + t * 1e9 });
    assert.deepEqual([0, 1, 9, 10, 11, 25].map((t) => r.evaluate(at(t)).length), [1, 0, 0, 1, 0, 1]);
    assert.equal(r.stats().rateLimited.e, 3);
  });
  it('sets and reads variables with scope, append and filters', () => {
    const r = compileRuleset({
      rules: [
        { id: 'mark', expression: 'exec.file.name == "curl"', actions: [
          { set: { name: 'seen', scope: 'cgroup', field: 'process.file.path', append: true } },
          { filter: 'process.uid == 0', set: { name: 'root', value: true, scope: 'process', inherited: true } },
          { set: { name: 'count', scope: 'cgroup', expression: '${cgroup.count} + 1', default_value: 0 } },
        ] },
        { id: 'second', expression: 'exec.file.name == "curl" && "/usr/bin/curl" in ${cgroup.seen} && ${cgroup.count} >= 2' },
        { id: 'child', expression: 'exec.file.name == "id" && ${process.root}' },
      ],
    });
    assert.deepEqual(r.errors, []);
    const cg = { cgroup: { id: '/pod1', inode: 1, version: 2 } };
    const curl = execEvent('/usr/bin/curl', [], undefined, cg);
    assert.deepEqual(r.evaluate(curl).map((m) => m.ruleId), ['mark']);
    assert.deepEqual(r.evaluate(curl).map((m) => m.ruleId), ['mark', 'second']);
    assert.deepEqual(r.evaluate(execEvent('/usr/bin/id', [], curl.process, cg)).map((m) => m.ruleId), ['child']);
  });
  it('reports unknown variables and conflicting declarations', () => {
    const res = checkRules([
      { id: 'a', expression: 'exec.file.name == ${nope}' },
      { id: 'b', expression: 'exec.file.name == "x"', actions: [{ set: { name: 'v', value: 1 } }] },
      { id: 'c', expression: 'exec.file.name == "y"', actions: [{ set: { name: 'v', value: 'text' } }] },
    ], []);
    assert.deepEqual(res.map((x) => (x.ok ? 'ok' : x.error.code)), ['unknown_variable', 'ok', 'invalid_action']);
  });
  it('checks actions: signals, filters, kinds', () => {
    const res = checkRules([
      { id: 'a', expression: 'exec.file.name == "x"', actions: [{ kill: { signal: 'SIGNOPE' } }] },
      { id: 'b', expression: 'exec.file.name == "x"', actions: [{ filter: 'open.flags > 0', kill: { signal: 'SIGKILL' } }] },
      { id: 'c', expression: 'exec.file.name == "x"', actions: [{}] },
      { id: 'd', expression: 'exec.file.name == "x"', every: 'soon' },
    ], []);
    assert.deepEqual(res.map((x) => (x.ok ? 'ok' : x.error.code)), ['invalid_action', 'multiple_event_types', 'invalid_action', 'invalid_duration']);
  });
  it('reports missing macros distinctly, all of them', () => {
    const [r] = checkRules([{ id: 'm', expression: 'exec.file.name in SHELL_NAMES && exec.file.path not in OTHER && SHELL_NAMES' }], []);
    assert.equal(r?.ok, false);
    if (r && !r.ok) {
      assert.equal(r.error.code, 'unknown_macro');
      assert.deepEqual(r.missingMacros, ['SHELL_NAMES', 'OTHER']);
      assert.equal(r.error.col, 19);
    }
  });
  it('evaluates Datadog rule filters in three-valued logic', () => {
    assert.equal(evaluateFilter('os == "linux"', { os: 'linux' }), true);
    assert.equal(evaluateFilter('os == "windows"', { os: 'linux' }), false);
    assert.equal(evaluateFilter('kernel.version.major >= 5 && os == "linux"', { os: 'linux' }), null);
    assert.equal(evaluateFilter('kernel.version.major >= 5', { os: 'linux', kernel: { major: 6, minor: 1, patch: 0 } }), true);
    assert.throws(() => evaluateFilter('arch == "x"', { os: 'linux' }));
  });
  it('forgets process variables when the process exits', () => {
    const r = compileRuleset({ rules: [
      { id: 's', expression: 'exec.file.name == "a"', actions: [{ set: { name: 'x', scope: 'process', value: 1 } }] },
      { id: 'e', expression: 'exit.cause == EXITED && ${process.x} == 1' },
    ] });
    const p = proc('/bin/a');
    r.evaluate(event('exec', p));
    assert.equal(r.evaluate(event('exit', p, { cause: 0, code: 0 })).length, 1);
    assert.equal(r.evaluate(event('exit', p, { cause: 0, code: 0 })).length, 0);
  });
});
