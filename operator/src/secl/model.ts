// The SECL event model: every field Vigil provides, spelled as Datadog spells it, with its
// type, its event type, and an accessor reading SeclEvent (event.ts). Fields are declared
// once per kind of object (a file, a process) and instantiated under every prefix where
// that object appears, the way Datadog's model is generated. FIELDS.md is generated from
// this table (operator/scripts/gen-fields.ts).
//
// Datadog fields that Vigil's sensor does not fill are known by name (isDatadogField) and
// refused with "not supported yet", so no rule compiles that could never fire.

import { isPublicIp } from './cidr.ts';
import {
  emptyFile, emptyProcess, MAX_ANCESTORS,
  type FileInfo, type ProcessContext, type SeclEvent, type SeclEventType,
} from './event.ts';

export type ValueType = 'string' | 'int' | 'bool' | 'ip';

export interface IteratorDef {
  /** The iterator's field prefix, e.g. "process.ancestors". */
  name: string;
  list(ev: SeclEvent): readonly ProcessContext[];
}

export interface FieldDef {
  name: string;
  type: ValueType;
  /** The accessor returns an array (any-element semantics in comparisons). */
  array: boolean;
  /** The event type this field belongs to; "*" for fields every event has. */
  eventType: SeclEventType | '*';
  get(ev: SeclEvent): unknown;
  /** Fields under an iterator: the iterator and the per-element accessor, for registers. */
  iterator?: IteratorDef;
  element?: (p: ProcessContext) => unknown;
  /** The per-element accessor returns an array (argv of one ancestor). */
  elementArray?: boolean;
  /** Relative cost of reading the field; cheap checks run first. */
  weight: number;
  /** `.path` fields: patterns are path globs (`*` stops at `/`). */
  path: boolean;
  /** Timestamp (ns since epoch): comparing it with a duration compares its age. */
  timestamp: boolean;
  /** Compared case-insensitively (DNS names). */
  caseInsensitive: boolean;
  doc: string;
  /** Name of the constant group that fits (constants.ts). */
  constants?: string;
}

interface Spec<T> {
  suffix: string;
  type: ValueType;
  array?: boolean;
  get(o: T): unknown;
  doc: string;
  weight?: number;
  timestamp?: boolean;
  constants?: string;
  caseInsensitive?: boolean;
}

const EMPTY_FILE: FileInfo = Object.freeze(emptyFile());
const EMPTY_PROCESS: ProcessContext = Object.freeze(emptyProcess());
const NO_PROCESSES: readonly ProcessContext[] = Object.freeze([]);

// ---- derived values, cached against the identity of the arrays they come from ----

interface ArgsDerived { args: string; flags: string[]; options: string[] }
const argsCache = new WeakMap<readonly string[], ArgsDerived>();
const envsCache = new WeakMap<readonly string[], string[]>();
const labelsCache = new WeakMap<Record<string, string>, string[]>();

function isAlnum(c: string): boolean {
  return /^[A-Za-z0-9]$/.test(c);
}

/** Flags: `-ln` gives l, n and ln; `--version` gives version; `--a=b` gives none. */
export function argsFlags(argv: readonly string[]): string[] {
  const flags: string[] = [];
  for (const arg of argv) {
    if (arg.length < 2 || arg[0] !== '-') continue;
    let name = arg.slice(1);
    let short = true;
    if (name[0] === '-') {
      name = name.slice(1);
      short = false;
    }
    if (!name) continue;
    const chars = [...name];
    const isOption = name.includes('=');
    if (short && chars.every(isAlnum)) flags.push(...chars);
    if (!isOption && chars.length > 1) flags.push(name);
  }
  return flags;
}

/** Options: `--width=8` gives width=8; `-T 8` gives T=8 (the value is the next non-dash argument). */
export function argsOptions(argv: readonly string[]): string[] {
  const options: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg.length < 2 || arg[0] !== '-') continue;
    let name = arg.slice(1);
    if (name[0] === '-') name = name.slice(1);
    if (!name || !isAlnum(name[0] as string)) continue;
    if (name.includes('=')) {
      options.push(name);
      continue;
    }
    const next = argv[i + 1];
    if (next !== undefined && (next === '' || next[0] !== '-')) {
      options.push(`${name}=${next}`);
      i++;
    }
  }
  return options;
}

function argsOf(argv: readonly string[]): ArgsDerived {
  let d = argsCache.get(argv);
  if (!d) {
    d = { args: argv.join(' '), flags: argsFlags(argv), options: argsOptions(argv) };
    argsCache.set(argv, d);
  }
  return d;
}

