import DOMPurify from "dompurify";
import { Marked } from "marked";
import { useEffect, useMemo, useState, type MouseEvent } from "react";

type Highlighter = (code: string, lang: string) => string | null;

let highlighter: Highlighter | null = null;
let loading: Promise<Highlighter> | null = null;

function loadHighlighter(): Promise<Highlighter> {
  loading ??= import("./highlight.ts").then((m) => (highlighter = m.highlight));
  return loading;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function createMarked(hl: Highlighter | null): Marked {
  return new Marked({
    gfm: true,
    breaks: true,
    renderer: {
      code({ text, lang }) {
        const language = (lang ?? "").trim().split(/\s+/)[0]?.toLowerCase() ?? "";
        const body = (hl && highlight(hl, text, language)) ?? escapeHtml(text);
        const label = language ? escapeHtml(language) : "code";
        return (
          `<div class="code-block"><div class="code-head"><span>${label}</span>` +
          `<button type="button" data-copy aria-label="Copy ${label} code">Copy</button></div>` +
          `<pre><code class="hljs${language ? ` language-${label}` : ""}">${body}</code></pre></div>`
        );
      },
    },
  });
}

function highlight(hl: Highlighter, text: string, language: string): string | null {
  try {
    return hl(text, language);
  } catch {
    return null;
  }
}

/** Markdown from a model, rendered to sanitised HTML, with highlighted code and a copy button. */
export default function Markdown({ text }: { text: string }) {
  const hasCode = text.includes("```");
  const [hl, setHl] = useState<Highlighter | null>(() => highlighter);

  useEffect(() => {
    if (!hasCode || hl) return;
    let live = true;
    void loadHighlighter().then((h) => live && setHl(() => h));
    return () => {
      live = false;
    };
  }, [hasCode, hl]);

  const marked = useMemo(() => createMarked(hl), [hl]);
  const html = useMemo(() => {
    const raw = marked.parse(text, { async: false });
    return DOMPurify.sanitize(raw, { ADD_ATTR: ["data-copy"] });
  }, [marked, text]);

  const onClick = (e: MouseEvent<HTMLDivElement>) => {
    const button = (e.target as HTMLElement).closest<HTMLButtonElement>("button[data-copy]");
    const code = button?.closest(".code-block")?.querySelector("code")?.textContent;
    if (!button || code == null) return;
    const done = (label: string) => {
      button.textContent = label;
      window.setTimeout(() => (button.textContent = "Copy"), 1500);
    };
    if (!navigator.clipboard) return done("Copy failed");
    navigator.clipboard.writeText(code).then(
      () => done("Copied"),
      () => done("Copy failed"),
    );
  };

  // The HTML is sanitised by DOMPurify above; clicks are delegated for the copy buttons.
  return <div className="prose-chat" onClick={onClick} dangerouslySetInnerHTML={{ __html: html }} />;
}
