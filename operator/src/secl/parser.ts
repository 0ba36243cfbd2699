// SECL parser: recursive descent over Datadog's grammar, with its precedence:
//   expression := comparison [ ("&&" | "and" | "||" | "or") expression ]     (one level, right-grouping)
//   comparison := arith [ scalarOp comparison | ("in" | "not" "in" | "allin") array ]
//   arith      := bitop { ("+" | "-") bitop }
//   bitop      := unary [ ("&" | "|" | "^") bitop ]
//   unary      := ("!" | "not" | "-" | "^") unary | primary
//   primary    := ident | ip | cidr | int | variable | string | pattern | regex | duration | "(" expression ")"
//   array      := cidr | variable | ident | "[" member { "," member } "]"
// So `a && b || c` is `a && (b || c)`, and `!a && b` is `(!a) && b`.

import type { Ast, CompareOp, MembershipOp } from './ast.ts';
import { SeclError } from './errors.ts';
import { tokenize, type Token } from './lexer.ts';

/** Deepest nesting accepted; keeps recursion bounded on hostile input. */
export const MAX_DEPTH = 200;

const SCALAR_OPS = new Set(['==', '!=', '<', '<=', '>', '>=', '=~', '!~']);
const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'allin']);

class Parser {
  private i = 0;
  private depth = 0;
  private readonly toks: Token[];

  constructor(private readonly src: string) {
    this.toks = tokenize(src);
  }

  private peek(k = 0): Token {
    return this.toks[Math.min(this.i + k, this.toks.length - 1)] as Token;
  }
  private next(): Token {
    const t = this.peek();
    if (this.i < this.toks.length - 1) this.i++;
    return t;
  }
  private isOp(t: Token, op: string): boolean {
    return t.kind === 'op' && t.text === op;
  }
  private isWord(t: Token, w: string): boolean {
    return t.kind === 'ident' && t.text === w;
  }

  fail(t: Token, expected?: string): never {
    if (t.kind === 'eof') {
      throw new SeclError('unexpected_end', `unexpected end of expression${expected ? `, expected ${expected}` : ''}`, this.src, t.pos);
    }
    const shown = t.kind === 'string' ? JSON.stringify(t.text) : `"${this.src.slice(t.pos, t.end)}"`;
    throw new SeclError('unexpected_token', `unexpected token ${shown}${expected ? `, expected ${expected}` : ''}`, this.src, t.pos);
  }

  private enter(t: Token): void {
    if (++this.depth > MAX_DEPTH) throw new SeclError('too_complex', `expression nested deeper than ${MAX_DEPTH}`, this.src, t.pos);
  }

  expectEnd(): void {
    const t = this.peek();
    if (t.kind !== 'eof') this.fail(t, 'an operator or the end of the expression');
  }

  expression(): Ast {
    this.enter(this.peek());
    const left = this.comparison();
    const t = this.peek();
    let op: '&&' | '||' | null = null;
    if (this.isOp(t, '&&') || this.isWord(t, 'and')) op = '&&';
    else if (this.isOp(t, '||') || this.isWord(t, 'or')) op = '||';
    let out = left;
    if (op) {
      this.next();
      const right = this.expression();
      out = { kind: 'logical', op, left, right, pos: left.pos, end: right.end };
    }
    this.depth--;
    return out;
  }

  private comparison(): Ast {
    this.enter(this.peek());
    const left = this.arith();
    const t = this.peek();
    let out = left;
    if (t.kind === 'op' && SCALAR_OPS.has(t.text)) {
      this.next();
      const right = this.comparison();
      out = { kind: 'compare', op: t.text as CompareOp, left, right, pos: left.pos, end: right.end, opPos: t.pos };
    } else if (this.isWord(t, 'in') || this.isWord(t, 'allin') || (this.isWord(t, 'not') && this.isWord(this.peek(1), 'in'))) {
      this.next();
      let op: MembershipOp = t.text === 'allin' ? 'allin' : 'in';
      if (t.text === 'not') {
        this.next();
        op = 'not in';
      }
      const right = this.array();
      out = { kind: 'membership', op, left, right, pos: left.pos, end: right.end, opPos: t.pos };
    }
    this.depth--;
    return out;
  }

  private arith(): Ast {
    let left = this.bitop();
    for (;;) {
      const t = this.peek();
      if (!this.isOp(t, '+') && !this.isOp(t, '-')) return left;
      this.next();
      const right = this.bitop();
      left = { kind: 'arith', op: t.text as '+' | '-', left, right, pos: left.pos, end: right.end };
    }
  }

