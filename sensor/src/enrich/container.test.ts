import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CgroupResolver, cgroup2MountFromMountinfo, containerFromCgroupPath, isHostTopLevel, podUidOfCgroup } from './container.ts';

const id = 'a'.repeat(32) + '0123456789abcdef'.repeat(2);
const uid = '5c8a2f4e-1b7d-4e2a-9f3c-0d1e2f3a4b5c';
const uidSystemd = uid.replace(/-/g, '_');

test('kubelet systemd driver + containerd', () => {
  assert.deepEqual(
    containerFromCgroupPath(`/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${uidSystemd}.slice/cri-containerd-${id}.scope`),
    { id, runtime: 'containerd', podUid: uid });
  // Guaranteed QoS pods sit directly under kubepods.slice.
  assert.deepEqual(
    containerFromCgroupPath(`/kubepods.slice/kubepods-pod${uidSystemd}.slice/cri-containerd-${id}.scope`),
    { id, runtime: 'containerd', podUid: uid });
});

test('kubelet cgroupfs driver: runtime unknown from the path, pod uid known', () => {
  assert.deepEqual(containerFromCgroupPath(`/kubepods/burstable/pod${uid}/${id}`), { id, runtime: 'unknown', podUid: uid });
  assert.deepEqual(containerFromCgroupPath(`/kubepods/pod${uid}/${id}`), { id, runtime: 'unknown', podUid: uid });
});

test('CRI-O, and its conmon is not the container', () => {
  assert.deepEqual(
    containerFromCgroupPath(`/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${uidSystemd}.slice/crio-${id}.scope`),
    { id, runtime: 'cri-o', podUid: uid });
  assert.equal(containerFromCgroupPath(`/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${uidSystemd}.slice/crio-conmon-${id}.scope`)?.id, undefined);
});

test('Docker and Podman, systemd and cgroupfs, and nested sub-cgroups', () => {
  assert.deepEqual(containerFromCgroupPath(`/system.slice/docker-${id}.scope`), { id, runtime: 'docker' });
  assert.deepEqual(containerFromCgroupPath(`/docker/${id}`), { id, runtime: 'docker' });
  assert.deepEqual(containerFromCgroupPath(`/machine.slice/libpod-${id}.scope/container`), { id, runtime: 'podman' });
  assert.deepEqual(containerFromCgroupPath(`/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-${id}.scope`), { id, runtime: 'podman' });
  assert.deepEqual(containerFromCgroupPath(`/libpod_parent/libpod-${id}`), { id, runtime: 'podman' });
});

test('host cgroups have no container', () => {
  for (const p of ['/', '/system.slice/sshd.service', '/user.slice/user-0.slice/session-1.scope', '/kubepods.slice', `/system.slice/containerd.service`, `/${id}`]) {
    assert.equal(containerFromCgroupPath(p), undefined, p);
  }
});

test('cgroup2 mount from mountinfo: hybrid and unified, with escaped spaces', () => {
  const hybrid = [
    '25 30 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw',
    '33 25 0:28 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755',
    '34 33 0:29 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate',
    '35 33 0:30 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,xattr,name=systemd',
  ].join('\n');
  assert.equal(cgroup2MountFromMountinfo(hybrid), '/sys/fs/cgroup/unified');
  assert.equal(cgroup2MountFromMountinfo('40 1 0:35 / /mnt/my\\040cg rw shared:1 - cgroup2 cgroup2 rw'), '/mnt/my cg');
  assert.equal(cgroup2MountFromMountinfo('35 33 0:30 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu'), undefined);
});

test('resolver: ids found by scanning, unknown ids are not rescanned at once, scans are capped', () => {
  // Any directory tree stands in for the cgroup2 mount: ids are inode numbers either way.
  const root = mkdtempSync(join(tmpdir(), 'vigil-cg-'));
  const leaf = `kubepods/pod${uid}/${id}`;
  mkdirSync(join(root, leaf), { recursive: true });
  const r = new CgroupResolver(root, { retryMs: 60_000, maxScansPerSecond: 3 });
  const info = r.resolve(r.idOf(leaf));
  assert.deepEqual(info?.container, { id, runtime: 'unknown', podUid: uid });
  assert.equal(r.stats.scans, 1);
  assert.equal(r.resolve(r.idOf(leaf))?.path, `/${leaf}`);
  assert.equal(r.stats.scans, 1, 'a hit costs no scan');
  assert.equal(r.resolve(123456789n), undefined);
  assert.equal(r.resolve(123456789n), undefined);
  assert.equal(r.stats.scans, 2, 'a missed id is retried only after retryMs');
  for (let i = 0; i < 10; i++) r.resolve(BigInt(1000 + i));
  assert.equal(r.stats.scans, 3, 'at most maxScansPerSecond walks');
  // A cgroup made later is found by the next allowed scan; learn() needs none.
  const later = `docker/${id.replace(/a/g, 'b')}`;
  mkdirSync(join(root, later), { recursive: true });
  assert.equal(r.learn(later)?.container?.runtime, 'docker');
  assert.equal(r.stats.scans, 3);
});

test('pod-level cgroups and top-level host cgroups, for kill scopes', () => {
  assert.equal(podUidOfCgroup(`/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${uidSystemd}.slice`), uid);
  assert.equal(podUidOfCgroup(`/kubepods/burstable/pod${uid}`), uid);
  assert.equal(podUidOfCgroup(`/kubepods/burstable/pod${uid}/${id}`), undefined);
  for (const p of ['/system.slice', '/user.slice', '/init.scope']) assert.equal(isHostTopLevel(p), true, p);
  for (const p of ['/kubepods.slice', '/kubepods', '/docker', '/machine.slice', '/system.slice/sshd.service', '/']) assert.equal(isHostTopLevel(p), false, p);
});
