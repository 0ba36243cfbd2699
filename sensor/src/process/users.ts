// uid/gid -> name from the host's /etc/passwd and /etc/group, reread when they change.
import { readFileSync, statSync } from 'node:fs';

export function parseIdFile(text: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const f = line.split(':');
    const id = Number(f[2]);
    if (f[0] && Number.isInteger(id) && !out.has(id)) out.set(id, f[0]);
  }
  return out;
}

class IdFile {
  private names = new Map<number, string>();
  private mtimeMs = -1;
  private checkedAt = -Infinity;

  constructor(private readonly path: string, private readonly recheckMs: number) {}

  name(id: number, now: number): string {
    if (now - this.checkedAt >= this.recheckMs) this.reload(now);
    return this.names.get(id) ?? '';
  }

  private reload(now: number): void {
    this.checkedAt = now;
    try {
      const m = statSync(this.path).mtimeMs;
      if (m === this.mtimeMs) return;
      this.names = parseIdFile(readFileSync(this.path, 'utf8'));
      this.mtimeMs = m;
    } catch {
      this.names = new Map();
    }
  }
}

export class UserNames {
  private readonly passwd: IdFile;
  private readonly group: IdFile;

  constructor(root = '/etc', recheckMs = 5000) {
    this.passwd = new IdFile(`${root}/passwd`, recheckMs);
    this.group = new IdFile(`${root}/group`, recheckMs);
  }

  userName(uid: number, now = Date.now()): string {
    return this.passwd.name(uid, now);
  }

  groupName(gid: number, now = Date.now()): string {
    return this.group.name(gid, now);
  }
}
