// What /proc says about a live process: how the process cache learns about processes that
// started before the sensor, or whose fork it missed. The parsers are pure (tested with
// fixture text); ProcReader does the reads.
import { readFileSync, readlinkSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface ProcSnapshot {
  pid: number;
  ppid: number;
  comm: string;
  /** /proc/<pid>/exe target ("" for kernel threads or when unreadable). */
  exe: string;
  argv: string[];
  cwd: string;
  uid: number;
  euid: number;
  fsuid: number;
  gid: number;
  egid: number;
  fsgid: number;
  auid: number;
  capEffective: number;
  capPermitted: number;
  /** Start time in ns since boot (CLOCK_BOOTTIME, like event timestamps). */
  startBootNs: number;
  /** The cgroup v2 path ("0::" line), "" when absent. */
  cgroupPath: string;
  isKernelThread: boolean;
}

const CLK_TCK = 100; // USER_HZ: fixed at 100 on every Linux ABI the sensor runs on

/** Fields of /proc/<pid>/stat after the comm (which may hold spaces and parentheses). */
export function parseStat(text: string): { comm: string; ppid: number; flags: number; startTicks: number } | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const rest = text.slice(close + 2).split(' ');
  // rest[0] is field 3 (state): ppid is field 4, flags 9, starttime 22
  return {
    comm: text.slice(open + 1, close),
    ppid: Number(rest[1]),
    flags: Number(rest[6]),
    startTicks: Number(rest[19]),
  };
}

/** Uid/Gid lines (real, effective, saved, fs) and capability masks of /proc/<pid>/status. */
export function parseStatus(text: string): Pick<ProcSnapshot, 'uid' | 'euid' | 'fsuid' | 'gid' | 'egid' | 'fsgid' | 'capEffective' | 'capPermitted'> {
  const out = { uid: 0, euid: 0, fsuid: 0, gid: 0, egid: 0, fsgid: 0, capEffective: 0, capPermitted: 0 };
  for (const line of text.split('\n')) {
    const [key, value = ''] = line.split(':\t');
    if (key === 'Uid' || key === 'Gid') {
      const [r = 0, e = 0, , f = 0] = value.split('\t').map(Number);
      if (key === 'Uid') Object.assign(out, { uid: r, euid: e, fsuid: f });
      else Object.assign(out, { gid: r, egid: e, fsgid: f });
    } else if (key === 'CapEff') {
      out.capEffective = parseInt(value, 16);
    } else if (key === 'CapPrm') {
      out.capPermitted = parseInt(value, 16);
    }
  }
  return out;
}

export function parseCgroupV2(text: string): string {
  const line = text.split('\n').find((l) => l.startsWith('0::'));
  return line ? line.slice(3) : '';
}

const PF_KTHREAD = 0x00200000;

/** Where the cache learns about processes: /proc, or a fake in tests. */
export interface ProcSource {
  pids(): number[];
  read(pid: number): ProcSnapshot | undefined;
  ppidOf(pid: number): number | undefined;
}

export class ProcReader implements ProcSource {
  constructor(readonly root = '/proc') {}

  pids(): number[] {
    const out: number[] = [];
    for (const name of readdirSync(this.root)) {
      const n = Number(name);
      if (Number.isInteger(n) && n > 0) out.push(n);
    }
    return out;
  }

  /** A snapshot, or undefined when the process is gone (or not readable). */
  /** The current parent of a live process (one small read), or undefined when it is gone. */
  ppidOf(pid: number): number | undefined {
    try {
      return parseStat(readFileSync(join(this.root, String(pid), 'stat'), 'latin1'))?.ppid;
    } catch {
      return undefined;
    }
  }

  read(pid: number): ProcSnapshot | undefined {
    const dir = join(this.root, String(pid));
    let stat;
    let status;
    try {
      stat = parseStat(readFileSync(join(dir, 'stat'), 'latin1'));
      status = parseStatus(readFileSync(join(dir, 'status'), 'latin1'));
    } catch {
      return undefined;
    }
    if (!stat) return undefined;
    const soft = <T>(fn: () => T, fallback: T): T => {
      try {
        return fn();
      } catch {
        return fallback;
      }
    };
    const cmdline = soft(() => readFileSync(join(dir, 'cmdline'), 'utf8'), '');
    const argv = cmdline.split('\0');
    if (argv[argv.length - 1] === '') argv.pop();
    return {
      pid,
      ppid: stat.ppid,
      comm: stat.comm,
      exe: soft(() => readlinkSync(join(dir, 'exe')), ''),
      argv,
      cwd: soft(() => readlinkSync(join(dir, 'cwd')), ''),
      ...status,
      auid: soft(() => Number(readFileSync(join(dir, 'loginuid'), 'latin1')), 4294967295),
      startBootNs: (stat.startTicks / CLK_TCK) * 1e9,
      cgroupPath: soft(() => parseCgroupV2(readFileSync(join(dir, 'cgroup'), 'latin1')), ''),
      isKernelThread: (stat.flags & PF_KTHREAD) !== 0,
    };
  }
}
