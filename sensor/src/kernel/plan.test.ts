import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EVENT_NAMES, EVENT_TYPES, eventName, tracepointOf, typesOfFamilies } from './event-types.ts';
import { planPrograms } from './plan.ts';

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
});

describe('event types', () => {
  it('maps wire numbers and names both ways, and programs to tracepoints', () => {
    for (const n of EVENT_NAMES) assert.equal(eventName(EVENT_TYPES[n].wire), n);
    assert.equal(eventName(63), undefined);
    assert.equal(tracepointOf('x_openat'), 'syscalls/sys_exit_openat');
    assert.equal(tracepointOf('tp_exec'), undefined);
    assert.deepEqual(typesOfFamilies(['process']), ['exec', 'fork', 'exit']);
  });
});
