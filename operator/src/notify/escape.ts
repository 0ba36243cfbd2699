// Escaping of untrusted values (process args, paths, pod names: anything a workload
// controls) for each output dialect. Values are never parsed as markup: the template is
// parsed first and values are inserted into the tree, so these functions only have to
// make a value display literally where it lands.

/** Longest value inserted into a message, in UTF-16 units; args can be megabytes. */
export const MAX_VALUE_LENGTH = 1024;

// C0/C1 controls, DEL, line/paragraph separators, and bidi overrides/isolates (a process
// name can otherwise reorder the text around it on screen).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Makes a value one visible line: controls become `\n`, `\t`, `\x1b`, `\u202e` and the
 * value is cut at `max` units. Every dialect starts here, so no value can start a new
 * line (a new Markdown block, a quote, a mail header).
 */
export function oneLine(value: string, max = MAX_VALUE_LENGTH): string {
  let s = value.length > max ? `${value.slice(0, max)}…` : value;
  s = s.replace(CONTROL, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
  return s;
}

// Slack has no escape character for its formatting delimiters; the usual answer is a
// look-alike character. Slack only treats *, _ and ~ as delimiters at a word boundary,
// so letters inside a word (shell_in_container) keep their real character.
const SLACK_LOOKALIKE: Record<string, string> = { '*': '\u2217', _: '\u02cd', '~': '\u223c', '`': '\u02cb' };
const WORD = /[\p{L}\p{N}]/u;

function atWordBoundary(s: string, i: number): boolean {
  const before = i > 0 ? s[i - 1] : undefined;
  const after = s[i + 1];
  return before === undefined || after === undefined || !WORD.test(before) || !WORD.test(after);
}

/** Slack's three control characters, as its formatting reference asks. */
export function slackEntities(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Formatting delimiters as look-alikes; in code only the backtick (which would end it). */
function slackDelimiters(s: string, code: boolean): string {
  if (code) return s.replace(/`/g, SLACK_LOOKALIKE['`'] as string);
  return s.replace(/[*_~`]/g, (c, i: number, all: string) => (c === '`' || atWordBoundary(all, i) ? SLACK_LOOKALIKE[c] as string : c));
}

/**
 * A value in Slack mrkdwn. `code` says it sits inside a code span or block, where only the
 * backtick and the control characters matter.
 */
export function slackValue(value: string, code: boolean): string {
  let s = slackDelimiters(slackEntities(oneLine(value)), code);
  if (code) return s;
  // @channel/@here/@everyone as plain words: a word joiner keeps them from being a mention
  // even where a client links names (the blocks also say verbatim).
  s = s.replace(/@(?=[\p{L}\p{N}])/gu, '@\u2060');
  // A leading &gt; still starts a quote in Slack: an invisible space in front stops it.
  if (s.startsWith('&gt;')) s = `\u200b${s}`;
  return s;
}

/** Literal template text in Slack mrkdwn: what the author wrote, displayed as written. */
export function slackLiteral(text: string, code: boolean): string {
  return slackDelimiters(slackEntities(text), code);
}

export function htmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** CommonMark: every ASCII punctuation character may be backslash-escaped. */
export function markdownEscape(s: string): string {
  return s.replace(/[!-/:-@[-`{-~]/g, (c) => `\\${c}`);
}

/** A fence of backticks longer than any run inside `content`. */
export function backtickFence(content: string, min: number): string {
  let longest = 0;
  for (const m of content.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  return '`'.repeat(Math.max(min, longest + 1));
}

/**
 * A link target built from a template: only http(s) and mailto survive (no javascript:,
 * data:, slack:// ...). Returns undefined for anything else, and the link is dropped.
 */
export function safeHref(href: string): string | undefined {
  const h = href.trim();
  if (!/^(https?:\/\/[^\s]+|mailto:[^\s]+)$/i.test(h)) return undefined;
  try {
    return new URL(h).href;
  } catch {
    return undefined;
  }
}
