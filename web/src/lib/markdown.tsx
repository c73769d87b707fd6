// Comment text (Markdown) as React elements, never as HTML: every piece of the text ends up as a
// React text node or in an element this file builds, so a `<script>`, an `onerror=` or an
// `<img>` in a comment is shown as the characters typed. Links get only http(s) and mailto
// targets, open in a new tab and tell the target nothing of this page.
//
// The subset: paragraphs and line breaks, **strong**, *emphasis* (or _emphasis_), `code`, fenced
// code blocks, `-`/`*` and `1.` lists, `> quotes`, [links](https://…), bare http(s) URLs, and
// mentions `@[label](userId)` (docs/api.md, "Comments").
import { Fragment, type ReactNode } from "react";

export interface MarkdownOptions {
  /** The current name of a mentioned user; undefined shows the token's label instead. */
  mentionName?(userId: string): string | undefined;
  /** Whether `userId` counts as a mention (a board member); others render as plain text. */
  isMention?(userId: string): boolean;
}

const SAFE_SCHEMES = new Set(["http:", "https:", "mailto:"]);

/** The URL if it is absolute and http, https or mailto; null otherwise (javascript:, data:,
 * relative paths, anything unparsable). */
export function safeHref(raw: string): string | null {
  const text = raw.trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  return SAFE_SCHEMES.has(url.protocol) ? url.href : null;
}

// One alternative per inline construct, tried left to right at each position.
const INLINE = new RegExp(
  [
    "(`+)([^`][\\s\\S]*?)\\1(?!`)", // 1, 2: code span
    "@\\[([^\\]\\n]{1,100})\\]\\(([A-Za-z0-9_-]{1,128})\\)", // 3, 4: mention
    "\\[([^\\]\\n]+)\\]\\(([^()\\s]+)\\)", // 5, 6: link
    "(https?:\\/\\/[^\\s<>]*[^\\s<>.,;:!?'\")\\]])", // 7: bare URL
    "\\*\\*(?=\\S)([\\s\\S]*?\\S)\\*\\*", // 8: strong
    "\\*(?=[^\\s*])([^*]*?[^\\s*])\\*", // 9: emphasis
    "(?<![A-Za-z0-9_])_(?=[^\\s_])([^_]*?[^\\s_])_(?![A-Za-z0-9_])", // 10: emphasis
  ].join("|"),
  "g",
);

function withBreaks(text: string, key: string): ReactNode[] {
  const lines = text.split("\n");
  return lines.flatMap((line, i) => (i === 0 ? [line] : [<br key={`${key}b${i}`} />, line])).filter((part) => part !== "");
}

function link(href: string, children: ReactNode, key: string): ReactNode {
  return (
    <a key={key} href={href} target="_blank" rel="noopener noreferrer">
      {children}
    </a>
  );
}

function inline(text: string, options: MarkdownOptions, key: string): ReactNode[] {
  const nodes: ReactNode[] = [];
  let last = 0;
  let n = 0;
  for (const match of text.matchAll(INLINE)) {
    const at = match.index;
    if (at > last) nodes.push(...withBreaks(text.slice(last, at), `${key}t${n}`));
    last = at + match[0].length;
    const k = `${key}i${n++}`;
    const [whole, , code, label, userId, linkText, linkUrl, bare, strong, em, em2] = match;
    if (code !== undefined) {
      nodes.push(<code key={k}>{code.replace(/^ (.*) $/s, "$1")}</code>);
    } else if (label !== undefined && userId !== undefined) {
      if (options.isMention && !options.isMention(userId)) nodes.push(`@${label}`);
      else
        nodes.push(
          <span key={k} className="mention" data-user-id={userId}>
            @{options.mentionName?.(userId) ?? label}
          </span>,
        );
    } else if (linkText !== undefined && linkUrl !== undefined) {
      const href = safeHref(linkUrl);
      nodes.push(href ? link(href, inline(linkText, { ...options, isMention: () => false }, k), k) : whole);
    } else if (bare !== undefined) {
      const href = safeHref(bare);
      nodes.push(href ? link(href, bare, k) : bare);
    } else if (strong !== undefined) {
      nodes.push(<strong key={k}>{inline(strong, options, k)}</strong>);
    } else if ((em ?? em2) !== undefined) {
      nodes.push(<em key={k}>{inline(em ?? em2 ?? "", options, k)}</em>);
    }
  }
  if (last < text.length) nodes.push(...withBreaks(text.slice(last), `${key}t${n}`));
  return nodes;
}

