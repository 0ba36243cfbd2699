import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planPasses } from './approvers.ts';
import type { SeclEvent } from './event.ts';
import { event, file, openEvent, proc, Rand, randomEvent } from './fixtures.ts';
import { compileRuleset } from './ruleset.ts';
import type { RuleSource } from './types.ts';

const RULES: RuleSource[] = [
  { id: 'shadow', expression: 'open.file.path in ["/etc/shadow", "/etc/gshadow"] && open.flags & (O_WRONLY|O_RDWR) > 0' },
  { id: 'pam', expression: 'open.file.path =~ "/etc/pam.d/**" && process.file.name != "apt"' },
  { id: 'keys', expression: 'open.file.path in [~"/home/*/.ssh/authorized_keys", ~"/root/.ssh/*"]' },
  { id: 'creat', expression: 'open.flags & O_CREAT > 0 && process.file.path in ["/usr/bin/curl", "/usr/bin/wget"]' },
  { id: 'trunc', expression: 'open.flags & O_TRUNC > 0 && process.uid == 0' },
  { id: 'shell', expression: 'exec.file.path in ["/bin/bash", "/bin/sh"] && process.tty_name != ""' },
  { id: 'miner', expression: 'exec.file.name == "xmrig" || exec.args in [~"*stratum+tcp*"]' },
  { id: 'unlink', expression: 'unlink.file.name == "passwd" || unlink.file.path =~ "/var/log/**"' },
  { id: 'rename', expression: 'rename.file.destination.path == "/etc/passwd" || rename.file.path =~ "/etc/cron.d/*"' },
  { id: 'chmod', expression: 'chmod.file.destination.mode & S_ISUID > 0 && chmod.file.path =~ "/tmp/*"' },
  { id: 'dns', expression: 'dns.question.name == "pastebin.com"' },
  { id: 'conn', expression: 'connect.addr.port == 4444' },
  { id: 'anc', expression: 'open.file.name == "environ" && process.ancestors.file.name == "bash"' },
  { id: 'var', expression: 'exec.file.name == "id" && ${process.seen}', actions: [{ set: { name: 'seen', scope: 'process', value: true } }] },
  { id: 'tmp', expression: 'chmod.file.name =~ "*.sh"' },
];

function assertSuperset(rs: ReturnType<typeof compileRuleset>, seed: number): void {
  const plan = rs.filterPlan();
  const r = new Rand(seed);
  let matched = 0;
  for (let i = 0; i < 20000; i++) {
    const ev = randomEvent(r);
    if (rs.evaluate(ev).length > 0) {
      matched++;
      assert.ok(planPasses(plan, ev), `plan drops a matching event: ${JSON.stringify(ev).slice(0, 300)}`);
    }
  }
  assert.ok(matched > 100, `only ${matched} random events matched: the property test is too weak`);
}