function envsOf(envp: readonly string[]): string[] {
  let d = envsCache.get(envp);
  if (!d) {
    d = envp.map((e) => {
      const eq = e.indexOf('=');
      return eq < 0 ? e : e.slice(0, eq);
    });
    envsCache.set(envp, d);
  }
  return d;
}

function labelsOf(labels: Record<string, string> | undefined): string[] {
  if (!labels) return [];
  let d = labelsCache.get(labels);
  if (!d) {
    d = Object.entries(labels).map(([k, v]) => `${k}:${v}`);
    labelsCache.set(labels, d);
  }
  return d;
}

/** File extension with its dot, as Datadog reports it: ".yaml"; "" when none. */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot);
}

// ---- specs: one list per kind of object ----

const FILE_SPECS: Spec<FileInfo>[] = [
  { suffix: 'path', type: 'string', get: (f) => f.path, doc: "File's path" },
  { suffix: 'name', type: 'string', get: (f) => f.name, doc: "File's basename" },
  { suffix: 'extension', type: 'string', get: (f) => extensionOf(f.name), doc: "File's extension (\".sh\")", weight: 3 },
  { suffix: 'path.length', type: 'int', get: (f) => f.path.length, doc: 'Length of the path' },
  { suffix: 'name.length', type: 'int', get: (f) => f.name.length, doc: 'Length of the basename' },
  { suffix: 'inode', type: 'int', get: (f) => f.inode, doc: 'Inode of the file' },
  { suffix: 'mount_id', type: 'int', get: (f) => f.mount_id, doc: 'Mount ID of the file' },
  { suffix: 'mode', type: 'int', get: (f) => f.mode, doc: 'Mode of the file', constants: 'file modes' },
  { suffix: 'rights', type: 'int', get: (f) => f.mode & 0o7777, doc: 'Permission bits of the file', constants: 'file modes' },
  { suffix: 'uid', type: 'int', get: (f) => f.uid, doc: "UID of the file's owner" },
  { suffix: 'gid', type: 'int', get: (f) => f.gid, doc: "GID of the file's owner" },
  { suffix: 'user', type: 'string', get: (f) => f.user, doc: "User of the file's owner" },
  { suffix: 'group', type: 'string', get: (f) => f.group, doc: "Group of the file's owner" },
  { suffix: 'change_time', type: 'int', get: (f) => f.change_time, doc: 'Change time (ctime) of the file', timestamp: true },
  { suffix: 'modification_time', type: 'int', get: (f) => f.modification_time, doc: 'Modification time (mtime) of the file', timestamp: true },
  { suffix: 'filesystem', type: 'string', get: (f) => f.filesystem, doc: "File's filesystem type" },
  { suffix: 'in_upper_layer', type: 'bool', get: (f) => f.in_upper_layer, doc: 'The file is in the upper layer of an overlayfs' },
];

