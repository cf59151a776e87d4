import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3GenerateResult,
  LanguageModelV3Prompt,
  LanguageModelV3StreamPart,
  LanguageModelV3StreamResult,
  LanguageModelV3Usage,
} from "@ai-sdk/provider";
import { longDemoReply, parseDemoDirective, type DemoDirective } from "./demo-directive.ts";
import { countPromptTokens, countTextTokens } from "./tokens.ts";
import { ProviderError, type ChatMessage } from "./types.ts";

export const DEMO_PROVIDER = "local-demo";
export const DEMO_MODEL = "demo-1";
export const DEMO_CONTEXT_WINDOW = 8_192;

/** Words of the user's message quoted back; longer messages are cut with an ellipsis. */
const QUOTED_WORDS = 40;

function lastUserMessage(messages: readonly ChatMessage[]): string {
  return [...messages].reverse().find((m) => m.role === "user")?.content ?? "";
}

/** The "/demo …" directive of the conversation's last user message, if any (see demo-directive.ts). */
export function demoDirectiveOf(messages: readonly ChatMessage[]): DemoDirective | null {
  return parseDemoDirective(lastUserMessage(messages));
}

/**
 * The demo model's whole reply to a conversation, before any maxOutputTokens cut. Deterministic,
 * so tests (and the end-to-end suite) can predict what the chat shows. A "/demo" directive asks
 * for a long reply; `replyWords` (DEMO_REPLY_WORDS) lengthens every reply to that many words.
 */
export function demoReply(messages: readonly ChatMessage[], replyWords = 0): string {
  const directive = demoDirectiveOf(messages);
  if (directive) return longDemoReply(directive.words ?? 120, directive.code);
  const reply = echoReply(messages);
  const words = reply.split(" ").length;
  return replyWords > words ? `${reply}\n\n${longDemoReply(replyWords - words, false)}` : reply;
}

function echoReply(messages: readonly ChatMessage[]): string {
  const text = lastUserMessage(messages).trim().replace(/\s+/g, " ");
  if (text === "") {
    return "Hello! I am Wavelength's offline demo model. Send me a message and I will echo it back.";
  }
  const words = text.split(" ");
  const quoted = words.length > QUOTED_WORDS ? `${words.slice(0, QUOTED_WORDS).join(" ")}…` : text;
  const chars = [...text].length;
  return (
    `You said: "${quoted}". ` +
    "I am Wavelength's offline demo model, so this reply is written locally without calling an AI provider. " +
    `Your message has ${plural(words.length, "word")} and ${plural(chars, "character")}, ` +
    `and this conversation has ${plural(messages.length, "message")}. ` +
    "Configure an OpenAI, Anthropic or OpenAI-compatible provider to chat with a real model."
  );
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/** The chunks the demo streams, one word (with its leading space) at a time. */
export function demoChunks(reply: string): string[] {
  return reply.match(/\s*\S+/g) ?? [];
}

/**
 * The chunks actually sent under a token budget: whole chunks while the text so far stays within
 * maxOutputTokens (counted on the concatenation, exactly as the reported usage is).
 */
export function demoOutput(messages: readonly ChatMessage[], maxOutputTokens: number | undefined, replyWords = 0) {
  const chunks = demoChunks(demoReply(messages, replyWords));
  const full = chunks.join("");
  if (maxOutputTokens === undefined || countTextTokens(full) <= maxOutputTokens) {
    return { chunks, truncated: false };
  }
  const sent: string[] = [];
  let text = "";
  for (const chunk of chunks) {
    if (countTextTokens(text + chunk) > maxOutputTokens) break;
    sent.push(chunk);
    text += chunk;
  }
  return { chunks: sent, truncated: true };
}

/** What the model received, as the chat messages the registry was given (text parts joined). */
export function promptToMessages(prompt: LanguageModelV3Prompt): ChatMessage[] {
  const messages: ChatMessage[] = [];
  for (const message of prompt) {
    switch (message.role) {
      case "system":
        messages.push({ role: "system", content: message.content });
        break;
      case "user":
      case "assistant": {
        const content = message.content.map((part) => (part.type === "text" ? part.text : "")).join("");
        messages.push({ role: message.role, content });
        break;
      }
      case "tool":
        break;
    }
  }
  return messages;
}

/** Like a hosted model, the demo refuses (HTTP 400 style) a prompt beyond its context window. */
function refuseOversizedPrompt(inputTokens: number): void {
  if (inputTokens > DEMO_CONTEXT_WINDOW) {
    throw new ProviderError(
      `${DEMO_PROVIDER} refused the request: the prompt has ${inputTokens} tokens, the context window ${DEMO_CONTEXT_WINDOW}`,
      { statusCode: 400 },
    );
  }
}

function usageOf(inputTokens: number, outputTokens: number): LanguageModelV3Usage {
  return {
    inputTokens: { total: inputTokens, noCache: inputTokens, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: outputTokens, text: outputTokens, reasoning: 0 },
  };
}

/**
 * Waits `ms`, or rejects with the signal's reason as soon as it fires. 0 ms takes no timer (a
 * benchmark should not pay a macrotask per chunk); an abort between chunks is still seen here.
 * Infinity waits for the abort alone.
 */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    if (ms <= 0) {
      resolve();
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal));
    };
    // Infinity (a stall) takes no timer: only the abort ends it.
    const timer = Number.isFinite(ms)
      ? setTimeout(() => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        }, ms)
      : undefined;
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** The signal's reason when it is an Error (the default one is a DOMException "AbortError"). */
function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new DOMException("This operation was aborted", "AbortError");
}

