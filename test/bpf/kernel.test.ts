// Kernel activity against the real kernel: ptrace, bpf, mount/umount in a private mount
// namespace, set*id and capset, memfd_create then exec of the memfd, unshare and setns,
// kill, prctl and process_vm_writev, each with its fields; module loading, whose
// tracepoints this kernel may lack, is reported as not applicable to the rules needing it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compileRuleset, type SeclEvent } from '@vigil/operator/secl';
import { EVENT_TYPES } from '../../sensor/src/kernel/event-types.ts';
import { fromSeclPlan } from '../../sensor/src/kernel/filters.ts';
import { KernelSensor } from '../../sensor/src/kernel/kernel-sensor.ts';
import { notApplicableRules } from '../../sensor/src/kernel/plan.ts';
import type { MemfdCreateEvent, ProcessVmWritevEvent, SensorEvent, SetnsEvent, UmountEvent, UnshareEvent } from '../../sensor/src/pipeline/events.ts';
import { openTestSensor, runOps, skipReason, type OpsResult, type TestSensor } from './helpers.ts';

const skip = skipReason();
const CLONE_NEWUTS = 0x04000000;
const PTRACE_ATTACH = 16;
const BPF_MAP_CREATE = 0;
const BPF_PROG_LOAD = 5;
const BPF_MAP_TYPE_ARRAY = 2;
const BPF_PROG_TYPE_SOCKET_FILTER = 1;
const BPF_FUNC_GET_PRANDOM_U32 = 7;
const CAP_NET_RAW = 13;
const PR_SET_NAME = 15;
const MFD_CLOEXEC = 1;
const SIGTERM = 15;

const childOf = (r: OpsResult): number => {
  const c = r.steps.find((s) => s.op === 'child');
  assert.ok(c, 'vigil-ops forked no child');
  return c.ret;
};

