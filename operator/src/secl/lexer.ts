// SECL lexer. Tokens follow Datadog's SECL lexer, including its quirks:
// - `-1` / `+1` (a sign right before digits) is one integer token, so `a -1` does not parse
//   while `a - 1` does;
// - identifiers may contain dots and brackets (`process.ancestors[A].comm`);
// - `~"..."` (pattern) and `r"..."` (regex) keep their text raw, escapes included;
// - durations are digits plus one unit (ms, s, m, h, d);
// - IPv4/IPv6 addresses and CIDRs are literals; `#` and `//` start a comment.
// Extensions that cannot change the meaning of a valid Datadog expression: hex integers,
// and multi-character operators (`=~`, `!~`) accepted without the tokens being separate.

import { isIP } from 'node:net';
import { SeclError } from './errors.ts';

export type TokenKind =
  | 'ident' | 'string' | 'pattern' | 'regex' | 'int' | 'duration' | 'ip' | 'cidr' | 'variable' | 'op' | 'eof';

export interface Token {
  kind: TokenKind;
  /** Identifier/operator text, unquoted string, raw pattern/regex text, variable name, IP/CIDR text. */
  text: string;
  /** Integer value, or nanoseconds for durations. */
  num: number;
  pos: number;
  end: number;
}

/** Longest expression accepted; keeps lexing and parsing time bounded. */
export const MAX_EXPRESSION_LENGTH = 256 * 1024;

const OPERATORS = ['&&', '||', '==', '!=', '=~', '!~', '<=', '>=', '<', '>', '!', '&', '|', '^', '+', '-', '(', ')', '[', ']', ','];
const DURATION_UNITS: Record<string, number> = { ms: 1e6, s: 1e9, m: 60e9, h: 3600e9, d: 86400e9 };

const IPV4 = /\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?:\/\d{1,3})?/y;
const IPV6 = /(?:[0-9A-Fa-f]{0,4}:){2,7}(?:\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|[0-9A-Fa-f]{0,4})(?:\/\d{1,3})?/y;
const DURATION = /\d+(ms|s|m|h|d)(?![A-Za-z0-9_.])/y;
const HEX = /0[xX][0-9A-Fa-f]+/y;
const DIGITS = /[+-]?\d+/y;

function isIdentStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
}
function isIdentPart(c: string): boolean {
  return isIdentStart(c) || (c >= '0' && c <= '9') || c === '.';
}
/**
 * The end of an identifier starting at i. A bracket attached to it is a register
 * (`process.ancestors[A].comm`; a malformed one stays in the identifier so the checker can
 * say why); a `]` is only ever the end of such a bracket, so `[AF_INET, AF_INET6]` is a list.
 */
function identEnd(src: string, i: number): number {
  let j = i;
  while (j < src.length) {
    const c = src[j] as string;
    if (isIdentPart(c)) {
      j++;
    } else if (c === '[') {
      j++;
      while (j < src.length && isIdentPart(src[j] as string)) j++;
      if (src[j] === ']') j++;
    } else break;
  }
  return j;
}
/** A character that may not directly follow a number or an address. */
function isWordChar(c: string | undefined): boolean {
  return c !== undefined && (isIdentStart(c) || (c >= '0' && c <= '9') || c === '.');
}
function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}
function isHex(c: string | undefined): boolean {
  return c !== undefined && /^[0-9A-Fa-f]$/.test(c);
}

/** Matches a sticky (`y`) pattern exactly at `at`. */
function sticky(re: RegExp, src: string, at: number): string | null {
  re.lastIndex = at;
  const m = re.exec(src);
  return m ? m[0] : null;
}

