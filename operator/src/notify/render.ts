// Renders a parsed template with values into one output dialect: Slack mrkdwn, HTML (mail),
// plain text (mail, PagerDuty summaries) or CommonMark (webhooks). The template's markup
// comes from the tree; every value goes through the dialect's escaping for where it lands.
import {
  backtickFence, htmlEscape, markdownEscape, oneLine, safeHref, slackEntities, slackLiteral, slackValue,
} from './escape.ts';
import type { Block, Inline, ParsedTemplate, Piece } from './markdown.ts';

export type Dialect = 'slack' | 'html' | 'text' | 'markdown';
export const DIALECTS: readonly Dialect[] = ['slack', 'html', 'text', 'markdown'];

/** Raw (untrusted) value of a placeholder; the renderer escapes it. */
export type Values = (path: string) => string;

interface Writer {
  literal(text: string, code: boolean): string;
  value(value: string, code: boolean): string;
  br: string;
  strong(x: string): string;
  em(x: string): string;
  strike(x: string): string;
  code(x: string): string;
  link(href: string | undefined, label: string): string;
  paragraph(x: string): string;
  heading(level: number, x: string): string;
  list(ordered: boolean, start: number, items: readonly string[]): string;
  quote(x: string): string;
  pre(x: string): string;
  hr: string;
  blockSeparator: string;
}

const prefixLines = (x: string, prefix: string) => x.split('\n').map((l) => (l ? prefix + l : prefix.trimEnd())).join('\n');
const listItems = (ordered: boolean, start: number, items: readonly string[], bullet: string) =>
  items.map((it, n) => `${ordered ? `${start + n}.` : bullet} ${it}`).join('\n');

const slack: Writer = {
  literal: slackLiteral,
  value: slackValue,
  br: '\n',
  strong: (x) => `*${x}*`,
  em: (x) => `_${x}_`,
  strike: (x) => `~${x}~`,
  code: (x) => `\`${x}\``,
  // Inside <url|label> a raw | or > in the URL would end it early.
  link: (href, label) => (href ? `<${slackEntities(href).replace(/\|/g, '%7C')}|${label}>` : label),
  paragraph: (x) => x,
  heading: (_level, x) => `*${x}*`,
  list: (ordered, start, items) => listItems(ordered, start, items, '•'),
  quote: (x) => prefixLines(x, '> '),
  pre: (x) => `\`\`\`\n${x}\n\`\`\``,
  hr: '\u2500'.repeat(24),
  blockSeparator: '\n\n',
};

const html: Writer = {
  literal: (t) => htmlEscape(t),
  value: (v) => htmlEscape(oneLine(v)),
  br: '<br>\n',
  strong: (x) => `<strong>${x}</strong>`,
  em: (x) => `<em>${x}</em>`,
  strike: (x) => `<del>${x}</del>`,
  code: (x) => `<code>${x}</code>`,
  link: (href, label) => (href ? `<a href="${htmlEscape(href)}">${label}</a>` : label),
  paragraph: (x) => `<p>${x}</p>`,
  heading: (level, x) => `<h${level}>${x}</h${level}>`,
  list: (ordered, start, items) => {
    const lis = items.map((it) => `<li>${it}</li>`).join('\n');
    return ordered ? `<ol${start === 1 ? '' : ` start="${start}"`}>\n${lis}\n</ol>` : `<ul>\n${lis}\n</ul>`;
  },
  quote: (x) => `<blockquote>\n${x}\n</blockquote>`,
  pre: (x) => `<pre><code>${x}</code></pre>`,
  hr: '<hr>',
  blockSeparator: '\n',
};

const text: Writer = {
  literal: (t) => t,
  value: (v) => oneLine(v),
  br: '\n',
  strong: (x) => x,
  em: (x) => x,
  strike: (x) => x,
  code: (x) => x,
  link: (href, label) => (href && href !== label ? `${label} (${href})` : label),
  paragraph: (x) => x,
  heading: (_level, x) => x,
  list: (ordered, start, items) => listItems(ordered, start, items, '-'),
  quote: (x) => prefixLines(x, '> '),
  pre: (x) => prefixLines(x, '    '),
  hr: '-'.repeat(24),
  blockSeparator: '\n\n',
};

const markdown: Writer = {
  literal: (t, code) => (code ? t : markdownEscape(t)),
  value: (v, code) => (code ? oneLine(v) : markdownEscape(oneLine(v))),
  br: '\\\n',
  strong: (x) => `**${x}**`,
  em: (x) => `*${x}*`,
  strike: (x) => `~~${x}~~`,
  code: (x) => {
    const fence = backtickFence(x, 1);
    const pad = x.startsWith('`') || x.endsWith('`') ? ' ' : '';
    return `${fence}${pad}${x}${pad}${fence}`;
  },
  link: (href, label) => (href ? `[${label}](<${href.replace(/[<>\s]/g, encodeURIComponent)}>)` : label),
  paragraph: (x) => x,
  heading: (level, x) => `${'#'.repeat(level)} ${x}`,
  list: (ordered, start, items) => listItems(ordered, start, items, '-'),
  quote: (x) => prefixLines(x, '> '),
  pre: (x) => {
    const fence = backtickFence(x, 3);
    return `${fence}\n${x}\n${fence}`;
  },
  hr: '---',
  blockSeparator: '\n\n',
};

const WRITERS: Record<Dialect, Writer> = { slack, html, text, markdown };

export function render(template: ParsedTemplate, dialect: Dialect, values: Values): string {
  const w = WRITERS[dialect];
  const piecesOut = (ps: readonly Piece[], code: boolean) =>
    ps.map((p) => (p.t === 'text' ? w.literal(p.v, code) : w.value(values(p.path), code))).join('');
  const inlines = (xs: readonly Inline[]): string => xs.map((x) => {
    switch (x.t) {
      case 'text': return w.literal(x.v, false);
      case 'var': return w.value(values(x.path), false);
      case 'br': return w.br;
      case 'strong': return w.strong(inlines(x.c));
      case 'em': return w.em(inlines(x.c));
      case 'strike': return w.strike(inlines(x.c));
      case 'code': {
        const body = piecesOut(x.c, true);
        return body === '' ? '' : w.code(body);
      }
      case 'link': return w.link(linkTarget(x.href, values), inlines(x.c));
    }
  }).join('');
  const blocks = (bs: readonly Block[]): string => bs.map((b) => {
    switch (b.t) {
      case 'p': return w.paragraph(inlines(b.c));
      case 'heading': return w.heading(b.level, inlines(b.c));
      case 'list': return w.list(b.ordered, b.start, b.items.map(inlines));
      case 'quote': return w.quote(blocks(b.c));
      case 'pre': return w.pre(piecesOut(b.c, true));
      case 'hr': return w.hr;
    }
  }).filter((s) => s !== '').join(w.blockSeparator);
  return blocks(template.blocks);
}

/**
 * A link target: a placeholder at the start supplies the origin and is used as is (then
 * checked); placeholders later in the URL are percent-encoded so they stay one component.
 */
function linkTarget(href: readonly Piece[], values: Values): string | undefined {
  const url = href.map((p, n) => {
    if (p.t === 'text') return p.v;
    const v = values(p.path);
    return n === 0 ? v : encodeURIComponent(v);
  }).join('');
  return safeHref(url);
}
