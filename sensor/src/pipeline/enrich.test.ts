import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProcessCache } from '../process/cache.ts';
import type { ProcSource } from '../process/procfs.ts';
import { UserNames } from '../process/users.ts';
import { frame, openRecord } from '../wire/synthetic.ts';
import { Enricher, exitOf } from './enrich.ts';
import type { SensorEvent } from './events.ts';
import { Pipeline } from './pipeline.ts';

const noProc: ProcSource = { pids: () => [], read: () => undefined, ppidOf: () => undefined };

describe('exitOf', () => {
  it('decodes wait statuses into SECL exit causes', () => {
    assert.deepEqual(exitOf(7 << 8), { cause: 0, code: 7 });
    assert.deepEqual(exitOf(9), { cause: 2, code: 9 });
    assert.deepEqual(exitOf(0x80 | 11), { cause: 1, code: 11 });
  });
});

describe('Pipeline', () => {
  it('decodes and enriches a batch into SECL events, once per batch for each consumer', () => {
    const users = new UserNames();
    const cache = new ProcessCache({ clockOffsetNs: 1e18, proc: noProc, users });
    const got: SensorEvent[][] = [];
    const p = new Pipeline(new Enricher(cache, users, 1e18, 'node-1'), cache, [(evs) => got.push([...evs])]);
    const buf = frame([openRecord({ pid: 9, path: '/etc/shadow' }), openRecord({ pid: 9, path: '/tmp/../etc/passwd', ret: -13 })]);
    p.onBatch(buf, buf.length);
    assert.equal(got.length, 1);
    const [a, b] = got[0] as [SensorEvent, SensorEvent];
    assert.equal(a.type, 'open');
    assert.ok(a.type === 'open' && b.type === 'open');
    assert.equal(a.open?.file.path, '/etc/shadow');
    assert.equal(a.open?.file.name, 'shadow');
    assert.equal(a.open?.flags, 0o1101);
    assert.equal(a.timestamp, 1e18 + 123_456_789);
    assert.equal(a.hostname, 'node-1');
    assert.equal(a.process.pid, 9);
    assert.equal(a.process.comm, 'cat');
    assert.equal(a.process.uid, 1000);
    assert.equal(b.open?.retval, -13);
    assert.equal(a.process, b.process, 'one context for two events of an unchanged process');
    const { dns, ...counts } = p.stats().enrich;
    assert.deepEqual(counts, { in: 2, out: 2, cacheOnly: 0 });
    assert.equal(dns.queries + dns.responses, 0);
  });

  it('counts a consumer that throws and keeps delivering to the others', () => {
    const users = new UserNames();
    const cache = new ProcessCache({ clockOffsetNs: 0, proc: noProc, users });
    let seen = 0;
    const p = new Pipeline(new Enricher(cache, users, 0), cache, [
      () => {
        throw new Error('boom');
      },
      (evs) => (seen += evs.length),
    ]);
    const buf = frame([openRecord()]);
    p.onBatch(buf, buf.length);
    assert.equal(seen, 1);
    assert.equal(p.stats().consumerErrors, 1);
  });
});
