// In-kernel filters against the real kernel: what the approvers and discarders keep out
// of the ring buffer is counted in the kernel, and what they let through arrives.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SeclEvent } from '@vigil/operator/secl';
import { diffStats } from '../../sensor/src/kernel/stats.ts';
import { openTestSensor, opsBinary, runOps, skipReason, type TestSensor } from './helpers.ts';

const skip = skipReason();
const STORM = 20_000;

describe('kernel filters', { skip: skip ?? false }, () => {
  let s: TestSensor;
  let d: string;
  let other: string;

  before(() => {
    s = openTestSensor({ types: ['exec', 'fork', 'exit', 'open', 'rename', 'truncate'] });
    d = realpathSync(mkdtempSync(join(tmpdir(), 'vigil-filter-')));
    other = join(d, 'other.txt');
    writeFileSync(other, 'x');
  });
  after(() => {
    s?.close();
    if (d) rmSync(d, { recursive: true, force: true });
  });

  const opensOf = (pid: number): SeclEvent[] => s.of(pid).filter((e) => e.type === 'open') as SeclEvent[];

  it('with a basename approver for shadow, a storm of other opens stays in the kernel and /etc/shadow arrives', () => {
    s.kernel.setFilters({ open: { mode: 'approve', basenames: ['shadow'] } });
    s.drain();
    const before = s.kernel.stats();
    const r = runOps(['openclose', other, String(STORM), ':', 'open', '/etc/shadow', 'rdonly', '0', ':', 'open', '/nonexistent/shadow', 'rdonly', '0']);
    s.drain();
    const delta = diffStats(before, s.kernel.stats());
    const opens = opensOf(r.pid);
    assert.deepEqual(
      opens.map((e) => [e.open?.file.path, e.open?.retval]),
      [
        ['/etc/shadow', r.steps[1]?.ret],
        ['/nonexistent/shadow', -2],
      ],
    );
    assert.ok((delta.types.open?.filtered ?? 0) >= STORM, `filtered in kernel: ${delta.types.open?.filtered}`);
    assert.ok((delta.types.open?.sent ?? 0) < 1000, `sent: ${delta.types.open?.sent}`);
  });

  it('approves by path prefix, by open flags and by executable name', () => {
    s.kernel.setFilters({ open: { mode: 'approve', prefixes: [`${d}/sub/`] } });
    let r = runOps(['open', join(d, 'sub', 'x'), 'rdonly', '0', ':', 'open', other, 'rdonly', '0', ':', 'open', join(d, 'subway'), 'rdonly', '0']);
    s.drain();
    assert.deepEqual(opensOf(r.pid).map((e) => e.open?.file.path), [join(d, 'sub', 'x')]);

    s.kernel.setFilters({ open: { mode: 'approve', flagsMask: 0o1 | 0o2 | 0o100 } });
    r = runOps(['open', other, 'rdonly', '0', ':', 'open', other, 'wronly', '0', ':', 'open', join(d, 'new'), 'rdonly,creat', '0600']);
    s.drain();
    assert.deepEqual(opensOf(r.pid).map((e) => [e.open?.file.name, e.open?.flags]), [
      ['other.txt', 0o1],
      ['new', 0o100],
    ]);

    s.kernel.setFilters({ open: { mode: 'approve', exeNames: ['vigil-ops'] } });
    r = runOps(['open', other, 'rdonly', '0']);
    s.drain();
    assert.ok(opensOf(r.pid).some((e) => e.open?.file.path === other), 'opens by vigil-ops pass');
    const cat = spawnSync('/bin/cat', [other]).pid ?? 0;
    s.drain();
    assert.equal(opensOf(cat).length, 0, 'opens by cat are filtered');
  });

  it('remembers the paths the approvers refused, never across a rename of an ancestor or a new approver', () => {
    const watched = join(d, 'watched');
    mkdirSync(join(d, 'a', 'deep'), { recursive: true });
    mkdirSync(join(d, 'b'));
    writeFileSync(join(d, 'a', 'deep', 'f'), 'x');
    writeFileSync(join(d, 'b', 'g'), 'x');
    writeFileSync(join(d, 'b', 'h'), 'x');
    s.kernel.setFilters({ open: { mode: 'approve', prefixes: [`${watched}/`] } });
    // refused twice (the second time from the cache)
    const twice = (...paths: string[]): string[] => paths.flatMap((p) => ['open', p, 'rdonly', '0', ':', 'open', p, 'rdonly', '0', ':']).slice(0, -1);
    let r = runOps(twice(join(d, 'a', 'deep', 'f'), join(d, 'b', 'g'), join(d, 'b', 'h')));
    s.drain();
    assert.deepEqual(opensOf(r.pid), []);
    // a basename approver added for a file refused before
    s.kernel.setFilters({ open: { mode: 'approve', prefixes: [`${watched}/`], basenames: ['h'] } });
    r = runOps(['open', join(d, 'b', 'h'), 'rdonly', '0']);
    s.drain();
    assert.deepEqual(opensOf(r.pid).map((e) => e.open?.file.path), [join(d, 'b', 'h')]);
    // the same dentries, now under the watched prefix: a grandparent moved
    renameSync(join(d, 'a'), watched);
    r = runOps(['open', join(watched, 'deep', 'f'), 'rdonly', '0']);
    s.drain();
    assert.deepEqual(opensOf(r.pid).map((e) => e.open?.file.path), [join(watched, 'deep', 'f')]);
    // a prefix added for a path refused before
    s.kernel.setFilters({ open: { mode: 'approve', prefixes: [`${watched}/`, `${d}/b/`] } });
    r = runOps(['open', join(d, 'b', 'g'), 'rdonly', '0']);
    s.drain();
    assert.deepEqual(opensOf(r.pid).map((e) => e.open?.file.path), [join(d, 'b', 'g')]);
  });

  it('remembers refusals of paths deeper than the inline steps of the walk, never across a rename far above the file', () => {
    // 12 directories: the signature walk goes past its inline steps into its bpf_loop
    const watched = join(d, 'deep-watched');
    const top = join(d, 'deep-top');
    const chain = Array.from({ length: 12 }, (_, i) => `d${i}`);
    const file = join(top, ...chain, 'f');
    mkdirSync(join(top, ...chain), { recursive: true });
    writeFileSync(file, 'x');
    s.kernel.setFilters({ open: { mode: 'approve', prefixes: [`${watched}/`] } });
    const filtered = (): number => s.kernel.stats().types.open?.filtered ?? 0;
    const before = filtered();
    let r = runOps(['open', file, 'rdonly', '0', ':', 'open', file, 'rdonly', '0', ':', 'open', file, 'rdonly', '0']);
    s.drain();
    assert.deepEqual(opensOf(r.pid), []);
    assert.ok(filtered() - before >= 3, 'refused in the kernel');
    // the top directory, 13 components above the file, moved under the watched prefix
    renameSync(top, watched);
    const moved = join(watched, ...chain, 'f');
    r = runOps(['open', moved, 'rdonly', '0', ':', 'open', moved, 'rdonly', '0']);
    s.drain();
    assert.deepEqual(opensOf(r.pid).map((e) => e.open?.file.path), [moved, moved]);
  });

  it('with basename approvers only, remembers a refused file by its dentry, never across a rename of it or a new name', () => {
    const dir = join(d, 'names-only');
    mkdirSync(dir);
    writeFileSync(join(dir, 'plain'), 'x');
    writeFileSync(join(dir, 'other'), 'x');
    s.kernel.setFilters({ open: { mode: 'approve', basenames: ['secret'] } });
    const before = s.kernel.stats().types.open?.filtered ?? 0;
    let r = runOps(['open', join(dir, 'plain'), 'rdonly', '0', ':', 'open', join(dir, 'plain'), 'rdonly', '0', ':', 'open', join(dir, 'other'), 'rdonly', '0']);
    s.drain();
    assert.deepEqual(opensOf(r.pid), []);
    assert.ok((s.kernel.stats().types.open?.filtered ?? 0) - before >= 3, 'refused in the kernel');
    // the refused file renamed to an approved name: same inode, new dentry name
    renameSync(join(dir, 'plain'), join(dir, 'secret'));
    r = runOps(['open', join(dir, 'secret'), 'rdonly', '0']);
    s.drain();
    assert.deepEqual(opensOf(r.pid).map((e) => e.open?.file.path), [join(dir, 'secret')]);
    // a name approver added for a file refused before
    s.kernel.setFilters({ open: { mode: 'approve', basenames: ['secret', 'other'] } });
    r = runOps(['open', join(dir, 'other'), 'rdonly', '0']);
    s.drain();
    assert.deepEqual(opensOf(r.pid).map((e) => e.open?.file.path), [join(dir, 'other')]);
  });

  it('approvers that need open flags: reads where rules watch writes stay in the kernel, never at the cost of a write', () => {
    const O_WRONLY = 0o1, O_RDWR = 0o2, O_CREAT = 0o100, O_TRUNC = 0o1000;
    const dir = join(d, 'needs');
    mkdirSync(join(dir, 'conf'), { recursive: true });
    const f = join(dir, 'conf', 'f');
    const g = join(dir, 'g');
    const secret = join(dir, 'secret');
    writeFileSync(f, 'x');
    writeFileSync(g, 'x');
    // as the rules "create under dir/", "write under dir/conf/", "write a file named secret" plan it
    const spec = {
      mode: 'approve' as const,
      prefixes: [`${dir}/`, `${dir}/conf/`],
      basenames: ['secret'],
      requiredFlags: { prefixes: { [`${dir}/`]: O_CREAT, [`${dir}/conf/`]: O_WRONLY | O_RDWR }, basenames: { secret: O_WRONLY | O_RDWR } },
    };
    s.kernel.setFilters({ open: spec, truncate: spec });
    const filtered = (): number => s.kernel.stats().types.open?.filtered ?? 0;
    const before = filtered();
    const reads = [g, g, f, f, secret].flatMap((p) => ['open', p, 'rdonly', '0', ':']);
    let r = runOps([...reads, 'open', g, 'wronly', '0']);
    s.drain();
    assert.deepEqual(opensOf(r.pid), [], 'reads (one of a missing file), and a write where only creating is watched');
    assert.ok(filtered() - before >= 6, 'refused in the kernel');
    // the same paths, now with the flags the approvers need: a remembered refusal of a read
    // does not refuse them; dir/conf/ holds what dir/ approves (create) too
    r = runOps([
      'open', g, 'rdonly,creat', '0600', ':', 'open', f, 'wronly', '0', ':', 'open', f, 'rdonly,creat', '0600', ':',
      'open', secret, 'wronly,creat', '0600', ':', 'open', f, 'rdonly', '0', ':', 'truncate', f, '0', ':', 'truncate', g, '0',
    ]);
    s.drain();
    assert.deepEqual(opensOf(r.pid).map((e) => [e.open?.file.path, e.open?.flags]), [
      [g, O_CREAT],
      [f, O_WRONLY],
      [f, O_CREAT],
      [secret, O_WRONLY | O_CREAT],
      [f, O_WRONLY | O_TRUNC], // truncate: a write that truncates, approved by dir/conf/; not g, where only creating is watched
    ]);
    // a truncate meets the flags approver of open rules (open.flags & O_TRUNC > 0)
    s.kernel.setFilters({ open: { mode: 'approve', flagsMask: O_TRUNC }, truncate: { mode: 'approve', flagsMask: O_TRUNC } });
    r = runOps(['truncate', g, '0', ':', 'open', g, 'rdonly', '0']);
    s.drain();
    assert.deepEqual(opensOf(r.pid).map((e) => [e.open?.file.path, e.open?.flags]), [[g, O_WRONLY | O_TRUNC]]);
  });

  it('approves a rename by its source or its destination basename', () => {
    s.kernel.setFilters({ rename: { mode: 'approve', basenames: ['passwd'] } });
    writeFileSync(join(d, 'r1'), 'x');
    writeFileSync(join(d, 'r2'), 'x');
    const r = runOps(['rename', join(d, 'r1'), join(d, 'passwd'), ':', 'rename', join(d, 'r2'), join(d, 'r3'), ':', 'rename', join(d, 'passwd'), join(d, 'r4')]);
    s.drain();
    const renames = s.of(r.pid).filter((e) => e.type === 'rename') as SeclEvent[];
    assert.deepEqual(renames.map((e) => [e.rename?.file.name, e.rename?.file.destination.name]), [
      ['r1', 'passwd'],
      ['passwd', 'r4'],
    ]);
  });

  it('drops a process’s events of a type with a discarder, until it execs', async () => {
    s.kernel.setFilters({ open: { mode: 'pass', useDiscarders: true } });
    const child = spawn(opsBinary(), ['sleepms', '300', ':', 'open', other, 'rdonly', '0', ':', 'open', other, 'rdonly', '0'], { stdio: 'ignore' });
    await new Promise((resolve) => child.once('spawn', resolve));
    const pid = child.pid as number;
    s.kernel.filters.setDiscarder(pid, ['open']);
    const before = s.kernel.stats();
    await new Promise((resolve) => child.once('exit', resolve));
    s.drain();
    const delta = diffStats(before, s.kernel.stats());
    assert.equal(opensOf(pid).filter((e) => e.open?.file.path === other).length, 0);
    assert.ok((delta.types.open?.discarded ?? 0) >= 2, `discarded: ${delta.types.open?.discarded}`);
    // the kernel removed the entry when the process exited
    assert.equal(s.kernel.native.mapLookup('discarders', u32(pid)), null);

    // a discarder is about one program: the same process after exec is seen again
    const sh = spawn('/bin/sh', ['-c', `read x; exec ${opsBinary()} open ${other} rdonly 0`], { stdio: ['pipe', 'ignore', 'ignore'] });
    await new Promise((resolve) => sh.once('spawn', resolve));
    s.kernel.filters.setDiscarder(sh.pid as number, ['open']);
    sh.stdin.end('go\n');
    await new Promise((resolve) => sh.once('exit', resolve));
    s.drain();
    assert.equal(opensOf(sh.pid as number).filter((e) => e.open?.file.path === other).length, 1);
  });

  it('flags execs that fail the exec approvers: they feed the process cache, not the rules', () => {
    s.kernel.setFilters({ exec: { mode: 'approve', exeNames: ['xmrig'] }, open: { mode: 'pass' } });
    const before = s.pipeline.stats().enrich.cacheOnly;
    const r = runOps(['open', other, 'rdonly', '0']);
    s.drain();
    assert.equal(s.of(r.pid).filter((e) => e.type === 'exec').length, 0);
    assert.ok(s.pipeline.stats().enrich.cacheOnly > before);
    // the cache knows the new program all the same
    const open = opensOf(r.pid).find((e) => e.open?.file.path === other);
    assert.equal(open?.process.file.name, 'vigil-ops');
  });
});

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}
