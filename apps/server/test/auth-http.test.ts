import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@wavelength/db";
import { injectedProof } from "./support/proof.ts";
import { openTestServer, type TestServer } from "./support/test-server.ts";

const ADMIN_TOKEN = "auth-test-admin-token-0123";

/** A browser in miniature: keeps cookies between requests like Chromium would for one site. */
class Browser {
  private jar = new Map<string, string>();
  constructor(private readonly app: FastifyInstance) {}
  private remember(r: LightMyRequestResponse) {
    for (const c of r.cookies) {
      if (c.maxAge === 0 || c.value === "") this.jar.delete(c.name);
      else this.jar.set(c.name, c.value);
    }
    return r;
  }
  cookie(name: string) {
    return this.jar.get(name);
  }
  private header() {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join("; ");
  }
  async query(path: string, headers: Record<string, string> = {}) {
    return this.remember(
      await this.app.inject({
        method: "GET",
        url: `/api/trpc/${path}`,
        headers: { cookie: this.header(), ...headers },
      }),
    );
  }
  /** auth.signUp with a freshly solved proof of work, as the SPA sends it. */
  async signUp(input: Record<string, unknown>) {
    return this.mutate("auth.signUp", { ...input, proof: await injectedProof(this.app) });
  }
  async mutate(path: string, input: unknown, headers: Record<string, string> = {}) {
    return this.remember(
      await this.app.inject({
        method: "POST",
        url: `/api/trpc/${path}`,
        payload: JSON.stringify({ json: input }),
        headers: { "content-type": "application/json", cookie: this.header(), ...headers },
      }),
    );
  }
}

