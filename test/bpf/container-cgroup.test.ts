// Container attribution against the real cgroup2 hierarchy: a process moved into cgroups
// named the way kubelet+containerd, kubelet's cgroupfs driver and Docker name them is
// resolved (by cgroup id, as BPF events carry it, and by pid) to its container and pod.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { CgroupResolver, cgroupPathOfPid } from '../../sensor/src/enrich/container.ts';

const resolver = process.getuid?.() === 0 ? CgroupResolver.fromSystem() : undefined;
const skip = resolver ? false : 'needs root and a cgroup2 mount';

function withProcessIn(relPath: string, fn: (pid: number) => void): void {
  const r = resolver as CgroupResolver;
  const dirs = relPath.split('/').map((_, i, a) => a.slice(0, i + 1).join('/'));
  for (const d of dirs) mkdirSync(join(r.mount, d), { recursive: true });
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    writeFileSync(join(r.mount, relPath, 'cgroup.procs'), String(child.pid));
    fn(child.pid as number);
  } finally {
    writeFileSync(join(r.mount, 'cgroup.procs'), String(child.pid));
    child.kill('SIGKILL');
    for (const d of dirs.reverse()) {
      try { rmdirSync(join(r.mount, d)); } catch { /* a shared parent still in use */ }
    }
  }
}

test('kubelet systemd + containerd, cgroupfs driver and Docker paths resolve by cgroup id and by pid', { skip }, () => {
  const r = resolver as CgroupResolver;
  const uid = randomUUID();
  const cases = [
    { path: `vigil-test.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${uid.replace(/-/g, '_')}.slice/cri-containerd-${randomBytes(32).toString('hex')}.scope`, runtime: 'containerd', pod: uid },
    { path: `vigil-test-kubepods/burstable/pod${uid}/${randomBytes(32).toString('hex')}`, runtime: 'unknown', pod: uid },
    { path: `vigil-test-docker/docker/${randomBytes(32).toString('hex')}`, runtime: 'docker', pod: undefined },
  ];
  for (const c of cases) {
    const id = c.path.match(/([0-9a-f]{64})/)?.[1];
    withProcessIn(c.path, (pid) => {
      assert.equal(cgroupPathOfPid(pid), `/${c.path}`);
      const info = r.resolve(r.idOf(c.path));
      assert.ok(info, `cgroup id of ${c.path} not resolved`);
      assert.equal(info.path, `/${c.path}`);
      assert.equal(info.container?.id, id);
      assert.equal(info.container?.runtime, c.runtime);
      assert.equal(info.container?.podUid, c.pod);
      assert.ok((info.createdAt ?? 0) > Date.now() - 60_000);
    });
  }
});
