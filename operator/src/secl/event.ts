// The event the sensor hands to the SECL evaluator: THE contract between the sensor's
// enrich stage and the rule engine. Field accessors of the SECL model (model.ts) read
// exactly this shape, so a SECL field name maps mechanically onto a property path:
//   exec.file.path        -> ev.process.file.path            (exec events: process = new image)
//   open.file.path        -> ev.open.file.path
//   process.parent.comm   -> ev.process.ancestors[0].comm
//   container.created_at  -> ev.container.created_at
// Property names are spelled as SECL spells the field (snake_case) on purpose.
//
// Conventions the sensor follows when filling it:
// - Every timestamp is nanoseconds since the Unix epoch as a JS number (precision ~256 ns;
//   rules compare ages in seconds). 0 means "unknown".
// - Unknown strings are "", unknown numbers 0, unknown booleans false. Optional objects
//   may be left out; the accessors then read zero values.
// - Paths are absolute, resolved in the kernel. A file executed from a memfd has
//   file.path === "" and file.name === "memfd:<name>" (Datadog's spelling, which
//   Datadog's default rules test with `exec.file.name =~ "memfd*" && exec.file.path == ""`).
// - Treat a ProcessContext as immutable once built: derived values (args_flags, envs, ...)
//   are cached by the evaluator against the identity of its argv/envp arrays.
// - Only what the sensor really fills is here. SECL fields that would need more are
//   known by name in the model and refused with "not supported yet".

/** Event types the sensor produces. `fork` feeds the process tree only: SECL has no fork.* fields. */
export const EVENT_TYPES = [
  'exec', 'fork', 'exit',
  'open', 'chmod', 'chown', 'unlink', 'rename', 'link', 'mkdir', 'rmdir', 'utimes',
  'setxattr', 'removexattr',
  'mmap', 'mprotect',
  'dns', 'connect', 'accept', 'bind',
  'ptrace', 'bpf', 'load_module', 'unload_module', 'mount',
  'setuid', 'setgid', 'capset', 'signal', 'prctl',
] as const;
export type SeclEventType = (typeof EVENT_TYPES)[number];

/** A file as seen by the kernel at event time. */
export interface FileInfo {
  /** Absolute path ("" when the file has none, e.g. memfd). */
  path: string;
  /** Basename; "memfd:<name>" for memfd files. */
  name: string;
  inode: number;
  mount_id: number;
  /** st_mode: type bits (S_IFREG, ...) and permission bits. */
  mode: number;
  uid: number;
  gid: number;
  /** Owner names resolved by user space from the file's mount namespace ("" if unknown). */
  user: string;
  group: string;
  /** ctime / mtime, ns since epoch. */
  change_time: number;
  modification_time: number;
  /** Filesystem type name: "ext4", "overlay", "tmpfs", "proc", ... */
  filesystem: string;
  /** True when the file lives in the upper (writable) layer of an overlayfs. */
  in_upper_layer: boolean;
}

export interface ContainerContext {
  /** Full container id (64 hex chars for containerd/docker), "" on the host. */
  id: string;
  /** Container creation time, ns since epoch. */
  created_at: number;
  /** "containerd", "cri-o", "docker", ... */
  runtime: string;
  /**
   * Datadog-style tags "key:value": at least kube_namespace:, pod_name:, image_name:,
   * image_tag:, short_image:, container_name:, kube_container_name: when known.
   */
  tags: string[];
}

export interface CgroupContext {
  /** The cgroup path relative to the cgroup root, e.g. "/kubepods.slice/...". */
  id: string;
  /** Inode of the cgroup directory (the kernel cgroup id on cgroup v2). */
  inode: number;
  /** 1 or 2. */
  version: number;
}

