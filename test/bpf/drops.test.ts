// A storm the consumer cannot keep up with: the ring buffer fills, the kernel counts
// every lost event by cause and by type, and the sensor keeps working afterwards.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { diffStats } from '../../sensor/src/kernel/stats.ts';
import { openTestSensor, opsBinary, runOps, skipReason, type TestSensor } from './helpers.ts';

const skip = skipReason();

describe('drop counters', { skip: skip ?? false }, () => {
  let s: TestSensor;
  let file: string;
  let dir: string;

  before(() => {
    // 16 KiB of ring: about a hundred open events. Only the storm's own events go into it:
    // other processes (test files running side by side) would crowd it and race the reads of
    // the two counter maps.
    s = openTestSensor({
      types: ['exec', 'fork', 'exit', 'open'], ringBytes: 16384, keepRecords: false,
      filters: { exec: { mode: 'drop' }, fork: { mode: 'drop' }, exit: { mode: 'drop' }, open: { mode: 'approve', basenames: ['vigil-drops-f'] } },
    });
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'vigil-drops-')));
    file = join(dir, 'vigil-drops-f');
    writeFileSync(file, 'x');
  });
  after(() => {
    s?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('counts ring-buffer-full drops while nobody reads, then delivers again', () => {
    s.drain();
    const before = s.kernel.stats();
    // spawnSync blocks this thread: the ring buffer is not read during the storm
    runOps(['openclose', file, '20000']);
    const delta = diffStats(before, s.kernel.stats());
    assert.ok(delta.drops.ringbuf_full > 0, `ringbuf_full ${delta.drops.ringbuf_full}`);
    assert.ok((delta.types.open?.lost ?? 0) > 0);
    assert.equal(delta.drops.ringbuf_full, Object.values(delta.types).reduce((n, t) => n + t.lost, 0));
    assert.ok((delta.types.open?.sent ?? 0) + (delta.types.open?.lost ?? 0) >= 20000);

    s.clear();
    s.drain();
    assert.ok(s.events.length > 0, 'what fitted is delivered');
    assert.equal(s.pipeline.stats().decode.badSize + s.pipeline.stats().decode.badFrame, 0);
    s.clear();
    const r = runOps(['open', file, 'rdonly', '0']);
    s.drain();
    assert.ok(s.of(r.pid).some((e) => e.type === 'open' && e.open?.file.path === file), 'events flow after the storm');
  });

  it('survives a consumer slower than the producer (the event loop busy 5 ms of every 6)', async () => {
    const before = s.kernel.stats();
    let batches = 0;
    const delivered = s.pipeline.stats().batches;
    const slow = (): void => {
      const until = Date.now() + 5;
      while (Date.now() < until); // a consumer far slower than the producer
    };
    const child = spawn(opsBinary(), ['openclose', file, '100000'], { stdio: 'ignore' });
    const timer = setInterval(slow, 1);
    await new Promise((resolve) => child.once('exit', resolve));
    clearInterval(timer);
    const delta = diffStats(before, s.kernel.stats());
    s.drain();
    batches = s.pipeline.stats().batches - delivered;
    assert.ok(batches > 1, `batches ${batches}`);
    assert.ok(delta.drops.ringbuf_full > 0, `ringbuf_full ${delta.drops.ringbuf_full}`);
    assert.ok((delta.types.open?.sent ?? 0) > 0, 'some events were delivered meanwhile');
    assert.equal(s.pipeline.stats().consumerErrors, 0);
  });
});
