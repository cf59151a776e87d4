import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH, MAX_JSON_VALUES } from "../src/request-input.ts";
import { fetchedProof } from "./support/proof.ts";
import { rawRequest, type RawResponse } from "./support/raw-http.ts";
import { openTestServer, type TestServer } from "./support/test-server.ts";

/**
 * The hardening of issue 10, each attack as it was made: over real HTTP against a listening server
 * (PGlite), with the server's warnings and errors collected to show that none of it logs an error.
 */

const THEME_SCRIPT = `document.documentElement.dataset.theme = "dark";`;
const INTERNAL = /Cannot destructure|Maximum call stack|Unexpected token|JSON at position|Unexpected end/;
const send = (content: string) => ({ json: { provider: "local-demo", model: "demo-1", content } });

describe("hardening over real HTTP", () => {
  let server: TestServer;
  let url: string;
  let port: string;
  let webDist: string;
  const logLines: { level: number; msg: string }[] = [];

  beforeAll(async () => {
    webDist = mkdtempSync(path.join(tmpdir(), "wl-web-"));
    writeFileSync(
      path.join(webDist, "index.html"),
      `<!doctype html><html><head><script>${THEME_SCRIPT}</script><script type="module" src="/assets/app.js"></script></head><body></body></html>`,
    );
    server = await openTestServer(
      {},
      {
        webDist,
        log: {
          write(line: string) {
            const parsed = JSON.parse(line) as { level: number; msg: string };
            logLines.push(parsed);
          },
        },
      },
    );
    url = await server.app.listen({ host: "127.0.0.1", port: 0 });
    port = new URL(url).port;
  });
  afterAll(async () => {
    await server.close();
    rmSync(webDist, { recursive: true, force: true });
  });

  const errorsLogged = () => logLines.filter((l) => l.level >= 50);
  const post = (p: string, body: string, headers: Record<string, string> = {}) =>
    rawRequest(url, p, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
  const messageOf = (r: RawResponse) => {
    const j = r.json as { error?: { message?: string; json?: { message?: string } } } | null;
    return j?.error?.json?.message ?? j?.error?.message ?? "";
  };
  const ledgerSize = () => server.db.prisma.usageEvent.count();

  describe("anonymous sessions", () => {
    it("200 cookieless reads create no row; a send creates one, for that visitor", async () => {
      const before = await server.db.prisma.anonymousSession.count();
      const reads = [
        "quota.tiers",
        "usage.status",
        "auth.me",
        "chat.models",
        "chat.conversations",
        "profile.get",
        "usage.needsInit",
        "quota.limits",
      ];
      const cookies = new Set<string>();
      for (let round = 0; round < 20; round++) {
        const answers = await Promise.all(
          Array.from({ length: 10 }, (_, i) => rawRequest(url, `/api/trpc/${reads[(round * 10 + i) % reads.length]}`)),
        );
        for (const r of answers) {
          expect(r.status).toBe(200);
          const set = [r.headers["set-cookie"] ?? []].flat().find((c) => c.startsWith("wl_anon="));
          if (set) cookies.add(set);
        }
      }
      expect(cookies.size).toBe(200);
      expect(await server.db.prisma.anonymousSession.count()).toBe(before);

      const first = await rawRequest(url, "/api/trpc/usage.status");
      const cookie = [first.headers["set-cookie"] ?? []].flat()[0]!.split(";")[0]!;
      const sent = await post("/api/trpc/chat.send", JSON.stringify(send("Hello")), {
        cookie,
        "x-time-zone": "Pacific/Auckland",
      });
      expect(sent.status).toBe(200);
      expect(await server.db.prisma.anonymousSession.count()).toBe(before + 1);
      const id = decodeURIComponent(cookie.slice("wl_anon=".length)).split(".")[0]!;
      expect(await server.db.prisma.anonymousSession.findUnique({ where: { anonymousId: id } })).toMatchObject({
        timezone: "Pacific/Auckland",
        ipHash: expect.stringMatching(/^[0-9a-f]{32}$/),
      });
    });
  });

  describe("methods", () => {
    it("answers 405 with Allow to methods a resource does not take, and logs no error", async () => {
      for (const method of ["TRACE", "PUT", "DELETE", "PATCH", "OPTIONS"]) {
        const r = await rawRequest(url, "/api/trpc/auth.me", { method });
        expect({ method, status: r.status, allow: r.headers.allow }).toEqual({
          method,
          status: 405,
          allow: "GET, HEAD, POST",
        });
      }
      for (const [method, target] of [
        ["DELETE", "/api/health"],
        ["TRACE", "/"],
        ["POST", "/"],
        ["PUT", "/settings/usage"],
        ["POST", "/api/usage/export"],
      ] as const) {
        const r = await rawRequest(url, target, { method });
        expect({ method, target, status: r.status, allow: r.headers.allow }).toEqual({
          method,
          target,
          status: 405,
          allow: "GET, HEAD",
        });
      }
      // An API path that does not exist is not found, whatever the method.
      expect((await rawRequest(url, "/api/nope", { method: "DELETE" })).status).toBe(404);
      expect(errorsLogged()).toEqual([]);
    });
  });

  describe("bodies and inputs", () => {
    it("names what is wrong with an input in the caller's terms, never an internal message", async () => {
      const ledgerBefore = await ledgerSize();
      const cases: [string, Promise<RawResponse>, RegExp][] = [
        [
          "a null body",
          post("/api/trpc/chat.send", "null"),
          /must be an object: send the input as \{"json": <input>\}/,
        ],
        ["a bare string", post("/api/trpc/chat.send", '"hi"'), /must be an object/],
        ["an empty body", post("/api/trpc/chat.send", ""), /empty/],
        ["broken JSON", post("/api/trpc/chat.send", '{"json":'), /The body is not valid JSON\./],
        [
          "an unknown envelope field",
          post("/api/trpc/chat.send", JSON.stringify({ input: send("x").json })),
          /unexpected field "input"/,
        ],
        [
          "meta that is not superjson's",
          post("/api/trpc/chat.send", JSON.stringify({ ...send("x"), meta: "x" })),
          /meta must be an object/,
        ],
        [
          "a batch entry for a call that is not there",
          post("/api/trpc/chat.send,chat.send?batch=1", JSON.stringify({ 0: send("a"), 7: send("b") })),
          /has no call "7"/,
        ],
        [
          "a GET input that is not JSON",
          rawRequest(url, `/api/trpc/usage.status?input=${encodeURIComponent("{")}`),
          /The input parameter is not valid JSON\./,
        ],
        [
          "JSON nested past the bound",
          post("/api/trpc/chat.send", `{"json":${"[".repeat(5_000)}${"]".repeat(5_000)}}`),
          new RegExp(`nests deeper than ${MAX_JSON_DEPTH} levels`),
        ],
        [
          "superjson meta nested past the bound",
          post(
            "/api/trpc/chat.send",
            `{"json":${JSON.stringify(send("x").json)},"meta":{"values":{"content":${"[".repeat(3_000)}"Date"${"]".repeat(3_000)}}}}`,
          ),
          new RegExp(`nests deeper than ${MAX_JSON_DEPTH} levels`),
        ],
        [
          "a GET input nested past the bound",
          rawRequest(
            url,
            `/api/trpc/usage.status?input=${encodeURIComponent(`{"json":null,"meta":{"values":${"[".repeat(2_000)}${"]".repeat(2_000)}}}`)}`,
          ),
          new RegExp(`nests deeper than ${MAX_JSON_DEPTH} levels`),
        ],
        [
          "too many values",
          post("/api/trpc/chat.send", JSON.stringify({ json: Array.from({ length: MAX_JSON_VALUES + 1 }, () => 0) })),
          new RegExp(`more than ${MAX_JSON_VALUES} values`),
        ],
      ];
      for (const [what, answer, expected] of cases) {
        const r = await answer;
        expect({ what, status: r.status }).toEqual({ what, status: 400 });
        expect({ what, message: messageOf(r) }).toEqual({ what, message: expect.stringMatching(expected) });
        expect({ what, message: messageOf(r) }).not.toEqual({ what, message: expect.stringMatching(INTERNAL) });
      }
      expect(await ledgerSize()).toBe(ledgerBefore);
      expect(errorsLogged()).toEqual([]);
    });

    it("still reads what tRPC clients send: single calls, batches, superjson meta", async () => {
      const single = await post(
        "/api/trpc/usage.check",
        JSON.stringify({ json: { provider: "local-demo", model: "demo-1" } }),
      );
      expect(single.status).toBe(200);
      // httpBatchLink's GET for a query without input: superjson's meta marks it undefined.
      const batch = await rawRequest(
        url,
        `/api/trpc/auth.me,usage.status?batch=1&input=${encodeURIComponent(
          JSON.stringify({
            0: { json: null, meta: { values: ["undefined"], v: 1 } },
            1: { json: null, meta: { values: ["undefined"], v: 1 } },
          }),
        )}`,
      );
      expect(batch.status).toBe(200);
      const dated = await rawRequest(
        url,
        `/api/trpc/profile.usage?input=${encodeURIComponent(
          JSON.stringify({
            json: {
              from: new Date(Date.now() - 86_400_000).toISOString(),
              to: new Date().toISOString(),
              granularity: "hour",
            },
            meta: { values: { from: ["Date"], to: ["Date"] }, v: 1 },
          }),
        )}`,
      );
      expect(dated.status).toBe(200);
    });

    it("refuses a body over 1 MB with 413 before reading on, and 50 parallel deep 700 KB bodies with 400s", async () => {
      const ledgerBefore = await ledgerSize();
      const huge = await post("/api/trpc/chat.send", JSON.stringify(send("x".repeat(1_100_000))));
      expect(huge.status).toBe(413);
      expect(messageOf(huge)).toBe("The body is larger than 1 MB.");

      const deep = `{"json":${"[".repeat(350_000)}${"]".repeat(350_000)}}`;
      expect(deep.length).toBeGreaterThan(700_000);
      const flood = Array.from({ length: 50 }, () => post("/api/trpc/chat.send", deep));
      // The server keeps answering while the flood is refused.
      const health = await rawRequest(url, "/api/health");
      const answers = await Promise.all(flood);
      expect(health.status).toBe(200);
      expect(new Set(answers.map((r) => `${r.status} ${messageOf(r)}`))).toEqual(
        new Set([`400 The body: The JSON nests deeper than ${MAX_JSON_DEPTH} levels.`]),
      );
      expect(await ledgerSize()).toBe(ledgerBefore);
      expect(errorsLogged()).toEqual([]);
    });
  });

  describe("origin", () => {
    it("accepts exactly our scheme, host and port, and refuses userinfo and look-alikes", async () => {
      const check = (origin: string) =>
        post("/api/trpc/usage.check", JSON.stringify({ json: { provider: "local-demo", model: "demo-1" } }), {
          origin,
        });
      expect((await check(`http://127.0.0.1:${port}`)).status).toBe(200);
      const refused = [
        `https://127.0.0.1:${port}`,
        `http://evil@127.0.0.1:${port}`,
        `http://evil:pw@127.0.0.1:${port}`,
        `http://127.0.0.1:${Number(port) + 1}`,
        `http://127.0.0.1`,
        `http://127.0.0.1:${port}/`,
        `http://127.0.0.1:${port}/path`,
        `http://127.0.0.1:${port}.evil.example`,
        `ws://127.0.0.1:${port}`,
        "null",
      ];
      for (const origin of refused) {
        const r = await check(origin);
        expect({ origin, status: r.status, code: (r.json as { error?: { code?: string } }).error?.code }).toEqual({
          origin,
          status: 403,
          code: "CROSS_ORIGIN",
        });
      }
    });
  });

  describe("security headers", () => {
    const scriptHash = `'sha256-${createHash("sha256").update(THEME_SCRIPT).digest("base64")}'`;

    it("puts a CSP allowing our inline theme script, frame-ancestors 'none', nosniff and no-referrer on every response", async () => {
      const signUp = await post(
        "/api/trpc/auth.signUp",
        JSON.stringify({
          json: {
            email: `headers.${Date.now()}@x.example`,
            password: "headers pass 1234",
            proof: await fetchedProof(url),
          },
        }),
      );
      const session = [signUp.headers["set-cookie"] ?? []].flat().find((c) => c.startsWith("wl_session="))!;
      const from = new Date(Date.now() - 86_400_000).toISOString();
      const to = new Date().toISOString();
      const responses: [string, Promise<RawResponse>][] = [
        ["the SPA", rawRequest(url, "/")],
        ["a client-side route", rawRequest(url, "/settings/usage")],
        ["health", rawRequest(url, "/api/health")],
        ["a tRPC query", rawRequest(url, "/api/trpc/auth.me")],
        ["a tRPC error", rawRequest(url, "/api/trpc/chat.task?input=%7B%7D")],
        ["a cross-origin refusal", post("/api/trpc/usage.check", "{}", { origin: "http://evil.example" })],
        ["a 405", rawRequest(url, "/api/trpc/auth.me", { method: "TRACE" })],
        ["a 404", rawRequest(url, "/api/nope")],
        [
          "the CSV export",
          rawRequest(url, `/api/usage/export?format=csv&from=${from}&to=${to}`, {
            headers: { cookie: session.split(";")[0]! },
          }),
        ],
        [
          "the JSON export",
          rawRequest(url, `/api/usage/export?format=json&from=${from}&to=${to}`, {
            headers: { cookie: session.split(";")[0]! },
          }),
        ],
      ];
      for (const [what, answer] of responses) {
        const r = await answer;
        const csp = String(r.headers["content-security-policy"] ?? "");
        expect({ what, csp }).toEqual({ what, csp: expect.stringContaining("frame-ancestors 'none'") });
        expect({ what, csp }).toEqual({ what, csp: expect.stringContaining("default-src 'self'") });
        expect({ what, csp }).toEqual({ what, csp: expect.stringContaining(`script-src 'self' ${scriptHash}`) });
        expect({ what, csp }).toEqual({ what, csp: expect.stringContaining("object-src 'none'") });
        expect({
          what,
          nosniff: r.headers["x-content-type-options"],
          referrer: r.headers["referrer-policy"],
          frame: r.headers["x-frame-options"],
        }).toEqual({ what, nosniff: "nosniff", referrer: "no-referrer", frame: "DENY" });
      }
      expect((await responses[8]![1]).headers["content-type"]).toMatch(/^text\/csv/);
    });
  });
});

describe("the database going away, over real HTTP", () => {
  let server: TestServer;
  let url: string;
  let cookie: string;
  beforeAll(async () => {
    server = await openTestServer();
    url = await server.app.listen({ host: "127.0.0.1", port: 0 });
    // A visitor seen before: identifying it on its next request needs the database.
    const first = await rawRequest(url, "/api/trpc/auth.me");
    cookie = [first.headers["set-cookie"] ?? []].flat()[0]!.split(";")[0]!;
    await server.db.close();
  });
  afterAll(() => server.close());

  it("answers 503 with Retry-After to reads, sends, health and the export, never 500", async () => {
    const headers = { cookie };
    const answers = await Promise.all([
      rawRequest(url, "/api/trpc/usage.status", { headers }),
      rawRequest(url, "/api/trpc/usage.status"),
      rawRequest(url, "/api/trpc/auth.me,usage.status?batch=1&input=%7B%7D", { headers }),
      rawRequest(url, "/api/trpc/chat.send", {
        method: "POST",
        body: JSON.stringify(send("hello")),
        headers: { "content-type": "application/json", ...headers },
      }),
      rawRequest(url, "/api/trpc/chat.send", {
        method: "POST",
        body: JSON.stringify(send("hello")),
        headers: { "content-type": "application/json" },
      }),
      rawRequest(url, "/api/health"),
      rawRequest(
        url,
        `/api/usage/export?from=${new Date(Date.now() - 3_600_000).toISOString()}&to=${new Date().toISOString()}`,
        { headers },
      ),
    ]);
    for (const r of answers) {
      expect({ status: r.status, retryAfter: r.headers["retry-after"] }).toEqual({ status: 503, retryAfter: "5" });
    }
    expect(answers[0].json).toMatchObject({
      error: { json: { data: { appError: { code: "QUOTA_STORE_UNAVAILABLE" }, retryAfterSeconds: 5 } } },
    });
  });
});
