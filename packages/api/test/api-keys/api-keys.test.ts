import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiKeyIdOf, apiLedgerKey, type AuthenticatedKey } from "../../src/index.ts";
import { countTextTokens, demoReply } from "../../src/providers/index.ts";
import { DATABASE_ENGINES } from "../support/databases.ts";
import { openTestApp, userCaller, type TestApp } from "../support/services.ts";
import { memorySink } from "./support.ts";

const ask = (content: string, extra: Record<string, unknown> = {}) => ({
  model: "local-demo/demo-1",
  messages: [{ role: "user", content }],
  ...extra,
});

describe("ledger keys of the OpenAI-compatible endpoint", () => {
  it("name the API key that opened the event, and nothing else does", () => {
    expect(apiLedgerKey("k-1", "r-1")).toBe("api:k-1:r-1");
    expect(apiKeyIdOf("api:k-1:r-1")).toBe("k-1");
    expect(apiKeyIdOf("task:k-1:r-1")).toBeNull();
    expect(apiKeyIdOf("svc:api:k-1:r-1")).toBeNull();
  });
});

for (const engine of DATABASE_ENGINES) {
  describe(`personal API keys (${engine})`, () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await openTestApp(engine);
    });
    afterAll(() => app.close());

    const authenticated = async (secret: string): Promise<AuthenticatedKey> => {
      const auth = await app.services.apiKeys.authenticate(secret);
      if (!auth.ok) throw new Error(`key refused: ${auth.reason}`);
      return auth.key;
    };
    const complete = async (secret: string, body: unknown) => {
      const { sink, result } = memorySink();
      await app.services.openai.completions(await authenticated(secret), body, null, sink);
      return result;
    };

    it("shows the secret once and stores only its SHA-256 and a prefix", async () => {
      const { caller, user } = await userCaller(app.services);
      const created = await caller.apiKeys.create({ name: "laptop" });
      expect(created.secret).toMatch(/^wl_[A-Za-z0-9_-]{43}$/);
      expect(created.key).toMatchObject({ name: "laptop", status: "active", prefix: created.secret.slice(0, 11) });
      const row = await app.db.prisma.apiKey.findUniqueOrThrow({ where: { id: created.key.id } });
      expect(JSON.stringify(row, (_, v: unknown) => (typeof v === "bigint" ? String(v) : v))).not.toContain(
        created.secret.slice(11),
      );
      expect(row.secretHash).toMatch(/^[0-9a-f]{64}$/);
      const listed = await caller.apiKeys.list();
      expect(listed.map((k) => k.id)).toEqual([created.key.id]);
      expect(JSON.stringify(listed)).not.toContain(created.secret);
      expect((await authenticated(created.secret)).userId).toBe(user.id);
      expect(await app.services.apiKeys.authenticate("wl_not-a-key")).toEqual({ ok: false, reason: "invalid" });
      expect(await app.services.apiKeys.authenticate(null)).toEqual({ ok: false, reason: "missing" });
    });

    it("refuses a past expiry, an unknown model and more keys than allowed", async () => {
      const { caller } = await userCaller(app.services);
      await expect(
        caller.apiKeys.create({ name: "old", expiresAt: new Date(Date.now() - 1_000) }),
      ).rejects.toMatchObject({
        code: "BAD_REQUEST",
        message: expect.stringContaining("expiresAt") as unknown,
      });
      await expect(caller.apiKeys.create({ name: "x", models: ["openai/no-such-model"] })).rejects.toMatchObject({
        code: "BAD_REQUEST",
        message: expect.stringContaining("models.0") as unknown,
      });
      for (let i = 0; i < 20; i++) await caller.apiKeys.create({ name: `k${i}` });
      await expect(caller.apiKeys.create({ name: "one too many" })).rejects.toMatchObject({ code: "CONFLICT" });
      const [first] = await caller.apiKeys.list();
      await caller.apiKeys.revoke({ id: first!.id });
      await caller.apiKeys.create({ name: "after a revoke" });
    });

    it("revokes at once, by the owner or an operator (audited)", async () => {
      const { caller, user } = await userCaller(app.services);
      const a = await caller.apiKeys.create({ name: "a" });
      const b = await caller.apiKeys.create({ name: "b" });
      expect((await caller.apiKeys.revoke({ id: a.key.id })).status).toBe("revoked");
      expect(await app.services.apiKeys.authenticate(a.secret)).toEqual({ ok: false, reason: "revoked" });
      const operator = await userCaller(app.services, { role: "admin" });
      const listed = await operator.caller.admin.apiKeys({ search: b.key.prefix });
      expect(listed.map((k) => k.id)).toEqual([b.key.id]);
      await operator.caller.admin.revokeApiKey({ id: b.key.id });
      expect(await app.services.apiKeys.authenticate(b.secret)).toEqual({ ok: false, reason: "revoked" });
      const audit = await app.db.prisma.auditLog.findFirst({ where: { target: `key:${b.key.id}` } });
      expect(audit).toMatchObject({ action: "apiKeys.revoke", actor: `admin:${operator.user.id}` });
      const all = await operator.caller.admin.apiKeys({ userId: user.id, includeRevoked: true });
      expect(all.map((k) => k.status).sort()).toEqual(["revoked", "revoked"]);
    });

    it("stacks the key's limits on its owner's in one admission: the tighter one binds, named", async () => {
      const { caller, user, subject } = await userCaller(app.services);
      await app.services.engine.setOverride(
        { key: subject as `user:${string}`, tier: "free", timeZone: user.timezone },
        { window: "daily", scope: "general", provider: "", model: "", requests: 3, tokens: null, costMicros: null },
        null,
      );
      const capped = await caller.apiKeys.create({ name: "capped", limits: { daily: { requests: 1 } } });
      const open = await caller.apiKeys.create({ name: "open" });
      expect((await complete(capped.secret, ask("one"))).status).toBe(200);
      const keyDenied = await complete(capped.secret, ask("two"));
      expect(keyDenied.status).toBe(429);
      expect(keyDenied.body).toMatchObject({ error: { code: "rate_limit_exceeded", limit: { subject: "api_key" } } });
      expect((await complete(open.secret, ask("two"))).status).toBe(200);
      expect((await complete(open.secret, ask("three"))).status).toBe(200);
      // The owner's cap holds across all of its keys.
      const ownerDenied = await complete(open.secret, ask("four"));
      expect(ownerDenied.status).toBe(429);
      expect(ownerDenied.body).toMatchObject({ error: { limit: { subject: "account", limit: 3 } } });
      expect((ownerDenied.body as { error: { message: string } }).error.message).toMatch(/^Your account's limit/);
      expect(ownerDenied.headers).toMatchObject({
        "x-ratelimit-limit-requests": "3",
        "x-ratelimit-remaining-requests": "0",
      });
      // Refusals are counted as blocked requests of the owner, like the chat page's.
      expect(await app.db.prisma.quotaDenial.count({ where: { subject } })).toBe(2);
    });

    it("holds a key's token cap with the reservation of max tokens, then charges the real usage", async () => {
      const { caller, subject } = await userCaller(app.services);
      const key = await caller.apiKeys.create({ name: "tokens", limits: { daily: { tokens: 200 } } });
      const first = await complete(key.secret, ask("hello", { max_tokens: 150 }));
      expect(first.status).toBe(200);
      const charged = (first.body as { usage: { total_tokens: number } }).usage.total_tokens;
      const rows = await app.db.prisma.userQuotaLimit.findMany({ where: { subject: `key:${key.key.id}` } });
      expect(rows.map((r) => [Number(r.tokensUsed), Number(r.tokensReserved)])).toEqual([[charged, 0]]);
      const second = await complete(key.secret, ask("hello", { max_tokens: 150 }));
      expect(second.status).toBe(429);
      expect(second.body).toMatchObject({
        error: { type: "tokens", limit: { subject: "api_key", dimension: "tokens" } },
      });
      // The owner's own rows carry the same charge.
      const own = await app.services.engine.statuses({
        key: subject as `user:${string}`,
        tier: "free",
        timeZone: "UTC",
      });
      expect(own.find((q) => q.window === "daily" && q.scope === "general" && q.dimension === "tokens")?.used).toBe(
        charged,
      );
    });

    it("shows the API's usage broken down by key in profile.usage, beside the chat page's", async () => {
      const { caller } = await userCaller(app.services);
      const a = await caller.apiKeys.create({ name: "script A" });
      const b = await caller.apiKeys.create({ name: "script B" });
      await complete(a.secret, ask("a1"));
      await complete(a.secret, ask("a2"));
      await complete(b.secret, ask("b1"));
      await caller.chat.send({ provider: "local-demo", model: "demo-1", content: "from the chat page" });
      await app.services.chat.drain();
      const usage = await caller.profile.usage({
        from: new Date(Date.now() - 3_600_000),
        to: new Date(Date.now() + 3_600_000),
        granularity: "hour",
      });
      expect(usage.totals.requests).toBe(4);
      const byKey = Object.fromEntries(usage.byKey.map((k) => [k.name, k]));
      expect(byKey["script A"]).toMatchObject({ keyId: a.key.id, prefix: a.key.prefix, requests: 2, revoked: false });
      expect(byKey["script B"]).toMatchObject({ requests: 1 });
      const events = await app.db.prisma.usageEvent.findMany({
        where: { idempotencyKey: { startsWith: `api:${a.key.id}:` } },
      });
      expect(byKey["script A"]!.inputTokens + byKey["script A"]!.outputTokens).toBe(
        events.reduce((n, e) => n + e.inputTokens! + e.outputTokens!, 0),
      );
    });
  });
}

