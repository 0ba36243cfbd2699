// The process cache: one entry per live process (thread group), seeded from /proc at
// start and kept by exec, fork and exit events, so that every event can carry its
// process's executable, arguments, credentials, container and ancestors.
//
// Contexts are immutable (the rule evaluator caches derived values against them): a
// change (exec, a new thread, new credentials, a new parent) makes a new object. An
// ancestor is a context without ancestors of its own, shared by all descendants.
// Exited processes stay for exitedTtlMs so that late events and orphans still resolve.
import { statSync } from 'node:fs';
import { MAX_ANCESTORS, emptyFile, emptyProcess, type FileInfo, type ProcessContext } from '@vigil/operator/secl';
import { splitNul } from '../wire/decode.ts';
import {
  EXEC_F_ARGS_TRUNCATED,
  EXEC_F_ENVS_TRUNCATED,
  EXEC_F_SCRIPT,
  type EventHeader,
  type ProcessExecEvent,
} from '../wire/wire.generated.ts';
import { NO_CONTAINERS, type ContainerLookup } from './containers.ts';
import { basename, scriptPath, toFileInfo } from './files.ts';
import { ProcReader, type ProcSnapshot, type ProcSource } from './procfs.ts';
import { UserNames } from './users.ts';

export interface ProcessCacheOptions {
  /** Epoch ns minus boot ns: converts event and /proc times to epoch ns. */
  readonly clockOffsetNs: number;
  readonly proc?: ProcSource;
  readonly users?: UserNames;
  readonly containers?: ContainerLookup;
  /** How long an exited process stays resolvable (default 5 s). */
  readonly exitedTtlMs?: number;
  /** Exited processes kept at most (default 20000); the oldest go first. */
  readonly maxExited?: number;
  readonly now?: () => number;
}

export interface ProcessCacheStats {
  size: number;
  seeded: number;
  /** Processes learnt from /proc after start (their fork was not seen). */
  procReads: number;
  /** Processes known only from an event header (gone before /proc could be read). */
  headerOnly: number;
  evicted: number;
}

interface Entry {
  ctx: ProcessContext;
  /** This process as an ancestor of others. */
  anc: ProcessContext;
  /** Working directory at the last exec (or from /proc); chdir is not followed. */
  cwd: string;
  exitedAt: number;
}

export class ProcessCache {
  readonly stats: ProcessCacheStats = { size: 0, seeded: 0, procReads: 0, headerOnly: 0, evicted: 0 };
  private readonly entries = new Map<number, Entry>();
  private readonly exited: Array<{ pid: number; entry: Entry }> = [];
  private exitedHead = 0;
  private readonly proc: ProcSource;
  private readonly users: UserNames;
  private readonly containers: ContainerLookup;
  private readonly now: () => number;

