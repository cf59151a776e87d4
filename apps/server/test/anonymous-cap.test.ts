import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IP_DAILY_REQUEST_CAP, ANONYMOUS_DAILY_MESSAGES } from "@wavelength/shared";
import type { Database } from "@wavelength/db";
import { openTestServer, type TestServer } from "./support/test-server.ts";

describe("anonymous allowance from one address", () => {
  let server: TestServer;
  let db: Database;
  let app: FastifyInstance;
  beforeAll(async () => {
    server = await openTestServer();
    ({ app, db } = server);
  });
  afterAll(() => server.close());

  it("is not renewed by clearing cookies: the address cap holds across cookie rotation", async () => {
    let admitted = 0;
    let lastDenial: { limit: number } | undefined;
    const visitors = Math.ceil(IP_DAILY_REQUEST_CAP / ANONYMOUS_DAILY_MESSAGES) + 1;
    for (let v = 0; v < visitors; v++) {
      // A fresh browser each time: no cookies at all, as after clearing them.
      let cookie = "";
      for (let i = 0; i < ANONYMOUS_DAILY_MESSAGES; i++) {
        const r = await app.inject({
          method: "POST",
          url: "/api/trpc/chat.send",
          payload: JSON.stringify({
            json: { provider: "local-demo", model: "demo-1", content: "hi", maxOutputTokens: 4 },
          }),
          headers: { "content-type": "application/json", cookie },
        });
        const set = r.cookies.find((c) => c.name === "wl_anon");
        if (set) cookie = `wl_anon=${set.value}`;
        if (r.statusCode === 200) admitted++;
        else {
          expect(r.statusCode).toBe(429);
          lastDenial = r.json().error.json.data.quota[0];
        }
      }
    }
    expect(admitted).toBe(IP_DAILY_REQUEST_CAP);
    expect(lastDenial).toMatchObject({ limit: IP_DAILY_REQUEST_CAP, dimension: "requests" });
    expect(await db.prisma.anonymousSession.count()).toBe(visitors);
  });

  it("tells an anonymous visitor its messages used, the limit and the local reset", async () => {
    const r = await app.inject({
      method: "GET",
      url: "/api/trpc/auth.me",
      headers: { "x-time-zone": "Pacific/Auckland" },
    });
    const me = r.json().result.data.json;
    expect(me).toMatchObject({
      kind: "anonymous",
      timezone: "Pacific/Auckland",
      messagesUsed: 0,
      messageLimit: ANONYMOUS_DAILY_MESSAGES,
    });
    const local = new Intl.DateTimeFormat("en-GB", {
      timeZone: "Pacific/Auckland",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
    expect(local.format(new Date(me.resetsAt))).toBe("00:00");
    // An invalid zone from the browser falls back to UTC instead of failing.
    const bad = await app.inject({ method: "GET", url: "/api/trpc/auth.me", headers: { "x-time-zone": "Not/AZone" } });
    expect(bad.json().result.data.json.timezone).toBe("UTC");
  });
});
