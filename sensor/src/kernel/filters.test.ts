import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  APPROVE_EXE,
  APPROVE_FLAGS,
  APPROVE_NAME,
  APPROVE_PREFIX,
  EventType,
  FILTER_APPROVE,
  FILTER_DROP,
  FILTER_PASS,
  USE_DISCARDERS,
  USE_KILL_EXEC,
  NAME_KIND_EXE,
  NAME_KIND_FILE,
  readApprover,
  readTypeFilter,
} from '../wire/wire.generated.ts';
import type { NativeSensor } from '../native/addon.ts';
import { fromSeclPlan, KernelFilters, nameKey, planFilters, prefixKey } from './filters.ts';

const modeOf = (plan: ReturnType<typeof planFilters>, type: number) => {
  const m = plan.modes.find((x) => x.type === type);
  assert.ok(m);
  return readTypeFilter(m.value, 0, 0);
};

describe('planFilters', () => {
  it('drops types not enabled, passes enabled types without a spec, encodes approvers', () => {
    const plan = planFilters(
      { open: { mode: 'approve', basenames: ['shadow'], prefixes: ['/etc/'], exeNames: ['curl'], flagsMask: 0o100, useDiscarders: true } },
      ['open', 'exec'],
    );
    assert.deepEqual(modeOf(plan, EventType.EVENT_OPEN), {
      mode: FILTER_APPROVE,
      approvers: APPROVE_NAME | APPROVE_PREFIX | APPROVE_EXE | APPROVE_FLAGS | USE_DISCARDERS,
      flagsMask: 0o100,
      needFlags: 0,
    });
    assert.equal(modeOf(plan, EventType.EVENT_EXEC).mode, FILTER_PASS);
    assert.equal(modeOf(plan, EventType.EVENT_UNLINK).mode, FILTER_DROP);
    assert.equal(plan.names.length, 2);
    assert.equal(plan.prefixes.length, 1);
    assert.deepEqual(plan.notes, []);
  });

  it('gives each approver the open flags it needs, folding shorter prefixes into the longer ones they cover', () => {
    const requiredFlags = { basenames: { shadow: 3 }, prefixes: { '/etc/': 0o100, '/etc/pam.d/': 3, '/var/log/': 3 }, exeNames: { curl: 0o100 } };
    const spec = { mode: 'approve' as const, basenames: ['shadow', 'passwd'], prefixes: ['/etc/', '/etc/pam.d/', '/etc/ssh/', '/var/', '/var/log/'], exeNames: ['curl'], requiredFlags };
    const plan = planFilters({ open: spec, rename: spec }, ['open', 'rename']);
    const need = (e: { key: Buffer; value: Buffer } | undefined): number => readApprover(e?.value as Buffer, 0, 0).openFlags;
    const prefix = (type: number, p: string) => need(plan.prefixes.find((e) => e.key.equals(prefixKey(type, p).key)));
    const name = (type: number, kind: number, n: string) => need(plan.names.find((e) => e.key.equals(nameKey(type, kind, n) as Buffer)));
    const open = EventType.EVENT_OPEN;
    assert.equal(prefix(open, '/etc/'), 0o100);
    assert.equal(prefix(open, '/etc/pam.d/'), 0o103, 'written under /etc/, or created as anything under /etc/ is');
    assert.equal(prefix(open, '/etc/ssh/'), 0, 'needs nothing itself');
    assert.equal(prefix(open, '/var/log/'), 0, '/var/ covers it and needs nothing');
    assert.equal(name(open, NAME_KIND_FILE, 'shadow'), 3);
    assert.equal(name(open, NAME_KIND_FILE, 'passwd'), 0);
    assert.equal(name(open, NAME_KIND_EXE, 'curl'), 0o100);
    assert.equal(modeOf(plan, open).needFlags, 0o103);
    // other types have no open flags: their approvers need nothing
    const rename = EventType.EVENT_RENAME;
    assert.equal(prefix(rename, '/etc/pam.d/'), 0);
    assert.equal(name(rename, NAME_KIND_FILE, 'shadow'), 0);
    assert.equal(modeOf(plan, rename).needFlags, 0);
  });

  it('merges prefixes that are alike once shortened', () => {
    const a = `/${'a'.repeat(130)}/x`;
    const b = `/${'a'.repeat(130)}/y`;
    const plan = planFilters({ open: { mode: 'approve', prefixes: [a, b], requiredFlags: { prefixes: { [a]: 1 } } } }, ['open']);
    assert.equal(plan.prefixes.length, 1);
    assert.equal(readApprover(plan.prefixes[0]?.value as Buffer, 0, 0).openFlags, 0, 'b needs nothing');
  });

  it('widens rather than narrows: a name too long for a key makes the type pass everything', () => {
    const plan = planFilters({ open: { mode: 'approve', basenames: ['x'.repeat(80)] } }, ['open']);
    assert.equal(modeOf(plan, EventType.EVENT_OPEN).mode, FILTER_PASS);
    assert.equal(plan.names.length, 0);
    assert.equal(plan.notes.length, 1);
  });

  it('plans in-kernel kills on exec whatever the mode', () => {
    const plan = planFilters({ exec: { mode: 'pass', kill: [{ exe: 'xmrig', signal: 9 }] } }, ['exec']);
    assert.equal(modeOf(plan, EventType.EVENT_EXEC).approvers, USE_KILL_EXEC);
    assert.equal(plan.kills.length, 1);
    assert.equal(plan.kills[0]?.key.toString('utf8', 8, 13), 'xmrig');
    assert.equal(plan.kills[0]?.value.readUInt32LE(0), 9);
    assert.equal(plan.kills[0]?.value.readUInt32LE(4), 0, 'scope 0: everywhere');
  });

  it('shortens long prefixes (a shorter prefix matches more)', () => {
    const { key, truncated } = prefixKey(EventType.EVENT_OPEN, `/${'a'.repeat(200)}`);
    assert.equal(truncated, true);
    assert.equal(key.readUInt32LE(0), 32 + 120 * 8);
    assert.equal(key.readUInt32LE(4), EventType.EVENT_OPEN);
    const nk = nameKey(EventType.EVENT_OPEN, 0, 'shadow');
    assert.ok(nk);
    assert.equal(nk.toString('utf8', 8, 14), 'shadow');
    assert.equal(nk[14], 0);
  });
});