describe('kernel filter plan', () => {
  const rs = compileRuleset({ rules: RULES });
  const plan = rs.filterPlan();

  it('derives approvers per event type', () => {
    assert.deepEqual(rs.errors, []);
    assert.deepEqual(plan.open, {
      mode: 'approvers',
      basenames: ['authorized_keys', 'environ', 'gshadow', 'shadow'],
      pathPrefixes: ['/etc/pam.d/', '/root/.ssh/'],
      executables: ['curl', 'wget'],
      openFlags: 0o1000,
      // shadow: only opens for writing; creat: only creating opens by curl/wget
      requiredFlags: { basenames: { gshadow: 3, shadow: 3 }, executables: { curl: 0o100, wget: 0o100 } },
    });
    assert.deepEqual(plan.unlink?.basenames, ['passwd']);
    assert.deepEqual(plan.unlink?.pathPrefixes, ['/var/log/']);
    assert.deepEqual(plan.rename?.basenames, ['passwd']);
    assert.deepEqual(plan.rename?.pathPrefixes, ['/etc/cron.d/']);
  });
  it('passes all events of a type when a rule cannot be approved', () => {
    assert.equal(plan.exec?.mode, 'all'); // miner: args pattern
    assert.equal(plan.dns?.mode, 'all');
    assert.equal(plan.connect?.mode, 'all');
    assert.equal(plan.chmod?.mode, 'all'); // tmp: name pattern
  });
  it('drops event types no rule needs', () => assert.equal(plan.ptrace?.mode, 'none'));
  it('uses executables for the acting process', () => {
    const p = compileRuleset({ rules: RULES.filter((x) => x.id === 'shell') }).filterPlan();
    assert.deepEqual(p.exec, { mode: 'approvers', basenames: [], pathPrefixes: [], executables: ['bash', 'sh'], openFlags: 0, requiredFlags: {} });
  });
  it('lets through an event matching each kind of approver', () => {
    assert.ok(planPasses(plan, openEvent('/etc/shadow', 1)));
    assert.ok(planPasses(plan, openEvent('/etc/pam.d/sshd', 0)));
    assert.ok(planPasses(plan, openEvent('/x/y', 0o1000)));
    assert.ok(planPasses(plan, openEvent('/x/y', 0o100, proc('/usr/bin/wget'))));
    assert.ok(!planPasses(plan, openEvent('/usr/lib/libc.so', 0)));
  });
  it('keeps the flags a rule asks for on the approver it chose', () => {
    assert.ok(!planPasses(plan, openEvent('/etc/shadow', 0)), 'a read of /etc/shadow matches no rule');
    assert.ok(!planPasses(plan, openEvent('/x/y', 0, proc('/usr/bin/curl'))), 'curl reading matches no rule');
    assert.ok(planPasses(plan, openEvent('/x/y', 0o100, proc('/usr/bin/curl'))));
    const p = compileRuleset({
      rules: [
        { id: 'create', expression: 'open.file.path =~ "/etc/**" && open.flags & O_CREAT > 0' },
        { id: 'write', expression: 'open.flags & (O_WRONLY|O_RDWR) > 0 && open.file.path =~ "/etc/pam.d/*"' },
        { id: 'read', expression: 'open.file.path =~ "/etc/ssh/*"' },
        { id: 'nested', expression: 'open.flags & O_TRUNC > 0 && (open.file.name == "a" || open.file.path == "/etc/b")' },
        { id: 'both', expression: 'open.file.name == "a" && open.flags & O_APPEND > 0' },
      ],
    }).filterPlan().open;
    assert.deepEqual(p?.requiredFlags, { basenames: { a: 0o3000, b: 0o1000 }, pathPrefixes: { '/etc/': 0o100, '/etc/pam.d/': 3 } });
    assert.deepEqual(p?.pathPrefixes, ['/etc/', '/etc/pam.d/', '/etc/ssh/']);
    const passes = (path: string, flags: number): boolean => planPasses({ open: p }, openEvent(path, flags));
    assert.ok(!passes('/etc/passwd', 0));
    assert.ok(passes('/etc/passwd', 0o100));
    assert.ok(passes('/etc/ssh/sshd_config', 0));
    assert.ok(!passes('/etc/pam.d/sshd', 0));
    assert.ok(passes('/etc/pam.d/sshd', 0o100), 'the covering /etc/ approves creating it');
    assert.ok(passes('/etc/pam.d/sshd', 1));
    assert.ok(!passes('/x/a', 0));
    assert.ok(passes('/x/a', 0o2000));
  });

  it('is a superset of the rules: every matching random event passes (property)', () => assertSuperset(rs, 42));
  it('is a superset with flags on the approvers (property)', () =>
    assertSuperset(
      compileRuleset({
        rules: [
          { id: 'w', expression: 'open.file.path =~ "/etc/**" && open.flags & (O_WRONLY|O_RDWR) > 0' },
          { id: 'c', expression: '(open.flags & O_CREAT > 0 && open.file.name in ["a", "passwd"]) || open.file.path =~ "/etc/ssh/*"' },
          { id: 't', expression: 'open.flags & O_TRUNC > 0 && process.file.name == "bash"' },
          { id: 'r', expression: 'open.file.path =~ "/tmp/*" && open.flags & O_CREAT > 0 && open.flags & O_WRONLY > 0' },
          { id: 'u', expression: 'open.file.name == "passwd" && process.uid == 0' },
          { id: 'x', expression: 'open.file.name == "environ" && process.file.name == "cat"' },
          { id: 'm', expression: 'open.file.path =~ "/tmp/*" && (open.flags & O_CREAT > 0 || process.file.name == "bash")' },
        ],
      }),
      9,
    ));
});

describe('discarders', () => {
  // Without the open rules that hold on any file, most files become discarders.
  const rs = compileRuleset({ rules: RULES.filter((x) => x.id !== 'creat' && x.id !== 'trunc') });
  it('discards a file no rule can match, whatever the process', () => {
    assert.equal(rs.isDiscarder(openEvent('/usr/lib/libc.so', 0)), true);
    assert.equal(rs.isDiscarder(openEvent('/etc/shadow', 0)), false); // flags could differ
    assert.equal(rs.isDiscarder(openEvent('/x/environ', 0)), false); // depends on ancestors
  });
  it('never discards where a rule does not depend on the file', () => {
    assert.equal(compileRuleset({ rules: RULES }).isDiscarder(openEvent('/usr/lib/libc.so', 0)), false);
  });
  it('never discards on types without file discarders', () => {
    assert.equal(rs.isDiscarder(event('dns', proc('/bin/x'), { id: 1, question: { name: 'a', type: 1, class: 1, count: 1, length: 1 } })), false);
  });
  it('is sound: no variation of a discarded event matches (property)', () => {
    const r = new Rand(7);
    let discarded = 0;
    for (let i = 0; i < 5000; i++) {
      const ev = randomEvent(r);
      if (!rs.isDiscarder(ev)) continue;
      discarded++;
      for (let k = 0; k < 5; k++) {
        const other = randomEvent(r);
        if (other.type !== ev.type) continue;
        const variant: SeclEvent = { ...other, [ev.type]: { ...(other as unknown as Record<string, object>)[ev.type], file: (ev as unknown as Record<string, { file: object }>)[ev.type]?.file } };
        assert.deepEqual(rs.evaluate(variant), [], `discarded ${JSON.stringify((ev as unknown as Record<string, { file: unknown }>)[ev.type]?.file)}`);
      }
    }
    assert.ok(discarded > 100);
  });
  it('keeps rules on variables undecided', () => {
    const v = compileRuleset({ rules: [{ id: 'v', expression: 'unlink.file.name == ${x}', actions: [{ set: { name: 'x', value: 'a' } }] }] });
    assert.equal(v.isDiscarder(event('unlink', proc('/bin/rm'), { file: file('/tmp/b'), flags: 0, retval: 0 })), false);
  });
});

it('an xattr name is not a file basename: the kernel passes every setxattr for such a rule', () => {
  const rs = compileRuleset({ rules: [{ id: 'caps', expression: 'setxattr.file.destination.name == "security.capability"' }] });
  assert.equal(rs.filterPlan().setxattr?.mode, 'all');
  const rn = compileRuleset({ rules: [{ id: 'mv', expression: 'rename.file.destination.name == "authorized_keys"' }] });
  assert.deepEqual(rn.filterPlan().rename?.basenames, ['authorized_keys']);
});
