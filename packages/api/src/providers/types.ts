export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface ModelInfo {
  provider: string;
  model: string;
  label: string;
  contextWindow: number;
  maxOutputTokens: number;
  /** The built-in offline model: free, deterministic, no provider account behind it. */
  demo: boolean;
}

export interface ProviderUsage {
  /** All prompt tokens, cached ones included. */
  inputTokens: number;
  outputTokens: number;
  /** The part of inputTokens served from the provider's prompt cache (billed at the cached rate). */
  cachedInputTokens: number;
}

export interface StreamRequest {
  provider: string;
  model: string;
  messages: ChatMessage[];
  maxOutputTokens: number;
  /** Sampling temperature as the caller asked (OpenAI-compatible requests); the provider's default when absent. */
  temperature?: number;
  abortSignal: AbortSignal;
}

export type StreamEvent =
  | { type: "text"; delta: string }
  | {
      type: "finish";
      /** null when the provider reported no usage: the caller counts the text with the tokenizer. */
      usage: ProviderUsage | null;
      /** The AI SDK's unified reason: "stop" | "length" | "content-filter" | "tool-calls" | "error" | "other". */
      finishReason: string;
    };

/**
 * A provider call failed. The message is safe to show or log (no keys, no response bodies);
 * `cause` keeps the original error for server logs only.
 */
export class ProviderError extends Error {
  /** A later, separate attempt may succeed (rate limit, 5xx, dropped connection). Never retried here. */
  readonly retryable: boolean;
  /** The HTTP status the provider answered with, when it answered. */
  readonly statusCode: number | undefined;

  constructor(message: string, options: { cause?: unknown; retryable?: boolean; statusCode?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ProviderError";
    this.retryable = options.retryable ?? false;
    this.statusCode = options.statusCode;
  }
}

export function isProviderError(error: unknown): error is ProviderError {
  return error instanceof ProviderError;
}

export interface OpenAICompatibleConfig {
  /** Provider id, e.g. "ollama": lower-case letters, digits, ".", "_" or "-". */
  name: string;
  baseURL: string;
  apiKey?: string;
  models: string[];
  /** Applies to every listed model; defaults are conservative (8192 and 2048). */
  contextWindow?: number;
  maxOutputTokens?: number;
  /** Shown in the model picker before the model id; defaults to the provider id. */
  label?: string;
}

export interface ProviderConfig {
  openai?: { apiKey: string; baseURL?: string; models?: string[] };
  anthropic?: { apiKey: string; baseURL?: string; models?: string[] };
  openaiCompatible?: OpenAICompatibleConfig;
  /** The offline model; on unless `enabled: false`. */
  demo?: {
    enabled: boolean;
    /** Realistic ~15 ms per token; 0 in tests and benchmarks. */
    tokenDelayMs: number;
    /** Every reply at least this many words (long replies for tests and demos); 0 or absent: off. */
    replyWords?: number;
  };
}

export interface ProviderRegistry {
  models(): ModelInfo[];
  find(provider: string, model: string): ModelInfo | undefined;
  /**
   * Streams the reply: zero or more "text" events, then exactly one "finish" event, then done.
   *
   * Failures: throws ProviderError, before any text (nothing was generated) or after some text
   * (a mid-stream failure: the text already yielded is real output). An unknown model throws
   * ProviderError before any network call.
   *
   * Abort: when `abortSignal` fires, the stream stops and throws `abortSignal.reason` (a
   * DOMException named "AbortError" when `abort()` was called without a reason), as
   * `signal.throwIfAborted()` would; no "finish" event follows. See isAbortError.
   *
   * Calls are never retried (maxRetries 0): a hidden retry would be a second paid request.
   */
  stream(request: StreamRequest): AsyncIterable<StreamEvent>;
}

/**
 * True for what `stream()` throws when its abortSignal fired: the signal's default reason
 * (DOMException "AbortError", or "TimeoutError" from AbortSignal.timeout). A custom reason passed to
 * `abort(reason)` is thrown as is; callers that use one should test `abortSignal.aborted` instead.
 */
export function isAbortError(error: unknown): boolean {
  return error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError");
}