describe('kernel activity events', { skip: skip ?? false }, () => {
  let s: TestSensor;
  let dir: string;

  before(() => {
    s = openTestSensor({
      types: ['exec', 'fork', 'exit', 'ptrace', 'bpf', 'load_module', 'unload_module', 'mount', 'umount', 'setuid', 'setgid', 'capset',
        'signal', 'prctl', 'memfd_create', 'process_vm_writev', 'unshare', 'setns'],
    });
    dir = mkdtempSync(join(tmpdir(), 'vigil-kernel-'));
  });
  after(() => {
    s?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const eventsOf = <T extends SensorEvent = SeclEvent>(pid: number, type: SensorEvent['type']): T[] => {
    s.drain();
    return s.of(pid).filter((e) => e.type === type) as T[];
  };

  it('reports a ptrace attach to a child with the request and the tracee', () => {
    const r = runOps(['ptraceattach']);
    const child = childOf(r);
    const ev = eventsOf(r.pid, 'ptrace').find((e) => e.ptrace?.request === PTRACE_ATTACH);
    assert.ok(ev?.ptrace, 'no PTRACE_ATTACH event');
    assert.equal(ev.ptrace.retval, 0);
    assert.equal(ev.ptrace.tracee?.pid, child);
    assert.equal(ev.ptrace.tracee?.ppid, r.pid);
    assert.equal(ev.process.file.name, 'vigil-ops');
  });

  it('reports bpf() map creation and program load with their types, names and helpers', () => {
    const r = runOps(['bpfmap', 'vigil_map', ':', 'bpfprog', 'vigil_prog']);
    assert.ok(r.steps.every((st) => st.ret >= 0), JSON.stringify(r.steps));
    const evs = eventsOf(r.pid, 'bpf');
    const map = evs.find((e) => e.bpf?.cmd === BPF_MAP_CREATE);
    assert.deepEqual(map?.bpf?.map, { name: 'vigil_map', type: BPF_MAP_TYPE_ARRAY });
    assert.ok((map?.bpf?.retval ?? -1) >= 0);
    const prog = evs.find((e) => e.bpf?.cmd === BPF_PROG_LOAD);
    assert.equal(prog?.bpf?.prog.name, 'vigil_prog');
    assert.equal(prog?.bpf?.prog.type, BPF_PROG_TYPE_SOCKET_FILTER);
    assert.deepEqual(prog?.bpf?.prog.helpers, [BPF_FUNC_GET_PRANDOM_U32], 'the helpers its instructions call');
    assert.ok((prog?.bpf?.retval ?? -1) >= 0);
  });

  it('reports mount -t tmpfs inside unshare -m with source, mount point and fs type, and its umount', () => {
    const target = join(dir, 'mnt');
    spawnSync('mkdir', ['-p', target]);
    const r = spawnSync('unshare', ['-m', 'sh', '-c', `mount -t tmpfs vigil-src ${target} && umount ${target}`], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    s.drain();
    const mount = s.events.find((e): e is SeclEvent => e.type === 'mount' && (e as SeclEvent).mount?.mountpoint.path === target);
    assert.ok(mount?.mount, 'no mount event');
    assert.equal(mount.mount.retval, 0);
    assert.deepEqual(mount.mount.source, { path: 'vigil-src' });
    assert.equal(mount.mount.fs_type, 'tmpfs');
    assert.equal(mount.process.file.name, 'mount');
    const umount = s.events.find((e): e is UmountEvent => e.type === 'umount' && (e as UmountEvent).umount.mountpoint.path === target);
    assert.equal(umount?.umount.retval, 0);
    assert.equal(umount?.process.file.name, 'umount');
  });

  it('reports setgid and setuid with the new and the previous credentials', () => {
    const r = runOps(['setgid', '65534', ':', 'setuid', '65534']);
    assert.deepEqual(r.steps.map((st) => st.ret), [0, 0]);
    const [gid] = eventsOf(r.pid, 'setgid');
    assert.equal(gid?.setgid?.gid, 65534);
    assert.equal(gid?.setgid?.egid, 65534);
    assert.equal(gid?.setgid?.fsgid, 65534);
    assert.equal(gid?.setgid?.group, 'nogroup');
    const [uid] = eventsOf(r.pid, 'setuid');
    assert.ok(uid?.setuid);
    assert.equal(uid.setuid.uid, 65534);
    assert.equal(uid.setuid.euid, 65534);
    assert.equal(uid.setuid.fsuid, 65534);
    assert.equal(uid.setuid.user, 'nobody');
    assert.equal(uid.setuid.euser, 'nobody');
    assert.deepEqual((uid.setuid as unknown as { previous: unknown }).previous, { uid: 0, euid: 0, fsuid: 0 });
    assert.equal(uid.process.uid, 65534, 'the process context has the new credentials');
  });

  it('reports capset with the new effective and permitted sets', () => {
    const r = runOps(['capdrop', String(CAP_NET_RAW)]);
    assert.equal(r.steps[0]?.ret, 0);
    const [ev] = eventsOf(r.pid, 'capset');
    assert.ok(ev?.capset);
    const bit = 2 ** CAP_NET_RAW;
    assert.equal(Math.floor(ev.capset.cap_effective / bit) % 2, 0, 'CAP_NET_RAW left the effective set');
    assert.equal(Math.floor(ev.capset.cap_permitted / bit) % 2, 1, 'and stays permitted');
  });

  it('reports memfd_create, then the exec of the memfd as memfd:<name> with an empty path', () => {
    const r = runOps(['memfdexec', '/bin/true', 'fileless']);
    const [memfd] = eventsOf<MemfdCreateEvent>(r.pid, 'memfd_create');
    assert.deepEqual(memfd?.memfd_create, { retval: memfd?.memfd_create.retval, name: 'fileless', flags: MFD_CLOEXEC });
    assert.ok((memfd?.memfd_create.retval ?? -1) >= 0);
    const execs = eventsOf(r.pid, 'exec');
    const fileless = execs[execs.length - 1];
    assert.equal(fileless?.process.file.name, 'memfd:fileless');
    assert.equal(fileless?.process.file.path, '');
  });

  it('reports unshare and setns with the flags and the namespace joined', () => {
    const utsNs = `/proc/${process.pid}/ns/uts`;
    const r = runOps(['unshare', String(CLONE_NEWUTS), ':', 'setns', utsNs, String(CLONE_NEWUTS)]);
    assert.deepEqual(r.steps.map((st) => st.ret), [0, 0]);
    const [unshare] = eventsOf<UnshareEvent>(r.pid, 'unshare');
    assert.deepEqual(unshare?.unshare, { retval: 0, flags: CLONE_NEWUTS });
    const [setns] = eventsOf<SetnsEvent>(r.pid, 'setns');
    assert.ok(setns?.setns);
    assert.equal(setns.setns.retval, 0);
    assert.equal(setns.setns.nstype, CLONE_NEWUTS);
    assert.equal(setns.setns.ns_type, CLONE_NEWUTS);
    assert.equal(setns.setns.ns_inum, statSync(utsNs).ino);
  });

  it('reports a kill of another process with the signal and the target, not a process signalling itself', () => {
    const r = runOps(['killchild', String(SIGTERM), ':', 'killself', '0']);
    const child = childOf(r);
    const evs = eventsOf(r.pid, 'signal');
    const ev = evs.find((e) => e.signal?.pid === child);
    assert.ok(ev?.signal, `no signal to ${child}: ${JSON.stringify(evs.map((e) => e.signal))}`);
    assert.equal(ev.signal.type, SIGTERM);
    assert.equal(ev.signal.retval, 0);
    assert.equal(ev.signal.target?.pid, child);
    assert.ok(!evs.some((e) => e.signal?.pid === r.pid), 'kill(getpid()) is not reported');
  });

  it('reports prctl(PR_SET_NAME) with the name the kernel keeps and whether it was cut', () => {
    const r = runOps(['prctlname', 'averyveryverylongname']);
    const ev = eventsOf(r.pid, 'prctl').find((e) => e.prctl?.option === PR_SET_NAME);
    assert.deepEqual(ev?.prctl, { retval: 0, option: PR_SET_NAME, new_name: 'averyveryverylo', is_name_truncated: true });
  });

  it('reports process_vm_writev into another process with its target and size', () => {
    const r = runOps(['vmwrite']);
    const child = childOf(r);
    const [ev] = eventsOf<ProcessVmWritevEvent>(r.pid, 'process_vm_writev');
    assert.ok(ev);
    assert.equal(ev.process_vm_writev.retval, 8);
    assert.equal(ev.process_vm_writev.pid, child);
    assert.equal(ev.process_vm_writev.target?.pid, child);
    assert.equal(ev.process_vm_writev.riovcnt, 1);
    assert.ok(ev.process_vm_writev.remote_addr > 0);
  });

  it('reports module loading where the kernel has its tracepoints, and the rules needing it as not applicable where not', () => {
    const tracefs = existsSync('/sys/kernel/tracing/events') ? '/sys/kernel/tracing' : '/sys/kernel/debug/tracing';
    const hasModules = existsSync(join(tracefs, 'events/syscalls/sys_exit_finit_module'));
    const compiled = compileRuleset({
      rules: [
        { id: 'kmod_load', expression: 'load_module.name == "rootkit"' },
        { id: 'kmod_unload', expression: 'unload_module.name == "rootkit"' },
        { id: 'tracer', expression: 'ptrace.request == 16' },
      ],
    });
    assert.deepEqual(compiled.errors, []);
    const { types, spec } = fromSeclPlan(compiled.filterPlan());
    const k = KernelSensor.open({ types, filters: spec });
    try {
      const errors = notApplicableRules(compiled.rules, k.plan);
      if (hasModules) {
        assert.deepEqual(errors, []);
        for (const p of [...EVENT_TYPES.load_module.programs, ...EVENT_TYPES.unload_module.programs]) assert.ok(k.plan.programs.includes(p));
        return;
      }
      assert.deepEqual(errors.map((e) => e.rule), ['kmod_load', 'kmod_unload']);
      assert.equal(
        errors[0]?.message,
        'not applicable on this kernel: tracepoint syscalls/sys_exit_init_module, syscalls/sys_exit_finit_module missing',
      );
      assert.ok(k.plan.programs.includes('x_ptrace'), 'the other rules still load');
    } finally {
      k.close();
    }
  });
});
