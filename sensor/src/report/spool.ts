// A bounded, durable FIFO on disk: what the sensor could not deliver yet (the API server
// away or throttling) waits here, survives a sensor restart, and comes out in order.
//
// One file per record, `<seq>.json` (seq zero-padded so names sort in order), written as
// tmp file → fsync → rename → fsync of the folder: after append() returns, the record is
// on disk whole or not at all; a torn tmp file from a crash is ignored and removed at open.
// Records are small (one aggregated detection each) and appends are batched by the caller,
// so a file per record costs little and keeps removal of delivered records trivial.
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface SpoolOptions {
  /** Most records kept; appends beyond it are refused and counted. */
  readonly maxRecords?: number;
  /** Most bytes kept. */
  readonly maxBytes?: number;
}

export interface SpoolRecord<T> {
  readonly seq: number;
  readonly value: T;
}

export interface SpoolStats {
  depth: number;
  bytes: number;
  /** Appends refused because the spool was full. */
  refused: number;
  /** Files that were not valid records (torn or foreign), removed at open. */
  corrupt: number;
}

const NAME = /^(\d{16})\.json$/;

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export class Spool<T> {
  private readonly index: Array<{ seq: number; bytes: number }> = [];
  private nextSeq = 1;
  readonly stats: SpoolStats = { depth: 0, bytes: 0, refused: 0, corrupt: 0 };
  private readonly maxRecords: number;
  private readonly maxBytes: number;

  constructor(readonly dir: string, opts: SpoolOptions = {}) {
    this.maxRecords = opts.maxRecords ?? 10_000;
    this.maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const name of readdirSync(dir).sort()) {
      const m = NAME.exec(name);
      if (!m) {
        if (name.endsWith('.tmp')) unlinkSync(join(dir, name));
        continue;
      }
      const seq = Number(m[1]);
      this.index.push({ seq, bytes: statSync(join(dir, name)).size });
      this.nextSeq = Math.max(this.nextSeq, seq + 1);
    }
    this.recount();
  }

  private path(seq: number): string {
    return join(this.dir, `${String(seq).padStart(16, '0')}.json`);
  }

  private recount(): void {
    this.stats.depth = this.index.length;
    this.stats.bytes = this.index.reduce((n, r) => n + r.bytes, 0);
  }

  /**
   * Appends values durably, in order; returns their sequence numbers (undefined for a value
   * refused because the spool is full).
   */
  append(values: readonly T[]): Array<number | undefined> {
    const out: Array<number | undefined> = [];
    let wrote = false;
    for (const value of values) {
      const data = Buffer.from(JSON.stringify(value));
      if (this.index.length >= this.maxRecords || this.stats.bytes + data.length > this.maxBytes) {
        this.stats.refused++;
        out.push(undefined);
        continue;
      }
      const seq = this.nextSeq++;
      const tmp = `${this.path(seq)}.tmp`;
      const fd = openSync(tmp, 'w', 0o600);
      try {
        writeSync(fd, data);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.path(seq));
      this.index.push({ seq, bytes: data.length });
      this.stats.bytes += data.length;
      out.push(seq);
      wrote = true;
    }
    if (wrote) fsyncDir(this.dir);
    this.stats.depth = this.index.length;
    return out;
  }

  /** The oldest records, in order, without removing them. */
  peek(max: number): SpoolRecord<T>[] {
    const out: SpoolRecord<T>[] = [];
    for (const { seq } of this.index.slice(0, max)) {
      try {
        out.push({ seq, value: JSON.parse(readFileSync(this.path(seq), 'utf8')) as T });
      } catch {
        // Not a record we can read: drop it rather than block everything behind it.
        this.stats.corrupt++;
        this.remove([seq]);
      }
    }
    return out;
  }

  /** Removes delivered records. */
  remove(seqs: readonly number[]): void {
    if (seqs.length === 0) return;
    const drop = new Set(seqs);
    for (const seq of drop) {
      try {
        unlinkSync(this.path(seq));
      } catch {
        // already gone
      }
    }
    for (let i = this.index.length - 1; i >= 0; i--) if (drop.has((this.index[i] as { seq: number }).seq)) this.index.splice(i, 1);
    fsyncDir(this.dir);
    this.recount();
  }

  get depth(): number {
    return this.index.length;
  }
}
