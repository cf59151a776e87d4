import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_BATCH_SIZE } from "../src/app.ts";
import { startFleet, type Fleet } from "./support/fleet.ts";
import { DEFAULT_SIGN_UP_THROTTLE } from "@wavelength/api";
import { Visitor, signUp, solvedProof, unwrap } from "./support/visitor.ts";

// What apps/server/test does not already cover through fastify's inject: session fixation,
// oversized batches and the sign-up and sign-in doors (issue 10) against a real server process
// (production settings but a cheap proof of work) on PostgreSQL over real HTTP. Issue 10's
// hardening attacks (rows for cookieless reads, TRACE, unbounded and malformed bodies, look-alike
// Origins, missing security headers, 500s while the database is away) are in
// apps/server/test/hardening.test.ts, also over real HTTP, so that they run in `npm test` too.
describe("security over real HTTP", () => {
  let fleet: Fleet;
  let url: string;

  beforeAll(async () => {
    fleet = await startFleet(1, {});
    url = fleet.servers[0]!.url;
  });
  afterAll(async () => {
    await fleet?.close();
  });

  const me = async (cookie: string) => {
    const r = await fetch(`${url}/api/trpc/auth.me`, { headers: { cookie } });
    return ((await r.json()) as { result: { data: { json: { kind: string; user?: { id: string } } } } }).result.data
      .json;
  };

  it("never adopts a session id planted before sign-up or sign-in", async () => {
    const planted = randomBytes(24).toString("hex");
    const browser = new Visitor({ "x-forwarded-for": "10.55.0.1" });
    browser.plantCookie("wl_session", planted);
    const email = `fixation.${Math.random().toString(36).slice(2)}@reliability.test`;
    const up = unwrap(
      await browser.mutate<{ user: { id: string } }>(url, "auth.signUp", {
        email,
        password: "correct horse battery",
        proof: await solvedProof(url),
      }),
      "auth.signUp",
    );
    const afterSignUp = browser.cookie("wl_session");
    expect(afterSignUp).toBeDefined();
    expect(afterSignUp).not.toBe(planted);
    // The planted id is nobody's session; the issued one is the new account's.
    expect(await me(`wl_session=${planted}`)).toMatchObject({ kind: "anonymous" });
    expect(await me(`wl_session=${afterSignUp}`)).toMatchObject({ kind: "user", user: { id: up.user.id } });

    // Sign in again with an id planted in the jar: a fresh id again, the planted one still nothing.
    const again = new Visitor({ "x-forwarded-for": "10.55.0.2" });
    again.plantCookie("wl_session", planted);
    unwrap(await again.mutate(url, "auth.signIn", { email, password: "correct horse battery" }), "auth.signIn");
    expect(again.cookie("wl_session")).not.toBe(planted);
    expect(again.cookie("wl_session")).not.toBe(afterSignUp);
    expect(await me(`wl_session=${planted}`)).toMatchObject({ kind: "anonymous" });
  });

  it("does not let an attacker's own session, planted in a victim's browser, become the victim's", async () => {
    const attacker = await signUp(url, "10.55.1.1", "attacker");
    const attackerSession = attacker.visitor.cookie("wl_session")!;
    const victim = await signUp(url, "10.55.1.2", "victim");

    const browser = new Visitor({ "x-forwarded-for": "10.55.1.3" });
    browser.plantCookie("wl_session", attackerSession);
    const signedIn = unwrap(
      await browser.mutate<{ user: { id: string } }>(url, "auth.signIn", {
        email: victim.email,
        password: "correct horse battery",
      }),
      "auth.signIn",
    );
    expect(signedIn.user.id).toBe(victim.userId);
    const victimSession = browser.cookie("wl_session")!;
    expect(victimSession).not.toBe(attackerSession);
    expect(await me(`wl_session=${victimSession}`)).toMatchObject({ kind: "user", user: { id: victim.userId } });
    // What the attacker holds never reads as the victim.
    expect(await me(`wl_session=${attackerSession}`)).not.toMatchObject({ user: { id: victim.userId } });
  });

  it("refuses an oversized batch of sends before admitting any, and an oversized body", async () => {
    const visitor = new Visitor({ "x-forwarded-for": "10.55.2.1" });
    unwrap(await visitor.query(url, "auth.me"), "auth.me");
    const n = MAX_BATCH_SIZE + 1;
    const paths = Array.from({ length: n }, () => "chat.send").join(",");
    const body = Object.fromEntries(
      Array.from({ length: n }, (_, i) => [
        i,
        { json: { provider: "local-demo", model: "demo-1", content: `batched ${i}` } },
      ]),
    );
    const batch = await visitor.raw(`${url}/api/trpc/${paths}?batch=1`, {
      method: "POST",
      body: JSON.stringify(body),
      headers: { "content-type": "application/json" },
    });
    await batch.arrayBuffer();
    expect(batch.status).toBe(400);
    const [ledger] = await fleet.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM usage_events`);
    expect(ledger!.n).toBe(0);

    // The largest allowed batch goes through, so the refusal above is the size and nothing else.
    const allowed = Array.from({ length: MAX_BATCH_SIZE }, () => "auth.me").join(",");
    const ok = await visitor.raw(`${url}/api/trpc/${allowed}?batch=1&input=${encodeURIComponent("{}")}`, {
      method: "GET",
    });
    await ok.arrayBuffer();
    expect(ok.status).toBe(200);

    const huge = await visitor.raw(`${url}/api/trpc/chat.send`, {
      method: "POST",
      body: JSON.stringify({ json: { provider: "local-demo", model: "demo-1", content: "x".repeat(1_100_000) } }),
      headers: { "content-type": "application/json" },
    });
    await huge.arrayBuffer();
    expect(huge.status).toBe(413);
    const [after] = await fleet.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM usage_events`);
    expect(after!.n).toBe(0);
  });

  it("creates at most the per-address allowance from 25 parallel sign-ups from one address", async () => {
    const allowance = DEFAULT_SIGN_UP_THROTTLE.address.limit;
    const prefix = `burst-${Date.now().toString(36)}`;
    const proofs = await Promise.all(Array.from({ length: 25 }, () => solvedProof(url)));
    const results = await Promise.all(
      proofs.map((proof, i) =>
        new Visitor({ "x-forwarded-for": "10.55.3.1" }).mutate(url, "auth.signUp", {
          email: `${prefix}-${i}@reliability.test`,
          password: "correct horse battery",
          proof,
        }),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(allowance);
    for (const r of results.filter((x) => !x.ok))
      expect(r).toMatchObject({ status: 429, appCode: "SIGN_UP_THROTTLED" });
    const [users] = await fleet.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM users WHERE email LIKE $1`, [
      `${prefix}-%`,
    ]);
    expect(users!.n).toBe(allowance);
  });

  it("lets the owner sign in from their own browser after 5 wrong passwords from 5 addresses", async () => {
    const { visitor: owner, email } = await signUp(url, "10.55.4.1", "owner");
    for (let i = 0; i < 5; i++) {
      const guess = { email, password: `guess ${i}`, ...(i >= 3 ? { proof: await solvedProof(url) } : {}) };
      const r = await new Visitor({ "x-forwarded-for": `10.55.5.${i + 1}` }).mutate(url, "auth.signIn", guess);
      expect(r).toMatchObject({ ok: false, status: 401 });
    }
    const stranger = await new Visitor({ "x-forwarded-for": "10.55.6.1" }).mutate(url, "auth.signIn", {
      email,
      password: "correct horse battery",
      proof: await solvedProof(url),
    });
    expect(stranger).toMatchObject({ ok: false, status: 429, appCode: "SIGN_IN_THROTTLED" });
    const back = await owner.mutate(url, "auth.signIn", { email, password: "correct horse battery" });
    expect(back).toMatchObject({ ok: true, status: 200 });
  });
});
