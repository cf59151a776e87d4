import { describe, expect, it } from "vitest";
import {
  ProviderError,
  countPromptTokens,
  countTextTokens,
  createProviderRegistry,
  demoReply,
  isAbortError,
  type ChatMessage,
} from "../../src/providers/index.ts";
import { collect } from "./collect.ts";

const messages: ChatMessage[] = [
  { role: "system", content: "You are a helpful assistant." },
  { role: "user", content: "What is a token bucket?" },
  { role: "assistant", content: "A rate limiting algorithm." },
  { role: "user", content: "  Explain   it in one line, please. " },
];

const demo = { provider: "local-demo", model: "demo-1", messages, maxOutputTokens: 1024 };

describe("local-demo provider", () => {
  it("is the only model when nothing else is configured", () => {
    const registry = createProviderRegistry({});
    expect(registry.models()).toEqual([
      {
        provider: "local-demo",
        model: "demo-1",
        label: "Demo (offline)",
        contextWindow: 8192,
        maxOutputTokens: 1024,
        demo: true,
      },
    ]);
    expect(registry.find("local-demo", "demo-1")?.demo).toBe(true);
    expect(registry.find("local-demo", "demo-2")).toBeUndefined();
  });

  it("can be switched off", () => {
    const registry = createProviderRegistry({ demo: { enabled: false, tokenDelayMs: 0 } });
    expect(registry.models()).toEqual([]);
  });

  it("echoes the last user message, predictably", () => {
    expect(demoReply(messages)).toBe(
      'You said: "Explain it in one line, please.". ' +
        "I am Wavelength's offline demo model, so this reply is written locally without calling an AI provider. " +
        "Your message has 6 words and 31 characters, and this conversation has 4 messages. " +
        "Configure an OpenAI, Anthropic or OpenAI-compatible provider to chat with a real model.",
    );
    expect(demoReply([])).toMatch(/^Hello!/);
  });

  it("streams that reply word by word, with usage counted from exactly what it sent", async () => {
    const registry = createProviderRegistry({ demo: { enabled: true, tokenDelayMs: 0 } });
    const first = await collect(registry, demo);
    expect(first.error).toBeUndefined();
    expect(first.text).toBe(demoReply(messages));
    expect(first.deltas.length).toBeGreaterThan(20);
    expect(first.events.at(-1)).toEqual({
      type: "finish",
      finishReason: "stop",
      usage: {
        inputTokens: countPromptTokens(messages),
        outputTokens: countTextTokens(first.text),
        cachedInputTokens: 0,
      },
    });
    // Deterministic: a second run is identical, chunk for chunk.
    const second = await collect(registry, demo);
    expect(second.events).toEqual(first.events);
  });

  it("never sends more tokens than maxOutputTokens", async () => {
    const registry = createProviderRegistry({ demo: { enabled: true, tokenDelayMs: 0 } });
    for (const maxOutputTokens of [1, 5, 17]) {
      const result = await collect(registry, { ...demo, maxOutputTokens });
      expect(countTextTokens(result.text)).toBeLessThanOrEqual(maxOutputTokens);
      expect(countTextTokens(result.text)).toBeGreaterThan(0);
      expect(demoReply(messages).startsWith(result.text)).toBe(true);
      expect(result.finish).toEqual({
        type: "finish",
        finishReason: "length",
        usage: {
          inputTokens: countPromptTokens(messages),
          outputTokens: countTextTokens(result.text),
          cachedInputTokens: 0,
        },
      });
    }
  });

  it("paces chunks by tokenDelayMs", async () => {
    const registry = createProviderRegistry({ demo: { enabled: true, tokenDelayMs: 10 } });
    const started = performance.now();
    const result = await collect(registry, { ...demo, maxOutputTokens: 8 });
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(result.deltas.length * 10 - 5);
  });

  it("stops on abort mid-stream and throws the abort reason, without a finish event", async () => {
    const registry = createProviderRegistry({ demo: { enabled: true, tokenDelayMs: 20 } });
    const controller = new AbortController();
    const result = await collect(registry, { ...demo, abortSignal: controller.signal }, (_delta, index) => {
      if (index === 2) controller.abort();
    });
    expect(isAbortError(result.error)).toBe(true);
    expect(result.error).toBe(controller.signal.reason);
    expect(result.error).not.toBeInstanceOf(ProviderError);
    expect(result.finish).toBeUndefined();
    expect(result.deltas).toHaveLength(3);
    expect(demoReply(messages).startsWith(result.text)).toBe(true);
  });

  it("rethrows a custom abort reason as is", async () => {
    const registry = createProviderRegistry({ demo: { enabled: true, tokenDelayMs: 5 } });
    const controller = new AbortController();
    const reason = new Error("user cancelled");
    const result = await collect(registry, { ...demo, abortSignal: controller.signal }, () => controller.abort(reason));
    expect(result.error).toBe(reason);
    expect(result.deltas).toHaveLength(1);
  });

  it("does not start when the signal is already aborted", async () => {
    const registry = createProviderRegistry({ demo: { enabled: true, tokenDelayMs: 0 } });
    const result = await collect(registry, { ...demo, abortSignal: AbortSignal.abort() });
    expect(isAbortError(result.error)).toBe(true);
    expect(result.events).toEqual([]);
  });

  it("refuses a prompt beyond its context window, as a hosted model would", async () => {
    const registry = createProviderRegistry({ demo: { enabled: true, tokenDelayMs: 0 } });
    const long: ChatMessage[] = [{ role: "user", content: "word ".repeat(9_000) }];
    const result = await collect(registry, { ...demo, messages: long });
    expect(result.events).toEqual([]);
    expect(result.error).toBeInstanceOf(ProviderError);
    expect(result.error).toMatchObject({ statusCode: 400, retryable: false });
    expect((result.error as ProviderError).message).toMatch(/context window 8192$/);
  });

  it("rejects an unknown model with a ProviderError before anything is sent", async () => {
    const registry = createProviderRegistry({});
    const result = await collect(registry, { ...demo, model: "demo-9" });
    expect(result.error).toBeInstanceOf(ProviderError);
    expect((result.error as ProviderError).message).toBe("Unknown model local-demo/demo-9");
    expect(result.events).toEqual([]);
  });

  describe("long replies for tests and demos", () => {
    const ask = (content: string): ChatMessage[] => [{ role: "user", content }];

    it("writes as many words as a /demo directive asks, with a code block when asked", async () => {
      const registry = createProviderRegistry({ demo: { enabled: true, tokenDelayMs: 0 } });
      const result = await collect(registry, {
        ...demo,
        messages: ask("/demo words=300 code"),
        maxOutputTokens: 4_000,
      });
      expect(result.finish?.finishReason).toBe("stop");
      expect(result.text).toMatch(
        /^Here is a token bucket in TypeScript:\n\n```typescript\nexport function tokenBucket/,
      );
      const prose = result.text.slice(result.text.lastIndexOf("```") + 3).trim();
      expect(prose.split(/\s+/)).toHaveLength(300);
      // Without a directive the demo still echoes.
      expect((await collect(registry, { ...demo, messages: ask("demo words=300") })).text).toMatch(/^You said/);
    });

    it("lengthens every reply to DEMO_REPLY_WORDS, and the output cap still applies", async () => {
      const registry = createProviderRegistry({ demo: { enabled: true, tokenDelayMs: 0, replyWords: 500 } });
      const full = await collect(registry, { ...demo, maxOutputTokens: 4_000 });
      expect(full.text.startsWith(demoReply(messages))).toBe(true);
      expect(full.text.split(/\s+/)).toHaveLength(500);
      const cut = await collect(registry, { ...demo, maxOutputTokens: 100 });
      expect(countTextTokens(cut.text)).toBeLessThanOrEqual(100);
      expect(cut.finish?.finishReason).toBe("length");
    });

    it("paces a reply by its directive's delay", async () => {
      const registry = createProviderRegistry({ demo: { enabled: true, tokenDelayMs: 0 } });
      const started = performance.now();
      const result = await collect(registry, { ...demo, messages: ask("/demo words=10 delay=20") });
      expect(result.deltas).toHaveLength(10);
      expect(performance.now() - started).toBeGreaterThanOrEqual(10 * 20 - 5);
    });

    it("stalls after the words a directive names, until the caller gives up", async () => {
      const registry = createProviderRegistry({ demo: { enabled: true, tokenDelayMs: 0 } });
      const controller = new AbortController();
      const result = await collect(
        registry,
        { ...demo, messages: ask("/demo words=50 stall=5"), abortSignal: controller.signal },
        (_delta, index) => {
          if (index === 4) setTimeout(() => controller.abort(), 50);
        },
      );
      expect(result.deltas).toHaveLength(5);
      expect(isAbortError(result.error)).toBe(true);
      expect(result.finish).toBeUndefined();
    });
  });
});
