import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FILE_F_HAS_INODE, FILE_F_PATH_LEXICAL, type FileInfo } from '../wire/wire.generated.ts';
import { basename, normalizePath, scriptPath, toFileInfo } from './files.ts';
import { UserNames } from './users.ts';

const wire = (over: Partial<FileInfo>): FileInfo => ({
  ino: 12, ctimeNs: 1e18, mtimeNs: 2e18, dev: 1, mountId: 30, mode: 0o100644, uid: 0, gid: 0, nlink: 1,
  fsMagic: 0xef53, flags: FILE_F_HAS_INODE, path: '/etc/passwd', ...over,
});

describe('file info', () => {
  it('normalises lexical paths and splits basenames', () => {
    assert.equal(normalizePath('/a/./b/../c/'), '/a/c');
    assert.equal(normalizePath('/'), '/');
    assert.equal(normalizePath('/a//b'), '/a/b');
    assert.equal(basename('/a/b'), 'b');
    assert.equal(basename('/'), '');
    assert.equal(scriptPath('./x.sh', '/home/u'), '/home/u/x.sh');
    assert.equal(scriptPath('/opt/y.sh', '/home/u'), '/opt/y.sh');
  });

  it('converts wire file_info to SECL FileInfo with names for the filesystem and owner', () => {
    const users = new UserNames();
    const f = toFileInfo(wire({}), users);
    assert.equal(f.path, '/etc/passwd');
    assert.equal(f.name, 'passwd');
    assert.equal(f.inode, 12);
    assert.equal(f.filesystem, 'ext4');
    assert.equal(f.user, 'root');
    assert.equal(f.change_time, 1e18);
    const lexical = toFileInfo(wire({ flags: FILE_F_PATH_LEXICAL, path: '/tmp/a/../b/./c' }), users);
    assert.equal(lexical.path, '/tmp/b/c');
    assert.equal(lexical.name, 'c');
    assert.equal(lexical.inode, 0, 'no inode facts without FILE_F_HAS_INODE');
  });
});