/** One process (thread group). Ancestors are listed parent first. */
export interface ProcessContext {
  pid: number;
  ppid: number;
  tid: number;
  uid: number;
  gid: number;
  euid: number;
  egid: number;
  fsuid: number;
  fsgid: number;
  /** Login uid; 4294967295 (AUDIT_AUID_UNSET) when unset. */
  auid: number;
  /** Names resolved from the process's /etc/passwd and /etc/group ("" if unknown). */
  user: string;
  group: string;
  euser: string;
  egroup: string;
  fsuser: string;
  fsgroup: string;
  /** Capability sets as bit masks (bit n = capability n). */
  cap_effective: number;
  cap_permitted: number;
  /** task->comm, at most 15 chars. */
  comm: string;
  /** Controlling terminal name ("pts/0"), "" when none. */
  tty_name: string;
  /** The executable. */
  file: FileInfo;
  /** argv[0] as passed to execve. */
  argv0: string;
  /** Arguments after argv[0]. */
  argv: string[];
  args_truncated: boolean;
  /** Environment as "NAME=value" strings. */
  envp: string[];
  envs_truncated: boolean;
  /** Fork time, ns since epoch; stays the same across execve. */
  created_at: number;
  /** Time of the last execve, ns since epoch (0 if the process never exec'd). */
  exec_time: number;
  is_thread: boolean;
  is_kworker: boolean;
  container?: ContainerContext;
  cgroup?: CgroupContext;
  /** Parent first, bounded by the sensor (see MAX_ANCESTORS); empty for ancestors themselves. */
  ancestors: ProcessContext[];
}

export interface KubernetesContext {
  namespace: string;
  pod: { name: string; uid: string; labels: Record<string, string> };
}

interface SyscallResult {
  /** Return value of the syscall (negative errno on failure). */
  retval: number;
}

export interface OpenEvent extends SyscallResult {
  file: FileInfo & { destination: { mode: number } };
  /** open(2) flags (O_CREAT, O_WRONLY, ...). */
  flags: number;
}
export interface ChmodEvent extends SyscallResult { file: FileInfo & { destination: { mode: number } } }
export interface ChownEvent extends SyscallResult {
  file: FileInfo & { destination: { uid: number; gid: number; user: string; group: string } };
}
export interface UnlinkEvent extends SyscallResult {
  file: FileInfo;
  /** unlinkat flags (AT_REMOVEDIR). */
  flags: number;
}
/** rename and link: `file` is the source, `file.destination` the new name. */
export interface TwoPathEvent extends SyscallResult { file: FileInfo & { destination: FileInfo } }
export interface MkdirEvent extends SyscallResult { file: FileInfo & { destination: { mode: number } } }
export interface FileOnlyEvent extends SyscallResult { file: FileInfo }
export interface XattrEvent extends SyscallResult {
  file: FileInfo & { destination: { name: string; namespace: string } };
}
export interface MmapEvent extends SyscallResult {
  /** The mapped file (zero FileInfo for anonymous mappings). */
  file: FileInfo;
  flags: number;
  protection: number;
}
export interface MprotectEvent extends SyscallResult { req_protection: number }

