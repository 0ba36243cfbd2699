import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseIdFile, UserNames } from './users.ts';

describe('UserNames', () => {
  it('parses passwd-style files, first name of an id wins', () => {
    const m = parseIdFile('# comment\nroot:x:0:0::/root:/bin/sh\ntoor:x:0:0::/:/bin/sh\nnobody:x:65534:65534::/:/bin/false\nbad\n');
    assert.deepEqual([...m], [
      [0, 'root'],
      [65534, 'nobody'],
    ]);
  });

  it('resolves names and rereads the files when they change', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-users-'));
    try {
      writeFileSync(join(dir, 'passwd'), 'alice:x:1000:1000::/:/bin/sh\n');
      writeFileSync(join(dir, 'group'), 'staff:x:50:\n');
      const u = new UserNames(dir, 0);
      assert.equal(u.userName(1000), 'alice');
      assert.equal(u.groupName(50), 'staff');
      assert.equal(u.userName(1), '');
      writeFileSync(join(dir, 'passwd'), 'bob:x:1000:1000::/:/bin/sh\n');
      assert.equal(u.userName(1000, Date.now() + 10_000), 'bob');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
