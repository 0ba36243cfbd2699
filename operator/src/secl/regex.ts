// Regular expressions for `r"..."`: Go's RE2 syntax (what Datadog rules are written in),
// run by a Pike VM, so matching time is linear in the input whatever the pattern: no
// catastrophic backtracking on hostile command lines. Unanchored search, as Go's
// MatchString. Supported: literals and escapes, `.`, classes (ranges, negation, \d \w \s,
// [:alpha:]...), groups ((?:) (?P<n>) (?<n>)), alternation, * + ? {n} {n,} {n,m} (and lazy
// forms, same result for a yes/no match), ^ $ \A \z \b \B, flags (?i) (?m) (?s) (?U) and
// (?flags:...). Not RE2, refused: backreferences and lookaround.

import { SeclError } from './errors.ts';

type CharSet = { ranges: number[]; negated: boolean };
type Node =
  | { t: 'set'; set: CharSet }
  | { t: 'cat'; items: Node[] }
  | { t: 'alt'; items: Node[] }
  | { t: 'rep'; min: number; max: number; node: Node }
  | { t: 'assert'; kind: Assertion };
type Assertion = 'bol' | 'eol' | 'bot' | 'eot' | 'wb' | 'nwb';

interface Flags { i: boolean; m: boolean; s: boolean }

const MAX_REPEAT = 1000;
const MAX_PROGRAM = 20000;

const DIGIT = [48, 57];
const WORD = [48, 57, 65, 90, 95, 95, 97, 122];
const SPACE = [9, 10, 12, 13, 32, 32];
const POSIX: Record<string, number[]> = {
  alnum: [48, 57, 65, 90, 97, 122], alpha: [65, 90, 97, 122], ascii: [0, 127], blank: [9, 9, 32, 32],
  cntrl: [0, 31, 127, 127], digit: DIGIT, graph: [33, 126], lower: [97, 122], print: [32, 126],
  punct: [33, 47, 58, 64, 91, 96, 123, 126], space: [9, 13, 32, 32], upper: [65, 90], word: WORD,
  xdigit: [48, 57, 65, 70, 97, 102],
};

function complement(r: number[]): number[] {
  const out: number[] = [];
  let lo = 0;
  for (let k = 0; k < r.length; k += 2) {
    if ((r[k] as number) > lo) out.push(lo, (r[k] as number) - 1);
    lo = (r[k + 1] as number) + 1;
  }
  if (lo <= 0xffff) out.push(lo, 0xffff);
  return out;
}

/** Adds the other case of ASCII letters to a set's ranges. */
function foldRanges(r: number[]): number[] {
  const out = [...r];
  for (let k = 0; k < r.length; k += 2) {
    const lo = r[k] as number;
    const hi = r[k + 1] as number;
    const a = Math.max(lo, 65), b = Math.min(hi, 90);
    if (a <= b) out.push(a + 32, b + 32);
    const c = Math.max(lo, 97), d = Math.min(hi, 122);
    if (c <= d) out.push(c - 32, d - 32);
  }
  return out;
}

function inSet(set: CharSet, c: number): boolean {
  const r = set.ranges;
  let hit = false;
  for (let k = 0; k < r.length; k += 2) {
    if (c >= (r[k] as number) && c <= (r[k + 1] as number)) { hit = true; break; }
  }
  return hit !== set.negated;
}

class RegexParser {
  private i = 0;
  constructor(private readonly src: string) {}

  private fail(msg: string): never {
    throw new SeclError('invalid_regex', `invalid regex ${JSON.stringify(this.src)}: ${msg}`);
  }

  parse(): Node {
    const node = this.alternation({ i: false, m: false, s: false });
    if (this.i < this.src.length) this.fail(`unexpected ")" at offset ${this.i}`);
    return node;
  }

  private alternation(flags: Flags): Node {
    const items = [this.concat(flags)];
    while (this.src[this.i] === '|') {
      this.i++;
      items.push(this.concat(flags));
    }
    return items.length === 1 ? (items[0] as Node) : { t: 'alt', items };
  }

  private concat(flags: Flags): Node {
    const items: Node[] = [];
    while (this.i < this.src.length && this.src[this.i] !== '|' && this.src[this.i] !== ')') {
      const atom = this.atom(flags);
      if (atom) items.push(this.quantified(atom));
    }
    return { t: 'cat', items };
  }

