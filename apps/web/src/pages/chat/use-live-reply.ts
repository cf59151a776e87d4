import { useEffect, useMemo, useRef } from "react";
import { trpc } from "../../trpc.ts";

const POLL_MS = 300;
export const isRunning = (status: string) => status === "running" || status === "queued";

/** A reply this page is following: one it just sent, or one it found running on opening a conversation. */
export interface FollowedTask {
  taskId: string;
  conversationId: string;
  /** The user's message it answers. */
  messageId: string | null;
  model: string;
}

export interface LiveReplyState {
  task: FollowedTask;
  /** The reply so far, appended from the deltas of every poll. */
  text: string;
  status: string;
  running: boolean;
  /** Stop was pressed (here, or in another tab) and the reply has not ended yet. */
  stopping: boolean;
  error: string | null;
  assistantMessageId: string | null;
}

/**
 * Follows a running reply: chat.task as an infinite query whose pages are the deltas after each
 * cursor, fetched every 300 ms while the reply runs and appended, so a client reads each part of
 * the reply once. A reload or a return to the conversation starts again from cursor 0 (one page
 * with everything so far) and goes on from there. `onEnd` (a stable callback) runs once when the
 * reply ends.
 */
export function useLiveReply(task: FollowedTask | null, onEnd: (reply: LiveReplyState) => void): LiveReplyState | null {
  const stream = trpc.chat.task.useInfiniteQuery(
    { taskId: task?.taskId ?? "none" },
    {
      enabled: task !== null,
      initialCursor: 0,
      getNextPageParam: (last) => (isRunning(last.status) ? last.cursor : undefined),
      // Pages are deltas: refetching them all would read the whole reply again for nothing.
      staleTime: Number.POSITIVE_INFINITY,
      refetchOnWindowFocus: false,
      refetchOnReconnect: false,
    },
  );
  const pages = stream.data?.pages;
  const last = pages?.at(-1);
  const { fetchNextPage, isFetchingNextPage, errorUpdatedAt } = stream;

  useEffect(() => {
    if (!task || !last || !isRunning(last.status) || isFetchingNextPage) return;
    const id = window.setTimeout(() => void fetchNextPage(), POLL_MS);
    return () => window.clearTimeout(id);
    // errorUpdatedAt: a failed poll (network blip) schedules the next one too.
  }, [task, last, isFetchingNextPage, fetchNextPage, errorUpdatedAt]);

  const state = useMemo<LiveReplyState | null>(() => {
    // The query's key holds the task id: these pages are this task's.
    if (!task || !pages || !last) return null;
    return {
      task,
      text: pages.map((p) => p.text).join(""),
      status: last.status,
      running: isRunning(last.status),
      // A running poll carries only its text and whether a Stop is on its way; the last one, the outcome.
      stopping: "stopping" in last && last.stopping,
      error: "error" in last ? last.error : null,
      assistantMessageId: "assistantMessageId" in last ? last.assistantMessageId : null,
    };
  }, [task, pages, last]);

  const ended = useRef<string | null>(null);
  useEffect(() => {
    if (!state || state.running || ended.current === state.task.taskId) return;
    ended.current = state.task.taskId;
    onEnd(state);
  }, [state, onEnd]);

  return state;
}
