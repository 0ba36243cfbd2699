// Process events against the real kernel: exec of a binary and of a script (paths, argv
// and envp with truncation, parent and ancestors, uid), fork, and exit with its code.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SeclEvent } from '@vigil/operator/secl';
import { EVENT_F_KILLED, EXEC_F_ARGS_TRUNCATED, EXEC_F_ENVS_TRUNCATED, EXEC_F_SCRIPT } from '../../sensor/src/wire/wire.generated.ts';
import { openTestSensor, runOps, skipReason, type TestSensor } from './helpers.ts';

const skip = skipReason();

describe('process events', { skip: skip ?? false }, () => {
  let s: TestSensor;
  let dir: string;

  before(() => {
    s = openTestSensor({ types: ['exec', 'fork', 'exit'] });
    dir = mkdtempSync(join(tmpdir(), 'vigil-proc-'));
    chmodSync(dir, 0o755); // the script test runs as nobody
  });
  after(() => {
    s?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const execOf = (pid: number): SeclEvent => {
    s.drain();
    const ev = s.of(pid).find((e) => e.type === 'exec');
    assert.ok(ev, `no exec event for pid ${pid}`);
    return ev as SeclEvent;
  };

  it('reports the exec of a binary with its absolute path, argv, envp, parent and ancestors', () => {
    const r = spawnSync('/bin/echo', ['one', 'two words', ''], { env: { VIGIL_TEST: 'yes', LANG: 'C' } });
    const ev = execOf(r.pid);
    const p = ev.process;
    assert.equal(p.file.path, realpathSync('/bin/echo'));
    assert.equal(p.file.name, 'echo');
    assert.equal(p.file.inode, statSync('/bin/echo').ino);
    assert.equal(p.file.mode, statSync('/bin/echo').mode);
    assert.equal(p.argv0, '/bin/echo');
    assert.deepEqual(p.argv, ['one', 'two words', '']);
    assert.equal(p.args_truncated, false);
    assert.deepEqual(p.envp, ['VIGIL_TEST=yes', 'LANG=C']);
    assert.equal(p.envs_truncated, false);
    assert.equal(p.comm, 'echo');
    assert.equal(p.ppid, process.pid);
    assert.equal(p.uid, 0);
    assert.equal(p.user, 'root');
    assert.equal(p.ancestors[0]?.pid, process.pid);
    assert.equal(p.ancestors[0]?.file.path, realpathSync(process.execPath));
    assert.equal(p.ancestors[1]?.pid, process.ppid);
    assert.ok(p.exec_time > 0 && p.created_at > 0 && p.created_at <= p.exec_time);
    assert.ok(Math.abs(ev.timestamp / 1e6 - Date.now()) < 60_000, 'timestamp is epoch ns');
  });

  it('flags argv and envp truncated when they exceed the kernel limits', () => {
    const long = Array.from({ length: 300 }, (_, i) => `argument-${i}-${'x'.repeat(20)}`);
    const r = spawnSync('/bin/true', long, { env: { FIRST: '1', BIG: 'y'.repeat(6000) } });
    const ev = execOf(r.pid);
    const p = ev.process;
    assert.equal(p.args_truncated, true);
    assert.equal(p.argv0, '/bin/true');
    assert.deepEqual(p.argv.slice(0, 50), long.slice(0, 50));
    assert.ok(p.argv.length < long.length);
    assert.equal(p.envs_truncated, true);
    assert.equal(p.envp[0], 'FIRST=1');
    const rec = s.records.find((d) => d.type === 'exec' && d.rec.hdr.pid === r.pid);
    assert.ok(rec && rec.type === 'exec');
    assert.ok(rec.rec.flags & EXEC_F_ARGS_TRUNCATED && rec.rec.flags & EXEC_F_ENVS_TRUNCATED);
    assert.equal(rec.rec.argc, 301);
    assert.equal(rec.rec.envc, 2);
    assert.ok(s.kernel.stats().drops.args_truncated >= 1);
  });

  it('reports the exec of a script run by a relative path: the script, its interpreter, the uid', () => {
    const script = join(dir, 'hello.sh');
    writeFileSync(script, '#!/bin/sh\nexit 3\n');
    chmodSync(script, 0o755);
    const r = spawnSync('./hello.sh', ['arg1'], { cwd: dir, uid: 65534, gid: 65534, env: {} });
    assert.equal(r.status, 3);
    const ev = execOf(r.pid);
    const p = ev.process;
    assert.equal(p.file.path, realpathSync(script));
    assert.equal(p.file.name, 'hello.sh');
    assert.equal(p.file.inode, statSync(script).ino);
    // the kernel rewrites argv for a script: interpreter, script, then the arguments
    assert.equal(p.argv0, '/bin/sh');
    assert.deepEqual(p.argv, ['./hello.sh', 'arg1']);
    assert.equal(p.uid, 65534);
    assert.equal(p.euid, 65534);
    assert.equal(p.user, 'nobody');
    assert.equal(p.ppid, process.pid);
    const rec = s.records.find((d) => d.type === 'exec' && d.rec.hdr.pid === r.pid);
    assert.ok(rec && rec.type === 'exec');
    assert.ok(rec.rec.flags & EXEC_F_SCRIPT);
    assert.equal(rec.rec.interpreter, '/bin/sh');
    assert.equal(rec.rec.filename, './hello.sh');
    assert.equal(rec.rec.file.path, realpathSync('/bin/sh'));
    assert.equal(rec.rec.cwd, realpathSync(dir));
    const exit = s.of(r.pid).find((e) => e.type === 'exit') as SeclEvent | undefined;
    assert.deepEqual(exit?.exit, { cause: 0, code: 3 });
  });

  it('reports a program run from a memfd with an empty path and a memfd: name', () => {
    const r = runOps(['memfdexec', '/bin/true', 'fileless']);
    s.drain();
    // vigil-ops itself, then the program it ran from the memfd
    const execs = s.of(r.pid).filter((e) => e.type === 'exec');
    assert.equal(execs.length, 2);
    const ev = execs[1] as SeclEvent;
    assert.equal(ev.process.file.path, '');
    assert.equal(ev.process.file.name, 'memfd:fileless');
    assert.equal(ev.process.argv0, 'fileless');
  });

  it('kills a program named in kill_exec before it runs, and says so in the exec event', () => {
    const miner = join(dir, 'xmrig');
    copyFileSync('/bin/echo', miner);
    chmodSync(miner, 0o755);
    s.kernel.setFilters({ exec: { mode: 'pass', kill: [{ exe: 'xmrig', signal: 9 }] } });
    try {
      const r = spawnSync(miner, ['should not print']);
      assert.equal(r.signal, 'SIGKILL');
      assert.equal(String(r.stdout), '', 'no instruction of the program ran');
      s.drain();
      const rec = s.records.find((d) => d.type === 'exec' && d.rec.hdr.pid === r.pid);
      assert.ok(rec && rec.rec.hdr.flags & EVENT_F_KILLED);
      const other = spawnSync('/bin/echo', ['ok']);
      assert.equal(String(other.stdout), 'ok\n', 'other programs run');
    } finally {
      s.kernel.setFilters({});
    }
  });

  it('reports fork with the child and its parent, and exit with the code or the signal', () => {
    const r = spawnSync('/bin/sh', ['-c', '/bin/true; exit 7']);
    assert.equal(r.status, 7);
    s.drain();
    const mine = s.of(r.pid);
    const fork = mine.find((e) => e.type === 'fork');
    assert.ok(fork, 'fork of the shell');
    assert.equal(fork.process.ppid, process.pid);
    assert.equal(fork.process.ancestors[0]?.pid, process.pid);
    const exit = mine.find((e) => e.type === 'exit') as SeclEvent | undefined;
    assert.deepEqual(exit?.exit, { cause: 0, code: 7 });
    assert.equal(exit?.process.file.path, realpathSync('/bin/sh'));
    // the shell forked a child for /bin/true: its fork names the shell as parent
    const child = s.events.find((e) => e.type === 'fork' && e.process.ppid === r.pid);
    assert.ok(child, 'fork by the shell');
    assert.equal(child.process.file.path, realpathSync('/bin/sh'));
    const childExec = s.of(child.process.pid).find((e) => e.type === 'exec');
    assert.equal(childExec?.process.file.path, realpathSync('/bin/true'));
    assert.equal(childExec?.process.ancestors[0]?.pid, r.pid);
    assert.equal(childExec?.process.ancestors[1]?.pid, process.pid);

    const k = spawnSync('/bin/sh', ['-c', 'kill -9 $$']);
    assert.equal(k.signal, 'SIGKILL');
    s.drain();
    const killed = s.of(k.pid).find((e) => e.type === 'exit') as SeclEvent | undefined;
    assert.deepEqual(killed?.exit, { cause: 2, code: 9 });
  });
});
