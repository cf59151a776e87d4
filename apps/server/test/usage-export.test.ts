import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { csvCell } from "../src/routes/usage-export.ts";
import { injectedProof } from "./support/proof.ts";
import { openTestServer, type TestServer } from "./support/test-server.ts";

const ADMIN_TOKEN = "export-test-admin-token-0123";

describe("GET /api/usage/export", () => {
  let server: TestServer;
  let app: FastifyInstance;
  beforeAll(async () => {
    server = await openTestServer({ ADMIN_TOKEN });
    ({ app } = server);
  });
  afterAll(() => server.close());

  async function signedUp() {
    const r = await app.inject({
      method: "POST",
      url: "/api/trpc/auth.signUp",
      payload: JSON.stringify({
        json: {
          email: `${Math.random().toString(36).slice(2)}@x.example`,
          password: "export pass 123",
          proof: await injectedProof(app),
        },
      }),
      headers: { "content-type": "application/json" },
    });
    return `wl_session=${r.cookies.find((c) => c.name === "wl_session")!.value}`;
  }

  /** The signed-in user's quota subject, as a service names it. */
  async function subjectOf(cookie: string): Promise<string> {
    const me = await app.inject({ method: "GET", url: "/api/trpc/auth.me", headers: { cookie } });
    const body: { result: { data: { json: { user: { id: string } } } } } = me.json();
    return `user:${body.result.data.json.user.id}`;
  }

  it("escapes cells a spreadsheet would run as formulas", () => {
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell("+1")).toBe("'+1");
    expect(csvCell("@SUM")).toBe("'@SUM");
    expect(csvCell(-5)).toBe("-5");
    expect(csvCell("openai/gpt-4o")).toBe("openai/gpt-4o");
  });

  it("downloads exactly the filtered series, CSV and JSON, for the caller only", async () => {
    const cookie = await signedUp();
    const now = Date.now();
    const records = [
      {
        idempotencyKey: "exp-0001",
        provider: "openai",
        model: "gpt-4o",
        inputTokens: 100,
        outputTokens: 50,
        costMicros: 1_250,
        occurredAt: new Date(now - 3_600_000).toISOString(),
      },
      {
        idempotencyKey: "exp-0002",
        provider: "anthropic",
        model: "claude-sonnet-4-5",
        inputTokens: 10,
        outputTokens: 5,
        costMicros: 105,
        occurredAt: new Date(now - 60_000).toISOString(),
      },
    ];
    const sync = await app.inject({
      method: "POST",
      url: "/api/trpc/usage.sync",
      payload: JSON.stringify({ json: { subject: await subjectOf(cookie), records } }),
      headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(sync.statusCode).toBe(200);
    const from = new Date(now - 6 * 3_600_000).toISOString();
    const to = new Date(now + 60_000).toISOString();
    const qs = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&granularity=hour&groupBy=provider`;

    const csv = await app.inject({ method: "GET", url: `/api/usage/export?format=csv&${qs}`, headers: { cookie } });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers["content-type"]).toMatch(/text\/csv/);
    expect(csv.headers["content-disposition"]).toMatch(/attachment; filename="wavelength-usage-.*\.csv"/);
    const lines = csv.body.trim().split("\r\n");
    expect(lines[0]).toBe("bucket_start,group,requests,input_tokens,output_tokens,cost_usd");
    const rows = lines.slice(1).map((l) => l.split(","));
    const sum = (i: number) => rows.reduce((n, r) => n + Number(r[i]), 0);
    expect(sum(2)).toBe(2);
    expect(sum(3)).toBe(110);
    expect(sum(4)).toBe(55);
    expect(Math.round(sum(5) * 1_000_000)).toBe(1_355);

    const json = await app.inject({ method: "GET", url: `/api/usage/export?format=json&${qs}`, headers: { cookie } });
    const body = json.json();
    expect(body.totals).toMatchObject({
      requests: 2,
      inputTokens: 110,
      outputTokens: 55,
      costMicros: 1_355,
      costUsd: "0.001355",
    });
    expect(body.rows).toHaveLength(rows.length);

    const other = await signedUp();
    const theirs = await app.inject({
      method: "GET",
      url: `/api/usage/export?format=json&${qs}`,
      headers: { cookie: other },
    });
    expect(theirs.json().totals.requests).toBe(0);
  });

  it("refuses bad filters with 400 naming the field", async () => {
    const r = await app.inject({
      method: "GET",
      url: "/api/usage/export?format=xml&from=yesterday&to=2026-01-01T00:00:00Z",
    });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.message).toMatch(/format/);
    expect(r.json().error.message).toMatch(/from/);
    const backwards = await app.inject({
      method: "GET",
      url: "/api/usage/export?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z",
    });
    expect(backwards.statusCode).toBe(400);
    expect(backwards.json().error.message).toMatch(/^to:/);
  });
});
