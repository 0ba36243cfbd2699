import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCgroupV2, parseStat, parseStatus, ProcReader } from './procfs.ts';

describe('procfs parsers', () => {
  it('reads stat fields after a comm holding spaces and parentheses', () => {
    const stat = '4242 (my (odd) proc) S 17 4242 4242 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 151619 3133440 406 0';
    assert.deepEqual(parseStat(stat), { comm: 'my (odd) proc', ppid: 17, flags: 4194560, startTicks: 151619 });
    assert.equal(parseStat('garbage'), undefined);
  });

  it('reads real, effective and fs ids and capability masks from status', () => {
    const status = 'Name:\tx\nUid:\t1000\t0\t0\t5\nGid:\t100\t101\t102\t103\nCapPrm:\t000001fffeffffff\nCapEff:\t0000000000000000\n';
    assert.deepEqual(parseStatus(status), { uid: 1000, euid: 0, fsuid: 5, gid: 100, egid: 101, fsgid: 103, capEffective: 0, capPermitted: 0x1fffeffffff });
  });

  it('finds the cgroup v2 line among v1 ones', () => {
    assert.equal(parseCgroupV2('9:name=systemd:/\n0::/kubepods.slice/x.scope\n'), '/kubepods.slice/x.scope');
    assert.equal(parseCgroupV2('9:name=systemd:/\n'), '');
  });

  it('reads this very process from /proc', () => {
    const me = new ProcReader().read(process.pid);
    assert.ok(me);
    assert.equal(me.pid, process.pid);
    assert.equal(me.ppid, process.ppid);
    assert.equal(me.argv[0], process.argv0);
    assert.equal(me.isKernelThread, false);
    assert.ok(me.startBootNs > 0);
    assert.equal(new ProcReader().read(0x7ffffff0), undefined);
  });
});
