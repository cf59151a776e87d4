import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_SIGN_UP_THROTTLE } from "@wavelength/api";
import { Visitor, type CallFailure, type CallResult } from "../reliability/support/visitor.ts";
import { fetchedProof } from "./support/proof.ts";
import { openTestServer, type TestServer } from "./support/test-server.ts";

// Issue 10's attacks on the sign-up and sign-in doors, over real HTTP (a socket, fetch, cookies)
// against the real server with the production allowances; only the proof of work is made cheap.
const ALLOWANCE = DEFAULT_SIGN_UP_THROTTLE.address.limit;
const PASSWORD = "correct horse battery";

describe("sign-up and sign-in doors over HTTP", () => {
  let server: TestServer;
  let url: string;
  beforeAll(async () => {
    server = await openTestServer({
      // Each simulated client address arrives as X-Forwarded-For from 127.0.0.1.
      TRUSTED_PROXIES: "127.0.0.1",
      SIGN_UP_PER_ADDRESS_PER_HOUR: String(ALLOWANCE),
      SIGN_UP_PER_HOUR: String(DEFAULT_SIGN_UP_THROTTLE.site.limit),
    });
    await server.app.listen({ port: 0, host: "127.0.0.1" });
    url = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());

  let seq = 0;
  const email = (label: string) => `${label}.${Date.now().toString(36)}.${seq++}@doors.test`;
  const browserAt = (address: string) => new Visitor({ "x-forwarded-for": address });
  const signUp = async (visitor: Visitor, input: Record<string, unknown>) =>
    visitor.mutate<{ user: { id: string } }>(url, "auth.signUp", { ...input, proof: await fetchedProof(url) });
  const failure = (r: CallResult): CallFailure => {
    if (r.ok) throw new Error(`expected a refusal, got ${r.status}`);
    return r;
  };
  const fieldErrors = async (input: Record<string, unknown>) => {
    const r = await fetch(`${url}/api/trpc/auth.signUp`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-for": "192.0.2.200" },
      body: JSON.stringify({ json: input }),
    });
    const body = (await r.json()) as { error: { json: { data: { fieldErrors: Record<string, string[]> | null } } } };
    return { status: r.status, fields: body.error.json.data.fieldErrors ?? {} };
  };

  it(`creates at most ${ALLOWANCE} accounts from 25 parallel sign-ups from one address`, async () => {
    const prefix = `burst-${Date.now().toString(36)}`;
    // Solved first, so the 25 requests really arrive together.
    const proofs = await Promise.all(Array.from({ length: 25 }, () => fetchedProof(url)));
    const results = await Promise.all(
      proofs.map((proof, i) =>
        browserAt("203.0.113.7").mutate(url, "auth.signUp", {
          email: `${prefix}-${i}@doors.test`,
          password: PASSWORD,
          proof,
        }),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(ALLOWANCE);
    const refused = results.filter((r) => !r.ok);
    expect(refused).toHaveLength(25 - ALLOWANCE);
    for (const r of refused) expect(r).toMatchObject({ status: 429, appCode: "SIGN_UP_THROTTLED" });
    expect(await server.db.prisma.user.count({ where: { email: { startsWith: prefix } } })).toBe(ALLOWANCE);
    // Another address is not held back.
    expect((await signUp(browserAt("203.0.113.8"), { email: email("neighbour"), password: PASSWORD })).ok).toBe(true);
  });

  it("needs a fresh proof of work for every sign-up: missing, replayed and forged proofs are 400 on `proof`", async () => {
    const missing = await fieldErrors({ email: email("nopow"), password: PASSWORD });
    expect(missing.status).toBe(400);
    expect(missing.fields.proof?.[0]).toMatch(/auth\.challenge/);

    const proof = await fetchedProof(url);
    const first = await browserAt("203.0.113.20").mutate(url, "auth.signUp", {
      email: email("pow"),
      password: PASSWORD,
      proof,
    });
    expect(first.ok).toBe(true);
    const replay = await fieldErrors({ email: email("replay"), password: PASSWORD, proof });
    expect(replay).toEqual({ status: 400, fields: { proof: ["This challenge was already used. Solve a new one."] } });

    const forged = Buffer.from(
      JSON.stringify({
        challenge: { parameters: {}, signature: "0".repeat(64) },
        solution: { counter: 1, derivedKey: "00" },
      }),
    ).toString("base64");
    expect(
      (await fieldErrors({ email: email("forged"), password: PASSWORD, proof: forged })).fields.proof,
    ).toBeDefined();
    expect(await server.db.prisma.user.count({ where: { email: { contains: "replay" } } })).toBe(0);
  });

  it("refuses 12345678, password and eight spaces with a 400 naming the password field", async () => {
    for (const password of ["12345678", "password", "        "]) {
      const address = email("weak");
      const r = await fieldErrors({ email: address, password, proof: await fetchedProof(url) });
      expect(r.status, JSON.stringify(password)).toBe(400);
      expect(Object.keys(r.fields)).toEqual(["password"]);
      expect(await server.db.prisma.user.count({ where: { email: address } })).toBe(0);
    }
  });

  it(`lets one address probe at most ${ALLOWANCE} e-mails an hour through sign-up, after which every answer is the same`, async () => {
    const victim = email("victim");
    expect((await signUp(browserAt("198.51.100.50"), { email: victim, password: PASSWORD })).ok).toBe(true);
    const prober = "198.51.100.66";
    const spelled = `  ${victim.toUpperCase().replace("@DOORS.TEST", "@Doors.Test")} `;
    const answers: CallResult[] = [];
    for (let i = 0; i < ALLOWANCE; i++) {
      answers.push(
        await signUp(browserAt(prober), { email: i % 2 === 0 ? spelled : email("probe"), password: PASSWORD }),
      );
    }
    expect(answers.map((a) => a.status)).toEqual(
      Array.from({ length: ALLOWANCE }, (_, i) => (i % 2 === 0 ? 409 : 200)),
    );
    // The allowance is spent: an existing and an unknown e-mail now get the same answer.
    const existing = failure(await signUp(browserAt(prober), { email: spelled, password: PASSWORD }));
    const unknown = failure(await signUp(browserAt(prober), { email: email("unknown"), password: PASSWORD }));
    expect(existing).toEqual(unknown);
    expect(existing).toMatchObject({ status: 429, appCode: "SIGN_UP_THROTTLED" });
  });

  it("keeps the owner's browser signing in after 5 wrong passwords from 5 addresses; a new browser is throttled", async () => {
    const account = email("owner");
    const owner = browserAt("198.51.100.10");
    expect((await signUp(owner, { email: account, password: PASSWORD })).ok).toBe(true);
    expect(owner.cookie("wl_device")).toBeDefined();

    for (let i = 0; i < 5; i++) {
      const attacker = browserAt(`192.0.2.${i + 1}`);
      let r = await attacker.mutate(url, "auth.signIn", { email: account, password: `guess number ${i}` });
      if (!r.ok && r.appCode === "CHALLENGE_REQUIRED") {
        // After three failures the attacker must pay a proof of work for each further guess.
        expect(i).toBeGreaterThanOrEqual(3);
        r = await attacker.mutate(url, "auth.signIn", {
          email: account,
          password: `guess number ${i}`,
          proof: await fetchedProof(url),
        });
      }
      expect(failure(r)).toMatchObject({ status: 401, appCode: "INVALID_CREDENTIALS" });
    }

    const stranger = browserAt("192.0.2.99");
    const locked = failure(
      await stranger.mutate(url, "auth.signIn", { email: account, password: PASSWORD, proof: await fetchedProof(url) }),
    );
    expect(locked).toMatchObject({ status: 429, appCode: "SIGN_IN_THROTTLED" });
    expect(stranger.cookie("wl_session")).toBeUndefined();

    const back = await owner.mutate<{ user: { id: string } }>(url, "auth.signIn", {
      email: account,
      password: PASSWORD,
    });
    expect(back).toMatchObject({ ok: true, status: 200 });
    const me = await owner.query<{ kind: string }>(url, "auth.me");
    expect(me).toMatchObject({ ok: true, data: { kind: "user" } });
  });

  it("sets the device cookie HttpOnly and SameSite=Lax", async () => {
    const r = await fetch(`${url}/api/trpc/auth.signUp`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-for": "203.0.113.90" },
      body: JSON.stringify({ json: { email: email("cookie"), password: PASSWORD, proof: await fetchedProof(url) } }),
    });
    expect(r.status).toBe(200);
    const device = r.headers.getSetCookie().find((c) => c.startsWith("wl_device="));
    expect(device).toMatch(/; HttpOnly/);
    expect(device).toMatch(/; SameSite=Lax/);
    expect(device).toMatch(/; Max-Age=15552000/);
  });
});
