import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAI } from "@ai-sdk/openai";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { APICallError, type LanguageModelV3 } from "@ai-sdk/provider";
import { providerSchema } from "@wavelength/shared";
import { streamText, type LanguageModelUsage, type ModelMessage } from "ai";
import {
  DEFAULT_ANTHROPIC_MODELS,
  DEFAULT_OPENAI_MODELS,
  DEMO_MODEL_INFO,
  anthropicModelInfo,
  compatibleModelInfo,
  openaiModelInfo,
} from "./catalog.ts";
import { DemoLanguageModel } from "./demo-model.ts";
import {
  ProviderError,
  type ChatMessage,
  type ModelInfo,
  type ProviderConfig,
  type ProviderRegistry,
  type ProviderUsage,
  type StreamEvent,
  type StreamRequest,
} from "./types.ts";

/** What a human sees ~15 ms per token from a hosted model. */
const DEFAULT_DEMO_TOKEN_DELAY_MS = 15;

const RESERVED_PROVIDER_IDS = new Set(["openai", "anthropic", DEMO_MODEL_INFO.provider]);

interface Entry {
  info: ModelInfo;
  languageModel(): LanguageModelV3;
}

/**
 * The configured models, in picker order: hosted providers first, the offline demo last (it is the
 * only one when no provider is configured). Throws on a configuration mistake, at start-up.
 */
export function createProviderRegistry(config: ProviderConfig): ProviderRegistry {
  const entries: Entry[] = [];

  if (config.openai) {
    const openai = createOpenAI({ apiKey: config.openai.apiKey, baseURL: config.openai.baseURL });
    for (const model of unique(config.openai.models ?? DEFAULT_OPENAI_MODELS)) {
      // Chat Completions rather than the Responses API: it is what OpenAI-compatible servers and
      // our fake server speak, and it reports usage in the stream's last chunk.
      entries.push({ info: openaiModelInfo(model), languageModel: () => openai.chat(model) });
    }
  }

  if (config.anthropic) {
    const anthropic = createAnthropic({ apiKey: config.anthropic.apiKey, baseURL: config.anthropic.baseURL });
    for (const model of unique(config.anthropic.models ?? DEFAULT_ANTHROPIC_MODELS)) {
      entries.push({ info: anthropicModelInfo(model), languageModel: () => anthropic.languageModel(model) });
    }
  }

  if (config.openaiCompatible) {
    const { name, baseURL, apiKey, models } = config.openaiCompatible;
    if (!providerSchema.safeParse(name).success || RESERVED_PROVIDER_IDS.has(name)) {
      throw new Error(`OpenAI-compatible provider id "${name}" is invalid or reserved`);
    }
    // includeUsage: without stream_options.include_usage, Ollama and vLLM report no usage at all.
    const compatible = createOpenAICompatible({ name, baseURL, apiKey, includeUsage: true });
    for (const model of unique(models)) {
      entries.push({
        info: compatibleModelInfo(name, model, config.openaiCompatible),
        languageModel: () => compatible.chatModel(model),
      });
    }
  }

  if (config.demo?.enabled ?? true) {
    const demo = new DemoLanguageModel({
      tokenDelayMs: config.demo?.tokenDelayMs ?? DEFAULT_DEMO_TOKEN_DELAY_MS,
      replyWords: config.demo?.replyWords,
    });
    entries.push({ info: DEMO_MODEL_INFO, languageModel: () => demo });
  }

  const byKey = new Map(entries.map((e) => [key(e.info.provider, e.info.model), e]));
  const infos = entries.map((e) => e.info);

  return {
    models: () => infos.map((info) => ({ ...info })),
    find: (provider, model) => {
      const info = byKey.get(key(provider, model))?.info;
      return info && { ...info };
    },
    stream: (request) => streamFrom(byKey.get(key(request.provider, request.model)), request),
  };
}