  constructor(private readonly opts: ProcessCacheOptions) {
    this.proc = opts.proc ?? new ProcReader();
    this.users = opts.users ?? new UserNames();
    this.containers = opts.containers ?? NO_CONTAINERS;
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The working directory the process had at its last exec ("" when unknown). */
  cwdOf(pid: number): string {
    return this.entries.get(pid)?.cwd ?? '';
  }

  /** Learns every process in /proc; parents first so ancestors resolve. */
  seed(): number {
    const snaps = new Map<number, ProcSnapshot>();
    for (const pid of this.proc.pids()) {
      const s = this.proc.read(pid);
      if (s) snaps.set(pid, s);
    }
    const visit = (pid: number, depth: number): void => {
      const s = snaps.get(pid);
      if (!s || this.entries.has(pid)) return;
      if (depth < MAX_ANCESTORS && s.ppid !== pid) visit(s.ppid, depth + 1);
      this.put(this.fromSnapshot(s), s.cwd);
      this.stats.seeded++;
    };
    for (const pid of snaps.keys()) visit(pid, 0);
    return this.stats.seeded;
  }

  /** The context of the process an event header describes (learning it if needed). */
  context(hdr: EventHeader): ProcessContext {
    const e = this.entries.get(hdr.pid) ?? this.learn(hdr);
    return this.current(e, hdr);
  }

  /** A process by pid (a signal's target, a tracee), from /proc if not known yet; undefined when gone. */
  peek(pid: number): ProcessContext | undefined {
    return this.lookup(pid)?.ctx;
  }

  onExec(rec: ProcessExecEvent): ProcessContext {
    const hdr = rec.hdr;
    const prev = this.entries.get(hdr.pid);
    const parent = this.lookup(hdr.ppid);
    const all = splitNul(rec.args);
    const ctx = this.base(hdr, parent);
    const cwd = rec.cwd;
    let file: FileInfo;
    if (rec.flags & EXEC_F_SCRIPT) {
      file = scriptFile(scriptPath(rec.filename, cwd));
    } else {
      file = toFileInfo(rec.file, this.users);
    }
    Object.assign(ctx, {
      fsuid: rec.fsuid,
      fsgid: rec.fsgid,
      fsuser: this.users.userName(rec.fsuid),
      fsgroup: this.users.groupName(rec.fsgid),
      auid: rec.auid,
      cap_effective: rec.capEffective,
      cap_permitted: rec.capPermitted,
      tty_name: rec.tty.startsWith('/dev/') ? rec.tty.slice(5) : rec.tty,
      file,
      argv0: all[0] ?? '',
      argv: all.slice(1),
      args_truncated: (rec.flags & EXEC_F_ARGS_TRUNCATED) !== 0,
      envp: splitNul(rec.envs),
      envs_truncated: (rec.flags & EXEC_F_ENVS_TRUNCATED) !== 0,
      created_at: prev?.ctx.created_at || this.epoch(hdr.tsNs),
      exec_time: this.epoch(hdr.tsNs),
    } satisfies Partial<ProcessContext>);
    this.put(ctx, cwd);
    return ctx;
  }

  /** The header describes the child; parentPid is the process that forked. */
  onFork(hdr: EventHeader, parentPid: number): ProcessContext {
    const parent = this.reparented(this.lookup(parentPid));
    const realParent = hdr.ppid === parentPid ? parent : this.lookup(hdr.ppid);
    const ctx: ProcessContext = parent
      ? { ...parent.ctx, ancestors: ancestorsOf(realParent) }
      : this.base(hdr, realParent);
    Object.assign(ctx, this.creds(hdr), {
      pid: hdr.pid,
      tid: hdr.tid,
      ppid: hdr.ppid,
      comm: hdr.comm,
      created_at: this.epoch(hdr.tsNs),
    });
    this.put(ctx, parent?.cwd ?? '');
    return ctx;
  }

  /** The exiting process's last context; it stays resolvable for exitedTtlMs. */
  onExit(hdr: EventHeader): ProcessContext {
    const ctx = this.context(hdr);
    const e = this.entries.get(hdr.pid);
    if (e && !e.exitedAt) {
      e.exitedAt = this.now();
      this.exited.push({ pid: hdr.pid, entry: e });
    }
    return ctx;
  }

  /** Forgets processes that exited long enough ago; call once per batch. */
  expire(): void {
    const ttl = this.opts.exitedTtlMs ?? 5000;
    const max = this.opts.maxExited ?? 20_000;
    const now = this.now();
    while (this.exitedHead < this.exited.length) {
      const head = this.exited[this.exitedHead] as { pid: number; entry: Entry };
      if (now - head.entry.exitedAt < ttl && this.exited.length - this.exitedHead <= max) break;
      if (this.entries.get(head.pid) === head.entry) {
        this.entries.delete(head.pid);
        this.stats.evicted++;
      }
      this.exitedHead++;
    }
    if (this.exitedHead > 4096 && this.exitedHead * 2 > this.exited.length) {
      this.exited.splice(0, this.exitedHead);
      this.exitedHead = 0;
    }
    this.stats.size = this.entries.size;
  }

  private put(ctx: ProcessContext, cwd: string): void {
    this.entries.set(ctx.pid, { ctx, anc: { ...ctx, ancestors: [] }, cwd, exitedAt: 0 });
  }

  /**
   * A forking process whose own parent has exited was re-parented (to init or a
   * subreaper) without an event saying so: learn its new parent from /proc, so its
   * children's ancestry is the real one (a daemonised process does not keep the chain of
   * the shell that started it). One small read, only when the recorded parent is gone.
   */
  private reparented(e: Entry | undefined): Entry | undefined {
    if (!e || e.ctx.ppid <= 1) return e;
    const gp = this.entries.get(e.ctx.ppid);
    if (gp && !gp.exitedAt) return e;
    const ppid = this.proc.ppidOf(e.ctx.pid);
    if (ppid === undefined || ppid === e.ctx.ppid) return e;
    const next: ProcessContext = { ...e.ctx, ppid, ancestors: ancestorsOf(this.lookup(ppid)) };
    e.ctx = next;
    e.anc = { ...next, ancestors: [] };
    return e;
  }

  private lookup(pid: number): Entry | undefined {
    if (pid <= 0) return undefined;
    const e = this.entries.get(pid);
    if (e) return e;
    const s = this.proc.read(pid);
    if (!s) return undefined;
    this.stats.procReads++;
    this.put(this.fromSnapshot(s), s.cwd);
    return this.entries.get(pid);
  }

  /** A process seen for the first time in an event: /proc if it is still there, else the header. */
  private learn(hdr: EventHeader): Entry {
    const s = this.proc.read(hdr.pid);
    if (s) {
      this.stats.procReads++;
      this.put(this.fromSnapshot(s), s.cwd);
    } else {
      this.stats.headerOnly++;
      this.put(this.base(hdr, this.lookup(hdr.ppid)), '');
    }
    return this.entries.get(hdr.pid) as Entry;
  }

  /** The entry's context, or a new one when the event shows a change (copy on write). */
  private current(e: Entry, hdr: EventHeader): ProcessContext {
    const c = e.ctx;
    if (c.tid === hdr.tid && c.uid === hdr.uid && c.euid === hdr.euid && c.gid === hdr.gid && c.egid === hdr.egid && c.comm === hdr.comm && c.ppid === hdr.ppid) {
      return c;
    }
    const next: ProcessContext = { ...c, ...this.creds(hdr), tid: hdr.tid, comm: hdr.comm };
    if (c.ppid !== hdr.ppid) {
      next.ppid = hdr.ppid;
      next.ancestors = ancestorsOf(this.lookup(hdr.ppid));
    }
    e.ctx = next;
    if (c.comm !== hdr.comm || c.uid !== hdr.uid || c.euid !== hdr.euid || c.ppid !== hdr.ppid) e.anc = { ...next, ancestors: [] };
    return next;
  }

  private creds(hdr: EventHeader): Partial<ProcessContext> {
    return {
      uid: hdr.uid,
      gid: hdr.gid,
      euid: hdr.euid,
      egid: hdr.egid,
      user: this.users.userName(hdr.uid),
      group: this.users.groupName(hdr.gid),
      euser: this.users.userName(hdr.euid),
      egroup: this.users.groupName(hdr.egid),
    };
  }

  /** A context from a header alone: identity, credentials, container and ancestors. */
  private base(hdr: EventHeader, parent: Entry | undefined): ProcessContext {
    const ctx = emptyProcess();
    Object.assign(ctx, this.creds(hdr), {
      pid: hdr.pid,
      tid: hdr.tid,
      ppid: hdr.ppid,
      fsuid: hdr.uid,
      fsgid: hdr.gid,
      fsuser: this.users.userName(hdr.uid),
      fsgroup: this.users.groupName(hdr.gid),
      comm: hdr.comm,
      ancestors: ancestorsOf(parent),
    });
    const { container, cgroup } = this.containers.byId(hdr.cgroupId);
    if (container) ctx.container = container;
    if (cgroup) ctx.cgroup = cgroup;
    return ctx;
  }

  private fromSnapshot(s: ProcSnapshot): ProcessContext {
    const ctx = emptyProcess();
    const exe = s.exe.endsWith(' (deleted)') ? s.exe.slice(0, -10) : s.exe;
    const file = emptyFile();
    file.path = exe;
    file.name = basename(exe);
    Object.assign(ctx, {
      pid: s.pid,
      tid: s.pid,
      ppid: s.ppid,
      uid: s.uid,
      gid: s.gid,
      euid: s.euid,
      egid: s.egid,
      fsuid: s.fsuid,
      fsgid: s.fsgid,
      auid: s.auid,
      user: this.users.userName(s.uid),
      group: this.users.groupName(s.gid),
      euser: this.users.userName(s.euid),
      egroup: this.users.groupName(s.egid),
      fsuser: this.users.userName(s.fsuid),
      fsgroup: this.users.groupName(s.fsgid),
      cap_effective: s.capEffective,
      cap_permitted: s.capPermitted,
      comm: s.comm,
      file,
      argv0: s.argv[0] ?? '',
      argv: s.argv.slice(1),
      created_at: this.epoch(s.startBootNs),
      is_kworker: s.isKernelThread && s.comm.startsWith('kworker/'),
      ancestors: ancestorsOf(this.entries.get(s.ppid)),
    } satisfies Partial<ProcessContext>);
    const { container, cgroup } = this.containers.byPath(s.cgroupPath);
    if (container) ctx.container = container;
    if (cgroup) ctx.cgroup = cgroup;
    return ctx;
  }

  private epoch(bootNs: number): number {
    return bootNs + this.opts.clockOffsetNs;
  }
}

function ancestorsOf(parent: Entry | undefined): ProcessContext[] {
  if (!parent) return [];
  const up = parent.ctx.ancestors;
  const out = [parent.anc];
  for (let i = 0; i < up.length && out.length < MAX_ANCESTORS; i++) out.push(up[i] as ProcessContext);
  return out;
}

function scriptFile(path: string): FileInfo {
  const f = emptyFile();
  f.path = path;
  f.name = basename(path);
  // the kernel reports the interpreter's inode; the script's own comes from the file system
  try {
    const st = statSync(path);
    f.inode = st.ino;
    f.mode = st.mode;
    f.uid = st.uid;
    f.gid = st.gid;
    f.change_time = Math.round(st.ctimeMs * 1e6);
    f.modification_time = Math.round(st.mtimeMs * 1e6);
  } catch {
    // gone already: path and name are still right
  }
  return f;
}
