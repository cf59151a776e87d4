import { MAX_MESSAGE_CHARS } from "@wavelength/shared";
import { useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";

/**
 * The composer: Enter sends, Shift+Enter adds a line; while a reply streams the button stops it.
 * When a limit blocks sending, the field is disabled and says why and when it opens again.
 */
export function ChatInput({
  onSend,
  onStop,
  running,
  blockedReason,
  busy,
}: {
  /** Resolves true when the message was accepted (the field is cleared), false to keep the text. */
  onSend: (text: string) => Promise<boolean>;
  onStop: () => void;
  running: boolean;
  blockedReason: string | null;
  busy: boolean;
}) {
  const [text, setText] = useState("");
  const ref = useRef<HTMLTextAreaElement>(null);
  const reasonId = useId();
  const blocked = blockedReason !== null;
  const canSend = !blocked && !running && !busy && text.trim().length > 0;

  const submit = async (e?: FormEvent) => {
    e?.preventDefault();
    if (!canSend) return;
    const sent = await onSend(text);
    if (sent) setText("");
    ref.current?.focus();
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    // isComposing: Enter that confirms an IME candidate must not send.
    if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void submit();
    }
  };

  return (
    <form onSubmit={(e) => void submit(e)} className="flex flex-col gap-1">
      <div className="border-line bg-surface focus-within:border-accent flex items-end gap-2 rounded-xl border p-2 shadow-sm">
        <label htmlFor={`${reasonId}-input`} className="sr-only">
          Message
        </label>
        <textarea
          id={`${reasonId}-input`}
          ref={ref}
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={onKeyDown}
          rows={Math.min(8, Math.max(1, text.split("\n").length))}
          maxLength={MAX_MESSAGE_CHARS}
          disabled={blocked}
          aria-describedby={blocked ? reasonId : undefined}
          placeholder={blocked ? "Sending is paused until your limit resets" : "Message Wavelength…"}
          className="placeholder:text-muted max-h-60 min-h-[2.25rem] flex-1 resize-none bg-transparent px-2 py-1.5 text-sm outline-none disabled:cursor-not-allowed"
        />
        {running ? (
          <button type="button" className="btn" onClick={onStop}>
            Stop
          </button>
        ) : (
          <button type="submit" className="btn btn-primary" disabled={!canSend}>
            Send
          </button>
        )}
      </div>
      {blocked ? (
        <p id={reasonId} className="text-critical text-xs" data-testid="composer-blocked">
          {blockedReason}
        </p>
      ) : (
        <p className="text-muted hidden text-xs sm:block">
          Enter to send · Shift+Enter for a new line · token counts here are estimates; the server&apos;s count is what
          is charged
        </p>
      )}
    </form>
  );
}
