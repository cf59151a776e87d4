// OpenAI's Chat Completions response shapes: the JSON completion and the SSE chunks of a stream.
import type { CompletionUsage, StoredCompletion } from "./idempotency.ts";

/** The AI SDK's unified finish reason as OpenAI spells it. */
export function openAIFinishReason(reason: string): string {
  switch (reason) {
    case "length":
      return "length";
    case "content-filter":
      return "content_filter";
    case "tool-calls":
      return "tool_calls";
    default:
      return "stop";
  }
}

export function completionBody(c: StoredCompletion) {
  return {
    id: c.id,
    object: "chat.completion",
    created: c.created,
    model: c.model,
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: c.content, refusal: null },
        logprobs: null,
        finish_reason: c.finishReason,
      },
    ],
    usage: c.usage,
  };
}

/** One SSE event. */
export const sse = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;
export const SSE_DONE = "data: [DONE]\n\n";

/**
 * Builds a stream's chunks. With stream_options.include_usage every chunk carries `usage: null`
 * and a last chunk with no choices carries the usage, as OpenAI does.
 */
export class ChunkWriter {
  constructor(
    private readonly head: { id: string; created: number; model: string },
    private readonly includeUsage: boolean,
  ) {}

  private chunk(choices: unknown[], usage?: CompletionUsage) {
    return sse({
      id: this.head.id,
      object: "chat.completion.chunk",
      created: this.head.created,
      model: this.head.model,
      choices,
      ...(this.includeUsage ? { usage: usage ?? null } : {}),
    });
  }

  role(): string {
    return this.chunk([{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }]);
  }

  text(delta: string): string {
    return this.chunk([{ index: 0, delta: { content: delta }, logprobs: null, finish_reason: null }]);
  }

  finish(reason: string): string {
    return this.chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: reason }]);
  }

  /** Only when the client asked for it (include_usage). */
  usage(usage: CompletionUsage): string {
    return this.includeUsage ? this.chunk([], usage) : "";
  }
}

/** A failure after the stream started: OpenAI's SDKs raise an APIError on an `error` event. */
export function streamError(message: string): string {
  return sse({ error: { message, type: "server_error", param: null, code: "provider_error" } });
}
