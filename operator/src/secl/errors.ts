// Typed SECL errors: a closed set of codes, the position in the expression, and a
// rendering with a caret line, e.g.
//   expression: unexpected token "==" at col 19: exec.file.name == == "nc"
//                                                                   ^

export const SECL_ERROR_CODES = [
  // lexing and parsing
  'unexpected_token', 'unexpected_end', 'unterminated_string', 'invalid_escape', 'invalid_number',
  'invalid_duration', 'invalid_ip', 'too_complex',
  // checking
  'unknown_field', 'unsupported_field', 'unknown_macro', 'macro_cycle', 'invalid_macro',
  'unknown_variable', 'type_mismatch', 'invalid_operator', 'not_boolean', 'no_event_type',
  'multiple_event_types', 'invalid_pattern', 'invalid_regex', 'invalid_register',
  // rule and policy documents
  'invalid_rule', 'invalid_action', 'duplicate_id', 'invalid_policy',
] as const;
export type SeclErrorCode = (typeof SECL_ERROR_CODES)[number];

/** Longest expression excerpt printed before it is cut around the error. */
const MAX_EXCERPT = 100;

export class SeclError extends Error {
  override readonly name = 'SeclError';
  /** Short description without position, e.g. `unexpected token "=="`. */
  readonly reason: string;

  constructor(
    readonly code: SeclErrorCode,
    reason: string,
    /** The expression the position refers to ("" when the error is not about an expression). */
    readonly expression = '',
    /** 0-based offset into `expression`, -1 when there is none. */
    readonly pos = -1,
    /** Where the error comes from when not the rule expression itself (a macro id, `actions[0].filter`). */
    readonly source?: string,
  ) {
    super('');
    this.reason = reason;
    this.message = this.format();
  }

  /** 1-based column (offset + 1), or 0 without position. */
  get col(): number {
    return this.pos < 0 ? 0 : this.pos + 1;
  }

  /** One line: `expression: <reason> at col N: <expr>`. */
  summary(): string {
    if (this.pos < 0 && !this.expression) return `${this.prefix()}${this.reason}`;
    const { text } = this.excerpt();
    const at = this.pos < 0 ? '' : ` at col ${this.col}`;
    return `${this.prefix()}${this.reason}${at}: ${text}`;
  }

  /** The summary plus a caret line under the offending column. */
  format(): string {
    const line = this.summary();
    if (this.pos < 0) return line;
    const { caret } = this.excerpt();
    const head = line.length - this.excerpt().text.length;
    return `${line}\n${' '.repeat(head + caret)}^`;
  }

  toJSON(): { code: SeclErrorCode; message: string; col: number; source?: string } {
    return { code: this.code, message: this.summary(), col: this.col, ...(this.source ? { source: this.source } : {}) };
  }

  private prefix(): string {
    return this.source ? `${this.source}: ` : 'expression: ';
  }

  /** The expression on one line (whitespace kept one-for-one), cut around pos when long. */
  private excerpt(): { text: string; caret: number } {
    const flat = this.expression.replace(/[\r\n\t]/g, ' ');
    const pos = Math.max(0, Math.min(this.pos, flat.length));
    if (flat.length <= MAX_EXCERPT) return { text: flat, caret: pos };
    const half = MAX_EXCERPT / 2;
    const start = Math.max(0, pos - half);
    const end = Math.min(flat.length, start + MAX_EXCERPT);
    const lead = start > 0 ? '…' : '';
    const tail = end < flat.length ? '…' : '';
    return { text: lead + flat.slice(start, end) + tail, caret: lead.length + pos - start };
  }
}

/** Re-anchors an error raised inside a macro body so it names the macro. */
export function inMacro(err: SeclError, macroId: string): SeclError {
  if (err.source) return err;
  return new SeclError(err.code, err.reason, err.expression, err.pos, `macro ${macroId}`);
}
