// Event type names (as SECL spells them), their wire numbers, their family, and the BPF
// programs that produce them. One table, so that planning what to load, filtering in the
// kernel and decoding all agree.
import { EventType } from '../wire/wire.generated.ts';

export const FAMILIES = ['process', 'file'] as const;
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