async function* streamFrom(entry: Entry | undefined, request: StreamRequest): AsyncGenerator<StreamEvent> {
  const { abortSignal } = request;
  if (!entry) {
    throw new ProviderError(`Unknown model ${request.provider}/${request.model}`);
  }
  abortSignal.throwIfAborted();

  // Our own signal as well as the caller's: a consumer that stops iterating early (break, return,
  // an exception in its loop) must also close the provider's connection, which cancelling the
  // SDK's stream alone does not do.
  const stop = new AbortController();
  let done = false;
  const result = streamText({
    model: entry.languageModel(),
    messages: request.messages.map(toModelMessage),
    // System messages come from our own chat service, not from users; this only silences the
    // SDK's prompt-injection warning.
    allowSystemInMessages: true,
    maxOutputTokens: request.maxOutputTokens,
    abortSignal: AbortSignal.any([abortSignal, stop.signal]),
    // The quota engine admitted one request; a hidden retry would be a second, unpaid one.
    maxRetries: 0,
    // Errors arrive as stream parts and are thrown below; the default handler would log them too.
    onError: () => {},
  });

  try {
    for await (const part of result.fullStream) {
      switch (part.type) {
        case "text-delta":
          if (part.text !== "") yield { type: "text", delta: part.text };
          break;
        case "finish":
          done = true;
          yield { type: "finish", usage: toProviderUsage(part.totalUsage), finishReason: part.finishReason };
          return;
        case "abort":
          throw abortReason(abortSignal);
        case "error":
          // Some providers surface a cancelled fetch as an error rather than an abort.
          if (abortSignal.aborted) throw abortReason(abortSignal);
          throw toProviderError(entry.info.provider, part.error);
        default:
          break;
      }
    }
  } catch (error) {
    // The SDK reports some failures as error parts (handled above) and throws others from the
    // iteration itself, e.g. a connection cut mid-body.
    if (abortSignal.aborted) throw abortReason(abortSignal);
    throw toProviderError(entry.info.provider, error);
  } finally {
    if (!done) stop.abort();
  }
  if (abortSignal.aborted) throw abortReason(abortSignal);
  throw new ProviderError(`${entry.info.provider} stream ended without finishing`, { retryable: true });
}

function toModelMessage(message: ChatMessage): ModelMessage {
  switch (message.role) {
    case "system":
      return { role: "system", content: message.content };
    case "user":
      return { role: "user", content: message.content };
    case "assistant":
      return { role: "assistant", content: message.content };
  }
}

/**
 * The SDK's usage (ai v6: undefined where the provider reported nothing) as what we bill: null
 * unless both input and output were reported, so that the caller counts both with one method.
 */
export function toProviderUsage(usage: LanguageModelUsage): ProviderUsage | null {
  const { inputTokens, outputTokens } = usage;
  if (inputTokens === undefined || outputTokens === undefined) return null;
  const cached = usage.inputTokenDetails.cacheReadTokens ?? usage.cachedInputTokens ?? 0;
  return {
    inputTokens,
    outputTokens,
    // Cached tokens are a part of the input; a provider that says otherwise is not trusted to lower
    // the bill below zero.
    cachedInputTokens: Math.min(Math.max(cached, 0), inputTokens),
  };
}

const RETRYABLE_STATUS = new Set([408, 409, 425, 429]);
const NETWORK_ERROR_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE", "UND_ERR_SOCKET"]);

/**
 * A message that is safe to show: provider error texts can echo part of the API key ("Incorrect
 * API key provided: sk-ab***"), so only the status travels; the original stays in `cause`.
 */
export function toProviderError(provider: string, error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  if (isNetworkError(error)) {
    return new ProviderError(`${provider} connection failed`, { cause: error, retryable: true });
  }
  if (APICallError.isInstance(error)) {
    const status = error.statusCode;
    if (status === undefined) {
      return new ProviderError(`${provider} could not be reached`, { cause: error, retryable: true });
    }
    if (status < 400) {
      // A 200 whose body could not be read or parsed.
      return new ProviderError(`${provider} stream failed`, { cause: error, retryable: error.isRetryable });
    }
    const retryable = error.isRetryable || RETRYABLE_STATUS.has(status) || status >= 500;
    const what =
      status === 401 || status === 403
        ? "rejected the credentials"
        : status === 429
          ? "is rate limiting requests"
          : status >= 500
            ? "had a server error"
            : "refused the request";
    return new ProviderError(`${provider} ${what} (HTTP ${status})`, { cause: error, retryable, statusCode: status });
  }
  return new ProviderError(`${provider} stream failed`, { cause: error });
}

function isNetworkError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    // undici: "fetch failed" before the response, "terminated" when the body is cut off.
    if (e instanceof TypeError && (e.message === "fetch failed" || e.message === "terminated")) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && NETWORK_ERROR_CODES.has(code)) return true;
  }
  return false;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("This operation was aborted", "AbortError");
}

function key(provider: string, model: string): string {
  return `${provider}\u0000${model}`;
}

function unique(models: readonly string[]): string[] {
  return [...new Set(models)];
}