  private quantified(atom: Node): Node {
    let node = atom;
    for (;;) {
      const c = this.src[this.i];
      let min: number, max: number;
      if (c === '*') { min = 0; max = Infinity; this.i++; }
      else if (c === '+') { min = 1; max = Infinity; this.i++; }
      else if (c === '?') { min = 0; max = 1; this.i++; }
      else if (c === '{') {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i));
        if (!m) return node; // a literal "{", as RE2 reads it
        min = Number(m[1]);
        max = m[2] === undefined ? min : m[3] ? Number(m[3]) : Infinity;
        if (min > MAX_REPEAT || (max !== Infinity && (max > MAX_REPEAT || max < min))) this.fail(`bad repetition ${m[0]}`);
        this.i += m[0].length;
      } else return node;
      if (node.t === 'assert') this.fail('missing argument to repetition operator');
      if (node.t === 'rep') this.fail('invalid nested repetition operator');
      if (this.src[this.i] === '?') this.i++; // lazy: same yes/no answer
      node = { t: 'rep', min, max, node };
    }
  }

  private lit(c: number, flags: Flags): Node {
    const ranges = [c, c];
    return { t: 'set', set: { ranges: flags.i ? foldRanges(ranges) : ranges, negated: false } };
  }

  private atom(flags: Flags): Node | null {
    const c = this.src[this.i] as string;
    this.i++;
    switch (c) {
      case '.': return { t: 'set', set: { ranges: flags.s ? [] : [10, 10], negated: true } };
      case '^': return { t: 'assert', kind: flags.m ? 'bol' : 'bot' };
      case '$': return { t: 'assert', kind: flags.m ? 'eol' : 'eot' };
      case '[': return this.charClass(flags);
      case '(': return this.group(flags);
      case '\\': return this.escape(flags, false) as Node;
      case '*': case '+': case '?': return this.fail('missing argument to repetition operator');
      default: return this.lit(c.charCodeAt(0), flags);
    }
  }

  private group(flags: Flags): Node | null {
    const rest = this.src.slice(this.i);
    if (rest.startsWith('?')) {
      if (/^\?(=|!|<=|<!)/.test(rest)) this.fail('lookaround is not supported');
      const named = /^\?P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
      if (named) {
        this.i += named[0].length;
        return this.groupBody({ ...flags });
      }
      const fl = /^\?([imsU]*)(?:-([imsU]*))?(:|\))/.exec(rest);
      if (!fl) this.fail('invalid group syntax');
      this.i += fl[0].length;
      const next = { ...flags };
      for (const f of fl[1] ?? '') if (f !== 'U') next[f as keyof Flags] = true;
      for (const f of fl[2] ?? '') if (f !== 'U') next[f as keyof Flags] = false;
      if (fl[3] === ')') {
        Object.assign(flags, next); // (?i) applies to the rest of the enclosing group
        return null;
      }
      return this.groupBody(next);
    }
    return this.groupBody({ ...flags });
  }

  private groupBody(flags: Flags): Node {
    const node = this.alternation(flags);
    if (this.src[this.i] !== ')') this.fail('missing closing )');
    this.i++;
    return node;
  }

  /** Reads an escape after "\"; in a class, returns ranges instead of a node. */
  private escape(flags: Flags, inClass: boolean): Node | number[] {
    const c = this.src[this.i];
    if (c === undefined) this.fail('trailing backslash');
    this.i++;
    const set = (ranges: number[], negated = false): Node | number[] =>
      inClass ? (negated ? complement(ranges) : ranges) : { t: 'set', set: { ranges, negated } };
    switch (c) {
      case 'd': return set(DIGIT);
      case 'D': return set(DIGIT, true);
      case 'w': return set(WORD);
      case 'W': return set(WORD, true);
      case 's': return set(SPACE);
      case 'S': return set(SPACE, true);
      case 'n': return this.charOrLit(10, flags, inClass);
      case 't': return this.charOrLit(9, flags, inClass);
      case 'r': return this.charOrLit(13, flags, inClass);
      case 'f': return this.charOrLit(12, flags, inClass);
      case 'v': return this.charOrLit(11, flags, inClass);
      case 'a': return this.charOrLit(7, flags, inClass);
      case 'x': {
        const m = /^(?:\{([0-9A-Fa-f]{1,6})\}|([0-9A-Fa-f]{2}))/.exec(this.src.slice(this.i));
        if (!m) this.fail('invalid \\x escape');
        this.i += m[0].length;
        return this.charOrLit(parseInt(m[1] ?? m[2] ?? '0', 16), flags, inClass);
      }
    }
    if (!inClass) {
      if (c === 'b') return { t: 'assert', kind: 'wb' };
      if (c === 'B') return { t: 'assert', kind: 'nwb' };
      if (c === 'A') return { t: 'assert', kind: 'bot' };
      if (c === 'z') return { t: 'assert', kind: 'eot' };
    }
    if (/[0-9]/.test(c)) this.fail('backreferences are not supported');
    if (/[A-Za-z]/.test(c)) this.fail(`invalid escape \\${c}`);
    return this.charOrLit(c.charCodeAt(0), flags, inClass);
  }

  private charOrLit(code: number, flags: Flags, inClass: boolean): Node | number[] {
    return inClass ? [code, code] : this.lit(code, flags);
  }

  private charClass(flags: Flags): Node {
    let negated = false;
    if (this.src[this.i] === '^') { negated = true; this.i++; }
    const ranges: number[] = [];
    let first = true;
    for (;;) {
      const c = this.src[this.i];
      if (c === undefined) this.fail('missing closing ]');
      if (c === ']' && !first) { this.i++; break; }
      first = false;
      const posix = /^\[:(\^?)([a-z]+):\]/.exec(this.src.slice(this.i));
      if (posix) {
        const r = POSIX[posix[2] ?? ''];
        if (!r) this.fail(`invalid character class [:${posix[2]}:]`);
        ranges.push(...(posix[1] ? complement(r) : r));
        this.i += posix[0].length;
        continue;
      }
      const lo = this.classChar(flags);
      if (typeof lo !== 'number') { ranges.push(...lo); continue; }
      if (this.src[this.i] === '-' && this.src[this.i + 1] !== ']' && this.src[this.i + 1] !== undefined) {
        this.i++;
        const hi = this.classChar(flags);
        if (typeof hi !== 'number' || hi < lo) this.fail('invalid character class range');
        ranges.push(lo, hi);
      } else {
        ranges.push(lo, lo);
      }
    }
    return { t: 'set', set: { ranges: flags.i ? foldRanges(ranges) : ranges, negated } };
  }

  /** One class member: a code point, or ranges for \d-style escapes. */
  private classChar(flags: Flags): number | number[] {
    const c = this.src[this.i] as string;
    this.i++;
    if (c !== '\\') return c.charCodeAt(0);
    const r = this.escape(flags, true) as number[];
    return r.length === 2 && r[0] === r[1] ? (r[0] as number) : r;
  }
}