  private bitop(): Ast {
    this.enter(this.peek());
    const left = this.unary();
    const t = this.peek();
    let out = left;
    if (this.isOp(t, '&') || this.isOp(t, '|') || this.isOp(t, '^')) {
      this.next();
      const right = this.bitop();
      out = { kind: 'bitwise', op: t.text as '&' | '|' | '^', left, right, pos: left.pos, end: right.end };
    }
    this.depth--;
    return out;
  }

  private unary(): Ast {
    const t = this.peek();
    if (this.isOp(t, '!') || this.isOp(t, '-') || this.isOp(t, '^') || (this.isWord(t, 'not') && !this.isWord(this.peek(1), 'in'))) {
      this.enter(t);
      this.next();
      const operand = this.unary();
      this.depth--;
      const op = t.text === 'not' ? '!' : (t.text as '!' | '-' | '^');
      return { kind: 'unary', op, operand, pos: t.pos, end: operand.end };
    }
    return this.primary();
  }

  private primary(): Ast {
    const t = this.next();
    switch (t.kind) {
      case 'ident':
        if (KEYWORDS.has(t.text)) this.fail(t, 'an operand');
        return { kind: 'ident', name: t.text, pos: t.pos, end: t.end };
      case 'string': return { kind: 'string', value: t.text, pos: t.pos, end: t.end };
      case 'pattern': return { kind: 'pattern', value: t.text, pos: t.pos, end: t.end };
      case 'regex': return { kind: 'regex', value: t.text, pos: t.pos, end: t.end };
      case 'int': return { kind: 'int', value: t.num, pos: t.pos, end: t.end };
      case 'duration': return { kind: 'duration', ns: t.num, text: t.text, pos: t.pos, end: t.end };
      case 'ip': return { kind: 'ip', value: t.text, pos: t.pos, end: t.end };
      case 'cidr': return { kind: 'cidr', value: t.text, pos: t.pos, end: t.end };
      case 'variable': return { kind: 'variable', name: t.text, pos: t.pos, end: t.end };
      case 'op':
        if (t.text === '(') {
          const inner = this.expression();
          const close = this.next();
          if (!this.isOp(close, ')')) this.fail(close, '")"');
          return { ...inner, pos: t.pos, end: close.end };
        }
        return this.fail(t, 'an operand');
      default:
        return this.fail(t, 'an operand');
    }
  }

  array(): Ast {
    const t = this.next();
    switch (t.kind) {
      case 'cidr': return { kind: 'cidr', value: t.text, pos: t.pos, end: t.end };
      case 'variable': return { kind: 'variable', name: t.text, pos: t.pos, end: t.end };
      case 'ident':
        if (KEYWORDS.has(t.text)) this.fail(t, 'an array');
        return { kind: 'ident', name: t.text, pos: t.pos, end: t.end };
      case 'op':
        if (t.text === '[') return this.arrayMembers(t);
        return this.fail(t, 'an array');
      default:
        return this.fail(t, 'an array');
    }
  }

  private arrayMembers(open: Token): Ast {
    const items: Ast[] = [];
    for (;;) {
      const t = this.next();
      switch (t.kind) {
        case 'string': items.push({ kind: 'string', value: t.text, pos: t.pos, end: t.end }); break;
        case 'pattern': items.push({ kind: 'pattern', value: t.text, pos: t.pos, end: t.end }); break;
        case 'regex': items.push({ kind: 'regex', value: t.text, pos: t.pos, end: t.end }); break;
        case 'int': items.push({ kind: 'int', value: t.num, pos: t.pos, end: t.end }); break;
        case 'ip': items.push({ kind: 'ip', value: t.text, pos: t.pos, end: t.end }); break;
        case 'cidr': items.push({ kind: 'cidr', value: t.text, pos: t.pos, end: t.end }); break;
        case 'ident':
          // Constants (`[O_RDONLY, O_RDWR]`) are an extension; Datadog only takes literals here.
          if (KEYWORDS.has(t.text)) this.fail(t, 'an array member');
          items.push({ kind: 'ident', name: t.text, pos: t.pos, end: t.end });
          break;
        default:
          this.fail(t, 'an array member');
      }
      const sep = this.next();
      if (this.isOp(sep, ']')) return { kind: 'array', items, pos: open.pos, end: sep.end };
      if (!this.isOp(sep, ',')) this.fail(sep, '"," or "]"');
    }
  }

  startsWithArray(): boolean {
    return this.isOp(this.peek(), '[');
  }
}

/** Parses a rule expression. Throws SeclError. */
export function parseExpression(src: string): Ast {
  const p = new Parser(src);
  const ast = p.expression();
  p.expectEnd();
  return ast;
}

/** Parses a macro body: an expression or a value list. Throws SeclError. */
export function parseMacroExpression(src: string): Ast {
  const p = new Parser(src);
  const ast = p.startsWithArray() ? p.array() : p.expression();
  p.expectEnd();
  return ast;
}
