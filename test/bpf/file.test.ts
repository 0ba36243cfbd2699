// File events against the real kernel, driven syscall by syscall by vigil-ops: absolute
// paths for cwd- and dirfd-relative names and through symlinks, flags, return values.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FileInfo, SeclEvent } from '@vigil/operator/secl';
import type { SensorEvent } from '../../sensor/src/pipeline/events.ts';
import { FILE_F_CREATED, FILE_F_PATH_LEXICAL } from '../../sensor/src/wire/wire.generated.ts';
import { openTestSensor, opsBinary, runOps, skipReason, type OpsResult, type TestSensor } from './helpers.ts';

const skip = skipReason();
const O_WRONLY = 0o1;
const O_CREAT = 0o100;
const O_TRUNC = 0o1000;

/** The kernel's return value for a vigil-ops step: the value, or -errno. */
function kernelRet(step: { ret: number; errno: string } | undefined): number {
  assert.ok(step, 'step ran');
  if (step.ret >= 0) return step.ret;
  const e = (constants.errno as Record<string, number>)[step.errno];
  assert.ok(e, `errno ${step.errno}`);
  return -e;
}

describe('file events', { skip: skip ?? false }, () => {
  let s: TestSensor;
  let d: string; // real path of the test directory
  let a: string;
  let b: string;

  before(() => {
    s = openTestSensor({
      types: ['exec', 'fork', 'exit', 'open', 'unlink', 'rmdir', 'rename', 'chmod', 'chown', 'link', 'symlink', 'mkdir', 'utimes', 'setxattr', 'removexattr', 'truncate'],
    });
    d = realpathSync(mkdtempSync(join(tmpdir(), 'vigil-file-')));
    a = join(d, 'a');
    b = join(d, 'b');
    mkdirSync(a);
    mkdirSync(b);
  });
  after(() => {
    s?.close();
    if (d) rmSync(d, { recursive: true, force: true });
  });

  /** Runs the ops and returns the events of that process whose payload touches the test dir. */
  const run = (ops: string[]): { r: OpsResult; evs: SensorEvent[] } => {
    const r = runOps(ops);
    s.drain();
    const evs = s.of(r.pid).filter((e) => {
      const p = payload(e);
      return p?.file !== undefined && (p.file.path.startsWith(d) || (p.file as { destination?: FileInfo }).destination?.path?.startsWith(d));
    });
    return { r, evs };
  };
  const payload = (e: SensorEvent): { retval: number; file: FileInfo } | undefined =>
    (e as unknown as Record<string, { retval: number; file: FileInfo } | undefined>)[e.type];
  const one = (evs: SensorEvent[], type: string, path: string): SeclEvent => {
    const found = evs.filter((e) => e.type === type && payload(e)?.file.path === path);
    assert.equal(found.length, 1, `one ${type} of ${path}; got ${JSON.stringify(evs.map((e) => [e.type, payload(e)?.file.path]))}`);
    return found[0] as SeclEvent;
  };
  const record = (pid: number, type: string, path: string) => {
    const rec = s.records.find((x) => x.type === type && x.rec.hdr.pid === pid && 'file' in x.rec && x.rec.file.path === path);
    assert.ok(rec && 'file' in rec.rec, `record ${type} ${path}`);
    return rec.rec;
  };

  it('open for writing of a cwd-relative path, O_CREAT of a new file, then of the same file', () => {
    const { r, evs } = run(['chdir', a, ':', 'open', 'rel.txt', 'wronly,creat,trunc', '0640', ':', 'open', 'rel.txt', 'wronly,creat', '0640']);
    const path = join(a, 'rel.txt');
    const opens = evs.filter((e) => e.type === 'open' && e.open?.file.path === path) as SeclEvent[];
    assert.equal(opens.length, 2);
    const [first, second] = opens as [SeclEvent, SeclEvent];
    assert.equal(first.open?.retval, kernelRet(r.steps[1]));
    assert.equal(first.open?.flags, O_WRONLY | O_CREAT | O_TRUNC);
    assert.equal(first.open?.file.destination.mode, 0o640);
    assert.equal(first.open?.file.name, 'rel.txt');
    assert.equal(first.open?.file.filesystem, 'ext4');
    assert.equal((first.open?.file.mode ?? 0) & 0o777, 0o640);
    const recs = s.records.filter((x) => x.type === 'open' && x.rec.hdr.pid === r.pid && x.rec.file.path === path);
    assert.equal(recs.length, 2);
    assert.ok(recs[0]?.type === 'open' && recs[0].rec.file.flags & FILE_F_CREATED, 'the first open created the file');
    assert.ok(recs[1]?.type === 'open' && !(recs[1].rec.file.flags & FILE_F_CREATED), 'the second did not');
    assert.equal(second.open?.retval, kernelRet(r.steps[2]));
    // the inode facts, as stat(2) sees them (the file is unchanged since the second open)
    const st = statSync(path, { bigint: true });
    const f = recs[1]?.type === 'open' ? recs[1].rec.file : undefined;
    assert.ok(f);
    assert.equal(f.ino, Number(st.ino));
    assert.equal(f.mode, Number(st.mode));
    assert.equal(f.uid, Number(st.uid));
    assert.equal(f.gid, Number(st.gid));
    assert.equal(f.nlink, Number(st.nlink));
    assert.equal(f.ctimeNs, Number(st.ctimeNs));
    assert.equal(f.mtimeNs, Number(st.mtimeNs));
    assert.equal(f.fsMagic, 0xef53, 'ext4');
    assert.ok(f.mountId > 0);
  });

  it('openat with a dirfd, openat2, creat and the legacy open syscall', () => {
    writeFileSync(join(a, 'f1'), 'x');
    const { r, evs } = run([
      'openat', a, 'f1', 'rdonly', '0', ':',
      'openat2', b, 'f2', 'wronly,creat', ':',
      'creat', join(b, 'f3'), '0600', ':',
      'open_sys', join(a, 'f1'), 'rdonly', '0',
    ]);
    const at = one(evs.filter((e) => e.open?.retval === kernelRet(r.steps[0])), 'open', join(a, 'f1'));
    assert.equal(at.open?.flags, 0);
    const two = one(evs, 'open', join(b, 'f2'));
    assert.equal(two.open?.retval, kernelRet(r.steps[1]));
    assert.equal((two.open?.flags ?? 0) & (O_WRONLY | O_CREAT), O_WRONLY | O_CREAT);
    const c = one(evs, 'open', join(b, 'f3'));
    assert.equal(c.open?.flags, O_WRONLY | O_CREAT | O_TRUNC);
    assert.equal(c.open?.file.destination.mode, 0o600);
    const legacy = evs.filter((e) => e.type === 'open' && e.open?.file.path === join(a, 'f1'));
    assert.equal(legacy.length, 2, 'openat and open of f1');
  });

  it('resolves a path through a symlinked directory and a symlink to a file to the real file', () => {
    writeFileSync(join(b, 'target'), 'x');
    symlinkSync(b, join(d, 'link-dir'));
    symlinkSync(join(b, 'target'), join(a, 'link-file'));
    const { r, evs } = run(['open', join(d, 'link-dir', 'target'), 'rdonly', '0', ':', 'chdir', a, ':', 'open', 'link-file', 'rdonly', '0']);
    const opens = evs.filter((e) => e.type === 'open') as SeclEvent[];
    assert.deepEqual(opens.map((e) => e.open?.file.path), [join(b, 'target'), join(b, 'target')]);
    assert.deepEqual(opens.map((e) => e.open?.retval), [kernelRet(r.steps[0]), kernelRet(r.steps[2])]);
  });

  it('reports a failed open with the error and the path it asked for', () => {
    const { r, evs } = run(['chdir', a, ':', 'open', 'missing/file', 'rdonly', '0']);
    const ev = one(evs, 'open', join(a, 'missing', 'file'));
    assert.equal(ev.open?.retval, -constants.errno.ENOENT);
    assert.equal(kernelRet(r.steps[1]), -constants.errno.ENOENT);
    assert.ok(record(r.pid, 'open', join(a, 'missing', 'file')).file.flags & FILE_F_PATH_LEXICAL);
  });

  it('rename across directories, with paths and with dirfds', () => {
    writeFileSync(join(a, 'r1'), 'x');
    writeFileSync(join(a, 'r2'), 'x');
    const { r, evs } = run(['rename', join(a, 'r1'), join(b, 'r1-moved'), ':', 'chdir', d, ':', 'renameat', a, 'r2', b, 'r2-moved']);
    const r1 = one(evs, 'rename', join(a, 'r1'));
    assert.equal(r1.rename?.file.destination.path, join(b, 'r1-moved'));
    assert.equal(r1.rename?.file.destination.name, 'r1-moved');
    assert.equal(r1.rename?.retval, 0);
    const r2 = one(evs, 'rename', join(a, 'r2'));
    assert.equal(r2.rename?.file.destination.path, join(b, 'r2-moved'));
    assert.equal(r2.rename?.retval, kernelRet(r.steps[2]));
  });

  it('unlink, unlinkat, mkdir, mkdirat, rmdir and unlinkat(AT_REMOVEDIR)', () => {
    writeFileSync(join(a, 'u1'), 'x');
    writeFileSync(join(a, 'u2'), 'x');
    const { r, evs } = run([
      'chdir', a, ':', 'unlink', 'u1', ':', 'unlinkat', a, 'u2', ':', 'unlink', 'u-missing', ':',
      'mkdir', 'm1', '0750', ':', 'mkdirat', b, 'm2', '0700', ':', 'rmdir', 'm1', ':', 'rmdirat', b, 'm2',
    ]);
    assert.equal(one(evs, 'unlink', join(a, 'u1')).unlink?.retval, 0);
    assert.equal(one(evs, 'unlink', join(a, 'u2')).unlink?.retval, kernelRet(r.steps[2]));
    assert.equal(one(evs, 'unlink', join(a, 'u-missing')).unlink?.retval, -constants.errno.ENOENT);
    const m1 = one(evs, 'mkdir', join(a, 'm1'));
    assert.equal(m1.mkdir?.file.destination.mode, 0o750);
    assert.equal(m1.mkdir?.retval, 0);
    assert.equal(one(evs, 'mkdir', join(b, 'm2')).mkdir?.file.destination.mode, 0o700);
    assert.equal(one(evs, 'rmdir', join(a, 'm1')).rmdir?.retval, 0);
    assert.equal(one(evs, 'rmdir', join(b, 'm2')).rmdir?.retval, 0);
  });

  it('chmod, fchmod, fchmodat, chown, fchown, lchown', () => {
    const f = join(a, 'perm');
    writeFileSync(f, 'x');
    symlinkSync(f, join(a, 'perm-link'));
    const { evs } = run([
      'chmod', f, '0600', ':', 'fchmod', f, '0644', ':', 'fchmodat', a, 'perm', '0640', ':',
      'chown', f, '65534', '65534', ':', 'fchown', f, '0', '0', ':', 'lchown', join(a, 'perm-link'), '65534', '-1',
    ]);
    const chmods = evs.filter((e) => e.type === 'chmod') as SeclEvent[];
    assert.deepEqual(chmods.map((e) => [e.chmod?.file.path, e.chmod?.file.destination.mode, e.chmod?.retval]), [
      [f, 0o600, 0],
      [f, 0o644, 0],
      [f, 0o640, 0],
    ]);
    const chowns = evs.filter((e) => e.type === 'chown') as SeclEvent[];
    assert.deepEqual(
      chowns.map((e) => [e.chown?.file.path, e.chown?.file.destination.uid, e.chown?.file.destination.gid, e.chown?.file.destination.user]),
      [
        [f, 65534, 65534, 'nobody'],
        [f, 0, 0, 'root'],
        [join(a, 'perm-link'), 65534, -1, 'nobody'],
      ],
    );
  });

  it('link, linkat, symlink, symlinkat', () => {
    const f = join(a, 'orig');
    writeFileSync(f, 'x');
    const { evs } = run(['link', f, join(b, 'hard1'), ':', 'linkat', a, 'orig', b, 'hard2', ':', 'symlink', '../a/orig', join(b, 'soft1'), ':', 'symlinkat', '/etc/passwd', b, 'soft2']);
    const links = evs.filter((e) => e.type === 'link') as SeclEvent[];
    assert.deepEqual(links.map((e) => [e.link?.file.path, e.link?.file.destination.path, e.link?.retval]), [
      [f, join(b, 'hard1'), 0],
      [f, join(b, 'hard2'), 0],
    ]);
    const syms = evs.filter((e) => e.type === 'symlink');
    assert.deepEqual(
      syms.map((e) => (e.type === 'symlink' ? [e.symlink.file.path, e.symlink.target, e.symlink.retval] : [])),
      [
        [join(b, 'soft1'), '../a/orig', 0],
        [join(b, 'soft2'), '/etc/passwd', 0],
      ],
    );
  });

  it('utimes, utimensat, futimens', () => {
    const f = join(b, 'times');
    writeFileSync(f, 'x');
    const { evs } = run(['utimes', f, ':', 'utimensat', b, 'times', ':', 'futimens', f]);
    const u = evs.filter((e) => e.type === 'utimes') as SeclEvent[];
    assert.deepEqual(u.map((e) => [e.utimes?.file.path, e.utimes?.retval]), [
      [f, 0],
      [f, 0],
      [f, 0],
    ]);
  });

  it('setxattr, fsetxattr, removexattr', () => {
    const f = join(b, 'xattr');
    writeFileSync(f, 'x');
    const { r, evs } = run(['setxattr', f, 'user.vigil', 'v1', ':', 'fsetxattr', f, 'user.other', 'v2', ':', 'removexattr', f, 'user.vigil']);
    const set = evs.filter((e) => e.type === 'setxattr') as SeclEvent[];
    assert.deepEqual(set.map((e) => [e.setxattr?.file.path, e.setxattr?.file.destination.name, e.setxattr?.file.destination.namespace, e.setxattr?.retval]), [
      [f, 'user.vigil', 'user', kernelRet(r.steps[0])],
      [f, 'user.other', 'user', kernelRet(r.steps[1])],
    ]);
    const rm = one(evs, 'removexattr', f);
    assert.equal(rm.removexattr?.file.destination.name, 'user.vigil');
    assert.equal(rm.removexattr?.retval, kernelRet(r.steps[2]));
  });

  it('truncate and ftruncate are reported as opens that truncate', () => {
    const f = join(a, 'trunc');
    writeFileSync(f, 'xxxxxxxx');
    chmodSync(f, 0o644);
    const { evs } = run(['truncate', f, '2', ':', 'ftruncate', f, '1']);
    const t = evs.filter((e) => e.type === 'open' && (e.open?.flags ?? 0) & O_TRUNC) as SeclEvent[];
    assert.deepEqual(t.map((e) => [e.open?.file.path, e.open?.retval]), [
      [f, 0],
      [f, 0],
    ]);
    const raw = s.records.filter((x) => x.type === 'truncate' && x.rec.file.path === f);
    assert.deepEqual(raw.map((x) => (x.type === 'truncate' ? x.rec.length : -1)), [2, 1]);
  });

  it('paths across mounts: a file on /dev/shm (tmpfs stacked on devtmpfs on /) and on a tmpfs mounted in a private mount namespace', () => {
    const shm = mkdtempSync('/dev/shm/vigil-file-');
    try {
      const f = join(shm, 'f');
      const r = runOps(['open', f, 'wronly,creat', '0600']);
      s.drain();
      const ev = s.of(r.pid).find((e) => e.type === 'open' && e.open?.file.path === f) as SeclEvent | undefined;
      assert.ok(ev, `open of ${f}; got ${JSON.stringify(s.of(r.pid).map((e) => [e.type, payload(e)?.file?.path]))}`);
      assert.equal(ev.open?.file.filesystem, 'tmpfs');
    } finally {
      rmSync(shm, { recursive: true, force: true });
    }
    const target = join(d, 'mnt');
    mkdirSync(target, { recursive: true });
    const inner = join(target, 'sub', 'g');
    const m = spawnSync('unshare', ['-m', 'sh', '-c', `mount -t tmpfs vigil-mnt ${target} && mkdir ${join(target, 'sub')} && exec ${opsBinary()} open ${inner} wronly,creat 0600`], { encoding: 'utf8' });
    assert.equal(m.status, 0, m.stderr);
    s.drain();
    const ev = s.of(m.pid ?? 0).find((e) => e.type === 'open' && e.open?.file.path === inner) as SeclEvent | undefined;
    assert.ok(ev, `open of ${inner}; got ${JSON.stringify(s.of(m.pid ?? 0).map((e) => [e.type, payload(e)?.file?.path]))}`);
    assert.equal(ev.open?.file.filesystem, 'tmpfs');
  });
});