describe('KernelFilters', () => {
  it('adds new approvers before switching modes and removes stale ones after', () => {
    const calls: string[] = [];
    const fake = {
      mapUpdate: (map: string) => calls.push(`update ${map}`),
      mapDelete: (map: string) => (calls.push(`delete ${map}`), true),
    } as unknown as NativeSensor;
    const f = new KernelFilters(fake);
    f.apply(planFilters({ open: { mode: 'approve', basenames: ['a'] } }, ['open']));
    calls.length = 0;
    f.apply(planFilters({ open: { mode: 'approve', basenames: ['b'] } }, ['open']));
    assert.deepEqual(calls.slice(0, 2), ['update approve_names', 'update filter_gen']);
    assert.ok(calls.slice(2, -1).every((c) => c === 'update filters'));
    assert.equal(calls[calls.length - 1], 'delete approve_names');
  });

  it('bumps the filter generation after adding a prefix or a name, before switching modes, and only then', () => {
    const calls: string[] = [];
    const gens: bigint[] = [];
    const fake = {
      mapUpdate: (map: string, _key: Buffer, value: Buffer) => {
        calls.push(`update ${map}`);
        if (map === 'filter_gen') gens.push(value.readBigUInt64LE(0));
      },
      mapDelete: (map: string) => (calls.push(`delete ${map}`), true),
    } as unknown as NativeSensor;
    const f = new KernelFilters(fake);
    f.apply(planFilters({ open: { mode: 'approve', prefixes: ['/etc/'] } }, ['open']));
    assert.deepEqual(calls.slice(0, 2), ['update approve_prefix', 'update filter_gen']);
    calls.length = 0;
    f.apply(planFilters({ open: { mode: 'approve', prefixes: ['/etc/'] } }, ['open']));
    assert.ok(!calls.includes('update filter_gen'), 'same prefixes: the remembered refusals stay valid');
    calls.length = 0;
    f.apply(planFilters({ open: { mode: 'approve', prefixes: ['/tmp/'] } }, ['open']));
    assert.deepEqual(calls.slice(0, 2), ['update approve_prefix', 'update filter_gen']);
    assert.equal(calls[calls.length - 1], 'delete approve_prefix');
    calls.length = 0;
    f.apply(planFilters({ open: { mode: 'approve', prefixes: ['/tmp/'], basenames: ['shadow'] } }, ['open']));
    assert.deepEqual(calls.slice(0, 2), ['update approve_names', 'update filter_gen'], 'a new name');
    calls.length = 0;
    const required = (flags: number) => planFilters({ open: { mode: 'approve', prefixes: ['/tmp/'], basenames: ['shadow'], requiredFlags: { prefixes: { '/tmp/': flags } } } }, ['open']);
    f.apply(required(0o100));
    assert.deepEqual(calls.slice(0, 2), ['update approve_prefix', 'update filter_gen'], 'the same prefix needing other flags');
    calls.length = 0;
    f.apply(required(0o100));
    assert.ok(!calls.includes('update approve_prefix') && !calls.includes('update filter_gen'), 'nothing changed');
    assert.equal(gens.length, 4);
    assert.ok((gens[3] as bigint) > (gens[2] as bigint) && (gens[2] as bigint) > (gens[1] as bigint) && (gens[1] as bigint) > (gens[0] as bigint));
  });
});

