import { useEffect, useRef, useState, type KeyboardEvent } from "react";
import { NavLink, useNavigate } from "react-router";
import { useNow } from "../../hooks/use-now.ts";
import { groupByDate } from "../../lib/conversation-groups.ts";
import { messageOf } from "../../lib/trpc-error.ts";
import { trpc } from "../../trpc.ts";
import { PencilIcon, PlusIcon, TrashIcon } from "../../components/icons.tsx";

interface Conversation {
  id: string;
  title: string;
  updatedAt: Date;
}

/** Conversations grouped by date (Today, Yesterday, Previous 7 days, Older), with new, rename, delete. */
export function ConversationSidebar({
  activeId,
  onNavigate,
}: {
  activeId: string | null;
  /** Called after a link is followed (closes the drawer on small screens). */
  onNavigate: () => void;
}) {
  const conversations = trpc.chat.conversations.useQuery();
  const now = useNow(60_000);
  const navigate = useNavigate();
  const groups = groupByDate(conversations.data ?? [], now);

  return (
    <nav aria-label="Conversations" className="flex h-full flex-col">
      <div className="p-3">
        <button
          type="button"
          className="btn w-full justify-start"
          onClick={() => {
            void navigate("/");
            onNavigate();
          }}
        >
          <PlusIcon /> New chat
        </button>
      </div>
      <div className="min-h-0 flex-1 overflow-y-auto px-2 pb-3">
        {conversations.isLoading && <p className="text-muted px-2 text-sm">Loading…</p>}
        {conversations.error && (
          <p role="alert" className="text-critical px-2 text-sm">
            Could not load conversations.
          </p>
        )}
        {conversations.data?.length === 0 && <p className="text-muted px-2 text-sm">No conversations yet.</p>}
        {groups.map(({ group, items }) => (
          <section key={group} aria-label={group} className="mb-3">
            <h2 className="text-muted px-2 pb-1 text-xs font-semibold">{group}</h2>
            <ul className="flex flex-col gap-0.5">
              {items.map((c) => (
                <ConversationRow key={c.id} conversation={c} active={c.id === activeId} onNavigate={onNavigate} />
              ))}
            </ul>
          </section>
        ))}
      </div>
    </nav>
  );
}

function ConversationRow({
  conversation: c,
  active,
  onNavigate,
}: {
  conversation: Conversation;
  active: boolean;
  onNavigate: () => void;
}) {
  const utils = trpc.useUtils();
  const navigate = useNavigate();
  const [mode, setMode] = useState<"view" | "rename" | "confirm-delete">("view");
  const [error, setError] = useState<string | null>(null);
  const rename = trpc.chat.rename.useMutation({
    onSuccess: () => utils.chat.conversations.invalidate(),
  });
  const remove = trpc.chat.delete.useMutation({
    onSuccess: async () => {
      await utils.chat.conversations.invalidate();
      if (active) void navigate("/");
    },
  });
  const input = useRef<HTMLInputElement>(null);
  const deleteButton = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (mode === "rename") input.current?.select();
    if (mode === "confirm-delete") deleteButton.current?.focus();
  }, [mode]);

  const saveTitle = () => {
    const title = input.current?.value.trim() ?? "";
    setMode("view");
    if (title && title !== c.title) {
      rename.mutate({ conversationId: c.id, title }, { onError: (e) => setError(`Rename failed: ${messageOf(e)}`) });
    }
  };

  const onRenameKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === "Enter") {
      e.preventDefault();
      saveTitle();
    } else if (e.key === "Escape") {
      e.preventDefault();
      setMode("view");
    }
  };

  if (mode === "rename") {
    return (
      <li className="px-1">
        <label htmlFor={`rename-${c.id}`} className="sr-only">
          New title
        </label>
        <input
          id={`rename-${c.id}`}
          ref={input}
          defaultValue={rename.variables?.title ?? c.title}
          maxLength={120}
          onKeyDown={onRenameKey}
          onBlur={saveTitle}
          className="field py-1"
        />
      </li>
    );
  }

  const title = rename.isPending ? (rename.variables?.title ?? c.title) : c.title;
  return (
    <li className="group">
      <div
        className={`flex items-center rounded-md ${active ? "bg-surface-3" : "hover:bg-surface-2 focus-within:bg-surface-2"}`}
      >
        <NavLink
          to={`/c/${c.id}`}
          onClick={onNavigate}
          aria-current={active ? "page" : undefined}
          className="min-w-0 flex-1 truncate px-2 py-1.5 text-sm"
          title={title}
        >
          {title}
        </NavLink>
        {mode === "view" && (
          <span className="flex shrink-0 opacity-100 sm:opacity-0 sm:group-focus-within:opacity-100 sm:group-hover:opacity-100">
            <button
              type="button"
              className="text-muted hover:text-ink rounded px-1.5 py-1 text-xs"
              aria-label={`Rename “${title}”`}
              onClick={() => setMode("rename")}
            >
              <PencilIcon width={14} height={14} />
            </button>
            <button
              type="button"
              className="text-muted hover:text-critical rounded px-1.5 py-1 text-xs"
              aria-label={`Delete “${title}”`}
              onClick={() => setMode("confirm-delete")}
            >
              <TrashIcon width={14} height={14} />
            </button>
          </span>
        )}
      </div>
      {mode === "confirm-delete" && (
        <div role="group" aria-label={`Delete “${title}”?`} className="flex items-center gap-1 px-2 py-1 text-xs">
          <span className="flex-1">Delete this conversation?</span>
          <button
            ref={deleteButton}
            type="button"
            className="btn border-critical text-critical px-2 py-0.5 text-xs"
            disabled={remove.isPending}
            onClick={() =>
              remove.mutate(
                { conversationId: c.id },
                {
                  onError: (e) => {
                    setError(`Delete failed: ${messageOf(e)}`);
                    setMode("view");
                  },
                },
              )
            }
          >
            Delete
          </button>
          <button type="button" className="btn px-2 py-0.5 text-xs" onClick={() => setMode("view")}>
            Cancel
          </button>
        </div>
      )}
      {error && (
        <p role="alert" className="text-critical px-2 text-xs">
          {error}
        </p>
      )}
    </li>
  );
}
