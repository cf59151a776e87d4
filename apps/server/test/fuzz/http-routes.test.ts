import fc from "fast-check";
import type { InjectOptions } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ADMIN_TOKEN,
  callerArb,
  clip,
  expectHandled,
  FUZZ_SEED,
  openFuzzApp,
  runs,
  type FuzzApp,
} from "./support/fuzz-app.ts";
import { envelope, inputFor, VALID, VALID_COMPLETION } from "./support/inputs.ts";
import { PROCEDURES } from "./support/procedures.ts";

/**
 * The HTTP surface around the procedures: batches up to far past the limit,
 * bodies that are not JSON, wrong content types, malformed URLs and query
 * strings, and the plain routes (/api/health, /api/usage/status,
 * /api/usage/export) with random methods, headers and parameters. Always a
 * 4xx (or a success), never a 5xx, never a stack trace.
 */

const MUTATIONS = PROCEDURES.filter((p) => p.type === "mutation").map((p) => p.path);
const PLAIN_ROUTES = [
  "/api/health",
  "/api/usage/status",
  "/api/usage/export",
  "/api/trpc",
  "/api/trpc/",
  "/",
  "/api/nope",
  "/v1/chat/completions",
  "/v1/models",
  "/v1/nope",
];

const printable = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 60,
});
/** Text for a URL: anything, then percent-encoded or not, plus hand-made broken escapes. */
const urlText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 30 }).map(encodeURIComponent),
  printable.map((s) => s.replaceAll(" ", "%20").replaceAll("#", "%23")),
  fc.constantFrom(
    "%",
    "%zz",
    "%E0%A4%A",
    "%00",
    "%C0%AF",
    "..",
    "../..",
    "%2e%2e%2f",
    "//",
    ";",
    "\\",
    "%FF",
    "?",
    "&&&==",
  ),
);