describe('fromSeclPlan', () => {
  it('turns the rule engine plan into types and filters; process events always flow', () => {
    const none = { basenames: [], pathPrefixes: [], executables: [], openFlags: 0, requiredFlags: {} };
    const { types, spec } = fromSeclPlan({
      open: { ...none, mode: 'approvers', basenames: ['shadow'], openFlags: 0o100 },
      chmod: { ...none, mode: 'all' },
      unlink: { ...none, mode: 'none' },
    });
    assert.deepEqual(types.sort(), ['chmod', 'exec', 'exit', 'fork', 'open', 'truncate']);
    assert.deepEqual(spec.open, { mode: 'approve', basenames: ['shadow'], prefixes: [], exeNames: [], flagsMask: 0o100 });
    assert.deepEqual(spec.truncate, spec.open);
    assert.deepEqual(spec.chmod, { mode: 'pass' });
    const needing = fromSeclPlan({ open: { ...none, mode: 'approvers', pathPrefixes: ['/etc/'], requiredFlags: { pathPrefixes: { '/etc/': 0o100 } } } }).spec;
    assert.deepEqual(needing.open?.requiredFlags, { basenames: undefined, prefixes: { '/etc/': 0o100 }, exeNames: undefined });
    assert.deepEqual(needing.truncate, needing.open);
    assert.equal(spec.fork, undefined);
  });

  it('loads DNS responses with connect (for addr.hostname), and the kernel activity types by their SECL names', () => {
    const none = { basenames: [], pathPrefixes: [], executables: [], openFlags: 0, requiredFlags: {} };
    const { types, spec } = fromSeclPlan({
      connect: { ...none, mode: 'all' },
      dns: { ...none, mode: 'all' },
      ptrace: { ...none, mode: 'approvers', executables: ['gdb'] },
      load_module: { ...none, mode: 'all' },
    });
    assert.deepEqual(types.sort(), ['connect', 'dns', 'dns_response', 'exec', 'exit', 'fork', 'load_module', 'ptrace']);
    assert.deepEqual(spec.ptrace, { mode: 'approve', basenames: [], prefixes: [], exeNames: ['gdb'] });
    assert.equal(spec.dns_response, undefined);
  });
});
