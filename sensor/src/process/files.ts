// Wire file_info -> SECL FileInfo: names for filesystems and owners, and the lexical
// normalisation of paths the kernel joined from a base directory and a syscall string.
import { posix } from 'node:path';
import type { FileInfo } from '@vigil/operator/secl';
import { FILE_F_HAS_INODE, FILE_F_PATH_LEXICAL, type FileInfo as WireFileInfo } from '../wire/wire.generated.ts';
import type { UserNames } from './users.ts';

/** super_block s_magic -> the name Datadog (and /proc/mounts) use. */
export const FS_MAGIC: ReadonlyMap<number, string> = new Map([
  [0xef53, 'ext4'],
  [0x01021994, 'tmpfs'],
  [0x794c7630, 'overlay'],
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x58465342, 'xfs'],
  [0x9123683e, 'btrfs'],
  [0x63677270, 'cgroup2'],
  [0x27e0eb, 'cgroup'],
  [0x6969, 'nfs'],
  [0x73717368, 'squashfs'],
  [0x65735546, 'fuse'],
  [0x4d44, 'vfat'],
  [0xcafe4a11, 'bpf'],
  [0x1cd1, 'devpts'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x858458f6, 'ramfs'],
  [0x958458f6, 'hugetlbfs'],
  [0x19800202, 'mqueue'],
  [0x6e736673, 'nsfs'],
  [0x50495045, 'pipefs'],
  [0x534f434b, 'sockfs'],
  [0x09041934, 'anon_inode'],
  [0x2fc12fc1, 'zfs'],
  [0x00c36400, 'ceph'],
  [0x9660, 'iso9660'],
  [0x5346544e, 'ntfs'],
]);

/** "/a/./b/../c/" -> "/a/c"; keeps "/" and relative inputs as normalize leaves them. */
export function normalizePath(p: string): string {
  if (p === '') return p;
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

export function basename(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? p : p.slice(i + 1);
}



/**
 * A file of an internal mount (memfd) has no path, only its name: the kernel reports
 * "/memfd:<name>", SECL wants path "" and name "memfd:<name>".
 */
function internal(path: string): boolean {
  return path.startsWith('/memfd:') && path.indexOf('/', 1) < 0;
}

/** SECL FileInfo from the wire, plus extra (destination) properties in the same object. */
export function toFileInfo<X extends object = object>(w: WireFileInfo, users: UserNames, extra?: X): FileInfo & X {
  const path = w.flags & FILE_F_PATH_LEXICAL && (w.path.includes('/.') || w.path.includes('//')) ? normalizePath(w.path) : w.path;
  const known = (w.flags & FILE_F_HAS_INODE) !== 0;
  // one literal, one shape: this runs for every file event
  const f: FileInfo = {
    path: internal(path) ? '' : path,
    name: basename(path),
    inode: known ? w.ino : 0,
    mount_id: known ? w.mountId : 0,
    mode: known ? w.mode : 0,
    uid: known ? w.uid : 0,
    gid: known ? w.gid : 0,
    user: known ? users.userName(w.uid) : '',
    group: known ? users.groupName(w.gid) : '',
    change_time: known ? w.ctimeNs : 0,
    modification_time: known ? w.mtimeNs : 0,
    filesystem: known ? (FS_MAGIC.get(w.fsMagic) ?? '') : '',
    in_upper_layer: false,
  };
  return extra ? Object.assign(f, extra) : (f as FileInfo & X);
}

/** A script's own path: execve's filename, made absolute against the cwd. */
export function scriptPath(filename: string, cwd: string): string {
  return normalizePath(filename.startsWith('/') ? filename : `${cwd}/${filename}`);
}