describe("the HTTP surface under hostile requests", { timeout: runs(60_000) }, () => {
  let fuzz: FuzzApp;
  let address: string;
  beforeAll(async () => {
    fuzz = await openFuzzApp();
    address = await fuzz.app.listen({ port: 0, host: "127.0.0.1" });
  });
  afterAll(async () => {
    await fuzz.close();
  });

  async function send(options: InjectOptions & { url: string }, what: string) {
    expectHandled(await fuzz.app.inject(options), what, fuzz);
  }

  it("answers batches of random procedures and inputs, within and far past the batch limit", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.constantFrom(...PROCEDURES).chain((p) =>
            inputFor(VALID[p.path] ?? {})
              .chain(envelope)
              .map((wire) => ({ ...p, wire })),
          ),
          { minLength: 1, maxLength: 20 },
        ),
        fc.oneof({ arbitrary: fc.constant(0), weight: 3 }, { arbitrary: fc.nat({ max: 500 }), weight: 1 }),
        callerArb(fuzz),
        fc.boolean(),
        async (calls, padding, caller, mixed) => {
          await fuzz.ready();
          const all = [...calls, ...Array.from({ length: padding }, () => calls[0]!)];
          const paths = all.map((c) => c.path).join(",");
          const input = JSON.stringify(Object.fromEntries(all.map((c, i) => [i, c.wire])));
          const asQuery = all.every((c) => c.type === "query") !== (mixed && all.length > 1);
          const what = `batch of ${all.length} as ${caller.name}: ${clip(paths)} ${clip(input)}`;
          await send(
            asQuery
              ? {
                  method: "GET",
                  url: `/api/trpc/${paths}?batch=1&input=${encodeURIComponent(input)}`,
                  headers: caller.headers,
                }
              : {
                  method: "POST",
                  url: `/api/trpc/${paths}?batch=1`,
                  payload: input,
                  headers: { ...caller.headers, "content-type": "application/json" },
                },
            what,
          );
        },
      ),
      { numRuns: runs(60), seed: FUZZ_SEED },
    );
  });

  it("refuses bodies that are not JSON, or not what their content type says, without a 5xx", async () => {
    const body = fc.oneof(
      fc.string({ unit: "binary", maxLength: 200 }),
      fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
      fc.jsonValue().map((v) => JSON.stringify(v).slice(0, -1)), // truncated JSON
      fc.constantFrom("", "{", "[", '{"json":', "null", "\ufeff{}", "provider=openai&model=x", '{"json":{}}garbage'),
      // Giant bodies as recipes, so a failure report stays readable.
      fc.constantFrom("<past the body limit>", "<nested 5000 deep>"),
    );
    const build = (b: string | Buffer) =>
      b === "<past the body limit>"
        ? "x".repeat(1024 * 1024 + 1)
        : b === "<nested 5000 deep>"
          ? `{"json":${"[".repeat(5_000)}${"]".repeat(5_000)}}`
          : b;
    const contentType = fc.oneof(
      fc.constantFrom(
        undefined,
        "application/json",
        "application/json; charset=utf-16",
        "application/json; charset=nonsense",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "text/plain",
        "application/octet-stream",
        "application/jsonx",
        "APPLICATION/JSON",
        "application/*",
        "",
        ";;;",
      ),
      printable,
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...MUTATIONS, ...PLAIN_ROUTES),
        body,
        contentType,
        fc.constantFrom("POST", "PUT", "PATCH", "DELETE"),
        async (target, payload, type, method) => {
          const url = target.startsWith("/") ? target : `/api/trpc/${target}`;
          const what = `${method} ${url} (${String(type)}): ${clip(typeof payload === "string" ? payload : payload.toString("hex"))}`;
          // Over a real socket: inject's request object is not an http.IncomingMessage, which tRPC's
          // multipart path needs (through inject every multipart POST is a 500 that no client can cause).
          const r = await fetch(`${address}${url}`, {
            method,
            body: build(payload),
            headers: type === undefined ? {} : { "content-type": type },
          });
          expectHandled({ statusCode: r.status, body: await r.text() }, what, fuzz);
        },
      ),
      { numRuns: runs(150), seed: FUZZ_SEED },
    );
  });

  it("answers malformed URLs and query strings on every route", async () => {
    const path = fc.oneof(
      fc.constantFrom(...PLAIN_ROUTES, ...PROCEDURES.map((p) => `/api/trpc/${p.path}`)),
      fc.array(urlText, { minLength: 1, maxLength: 4 }).map((parts) => `/api/${parts.join("/")}`),
      fc.array(urlText, { minLength: 1, maxLength: 3 }).map((parts) => `/api/trpc/${parts.join(",")}`),
      fc.nat({ max: 12_000 }).map((n) => `/api/trpc/${"a".repeat(n)}`),
    );
    const query = fc.oneof(
      fc.constant(""),
      fc
        .array(fc.tuple(urlText, urlText), { maxLength: 5 })
        .map((kv) => `?${kv.map(([k, v]) => `${k}=${v}`).join("&")}`),
      urlText.map((v) => `?input=${v}`),
      urlText.map((v) => `?batch=${v}&input=${v}`),
      fc.constantFrom(
        "?input=",
        "?input=%7B",
        "?batch=1",
        "?batch=1&input=[]",
        "?batch=1&input=%7B%7D",
        "?input=null&input=1",
      ),
    );
    await fc.assert(
      fc.asyncProperty(path, query, fc.constantFrom("GET", "HEAD", "OPTIONS", "POST"), async (p, q, method) => {
        await send(
          { method, url: p + q, headers: method === "POST" ? { "content-type": "application/json" } : {} },
          `${method} ${clip(p + q)}`,
        );
      }),
      { numRuns: runs(250), seed: FUZZ_SEED },
    );
  });

  it("answers /api/health and /api/usage/status whatever the headers", async () => {
    const authorization = fc.oneof(
      printable.map((s) => `Bearer ${s}`),
      printable,
      fc.constantFrom(
        `Bearer ${ADMIN_TOKEN}`,
        `bearer ${ADMIN_TOKEN}`,
        `Bearer  ${ADMIN_TOKEN}`,
        `Bearer ${ADMIN_TOKEN} `,
        `Bearer ${ADMIN_TOKEN.slice(0, -1)}`,
        "Bearer ",
        "Basic Zm9vOmJhcg==",
        `Bearer ${"x".repeat(8_000)}`,
      ),
    );
    const headers = fc.record(
      {
        authorization,
        cookie: fc.oneof(printable, fc.constant("wl_anon=; wl_session=; wl_anon=a.b.c")),
        origin: fc.oneof(printable, fc.constantFrom("null", "http://evil.example", "http://localhost")),
        "x-time-zone": fc.oneof(printable, fc.constantFrom("Mars/Base", "Europe/Berlin", "+01:00", "x".repeat(500))),
        "x-forwarded-for": fc.oneof(printable, fc.constant("1.2.3.4, 5.6.7.8, ::1, not-an-ip")),
        "sec-fetch-site": fc.constantFrom("cross-site", "same-origin", "none", "bogus"),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("/api/health", "/api/usage/status", "/api/trpc/usage.status", "/api/trpc/auth.me"),
        headers,
        async (url, h) => {
          await send({ method: "GET", url, headers: h }, `GET ${url} ${clip(JSON.stringify(h))}`);
        },
      ),
      { numRuns: runs(150), seed: FUZZ_SEED },
    );
  });

  it("answers /api/usage/export with any parameters", async () => {
    const instant = fc.oneof(
      fc.date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true }).map((d) => d.toISOString()),
      fc.integer({ min: -1_000, max: 1_000 }).map((days) => new Date(Date.now() + days * 86_400_000).toISOString()),
      fc.constantFrom("2026-02-30T00:00:00Z", "2026-01-01T00:00:00+25:00", "2026-01-01", "now", "", "1e999", "0"),
      printable,
    );
    const params = fc.record(
      {
        format: fc.oneof(fc.constantFrom("csv", "json", "CSV", "xml", ""), printable),
        from: instant,
        to: instant,
        granularity: fc.oneof(fc.constantFrom("hour", "day", "week"), printable),
        groupBy: fc.oneof(fc.constantFrom("none", "provider", "model", "subject"), printable),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(
        params,
        fc.array(fc.tuple(urlText, urlText), { maxLength: 3 }),
        fc.boolean(),
        callerArb(fuzz),
        async (p, extra, repeat, caller) => {
          await fuzz.ready();
          const pairs = Object.entries(p).map(([k, v]) => `${k}=${encodeURIComponent(v)}`);
          // A repeated parameter arrives as an array.
          if (repeat && pairs.length > 0) pairs.push(pairs[0]!);
          const q = [...pairs, ...extra.map(([k, v]) => `${k}=${v}`)].join("&");
          await send(
            { method: "GET", url: `/api/usage/export?${q}`, headers: caller.headers },
            `GET /api/usage/export?${clip(q)} as ${caller.name}`,
          );
        },
      ),
      { numRuns: runs(150), seed: FUZZ_SEED },
    );
  });

  it("answers /v1/chat/completions with any body, header and key, never a 5xx", async () => {
    const user = await fuzz.services.db.user.findFirstOrThrow({ where: { email: "fuzz-user@x.example" } });
    const { secret } = await fuzz.services.apiKeys.create(
      { userId: user.id, tier: "free", timeZone: "UTC" },
      { name: "fuzz", limits: { daily: { requests: 1_000_000 } } },
    );
    const authorization = fc.oneof(
      { arbitrary: fc.constant(`Bearer ${secret}`), weight: 6 },
      {
        arbitrary: fc.constantFrom(
          `bearer ${secret}`,
          `Bearer ${secret.slice(0, -1)}`,
          `Bearer ${secret}x`,
          "Bearer wl_",
          "Bearer ",
          `Basic ${secret}`,
          `Bearer ${"x".repeat(8_000)}`,
        ),
        weight: 1,
      },
      { arbitrary: printable, weight: 1 },
    );
    const statuses = new Set<number>();
    const idempotencyKey = fc.option(
      fc.oneof(printable, fc.constantFrom("fuzz-idem-1", "fuzz-idem-2", "é", "x".repeat(300))),
    );
    await fc.assert(
      fc.asyncProperty(inputFor(VALID_COMPLETION), authorization, idempotencyKey, async (body, auth, idem) => {
        const what = `POST /v1/chat/completions ${clip(JSON.stringify(body))} (${clip(auth)}, ${String(idem)})`;
        const r = await fetch(`${address}/v1/chat/completions`, {
          method: "POST",
          body: JSON.stringify(body) ?? "",
          headers: {
            "content-type": "application/json",
            authorization: auth,
            ...(idem === null ? {} : { "idempotency-key": idem }),
          },
        });
        statuses.add(r.status);
        expectHandled({ statusCode: r.status, body: await r.text() }, what, fuzz);
      }),
      { numRuns: runs(150), seed: FUZZ_SEED },
    );
    // Not only refusals: some bodies got through to the model, and the key was not always right.
    expect([200, 400, 401].filter((s) => statuses.has(s))).toEqual([200, 400, 401]);
    await fuzz.services.openai.drain();
    expect(fuzz.loggedErrors).toEqual([]);
  });
});
