import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFleet, type Fleet } from "./support/fleet.ts";
import { signUp, unwrap } from "./support/visitor.ts";

// Issue 15 over real HTTP: the official openai client against three server processes sharing one
// PostgreSQL. A key's cap holds exactly however the requests are spread over the instances, and a
// revoke on one instance stops the key on every other at once.
describe("the OpenAI-compatible endpoint on several instances", () => {
  let fleet: Fleet;
  let urls: string[];

  beforeAll(async () => {
    fleet = await startFleet(3, { demoTokenDelayMs: 0 });
    urls = fleet.liveUrls();
  });
  afterAll(async () => {
    await fleet?.close();
  });

  const clientAt = (i: number, apiKey: string) =>
    new OpenAI({ apiKey, baseURL: `${urls[i % urls.length]!}/v1`, maxRetries: 0 });

  it("admits exactly 50 of 200 concurrent requests on a key capped at 50, spread over 3 instances", async () => {
    const owner = await signUp(urls[0]!, "10.15.0.1", "api-cap");
    const created = unwrap(
      await owner.visitor.mutate<{ key: { id: string }; secret: string }>(urls[0]!, "apiKeys.create", {
        name: "capped",
        limits: { daily: { requests: 50 } },
      }),
      "apiKeys.create",
    );
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) =>
        clientAt(i, created.secret).chat.completions.create({
          model: "local-demo/demo-1",
          messages: [{ role: "user", content: `request ${i}` }],
          max_tokens: 8,
          ...(i % 2 === 0 ? { stream: false } : {}),
        }),
      ),
    );
    const ok = results.filter((r) => r.status === "fulfilled").length;
    const limited = results.filter((r) => r.status === "rejected" && r.reason instanceof OpenAI.RateLimitError);
    const other = results.filter((r) => r.status === "rejected" && !(r.reason instanceof OpenAI.RateLimitError));
    expect(other.map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
    expect({ ok, limited: limited.length }).toEqual({ ok: 50, limited: 150 });

    const events = await fleet.db.query<{ status: string; n: number }>(
      `SELECT status::text, count(*)::int AS n FROM usage_events WHERE idempotency_key LIKE $1 GROUP BY status`,
      [`api:${created.key.id}:%`],
    );
    expect(events).toEqual([{ status: "settled", n: 50 }]);
    const rows = await fleet.db.query<{ used: number; reserved: number; limit: number }>(
      `SELECT requests_used AS used, requests_reserved AS reserved, request_limit AS "limit"
       FROM user_quota_limits WHERE subject = $1`,
      [`key:${created.key.id}`],
    );
    expect(rows).toEqual([{ used: 50, reserved: 0, limit: 50 }]);
    // The owner's own rows counted the same 50, charged as the ledger says.
    const [own] = await fleet.db.query<{ used: number; reserved: number }>(
      `SELECT requests_used AS used, requests_reserved AS reserved FROM user_quota_limits
       WHERE subject = $1 AND window_type = 'daily' AND scope = 'general'`,
      [`user:${owner.userId}`],
    );
    expect(own).toEqual({ used: 50, reserved: 0 });
  });

  it("streams with usage from one instance, and a revoke on another stops the key everywhere", async () => {
    const owner = await signUp(urls[1]!, "10.15.0.2", "api-revoke");
    const created = unwrap(
      await owner.visitor.mutate<{ key: { id: string }; secret: string }>(urls[1]!, "apiKeys.create", { name: "k" }),
      "apiKeys.create",
    );
    const stream = await clientAt(2, created.secret).chat.completions.create({
      model: "demo-1",
      messages: [{ role: "user", content: "Stream me" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      usage = chunk.usage ?? usage;
    }
    expect(text).toContain('You said: "Stream me"');
    const [event] = await fleet.db.query<{ input: number; output: number }>(
      `SELECT input_tokens AS input, output_tokens AS output FROM usage_events WHERE idempotency_key LIKE $1`,
      [`api:${created.key.id}:%`],
    );
    expect(usage).toMatchObject({ prompt_tokens: event!.input, completion_tokens: event!.output });

    unwrap(await owner.visitor.mutate(urls[0]!, "apiKeys.revoke", { id: created.key.id }), "apiKeys.revoke");
    for (let i = 0; i < 3; i++) {
      const refused = await clientAt(i, created.secret)
        .chat.completions.create({ model: "demo-1", messages: [{ role: "user", content: "again" }] })
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(OpenAI.AuthenticationError);
    }
  });
});
