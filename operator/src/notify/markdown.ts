// The Markdown subset of notification templates, parsed into a tree BEFORE any value is
// known. `{{signal.x}}` placeholders become nodes of the tree, so a value can never open
// or close markup: each renderer escapes it for the place it lands (text, code, link).
//
// Blocks: paragraphs (line breaks kept), ATX headings, fenced code, quotes, flat lists
// (- * + or 1.), thematic breaks. Inlines: **strong**, *em*/_em_, ~~strike~~, `code`,
// [label](href), <https://autolink>, backslash escapes, {{placeholders}}.

export type Piece = { readonly t: 'text'; readonly v: string } | { readonly t: 'var'; readonly path: string };

export type Inline =
  | Piece
  | { readonly t: 'strong' | 'em' | 'strike'; readonly c: readonly Inline[] }
  | { readonly t: 'code'; readonly c: readonly Piece[] }
  | { readonly t: 'link'; readonly href: readonly Piece[]; readonly c: readonly Inline[] }
  | { readonly t: 'br' };

export type Block =
  | { readonly t: 'p'; readonly c: readonly Inline[] }
  | { readonly t: 'heading'; readonly level: number; readonly c: readonly Inline[] }
  | { readonly t: 'list'; readonly ordered: boolean; readonly start: number; readonly items: readonly (readonly Inline[])[] }
  | { readonly t: 'quote'; readonly c: readonly Block[] }
  | { readonly t: 'pre'; readonly c: readonly Piece[] }
  | { readonly t: 'hr' };

export interface ParsedTemplate {
  readonly blocks: readonly Block[];
  /** Every placeholder path, in order of appearance (duplicates removed). */
  readonly vars: readonly string[];
}

