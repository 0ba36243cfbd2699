// Enrich stage for DNS, network and kernel activity (wire types 32-63): decoded records ->
// SensorEvents, with the process context from the cache.
//
//   dns           the query's message is parsed here (sensor/src/dns/message.ts); a packet
//                 that does not parse is counted by cause and skipped, never reported half;
//   dns_response  parsed the same way; its A/AAAA answers feed ResolvedNames, from which
//                 connect and accept take addr.hostname;
//   kernel        target pids (ptrace, kill, process_vm_writev) are the caller's view: they
//                 resolve to a process only when the caller shares the sensor's pid namespace.
//
// What SECL has no field or event type for (umount, memfd_create, process_vm_writev,
// unshare, setns, DNS responses, the credentials before a set*id) is still shown by
// `vigil-sensor events`: as its own kind (events.ts), or as extra properties of a SECL
// payload, which the evaluator never reads.
import { statSync } from 'node:fs';
import { emptyProcess, type ProcessContext, type SeclEvent, type SockAddr } from '@vigil/operator/secl';
import { ipv6Text, parseDnsMessage, parseDnsTcpSegment, type DnsErrorCode, type DnsMessage } from '../dns/message.ts';
import { ResolvedNames } from '../dns/resolved-names.ts';
import type { ProcessCache } from '../process/cache.ts';
import { basename, toFileInfo } from '../process/files.ts';
import type { UserNames } from '../process/users.ts';
import type { DecodedEvent } from '../wire/decode.ts';
import {
  BPF_EV_F_HELPERS_TRUNCATED,
  DNS_F_RESPONSE,
  DNS_F_TCP,
  DNS_F_TRUNCATED,
  DNS_F_UNATTRIBUTED,
  MODULE_F_FROM_MEMORY,
  PRCTL_F_NAME_TRUNCATED,
  type EventHeader,
  type NetAddr,
} from '../wire/wire.generated.ts';
import type { ActivityEvent, SensorEvent } from './events.ts';

const ACTIVITY = [
  'dns', 'dns_response', 'connect', 'accept', 'bind',
  'ptrace', 'bpf', 'load_module', 'unload_module', 'mount', 'umount', 'setuid', 'setgid', 'capset',
  'signal', 'prctl', 'memfd_create', 'process_vm_writev', 'unshare', 'setns',
] as const;
const ACTIVITY_SET: ReadonlySet<string> = new Set(ACTIVITY);

export type ActivityRecord = Extract<DecodedEvent, { type: (typeof ACTIVITY)[number] }>;

export function isActivity(d: DecodedEvent): d is ActivityRecord {
  return ACTIVITY_SET.has(d.type);
}

const AF_INET = 2;
const AF_INET6 = 10;

export interface DnsStats {
  queries: number;
  responses: number;
  /** Packets skipped because their DNS message does not parse, by cause. */
  malformed: Record<DnsErrorCode, number>;
  /** Packets no process could be told for: reported with an empty process. */
  unattributed: number;
  /** Messages the kernel copied only the start of (VIGIL_DNS_PAYLOAD_MAX). */
  truncated: number;
}

/** The text form of a wire address: "10.0.0.1", "::1" ("" when there is none). */
export function addrText(a: NetAddr): string {
  if (a.family === AF_INET) return `${a.ip[0]}.${a.ip[1]}.${a.ip[2]}.${a.ip[3]}`;
  if (a.family === AF_INET6) return ipv6Text(Uint8Array.from(a.ip), 0);
  return '';
}

/** An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as its IPv4 text, else undefined. */
function mappedV4(a: NetAddr): string | undefined {
  if (a.family !== AF_INET6) return undefined;
  for (let i = 0; i < 10; i++) if (a.ip[i] !== 0) return undefined;
  if (a.ip[10] !== 0xff || a.ip[11] !== 0xff) return undefined;
  return `${a.ip[12]}.${a.ip[13]}.${a.ip[14]}.${a.ip[15]}`;
}

/** "nf_conntrack.ko.zst" -> "nf_conntrack": the name a module file gives the module. */
export function moduleNameOfFile(path: string): string {
  return basename(path).replace(/\.ko(\.(xz|gz|zst))?$/, '').replace(/-/g, '_');
}

/** The helper ids whose bits are set in the kernel's 256-bit map (8 u32 words), ascending. */
export function helpersOf(words: readonly number[]): number[] {
  const out: number[] = [];
  words.forEach((w, i) => {
    for (let b = 0; b < 32; b++) if ((w >>> b) & 1) out.push(i * 32 + b);
  });
  return out;
}

/** The sensor's own pid namespace: pids in events from it are the sensor's pids too. */
function ownPidNamespace(): number {
  try {
    return Number(statSync('/proc/self/ns/pid').ino);
  } catch {
    return 0;
  }
}

/** The payload of a non-SECL kind: the property named after it. */
type PayloadOf<K extends ActivityEvent['type']> = Extract<ActivityEvent, { type: K }> extends Record<K, infer P> ? P : never;

export type BaseEvent = (type: SeclEvent['type'], hdr: EventHeader, process: ProcessContext) => SeclEvent;

