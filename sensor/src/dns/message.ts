// DNS message parsing (RFC 1035 §4) for packets the kernel captured. Input is hostile: any
// process can send any bytes to port 53. Every way a packet can be wrong is a closed
// DnsErrorCode that the caller counts; nothing throws, loops or allocates without bound.
//
// Compression pointers must point strictly backwards (before the label that holds them),
// which makes loops impossible; a jump budget bounds the work anyway.

export type DnsErrorCode =
  | 'truncated' // the packet ends inside a field
  | 'name-too-long' // a name over 255 octets on the wire
  | 'pointer-loop' // a compression pointer that does not point backwards, or too many jumps
  | 'bad-label-type' // the reserved 0x40/0x80 label types
  | 'no-question' // QDCOUNT is 0: nothing to report
  | 'too-many-records'; // counts beyond what the packet could possibly hold

export interface DnsQuestion {
  /** Lowercased, dot-separated, no trailing dot; "" for the root. */
  readonly name: string;
  readonly type: number;
  readonly class: number;
}

export interface DnsAnswer {
  readonly name: string;
  readonly type: number;
  readonly class: number;
  readonly ttl: number;
  /** A and AAAA: the address as text; CNAME/PTR/NS: the target name; otherwise absent. */
  readonly data?: string;
}

export interface DnsMessage {
  readonly id: number;
  /** True for a response (QR bit). */
  readonly response: boolean;
  readonly opcode: number;
  readonly rcode: number;
  readonly truncated: boolean;
  readonly questions: readonly DnsQuestion[];
  /** Answer section records (responses only); the authority and additional sections are skipped. */
  readonly answers: readonly DnsAnswer[];
}

export type DnsParseResult = { readonly ok: true; readonly message: DnsMessage } | { readonly ok: false; readonly error: DnsErrorCode };

export const DNS_TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, ANY: 255 } as const;
const TYPE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(DNS_TYPE).map(([k, v]) => [v, k]));

/** "A", "AAAA", ... or the number for types without a mnemonic here. */
export function dnsTypeName(type: number): string {
  return TYPE_NAMES[type] ?? String(type);
}

const MAX_NAME = 255;
const MAX_JUMPS = 32;
/** The smallest possible question (root name + type + class) and resource record. */
const MIN_QUESTION = 5;
const MIN_RECORD = 11;

class Fail {
  constructor(readonly code: DnsErrorCode) {}
}

interface Name {
  readonly name: string;
  /** Offset just after the name where it started (pointers do not move it further). */
  readonly next: number;
}

function readName(buf: Uint8Array, start: number): Name | Fail {
  const labels: string[] = [];
  let wireLength = 1; // the terminating zero
  let pos = start;
  let next = -1;
  let jumps = 0;
  // Pointers must go strictly below the lowest offset read so far.
  let floor = start;
  while (true) {
    if (pos >= buf.length) return new Fail('truncated');
    const len = buf[pos] as number;
    if (len === 0) {
      if (next < 0) next = pos + 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= buf.length) return new Fail('truncated');
      const target = ((len & 0x3f) << 8) | (buf[pos + 1] as number);
      if (next < 0) next = pos + 2;
      if (target >= floor || ++jumps > MAX_JUMPS) return new Fail('pointer-loop');
      floor = target;
      pos = target;
      continue;
    }
    // With the top two bits clear a label is at most 63 octets; 0x40/0x80 are reserved.
    if (kind !== 0) return new Fail('bad-label-type');
    wireLength += len + 1;
    if (wireLength > MAX_NAME) return new Fail('name-too-long');
    if (pos + 1 + len > buf.length) return new Fail('truncated');
    labels.push(labelText(buf, pos + 1, len));
    pos += 1 + len;
  }
  return { name: labels.join('.'), next };
}

/** Lowercase ASCII; bytes outside printable ASCII (and dots inside a label) are escaped as \DDD. */
function labelText(buf: Uint8Array, start: number, len: number): string {
  let out = '';
  for (let i = start; i < start + len; i++) {
    let c = buf[i] as number;
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if (c > 0x20 && c < 0x7f && c !== 0x2e && c !== 0x5c) out += String.fromCharCode(c);
    else out += '\\' + c.toString().padStart(3, '0');
  }
  return out;
}

function u16(buf: Uint8Array, pos: number): number {
  return ((buf[pos] as number) << 8) | (buf[pos + 1] as number);
}

function u32(buf: Uint8Array, pos: number): number {
  return u16(buf, pos) * 0x10000 + u16(buf, pos + 2);
}

