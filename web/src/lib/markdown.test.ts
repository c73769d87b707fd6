import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { Markdown, safeHref, type MarkdownOptions } from "./markdown";

const html = (text: string, options?: MarkdownOptions) => renderToStaticMarkup(createElement(Markdown, { text, options }));

describe("Markdown is never HTML", () => {
  it("shows a script tag as the text typed", () => {
    const out = html('<script>alert("x")</script> hi');
    expect(out).not.toContain("<script");
    expect(out).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; hi");
  });

  it("shows an img with onerror as text, with no attribute", () => {
    const out = html('<img src=x onerror="alert(1)"> and <a href="javascript:alert(1)">x</a>');
    expect(out).not.toMatch(/<img|<a /);
    // The only tags are the renderer's own: the onerror is text inside a paragraph.
    expect(new Set(out.match(/<\/?[a-z]+/g))).toEqual(new Set(["<p", "</p"]));
    expect(out).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
  });

  it("links only http, https and mailto, in a new tab without referrer", () => {
    const out = html("[site](https://example.com/a?b=1) [mail](mailto:a@b.c) see http://x.org/p.");
    expect(out).toContain('<a href="https://example.com/a?b=1" target="_blank" rel="noopener noreferrer">site</a>');
    expect(out).toContain('<a href="mailto:a@b.c" target="_blank" rel="noopener noreferrer">mail</a>');
    expect(out).toContain('<a href="http://x.org/p" target="_blank" rel="noopener noreferrer">http://x.org/p</a>.');
  });

  it.each([
    "[x](javascript:alert(1))",
    "[x](JavaScript:alert(1))",
    "[x](%6Aavascript:alert(1))",
    "[x](data:text/html,<script>alert(1)</script>)",
    "[x](vbscript:msgbox)",
    "[x](/relative)",
    "[x](//evil.example)",
  ])("does not link %s", (text) => {
    const out = html(text);
    expect(out).not.toContain("<a");
    expect(out).not.toContain('href="');
  });

  it("checks schemes the way a browser parses them", () => {
    expect(safeHref(" javascript:alert(1)")).toBeNull();
    expect(safeHref("java\tscript:alert(1)")).toBeNull();
    expect(safeHref("https://ok.example/")).toBe("https://ok.example/");
  });
});

describe("Markdown subset", () => {
  it("renders emphasis, code, lists, quotes and code blocks", () => {
    const out = html("**bold** *em* _em2_ `a<b`\n\n- one\n- two\n\n1. first\n\n> quoted\n\n```\n<b>raw</b>\n```");
    expect(out).toContain("<strong>bold</strong> <em>em</em> <em>em2</em> <code>a&lt;b</code>");
    expect(out).toContain("<ul><li>one</li><li>two</li></ul>");
    expect(out).toContain("<ol><li>first</li></ol>");
    expect(out).toContain("<blockquote><p>quoted</p></blockquote>");
    expect(out).toContain("<pre><code>&lt;b&gt;raw&lt;/b&gt;</code></pre>");
  });

  it("keeps line breaks inside a paragraph and splits paragraphs on blank lines", () => {
    expect(html("a\nb\n\nc")).toBe("<p>a<br/>b</p><p>c</p>");
  });

  it("shows mentions with the member's current name, and non-members as text", () => {
    const options: MarkdownOptions = {
      mentionName: (id) => (id === "u1" ? "Ada King" : undefined),
      isMention: (id) => id === "u1",
    };
    const out = html("hi @[Ada Lovelace](u1) and @[Eve](u9)", options);
    expect(out).toContain('<span class="mention" data-user-id="u1">@Ada King</span>');
    expect(out).toContain("and @Eve");
    expect(out).not.toContain('data-user-id="u9"');
  });

  it("does not treat underscores inside words or doubled as emphasis", () => {
    expect(html("snake_case_name")).toBe("<p>snake_case_name</p>");
    expect(html("a.__b=1 and c.__d=2")).toBe("<p>a.__b=1 and c.__d=2</p>");
  });
});