const PROCESS_SPECS: Spec<ProcessContext>[] = [
  { suffix: 'pid', type: 'int', get: (p) => p.pid, doc: 'Process ID (thread group ID)' },
  { suffix: 'ppid', type: 'int', get: (p) => p.ppid, doc: 'Parent process ID' },
  { suffix: 'tid', type: 'int', get: (p) => p.tid, doc: 'Thread ID' },
  { suffix: 'uid', type: 'int', get: (p) => p.uid, doc: 'UID of the process' },
  { suffix: 'gid', type: 'int', get: (p) => p.gid, doc: 'GID of the process' },
  { suffix: 'euid', type: 'int', get: (p) => p.euid, doc: 'Effective UID' },
  { suffix: 'egid', type: 'int', get: (p) => p.egid, doc: 'Effective GID' },
  { suffix: 'fsuid', type: 'int', get: (p) => p.fsuid, doc: 'Filesystem UID' },
  { suffix: 'fsgid', type: 'int', get: (p) => p.fsgid, doc: 'Filesystem GID' },
  { suffix: 'auid', type: 'int', get: (p) => p.auid, doc: 'Login UID', constants: 'audit' },
  { suffix: 'user', type: 'string', get: (p) => p.user, doc: 'User of the process' },
  { suffix: 'group', type: 'string', get: (p) => p.group, doc: 'Group of the process' },
  { suffix: 'euser', type: 'string', get: (p) => p.euser, doc: 'Effective user' },
  { suffix: 'egroup', type: 'string', get: (p) => p.egroup, doc: 'Effective group' },
  { suffix: 'fsuser', type: 'string', get: (p) => p.fsuser, doc: 'Filesystem user' },
  { suffix: 'fsgroup', type: 'string', get: (p) => p.fsgroup, doc: 'Filesystem group' },
  { suffix: 'cap_effective', type: 'int', get: (p) => p.cap_effective, doc: 'Effective capability set', constants: 'capabilities' },
  { suffix: 'cap_permitted', type: 'int', get: (p) => p.cap_permitted, doc: 'Permitted capability set', constants: 'capabilities' },
  { suffix: 'comm', type: 'string', get: (p) => p.comm, doc: 'Comm attribute of the process' },
  { suffix: 'tty_name', type: 'string', get: (p) => p.tty_name, doc: 'Name of the TTY of the process' },
  { suffix: 'argv0', type: 'string', get: (p) => p.argv0, doc: 'First argument of the process' },
  { suffix: 'args', type: 'string', get: (p) => argsOf(p.argv).args, doc: 'Arguments as one string, excluding argv0', weight: 5 },
  { suffix: 'argv', type: 'string', array: true, get: (p) => p.argv, doc: 'Arguments as an array, excluding argv0' },
  { suffix: 'args_flags', type: 'string', array: true, get: (p) => argsOf(p.argv).flags, doc: 'Flags in the arguments (`-l`, `--version`)', weight: 8 },
  { suffix: 'args_options', type: 'string', array: true, get: (p) => argsOf(p.argv).options, doc: 'Options in the arguments (`T=8` for `-T 8`)', weight: 8 },
  { suffix: 'args_truncated', type: 'bool', get: (p) => p.args_truncated, doc: 'The arguments were truncated' },
  { suffix: 'envp', type: 'string', array: true, get: (p) => p.envp, doc: 'Environment variables (NAME=value)' },
  { suffix: 'envs', type: 'string', array: true, get: (p) => envsOf(p.envp), doc: 'Environment variable names', weight: 5 },
  { suffix: 'envs_truncated', type: 'bool', get: (p) => p.envs_truncated, doc: 'The environment was truncated' },
  { suffix: 'created_at', type: 'int', get: (p) => p.created_at, doc: 'Creation (fork) time of the process', timestamp: true },
  { suffix: 'is_thread', type: 'bool', get: (p) => p.is_thread, doc: 'A child that has not executed another program' },
  { suffix: 'is_kworker', type: 'bool', get: (p) => p.is_kworker, doc: 'The process is a kworker' },
  { suffix: 'is_exec', type: 'bool', get: (p) => p.exec_time > 0, doc: 'The process entry comes from an execve' },
  { suffix: 'container.id', type: 'string', get: (p) => p.container?.id ?? '', doc: 'Container ID of the process' },
  { suffix: 'cgroup.id', type: 'string', get: (p) => p.cgroup?.id ?? '', doc: 'Cgroup of the process' },
  { suffix: 'cgroup.file.inode', type: 'int', get: (p) => p.cgroup?.inode ?? 0, doc: 'Inode of the cgroup directory' },
  { suffix: 'cgroup.version', type: 'int', get: (p) => p.cgroup?.version ?? 0, doc: 'Cgroup version (1 or 2)' },
  ...FILE_SPECS.map((s): Spec<ProcessContext> => ({ ...s, suffix: `file.${s.suffix}`, get: (p) => s.get(p.file), doc: `Executable: ${s.doc}` })),
];

// ---- the table ----

const fields = new Map<string, FieldDef>();

function add(name: string, eventType: SeclEventType | '*', spec: Omit<Spec<SeclEvent>, 'suffix'>, extra: Partial<FieldDef> = {}): void {
  fields.set(name, {
    name,
    type: spec.type,
    array: spec.array ?? false,
    eventType,
    get: spec.get,
    weight: spec.weight ?? 1,
    path: name.endsWith('.path'),
    timestamp: spec.timestamp ?? false,
    caseInsensitive: spec.caseInsensitive ?? false,
    doc: spec.doc,
    ...(spec.constants ? { constants: spec.constants } : {}),
    ...extra,
  });
}

function addSpecs<T>(prefix: string, eventType: SeclEventType | '*', specs: Spec<T>[], of: (ev: SeclEvent) => T): void {
  for (const s of specs) add(`${prefix}.${s.suffix}`, eventType, { ...s, get: (ev) => s.get(of(ev)) });
}

