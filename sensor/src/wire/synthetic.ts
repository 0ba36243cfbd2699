// Synthetic wire records, as the kernel side writes them and the addon frames them: for
// unit tests and the pipeline benchmark, where no kernel is at hand.
import { EventType, LAYOUT, VIGIL_WIRE_VERSION, writeEventHeader } from './wire.generated.ts';

const OPEN = LAYOUT.file_open_event;
const FI = LAYOUT.file_info;

/** A file_open_event record as the kernel writes it: fixed part, then the path. */
export function openRecord(opts: { pid?: number; path?: string; ret?: number; version?: number; type?: number } = {}): Buffer {
  const path = Buffer.from(`${opts.path ?? '/etc/hostname'}\0`);
  const size = (OPEN.size + path.length + 7) & ~7;
  const b = Buffer.alloc(size);
  writeEventHeader(b, 0, {
    type: opts.type ?? EventType.EVENT_OPEN, size, version: opts.version ?? VIGIL_WIRE_VERSION, flags: 0, cpu: 1,
    tsNs: 123_456_789, pid: opts.pid ?? 42, tid: 43, ppid: 1, nsPid: 42, uid: 1000, gid: 1000, euid: 0, egid: 0,
    mntns: 4026531841, pidns: 4026531836, cgroupId: 1, comm: 'cat',
  });
  b.writeBigInt64LE(BigInt(opts.ret ?? 3), OPEN.fields.ret);
  b.writeUInt32LE(0o1101, OPEN.fields.flags);
  const fi = OPEN.fields.file;
  b.writeUInt32LE(7, fi + FI.fields.ino);
  b.writeUInt16LE(OPEN.size, fi + FI.fields.path);
  b.writeUInt16LE(path.length - 1, fi + FI.fields.path + 2);
  path.copy(b, OPEN.size);
  return b;
}

/** Frames records as the addon does: u32 length, u32 reserved, record padded to 8. */
export function frame(records: Buffer[]): Buffer {
  return Buffer.concat(
    records.flatMap((r) => {
      const head = Buffer.alloc(8);
      head.writeUInt32LE(r.length);
      return [head, r, Buffer.alloc(((r.length + 7) & ~7) - r.length)];
    }),
  );
}
