import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EXEC_F_ARGS_TRUNCATED, EXEC_F_SCRIPT, FILE_F_HAS_INODE, type EventHeader, type ProcessExecEvent } from '../wire/wire.generated.ts';
import { ProcessCache } from './cache.ts';
import type { ProcSnapshot, ProcSource } from './procfs.ts';
import { UserNames } from './users.ts';

const snap = (pid: number, ppid: number, exe: string): ProcSnapshot => ({
  pid, ppid, comm: exe.split('/').pop() as string, exe, argv: [exe], cwd: '/', uid: 0, euid: 0, fsuid: 0, gid: 0, egid: 0,
  fsgid: 0, auid: 4294967295, capEffective: 0, capPermitted: 0, startBootNs: 1e9, cgroupPath: '', isKernelThread: false,
});

class FakeProc implements ProcSource {
  reads = 0;
  constructor(readonly procs: Map<number, ProcSnapshot>) {}
  pids(): number[] {
    return [...this.procs.keys()];
  }
  read(pid: number): ProcSnapshot | undefined {
    this.reads++;
    return this.procs.get(pid);
  }
  ppidOf(pid: number): number | undefined {
    return this.procs.get(pid)?.ppid;
  }
}

const hdr = (pid: number, ppid: number, over: Partial<EventHeader> = {}): EventHeader => ({
  type: 1, size: 0, version: 1, flags: 0, cpu: 0, tsNs: 5e9, pid, tid: pid, ppid, nsPid: pid, uid: 0, gid: 0, euid: 0, egid: 0,
  mntns: 1, pidns: 1, cgroupId: 0, comm: 'x', ...over,
});

const exec = (h: EventHeader, path: string, args: string[], flags = 0): ProcessExecEvent => ({
  hdr: h, flags, argc: args.length, envc: 1, oldTid: h.pid, fsuid: 0, fsgid: 0, auid: 1000, capEffective: 1, capPermitted: 3,
  file: { ino: 9, ctimeNs: 0, mtimeNs: 0, dev: 0, mountId: 1, mode: 0o100755, uid: 0, gid: 0, nlink: 1, fsMagic: 0xef53, flags: FILE_F_HAS_INODE, path },
  filename: path, interpreter: '', args: args.join('\0') + '\0', envs: 'A=1\0', cwd: '/work', tty: '/dev/pts/0',
});

function cache(now = { t: 0 }) {
  const proc = new FakeProc(new Map([
    [1, snap(1, 0, '/sbin/init')],
    [100, snap(100, 1, '/usr/bin/bash')],
  ]));
  const c = new ProcessCache({ clockOffsetNs: 1e18, proc, users: new UserNames(), now: () => now.t, exitedTtlMs: 1000 });
  c.seed();
  return { c, proc, now };
}