/** A process and, optionally, its parent and ancestors iterator under `prefix`. */
function addProcess(prefix: string, eventType: SeclEventType | '*', of: (ev: SeclEvent) => ProcessContext | undefined, family: boolean): void {
  addSpecs(prefix, eventType, PROCESS_SPECS, (ev) => of(ev) ?? EMPTY_PROCESS);
  if (!family) return;
  addSpecs(`${prefix}.parent`, eventType, PROCESS_SPECS, (ev) => of(ev)?.ancestors[0] ?? EMPTY_PROCESS);
  const iterator: IteratorDef = {
    name: `${prefix}.ancestors`,
    list: (ev) => {
      const a = of(ev)?.ancestors ?? NO_PROCESSES;
      return a.length > MAX_ANCESTORS ? a.slice(0, MAX_ANCESTORS) : a;
    },
  };
  for (const s of PROCESS_SPECS) {
    const get = s.array
      ? (ev: SeclEvent) => {
        const out: unknown[] = [];
        for (const p of iterator.list(ev)) for (const v of s.get(p) as unknown[]) out.push(v);
        return out;
      }
      : (ev: SeclEvent) => {
        const list = iterator.list(ev);
        const out = new Array<unknown>(list.length);
        for (let i = 0; i < list.length; i++) out[i] = s.get(list[i] as ProcessContext);
        return out;
      };
    add(`${prefix}.ancestors.${s.suffix}`, eventType, { ...s, array: true, get, weight: 20 + (s.weight ?? 1) },
      { iterator, element: (p) => s.get(p), elementArray: s.array ?? false });
  }
}

function addFile(prefix: string, eventType: SeclEventType, of: (ev: SeclEvent) => FileInfo | undefined): void {
  addSpecs(prefix, eventType, FILE_SPECS, (ev) => of(ev) ?? EMPTY_FILE);
}

const retval = (t: SeclEventType, of: (ev: SeclEvent) => { retval: number } | undefined): void =>
  add(`${t}.retval`, t, { type: 'int', get: (ev) => of(ev)?.retval ?? 0, doc: 'Return value of the syscall' });

// Every event: the acting process, its container and pod.
addProcess('process', '*', (ev) => ev.process, true);
add('container.id', '*', { type: 'string', get: (ev) => ev.container?.id ?? '', doc: 'ID of the container' });
add('container.created_at', '*', { type: 'int', get: (ev) => ev.container?.created_at ?? 0, doc: 'Creation time of the container', timestamp: true });
add('container.runtime', '*', { type: 'string', get: (ev) => ev.container?.runtime ?? '', doc: 'Container runtime (containerd, cri-o, docker)' });
add('container.tags', '*', { type: 'string', array: true, get: (ev) => ev.container?.tags ?? [], doc: 'Container tags: kube_namespace:, pod_name:, image_name:, ...' });
add('k8s.namespace', '*', { type: 'string', get: (ev) => ev.k8s?.namespace ?? '', doc: 'Kubernetes namespace of the pod (Vigil)' });
add('k8s.pod.name', '*', { type: 'string', get: (ev) => ev.k8s?.pod.name ?? '', doc: 'Name of the pod (Vigil)' });
add('k8s.pod.uid', '*', { type: 'string', get: (ev) => ev.k8s?.pod.uid ?? '', doc: 'UID of the pod (Vigil)' });
add('k8s.pod.labels', '*', { type: 'string', array: true, get: (ev) => labelsOf(ev.k8s?.pod.labels), doc: 'Labels of the pod as "key:value" (Vigil)', weight: 3 });
add('cgroup.id', '*', { type: 'string', get: (ev) => ev.process.cgroup?.id ?? '', doc: 'Cgroup of the event' });
add('cgroup.file.inode', '*', { type: 'int', get: (ev) => ev.process.cgroup?.inode ?? 0, doc: 'Inode of the cgroup directory' });
add('cgroup.version', '*', { type: 'int', get: (ev) => ev.process.cgroup?.version ?? 0, doc: 'Cgroup version' });
add('event.timestamp', '*', { type: 'int', get: (ev) => ev.timestamp, doc: 'Timestamp of the event', timestamp: true });
add('event.hostname', '*', { type: 'string', get: (ev) => ev.hostname ?? '', doc: 'Node name' });
// The sensor's events always come from eBPF at run time on Linux: these are constants, kept
// so Datadog rules that test them (`event.origin != "ebpf" || ...`) run unchanged.
add('event.origin', '*', { type: 'string', get: () => 'ebpf', doc: 'Origin of the event: always "ebpf"' });
add('event.source', '*', { type: 'string', get: () => 'runtime', doc: 'Source of the event: always "runtime"' });
add('event.os', '*', { type: 'string', get: () => 'linux', doc: 'Operating system: always "linux"' });

