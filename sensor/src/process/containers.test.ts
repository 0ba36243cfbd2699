import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CgroupResolver } from '../enrich/container.ts';
import { containerLookup, NO_CONTAINERS } from './containers.ts';

const ID = 'a'.repeat(64);

describe('containerLookup', () => {
  it('gives container and cgroup contexts by cgroup id and by path, cached', () => {
    const mount = mkdtempSync(join(tmpdir(), 'vigil-cg-'));
    try {
      const rel = `kubepods.slice/kubepods-pod1234abcd_1234_1234_1234_123456789abc.slice/cri-containerd-${ID}.scope`;
      mkdirSync(join(mount, rel), { recursive: true });
      const id = Number(statSync(join(mount, rel)).ino);
      const lookup = containerLookup(new CgroupResolver(mount));
      const byPath = lookup.byPath(`/${rel}`);
      assert.equal(byPath.container?.id, ID);
      assert.equal(byPath.container?.runtime, 'containerd');
      assert.equal(byPath.cgroup?.inode, id);
      assert.equal(byPath.cgroup?.version, 2);
      assert.equal(lookup.byId(id), lookup.byId(id), 'cached');
      assert.equal(lookup.byId(id).container?.id, ID);
      const host = lookup.byPath('/');
      assert.equal(host.container, undefined);
      assert.deepEqual(lookup.byId(0), {});
    } finally {
      rmSync(mount, { recursive: true, force: true });
    }
  });

  it('knows nothing on a host without cgroup v2', () => {
    assert.deepEqual(NO_CONTAINERS.byId(5), {});
    assert.deepEqual(NO_CONTAINERS.byPath('/docker/x'), {});
  });
});
