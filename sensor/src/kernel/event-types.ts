// Event type names (as SECL spells them), their wire numbers, their family, and the BPF
// programs that produce them. One table, so that planning what to load, filtering in the
// kernel and decoding all agree.
import { EventType } from '../wire/wire.generated.ts';

export const FAMILIES = ['process', 'file', 'dns', 'network', 'kernel'] as const;
export type Family = (typeof FAMILIES)[number];

export interface EventTypeSpec {
  readonly wire: number;
  readonly family: Family;
  /** Programs that emit this type: all of them are needed to see every such event. */
  readonly programs: readonly string[];
}

const sys = (...names: string[]): string[] => names.map((n) => `x_${n}`);

export const EVENT_TYPES = {
  exec: { wire: EventType.EVENT_EXEC, family: 'process', programs: ['tp_exec'] },
  fork: { wire: EventType.EVENT_FORK, family: 'process', programs: ['tp_fork'] },
  exit: { wire: EventType.EVENT_EXIT, family: 'process', programs: ['tp_exit'] },
  open: { wire: EventType.EVENT_OPEN, family: 'file', programs: sys('open', 'openat', 'openat2', 'creat') },
  unlink: { wire: EventType.EVENT_UNLINK, family: 'file', programs: sys('unlink', 'unlinkat') },
  rmdir: { wire: EventType.EVENT_RMDIR, family: 'file', programs: sys('rmdir', 'unlinkat') },
  rename: { wire: EventType.EVENT_RENAME, family: 'file', programs: sys('rename', 'renameat', 'renameat2') },
  chmod: { wire: EventType.EVENT_CHMOD, family: 'file', programs: sys('chmod', 'fchmod', 'fchmodat', 'fchmodat2') },
  chown: { wire: EventType.EVENT_CHOWN, family: 'file', programs: sys('chown', 'lchown', 'fchown', 'fchownat') },
  link: { wire: EventType.EVENT_LINK, family: 'file', programs: sys('link', 'linkat') },
  symlink: { wire: EventType.EVENT_SYMLINK, family: 'file', programs: sys('symlink', 'symlinkat') },
  mkdir: { wire: EventType.EVENT_MKDIR, family: 'file', programs: sys('mkdir', 'mkdirat') },
  utimes: { wire: EventType.EVENT_UTIMES, family: 'file', programs: sys('utime', 'utimes', 'futimesat', 'utimensat') },
  setxattr: { wire: EventType.EVENT_SETXATTR, family: 'file', programs: sys('setxattr', 'lsetxattr', 'fsetxattr', 'setxattrat') },
  removexattr: {
    wire: EventType.EVENT_REMOVEXATTR,
    family: 'file',
    programs: sys('removexattr', 'lremovexattr', 'fremovexattr', 'removexattrat'),
  },
  truncate: { wire: EventType.EVENT_TRUNCATE, family: 'file', programs: sys('truncate', 'ftruncate') },
  // DNS packets on the cgroup2 root: queries leaving for port 53, responses from it
  dns: { wire: EventType.EVENT_DNS, family: 'dns', programs: ['sk_dns_egress'] },
  dns_response: { wire: EventType.EVENT_DNS_RESPONSE, family: 'dns', programs: ['sk_dns_ingress'] },
  connect: { wire: EventType.EVENT_CONNECT, family: 'network', programs: sys('connect') },
  accept: { wire: EventType.EVENT_ACCEPT, family: 'network', programs: sys('accept', 'accept4') },
  bind: { wire: EventType.EVENT_BIND, family: 'network', programs: sys('bind') },
  ptrace: { wire: EventType.EVENT_PTRACE, family: 'kernel', programs: sys('ptrace') },
  bpf: { wire: EventType.EVENT_BPF, family: 'kernel', programs: sys('bpf') },
  load_module: { wire: EventType.EVENT_LOAD_MODULE, family: 'kernel', programs: sys('init_module', 'finit_module') },
  unload_module: { wire: EventType.EVENT_UNLOAD_MODULE, family: 'kernel', programs: sys('delete_module') },
  mount: { wire: EventType.EVENT_MOUNT, family: 'kernel', programs: sys('mount') },
  umount: { wire: EventType.EVENT_UMOUNT, family: 'kernel', programs: sys('umount') },
  setuid: { wire: EventType.EVENT_SETUID, family: 'kernel', programs: sys('setuid', 'setreuid', 'setresuid', 'setfsuid') },
  setgid: { wire: EventType.EVENT_SETGID, family: 'kernel', programs: sys('setgid', 'setregid', 'setresgid', 'setfsgid') },
  capset: { wire: EventType.EVENT_CAPSET, family: 'kernel', programs: sys('capset') },
  signal: { wire: EventType.EVENT_SIGNAL, family: 'kernel', programs: sys('kill', 'tkill', 'tgkill') },
  prctl: { wire: EventType.EVENT_PRCTL, family: 'kernel', programs: sys('prctl') },
  memfd_create: { wire: EventType.EVENT_MEMFD_CREATE, family: 'kernel', programs: sys('memfd_create') },
  process_vm_writev: { wire: EventType.EVENT_PROCESS_VM_WRITEV, family: 'kernel', programs: sys('process_vm_writev') },
  unshare: { wire: EventType.EVENT_UNSHARE, family: 'kernel', programs: sys('unshare') },
  setns: { wire: EventType.EVENT_SETNS, family: 'kernel', programs: sys('setns') },
} as const satisfies Record<string, EventTypeSpec>;

export type EventName = keyof typeof EVENT_TYPES;
export const EVENT_NAMES = Object.keys(EVENT_TYPES) as EventName[];

const BY_WIRE = new Map<number, EventName>(EVENT_NAMES.map((n) => [EVENT_TYPES[n].wire, n]));

export function eventName(wire: number): EventName | undefined {
  return BY_WIRE.get(wire);
}

export function typesOfFamilies(families: Iterable<Family>): EventName[] {
  const want = new Set(families);
  return EVENT_NAMES.filter((n) => want.has(EVENT_TYPES[n].family));
}

export function isFamily(s: string): s is Family {
  return (FAMILIES as readonly string[]).includes(s);
}

/** The tracepoint a program attaches to ("syscalls/sys_exit_openat"), or undefined for raw ones. */
export function tracepointOf(program: string): string | undefined {
  return program.startsWith('x_') ? `syscalls/sys_exit_${program.slice(2)}` : undefined;
}

/** The cgroup hook of a cgroup_skb program ("cgroup_skb/egress"), or undefined for the others. */
export function cgroupHookOf(program: string): string | undefined {
  if (!program.startsWith('sk_')) return undefined;
  return program.endsWith('_egress') ? 'cgroup_skb/egress' : 'cgroup_skb/ingress';
}

/** What a program needs from the kernel: its tracepoint or its cgroup hook; undefined for raw tracepoints. */
export function hookOf(program: string): string | undefined {
  return tracepointOf(program) ?? cgroupHookOf(program);
}