describe("a client that hangs up", () => {
  let app: TestApp;
  beforeAll(async () => {
    // A slow demo model (its whole reply takes many seconds) and no patience after a hang-up.
    app = await openTestApp("pglite", {
      providers: { demo: { enabled: true, tokenDelayMs: 200 } },
      openaiCompat: { drainLimitMs: 1 },
    });
  });
  afterAll(() => app.close());

  it("past the drain limit: the provider is cut and what arrived is counted, flagged estimated", async () => {
    const { caller } = await userCaller(app.services);
    const { secret, key } = await caller.apiKeys.create({ name: "k" });
    const auth = await app.services.apiKeys.authenticate(secret);
    if (!auth.ok) throw new Error("key refused");
    // role chunk, then the first word: hang up.
    const { sink, result } = memorySink({ hangUpAfterEvents: 2 });
    const body = ask("a question whose answer is long", { stream: true });
    await app.services.openai.completions(auth.key, body, null, sink);
    expect(result.ended).toBe(false);
    const [event] = await app.db.prisma.usageEvent.findMany({
      where: { idempotencyKey: { startsWith: `api:${key.id}:` } },
    });
    const whole = countTextTokens(demoReply([{ role: "user", content: body.messages[0]!.content }]));
    expect(event).toMatchObject({ status: "settled", usageEstimated: true });
    expect(event!.outputTokens).toBeGreaterThan(0);
    expect(event!.outputTokens).toBeLessThan(whole);
  });
});
