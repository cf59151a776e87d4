import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ProviderError,
  countPromptTokens,
  createProviderRegistry,
  isAbortError,
  type ChatMessage,
  type ProviderRegistry,
} from "../../src/providers/index.ts";
import { fakeReply, startFakeOpenAI, type FakeOpenAIServer } from "../support/fake-openai-server.ts";
import { collect } from "./collect.ts";

const WORDS = 12;
const SLOW_MS = 60;

const messages: ChatMessage[] = [
  { role: "system", content: "Be brief." },
  { role: "user", content: "Count to twelve." },
];

let server: FakeOpenAIServer;
let registry: ProviderRegistry;

beforeAll(async () => {
  server = await startFakeOpenAI({ words: WORDS, slowChunkDelayMs: SLOW_MS });
  registry = createProviderRegistry({
    openaiCompatible: {
      name: "fake",
      baseURL: server.baseURL,
      models: [
        "fake-usage-at-end",
        "fake-cached-usage",
        "fake-no-usage",
        "fake-error-before-first-token",
        "fake-sse-error",
        "fake-error-mid-stream",
        "fake-slow",
      ],
    },
    demo: { enabled: false, tokenDelayMs: 0 },
  });
});

afterAll(async () => {
  await server.close();
});

/** Runs one request and returns what the server saw and reported for it alone. */
async function run(model: string, options: { maxOutputTokens?: number; abortSignal?: AbortSignal } = {}) {
  const requestsBefore = server.requests.length;
  const reportedBefore = { ...server.reported };
  const result = await collect(registry, {
    provider: "fake",
    model,
    messages,
    maxOutputTokens: options.maxOutputTokens ?? 256,
    ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}),
  });
  return {
    ...result,
    requests: server.requests.slice(requestsBefore),
    reported: {
      inputTokens: server.reported.inputTokens - reportedBefore.inputTokens,
      outputTokens: server.reported.outputTokens - reportedBefore.outputTokens,
    },
  };
}

describe("OpenAI-compatible provider against the fake server", () => {
  it("lists the configured models with conservative limits", () => {
    expect(registry.find("fake", "fake-slow")).toEqual({
      provider: "fake",
      model: "fake-slow",
      label: "fake-slow (fake)",
      contextWindow: 8192,
      maxOutputTokens: 2048,
      demo: false,
    });
  });

  it("streams the text and takes the usage reported in the last chunk", async () => {
    const r = await run("fake-usage-at-end");
    expect(r.error).toBeUndefined();
    expect(r.text).toBe(fakeReply(WORDS));
    expect(r.deltas).toHaveLength(WORDS);
    expect(r.finish).toEqual({
      type: "finish",
      finishReason: "stop",
      usage: { inputTokens: countPromptTokens(messages), outputTokens: WORDS, cachedInputTokens: 0 },
    });
    expect(r.reported).toEqual({ inputTokens: countPromptTokens(messages), outputTokens: WORDS });
    // What went over the wire: one request, asking for usage, with our budget and messages.
    expect(r.requests).toHaveLength(1);
    expect(r.requests[0]).toMatchObject({
      model: "fake-usage-at-end",
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 256,
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Count to twelve." },
      ],
    });
  });

  it("reports cached prompt tokens", async () => {
    const r = await run("fake-cached-usage");
    const input = countPromptTokens(messages);
    expect(r.finish?.usage).toEqual({
      inputTokens: input,
      outputTokens: WORDS,
      cachedInputTokens: Math.floor(input / 2),
    });
  });

  it("gives null usage when the provider reports none", async () => {
    const r = await run("fake-no-usage");
    expect(r.error).toBeUndefined();
    expect(r.text).toBe(fakeReply(WORDS));
    expect(r.finish).toEqual({ type: "finish", finishReason: "stop", usage: null });
    expect(r.reported).toEqual({ inputTokens: 0, outputTokens: 0 });
  });

  it("passes maxOutputTokens on, and the provider's cut comes back as finish reason length", async () => {
    const r = await run("fake-usage-at-end", { maxOutputTokens: 5 });
    expect(r.text).toBe(fakeReply(5));
    expect(r.finish).toMatchObject({ finishReason: "length", usage: { outputTokens: 5 } });
  });

  it("throws a ProviderError before any text on an HTTP 500, without retrying", async () => {
    const r = await run("fake-error-before-first-token");
    expect(r.events).toEqual([]);
    expect(r.error).toBeInstanceOf(ProviderError);
    const error = r.error as ProviderError;
    expect(error.message).toBe("fake had a server error (HTTP 500)");
    expect(error.statusCode).toBe(500);
    expect(error.retryable).toBe(true);
    expect(error.cause).toBeDefined();
    // maxRetries 0: a retry would be a second request the quota engine never admitted.
    expect(r.requests).toHaveLength(1);
  });

  it("throws a ProviderError before any text on an error in the stream", async () => {
    const r = await run("fake-sse-error");
    expect(r.events).toEqual([]);
    expect(r.error).toBeInstanceOf(ProviderError);
    expect((r.error as ProviderError).message).toBe("fake stream failed");
  });

  it("yields the text that arrived, then throws a ProviderError when the connection drops", async () => {
    const r = await run("fake-error-mid-stream");
    expect(r.text).toBe(fakeReply(WORDS / 2));
    expect(r.finish).toBeUndefined();
    expect(r.error).toBeInstanceOf(ProviderError);
    expect((r.error as ProviderError).retryable).toBe(true);
    expect((r.error as ProviderError).message).toBe("fake connection failed");
    expect(r.requests).toHaveLength(1);
  });

  it("streams a slow provider incrementally", async () => {
    const arrivals: number[] = [];
    const started = performance.now();
    const result = await collect(
      registry,
      { provider: "fake", model: "fake-slow", messages, maxOutputTokens: 256 },
      () => arrivals.push(performance.now() - started),
    );
    expect(result.text).toBe(fakeReply(WORDS));
    expect(result.finish?.usage?.outputTokens).toBe(WORDS);
    // Text is handed on as it arrives, not buffered until the end.
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThanOrEqual(SLOW_MS * (WORDS - 2));
  });

  it("aborting a slow stream stops it and closes the connection", async () => {
    const controller = new AbortController();
    const disconnectsBefore = server.disconnects;
    const r = await collect(
      registry,
      { provider: "fake", model: "fake-slow", messages, maxOutputTokens: 256, abortSignal: controller.signal },
      (_delta, index) => {
        if (index === 1) controller.abort();
      },
    );
    expect(isAbortError(r.error)).toBe(true);
    expect(r.deltas).toHaveLength(2);
    expect(r.finish).toBeUndefined();
    await expect.poll(() => server.disconnects).toBe(disconnectsBefore + 1);
  });

  it("breaking out of the loop also releases the connection", async () => {
    const disconnectsBefore = server.disconnects;
    for await (const event of registry.stream({
      provider: "fake",
      model: "fake-slow",
      messages,
      maxOutputTokens: 256,
      abortSignal: new AbortController().signal,
    })) {
      if (event.type === "text") break;
    }
    await expect.poll(() => server.disconnects).toBe(disconnectsBefore + 1);
  });
});

