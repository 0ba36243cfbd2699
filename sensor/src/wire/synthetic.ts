// Synthetic wire records, as the kernel side writes them and the addon frames them: for
// unit tests and the pipeline benchmark, where no kernel is at hand.
import {
  EventType,
  LAYOUT,
  VIGIL_WIRE_VERSION,
  writeDnsPacketEvent,
  writeEventHeader,
  writeKernelSignalEvent,
  writeNetworkSocketEvent,
  type EventHeader,
  type NetAddr,
} from './wire.generated.ts';

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

function header(type: number, size: number, pid: number, over: Partial<EventHeader> = {}): EventHeader {
  return {
    type, size, version: VIGIL_WIRE_VERSION, flags: 0, cpu: 0, tsNs: 123_456_789, pid, tid: pid, ppid: 1, nsPid: pid,
    uid: 0, gid: 0, euid: 0, egid: 0, mntns: 4026531841, pidns: 4026531836, cgroupId: 1, comm: 'python3', ...over,
  };
}

/** An IPv4 address ("127.0.0.1") or IPv6 address given as 16 bytes, with a port. */
export function netAddr(ip: string | readonly number[], port: number): NetAddr {
  if (typeof ip === 'string') return { ip: [...ip.split('.').map(Number), ...new Array<number>(12).fill(0)], port, family: 2 };
  return { ip: [...ip], port, family: 10 };
}

/** A dns_packet_event: the fixed part, then the DNS message bytes. */
export function dnsRecord(opts: {
  pid?: number; payload: Uint8Array; flags?: number; type?: number; full?: number;
  source?: NetAddr; destination?: NetAddr; l4?: number; header?: Partial<EventHeader>;
}): Buffer {
  const fixed = LAYOUT.dns_packet_event.size;
  const size = (fixed + opts.payload.length + 7) & ~7;
  const b = Buffer.alloc(size);
  writeDnsPacketEvent(b, 0, {
    hdr: header(opts.type ?? EventType.EVENT_DNS, size, opts.pid ?? 42, opts.header),
    flags: opts.flags ?? 0, size: 28 + opts.payload.length, l3Protocol: 0x0800, l4Protocol: opts.l4 ?? 17, netns: 4026531840,
    source: opts.source ?? netAddr('127.0.0.1', 40000), destination: opts.destination ?? netAddr('127.0.0.1', 53),
    payloadOff: fixed, payloadLen: opts.payload.length, payloadFull: opts.full ?? opts.payload.length,
  });
  Buffer.from(opts.payload).copy(b, fixed);
  return b;
}

/** A network_socket_event (connect by default). */
export function socketRecord(opts: { pid?: number; type?: number; addr: NetAddr; ret?: number }): Buffer {
  const size = LAYOUT.network_socket_event.size;
  const b = Buffer.alloc(size);
  writeNetworkSocketEvent(b, 0, {
    hdr: header(opts.type ?? EventType.EVENT_CONNECT, size, opts.pid ?? 42), ret: opts.ret ?? 0, fd: 3, protocol: 6, sockType: 1,
    addr: opts.addr, local: netAddr('127.0.0.1', 40001),
  });
  return b;
}

/** A kernel_signal_event: kill(pid, sig) from a caller whose pid namespace is pidns. */
export function signalRecord(opts: { pid?: number; target: number; sig: number; pidns?: number; nsPid?: number }): Buffer {
  const size = LAYOUT.kernel_signal_event.size;
  const b = Buffer.alloc(size);
  const pid = opts.pid ?? 42;
  writeKernelSignalEvent(b, 0, {
    hdr: header(EventType.EVENT_SIGNAL, size, pid, { pidns: opts.pidns ?? 4026531836, nsPid: opts.nsPid ?? pid }),
    ret: 0, pid: opts.target, tid: 0, sig: opts.sig, syscall: 1,
  });
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
