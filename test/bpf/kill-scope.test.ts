// Scoped kills in the kernel: a kill_exec entry with a scope applies only to tasks whose
// cgroup (or an ancestor) is in kill_scopes — a pod's cgroup covers its containers.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CgroupResolver } from '../../sensor/src/enrich/container.ts';
import { openTestSensor, skipReason, type TestSensor } from './helpers.ts';

const resolver = CgroupResolver.fromSystem();
const skip = skipReason() ?? (resolver ? undefined : 'needs a cgroup2 mount');

describe('scoped kills in the kernel', { skip: skip ?? false }, () => {
  let s: TestSensor;
  let dir: string;
  const base = `vigil-killscope-${randomBytes(3).toString('hex')}`;
  const pod = `${base}/kubepods-pod1.slice`;
  const container = `${pod}/cri-containerd-${randomBytes(32).toString('hex')}.scope`;
  const elsewhere = `${base}/other.slice`;
  const mount = (resolver as CgroupResolver).mount;

  before(() => {
    s = openTestSensor({ types: ['exec', 'fork', 'exit'] });
    dir = mkdtempSync(join(tmpdir(), 'vigil-killscope-'));
    for (const c of [container, elsewhere]) mkdirSync(join(mount, c), { recursive: true });
  });
  after(() => {
    s?.close();
    for (const c of [container, pod, elsewhere, base]) {
      try { rmdirSync(join(mount, c)); } catch { /* still busy */ }
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const runIn = (cgroup: string, bin: string): ReturnType<typeof spawnSync> =>
    spawnSync('sh', ['-c', `echo $$ > ${join(mount, cgroup, 'cgroup.procs')} && exec ${bin} ran`]);

  it('kills inside the scope (the pod cgroup covers the container), spares the same program outside it', () => {
    const miner = join(dir, 'xmrig');
    copyFileSync('/bin/echo', miner);
    chmodSync(miner, 0o755);
    s.kernel.setFilters({ exec: { mode: 'pass', kill: [{ exe: 'xmrig', signal: 9, scope: 3 }] } });
    s.kernel.filters.setKillScopes([{ cgroupId: (resolver as CgroupResolver).idOf(pod), scope: 3 }]);
    try {
      const inside = runIn(container, miner);
      assert.equal(inside.signal, 'SIGKILL');
      assert.equal(String(inside.stdout), '', 'no instruction of the program ran');
      const outside = runIn(elsewhere, miner);
      assert.equal(String(outside.stdout), 'ran\n');
      // Another scope id does not count.
      s.kernel.filters.setKillScopes([{ cgroupId: (resolver as CgroupResolver).idOf(pod), scope: 4 }]);
      assert.equal(String(runIn(container, miner).stdout), 'ran\n');
    } finally {
      s.kernel.filters.setKillScopes([]);
      s.kernel.setFilters({});
    }
  });
});