addProcess('exec', 'exec', (ev) => ev.process, false);
addProcess('exit', 'exit', (ev) => ev.process, false);
add('exit.cause', 'exit', { type: 'int', get: (ev) => ev.exit?.cause ?? 0, doc: 'Cause of the exit', constants: 'exit causes' });
add('exit.code', 'exit', { type: 'int', get: (ev) => ev.exit?.code ?? 0, doc: 'Exit code, or the signal that killed the process' });

addFile('open.file', 'open', (ev) => ev.open?.file);
add('open.flags', 'open', { type: 'int', get: (ev) => ev.open?.flags ?? 0, doc: 'Flags of the open', constants: 'open flags' });
add('open.file.destination.mode', 'open', { type: 'int', get: (ev) => ev.open?.file.destination.mode ?? 0, doc: 'Mode of the created file', constants: 'file modes' });
retval('open', (ev) => ev.open);

addFile('chmod.file', 'chmod', (ev) => ev.chmod?.file);
add('chmod.file.destination.mode', 'chmod', { type: 'int', get: (ev) => ev.chmod?.file.destination.mode ?? 0, doc: 'New mode of the file', constants: 'file modes' });
add('chmod.file.destination.rights', 'chmod', { type: 'int', get: (ev) => (ev.chmod?.file.destination.mode ?? 0) & 0o7777, doc: 'New permission bits of the file', constants: 'file modes' });
retval('chmod', (ev) => ev.chmod);

addFile('chown.file', 'chown', (ev) => ev.chown?.file);
add('chown.file.destination.uid', 'chown', { type: 'int', get: (ev) => ev.chown?.file.destination.uid ?? 0, doc: 'New owner UID' });
add('chown.file.destination.gid', 'chown', { type: 'int', get: (ev) => ev.chown?.file.destination.gid ?? 0, doc: 'New owner GID' });
add('chown.file.destination.user', 'chown', { type: 'string', get: (ev) => ev.chown?.file.destination.user ?? '', doc: 'New owner user' });
add('chown.file.destination.group', 'chown', { type: 'string', get: (ev) => ev.chown?.file.destination.group ?? '', doc: 'New owner group' });
retval('chown', (ev) => ev.chown);

addFile('unlink.file', 'unlink', (ev) => ev.unlink?.file);
add('unlink.flags', 'unlink', { type: 'int', get: (ev) => ev.unlink?.flags ?? 0, doc: 'Flags of the unlink', constants: 'unlink flags' });
retval('unlink', (ev) => ev.unlink);

for (const t of ['rename', 'link'] as const) {
  addFile(`${t}.file`, t, (ev) => ev[t]?.file);
  addFile(`${t}.file.destination`, t, (ev) => ev[t]?.file.destination);
  retval(t, (ev) => ev[t]);
}

addFile('mkdir.file', 'mkdir', (ev) => ev.mkdir?.file);
add('mkdir.file.destination.mode', 'mkdir', { type: 'int', get: (ev) => ev.mkdir?.file.destination.mode ?? 0, doc: 'Mode of the new directory', constants: 'file modes' });
add('mkdir.file.destination.rights', 'mkdir', { type: 'int', get: (ev) => (ev.mkdir?.file.destination.mode ?? 0) & 0o7777, doc: 'Permission bits of the new directory', constants: 'file modes' });
retval('mkdir', (ev) => ev.mkdir);

for (const t of ['rmdir', 'utimes'] as const) {
  addFile(`${t}.file`, t, (ev) => ev[t]?.file);
  retval(t, (ev) => ev[t]);
}

for (const t of ['setxattr', 'removexattr'] as const) {
  addFile(`${t}.file`, t, (ev) => ev[t]?.file);
  add(`${t}.file.destination.name`, t, { type: 'string', get: (ev) => ev[t]?.file.destination.name ?? '', doc: 'Name of the extended attribute' });
  add(`${t}.file.destination.namespace`, t, { type: 'string', get: (ev) => ev[t]?.file.destination.namespace ?? '', doc: 'Namespace of the extended attribute' });
  retval(t, (ev) => ev[t]);
}

