// SECL syntax tree. Positions are 0-based offsets into the parsed text.

interface Span {
  pos: number;
  end: number;
}

export type Ast =
  /** Field, macro or constant name; may carry a register (`process.ancestors[A].comm`). */
  | (Span & { kind: 'ident'; name: string })
  | (Span & { kind: 'string'; value: string })
  | (Span & { kind: 'pattern'; value: string })
  | (Span & { kind: 'regex'; value: string })
  | (Span & { kind: 'int'; value: number })
  | (Span & { kind: 'duration'; ns: number; text: string })
  | (Span & { kind: 'ip'; value: string })
  | (Span & { kind: 'cidr'; value: string })
  | (Span & { kind: 'variable'; name: string })
  | (Span & { kind: 'array'; items: Ast[] })
  | (Span & { kind: 'unary'; op: UnaryOp; operand: Ast })
  | (Span & { kind: 'logical'; op: '&&' | '||'; left: Ast; right: Ast })
  | (Span & { kind: 'bitwise'; op: '&' | '|' | '^'; left: Ast; right: Ast })
  | (Span & { kind: 'arith'; op: '+' | '-'; left: Ast; right: Ast })
  | (Span & { kind: 'compare'; op: CompareOp; left: Ast; right: Ast; opPos: number })
  | (Span & { kind: 'membership'; op: MembershipOp; left: Ast; right: Ast; opPos: number });

export type UnaryOp = '!' | '-' | '^';
export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | '=~' | '!~';
export type MembershipOp = 'in' | 'not in' | 'allin';
export type AstKind = Ast['kind'];

/** Prints an AST back as SECL, fully parenthesised: shows how the parser grouped things. */
export function printAst(a: Ast): string {
  switch (a.kind) {
    case 'ident': return a.name;
    case 'string': return JSON.stringify(a.value);
    case 'pattern': return `~${JSON.stringify(a.value)}`;
    case 'regex': return `r${JSON.stringify(a.value)}`;
    case 'int': return String(a.value);
    case 'duration': return a.text;
    case 'ip': case 'cidr': return a.value;
    case 'variable': return `\${${a.name}}`;
    case 'array': return `[${a.items.map(printAst).join(', ')}]`;
    case 'unary': return `${a.op}${printAst(a.operand)}`;
    case 'logical': case 'bitwise': case 'arith': case 'compare': case 'membership':
      return `(${printAst(a.left)} ${a.op} ${printAst(a.right)})`;
  }
}
