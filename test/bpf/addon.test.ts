// The addon's contract with JS, against the real kernel: typed errors with errno codes,
// one load per object, maps by name, the ring buffer started and stopped cleanly.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BpfError, loadAddon } from '../../sensor/src/native/addon.ts';
import { skipReason } from './helpers.ts';

const skip = skipReason();

describe('sensor addon', { skip: skip ?? false }, () => {
  it('lists the programs, loads a chosen few, and refuses a second load', () => {
    const addon = loadAddon();
    const s = new addon.Sensor({ selfTgid: process.pid, ringBytes: 1 << 16 });
    try {
      const names = s.programs().map((p) => p.name);
      assert.ok(names.includes('tp_exec') && names.includes('x_openat'));
      assert.throws(() => s.load(['no_such_program']), TypeError);
      s.load(['tp_exit']);
      assert.throws(() => s.load(['tp_exit']), /already loaded/);
      assert.throws(() => s.attach('x_openat'), /not loaded/);
      s.attach('tp_exit');
      assert.equal(s.programInfo('tp_exit')?.attached, true);
      s.detach('tp_exit');
      assert.equal(s.programInfo('tp_exit')?.attached, false);
      assert.deepEqual(s.mapInfo('events').type, 27); // BPF_MAP_TYPE_RINGBUF
      assert.equal(s.mapInfo('stats').perCpu, true);
    } finally {
      s.close();
    }
  });

  it('reports kernel failures as BpfError with the errno name', () => {
    const addon = loadAddon();
    const s = new addon.Sensor({ selfTgid: process.pid });
    try {
      s.load([]);
      const key = Buffer.alloc(4);
      key.writeUInt32LE(1000); // beyond filters' 64 entries
      assert.throws(
        () => s.mapUpdate('filters', key, Buffer.alloc(16)),
        (e: unknown) => e instanceof BpfError && e.code === 'E2BIG' && e.errno === 7 && e.op === 'update filters',
      );
      assert.throws(() => s.mapUpdate('filters', Buffer.alloc(2), Buffer.alloc(16)), (e: unknown) => e instanceof BpfError && e.code === 'EINVAL');
      assert.throws(() => s.mapLookup('nope', key), /unknown map/);
      assert.equal(s.mapDelete('discarders', key), false);
      assert.deepEqual(s.mapKeys('discarders'), []);
    } finally {
      s.close();
    }
  });

  it('starts, drains and stops the ring buffer; close is idempotent', () => {
    const addon = loadAddon();
    const s = new addon.Sensor({ selfTgid: process.pid });
    s.load([]);
    s.start(() => {}, { batchBytes: 1 << 16 });
    assert.throws(() => s.start(() => {}), /already started/);
    assert.equal(s.drain(), 0);
    s.stop();
    s.close();
    s.close();
  });
});