addFile('mmap.file', 'mmap', (ev) => ev.mmap?.file);
add('mmap.flags', 'mmap', { type: 'int', get: (ev) => ev.mmap?.flags ?? 0, doc: 'Memory segment flags', constants: 'mmap flags' });
add('mmap.protection', 'mmap', { type: 'int', get: (ev) => ev.mmap?.protection ?? 0, doc: 'Memory segment protection', constants: 'mmap protections' });
retval('mmap', (ev) => ev.mmap);
add('mprotect.req_protection', 'mprotect', { type: 'int', get: (ev) => ev.mprotect?.req_protection ?? 0, doc: 'Requested protection', constants: 'mmap protections' });
retval('mprotect', (ev) => ev.mprotect);

add('dns.id', 'dns', { type: 'int', get: (ev) => ev.dns?.id ?? 0, doc: 'DNS request ID' });
add('dns.question.name', 'dns', { type: 'string', get: (ev) => ev.dns?.question.name ?? '', doc: 'Queried domain name (case-insensitive)', caseInsensitive: true });
add('dns.question.name.length', 'dns', { type: 'int', get: (ev) => ev.dns?.question.name.length ?? 0, doc: 'Length of the queried name' });
add('dns.question.type', 'dns', { type: 'int', get: (ev) => ev.dns?.question.type ?? 0, doc: 'Question type', constants: 'DNS qtypes' });
add('dns.question.class', 'dns', { type: 'int', get: (ev) => ev.dns?.question.class ?? 0, doc: 'Question class', constants: 'DNS qclasses' });
add('dns.question.count', 'dns', { type: 'int', get: (ev) => ev.dns?.question.count ?? 0, doc: 'Number of questions' });
add('dns.question.length', 'dns', { type: 'int', get: (ev) => ev.dns?.question.length ?? 0, doc: 'Size of the request in bytes' });
for (const end of ['source', 'destination'] as const) {
  add(`network.${end}.ip`, 'dns', { type: 'ip', get: (ev) => ev.network?.[end].ip ?? '', doc: `${end} IP address`, weight: 2 });
  add(`network.${end}.port`, 'dns', { type: 'int', get: (ev) => ev.network?.[end].port ?? 0, doc: `${end} port` });
  add(`network.${end}.is_public`, 'dns', { type: 'bool', get: (ev) => isPublicIp(ev.network?.[end].ip ?? ''), doc: `${end} IP is public`, weight: 4 });
}
add('network.l3_protocol', 'dns', { type: 'int', get: (ev) => ev.network?.l3_protocol ?? 0, doc: 'L3 protocol', constants: 'L3 protocols' });
add('network.l4_protocol', 'dns', { type: 'int', get: (ev) => ev.network?.l4_protocol ?? 0, doc: 'L4 protocol', constants: 'L4 protocols' });
add('network.size', 'dns', { type: 'int', get: (ev) => ev.network?.size ?? 0, doc: 'Packet size in bytes' });

for (const t of ['connect', 'accept', 'bind'] as const) {
  add(`${t}.addr.ip`, t, { type: 'ip', get: (ev) => ev[t]?.addr.ip ?? '', doc: 'IP address', weight: 2 });
  add(`${t}.addr.port`, t, { type: 'int', get: (ev) => ev[t]?.addr.port ?? 0, doc: 'Port' });
  add(`${t}.addr.family`, t, { type: 'int', get: (ev) => ev[t]?.addr.family ?? 0, doc: 'Address family', constants: 'address families' });
  add(`${t}.addr.is_public`, t, { type: 'bool', get: (ev) => isPublicIp(ev[t]?.addr.ip ?? ''), doc: 'The IP address is public', weight: 4 });
  if (t !== 'bind') add(`${t}.addr.hostname`, t, { type: 'string', get: (ev) => ev[t]?.addr.hostname ?? '', doc: 'Hostname the process resolved to this address', caseInsensitive: true });
  if (t !== 'accept') add(`${t}.protocol`, t, { type: 'int', get: (ev) => ev[t]?.protocol ?? 0, doc: 'Socket protocol', constants: 'L4 protocols' });
  retval(t, (ev) => ev[t]);
}

add('ptrace.request', 'ptrace', { type: 'int', get: (ev) => ev.ptrace?.request ?? 0, doc: 'ptrace request', constants: 'ptrace requests' });
retval('ptrace', (ev) => ev.ptrace);
addProcess('ptrace.tracee', 'ptrace', (ev) => ev.ptrace?.tracee, true);