export interface IpPort {
  /** Textual IP ("10.0.0.1", "::1"). */
  ip: string;
  port: number;
}
export interface SockAddr extends IpPort {
  /** AF_INET, AF_INET6 */
  family: number;
  /** Hostname the sensor saw resolved to this IP by this process's DNS traffic ("" if none). */
  hostname: string;
}
export interface SocketEvent extends SyscallResult {
  addr: SockAddr;
  /** IPPROTO_TCP, IPPROTO_UDP, ... */
  protocol: number;
}
export interface DnsEvent {
  id: number;
  question: { name: string; type: number; class: number; count: number; length: number };
}
/** Packet context of network events (dns). */
export interface NetworkContext {
  source: IpPort;
  destination: IpPort;
  l3_protocol: number;
  l4_protocol: number;
  size: number;
}
export interface PtraceEvent extends SyscallResult {
  request: number;
  tracee?: ProcessContext;
}
export interface BpfEvent extends SyscallResult {
  cmd: number;
  map: { name: string; type: number };
  prog: { name: string; type: number; attach_type: number; helpers: number[] };
}
export interface LoadModuleEvent extends SyscallResult {
  name: string;
  /** init_module (from memory) rather than finit_module (from a file). */
  loaded_from_memory: boolean;
  /** The module file for finit_module. */
  file?: FileInfo;
  argv: string[];
  args_truncated: boolean;
}
export interface UnloadModuleEvent extends SyscallResult { name: string }
export interface MountEvent extends SyscallResult {
  mountpoint: { path: string };
  source: { path: string };
  fs_type: string;
}
export interface SetuidEvent { uid: number; euid: number; fsuid: number; user: string; euser: string; fsuser: string }
export interface SetgidEvent { gid: number; egid: number; fsgid: number; group: string; egroup: string; fsgroup: string }
export interface CapsetEvent { cap_effective: number; cap_permitted: number }
export interface SignalEvent extends SyscallResult {
  /** Signal number. */
  type: number;
  /** Target pid as passed to kill(2). */
  pid: number;
  target?: ProcessContext;
}
export interface ExitEvent {
  /** EXITED, COREDUMPED or SIGNALED. */
  cause: number;
  /** Exit status, or the signal number when killed. */
  code: number;
}
export interface PrctlEvent extends SyscallResult {
  option: number;
  /** PR_SET_NAME argument. */
  new_name: string;
  is_name_truncated: boolean;
}

/**
 * One event. `process` is the acting process (for exec: the new image; for exit: the
 * exiting process). Exactly the payload named by `type` is set.
 */
export interface SeclEvent {
  type: SeclEventType;
  /** ns since epoch; the evaluator's "now" for duration comparisons and rate limits. */
  timestamp: number;
  /** Node name. */
  hostname?: string;
  process: ProcessContext;
  /** The container of `process`, when it runs in one (same object as process.container). */
  container?: ContainerContext;
  k8s?: KubernetesContext;
  /** Packet context of dns events. */
  network?: NetworkContext;

  exit?: ExitEvent;
  open?: OpenEvent;
  chmod?: ChmodEvent;
  chown?: ChownEvent;
  unlink?: UnlinkEvent;
  rename?: TwoPathEvent;
  link?: TwoPathEvent;
  mkdir?: MkdirEvent;
  rmdir?: FileOnlyEvent;
  utimes?: FileOnlyEvent;
  setxattr?: XattrEvent;
  removexattr?: XattrEvent;
  mmap?: MmapEvent;
  mprotect?: MprotectEvent;
  dns?: DnsEvent;
  connect?: SocketEvent;
  accept?: SocketEvent;
  bind?: SocketEvent;
  ptrace?: PtraceEvent;
  bpf?: BpfEvent;
  load_module?: LoadModuleEvent;
  unload_module?: UnloadModuleEvent;
  mount?: MountEvent;
  setuid?: SetuidEvent;
  setgid?: SetgidEvent;
  capset?: CapsetEvent;
  signal?: SignalEvent;
  prctl?: PrctlEvent;
}

/** The sensor keeps at most this many ancestors; the process.ancestors iterator never goes further. */
export const MAX_ANCESTORS = 64;

/** A FileInfo with zero values, for building events in tests and in the sensor. */
export function emptyFile(): FileInfo {
  return {
    path: '', name: '', inode: 0, mount_id: 0, mode: 0, uid: 0, gid: 0, user: '', group: '',
    change_time: 0, modification_time: 0, filesystem: '', in_upper_layer: false,
  };
}

/** A ProcessContext with zero values (auid unset), for tests and the sensor. */
export function emptyProcess(): ProcessContext {
  return {
    pid: 0, ppid: 0, tid: 0, uid: 0, gid: 0, euid: 0, egid: 0, fsuid: 0, fsgid: 0,
    auid: 4294967295, user: '', group: '', euser: '', egroup: '', fsuser: '', fsgroup: '',
    cap_effective: 0, cap_permitted: 0, comm: '', tty_name: '', file: emptyFile(),
    argv0: '', argv: [], args_truncated: false, envp: [], envs_truncated: false,
    created_at: 0, exec_time: 0, is_thread: false, is_kworker: false, ancestors: [],
  };
}
