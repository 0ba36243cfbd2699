// Container context from cgroups. Every event carries the cgroup id of its task (the
// inode number of the cgroup's directory in the cgroup2 hierarchy); this module maps that
// id to the cgroup path, and the path to a container id, runtime and (for kubelet-managed
// cgroups) the pod uid, for the naming schemes of:
//
//   containerd/CRI, systemd driver  kubepods.slice/kubepods-<qos>.slice/kubepods-<qos>-pod<uid_>.slice/cri-containerd-<id>.scope
//   containerd/CRI, cgroupfs driver kubepods/<qos>/pod<uid>/<id>
//   CRI-O                           .../crio-<id>.scope  (crio-conmon-<id>.scope is the monitor, not the container)
//   Docker                          system.slice/docker-<id>.scope   |  docker/<id>
//   Podman                          machine.slice/libpod-<id>.scope[/container]  |  libpod_parent/libpod-<id>
//
// The cgroup2 mount is found in /proc/self/mountinfo (hybrid hosts mount it at
// /sys/fs/cgroup/unified, unified hosts at /sys/fs/cgroup).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export type ContainerRuntime = 'containerd' | 'cri-o' | 'docker' | 'podman' | 'unknown';

export interface ContainerRef {
  /** 64 hex characters. */
  readonly id: string;
  /** 'unknown' where the path does not say (kubelet's cgroupfs driver); the pod status may. */
  readonly runtime: ContainerRuntime;
  /** The pod uid (with dashes) for kubelet-managed cgroups. */
  readonly podUid?: string;
}

const HEX64 = '([0-9a-f]{64})';
const UID = '([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})';
const LEAF_PATTERNS: ReadonlyArray<readonly [RegExp, ContainerRuntime]> = [
  [new RegExp(`^cri-containerd-${HEX64}\\.scope$`), 'containerd'],
  [new RegExp(`^crio-${HEX64}(?:\\.scope)?$`), 'cri-o'],
  [new RegExp(`^docker-${HEX64}\\.scope$`), 'docker'],
  [new RegExp(`^libpod-${HEX64}(?:\\.scope)?$`), 'podman'],
];
const POD_COMPONENT = new RegExp(`^(?:kubepods(?:-[a-z]+)?-)?pod${UID}(?:\\.slice)?$`);
const BARE_ID = new RegExp(`^${HEX64}$`);

/**
 * The container a cgroup path belongs to, or undefined for a host cgroup. The deepest
 * container-shaped component wins: runtimes may nest sub-cgroups inside the container's.
 */
export function containerFromCgroupPath(path: string): ContainerRef | undefined {
  const parts = path.split('/').filter((p) => p.length > 0);
  let podUid: string | undefined;
  let found: { id: string; runtime: ContainerRuntime } | undefined;
  let parent = '';
  for (const part of parts) {
    const pod = POD_COMPONENT.exec(part);
    if (pod) podUid = (pod[1] as string).replace(/_/g, '-');
    for (const [re, runtime] of LEAF_PATTERNS) {
      const m = re.exec(part);
      if (m) found = { id: m[1] as string, runtime };
    }
    const bare = BARE_ID.exec(part);
    // A bare id is a container under kubelet's cgroupfs driver (parent pod<uid>) or Docker's (parent docker).
    if (bare && (POD_COMPONENT.test(parent) || parent === 'docker')) {
      found = { id: bare[1] as string, runtime: parent === 'docker' ? 'docker' : 'unknown' };
    }
    parent = part;
  }
  if (!found) return undefined;
  return podUid ? { ...found, podUid } : found;
}

/** The pod uid of a pod-level cgroup ("…/kubepods-besteffort-pod<uid_>.slice", "…/pod<uid>"), else undefined. */
export function podUidOfCgroup(path: string): string | undefined {
  const last = path.slice(path.lastIndexOf('/') + 1);
  const m = POD_COMPONENT.exec(last);
  return m ? (m[1] as string).replace(/_/g, '-') : undefined;
}

/** Top-level cgroups of host processes: everything at depth one but kubelet's and runtimes' trees. */
export function isHostTopLevel(path: string): boolean {
  const parts = path.split('/').filter(Boolean);
  return parts.length === 1 && !/^(kubepods|docker$|machine\.slice$|libpod_parent$)/.test(parts[0] as string);
}

/** The cgroup2 mount point from mountinfo text, or undefined on a cgroup-v1-only host. */
export function cgroup2MountFromMountinfo(mountinfo: string): string | undefined {
  for (const line of mountinfo.split('\n')) {
    // "36 25 0:31 / /sys/fs/cgroup/unified rw,nosuid,... shared:10 - cgroup2 cgroup2 rw,..."
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const fstype = line.slice(sep + 3).split(' ')[0];
    if (fstype !== 'cgroup2') continue;
    const fields = line.slice(0, sep).split(' ');
    const mountPoint = fields[4];
    if (mountPoint) return mountPoint.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  }
  return undefined;
}