add('bpf.cmd', 'bpf', { type: 'int', get: (ev) => ev.bpf?.cmd ?? 0, doc: 'BPF command', constants: 'BPF commands' });
add('bpf.map.name', 'bpf', { type: 'string', get: (ev) => ev.bpf?.map.name ?? '', doc: 'Name of the eBPF map' });
add('bpf.map.type', 'bpf', { type: 'int', get: (ev) => ev.bpf?.map.type ?? 0, doc: 'Type of the eBPF map', constants: 'BPF map types' });
add('bpf.prog.name', 'bpf', { type: 'string', get: (ev) => ev.bpf?.prog.name ?? '', doc: 'Name of the eBPF program' });
add('bpf.prog.type', 'bpf', { type: 'int', get: (ev) => ev.bpf?.prog.type ?? 0, doc: 'Type of the eBPF program', constants: 'BPF program types' });
add('bpf.prog.attach_type', 'bpf', { type: 'int', get: (ev) => ev.bpf?.prog.attach_type ?? 0, doc: 'Attach type of the eBPF program' });
add('bpf.prog.helpers', 'bpf', { type: 'int', array: true, get: (ev) => ev.bpf?.prog.helpers ?? [], doc: 'eBPF helpers the program calls', constants: 'BPF helpers' });
retval('bpf', (ev) => ev.bpf);

add('load_module.name', 'load_module', { type: 'string', get: (ev) => ev.load_module?.name ?? '', doc: 'Name of the kernel module' });
add('load_module.loaded_from_memory', 'load_module', { type: 'bool', get: (ev) => ev.load_module?.loaded_from_memory ?? false, doc: 'Loaded with init_module (from memory)' });
add('load_module.argv', 'load_module', { type: 'string', array: true, get: (ev) => ev.load_module?.argv ?? [], doc: 'Module parameters as an array' });
add('load_module.args', 'load_module', { type: 'string', get: (ev) => argsOf(ev.load_module?.argv ?? []).args, doc: 'Module parameters as one string', weight: 5 });
add('load_module.args_truncated', 'load_module', { type: 'bool', get: (ev) => ev.load_module?.args_truncated ?? false, doc: 'The parameters were truncated' });
addFile('load_module.file', 'load_module', (ev) => ev.load_module?.file);
retval('load_module', (ev) => ev.load_module);
add('unload_module.name', 'unload_module', { type: 'string', get: (ev) => ev.unload_module?.name ?? '', doc: 'Name of the kernel module' });
retval('unload_module', (ev) => ev.unload_module);

add('mount.mountpoint.path', 'mount', { type: 'string', get: (ev) => ev.mount?.mountpoint.path ?? '', doc: 'Path of the mount point' });
add('mount.source.path', 'mount', { type: 'string', get: (ev) => ev.mount?.source.path ?? '', doc: 'Source path (device or bind mount source)' });
add('mount.fs_type', 'mount', { type: 'string', get: (ev) => ev.mount?.fs_type ?? '', doc: 'Type of the mounted filesystem' });
retval('mount', (ev) => ev.mount);

for (const k of ['uid', 'euid', 'fsuid'] as const) add(`setuid.${k}`, 'setuid', { type: 'int', get: (ev) => ev.setuid?.[k] ?? 0, doc: `New ${k}` });
for (const k of ['user', 'euser', 'fsuser'] as const) add(`setuid.${k}`, 'setuid', { type: 'string', get: (ev) => ev.setuid?.[k] ?? '', doc: `New ${k}` });
for (const k of ['gid', 'egid', 'fsgid'] as const) add(`setgid.${k}`, 'setgid', { type: 'int', get: (ev) => ev.setgid?.[k] ?? 0, doc: `New ${k}` });
for (const k of ['group', 'egroup', 'fsgroup'] as const) add(`setgid.${k}`, 'setgid', { type: 'string', get: (ev) => ev.setgid?.[k] ?? '', doc: `New ${k}` });
for (const k of ['cap_effective', 'cap_permitted'] as const) {
  add(`capset.${k}`, 'capset', { type: 'int', get: (ev) => ev.capset?.[k] ?? 0, doc: `New ${k} set`, constants: 'capabilities' });
}

