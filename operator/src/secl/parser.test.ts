import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { printAst } from './ast.ts';
import { SeclError } from './errors.ts';
import { tokenize } from './lexer.ts';
import { MAX_DEPTH, parseExpression, parseMacroExpression } from './parser.ts';

const p = (src: string): string => printAst(parseExpression(src));

function parseError(src: string): SeclError {
  try {
    parseExpression(src);
  } catch (e) {
    if (e instanceof SeclError) return e;
    throw e;
  }
  assert.fail(`expected ${src} not to parse`);
}

describe('lexer', () => {
  const kinds = (src: string): string => tokenize(src).map((t) => `${t.kind}:${t.text}`).join(' ');

  it('reads identifiers with dots and registers as one token', () => {
    assert.equal(kinds('process.ancestors[A].comm'), 'ident:process.ancestors[A].comm eof:');
  });
  it('reads a sign followed by digits as one integer (Datadog quirk)', () => {
    assert.equal(kinds('a -1'), 'ident:a int:-1 eof:');
    assert.equal(kinds('a - 1'), 'ident:a op:- int:1 eof:');
    assert.equal(kinds('+7'), 'int:+7 eof:');
  });
  it('reads durations with one unit', () => {
    const t = tokenize('10ms 10s 5m 1h 2d');
    assert.deepEqual(t.slice(0, 5).map((x) => x.num), [10e6, 10e9, 300e9, 3600e9, 2 * 86400e9]);
    assert.ok(t.slice(0, 5).every((x) => x.kind === 'duration'));
  });
  it('reads hexadecimal integers', () => {
    assert.equal(tokenize('0x1F')[0]?.num, 31);
  });
  it('reads IPv4, IPv6 and CIDR literals', () => {
    assert.equal(kinds('1.2.3.4 10.0.0.0/8 ::1 fe80::1/64 ::/0'), 'ip:1.2.3.4 cidr:10.0.0.0/8 ip:::1 cidr:fe80::1/64 cidr:::/0 eof:');
  });
  it('keeps pattern and regex text raw', () => {
    assert.equal(kinds('~"/tmp/*" r"a\\.b\\"c"'), 'pattern:/tmp/* regex:a\\.b\\"c eof:');
  });
  it('unquotes strings with Go escapes', () => {
    assert.equal(tokenize('"a\\tb\\n\\"q\\\\ \\x41\\u00e9\\101"')[0]?.text, 'a\tb\n"q\\ Aé' + 'A');
  });
  it('reads variables', () => {
    assert.equal(kinds('${process.pid} ${cgroup.x_y}'), 'variable:process.pid variable:cgroup.x_y eof:');
  });
  it('skips # and // comments', () => {
    assert.equal(kinds('a # comment\n&& b // more'), 'ident:a op:&& ident:b eof:');
  });
  it('reads two-character operators greedily', () => {
    assert.equal(kinds('a=~b!~c<=d>=e!=f==g&&h||i'), 'ident:a op:=~ ident:b op:!~ ident:c op:<= ident:d op:>= ident:e op:!= ident:f op:== ident:g op:&& ident:h op:|| ident:i eof:');
  });
});

describe('parser: precedence quirks', () => {
  it('gives && and || the same precedence, grouping to the right', () => {
    assert.equal(p('a && b || c'), '(a && (b || c))');
    assert.equal(p('a || b && c'), '(a || (b && c))');
    assert.equal(p('a || b || c'), '(a || (b || c))');
    assert.equal(p('a && b && c || d'), '(a && (b && (c || d)))');
  });
  it('accepts and/or/not keywords as && || !', () => {
    assert.equal(p('a and b or not c'), '(a && (b || !c))');
  });
  it('binds ! tighter than comparisons and logic', () => {
    assert.equal(p('!a && b'), '(!a && b)');
    assert.equal(p('!a == b'), '(!a == b)');
    assert.equal(p('!(a && b)'), '!(a && b)');
  });
  it('binds bit operations tighter than comparisons, grouping to the right', () => {
    assert.equal(p('f & O_CREAT > 0'), '((f & O_CREAT) > 0)');
    assert.equal(p('f & A | B == 0'), '((f & (A | B)) == 0)');
    assert.equal(p('f ^ A & B'), '(f ^ (A & B))');
  });
  it('binds + and - looser than bit operations, grouping to the left', () => {
    assert.equal(p('a + b & c > 0'), '((a + (b & c)) > 0)');
    assert.equal(p('a - b + c == 0'), '(((a - b) + c) == 0)');
  });
  it('chains scalar comparisons to the right', () => {
    assert.equal(p('a == b == c'), '(a == (b == c))');
  });
  it('parses parentheses as grouping', () => {
    assert.equal(p('(a || b) && c'), '((a || b) && c)');
    assert.equal(p('f & ((A|B)) > 0'), '((f & (A | B)) > 0)');
  });
  it('parses unary minus and bitwise not', () => {
    assert.equal(p('- x == ^ y'), '(-x == ^y)');
  });
});

