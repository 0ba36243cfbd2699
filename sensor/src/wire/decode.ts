// Decode stage: ring-buffer batches (framed by the addon: u32 length, u32 reserved, the
// record padded to 8) into typed records. A record that does not fit the contract is
// counted by cause and skipped; it never throws.
import { eventName, type EventName } from '../kernel/event-types.ts';
import {
  LAYOUT,
  RECORD_STRUCT,
  VIGIL_WIRE_VERSION,
  readFileChmodEvent,
  readFileChownEvent,
  readFileLinkEvent,
  readFileMkdirEvent,
  readFileOpenEvent,
  readFileRenameEvent,
  readFileSymlinkEvent,
  readFileTruncateEvent,
  readFileUnlinkEvent,
  readFileUtimesEvent,
  readFileXattrEvent,
  readProcessExecEvent,
  readProcessExitEvent,
  readProcessForkEvent,
  readDnsPacketEvent,
  readNetworkSocketEvent,
  readKernelBpfEvent,
  readKernelCapsetEvent,
  readKernelMemfdEvent,
  readKernelModuleEvent,
  readKernelMountEvent,
  readKernelNsEvent,
  readKernelPrctlEvent,
  readKernelPtraceEvent,
  readKernelSetidEvent,
  readKernelSignalEvent,
  readKernelVmwriteEvent,
  type DnsPacketEvent,
  type NetworkSocketEvent,
  type KernelBpfEvent,
  type KernelCapsetEvent,
  type KernelMemfdEvent,
  type KernelModuleEvent,
  type KernelMountEvent,
  type KernelNsEvent,
  type KernelPrctlEvent,
  type KernelPtraceEvent,
  type KernelSetidEvent,
  type KernelSignalEvent,
  type KernelVmwriteEvent,
  type FileChmodEvent,
  type FileChownEvent,
  type FileLinkEvent,
  type FileMkdirEvent,
  type FileOpenEvent,
  type FileRenameEvent,
  type FileSymlinkEvent,
  type FileTruncateEvent,
  type FileUnlinkEvent,
  type FileUtimesEvent,
  type FileXattrEvent,
  type ProcessExecEvent,
  type ProcessExitEvent,
  type ProcessForkEvent,
} from './wire.generated.ts';

export type DecodedEvent =
  | { readonly type: 'exec'; readonly rec: ProcessExecEvent }
  | { readonly type: 'fork'; readonly rec: ProcessForkEvent }
  | { readonly type: 'exit'; readonly rec: ProcessExitEvent }
  | { readonly type: 'open'; readonly rec: FileOpenEvent }
  | { readonly type: 'unlink' | 'rmdir'; readonly rec: FileUnlinkEvent }
  | { readonly type: 'rename'; readonly rec: FileRenameEvent }
  | { readonly type: 'chmod'; readonly rec: FileChmodEvent }
  | { readonly type: 'chown'; readonly rec: FileChownEvent }
  | { readonly type: 'link'; readonly rec: FileLinkEvent }
  | { readonly type: 'symlink'; readonly rec: FileSymlinkEvent }
  | { readonly type: 'mkdir'; readonly rec: FileMkdirEvent }
  | { readonly type: 'utimes'; readonly rec: FileUtimesEvent }
  | { readonly type: 'setxattr' | 'removexattr'; readonly rec: FileXattrEvent }
  | { readonly type: 'truncate'; readonly rec: FileTruncateEvent }
  /** payload: the DNS message bytes the kernel copied (a copy: the batch buffer is reused). */
  | { readonly type: 'dns' | 'dns_response'; readonly rec: DnsPacketEvent; readonly payload: Buffer }
  | { readonly type: 'connect' | 'accept' | 'bind'; readonly rec: NetworkSocketEvent }
  | { readonly type: 'ptrace'; readonly rec: KernelPtraceEvent }
  | { readonly type: 'bpf'; readonly rec: KernelBpfEvent }
  | { readonly type: 'load_module' | 'unload_module'; readonly rec: KernelModuleEvent }
  | { readonly type: 'mount' | 'umount'; readonly rec: KernelMountEvent }
  | { readonly type: 'setuid' | 'setgid'; readonly rec: KernelSetidEvent }
  | { readonly type: 'capset'; readonly rec: KernelCapsetEvent }
  | { readonly type: 'signal'; readonly rec: KernelSignalEvent }
  | { readonly type: 'prctl'; readonly rec: KernelPrctlEvent }
  | { readonly type: 'memfd_create'; readonly rec: KernelMemfdEvent }
  | { readonly type: 'process_vm_writev'; readonly rec: KernelVmwriteEvent }
  | { readonly type: 'unshare' | 'setns'; readonly rec: KernelNsEvent };

export interface DecodeStats {
  records: number;
  bytes: number;
  /** A frame whose length runs past the batch. */
  badFrame: number;
  /** A record of another wire version. */
  badVersion: number;
  /** A type this decoder does not know (a newer kernel side). */
  unknownType: number;
  /** hdr.size larger than the frame or smaller than the type's struct. */
  badSize: number;
}