// ---- compilation to a Pike VM program ----

const CHAR = 0, SPLIT = 1, JMP = 2, ASSERT = 3, MATCH = 4;

interface Program {
  op: number[];
  x: number[];
  y: number[];
  sets: (CharSet | undefined)[];
  asserts: (Assertion | undefined)[];
}

function emit(p: Program, op: number, x = 0, y = 0, set?: CharSet, as?: Assertion): number {
  if (p.op.length >= MAX_PROGRAM) throw new SeclError('invalid_regex', 'regex too large');
  p.op.push(op); p.x.push(x); p.y.push(y); p.sets.push(set); p.asserts.push(as);
  return p.op.length - 1;
}

function compileNode(p: Program, n: Node): void {
  switch (n.t) {
    case 'set': emit(p, CHAR, 0, 0, n.set); return;
    case 'assert': emit(p, ASSERT, 0, 0, undefined, n.kind); return;
    case 'cat': for (const it of n.items) compileNode(p, it); return;
    case 'alt': {
      const jumps: number[] = [];
      n.items.forEach((it, k) => {
        if (k < n.items.length - 1) {
          const split = emit(p, SPLIT);
          p.x[split] = split + 1;
          compileNode(p, it);
          jumps.push(emit(p, JMP));
          p.y[split] = p.op.length;
        } else {
          compileNode(p, it);
        }
      });
      for (const j of jumps) p.x[j] = p.op.length;
      return;
    }
    case 'rep': {
      for (let k = 0; k < n.min; k++) compileNode(p, n.node);
      if (n.max === Infinity) {
        const split = emit(p, SPLIT);
        p.x[split] = split + 1;
        compileNode(p, n.node);
        emit(p, JMP, split);
        p.y[split] = p.op.length;
        return;
      }
      const splits: number[] = [];
      for (let k = n.min; k < n.max; k++) {
        const split = emit(p, SPLIT);
        p.x[split] = split + 1;
        splits.push(split);
        compileNode(p, n.node);
      }
      for (const s of splits) p.y[s] = p.op.length;
      return;
    }
  }
}