export interface DemoModelOptions {
  /** Pause before each chunk; ~15 ms looks like a real model, 0 for tests and benchmarks. */
  tokenDelayMs: number;
  /** Every reply at least this many words (DEMO_REPLY_WORDS): long replies without a directive. */
  replyWords?: number;
}

/**
 * A hand-written LanguageModelV3, streamed through its doStream exactly like the hosted providers, so
 * the offline path exercises the same code (usage mapping, abort, finish) as a real one. Usage is
 * what our tokenizer counts of the prompt it received and of the text it sent, which is also what
 * a caller counting the streamed text would get.
 */
export class DemoLanguageModel implements LanguageModelV3 {
  readonly specificationVersion = "v3";
  readonly provider = DEMO_PROVIDER;
  readonly modelId = DEMO_MODEL;
  readonly supportedUrls: Record<string, RegExp[]> = {};

  constructor(private readonly options: DemoModelOptions) {}

  async doGenerate(options: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult> {
    options.abortSignal?.throwIfAborted();
    const messages = promptToMessages(options.prompt);
    const inputTokens = countPromptTokens(messages);
    refuseOversizedPrompt(inputTokens);
    const { chunks, truncated } = demoOutput(messages, options.maxOutputTokens, this.options.replyWords);
    const text = chunks.join("");
    return {
      content: text === "" ? [] : [{ type: "text", text }],
      finishReason: { unified: truncated ? "length" : "stop", raw: undefined },
      usage: usageOf(inputTokens, countTextTokens(text)),
      warnings: [],
    };
  }

  async doStream(options: LanguageModelV3CallOptions): Promise<LanguageModelV3StreamResult> {
    options.abortSignal?.throwIfAborted();
    const messages = promptToMessages(options.prompt);
    const inputTokens = countPromptTokens(messages);
    refuseOversizedPrompt(inputTokens);
    const { chunks, truncated } = demoOutput(messages, options.maxOutputTokens, this.options.replyWords);
    const directive = demoDirectiveOf(messages);
    const delayMs = directive?.delayMs ?? this.options.tokenDelayMs;
    const stallAfter = directive?.stallAfter ?? null;
    const signal = options.abortSignal;
    const id = "demo-text";

    // Pull-based: one chunk per read, so nothing runs ahead of the consumer and a cancelled
    // stream stops producing.
    const pending: LanguageModelV3StreamPart[] = [
      { type: "stream-start", warnings: [] },
      { type: "response-metadata", modelId: DEMO_MODEL },
      { type: "text-start", id },
    ];
    let next = 0;
    let sent = "";
    let finished = false;

    const stream = new ReadableStream<LanguageModelV3StreamPart>({
      async pull(controller) {
        const queued = pending.shift();
        if (queued) {
          controller.enqueue(queued);
          return;
        }
        if (finished) {
          controller.close();
          return;
        }
        const chunk = chunks[next];
        if (chunk !== undefined) {
          try {
            // A stalled provider: nothing more until the caller gives up.
            if (next === stallAfter) await sleep(Number.POSITIVE_INFINITY, signal);
            await sleep(delayMs, signal);
          } catch (reason) {
            controller.error(reason);
            return;
          }
          next++;
          sent += chunk;
          controller.enqueue({ type: "text-delta", id, delta: chunk });
          return;
        }
        finished = true;
        controller.enqueue({ type: "text-end", id });
        pending.push({
          type: "finish",
          finishReason: { unified: truncated ? "length" : "stop", raw: undefined },
          usage: usageOf(inputTokens, countTextTokens(sent)),
        });
      },
    });
    return { stream };
  }
}
