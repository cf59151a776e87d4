import {
  type QuotaDenial,
  type QuotaDimensionStatus,
  describeDenial,
  describeLimit,
  formatResetTime,
  limitApplies,
} from "@wavelength/shared";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Link, useMatch, useNavigate } from "react-router";
import { UsageMeter } from "../../components/usage/usage-meter.tsx";
import { SignUpCard } from "../../components/usage/signup-card.tsx";
import { UsageWarning } from "../../components/usage/usage-warning.tsx";
import { useNow } from "../../hooks/use-now.ts";
import { useUsageTracking } from "../../hooks/use-usage-tracking.ts";
import { newIdempotencyKey } from "../../lib/ids.ts";
import { estimateTokens } from "../../lib/token-estimate.ts";
import { messageOf, quotaDenialsOf } from "../../lib/trpc-error.ts";
import { trpc } from "../../trpc.ts";
import { formatCountdown } from "../../usage-text.ts";
import { ChatInput } from "./chat-input.tsx";
import { ConversationSidebar } from "./conversation-sidebar.tsx";
import { MessageList, preloadMarkdown, type ShownMessage } from "./message-list.tsx";
import { ModelPicker } from "./model-picker.tsx";
import { useModels } from "./use-models.ts";
import { useLiveReply, type FollowedTask, type LiveReplyState } from "./use-live-reply.ts";
import { MenuIcon } from "../../components/icons.tsx";

/** A message just sent from this page: shown at once, before chat.messages has it. */
interface Sent extends FollowedTask {
  content: string;
}

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

