// Go duration strings ("1h30m", "10s", "500ms", "1.5h") as Datadog policies write `every`
// and `ttl`; integers are nanoseconds.

import { SeclError } from './errors.ts';

const UNITS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Parses a Go duration or a number of nanoseconds into nanoseconds. Throws SeclError. */
export function parseDuration(v: string | number, what = 'duration'): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) throw new SeclError('invalid_duration', `${what}: ${v} is not a duration`);
    return v;
  }
  const text = v.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let at = 0;
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) throw new SeclError('invalid_duration', `${what}: invalid duration "${v}" (expected e.g. 10s, 5m, 1h30m)`);
    total += Number(m[1]) * (UNITS[m[2] ?? 's'] ?? 1);
    at = re.lastIndex;
  }
  if (!text) throw new SeclError('invalid_duration', `${what}: empty duration`);
  return Math.round(total);
}
