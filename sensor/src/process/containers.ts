// Container and cgroup context of a process, by its cgroup v2 id (every event header
// carries it) or by its cgroup path (/proc/<pid>/cgroup, when seeding), through the
// cgroup resolver of sensor/src/enrich/container.ts.
import type { CgroupContext, ContainerContext } from '@vigil/operator/secl';
import { CgroupResolver, type CgroupInfo } from '../enrich/container.ts';

export interface CgroupContexts {
  readonly container?: ContainerContext;
  readonly cgroup?: CgroupContext;
}

export interface ContainerLookup {
  byId(cgroupId: number): CgroupContexts;
  byPath(path: string): CgroupContexts;
}

const NONE: CgroupContexts = {};

export const NO_CONTAINERS: ContainerLookup = { byId: () => NONE, byPath: () => NONE };

function contexts(info: CgroupInfo, cgroupId: number): CgroupContexts {
  const cgroup: CgroupContext = { id: info.path, inode: cgroupId, version: 2 };
  const c = info.container;
  if (!c) return { cgroup };
  const container: ContainerContext = {
    id: c.id,
    created_at: (info.createdAt ?? 0) * 1e6,
    runtime: c.runtime === 'unknown' ? '' : c.runtime,
    tags: [],
  };
  return { cgroup, container };
}

/** A lookup over the system's cgroup2 mount; one that knows nothing on a v1-only host. */
export function containerLookup(resolver: CgroupResolver | undefined = CgroupResolver.fromSystem()): ContainerLookup {
  if (!resolver) return NO_CONTAINERS;
  const byId = new Map<number, CgroupContexts>();
  const remember = (id: number, c: CgroupContexts): CgroupContexts => {
    if (byId.size >= 50_000) byId.clear();
    byId.set(id, c);
    return c;
  };
  return {
    byId(cgroupId) {
      const hit = byId.get(cgroupId);
      if (hit) return hit;
      if (cgroupId === 0) return NONE;
      const info = resolver.resolve(BigInt(cgroupId));
      return info ? remember(cgroupId, contexts(info, cgroupId)) : NONE;
    },
    byPath(path) {
      if (!path) return NONE;
      const info = resolver.learn(path);
      if (!info) return NONE;
      let id: number;
      try {
        id = Number(resolver.idOf(path));
      } catch {
        return NONE;
      }
      return byId.get(id) ?? remember(id, contexts(info, id));
    },
  };
}
