import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@wavelength/db";
import { MAX_BATCH_SIZE } from "../src/app.ts";
import { openTestServer, type TestServer } from "./support/test-server.ts";

const ADMIN_TOKEN = "test-admin-token-0123456789";
/** The quota subject behind a signed anonymous cookie value ("<id>.<signature>"). */
const anonSubject = (cookieValue: string) => `anon:${cookieValue.slice(0, cookieValue.lastIndexOf("."))}`;

describe("HTTP host", () => {
  let server: TestServer;
  let db: Database;
  let app: FastifyInstance;

  beforeAll(async () => {
    server = await openTestServer({ ADMIN_TOKEN, TRUSTED_PROXIES: "10.0.0.1" });
    ({ app, db } = server);
  });
  afterAll(() => server.close());

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    app.inject({
      method: "POST",
      url: path,
      payload: JSON.stringify(body),
      headers: { "content-type": "application/json", ...headers },
    });

  it("reports health", async () => {
    const r = await app.inject({ method: "GET", url: "/api/health" });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ status: "ok", database: "up" });
  });

  it("issues a signed HttpOnly SameSite=Lax anonymous cookie and keeps the visitor across requests", async () => {
    const first = await app.inject({
      method: "GET",
      url: "/api/trpc/usage.status",
      headers: { "x-time-zone": "Europe/Berlin" },
    });
    expect(first.statusCode).toBe(200);
    const cookie = first.cookies.find((c) => c.name === "wl_anon");
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Lax", path: "/" });
    expect(cookie?.value).toMatch(/^[0-9a-f-]{36}\.[A-Za-z0-9+/=_-]+$/); // id.signature
    // The zone is stored with the visitor's row, which its first send creates (the SPA sends the header every time).
    const send = await post(
      "/api/trpc/chat.send",
      { json: { provider: "local-demo", model: "demo-1", content: "Hello", idempotencyKey: "http-key-1" } },
      { cookie: `wl_anon=${cookie!.value}`, "x-time-zone": "Europe/Berlin" },
    );
    expect(send.statusCode).toBe(200);
    // The visitor itself cannot: a service call without the token is a 401.
    const own = await post(
      "/api/trpc/usage.reserve",
      {
        json: {
          subject: anonSubject(cookie!.value),
          provider: "local-demo",
          model: "demo-1",
          estimatedTokens: 10,
          estimatedCostMicros: 0,
          idempotencyKey: "http-key-2",
        },
      },
      { cookie: `wl_anon=${cookie!.value}` },
    );
    expect(own.statusCode).toBe(401);
    const again = await app.inject({
      method: "GET",
      url: "/api/trpc/usage.status",
      headers: { cookie: `wl_anon=${cookie!.value}`, "x-time-zone": "Asia/Tokyo" },
    });
    expect(again.cookies.find((c) => c.name === "wl_anon")).toBeUndefined();
    const data = again.json().result.data.json;
    expect(data.timeZone).toBe("Europe/Berlin");
    expect(data.binding).toMatchObject({ used: 1, limit: 50 });
  });

  it("replaces a tampered anonymous cookie with a fresh visitor", async () => {
    const r = await app.inject({
      method: "GET",
      url: "/api/trpc/usage.status",
      headers: { cookie: "wl_anon=00000000-0000-4000-8000-000000000000.forged" },
    });
    expect(r.statusCode).toBe(200);
    const fresh = r.cookies.find((c) => c.name === "wl_anon");
    expect(fresh?.value.startsWith("00000000-0000-4000-8000-000000000000")).toBe(false);
  });

  it("refuses cross-origin mutations and accepts same-origin ones", async () => {
    const body = { json: { provider: "local-demo", model: "demo-1" } };
    expect((await post("/api/trpc/usage.check", body, { origin: "http://evil.example" })).statusCode).toBe(403);
    expect((await post("/api/trpc/usage.check", body, { "sec-fetch-site": "cross-site" })).statusCode).toBe(403);
    expect((await post("/api/trpc/usage.check", body, { origin: "null" })).statusCode).toBe(403);
    const same = await post("/api/trpc/usage.check", body, { origin: "http://localhost:3000", host: "localhost:3000" });
    expect(same.statusCode).toBe(200);
    expect(same.json().result.data.json.canProceed).toBe(true);
  });

  it("refuses non-JSON bodies (no form posts)", async () => {
    const r = await app.inject({
      method: "POST",
      url: "/api/trpc/usage.check",
      payload: "provider=openai",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(r.statusCode).toBe(415);
    expect(r.body).not.toMatch(/at .*\.ts/);
  });

  it("refuses malformed JSON with a 400 and no stack trace", async () => {
    const r = await app.inject({
      method: "POST",
      url: "/api/trpc/usage.check",
      payload: "{nope",
      headers: { "content-type": "application/json" },
    });
    expect(r.statusCode).toBe(400);
    expect(r.body).not.toMatch(/\bat \S+ \(/);
  });

  it("refuses bad input with BAD_REQUEST naming the field", async () => {
    for (const input of [
      { provider: "local-demo", model: "demo-1", estimatedTokens: -1 },
      { provider: "local-demo", model: "demo-1", estimatedTokens: 1.5 },
      { provider: "local-demo", model: "demo-1", estimatedTokens: "NaN" },
      { provider: "local-demo", model: "demo-1", estimatedTokens: 1e20 },
      { provider: "local-demo", model: "demo-1", surprise: true },
      { provider: "x".repeat(500), model: "demo-1" },
    ]) {
      const r = await post("/api/trpc/usage.check", { json: input });
      expect(r.statusCode, JSON.stringify(input)).toBe(400);
      const err = r.json().error.json;
      expect(err.data.code).toBe("BAD_REQUEST");
      expect(Object.keys(err.data.fieldErrors ?? {}).length).toBeGreaterThan(0);
      expect(r.body).not.toMatch(/\bat \S+ \(/);
    }
  });

  it("denies past the limit with 429 carrying data.quota", async () => {
    const first = await app.inject({ method: "GET", url: "/api/trpc/usage.status" });
    const anon = first.cookies.find((c) => c.name === "wl_anon")!.value;
    const cookie = `wl_anon=${anon}`;
    const service = { authorization: `Bearer ${ADMIN_TOKEN}` };
    for (let i = 0; i < 50; i++) {
      const r = await post(
        "/api/trpc/usage.reserve",
        {
          json: {
            subject: anonSubject(anon),
            provider: "local-demo",
            model: "demo-1",
            estimatedTokens: 1,
            estimatedCostMicros: 0,
            idempotencyKey: `deny-key-${i}`,
          },
        },
        service,
      );
      expect(r.statusCode).toBe(200);
    }
    // The visitor's own next send is refused, naming the limit.
    const r = await post(
      "/api/trpc/chat.send",
      { json: { provider: "local-demo", model: "demo-1", content: "one more" } },
      { cookie },
    );
    expect(r.statusCode).toBe(429);
    const data = r.json().error.json.data;
    expect(data.appError.code).toBe("QUOTA_EXCEEDED");
    expect(data.quota[0]).toMatchObject({
      scope: "general",
      window: "daily",
      dimension: "requests",
      limit: 50,
      remaining: 0,
    });
  });

  it("refuses a batch larger than the maximum", async () => {
    const n = MAX_BATCH_SIZE + 1;
    const paths = Array.from({ length: n }, () => "usage.status").join(",");
    const input = Object.fromEntries(Array.from({ length: n }, (_, i) => [i, {}]));
    const r = await app.inject({
      method: "GET",
      url: `/api/trpc/${paths}?batch=1&input=${encodeURIComponent(JSON.stringify(input))}`,
    });
    expect(r.statusCode).toBe(400);
  });

  it("ignores X-Forwarded-For from untrusted peers: the address cap cannot be dodged by spoofing", async () => {
    // 4 fresh visitors each claiming another address, all from one real peer: one cap.
    const ipHashes = new Set<string>();
    for (let i = 0; i < 4; i++) {
      // A check counts: it creates the visitor's row, with the address hash.
      const r = await post(
        "/api/trpc/usage.check",
        { json: { provider: "local-demo", model: "demo-1" } },
        { "x-forwarded-for": `203.0.113.${i}` },
      );
      expect(r.statusCode).toBe(200);
      const anon = r.cookies.find((c) => c.name === "wl_anon")!.value.split(".")[0]!;
      const row = await db.prisma.anonymousSession.findUnique({ where: { anonymousId: anon } });
      ipHashes.add(row!.ipHash!);
    }
    expect(ipHashes.size).toBe(1);
  });

  it("serves system quota health to monitors with the admin token only", async () => {
    expect((await app.inject({ method: "GET", url: "/api/usage/status" })).statusCode).toBe(401);
    expect(
      (
        await app.inject({
          method: "GET",
          url: "/api/usage/status",
          headers: { authorization: "Bearer wrong-token-xxxxxxxx" },
        })
      ).statusCode,
    ).toBe(401);
    const r = await app.inject({
      method: "GET",
      url: "/api/usage/status",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({
      database: "up",
      failMode: "open",
      reservations: { inFlight: expect.any(Number) },
    });
    expect(r.json().subjectsAtLimit).toBeGreaterThanOrEqual(1);
  });

  it("lets the admin token call operator procedures, and nobody else", async () => {
    const anon = await post("/api/trpc/usage.resetExpired", {});
    expect(anon.statusCode).toBe(403);
    const admin = await post("/api/trpc/usage.resetExpired", {}, { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(admin.statusCode).toBe(200);
  });
});
