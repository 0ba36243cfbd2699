// Patterns (`~"httpd*"`) and path globs (`~"/etc/*/conf"` on `.path` fields), matched in
// linear time: no regex, no backtracking.
// - pattern: `*` matches any run of characters; everything else is literal; whole string.
// - path glob: `*` matches within one path segment, `**` as the last segment matches one
//   or more segments, `**` elsewhere zero or more; a glob that does not start with "/" is
//   matched against the path without its leading "/" (Datadog: `*/bin/*`).

export type Matcher = (s: string) => boolean;

/** Matches `s` against a `*`-only pattern (already split on `*`). */
function matchStarParts(parts: readonly string[], s: string, from = 0, to = s.length): boolean {
  const first = parts[0] as string;
  if (parts.length === 1) return to - from === first.length && s.startsWith(first, from);
  const last = parts[parts.length - 1] as string;
  if (to - from < first.length + last.length) return false;
  if (!s.startsWith(first, from) || !s.endsWith(last, to)) return false;
  let at = from + first.length;
  const stop = to - last.length;
  for (let k = 1; k < parts.length - 1; k++) {
    const part = parts[k] as string;
    if (!part) continue;
    const found = s.indexOf(part, at);
    if (found < 0 || found + part.length > stop) return false;
    at = found + part.length;
  }
  return true;
}

export function compilePattern(pattern: string, caseInsensitive = false): Matcher {
  const p = caseInsensitive ? pattern.toLowerCase() : pattern;
  if (!p.includes('*')) return caseInsensitive ? (s) => s.toLowerCase() === p : (s) => s === p;
  if (/^\*+$/.test(p)) return () => true;
  const parts = p.split(/\*+/);
  return caseInsensitive ? (s) => matchStarParts(parts, s.toLowerCase()) : (s) => matchStarParts(parts, s);
}

/** The literal text before the first `*`. */
export function literalPrefix(pattern: string): string {
  const star = pattern.indexOf('*');
  return star < 0 ? pattern : pattern.slice(0, star);
}

export function compileGlob(glob: string): Matcher {
  if (!glob.includes('*')) return (s) => s === glob;
  const relative = !glob.startsWith('/');
  const segs = (relative ? glob : glob.slice(1)).split('/').map((seg) => ({
    any: seg === '**',
    parts: seg.split(/\*+/),
    literal: !seg.includes('*'),
    text: seg,
  }));
  const prefix = literalPrefix(relative ? glob : glob.slice(1));
  return (path: string): boolean => {
    if (relative) {
      if (path.startsWith('/')) path = path.slice(1);
    } else if (!path.startsWith('/')) {
      return false;
    }
    const body = relative ? path : path.slice(1);
    if (!body.startsWith(prefix)) return false;
    // Offsets of each segment of the path.
    const starts = [0];
    for (let i = body.indexOf('/'); i >= 0; i = body.indexOf('/', i + 1)) starts.push(i + 1);
    const n = starts.length;
    const segEnd = (j: number): number => (j + 1 < n ? (starts[j + 1] as number) - 1 : body.length);
    const m = segs.length;
    // reach[j]: glob segments 0..k-1 can consume path segments 0..j-1.
    let reach = new Uint8Array(n + 1);
    reach[0] = 1;
    for (let k = 0; k < m; k++) {
      const seg = segs[k] as (typeof segs)[number];
      const next = new Uint8Array(n + 1);
      let any = false;
      for (let j = 0; j <= n; j++) {
        if (!reach[j]) continue;
        if (seg.any) {
          const lastSeg = k === m - 1;
          // Last `**`: one or more non-empty segments; inner `**`: zero or more.
          if (lastSeg) {
            if (j < n && segEnd(j) > (starts[j] as number)) { next[n] = 1; any = true; }
          } else {
            for (let t = j; t <= n; t++) { next[t] = 1; any = true; }
          }
          continue;
        }
        if (j >= n) continue;
        const from = starts[j] as number;
        const to = segEnd(j);
        const ok = seg.literal
          ? to - from === seg.text.length && body.startsWith(seg.text, from)
          : to > from && matchStarParts(seg.parts, body, from, to);
        if (ok) { next[j + 1] = 1; any = true; }
      }
      if (!any) return false;
      reach = next;
    }
    return reach[n] === 1;
  };
}