type Block =
  | { kind: "p"; text: string }
  | { kind: "code"; text: string }
  | { kind: "quote"; text: string }
  | { kind: "ul" | "ol"; items: string[] };

const FENCE = /^\s*```/;
const QUOTE = /^\s*>\s?/;
const BULLET = /^\s*[-*+]\s+/;
const NUMBERED = /^\s*\d{1,9}[.)]\s+/;

function startsBlock(line: string): boolean {
  return FENCE.test(line) || QUOTE.test(line) || BULLET.test(line) || NUMBERED.test(line);
}

function parseBlocks(source: string): Block[] {
  const lines = source.replace(/\r\n?/g, "\n").split("\n");
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] ?? "";
    if (line.trim() === "") {
      i++;
    } else if (FENCE.test(line)) {
      const body: string[] = [];
      i++;
      while (i < lines.length && !FENCE.test(lines[i] ?? "")) body.push(lines[i++] ?? "");
      i++; // the closing fence (or the end)
      blocks.push({ kind: "code", text: body.join("\n") });
    } else if (QUOTE.test(line)) {
      const body: string[] = [];
      while (i < lines.length && QUOTE.test(lines[i] ?? "")) body.push((lines[i++] ?? "").replace(QUOTE, ""));
      blocks.push({ kind: "quote", text: body.join("\n") });
    } else if (BULLET.test(line) || NUMBERED.test(line)) {
      const marker = BULLET.test(line) ? BULLET : NUMBERED;
      const items: string[] = [];
      while (i < lines.length && marker.test(lines[i] ?? "")) items.push((lines[i++] ?? "").replace(marker, ""));
      blocks.push({ kind: marker === BULLET ? "ul" : "ol", items });
    } else {
      const body: string[] = [];
      while (i < lines.length && (lines[i] ?? "").trim() !== "" && (body.length === 0 || !startsBlock(lines[i] ?? ""))) body.push(lines[i++] ?? "");
      blocks.push({ kind: "p", text: body.join("\n") });
    }
  }
  return blocks;
}

function renderBlocks(source: string, options: MarkdownOptions, depth: number, key: string): ReactNode[] {
  return parseBlocks(source).map((block, index) => {
    const k = `${key}${index}`;
    switch (block.kind) {
      case "code":
        return (
          <pre key={k}>
            <code>{block.text}</code>
          </pre>
        );
      case "quote":
        // Quotes nest at most a few levels deep: a long run of ">" is shown as text below that.
        return depth < 4 ? <blockquote key={k}>{renderBlocks(block.text, options, depth + 1, `${k}q`)}</blockquote> : <p key={k}>{inline(block.text, options, k)}</p>;
      case "ul":
      case "ol": {
        const List = block.kind;
        return (
          <List key={k}>
            {block.items.map((item, i) => (
              <li key={i}>{inline(item, options, `${k}l${i}`)}</li>
            ))}
          </List>
        );
      }
      case "p":
        return <p key={k}>{inline(block.text, options, k)}</p>;
    }
  });
}

/** The comment's text as React elements (see the top of this file for what is rendered). */
export function Markdown({ text, options = {} }: { text: string; options?: MarkdownOptions }) {
  return <Fragment>{renderBlocks(text, options, 0, "m")}</Fragment>;
}

