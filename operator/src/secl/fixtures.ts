// Event builders for tests, property tests and benchmarks: well-formed SeclEvents with
// zero values where the caller says nothing, and a seeded random generator.

import { emptyFile, emptyProcess, type FileInfo, type ProcessContext, type SeclEvent, type SeclEventType } from './event.ts';

const basename = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

export function file(path: string, extra: Partial<FileInfo> = {}): FileInfo {
  return { ...emptyFile(), path, name: basename(path), mode: 0o100644, ...extra };
}

export function proc(path: string, argv: string[] = [], extra: Partial<ProcessContext> = {}): ProcessContext {
  const name = basename(path);
  return { ...emptyProcess(), pid: 100, ppid: 1, tid: 100, file: file(path, { mode: 0o100755 }), comm: name.slice(0, 15), argv0: path, argv, ...extra };
}

export const NOW = 1_700_000_000_000_000_000;

/** An event of `type` by `process`, with `payload` as its type's object. */
export function event(type: SeclEventType, process: ProcessContext, payload: Record<string, unknown> = {}, extra: Partial<SeclEvent> = {}): SeclEvent {
  const ev: SeclEvent = { type, timestamp: NOW, process, ...extra };
  if (type !== 'exec' && type !== 'fork') (ev as unknown as Record<string, unknown>)[type] = payload;
  return ev;
}

export function openEvent(path: string, flags: number, by: ProcessContext = proc('/usr/bin/cat')): SeclEvent {
  return event('open', by, { file: { ...file(path), destination: { mode: 0 } }, flags, retval: 3 });
}

export function execEvent(path: string, argv: string[] = [], parent?: ProcessContext, extra: Partial<ProcessContext> = {}): SeclEvent {
  return event('exec', proc(path, argv, { ancestors: parent ? [parent, ...parent.ancestors] : [], ...extra }));
}

export function dnsEvent(name: string, qtype = 1, by: ProcessContext = proc('/usr/bin/curl')): SeclEvent {
  return event('dns', by, { id: 1, question: { name, type: qtype, class: 1, count: 1, length: name.length + 18 } });
}

/** A small deterministic PRNG (LCG), so property tests replay. */
export class Rand {
  constructor(private seed: number) {}
  /** mulberry32: every bit mixes (the low bits of a plain LCG cycle, and some seeds repeat one event) */
  int(n: number): number {
    this.seed = (this.seed + 0x6d2b79f5) | 0;
    let t = Math.imul(this.seed ^ (this.seed >>> 15), 1 | this.seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) % n;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }
  chance(p: number): boolean {
    return this.int(1000) < p * 1000;
  }
}

const DIRS = ['/etc', '/etc/ssh', '/etc/pam.d', '/tmp', '/usr/bin', '/bin', '/root/.ssh', '/home/bob/.ssh', '/var/log', '/proc/1', '/dev/shm', '/etc/cron.d', '/lib/modules/6.1'];
const NAMES = ['passwd', 'shadow', 'sshd_config', 'authorized_keys', 'id_rsa', 'x.sh', 'bash', 'curl', 'nc', 'environ', 'sudoers', 'job', 'mod.ko', 'a.txt'];
const PROGS = ['/bin/bash', '/usr/bin/curl', '/usr/bin/nc', '/usr/sbin/sshd', '/usr/bin/python3', '/usr/bin/apt', '/tmp/x', '/usr/bin/cat', '/bin/sh'];
const ARGS = ['-i', '-c', 'id', '--version', '-l', '-p', '4444', 'http://169.254.169.254/latest/meta-data/iam/security-credentials/x', '-e', 'install'];
const DOMAINS = ['example.com', 'pastebin.com', 'api.telegram.org', 'pool.supportxmr.com', 'github.com', 'x.ngrok.io'];

export function randomProcess(r: Rand, depth = 2): ProcessContext {
  const ancestors = depth > 0 ? Array.from({ length: r.int(depth + 1) }, () => randomProcess(r, 0)) : [];
  const argv = Array.from({ length: r.int(4) }, () => r.pick(ARGS));
  const inContainer = r.chance(0.5);
  return proc(r.pick(PROGS), argv, {
    pid: 1 + r.int(5000), uid: r.pick([0, 1000]), euid: r.pick([0, 1000]), tty_name: r.pick(['', 'pts/0']),
    envp: r.chance(0.3) ? ['LD_PRELOAD=/tmp/x.so', 'PATH=/bin'] : ['PATH=/bin'],
    cap_permitted: r.pick([0, 2 ** 21]), created_at: NOW - r.int(600) * 1e9,
    ...(inContainer ? { container: { id: 'c'.repeat(64), created_at: NOW - r.int(600) * 1e9, runtime: 'containerd', tags: ['kube_namespace:shop'] } } : {}),
    ancestors,
  });
}

/** A random event of one of the common types (exec, open, dns, unlink, chmod, rename, connect). */
export function randomEvent(r: Rand): SeclEvent {
  const p = randomProcess(r);
  const path = `${r.pick(DIRS)}/${r.pick(NAMES)}`;
  const ctx = p.container ? { container: p.container } : {};
  switch (r.pick(['exec', 'open', 'dns', 'unlink', 'chmod', 'rename', 'connect'] as const)) {
    case 'exec': return { ...event('exec', p), ...ctx };
    case 'open': return { ...openEvent(path, r.pick([0, 1, 2, 0o100, 0o1101, 0o2001]), p), ...ctx };
    case 'dns': return { ...dnsEvent(r.pick(DOMAINS), r.pick([1, 16, 28]), p), ...ctx };
    case 'unlink': return { ...event('unlink', p, { file: file(path), flags: 0, retval: 0 }), ...ctx };
    case 'chmod': return { ...event('chmod', p, { file: { ...file(path), destination: { mode: r.pick([0o755, 0o644, 0o4755]) } }, retval: 0 }), ...ctx };
    case 'rename': return { ...event('rename', p, { file: { ...file(path), destination: file(`${r.pick(DIRS)}/${r.pick(NAMES)}`) }, retval: 0 }), ...ctx };
    case 'connect': return {
      ...event('connect', p, { addr: { ip: r.pick(['10.0.0.1', '8.8.8.8', '::1', '1.2.3.4']), port: r.pick([22, 80, 443, 4444]), family: 2, hostname: r.pick(DOMAINS) }, protocol: 6, retval: 0 }),
      ...ctx,
    };
  }
}