/** A literal every match must contain (the longest top-level run), for a cheap pre-check. */
function requiredLiteral(n: Node): string {
  if (n.t !== 'cat') return n.t === 'rep' && n.min > 0 ? requiredLiteral(n.node) : '';
  let best = '';
  let run = '';
  for (const it of n.items) {
    const single = it.t === 'set' && !it.set.negated && it.set.ranges.length === 2 && it.set.ranges[0] === it.set.ranges[1];
    if (single) {
      run += String.fromCharCode(it.set.ranges[0] as number);
      continue;
    }
    if (run.length > best.length) best = run;
    run = '';
    if (it.t === 'cat' || (it.t === 'rep' && it.min > 0)) {
      const inner = requiredLiteral(it);
      if (inner.length > best.length) best = inner;
    }
  }
  return run.length > best.length ? run : best;
}

const isWordChar = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;

function assertHolds(kind: Assertion, s: string, pos: number): boolean {
  switch (kind) {
    case 'bot': return pos === 0;
    case 'eot': return pos === s.length;
    case 'bol': return pos === 0 || s.charCodeAt(pos - 1) === 10;
    case 'eol': return pos === s.length || s.charCodeAt(pos) === 10;
    case 'wb':
    case 'nwb': {
      const before = pos > 0 && isWordChar(s.charCodeAt(pos - 1));
      const after = pos < s.length && isWordChar(s.charCodeAt(pos));
      return (before !== after) === (kind === 'wb');
    }
  }
}

export interface Regex {
  source: string;
  test(s: string): boolean;
}

/** Compiles an RE2-syntax regex. Throws SeclError('invalid_regex'). */
export function compileRegex(source: string): Regex {
  const ast = new RegexParser(source).parse();
  const prog: Program = { op: [], x: [], y: [], sets: [], asserts: [] };
  compileNode(prog, ast);
  emit(prog, MATCH);
  const literal = requiredLiteral(ast);
  const anchored = ast.t === 'cat' && ast.items[0]?.t === 'assert' && ast.items[0].kind === 'bot';
  const size = prog.op.length;
  const mark = new Int32Array(size);
  let gen = 0;
  let clist = new Int32Array(size);
  let nlist = new Int32Array(size);
  const stack = new Int32Array(size * 2 + 2);
  const { op, x, y, sets, asserts } = prog;

  // Adds pc and its epsilon closure at `pos` to `list`; returns true when MATCH is reached.
  const add = (list: Int32Array, len: { n: number }, pc0: number, s: string, pos: number): boolean => {
    let sp = 0;
    stack[sp++] = pc0;
    while (sp > 0) {
      const pc = stack[--sp] as number;
      if (mark[pc] === gen) continue;
      mark[pc] = gen;
      switch (op[pc]) {
        case CHAR: list[len.n++] = pc; break;
        case MATCH: return true;
        case JMP: stack[sp++] = x[pc] as number; break;
        case SPLIT: stack[sp++] = y[pc] as number; stack[sp++] = x[pc] as number; break;
        case ASSERT: if (assertHolds(asserts[pc] as Assertion, s, pos)) stack[sp++] = pc + 1; break;
      }
    }
    return false;
  };

  const test = (s: string): boolean => {
    if (literal && !s.includes(literal)) return false;
    const cur = { n: 0 };
    const nxt = { n: 0 };
    gen++;
    for (let pos = 0; ; pos++) {
      if (!anchored || pos === 0) {
        if (add(clist, cur, 0, s, pos)) return true;
      }
      if (pos >= s.length || cur.n === 0 && anchored) return false;
      const c = s.charCodeAt(pos);
      gen++;
      nxt.n = 0;
      for (let k = 0; k < cur.n; k++) {
        const pc = clist[k] as number;
        if (inSet(sets[pc] as CharSet, c) && add(nlist, nxt, pc + 1, s, pos + 1)) return true;
      }
      [clist, nlist] = [nlist, clist];
      cur.n = nxt.n;
    }
  };
  return { source, test };
}