describe('parser: operators', () => {
  for (const op of ['==', '!=', '<', '<=', '>', '>=', '=~', '!~']) {
    it(`parses ${op}`, () => assert.equal(p(`a ${op} 1`), `(a ${op} 1)`));
  }
  it('parses in, not in and allin with every array form', () => {
    assert.equal(p('a in ["x", ~"y*", r"z+"]'), '(a in ["x", ~"y*", r"z+"])');
    assert.equal(p('a not in [1, 2, -3]'), '(a not in [1, 2, -3])');
    assert.equal(p('a allin MACRO'), '(a allin MACRO)');
    assert.equal(p('a in ${var}'), '(a in ${var})');
    assert.equal(p('ip in 10.0.0.0/8'), '(ip in 10.0.0.0/8)');
    assert.equal(p('ip in [10.0.0.0/8, ::1, 1.2.3.4]'), '(ip in [10.0.0.0/8, ::1, 1.2.3.4])');
    assert.equal(p('"x" in exec.argv'), '("x" in exec.argv)');
  });
  it('parses literals: booleans, durations, strings, patterns, regexes', () => {
    assert.equal(p('a == true && b > 90s && c == "s" && d =~ ~"p*" && e =~ r"^r$"'),
      '((a == true) && ((b > 90s) && ((c == "s") && ((d =~ ~"p*") && (e =~ r"^r$")))))');
  });
  it('parses register iterators as identifiers', () => {
    assert.equal(p('process.ancestors[A].comm == "git"'), '(process.ancestors[A].comm == "git")');
  });
  it('parses multi-line expressions', () => {
    assert.equal(p('a\n  && b\n'), '(a && b)');
  });
  it('parses macro bodies that are lists or expressions', () => {
    assert.equal(printAst(parseMacroExpression('["a", "b"]')), '["a", "b"]');
    assert.equal(printAst(parseMacroExpression('O_CREAT|O_RDWR')), '(O_CREAT | O_RDWR)');
    assert.equal(printAst(parseMacroExpression('a && b')), '(a && b)');
  });
});

describe('parser: errors', () => {
  it('points at the offending token with a caret', () => {
    const e = parseError('exec.file.name == == "nc"');
    assert.equal(e.code, 'unexpected_token');
    assert.equal(e.col, 19);
    assert.equal(e.message, [
      'expression: unexpected token "==", expected an operand at col 19: exec.file.name == == "nc"',
      '                                                                                    ^',
    ].join('\n'));
    assert.equal(e.summary(), 'expression: unexpected token "==", expected an operand at col 19: exec.file.name == == "nc"');
  });
  it('reports the end of input', () => {
    const e = parseError('a in');
    assert.equal(e.code, 'unexpected_end');
    assert.equal(e.col, 5);
  });
  it('reports a missing closing parenthesis', () => {
    assert.match(parseError('(a && b').reason, /expected "\)"/);
  });
  it('reports trailing tokens', () => {
    const e = parseError('a == 1 b');
    assert.equal(e.code, 'unexpected_token');
    assert.equal(e.col, 8);
  });
  it('reports a sign-glued integer after an operand', () => assert.equal(parseError('a -1').col, 3));
  it('reports unterminated strings, patterns and regexes', () => {
    for (const s of ['a == "x', 'a == ~"x', 'a == r"x\\"']) assert.equal(parseError(s).code, 'unterminated_string');
  });
  it('reports invalid escapes', () => assert.equal(parseError('a == "\\d"').code, 'invalid_escape'));
  it('reports invalid numbers and out of range integers', () => {
    assert.equal(parseError('a == 12abc').code, 'invalid_number');
    assert.equal(parseError('a == 99999999999999999999').code, 'invalid_number');
  });
  it('reports invalid IPs and CIDRs', () => {
    assert.equal(parseError('a in 10.0.0.0/33').code, 'invalid_ip');
    assert.equal(parseError('a == 300.1.1.1').code, 'invalid_ip');
  });
  it('reports malformed variables', () => assert.equal(parseError('a == ${1x}').code, 'unexpected_token'));
  it('reports unknown characters', () => assert.equal(parseError('a == @').code, 'unexpected_token'));
  it('refuses keywords as operands and arrays', () => {
    assert.equal(parseError('in == 1').code, 'unexpected_token');
    assert.equal(parseError('a in not').code, 'unexpected_token');
  });
  it('refuses arrays outside membership tests', () => assert.equal(parseError('a == ["x"]').code, 'unexpected_token'));
  it('refuses bad array members and separators', () => {
    assert.equal(parseError('a in [(b)]').code, 'unexpected_token');
    assert.equal(parseError('a in ["x" "y"]').code, 'unexpected_token');
  });
  it('bounds nesting depth', () => {
    const deep = '('.repeat(MAX_DEPTH + 5) + 'a' + ')'.repeat(MAX_DEPTH + 5);
    assert.equal(parseError(deep).code, 'too_complex');
    const nots = '!'.repeat(MAX_DEPTH + 5) + 'a';
    assert.equal(parseError(nots).code, 'too_complex');
  });
  it('cuts long expressions around the error in the message', () => {
    const long = `${'a == 1 && '.repeat(30)}b == == 2`;
    const e = parseError(long);
    const [line, caret] = e.message.split('\n');
    assert.ok(line && caret);
    assert.ok(line.length < 200, line);
    assert.equal(line[caret.length - 1], '=');
    assert.match(line, /…/);
  });
});

it('a list of constants closes its bracket; registers stay part of the identifier', () => {
  assert.equal(printAst(parseExpression('connect.addr.family in [AF_INET, AF_INET6]')), '(connect.addr.family in [AF_INET, AF_INET6])');
  assert.equal(printAst(parseExpression('process.ancestors[A].comm == "sh"')), '(process.ancestors[A].comm == "sh")');
});