const HEADER_SIZE = LAYOUT.event_header.size;
const FRAME = 8;
const STRUCT_SIZE = new Map<number, number>(
  Object.entries(RECORD_STRUCT).map(([type, struct]) => [Number(type), (LAYOUT as Record<string, { size: number }>)[struct]?.size ?? 0]),
);

function read(type: EventName, b: Buffer, o: number): DecodedEvent {
  switch (type) {
    case 'exec': return { type, rec: readProcessExecEvent(b, o, o) };
    case 'fork': return { type, rec: readProcessForkEvent(b, o, o) };
    case 'exit': return { type, rec: readProcessExitEvent(b, o, o) };
    case 'open': return { type, rec: readFileOpenEvent(b, o, o) };
    case 'unlink':
    case 'rmdir': return { type, rec: readFileUnlinkEvent(b, o, o) };
    case 'rename': return { type, rec: readFileRenameEvent(b, o, o) };
    case 'chmod': return { type, rec: readFileChmodEvent(b, o, o) };
    case 'chown': return { type, rec: readFileChownEvent(b, o, o) };
    case 'link': return { type, rec: readFileLinkEvent(b, o, o) };
    case 'symlink': return { type, rec: readFileSymlinkEvent(b, o, o) };
    case 'mkdir': return { type, rec: readFileMkdirEvent(b, o, o) };
    case 'utimes': return { type, rec: readFileUtimesEvent(b, o, o) };
    case 'setxattr':
    case 'removexattr': return { type, rec: readFileXattrEvent(b, o, o) };
    case 'truncate': return { type, rec: readFileTruncateEvent(b, o, o) };
    case 'dns':
    case 'dns_response': {
      const rec = readDnsPacketEvent(b, o, o);
      const start = o + rec.payloadOff;
      // clipped to the record: a length past it cannot reach the next record's bytes
      const end = Math.min(start + rec.payloadLen, o + rec.hdr.size);
      return { type, rec, payload: Buffer.from(b.subarray(start, Math.max(start, end))) };
    }
    case 'connect':
    case 'accept':
    case 'bind': return { type, rec: readNetworkSocketEvent(b, o, o) };
    case 'ptrace': return { type, rec: readKernelPtraceEvent(b, o, o) };
    case 'bpf': return { type, rec: readKernelBpfEvent(b, o, o) };
    case 'load_module':
    case 'unload_module': return { type, rec: readKernelModuleEvent(b, o, o) };
    case 'mount':
    case 'umount': return { type, rec: readKernelMountEvent(b, o, o) };
    case 'setuid':
    case 'setgid': return { type, rec: readKernelSetidEvent(b, o, o) };
    case 'capset': return { type, rec: readKernelCapsetEvent(b, o, o) };
    case 'signal': return { type, rec: readKernelSignalEvent(b, o, o) };
    case 'prctl': return { type, rec: readKernelPrctlEvent(b, o, o) };
    case 'memfd_create': return { type, rec: readKernelMemfdEvent(b, o, o) };
    case 'process_vm_writev': return { type, rec: readKernelVmwriteEvent(b, o, o) };
    case 'unshare':
    case 'setns': return { type, rec: readKernelNsEvent(b, o, o) };
  }
}

export class Decoder {
  readonly stats: DecodeStats = { records: 0, bytes: 0, badFrame: 0, badVersion: 0, unknownType: 0, badSize: 0 };

  /** Decodes one record of len bytes at o; undefined (counted) when it breaks the contract. */
  record(b: Buffer, o: number, len: number): DecodedEvent | undefined {
    this.stats.records++;
    this.stats.bytes += len;
    if (len < HEADER_SIZE) {
      this.stats.badSize++;
      return undefined;
    }
    const wire = b.readUInt16LE(o);
    const size = b.readUInt16LE(o + 2);
    if (b[o + 4] !== VIGIL_WIRE_VERSION) {
      this.stats.badVersion++;
      return undefined;
    }
    const type = eventName(wire);
    if (!type) {
      this.stats.unknownType++;
      return undefined;
    }
    if (size > len || size < (STRUCT_SIZE.get(wire) ?? HEADER_SIZE)) {
      this.stats.badSize++;
      return undefined;
    }
    return read(type, b, o);
  }

  /** Decodes a batch from the addon into out (appended). */
  batch(b: Buffer, bytes: number, out: DecodedEvent[]): void {
    let o = 0;
    while (o + FRAME <= bytes) {
      const len = b.readUInt32LE(o);
      if (o + FRAME + len > bytes) {
        this.stats.badFrame++;
        return;
      }
      const ev = this.record(b, o + FRAME, len);
      if (ev) out.push(ev);
      o += FRAME + ((len + 7) & ~7);
    }
  }
}

/** argv/envp blocks: NUL-separated strings, the last one maybe cut by truncation. */
export function splitNul(block: string): string[] {
  if (block.length === 0) return [];
  const parts = block.split('\0');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}
