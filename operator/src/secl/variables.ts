// SECL variables set by rule actions (`set`) and read by rules (`${process.x}`), with
// process, container, cgroup or global scope, optional TTL, append with a size bound.
// Memory is bounded: at most MAX_SCOPES keys per scope (oldest evicted first), and the
// process scope of an exiting process is dropped after its exit event is evaluated.

import type { EvalCtx, VariableReader } from './compiler.ts';
import type { ProcessContext, SeclEvent } from './event.ts';
import type { VariableScope, VariableValue } from './types.ts';

export const MAX_SCOPES = 65536;

interface Entry {
  value: VariableValue;
  /** ns since epoch; 0 = never. */
  expires: number;
}

export interface VariableSpec {
  scope: VariableScope;
  array: boolean;
  inherited: boolean;
  /** Value read before any set. */
  defaultValue: VariableValue;
}

const processKey = (p: ProcessContext): string => `${p.pid}:${p.created_at}`;

/** The scope key of an event, or null when the event has no such scope (a host process has no container). */
export function scopeKey(scope: VariableScope, ev: SeclEvent): string | null {
  switch (scope) {
    case 'global': return '';
    case 'process': return processKey(ev.process);
    case 'container': return ev.container?.id || ev.process.container?.id || null;
    case 'cgroup': return ev.process.cgroup?.id || null;
  }
}

export class VariableStore implements VariableReader {
  private readonly scopes = new Map<VariableScope, Map<string, Map<string, Entry>>>();
  evicted = 0;

  constructor(private readonly specs: ReadonlyMap<string, VariableSpec>) {}

  private table(scope: VariableScope): Map<string, Map<string, Entry>> {
    let t = this.scopes.get(scope);
    if (!t) {
      t = new Map();
      this.scopes.set(scope, t);
    }
    return t;
  }

  private lookup(name: string, scope: VariableScope, key: string, now: number): Entry | undefined {
    const e = this.scopes.get(scope)?.get(key)?.get(name);
    if (e && e.expires !== 0 && e.expires <= now) {
      this.scopes.get(scope)?.get(key)?.delete(name);
      return undefined;
    }
    return e;
  }

  get(name: string, scope: VariableScope, c: EvalCtx): VariableValue {
    const spec = this.specs.get(name);
    const fallback = spec?.defaultValue ?? '';
    const key = scopeKey(scope, c.ev);
    if (key === null) return fallback;
    const own = this.lookup(name, scope, key, c.now);
    if (own) return own.value;
    if (scope === 'process' && spec?.inherited) {
      for (const a of c.ev.process.ancestors) {
        const e = this.lookup(name, scope, processKey(a), c.now);
        if (e) return e.value;
      }
    }
    return fallback;
  }

  /** Sets (or appends to) a variable in the event's scope; a no-op when the event has no such scope. */
  set(name: string, value: VariableValue, ev: SeclEvent, now: number, opts: { append?: boolean; ttl?: number; size?: number }): void {
    const spec = this.specs.get(name);
    const scope = spec?.scope ?? 'global';
    const key = scopeKey(scope, ev);
    if (key === null) return;
    const table = this.table(scope);
    let vars = table.get(key);
    if (!vars) {
      if (table.size >= MAX_SCOPES) {
        const oldest = table.keys().next().value;
        if (oldest !== undefined) table.delete(oldest);
        this.evicted++;
      }
      vars = new Map();
      table.set(key, vars);
    }
    let next: VariableValue = value;
    if (opts.append && spec?.array) {
      const cur = this.lookup(name, scope, key, now)?.value;
      const list = (Array.isArray(cur) ? [...cur] : []) as (string | number | boolean)[];
      for (const v of Array.isArray(value) ? value : [value]) if (!list.includes(v)) list.push(v);
      if (opts.size && list.length > opts.size) list.splice(0, list.length - opts.size);
      next = list as VariableValue;
    }
    vars.set(name, { value: next, expires: opts.ttl ? now + opts.ttl : 0 });
  }

  /** Forgets the process scope of the event's process (called after its exit). */
  releaseProcess(ev: SeclEvent): void {
    this.scopes.get('process')?.delete(processKey(ev.process));
  }

  /** Number of scope keys held, per scope. */
  sizes(): Record<VariableScope, number> {
    const n = (s: VariableScope): number => this.scopes.get(s)?.size ?? 0;
    return { global: n('global'), process: n('process'), container: n('container'), cgroup: n('cgroup') };
  }
}