describe("accounts over HTTP", () => {
  let server: TestServer;
  let db: Database;
  let app: FastifyInstance;
  beforeAll(async () => {
    server = await openTestServer({ ADMIN_TOKEN });
    ({ app, db } = server);
  });
  afterAll(() => server.close());

  const email = () => `Someone.${Math.random().toString(36).slice(2)}@Example.com `;

  it("signs a guest up: session cookie set, conversation and today's count carried over, not reset", async () => {
    const b = new Browser(app);
    await b.query("usage.status", { "x-time-zone": "Europe/Berlin" });
    // A trusted service reports the guest's usage (reserve, then settle through sync).
    const guest = `anon:${b.cookie("wl_anon")!.split(".")[0]!}`;
    const service = { authorization: `Bearer ${ADMIN_TOKEN}` };
    for (let i = 0; i < 3; i++) {
      const r = await b.mutate(
        "usage.reserve",
        {
          subject: guest,
          provider: "local-demo",
          model: "demo-1",
          estimatedTokens: 5,
          estimatedCostMicros: 0,
          idempotencyKey: `guest-key-${i}`,
        },
        service,
      );
      expect(r.statusCode).toBe(200);
      await b.mutate(
        "usage.sync",
        {
          subject: guest,
          records: [
            {
              idempotencyKey: `guest-key-${i}`,
              provider: "local-demo",
              model: "demo-1",
              inputTokens: 2,
              outputTokens: 3,
              occurredAt: new Date().toISOString(),
            },
          ],
        },
        service,
      );
    }
    const anonId = b.cookie("wl_anon")!.split(".")[0]!;
    await db.prisma.conversation.create({ data: { subject: `anon:${anonId}`, title: "Before sign-up" } });

    const addr = email();
    const up = await b.signUp({ email: addr, password: "correct horse battery", name: "Ada" });
    expect(up.statusCode).toBe(200);
    const session = up.cookies.find((c) => c.name === "wl_session");
    expect(session).toMatchObject({ httpOnly: true, sameSite: "Lax", path: "/" });
    const body = up.json().result.data.json;
    expect(body.user.email).toBe(addr.trim().toLowerCase());
    expect(body.migration).toMatchObject({ status: "migrated", conversations: 1, events: 3 });

    const me = (await b.query("auth.me")).json().result.data.json;
    expect(me).toMatchObject({ kind: "user", user: { email: addr.trim().toLowerCase(), tier: "free" } });
    const status = (await b.query("usage.status")).json().result.data.json as {
      tier: string;
      quotas: { window: string; scope: string; dimension: string }[];
    };
    expect(status.tier).toBe("free");
    expect(
      status.quotas.find((q) => q.window === "daily" && q.scope === "general" && q.dimension === "requests"),
    ).toMatchObject({ used: 3, limit: 500 });
  });

  it("signs in and out; the old session stops working; wrong password and unknown email read the same", async () => {
    const addr = email();
    const a = new Browser(app);
    expect((await a.signUp({ email: addr, password: "pass-phrase-123" })).statusCode).toBe(200);
    const firstSession = a.cookie("wl_session");

    const wrong = await new Browser(app).mutate("auth.signIn", { email: addr, password: "nope-nope" });
    const unknown = await new Browser(app).mutate("auth.signIn", { email: `x${addr}`, password: "nope-nope" });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json().error.json.message).toBe(unknown.json().error.json.message);

    const b = new Browser(app);
    const ok = await b.mutate("auth.signIn", { email: addr.toUpperCase(), password: "pass-phrase-123" });
    expect(ok.statusCode).toBe(200);
    expect(b.cookie("wl_session")).not.toBe(firstSession);

    const out = await b.mutate("auth.signOut", {});
    expect(out.statusCode).toBe(200);
    expect(out.cookies.find((c) => c.name === "wl_session")?.value).toBe("");
    // Replaying the signed-out session is an anonymous visitor now.
    const replay = await app.inject({
      method: "GET",
      url: "/api/trpc/auth.me",
      headers: { cookie: `wl_session=${ok.cookies.find((c) => c.name === "wl_session")!.value}` },
    });
    expect(replay.json().result.data.json.kind).toBe("anonymous");
    expect((await a.query("auth.me")).json().result.data.json.kind).toBe("user");
  });

  it("treats an expired session as signed out and clears its cookie", async () => {
    const b = new Browser(app);
    await b.signUp({ email: email(), password: "pass-phrase-123" });
    const id = b.cookie("wl_session")!;
    await db.prisma.session.update({ where: { id }, data: { expiresAt: new Date(Date.now() - 1_000) } });
    const r = await b.query("auth.me");
    expect(r.json().result.data.json.kind).toBe("anonymous");
    expect(r.cookies.find((c) => c.name === "wl_session")?.value).toBe("");
    expect((await b.mutate("auth.signOut", {})).statusCode).toBe(401);
  });

  it("refuses duplicate e-mails, bad input and cross-origin sign-ins", async () => {
    const addr = email();
    expect((await new Browser(app).signUp({ email: addr, password: "pass-phrase-123" })).statusCode).toBe(200);
    // Refused for what it is (see README, "Accounts and guests": sign-up is throttled instead).
    const dup = await new Browser(app).signUp({
      email: addr.toUpperCase(),
      password: "pass-phrase-456",
    });
    expect(dup.statusCode).toBe(409);
    for (const input of [
      { email: "not-an-email", password: "pass-phrase-123" },
      { email: email(), password: "" },
      { email: email(), password: "x".repeat(10_240) },
      { email: email(), password: "pass-phrase-123", timezone: "Nowhere/Land" },
      { email: email(), password: "pass-phrase-123", tier: "pro" },
    ]) {
      const r = await new Browser(app).mutate("auth.signUp", input);
      expect(r.statusCode, JSON.stringify(input).slice(0, 60)).toBe(400);
      expect(Object.keys(r.json().error.json.data.fieldErrors).length).toBeGreaterThan(0);
    }
    const cross = await new Browser(app).mutate(
      "auth.signIn",
      { email: addr, password: "pass-phrase-123" },
      { origin: "https://evil.example" },
    );
    expect(cross.statusCode).toBe(403);
    expect(cross.cookies.find((c) => c.name === "wl_session")).toBeUndefined();
  });

  it("throttles repeated failed sign-ins with 429, even with the right password, in browsers the account never used", async () => {
    const addr = email();
    const owner = new Browser(app);
    await owner.signUp({ email: addr, password: "pass-phrase-123" });
    const codes: number[] = [];
    // From the fourth attempt on, a proof of work is asked for (and solved, as the SPA does).
    for (let i = 0; i < 6; i++) {
      const proof = i >= 3 ? await injectedProof(app) : undefined;
      codes.push(
        (await new Browser(app).mutate("auth.signIn", { email: addr, password: `wrong-${i}`, proof })).statusCode,
      );
    }
    expect(codes.slice(0, 5).every((c) => c === 401)).toBe(true);
    expect(codes[5]).toBe(429);
    const right = await new Browser(app).mutate("auth.signIn", {
      email: addr,
      password: "pass-phrase-123",
      proof: await injectedProof(app),
    });
    expect(right.statusCode).toBe(429);
    // The browser that created the account has its device cookie, and its own budget.
    expect(owner.cookie("wl_device")).toBeDefined();
    expect((await owner.mutate("auth.signIn", { email: addr, password: "pass-phrase-123" })).statusCode).toBe(200);
  });
});