/** The cgroup v2 path of a live process ("0::/path" in /proc/<pid>/cgroup). */
export function cgroupPathOfPid(pid: number, procRoot = '/proc'): string | undefined {
  try {
    const text = readFileSync(join(procRoot, String(pid), 'cgroup'), 'utf8');
    const line = text.split('\n').find((l) => l.startsWith('0::'));
    return line?.slice(3);
  } catch {
    return undefined;
  }
}

export interface CgroupInfo {
  readonly path: string;
  readonly container?: ContainerRef;
  /** When the container's cgroup was created (ms since the epoch), for container.created_at. */
  readonly createdAt?: number;
}

export interface CgroupResolverStats {
  scans: number;
  /** Lookups of an id no scan found (a cgroup removed before we looked). */
  unknown: number;
}

/**
 * cgroup id → path and container, cached. A miss rescans the hierarchy (bounded in depth),
 * so a burst of events from a new container costs one walk. An id no scan finds (a cgroup
 * removed before we looked) is not rescanned for again within retryMs, and scans are
 * capped per second, so unknown ids cannot turn into a walk per event.
 */
export class CgroupResolver {
  private readonly byId = new Map<bigint, CgroupInfo>();
  private readonly missedAt = new Map<bigint, number>();
  private windowStart = 0;
  private scansInWindow = 0;
  readonly stats: CgroupResolverStats = { scans: 0, unknown: 0 };

  constructor(
    readonly mount: string,
    private readonly opts: { readonly maxDepth?: number; readonly retryMs?: number; readonly maxScansPerSecond?: number; readonly maxEntries?: number } = {},
  ) {}

  static fromSystem(): CgroupResolver | undefined {
    const mount = cgroup2MountFromMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'));
    return mount ? new CgroupResolver(mount) : undefined;
  }

  /** The cgroup id of a path below the mount (its inode number). */
  idOf(relPath: string): bigint {
    return statSync(join(this.mount, relPath), { bigint: true }).ino;
  }

  resolve(cgroupId: bigint): CgroupInfo | undefined {
    const hit = this.byId.get(cgroupId);
    if (hit) return hit;
    const now = Date.now();
    const missed = this.missedAt.get(cgroupId);
    if ((missed === undefined || now - missed >= (this.opts.retryMs ?? 1000)) && this.scanAllowed(now)) {
      this.scan();
      const found = this.byId.get(cgroupId);
      if (found) {
        this.missedAt.delete(cgroupId);
        return found;
      }
      if (this.missedAt.size >= 10_000) this.missedAt.clear();
      this.missedAt.set(cgroupId, now);
    }
    this.stats.unknown++;
    return undefined;
  }

  private scanAllowed(now: number): boolean {
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.scansInWindow = 0;
    }
    return this.scansInWindow++ < (this.opts.maxScansPerSecond ?? 20);
  }

  /**
   * Cgroup ids whose path satisfies `match`, after a fresh walk (for kill scopes: the
   * cgroups of covered pods, the top-level host cgroups). Bounded like every scan.
   */
  idsWhere(match: (path: string) => boolean): bigint[] {
    this.scan();
    const out: bigint[] = [];
    for (const [id, info] of this.byId) if (match(info.path)) out.push(id);
    return out;
  }

  /** Records a path learnt elsewhere (e.g. /proc/<pid>/cgroup) without a scan. */
  learn(relPath: string): CgroupInfo | undefined {
    try {
      const st = statSync(join(this.mount, relPath), { bigint: true });
      const info = this.infoOf(relPath, Number(st.ctimeMs));
      this.remember(st.ino, info);
      return info;
    } catch {
      return undefined;
    }
  }

  private infoOf(relPath: string, ctimeMs: number): CgroupInfo {
    const path = relPath.startsWith('/') ? relPath : `/${relPath}`;
    const container = containerFromCgroupPath(path);
    return container ? { path, container, createdAt: Math.round(ctimeMs) } : { path };
  }

  private remember(id: bigint, info: CgroupInfo): void {
    if (this.byId.size >= (this.opts.maxEntries ?? 100_000)) this.byId.delete(this.byId.keys().next().value as bigint);
    this.byId.set(id, info);
  }

  private scan(): void {
    this.stats.scans++;
    const maxDepth = this.opts.maxDepth ?? 10;
    const walk = (rel: string, depth: number): void => {
      let entries;
      try {
        entries = readdirSync(join(this.mount, rel), { withFileTypes: true });
      } catch {
        return; // removed while we walked
      }
      for (const e of entries) {
        if (!e.isDirectory()) continue;
        const child = rel ? `${rel}/${e.name}` : e.name;
        try {
          const st = statSync(join(this.mount, child), { bigint: true });
          if (!this.byId.has(st.ino)) this.remember(st.ino, this.infoOf(child, Number(st.ctimeMs)));
        } catch {
          continue;
        }
        if (depth < maxDepth) walk(child, depth + 1);
      }
    };
    try {
      const root = statSync(this.mount, { bigint: true });
      if (!this.byId.has(root.ino)) this.remember(root.ino, { path: '/' });
    } catch {
      return;
    }
    walk('', 1);
  }
}