/** The 16 bytes at pos as RFC 5952 text ("::1"): the form every address key of the sensor uses. */
export function ipv6Text(buf: Uint8Array, pos: number): string {
  const groups: string[] = [];
  for (let i = 0; i < 8; i++) groups.push(u16(buf, pos + i * 2).toString(16));
  // Compress the longest run of zero groups (RFC 5952).
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** Parses one DNS message (UDP payload, or a TCP segment after its 2-byte length). */
export function parseDnsMessage(buf: Uint8Array): DnsParseResult {
  const r = parse(buf);
  return r instanceof Fail ? { ok: false, error: r.code } : { ok: true, message: r };
}

/**
 * Parses DNS over TCP: the 2-byte length prefix, then the message. A segment carrying
 * only the start of a message parses if its question is whole.
 */
export function parseDnsTcpSegment(buf: Uint8Array): DnsParseResult {
  if (buf.length < 2) return { ok: false, error: 'truncated' };
  const len = u16(buf, 0);
  return parseDnsMessage(buf.subarray(2, Math.min(buf.length, 2 + len)));
}

function parse(buf: Uint8Array): DnsMessage | Fail {
  if (buf.length < 12) return new Fail('truncated');
  const id = u16(buf, 0);
  const flags = u16(buf, 2);
  const qd = u16(buf, 4);
  const an = u16(buf, 6);
  if (qd === 0) return new Fail('no-question');
  if (12 + qd * MIN_QUESTION > buf.length) return new Fail('too-many-records');
  const response = (flags & 0x8000) !== 0;
  const truncated = (flags & 0x0200) !== 0;
  let pos = 12;
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < qd; i++) {
    const n = readName(buf, pos);
    if (n instanceof Fail) return n;
    if (n.next + 4 > buf.length) return new Fail('truncated');
    questions.push({ name: n.name, type: u16(buf, n.next), class: u16(buf, n.next + 2) });
    pos = n.next + 4;
  }
  const answers: DnsAnswer[] = [];
  // A response cut short (the kernel copies a bounded prefix) still yields its questions
  // and whole answers; only a malformed answer is an error. Each record consumes at least
  // MIN_RECORD bytes, so the loop is bounded by the packet, whatever ANCOUNT claims.
  if (response) {
    for (let i = 0; i < an && pos + MIN_RECORD <= buf.length; i++) {
      const n = readName(buf, pos);
      if (n instanceof Fail) {
        if (n.code === 'truncated') break;
        return n;
      }
      if (n.next + 10 > buf.length) break;
      const type = u16(buf, n.next);
      const klass = u16(buf, n.next + 2);
      const ttl = u32(buf, n.next + 4);
      const rdlen = u16(buf, n.next + 8);
      const rdata = n.next + 10;
      if (rdata + rdlen > buf.length) break;
      let data: string | undefined;
      if (type === DNS_TYPE.A && rdlen === 4) data = `${buf[rdata]}.${buf[rdata + 1]}.${buf[rdata + 2]}.${buf[rdata + 3]}`;
      else if (type === DNS_TYPE.AAAA && rdlen === 16) data = ipv6Text(buf, rdata);
      else if (type === DNS_TYPE.CNAME || type === DNS_TYPE.PTR || type === DNS_TYPE.NS) {
        const target = readName(buf, rdata);
        if (target instanceof Fail) return target;
        data = target.name;
      }
      answers.push(data === undefined ? { name: n.name, type, class: klass, ttl } : { name: n.name, type, class: klass, ttl, data });
      pos = rdata + rdlen;
    }
  }
  return { id, response, opcode: (flags >> 11) & 0xf, rcode: flags & 0xf, truncated, questions, answers };
}

/** Builds a query message: for tests, benchmarks and the sensor's self-check. */
export function encodeDnsQuery(name: string, type: number = DNS_TYPE.A, id = 0x1234): Uint8Array {
  const labels = name.split('.').filter((l) => l.length > 0).map((l) => Buffer.from(l, 'latin1'));
  const body = Buffer.concat([...labels.flatMap((l) => [Buffer.from([l.length]), l]), Buffer.from([0])]);
  const out = Buffer.alloc(12 + body.length + 4);
  out.writeUInt16BE(id, 0);
  out.writeUInt16BE(0x0100, 2); // RD
  out.writeUInt16BE(1, 4);
  body.copy(out, 12);
  out.writeUInt16BE(type, 12 + body.length);
  out.writeUInt16BE(1, 14 + body.length);
  return out;
}