export interface ActivityOptions {
  readonly resolved?: ResolvedNames;
  /** Inode of the pid namespace whose pids the cache knows (default: the sensor's). */
  readonly pidNamespace?: number;
}

export class ActivityEnricher {
  readonly dns: DnsStats = {
    queries: 0, responses: 0, unattributed: 0, truncated: 0,
    malformed: { truncated: 0, 'name-too-long': 0, 'pointer-loop': 0, 'bad-label-type': 0, 'no-question': 0, 'too-many-records': 0 },
  };
  readonly resolved: ResolvedNames;
  private readonly pidNs: number;

  constructor(
    private readonly cache: ProcessCache,
    private readonly users: UserNames,
    private readonly base: BaseEvent,
    opts: ActivityOptions = {},
  ) {
    this.resolved = opts.resolved ?? new ResolvedNames();
    this.pidNs = opts.pidNamespace ?? ownPidNamespace();
  }

  /** The event of a record, or undefined for a DNS packet that does not parse (counted). */
  build(d: ActivityRecord): SensorEvent | undefined {
    const hdr = d.rec.hdr;
    if (d.type === 'dns' || d.type === 'dns_response') return this.dnsPacket(d);
    const before = d.type === 'setuid' || d.type === 'setgid' || d.type === 'capset' ? this.cache.peek(hdr.pid) : undefined;
    const process = this.cache.context(hdr);
    switch (d.type) {
      case 'connect':
      case 'accept':
      case 'bind': {
        const r = d.rec;
        const ev = this.base(d.type, hdr, process);
        ev[d.type] = { retval: r.ret, addr: this.sockAddr(r.addr, d.type !== 'bind'), protocol: r.protocol };
        return ev;
      }
      case 'ptrace': {
        const ev = this.base('ptrace', hdr, process);
        const tracee = this.target(hdr, d.rec.pid);
        ev.ptrace = { retval: d.rec.ret, request: d.rec.request, ...(tracee ? { tracee } : {}) };
        return ev;
      }
      case 'bpf': {
        const r = d.rec;
        const ev = this.base('bpf', hdr, process);
        ev.bpf = {
          retval: r.ret, cmd: r.cmd,
          map: { name: r.mapName, type: r.mapType },
          prog: { name: r.progName, type: r.progType, attach_type: r.attachType, helpers: helpersOf(r.helpers) },
          ...(r.flags & BPF_EV_F_HELPERS_TRUNCATED ? { helpers_truncated: true } : {}),
        };
        return ev;
      }
      case 'load_module': {
        const r = d.rec;
        const ev = this.base('load_module', hdr, process);
        const fromMemory = (r.flags & MODULE_F_FROM_MEMORY) !== 0;
        const file = fromMemory ? undefined : toFileInfo(r.file, this.users);
        const argv = r.args.split(' ').filter(Boolean);
        ev.load_module = {
          retval: r.ret, name: file ? moduleNameOfFile(file.path || file.name) : '', loaded_from_memory: fromMemory,
          argv, args_truncated: false, ...(file ? { file } : {}),
        };
        return ev;
      }
      case 'unload_module': {
        const ev = this.base('unload_module', hdr, process);
        ev.unload_module = { retval: d.rec.ret, name: d.rec.name };
        return ev;
      }
      case 'mount': {
        const r = d.rec;
        const ev = this.base('mount', hdr, process);
        ev.mount = {
          retval: r.ret, mountpoint: { path: toFileInfo(r.mountpoint, this.users).path }, source: { path: r.source }, fs_type: r.fsType,
          ...{ flags: r.flags },
        };
        return ev;
      }
      case 'umount':
        return this.activity('umount', hdr, process, { retval: d.rec.ret, mountpoint: { path: toFileInfo(d.rec.mountpoint, this.users).path }, flags: d.rec.flags });
      case 'setuid':
      case 'setgid': {
        const r = d.rec;
        const ev = this.base(d.type, hdr, process);
        // not SECL fields: what the call was, and the ids it replaced
        const call = { retval: r.ret, args: [r.arg1, r.arg2, r.arg3], syscall: r.syscall };
        if (d.type === 'setuid') {
          const u = (id: number): string => this.users.userName(id);
          const previous = before && { uid: before.uid, euid: before.euid, fsuid: before.fsuid };
          ev.setuid = { uid: r.uid, euid: r.euid, fsuid: r.fsuid, user: u(r.uid), euser: u(r.euid), fsuser: u(r.fsuid), ...{ ...call, suid: r.suid, previous } };
        } else {
          const g = (id: number): string => this.users.groupName(id);
          const previous = before && { gid: before.gid, egid: before.egid, fsgid: before.fsgid };
          ev.setgid = { gid: r.gid, egid: r.egid, fsgid: r.fsgid, group: g(r.gid), egroup: g(r.egid), fsgroup: g(r.fsgid), ...{ ...call, sgid: r.sgid, previous } };
        }
        return ev;
      }
      case 'capset': {
        const r = d.rec;
        const ev = this.base('capset', hdr, process);
        ev.capset = {
          cap_effective: r.capEffective, cap_permitted: r.capPermitted,
          ...{ retval: r.ret, cap_inheritable: r.capInheritable },
          ...(before ? { previous: { cap_effective: before.cap_effective, cap_permitted: before.cap_permitted } } : {}),
        };
        return ev;
      }
      case 'signal': {
        const r = d.rec;
        const ev = this.base('signal', hdr, process);
        const target = r.pid > 0 ? this.target(hdr, r.pid) : undefined;
        ev.signal = { retval: r.ret, type: r.sig, pid: r.pid, ...(target ? { target } : {}) };
        return ev;
      }
      case 'prctl': {
        const r = d.rec;
        const ev = this.base('prctl', hdr, process);
        ev.prctl = { retval: r.ret, option: r.option, new_name: r.newName, is_name_truncated: (r.flags & PRCTL_F_NAME_TRUNCATED) !== 0 };
        return ev;
      }
      case 'memfd_create':
        return this.activity('memfd_create', hdr, process, { retval: d.rec.ret, name: d.rec.name, flags: d.rec.flags });
      case 'process_vm_writev': {
        const r = d.rec;
        const target = this.target(hdr, r.pid);
        return this.activity('process_vm_writev', hdr, process, {
          retval: r.ret, pid: r.pid, remote_addr: r.remoteAddr, liovcnt: r.liovcnt, riovcnt: r.riovcnt, ...(target ? { target } : {}),
        });
      }
      case 'unshare':
        return this.activity('unshare', hdr, process, { retval: d.rec.ret, flags: d.rec.flags });
      case 'setns': {
        const r = d.rec;
        return this.activity('setns', hdr, process, { retval: r.ret, fd: r.fd, nstype: r.flags, ns_type: r.nsType, ns_inum: r.nsInum });
      }
    }
  }

