import { lazy, Suspense, useEffect, useRef } from "react";
import { RefreshIcon } from "../../components/icons.tsx";

// marked + DOMPurify (~20 KB gzip) arrive just after the page; until then a reply shows as plain text.
const loadMarkdown = () => import("./markdown.tsx");
const Markdown = lazy(loadMarkdown);

/** Starts fetching the markdown renderer early, while the browser is idle. */
export function preloadMarkdown(): void {
  void loadMarkdown();
}

export interface ShownMessage {
  id: string;
  role: "user" | "assistant";
  content: string;
  model?: string | null;
  streaming?: boolean;
  /** Why a saved reply ended early: "stopped", "timeout", "failed" (see the server's settle-reply). */
  stopReason?: string | null;
}

const STOP_NOTES: Record<string, string> = {
  stopped: "Stopped",
  timeout: "Cut off: the model stopped responding",
  failed: "Cut off: the reply failed midway",
};

/** The conversation, newest at the bottom; follows a growing reply unless the reader scrolled up. */
export function MessageList({
  messages,
  onRegenerate,
  canRegenerate,
}: {
  messages: ShownMessage[];
  onRegenerate: () => void;
  canRegenerate: boolean;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const pinned = useRef(true);
  const last = messages.at(-1);

  useEffect(() => {
    const el = scroller.current;
    if (el && pinned.current) el.scrollTop = el.scrollHeight;
  }, [messages.length, last?.content]);

  // Banners and cards appearing under the list shrink it; stay at the bottom if the reader was there.
  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const observer = new ResizeObserver(() => {
      if (pinned.current) el.scrollTop = el.scrollHeight;
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  return (
    <div
      ref={scroller}
      className="min-h-0 flex-1 overflow-y-auto"
      onScroll={(e) => {
        const el = e.currentTarget;
        pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
      }}
    >
      <ol aria-label="Messages" className="mx-auto flex max-w-3xl flex-col gap-5 px-3 py-6 sm:px-6">
        {messages.map((m) => (
          <li
            key={m.id}
            data-role={m.role}
            aria-busy={m.streaming ? true : undefined}
            className={m.role === "user" ? "flex justify-end" : "flex flex-col gap-1"}
          >
            {m.role === "user" ? (
              <div className="bg-surface-3 max-w-[85%] rounded-2xl px-4 py-2 text-sm whitespace-pre-wrap">
                <span className="sr-only">You: </span>
                {m.content}
              </div>
            ) : (
              <div className="text-sm">
                <span className="sr-only">Wavelength{m.model ? ` (${m.model})` : ""}: </span>
                {m.content === "" && m.streaming ? (
                  <span className="text-muted animate-pulse">Thinking…</span>
                ) : (
                  <Suspense fallback={<p className="whitespace-pre-wrap">{m.content}</p>}>
                    <Markdown text={m.content} />
                  </Suspense>
                )}
                {m.stopReason && (
                  <p className="text-muted mt-1 text-xs italic" data-testid="reply-stopped">
                    {STOP_NOTES[m.stopReason] ?? "Cut off"}
                  </p>
                )}
              </div>
            )}
          </li>
        ))}
      </ol>
      {last && canRegenerate && (
        <div className="mx-auto -mt-3 max-w-3xl px-3 pb-4 sm:px-6">
          <button type="button" className="btn btn-ghost text-muted px-2 py-1 text-xs" onClick={onRegenerate}>
            <RefreshIcon width={14} height={14} /> Regenerate
          </button>
        </div>
      )}
    </div>
  );
}