describe("OpenAI provider (chat completions) against the fake server", () => {
  it("streams text and usage through @ai-sdk/openai", async () => {
    const openai = await startFakeOpenAI({ words: 3 });
    try {
      const reg = createProviderRegistry({
        openai: { apiKey: "sk-test", baseURL: openai.baseURL, models: ["gpt-4o"] },
      });
      const r = await collect(reg, { provider: "openai", model: "gpt-4o", messages, maxOutputTokens: 100 });
      expect(r.error).toBeUndefined();
      expect(r.text).toBe(fakeReply(3));
      expect(r.finish?.usage).toEqual({
        inputTokens: countPromptTokens(messages),
        outputTokens: 3,
        cachedInputTokens: 0,
      });
      expect(openai.requests[0]).toMatchObject({
        model: "gpt-4o",
        stream: true,
        stream_options: { include_usage: true },
      });
    } finally {
      await openai.close();
    }
  });
});

describe("Anthropic provider", () => {
  it("goes through @ai-sdk/anthropic and maps an HTTP refusal to a ProviderError", async () => {
    const fake = await startFakeOpenAI();
    try {
      // The fake speaks only chat completions, so the Messages API call gets a 404.
      const reg = createProviderRegistry({ anthropic: { apiKey: "sk-ant-test", baseURL: fake.baseURL } });
      const r = await collect(reg, {
        provider: "anthropic",
        model: "claude-sonnet-4-5",
        messages,
        maxOutputTokens: 50,
      });
      expect(r.events).toEqual([]);
      expect(r.error).toBeInstanceOf(ProviderError);
      expect(r.error).toMatchObject({
        message: "anthropic refused the request (HTTP 404)",
        statusCode: 404,
        retryable: false,
      });
    } finally {
      await fake.close();
    }
  });
});

describe("registry configuration", () => {
  it("lists hosted providers with their default models first and the demo last", () => {
    const reg = createProviderRegistry({
      openai: { apiKey: "sk-test" },
      anthropic: { apiKey: "sk-ant-test" },
      openaiCompatible: { name: "ollama", baseURL: "http://127.0.0.1:11434/v1", models: ["llama3.1:8b"] },
    });
    expect(reg.models().map((m) => [m.provider, m.model, m.contextWindow])).toEqual([
      ["openai", "gpt-4o", 128_000],
      ["openai", "gpt-4o-mini", 128_000],
      ["anthropic", "claude-sonnet-4-5", 200_000],
      ["anthropic", "claude-opus-4-1", 200_000],
      ["ollama", "llama3.1:8b", 8_192],
      ["local-demo", "demo-1", 8_192],
    ]);
    expect(reg.find("anthropic", "claude-opus-4-1")?.label).toBe("Claude Opus 4.1");
  });

  it("refuses an OpenAI-compatible id that is invalid or taken", () => {
    for (const name of ["openai", "local-demo", "Bad/Name"]) {
      expect(() =>
        createProviderRegistry({ openaiCompatible: { name, baseURL: "http://127.0.0.1:1/v1", models: ["m"] } }),
      ).toThrow(/invalid or reserved/);
    }
  });

  it("hands out copies, so callers cannot change the catalog", () => {
    const reg = createProviderRegistry({});
    reg.models()[0]!.label = "changed";
    reg.find("local-demo", "demo-1")!.contextWindow = 1;
    expect(reg.find("local-demo", "demo-1")).toMatchObject({ label: "Demo (offline)", contextWindow: 8192 });
  });
});