const VAR = /\{\{\s*([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*)\s*\}\}/y;
const PUNCT = /[!-/:-@[-`{-~]/;
const FENCE = /^ {0,3}(`{3,}|~{3,})(.*)$/;
const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t#]*$/;
const HR = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const LIST_ITEM = /^ {0,3}(?:([-*+])|(\d{1,9})[.)])[ \t]+(.*)$/;

export function parseTemplate(src: string): ParsedTemplate {
  const vars = new Set<string>();
  const blocks = parseBlocks(src.replace(/\r\n?/g, '\n').split('\n'), vars);
  return { blocks, vars: [...vars] };
}

function parseBlocks(lines: readonly string[], vars: Set<string>): Block[] {
  const out: Block[] = [];
  let para: string[] = [];
  const endPara = () => {
    if (para.length) out.push({ t: 'p', c: joinLines(para, vars) });
    para = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const fence = FENCE.exec(line);
    if (fence) {
      endPara();
      const marker = fence[1] as string;
      const body: string[] = [];
      i++;
      for (; i < lines.length; i++) {
        const l = lines[i] as string;
        const t = l.trim();
        if (t.length >= marker.length && [...t].every((ch) => ch === marker[0])) break;
        body.push(l);
      }
      out.push({ t: 'pre', c: pieces(body.join('\n'), vars) });
      continue;
    }
    if (line.trim() === '') {
      endPara();
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      endPara();
      out.push({ t: 'heading', level: (heading[1] as string).length, c: parseInlines(heading[2] ?? '', vars) });
      continue;
    }
    if (HR.test(line)) {
      endPara();
      out.push({ t: 'hr' });
      continue;
    }
    if (QUOTE.test(line)) {
      endPara();
      const inner: string[] = [];
      for (; i < lines.length && QUOTE.test(lines[i] as string); i++) inner.push((QUOTE.exec(lines[i] as string) as RegExpExecArray)[1] as string);
      i--;
      out.push({ t: 'quote', c: parseBlocks(inner, vars) });
      continue;
    }
    const item = LIST_ITEM.exec(line);
    if (item) {
      endPara();
      const ordered = item[2] !== undefined;
      const items: string[][] = [];
      for (; i < lines.length; i++) {
        const l = lines[i] as string;
        const m = LIST_ITEM.exec(l);
        if (m && (m[2] !== undefined) === ordered) items.push([m[3] as string]);
        else if (l.trim() !== '' && /^\s{2,}/.test(l) && items.length) items[items.length - 1]!.push(l.trim());
        else break;
      }
      i--;
      out.push({ t: 'list', ordered, start: ordered ? Number(item[2]) : 1, items: items.map((it) => joinLines(it, vars)) });
      continue;
    }
    para.push(line.trim());
  }
  endPara();
  return out;
}

function joinLines(lines: readonly string[], vars: Set<string>): Inline[] {
  const out: Inline[] = [];
  lines.forEach((l, n) => {
    if (n > 0) out.push({ t: 'br' });
    out.push(...parseInlines(l, vars));
  });
  return out;
}

function readVar(s: string, i: number): RegExpExecArray | null {
  VAR.lastIndex = i;
  return VAR.exec(s);
}

/** Text with placeholders only (code spans, code blocks, link targets). */
function pieces(s: string, vars: Set<string>): Piece[] {
  const out: Piece[] = [];
  let buf = '';
  for (let i = 0; i < s.length;) {
    const m = s.startsWith('{{', i) ? readVar(s, i) : null;
    if (m) {
      if (buf) out.push({ t: 'text', v: buf });
      buf = '';
      vars.add(m[1] as string);
      out.push({ t: 'var', path: m[1] as string });
      i += m[0].length;
    } else {
      buf += s[i];
      i++;
    }
  }
  if (buf) out.push({ t: 'text', v: buf });
  return out;
}

const isWord = (c: string | undefined) => c !== undefined && /[\p{L}\p{N}]/u.test(c);
const isSpace = (c: string | undefined) => c === undefined || /\s/.test(c);

/** Index of the end of the construct starting at i that must be skipped whole, or i. */
function skipAtomic(s: string, i: number): number {
  if (s[i] === '\\' && i + 1 < s.length) return i + 2;
  if (s.startsWith('{{', i)) {
    const m = readVar(s, i);
    if (m) return i + m[0].length;
  }
  if (s[i] === '`') {
    const n = runLength(s, i, '`');
    const close = findRun(s, i + n, '`', n);
    return close < 0 ? i + n : close + n;
  }
  return i;
}

function runLength(s: string, i: number, c: string): number {
  let n = 0;
  while (s[i + n] === c) n++;
  return n;
}

/** Start of the next run of exactly n `c` after `from`, or -1. */
function findRun(s: string, from: number, c: string, n: number): number {
  for (let j = from; j < s.length;) {
    if (s[j] === c) {
      const len = runLength(s, j, c);
      if (len === n) return j;
      j += len;
    } else j++;
  }
  return -1;
}

/** Closing delimiter `d` for an opener ending at `from`: not after a space, skipping code and placeholders. */
function findClose(s: string, from: number, d: string): number {
  for (let j = from; j < s.length;) {
    const skip = skipAtomic(s, j);
    if (skip !== j) {
      j = skip;
      continue;
    }
    if (s.startsWith(d, j) && j > from && !isSpace(s[j - 1])) {
      const single = d.length === 1;
      // A single delimiter must not be half of a double one; `_` must end a word.
      if (single && s[j + 1] === d) {
        j += 2;
        continue;
      }
      if (d[0] === '_' && isWord(s[j + d.length])) {
        j += d.length;
        continue;
      }
      return j;
    }
    j++;
  }
  return -1;
}

function parseInlines(s: string, vars: Set<string>): Inline[] {
  const out: Inline[] = [];
  let buf = '';
  const flush = () => {
    if (buf) out.push({ t: 'text', v: buf });
    buf = '';
  };
  for (let i = 0; i < s.length;) {
    const c = s[i] as string;
    if (c === '\\' && PUNCT.test(s[i + 1] ?? '')) {
      buf += s[i + 1];
      i += 2;
      continue;
    }
    if (c === '{' && s[i + 1] === '{') {
      const m = readVar(s, i);
      if (m) {
        flush();
        vars.add(m[1] as string);
        out.push({ t: 'var', path: m[1] as string });
        i += m[0].length;
        continue;
      }
    }
    if (c === '`') {
      const n = runLength(s, i, '`');
      const close = findRun(s, i + n, '`', n);
      if (close < 0) {
        buf += '`'.repeat(n);
        i += n;
        continue;
      }
      flush();
      let body = s.slice(i + n, close);
      if (body.length > 2 && body.startsWith(' ') && body.endsWith(' ') && body.trim() !== '') body = body.slice(1, -1);
      out.push({ t: 'code', c: pieces(body, vars) });
      i = close + n;
      continue;
    }
    const double = s.slice(i, i + 2);
    if ((double === '**' || double === '__' || double === '~~') && !isSpace(s[i + 2]) && !(double === '__' && isWord(s[i - 1]))) {
      const close = findClose(s, i + 2, double);
      if (close > i + 2) {
        flush();
        out.push({ t: double === '~~' ? 'strike' : 'strong', c: parseInlines(s.slice(i + 2, close), vars) });
        i = close + 2;
        continue;
      }
    }
    if ((c === '*' || c === '_') && s[i + 1] !== c && !isSpace(s[i + 1]) && !(c === '_' && isWord(s[i - 1]))) {
      const close = findClose(s, i + 1, c);
      if (close > i + 1) {
        flush();
        out.push({ t: 'em', c: parseInlines(s.slice(i + 1, close), vars) });
        i = close + 1;
        continue;
      }
    }
    if (c === '[') {
      const link = readLink(s, i);
      if (link) {
        flush();
        out.push({ t: 'link', href: pieces(link.href, vars), c: parseInlines(link.label, vars) });
        i = link.end;
        continue;
      }
    }
    if (c === '<') {
      const m = /^<((?:https?:\/\/|mailto:)[^\s<>]+)>/i.exec(s.slice(i));
      if (m) {
        flush();
        const target = m[1] as string;
        out.push({ t: 'link', href: [{ t: 'text', v: target }], c: [{ t: 'text', v: target }] });
        i += m[0].length;
        continue;
      }
    }
    buf += c;
    i++;
  }
  flush();
  return out;
}

function readLink(s: string, i: number): { label: string; href: string; end: number } | undefined {
  let depth = 0;
  let j = i;
  for (; j < s.length; j++) {
    const skip = skipAtomic(s, j);
    if (skip !== j) {
      j = skip - 1;
      continue;
    }
    if (s[j] === '[') depth++;
    else if (s[j] === ']' && --depth === 0) break;
  }
  if (j >= s.length || s[j + 1] !== '(') return undefined;
  let k = j + 2;
  for (; k < s.length && s[k] !== ')'; k++) {
    const skip = skipAtomic(s, k);
    if (skip !== k) k = skip - 1;
    else if (/\s/.test(s[k] as string)) return undefined;
  }
  if (k >= s.length) return undefined;
  return { label: s.slice(i + 1, j), href: s.slice(j + 2, k), end: k + 1 };
}