add('signal.type', 'signal', { type: 'int', get: (ev) => ev.signal?.type ?? 0, doc: 'Signal number', constants: 'signals' });
add('signal.pid', 'signal', { type: 'int', get: (ev) => ev.signal?.pid ?? 0, doc: 'Target PID' });
retval('signal', (ev) => ev.signal);
addProcess('signal.target', 'signal', (ev) => ev.signal?.target, true);

add('prctl.option', 'prctl', { type: 'int', get: (ev) => ev.prctl?.option ?? 0, doc: 'prctl option', constants: 'prctl options' });
add('prctl.new_name', 'prctl', { type: 'string', get: (ev) => ev.prctl?.new_name ?? '', doc: 'New name of the process (PR_SET_NAME)' });
add('prctl.is_name_truncated', 'prctl', { type: 'bool', get: (ev) => ev.prctl?.is_name_truncated ?? false, doc: 'The name was truncated' });
retval('prctl', (ev) => ev.prctl);

/** All fields Vigil provides, by name. */
export const FIELDS: ReadonlyMap<string, FieldDef> = fields;

export function getField(name: string): FieldDef | undefined {
  return fields.get(name);
}

/** Event types some field belongs to, i.e. the types a rule can target. */
export const RULE_EVENT_TYPES: readonly SeclEventType[] = [
  ...new Set([...fields.values()].map((f) => f.eventType).filter((t): t is SeclEventType => t !== '*')),
].sort();

// ---- Datadog fields that Vigil does not provide (yet) ----

/** Datadog event types the sensor does not produce. */
export const UNSUPPORTED_EVENT_TYPES = [
  'capabilities', 'cgroup_write', 'chdir', 'fim', 'imds', 'network_flow_monitor', 'packet', 'selinux',
  'setrlimit', 'setsockopt', 'splice', 'sysctl',
];
const PACKAGE_SUFFIXES = ['epoch', 'name', 'release', 'source_epoch', 'source_release', 'source_version', 'version'];
const UNSUPPORTED_FILE_SUFFIXES = new Set(['hashes', 'mount_detached', 'mount_visible', ...PACKAGE_SUFFIXES.map((s) => `package.${s}`)]);
const ALL_FILE_SUFFIXES = [...FILE_SPECS.map((s) => s.suffix), ...UNSUPPORTED_FILE_SUFFIXES];
const UNSUPPORTED_PROCESS_SUFFIXES = new Set([
  'caps_attempted', 'caps_used', 'cgroup.file.mount_id', 'length',
  ...['k8s_groups', 'k8s_uid', 'k8s_username', 'ssh_auth_method', 'ssh_client_ip', 'ssh_port', 'ssh_public_key', 'ssh_username']
    .map((s) => `user_session.${s}`),
  ...ALL_FILE_SUFFIXES.map((s) => `interpreter.file.${s}`),
]);
const EXEC_FILE_METADATA = ['abi', 'architecture', 'compression', 'is_executable', 'is_garble_obfuscated', 'is_upx_packed', 'size', 'type'];
const UNSUPPORTED_FIELDS = new Set([
  'dns.response.code', 'mount.root.path', 'mount.detached', 'mount.visible', 'bpf.prog.tag',
  'mprotect.vm_protection', 'network.device.ifname', 'network.network_direction', 'network.type',
  'event.service', 'event.async', 'event.rule.tags', 'cgroup.file.mount_id',
  ...EXEC_FILE_METADATA.map((s) => `exec.file.metadata.${s}`),
]);
const PROCESS_PREFIXES = ['process', 'exec', 'exit', 'ptrace.tracee', 'signal.target']
  .flatMap((p) => [`${p}.parent.`, `${p}.ancestors.`, `${p}.`]);

/** True when Datadog's model has this field but Vigil does not provide it. */
export function isDatadogField(name: string): boolean {
  if (fields.has(name)) return false;
  const bare = name.replace(/\[[^\]]*\]/g, '');
  if (UNSUPPORTED_FIELDS.has(bare)) return true;
  const head = bare.split('.')[0] ?? '';
  if (UNSUPPORTED_EVENT_TYPES.includes(head)) return true;
  if (/^[a-z_]+\.syscall\.[a-z_.]+$/.test(bare)) return true;
  for (const p of PROCESS_PREFIXES) {
    if (bare.startsWith(p) && UNSUPPORTED_PROCESS_SUFFIXES.has(bare.slice(p.length))) return true;
  }
  const m = /\.file(?:\.destination)?\.(.+)$/.exec(bare);
  return m?.[1] !== undefined && UNSUPPORTED_FILE_SUFFIXES.has(m[1]);
}