export function ChatPage() {
  const match = useMatch("/c/:conversationId");
  const conversationId = match?.params.conversationId ?? null;
  const navigate = useNavigate();
  const utils = trpc.useUtils();
  const usage = useUsageTracking();
  const { models, selected, select } = useModels();
  const [drawerOpen, setDrawerOpen] = useState(false);
  const [sent, setSent] = useState<Sent | null>(null);
  // What went wrong with the last send, shown only in the conversation it was sent from.
  const [feedback, setFeedback] = useState<{
    conversationId: string | null;
    denials: QuotaDenial[] | null;
    error: string | null;
  } | null>(null);
  const send = trpc.chat.send.useMutation();
  const cancel = trpc.chat.cancel.useMutation();

  const messages = trpc.chat.messages.useQuery(
    { conversationId: conversationId ?? "", limit: 200 },
    { enabled: conversationId !== null },
  );
  const conversations = trpc.chat.conversations.useQuery();
  const title = conversations.data?.find((c) => c.id === conversationId)?.title ?? "New chat";

  // A reply still running in this conversation (the page was reloaded, or the user went elsewhere
  // and came back): picked up where it is, with Stop, and followed to its end.
  const running = trpc.chat.runningReply.useQuery(
    { conversationId: conversationId ?? "" },
    { enabled: conversationId !== null, staleTime: 0 },
  );
  const followed = useMemo<FollowedTask | null>(() => {
    if (sent && sent.conversationId === conversationId) return sent;
    const r = running.data;
    return r && conversationId ? { taskId: r.taskId, conversationId, messageId: r.messageId, model: r.model } : null;
  }, [sent, conversationId, running.data]);

  // A finished reply: load it as a saved message, count it, and stop following.
  const onReplyEnd = useCallback(
    (t: LiveReplyState) => {
      const id = t.task.conversationId;
      void (async () => {
        await Promise.all([
          utils.chat.messages.invalidate({ conversationId: id }),
          utils.chat.conversations.invalidate(),
          utils.chat.runningReply.invalidate({ conversationId: id }),
        ]);
        void usage.refresh();
        if (t.status === "failed") {
          setFeedback({ conversationId: id, denials: null, error: t.error ?? "The model could not answer." });
        }
        setSent((p) => (p?.taskId === t.task.taskId ? null : p));
      })();
    },
    [utils, usage],
  );
  const live = useLiveReply(followed, onReplyEnd);

  // The drawer (small screens): focus moves into it, Escape closes it and focus returns to the toggle.
  const drawerToggle = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!drawerOpen) return;
    document.querySelector<HTMLElement>("#conversation-drawer button")?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape") return;
      setDrawerOpen(false);
      drawerToggle.current?.focus();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [drawerOpen]);

  useEffect(() => {
    const id = window.setTimeout(preloadMarkdown, 300);
    return () => window.clearTimeout(id);
  }, []);

  const shownFeedback = feedback?.conversationId === conversationId ? feedback : null;
  const denials = shownFeedback?.denials ?? null;
  const sendError = shownFeedback?.error ?? null;

  const saved = useMemo<ShownMessage[]>(
    () =>
      (messages.data ?? [])
        .filter((m) => m.role === "user" || m.role === "assistant")
        .map((m) => ({
          id: m.id,
          role: m.role as "user" | "assistant",
          content: m.content,
          model: m.model,
          stopReason: m.stopReason,
        })),
    [messages.data],
  );

  const shown = useMemo<ShownMessage[]>(() => {
    if (!followed) return saved;
    const list = [...saved];
    if (sent === followed && !list.some((m) => m.id === sent.messageId)) {
      list.push({ id: sent.messageId ?? `sent-${sent.taskId}`, role: "user", content: sent.content });
    }
    // The reply as it streams, until it is a saved message.
    if (!live?.assistantMessageId || !list.some((m) => m.id === live.assistantMessageId)) {
      list.push({
        id: `pending-${followed.taskId}`,
        role: "assistant",
        content: live?.text ?? "",
        model: followed.model,
        streaming: live?.running ?? true,
      });
    }
    return list;
  }, [saved, followed, sent, live]);

  // The full limit (if any) that applies to the chosen model: sending is pointless until it resets.
  const blocking = useMemo<QuotaDimensionStatus | null>(() => {
    if (!usage.usageStatus || !selected) return null;
    const full = usage.usageStatus.quotas.filter(
      (q) => q.limit !== null && q.used >= q.limit && limitApplies(q, selected.provider, selected.model),
    );
    // Held until the last of them resets.
    return full.sort((a, b) => b.resetsAt.getTime() - a.resetsAt.getTime())[0] ?? null;
  }, [usage.usageStatus, selected]);
  const now = useNow(1000, blocking !== null);
  const timeZone = usage.usageStatus?.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  const blockedReason = blocking
    ? `Your ${lowerFirst(describeLimit(blocking))} is used up. You can send again at ${formatResetTime(
        blocking.resetsAt,
        timeZone,
        now,
      )} (in ${formatCountdown(blocking.resetsAt.getTime() - now.getTime())}).`
    : null;

  // Until the first poll answers, a followed reply counts as running: no Regenerate, Stop shown.
  const replying = followed !== null && (live?.running ?? true);

  const sendText = useCallback(
    async (text: string): Promise<boolean> => {
      const content = text.trim();
      if (!selected || content === "") return false;
      setFeedback(null);
      // Advisory: a refusal here saves a round trip, but only chat.send's admission counts.
      const history = saved.reduce((n, m) => n + m.content.length, 0);
      try {
        const check = await usage.checkQuota({
          provider: selected.provider,
          model: selected.model,
          estimatedTokens: estimateTokens(content) + Math.ceil(history / 4),
        });
        if (!check.canProceed) {
          setFeedback({ conversationId, denials: check.reasons, error: null });
          return false;
        }
      } catch {
        // The check is advisory; if it fails, let the send decide.
      }
      try {
        const r = await send.mutateAsync({
          ...(conversationId ? { conversationId } : {}),
          provider: selected.provider,
          model: selected.model,
          content,
          idempotencyKey: newIdempotencyKey(),
        });
        setSent({
          taskId: r.taskId,
          conversationId: r.conversationId,
          messageId: r.messageId,
          content,
          model: selected.model,
        });
        usage.recordSent(selected.provider, selected.model);
        void utils.chat.conversations.invalidate();
        if (r.conversationId !== conversationId) void navigate(`/c/${r.conversationId}`);
        return true;
      } catch (error) {
        const quota = quotaDenialsOf(error);
        setFeedback({ conversationId, denials: quota, error: quota ? null : messageOf(error) });
        void usage.refresh();
        return false;
      }
    },
    [selected, saved, usage, send, conversationId, utils, navigate],
  );

  const stop = () => {
    if (followed) cancel.mutate({ taskId: followed.taskId });
  };

  const lastUser = [...saved].reverse().find((m) => m.role === "user");
  const regenerate = () => {
    if (lastUser) void sendText(lastUser.content);
  };

  const notFound = messages.error?.data?.code === "NOT_FOUND";

  return (
    <div className="relative flex h-full">
      {/* Sidebar: a column from md up, a drawer below. */}
      <aside
        id="conversation-drawer"
        className={`border-line bg-surface z-40 w-72 shrink-0 border-r md:static md:block md:w-64 ${
          drawerOpen ? "fixed inset-y-0 left-0 block shadow-xl" : "hidden"
        }`}
      >
        <ConversationSidebar activeId={conversationId} onNavigate={() => setDrawerOpen(false)} />
      </aside>
      {drawerOpen && (
        <div
          className="fixed inset-0 z-30 bg-black/40 md:hidden"
          aria-hidden="true"
          onClick={() => setDrawerOpen(false)}
        />
      )}

      <main className="flex min-w-0 flex-1 flex-col">
        <div className="border-line flex items-center gap-2 border-b px-3 py-2">
          <button
            ref={drawerToggle}
            type="button"
            className="btn btn-ghost px-2 md:hidden"
            aria-controls="conversation-drawer"
            aria-expanded={drawerOpen}
            onClick={() => setDrawerOpen((v) => !v)}
          >
            <MenuIcon />
            <span className="sr-only">Conversations</span>
          </button>
          <h1 className="min-w-0 flex-1 truncate text-sm font-medium" data-testid="conversation-title">
            {title}
          </h1>
          <ModelPicker models={models} selected={selected} onSelect={select} />
        </div>

        {notFound ? (
          <div className="flex flex-1 flex-col items-center justify-center gap-2 p-6 text-center">
            <p>This conversation does not exist or belongs to someone else.</p>
            <Link to="/" className="text-accent underline">
              Start a new chat
            </Link>
          </div>
        ) : shown.length === 0 && !messages.isLoading ? (
          <div className="flex flex-1 flex-col items-center justify-center gap-2 p-6 text-center">
            <p className="text-xl font-semibold">What can I help with?</p>
            <p className="text-muted max-w-md text-sm">
              Every message counts against your limits — the meter below always shows what is left and when it resets.
            </p>
          </div>
        ) : (
          <MessageList
            messages={shown}
            onRegenerate={regenerate}
            canRegenerate={!replying && !blocking && !!lastUser}
          />
        )}

        <div className="mx-auto flex w-full max-w-3xl flex-col gap-2 px-3 pb-3 sm:px-6">
          <div className="sr-only" role="status">
            {replying ? (live?.stopping ? "Stopping…" : "Wavelength is answering…") : ""}
          </div>
          <UsageWarning />
          <SignUpCard />
          {denials && (
            <div
              role="alert"
              data-testid="send-denied"
              className="border-critical bg-critical-bg rounded-lg border px-3 py-2 text-sm"
            >
              <p className="font-semibold">Not sent.</p>
              <ul>
                {denials.map((d) => (
                  <li key={`${d.window}:${d.scope}:${d.provider}:${d.model}:${d.dimension}`}>
                    {describeDenial(d, timeZone)}
                  </li>
                ))}
              </ul>
            </div>
          )}
          {sendError && (
            <p role="alert" className="text-critical text-sm">
              {sendError}
            </p>
          )}
          <ChatInput
            onSend={sendText}
            onStop={stop}
            running={replying}
            busy={send.isPending}
            blockedReason={blockedReason}
          />
          <UsageMeter />
        </div>
      </main>
    </div>
  );
}
