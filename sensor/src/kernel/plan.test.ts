import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EVENT_NAMES, EVENT_TYPES, eventName, hookOf, tracepointOf, typesOfFamilies } from './event-types.ts';
import { notApplicableRules, planPrograms, unavailableTypes } from './plan.ts';

describe('planPrograms', () => {
  it('loads every program of the wanted types once, in a stable order', () => {
    const p = planPrograms(['open', 'unlink', 'rmdir', 'exec'], () => true);
    assert.deepEqual(p.programs, ['tp_exec', 'x_creat', 'x_open', 'x_openat', 'x_openat2', 'x_rmdir', 'x_unlink', 'x_unlinkat']);
    assert.deepEqual(p.skipped, []);
  });

  it('skips programs whose tracepoint the kernel lacks, never the raw tracepoints', () => {
    const p = planPrograms(['chmod', 'exit'], (tp) => tp !== 'syscalls/sys_exit_fchmodat2');
    assert.ok(!p.programs.includes('x_fchmodat2'));
    assert.ok(p.programs.includes('tp_exit'));
    assert.deepEqual(p.skipped, [{ program: 'x_fchmodat2', tracepoint: 'syscalls/sys_exit_fchmodat2' }]);
  });

  it('names the types no program of which can run: module loading without CONFIG_MODULES', () => {
    const noModules = (hook: string): boolean => !/_(init|finit|delete)_module$/.test(hook);
    const p = planPrograms(['load_module', 'unload_module', 'chmod', 'ptrace'], (h) => noModules(h) && h !== 'syscalls/sys_exit_fchmodat2');
    assert.deepEqual(p.programs, ['x_chmod', 'x_fchmod', 'x_fchmodat', 'x_ptrace']);
    assert.deepEqual(
      [...unavailableTypes(p)],
      [
        ['load_module', ['syscalls/sys_exit_init_module', 'syscalls/sys_exit_finit_module']],
        ['unload_module', ['syscalls/sys_exit_delete_module']],
      ],
    );
  });

  it('reports the rules of such types as not applicable, the others not at all', () => {
    const p = planPrograms(['load_module', 'ptrace', 'exec'], (h) => !h.endsWith('_module'));
    const rules = [
      { id: 'kmod', eventType: 'load_module' },
      { id: 'tracer', eventType: 'ptrace' },
      { id: 'shell', eventType: 'exec' },
    ];
    assert.deepEqual(notApplicableRules(rules, p), [
      { rule: 'kmod', message: 'not applicable on this kernel: tracepoint syscalls/sys_exit_init_module, syscalls/sys_exit_finit_module missing' },
    ]);
    assert.equal(notApplicableRules(Array.from({ length: 300 }, (_, i) => ({ id: `k${i}`, eventType: 'load_module' })), p).length, 256);
  });

  it('skips the DNS programs where there is no cgroup2 hierarchy to attach them to', () => {
    const p = planPrograms(['dns', 'dns_response', 'connect'], (h) => !h.startsWith('cgroup_skb/'));
    assert.deepEqual(p.programs, ['x_connect']);
    assert.deepEqual([...unavailableTypes(p).keys()], ['dns', 'dns_response']);
  });
});

describe('event types', () => {
  it('maps wire numbers and names both ways, and programs to tracepoints', () => {
    for (const n of EVENT_NAMES) assert.equal(eventName(EVENT_TYPES[n].wire), n);
    assert.equal(eventName(63), undefined);
    assert.equal(tracepointOf('x_openat'), 'syscalls/sys_exit_openat');
    assert.equal(tracepointOf('tp_exec'), undefined);
    assert.deepEqual(typesOfFamilies(['process']), ['exec', 'fork', 'exit']);
    assert.deepEqual(typesOfFamilies(['network']), ['connect', 'accept', 'bind']);
    assert.equal(hookOf('sk_dns_egress'), 'cgroup_skb/egress');
    assert.equal(hookOf('sk_dns_ingress'), 'cgroup_skb/ingress');
    assert.equal(hookOf('x_umount'), 'syscalls/sys_exit_umount');
  });

  it('keeps every family in its wire range, and every type below the map size', () => {
    const ranges = { process: [1, 15], file: [16, 31], dns: [32, 47], network: [32, 47], kernel: [48, 63] } as const;
    for (const n of EVENT_NAMES) {
      const { wire, family } = EVENT_TYPES[n];
      const [lo, hi] = ranges[family];
      assert.ok(wire >= lo && wire <= hi, `${n}: ${wire} outside ${family} ${lo}-${hi}`);
    }
  });
});