  private dnsPacket(d: Extract<ActivityRecord, { type: 'dns' | 'dns_response' }>): SensorEvent | undefined {
    const r = d.rec;
    const tcp = (r.flags & DNS_F_TCP) !== 0;
    if (r.flags & DNS_F_TRUNCATED) this.dns.truncated++;
    const parsed = tcp ? parseDnsTcpSegment(d.payload) : parseDnsMessage(d.payload);
    if (!parsed.ok) {
      this.dns.malformed[parsed.error]++;
      return undefined;
    }
    const msg = parsed.message;
    const response = (r.flags & DNS_F_RESPONSE) !== 0;
    if (response) {
      this.dns.responses++;
      this.resolved.observe(msg);
    } else {
      this.dns.queries++;
    }
    let process: ProcessContext;
    if (r.flags & DNS_F_UNATTRIBUTED) {
      this.dns.unattributed++;
      process = emptyProcess();
    } else {
      process = this.cache.context(r.hdr);
    }
    const q = msg.questions[0] as DnsMessage['questions'][number];
    const network = {
      source: { ip: addrText(r.source), port: r.source.port },
      destination: { ip: addrText(r.destination), port: r.destination.port },
      l3_protocol: r.l3Protocol, l4_protocol: r.l4Protocol, size: r.size,
    };
    if (response) {
      const answers = msg.answers.map((a) => ({ name: a.name, type: a.type, class: a.class, ttl: a.ttl, data: a.data ?? '' }));
      const ev = this.activity('dns_response', r.hdr, process, {
        id: msg.id, question: { name: q.name, type: q.type, class: q.class, count: msg.questions.length }, rcode: msg.rcode, answers,
      });
      ev.network = network;
      return ev;
    }
    const ev = this.base('dns', r.hdr, process);
    // question.length: the size of the request (a TCP message without its length prefix)
    ev.dns = { id: msg.id, question: { name: q.name, type: q.type, class: q.class, count: msg.questions.length, length: tcp ? r.payloadFull - 2 : r.payloadFull } };
    ev.network = network;
    return ev;
  }

  private sockAddr(a: NetAddr, withHostname: boolean): SockAddr {
    const ip = addrText(a);
    let hostname = '';
    if (withHostname && ip) {
      const v4 = mappedV4(a);
      hostname = this.resolved.lookup(ip) ?? (v4 ? this.resolved.lookup(v4) : undefined) ?? '';
    }
    return { ip, port: a.port, family: a.family, hostname };
  }

  /** A pid passed by the caller as a process of the cache, when the caller's pids are the cache's. */
  private target(hdr: EventHeader, pid: number): ProcessContext | undefined {
    if (pid <= 0) return undefined;
    const sameNs = this.pidNs ? hdr.pidns === this.pidNs : hdr.pid === hdr.nsPid;
    return sameNs ? this.cache.peek(pid) : undefined;
  }

  private activity<K extends ActivityEvent['type']>(
    type: K,
    hdr: EventHeader,
    process: ProcessContext,
    payload: PayloadOf<K>,
  ): Extract<ActivityEvent, { type: K }> {
    // a SECL skeleton (the type is replaced): timestamp, hostname, process, container
    const { type: _placeholder, ...rest } = this.base('exit', hdr, process);
    return { ...rest, type, [type]: payload } as Extract<ActivityEvent, { type: K }>;
  }
}
