import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NativeSensor } from '../native/addon.ts';
import { DropCause, EventType } from '../wire/wire.generated.ts';
import { diffStats, dropCauseName, readKernelStats } from './stats.ts';

/** A per-CPU value buffer: two CPUs, each slot the given u64 fields. */
function perCpu(...slots: number[][]): Buffer {
  const width = ((slots[0]?.length ?? 1) * 8 + 7) & ~7;
  const b = Buffer.alloc(width * slots.length);
  slots.forEach((fields, cpu) => fields.forEach((v, i) => b.writeBigUInt64LE(BigInt(v), cpu * width + i * 8)));
  return b;
}

describe('kernel stats', () => {
  it('sums the per-CPU slots of every type and cause', () => {
    const fake = {
      mapLookup: (map: string, key: Buffer) => {
        const k = key.readUInt32LE(0);
        if (map === 'stats') return k === EventType.EVENT_OPEN ? perCpu([10, 4, 5, 1, 0], [20, 6, 13, 0, 1]) : null;
        return k === DropCause.DROP_RINGBUF_FULL ? perCpu([2], [3]) : perCpu([0], [0]);
      },
    } as unknown as NativeSensor;
    const st = readKernelStats(fake, ['open', 'exec']);
    assert.deepEqual(st.types.open, { seen: 30, sent: 10, filtered: 18, discarded: 1, lost: 1 });
    assert.equal(st.types.exec, undefined);
    assert.equal(st.drops.ringbuf_full, 5);
    assert.equal(st.drops.path_truncated, 0);
    assert.equal(dropCauseName('DROP_NO_TASK_FILE'), 'no_task_file');
  });

  it('subtracts two readings', () => {
    const zero = { seen: 0, sent: 0, filtered: 0, discarded: 0, lost: 0 };
    const drops = Object.fromEntries(Object.keys(DropCause).filter((k) => k !== 'DROP_CAUSE_MAX').map((k) => [dropCauseName(k), 1])) as ReturnType<typeof readKernelStats>['drops'];
    const a = { types: { open: { ...zero, seen: 5 } }, drops };
    const b = { types: { open: { ...zero, seen: 9, sent: 2 } }, drops: { ...drops, ringbuf_full: 4 } };
    const d = diffStats(a, b);
    assert.deepEqual(d.types.open, { ...zero, seen: 4, sent: 2 });
    assert.equal(d.drops.ringbuf_full, 3);
    assert.equal(d.drops.path_error, 0);
  });
});