describe('ProcessCache', () => {
  it('seeds from /proc with ancestors, parents first', () => {
    const { c } = cache();
    const bash = c.context(hdr(100, 1, { comm: 'bash' }));
    assert.equal(bash.file.path, '/usr/bin/bash');
    assert.deepEqual(bash.ancestors.map((a) => a.pid), [1]);
    assert.equal(bash.created_at, 1e18 + 1e9);
    assert.equal(c.stats.seeded, 2);
  });

  it('follows fork, exec and exit: file, argv, envp, ancestors, times', () => {
    const { c } = cache();
    const child = c.onFork(hdr(200, 100, { comm: 'bash', tsNs: 2e9 }), 100);
    assert.equal(child.file.path, '/usr/bin/bash');
    assert.equal(child.created_at, 1e18 + 2e9);
    assert.deepEqual(child.ancestors.map((a) => a.pid), [100, 1]);
    assert.deepEqual(child.ancestors[0]?.ancestors, [], 'an ancestor carries no ancestors of its own');

    const p = c.onExec(exec(hdr(200, 100, { comm: 'cat', tsNs: 3e9 }), '/usr/bin/cat', ['cat', '-n', 'f'], EXEC_F_ARGS_TRUNCATED));
    assert.equal(p.file.path, '/usr/bin/cat');
    assert.equal(p.file.inode, 9);
    assert.equal(p.argv0, 'cat');
    assert.deepEqual(p.argv, ['-n', 'f']);
    assert.equal(p.args_truncated, true);
    assert.deepEqual(p.envp, ['A=1']);
    assert.equal(p.tty_name, 'pts/0');
    assert.equal(p.auid, 1000);
    assert.equal(p.created_at, 1e18 + 2e9, 'fork time survives exec');
    assert.equal(p.exec_time, 1e18 + 3e9);
    assert.deepEqual(p.ancestors.map((a) => a.pid), [100, 1]);
    assert.equal(c.cwdOf(200), '/work');

    const grandchild = c.onFork(hdr(300, 200), 200);
    assert.equal(grandchild.ancestors[0]?.file.path, '/usr/bin/cat');
    assert.deepEqual(grandchild.ancestors.map((a) => a.pid), [200, 100, 1]);
    assert.equal(c.cwdOf(300), '/work', 'a child inherits the cwd');
    assert.equal(c.cwdOf(100), '/', 'from /proc');
  });

  it('a process whose parent exited was re-parented: its children do not inherit the old chain', () => {
    const { c, proc } = cache({ t: 1000 });
    c.onFork(hdr(200, 100, { comm: 'make' }), 100); // make
    c.onFork(hdr(300, 200, { comm: 'daemon' }), 200); // a child of make that daemonises
    c.onExit(hdr(200, 100)); // make is gone: the kernel re-parents 300 to init
    proc.procs.set(300, snap(300, 1, '/usr/bin/daemon'));
    const worker = c.onFork(hdr(400, 300), 300);
    assert.deepEqual(worker.ancestors.map((a) => a.pid), [300, 1]);
    // While the parent lives, nothing is read.
    const other = c.onFork(hdr(500, 100), 100);
    assert.deepEqual(other.ancestors.map((a) => a.pid), [100, 1]);
  });

  it('names a script by its own path, resolved against the cwd', () => {
    const { c } = cache();
    const p = c.onExec({ ...exec(hdr(201, 100), '/usr/bin/dash', ['/bin/sh', './run.sh']), filename: './run.sh', interpreter: '/bin/sh', flags: EXEC_F_SCRIPT });
    assert.equal(p.file.path, '/work/run.sh');
    assert.equal(p.file.name, 'run.sh');
  });

  it('keeps a context while nothing changes and makes a new one when credentials do', () => {
    const { c } = cache();
    const a = c.context(hdr(100, 1, { comm: 'bash' }));
    assert.equal(c.context(hdr(100, 1, { comm: 'bash' })), a);
    const b = c.context(hdr(100, 1, { comm: 'bash', euid: 1000 }));
    assert.notEqual(b, a);
    assert.equal(b.euid, 1000);
    assert.equal(a.euid, 0, 'the old context is not modified');
    assert.equal(b.argv, a.argv, 'unchanged arrays are shared');
  });

  it('learns unknown processes from /proc, else from the header alone', () => {
    const { c, proc } = cache();
    proc.procs.set(400, snap(400, 100, '/usr/bin/vim'));
    assert.equal(c.context(hdr(400, 100)).file.path, '/usr/bin/vim');
    const ghost = c.context(hdr(500, 100, { comm: 'ghost', uid: 7 }));
    assert.equal(ghost.comm, 'ghost');
    assert.equal(ghost.uid, 7);
    assert.deepEqual(ghost.ancestors.map((a) => a.pid), [100, 1]);
    assert.equal(c.stats.procReads, 1);
    assert.equal(c.stats.headerOnly, 1);
  });

  it('keeps exited processes for a while, then forgets them; a reused pid is not forgotten', () => {
    const { c, now } = cache();
    c.onFork(hdr(600, 100), 100);
    c.onExit(hdr(600, 100));
    now.t = 500;
    c.expire();
    assert.equal(c.size, 3);
    c.onFork(hdr(700, 100), 100);
    c.onExit(hdr(700, 100));
    c.onFork(hdr(700, 100, { comm: 'reused' }), 100);
    now.t = 2000;
    c.expire();
    assert.equal(c.size, 3, '600 is gone, the new 700 stays');
    assert.equal(c.stats.evicted, 1);
  });
});