export function tokenize(src: string): Token[] {
  if (src.length > MAX_EXPRESSION_LENGTH) {
    throw new SeclError('too_complex', `expression longer than ${MAX_EXPRESSION_LENGTH} characters`, src.slice(0, 200), 0);
  }
  const out: Token[] = [];
  let i = 0;
  const n = src.length;
  const tok = (kind: TokenKind, text: string, pos: number, end: number, num = 0): void => {
    out.push({ kind, text, num, pos, end });
  };
  while (i < n) {
    const c = src[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue; }
    if (c === '#' || (c === '/' && src[i + 1] === '/')) {
      while (i < n && src[i] !== '\n') i++;
      continue;
    }
    const start = i;
    if (c === '"') { i = lexString(src, i, out); continue; }
    if ((c === '~' || c === 'r') && src[i + 1] === '"') {
      const end = scanRaw(src, i + 1);
      tok(c === '~' ? 'pattern' : 'regex', src.slice(i + 2, end - 1), start, end);
      i = end;
      continue;
    }
    if (c === '$' && src[i + 1] === '{') {
      let j = i + 2;
      if (j < n && isIdentStart(src[j] as string)) {
        j++;
        while (j < n && /[A-Za-z0-9_.]/.test(src[j] as string)) j++;
        if (src[j] === '}') {
          tok('variable', src.slice(i + 2, j), start, j + 1);
          i = j + 1;
          continue;
        }
      }
      throw new SeclError('unexpected_token', 'malformed variable, expected ${name}', src, start);
    }
    // Addresses first: "10.0.0.1" would otherwise lex as an integer, "fe80::1" as an identifier.
    if (isDigit(c) || isHex(c) || c === ':') {
      const v6 = sticky(IPV6, src, i);
      const v4 = v6 ? null : sticky(IPV4, src, i);
      const addr = v6 ?? v4;
      if (addr && !isWordChar(src[i + addr.length])) {
        const [ip, bits] = addr.split('/');
        const family = isIP(ip ?? '');
        if (family === 0 || (bits !== undefined && Number(bits) > (family === 4 ? 32 : 128))) {
          throw new SeclError('invalid_ip', `invalid IP address or CIDR "${addr}"`, src, start);
        }
        tok(bits === undefined ? 'ip' : 'cidr', addr, start, i + addr.length);
        i += addr.length;
        continue;
      }
    }
    if (isDigit(c) || ((c === '-' || c === '+') && isDigit(src[i + 1]))) {
      const dur = isDigit(c) ? sticky(DURATION, src, i) : null;
      if (dur) {
        const unit = dur.endsWith('ms') ? 'ms' : dur.slice(-1);
        const value = Number(dur.slice(0, dur.length - unit.length)) * (DURATION_UNITS[unit] ?? 1);
        if (!Number.isSafeInteger(value)) throw new SeclError('invalid_duration', `duration "${dur}" is too large`, src, start);
        tok('duration', dur, start, i + dur.length, value);
        i += dur.length;
        continue;
      }
      const text = (isDigit(c) ? sticky(HEX, src, i) : null) ?? sticky(DIGITS, src, i) ?? c;
      const end = i + text.length;
      if (isWordChar(src[end])) {
        throw new SeclError('invalid_number', `invalid number "${src.slice(i, end + 1)}"`, src, start);
      }
      const value = Number(text);
      if (!Number.isSafeInteger(value)) throw new SeclError('invalid_number', `integer "${text}" out of range`, src, start);
      tok('int', text, start, end, value);
      i = end;
      continue;
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      j = identEnd(src, j);
      tok('ident', src.slice(i, j), start, j);
      i = j;
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i));
    if (op) {
      tok('op', op, start, i + op.length);
      i += op.length;
      continue;
    }
    throw new SeclError('unexpected_token', `unexpected character ${JSON.stringify(c)}`, src, start);
  }
  tok('eof', '', n, n);
  return out;
}

/** Returns the offset after the closing quote of a raw (pattern/regex) literal opening at `q`. */
function scanRaw(src: string, q: number): number {
  let i = q + 1;
  while (i < src.length) {
    const c = src[i];
    if (c === '\\') { i += 2; continue; }
    if (c === '"') return i + 1;
    i++;
  }
  throw new SeclError('unterminated_string', 'unterminated string', src, q - 1);
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'",
};

/** Lexes a Go-style interpreted string literal at `q`; returns the offset after it. */
function lexString(src: string, q: number, out: Token[]): number {
  let i = q + 1;
  let value = '';
  while (i < src.length) {
    const c = src[i] as string;
    if (c === '"') {
      out.push({ kind: 'string', text: value, num: 0, pos: q, end: i + 1 });
      return i + 1;
    }
    if (c !== '\\') { value += c; i++; continue; }
    const e = src[i + 1];
    if (e === undefined) break;
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) { value += simple; i += 2; continue; }
    const width = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
    if (width > 0) {
      const hex = src.slice(i + 2, i + 2 + width);
      const code = /^[0-9A-Fa-f]+$/.test(hex) && hex.length === width ? parseInt(hex, 16) : NaN;
      if (Number.isNaN(code) || code > 0x10ffff) throw new SeclError('invalid_escape', `invalid escape "\\${e}${hex}"`, src, i);
      value += String.fromCodePoint(code);
      i += 2 + width;
      continue;
    }
    if (e >= '0' && e <= '7') {
      const oct = src.slice(i + 1, i + 4);
      if (!/^[0-7]{3}$/.test(oct) || parseInt(oct, 8) > 255) throw new SeclError('invalid_escape', `invalid escape "\\${oct}"`, src, i);
      value += String.fromCharCode(parseInt(oct, 8));
      i += 4;
      continue;
    }
    throw new SeclError('invalid_escape', `invalid escape "\\${e}" in string`, src, i);
  }
  throw new SeclError('unterminated_string', 'unterminated string', src, q);
}
