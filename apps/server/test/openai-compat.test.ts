// The OpenAI-compatible endpoint as a user's program sees it: the official `openai` client and the
// AI SDK's OpenAI-compatible provider against the real server listening on a port (PGlite), with
// the fake OpenAI server as the upstream provider and the built-in demo model.
import type { AddressInfo } from "node:net";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { generateText, streamText } from "ai";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countTextTokens } from "../../../packages/api/src/providers/tokens.ts";
import {
  fakeReply,
  startFakeOpenAI,
  type FakeOpenAIServer,
} from "../../../packages/api/test/support/fake-openai-server.ts";
import type { ApiKeyCreateInput } from "@wavelength/shared";
import { openTestServer, type TestServer } from "./support/test-server.ts";

const WORDS = 12;
const FAKE = "fake";

describe("OpenAI-compatible endpoint with real clients", () => {
  let server: TestServer;
  let fake: FakeOpenAIServer;
  let baseURL: string;
  let userId: string;

  beforeAll(async () => {
    fake = await startFakeOpenAI({ words: WORDS, slowChunkDelayMs: 40 });
    server = await openTestServer(
      {},
      {
        services: {
          providers: {
            openaiCompatible: {
              name: FAKE,
              baseURL: fake.baseURL,
              models: ["fake-usage-at-end", "fake-no-usage", "fake-slow", "fake-error-before-first-token"],
            },
            demo: { enabled: true, tokenDelayMs: 0 },
          },
        },
      },
    );
    await server.app.listen({ port: 0, host: "127.0.0.1" });
    baseURL = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}/v1`;
    const user = await server.db.prisma.user.create({
      data: { email: `api-${Date.now()}@example.com`, tier: "free", timezone: "Europe/Berlin" },
    });
    userId = user.id;
  });
  afterAll(async () => {
    await server.close();
    await fake.close();
  });

  const newKey = async (input: Partial<ApiKeyCreateInput> = {}) =>
    server.services.apiKeys.create({ userId, tier: "free", timeZone: "Europe/Berlin" }, { name: "test", ...input });
  const client = (apiKey: string, maxRetries = 0) => new OpenAI({ apiKey, baseURL, maxRetries });
  const eventsOf = (keyId: string) =>
    server.db.prisma.usageEvent.findMany({
      where: { idempotencyKey: { startsWith: `api:${keyId}:` } },
      orderBy: { reservedAt: "asc" },
    });
  const ask = { messages: [{ role: "user" as const, content: "Say hello" }] };

  it("answers a non-streaming completion with the provider's usage, charged to the owner under the key", async () => {
    const { key, secret } = await newKey();
    const reportedBefore = { ...fake.reported };
    const { data, response } = await client(secret)
      .chat.completions.create({ model: `${FAKE}/fake-usage-at-end`, ...ask })
      .withResponse();
    expect(data.object).toBe("chat.completion");
    expect(data.model).toBe(`${FAKE}/fake-usage-at-end`);
    expect(data.choices[0]!.message.content).toBe(fakeReply(WORDS));
    expect(data.choices[0]!.finish_reason).toBe("stop");
    const reported = {
      prompt: fake.reported.inputTokens - reportedBefore.inputTokens,
      completion: fake.reported.outputTokens - reportedBefore.outputTokens,
    };
    expect(data.usage).toMatchObject({ prompt_tokens: reported.prompt, completion_tokens: reported.completion });
    // Rate-limit headers of the tightest applicable limits (the free tier's daily ones here).
    expect(response.headers.get("x-ratelimit-limit-requests")).toBe("500");
    expect(response.headers.get("x-ratelimit-remaining-requests")).toMatch(/^\d+$/);
    expect(response.headers.get("x-ratelimit-reset-requests")).toMatch(/^(\d+h)?(\d+m)?\d+s$/);
    expect(response.headers.get("x-ratelimit-limit-tokens")).toBe("100000");

    const [event] = await eventsOf(key.id);
    expect(event).toMatchObject({
      subject: `user:${userId}`,
      status: "settled",
      inputTokens: reported.prompt,
      outputTokens: reported.completion,
      usageEstimated: false,
    });
    const hourly = await server.db.prisma.usageRecord.findMany({ where: { subject: `user:${userId}` } });
    expect(hourly.reduce((n, r) => n + r.requestCount, 0)).toBeGreaterThanOrEqual(1);
    expect((await server.db.prisma.apiKey.findUnique({ where: { id: key.id } }))?.lastUsedAt).not.toBeNull();
  });

  it("streams with usage in a last chunk, and the usage is what the ledger charged", async () => {
    const { key, secret } = await newKey();
    const stream = await client(secret).chat.completions.create({
      model: `${FAKE}/fake-usage-at-end`,
      ...ask,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: OpenAI.CompletionUsage | null | undefined;
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(fakeReply(WORDS));
    expect(finish).toBe("stop");
    const [event] = await eventsOf(key.id);
    expect(usage).toMatchObject({ prompt_tokens: event!.inputTokens, completion_tokens: event!.outputTokens });
    expect(event!.outputTokens).toBe(WORDS);
  });

  it("serves the AI SDK's OpenAI-compatible provider, streaming and not, with usage", async () => {
    const { secret } = await newKey();
    const wavelength = createOpenAICompatible({ name: "wavelength", baseURL, apiKey: secret, includeUsage: true });
    const generated = await generateText({ model: wavelength.chatModel("local-demo/demo-1"), prompt: "Hi there" });
    expect(generated.text).toContain('You said: "Hi there"');
    expect(generated.usage.outputTokens).toBe(countTextTokens(generated.text));
    const streamed = streamText({ model: wavelength.chatModel("demo-1"), prompt: "Hi again", maxRetries: 0 });
    expect(await streamed.text).toContain('You said: "Hi again"');
    expect((await streamed.usage).outputTokens).toBeGreaterThan(0);
  });

  it("lists the models a key may use", async () => {
    const { secret } = await newKey({ models: ["local-demo/demo-1"] });
    const ids = [];
    for await (const m of client(secret).models.list()) ids.push(m.id);
    expect(ids).toEqual(["local-demo/demo-1"]);
    const all = [];
    for await (const m of client((await newKey()).secret).models.list()) all.push(m.id);
    expect(all).toContain(`${FAKE}/fake-usage-at-end`);
  });

  it("refuses a bad, revoked or expired key with 401", async () => {
    await expect(
      client("wl_" + "x".repeat(43)).chat.completions.create({ model: "demo-1", ...ask }),
    ).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const { key, secret } = await newKey();
    await client(secret).chat.completions.create({ model: "demo-1", ...ask });
    await server.services.apiKeys.revoke({ userId, tier: "free", timeZone: "Europe/Berlin" }, key.id);
    const revoked = await client(secret)
      .chat.completions.create({ model: "demo-1", ...ask })
      .catch((e: unknown) => e);
    expect(revoked).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((revoked as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe("revoked_api_key");
    expect(await eventsOf(key.id)).toHaveLength(1);

    const expiring = await newKey({ expiresAt: new Date(Date.now() + 60_000) });
    await server.db.prisma.apiKey.update({
      where: { id: expiring.key.id },
      data: { expiresAt: new Date(Date.now() - 1) },
    });
    const expired = await client(expiring.secret)
      .chat.completions.create({ model: "demo-1", ...ask })
      .catch((e: unknown) => e);
    expect(expired).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((expired as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe("expired_api_key");
  });

  it("answers bad input with 400 naming the param, and never admits it", async () => {
    const { key, secret } = await newKey();
    const c = client(secret);
    const cases: [Record<string, unknown>, string][] = [
      [{ model: "demo-1", ...ask, max_tokens: 0 }, "max_tokens"],
      [{ model: "demo-1", ...ask, temperature: 7 }, "temperature"],
      [{ model: "demo-1", messages: [] }, "messages"],
      [{ model: "demo-1", messages: [{ role: "tool", content: "x", tool_call_id: "1" }] }, "messages[0].role"],
      [{ model: "demo-1", messages: [{ role: "user", content: [{ type: "image_url" }] }] }, "messages[0].content"],
      [{ model: "demo-1", ...ask, n: 2 }, "n"],
      [{ model: "demo-1", ...ask, max_tokens: 5_000 }, "max_tokens"],
    ];
    for (const [body, param] of cases) {
      const e = await c.chat.completions
        .create(body as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming)
        .catch((x: unknown) => x);
      expect(e, JSON.stringify(body)).toBeInstanceOf(OpenAI.BadRequestError);
      expect((e as InstanceType<typeof OpenAI.BadRequestError>).param, JSON.stringify(body)).toBe(param);
    }
    const unknown = await c.chat.completions.create({ model: "no-such-model", ...ask }).catch((x: unknown) => x);
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
    // Refusals still say where the caller stands.
    expect((unknown as InstanceType<typeof OpenAI.NotFoundError>).headers.get("x-ratelimit-limit-requests")).toBe(
      "500",
    );
    expect(await eventsOf(key.id)).toHaveLength(0);
  });

  it("refuses a model outside the key's list with 403 before admission", async () => {
    const { key, secret } = await newKey({ models: ["local-demo/demo-1"] });
    const e = await client(secret)
      .chat.completions.create({ model: `${FAKE}/fake-usage-at-end`, ...ask })
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((e as InstanceType<typeof OpenAI.PermissionDeniedError>).param).toBe("model");
    expect(await eventsOf(key.id)).toHaveLength(0);
  });

  it("denies past the key's own cap with a 429 the openai client surfaces, headers and all, without retrying", async () => {
    const { key, secret } = await newKey({ limits: { daily: { requests: 2 } } });
    const c = client(secret, 2); // the SDK's default retries: x-should-retry tells it not to bother
    await c.chat.completions.create({ model: "demo-1", ...ask, max_tokens: 8 });
    const { response } = await c.chat.completions.create({ model: "demo-1", ...ask, max_tokens: 8 }).withResponse();
    expect(response.headers.get("x-ratelimit-limit-requests")).toBe("2");
    expect(response.headers.get("x-ratelimit-remaining-requests")).toBe("0");
    const denied = await c.chat.completions.create({ model: "demo-1", ...ask, max_tokens: 8 }).catch((x: unknown) => x);
    expect(denied).toBeInstanceOf(OpenAI.RateLimitError);
    const e = denied as InstanceType<typeof OpenAI.RateLimitError>;
    expect(e.status).toBe(429);
    expect(e.code).toBe("rate_limit_exceeded");
    expect(e.type).toBe("requests");
    expect(e.message).toMatch(/API key's own limit: Daily request limit reached \(2 of 2\)/);
    expect(e.headers.get("x-ratelimit-limit-requests")).toBe("2");
    expect(e.headers.get("x-ratelimit-remaining-requests")).toBe("0");
    expect(e.headers.get("x-ratelimit-reset-requests")).toMatch(/^(\d+h)?(\d+m)?\d+s$/);
    expect(e.headers.get("x-ratelimit-limit-tokens")).toBe("100000");
    expect(Number(e.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(e.error).toMatchObject({ limit: { subject: "api_key", window: "daily", dimension: "requests", limit: 2 } });
    expect(await eventsOf(key.id)).toHaveLength(2);
    // Another key of the same owner is not held by this key's cap.
    await client((await newKey()).secret).chat.completions.create({ model: "demo-1", ...ask, max_tokens: 8 });
  });

  it("charges an aborted stream exactly what the provider streamed, reading on to its usage report", async () => {
    const { key, secret } = await newKey();
    const before = { ...fake.reported };
    const upstreamDisconnects = fake.disconnects;
    const clientDisconnects = server.services.openai.metrics.clientDisconnects;
    const stream = await client(secret).chat.completions.create({
      model: `${FAKE}/fake-slow`,
      ...ask,
      stream: true,
      stream_options: { include_usage: true },
    });
    let seen = "";
    // Leaving the loop aborts the client's request: the connection closes after the first word.
    for await (const chunk of stream) {
      seen += chunk.choices[0]?.delta.content ?? "";
      if (seen !== "") break;
    }
    expect(seen).toBe("w1");
    await server.services.openai.drain();
    expect(server.services.openai.metrics.clientDisconnects).toBe(clientDisconnects + 1);
    const [event] = await eventsOf(key.id);
    // The provider finished its reply and reported it; that is the charge, not what the client read.
    expect(fake.disconnects).toBe(upstreamDisconnects);
    expect(event).toMatchObject({
      status: "settled",
      inputTokens: fake.reported.inputTokens - before.inputTokens,
      outputTokens: fake.reported.outputTokens - before.outputTokens,
      usageEstimated: false,
    });
    expect(event!.outputTokens).toBe(WORDS);
    expect(event!.inputTokens! + event!.outputTokens!).toBeLessThanOrEqual(Number(event!.estTokens));
    expect(Number(event!.costMicros)).toBeLessThanOrEqual(Number(event!.estCostMicros));
  });

  it("counts with the tokenizer when the provider reports no usage, and flags it", async () => {
    const { key, secret } = await newKey();
    const r = await client(secret).chat.completions.create({ model: `${FAKE}/fake-no-usage`, ...ask });
    const [event] = await eventsOf(key.id);
    expect(event).toMatchObject({
      status: "settled",
      outputTokens: countTextTokens(fakeReply(WORDS)),
      usageEstimated: true,
    });
    expect(r.usage?.completion_tokens).toBe(event!.outputTokens);
  });

  it("releases a request whose provider failed before any output, with a 502", async () => {
    const { key, secret } = await newKey();
    const e = await client(secret)
      .chat.completions.create({ model: `${FAKE}/fake-error-before-first-token`, ...ask })
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(OpenAI.InternalServerError);
    expect((e as InstanceType<typeof OpenAI.InternalServerError>).status).toBe(502);
    const [event] = await eventsOf(key.id);
    expect(event?.status).toBe("released");
  });

  it("makes a retry with the same Idempotency-Key reuse the first request", async () => {
    const { key, secret } = await newKey();
    const c = client(secret);
    const body = { model: `${FAKE}/fake-usage-at-end`, ...ask, max_tokens: 20 };
    const headers = { "Idempotency-Key": "retry-me-1" };
    const first = await c.chat.completions.create(body, { headers });
    const { data: again, response } = await c.chat.completions.create(body, { headers }).withResponse();
    expect(again).toEqual(first);
    expect(response.headers.get("idempotent-replayed")).toBe("true");
    // The same answer as a stream, for a client that retries in streaming mode.
    let streamed = "";
    for await (const chunk of await c.chat.completions.create(
      { ...body, stream: true },
      { headers: { "Idempotency-Key": "retry-me-2" } },
    ))
      streamed += chunk.choices[0]?.delta.content ?? "";
    expect(streamed).toBe(fakeReply(WORDS));
    const mismatch = await c.chat.completions.create({ ...body, max_tokens: 21 }, { headers }).catch((x: unknown) => x);
    expect(mismatch).toBeInstanceOf(OpenAI.BadRequestError);
    expect((mismatch as InstanceType<typeof OpenAI.BadRequestError>).code).toBe("idempotency_key_reused");
    expect(await eventsOf(key.id)).toHaveLength(2);
  });

  it("puts the API's usage in the user's export, broken down by key", async () => {
    const { key, secret } = await newKey();
    await client(secret).chat.completions.create({ model: "demo-1", ...ask, max_tokens: 8 });
    const { session } = await server.services.auth.createSessionFor(userId);
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 3_600_000).toISOString();
    const r = await server.app.inject({
      method: "GET",
      url: `/api/usage/export?format=json&from=${from}&to=${to}`,
      cookies: { [server.services.auth.cookieName]: session.id },
    });
    expect(r.statusCode).toBe(200);
    const body = r.json<{ byKey: { keyId: string; requests: number }[]; totals: { requests: number } }>();
    expect(body.byKey.find((k) => k.keyId === key.id)).toMatchObject({ requests: 1 });
    expect(body.totals.requests).toBeGreaterThanOrEqual(body.byKey.reduce((n, k) => n + k.requests, 0));
  });

  it("admits exactly 50 of 200 concurrent requests on a key capped at 50", async () => {
    const { key, secret } = await newKey({ limits: { daily: { requests: 50 } } });
    const c = client(secret);
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) =>
        c.chat.completions.create({
          model: "local-demo/demo-1",
          messages: [{ role: "user", content: `n${i}` }],
          max_tokens: 8,
        }),
      ),
    );
    const ok = results.filter((r) => r.status === "fulfilled").length;
    const limited = results.filter((r) => r.status === "rejected" && r.reason instanceof OpenAI.RateLimitError).length;
    expect({ ok, limited }).toEqual({ ok: 50, limited: 150 });
    const events = await eventsOf(key.id);
    expect(events).toHaveLength(50);
    expect(events.every((e) => e.status === "settled")).toBe(true);
    const rows = await server.db.prisma.userQuotaLimit.findMany({ where: { subject: `key:${key.id}` } });
    expect(rows.map((r) => [r.windowType, r.requestsUsed, r.requestsReserved])).toEqual([["daily", 50, 0]]);
  });
});
