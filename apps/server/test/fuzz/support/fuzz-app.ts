import fc from "fast-check";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { expect } from "vitest";
import { createServices, type Services } from "@wavelength/api";
import type { Database } from "@wavelength/db";
import { freshPglite, type TestDatabase } from "../../../../../packages/api/test/support/databases.ts";
import { buildApp } from "../../../src/app.ts";
import { authConfig, loadEnv } from "../../../src/env.ts";
import { injectedProof } from "../../support/proof.ts";
import { TEST_AUTH_ENV } from "../../support/test-server.ts";

export const ADMIN_TOKEN = "fuzz-admin-token-0123456789";

/** One fixed seed for every property; FUZZ_SEED explores others (failures print seed and path). */
export const FUZZ_SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20_261_128;

/** numRuns tuned for the whole fuzz suite to stay under a minute; FUZZ_SCALE=10 digs ten times deeper. */
export const runs = (n: number) => Math.max(1, Math.round(n * (Number(process.env.FUZZ_SCALE) || 1)));

export interface FuzzApp {
  app: FastifyInstance;
  services: Services;
  /** Cookie headers of callers that get past the identity gates: a visitor, a user, a user with the admin token. */
  callers: { name: string; headers: Record<string, string> }[];
  /** Errors the API logged as server bugs ("procedure failed"): each one is a 500 somewhere. */
  loggedErrors: string[];
  /**
   * Call before each request: gives the user a new session if a fuzzed
   * auth.signOut (or anything else) ended it, so later requests still get
   * past the sign-in gate.
   */
  ready(): Promise<void>;
  /** Headers of a new signed-in user holding the admin token, untouched by earlier requests (quota, sign-outs). */
  freshOperator(): Promise<Record<string, string>>;
  close(): Promise<void>;
}

/** The real HTTP host on a fresh PGlite, with the demo model at full speed. */
export async function openFuzzApp(): Promise<FuzzApp> {
  const target: TestDatabase = freshPglite();
  const db: Database = await target.open();
  const loggedErrors: string[] = [];
  const env = loadEnv({ SESSION_SECRET: "f".repeat(40), ADMIN_TOKEN, LOG_LEVEL: "silent", ...TEST_AUTH_ENV });
  const services = createServices(db.prisma, {
    sql: db.sql,
    ...authConfig(env),
    providers: { demo: { enabled: true, tokenDelayMs: 0 } },
    logger: {
      info() {},
      warn() {},
      error(obj, msg) {
        loggedErrors.push(`${msg ?? ""} ${JSON.stringify(obj)}`);
      },
    },
  });
  const app = await buildApp({ env, services, logger: false });

  const visitor = await app.inject({ method: "GET", url: "/api/trpc/usage.status" });
  const anon = visitor.cookies.find((c) => c.name === "wl_anon")!.value;
  const signUp = await app.inject({
    method: "POST",
    url: "/api/trpc/auth.signUp",
    payload: JSON.stringify({
      json: { email: "fuzz-user@x.example", password: "fuzz password 123", proof: await injectedProof(app) },
    }),
    headers: { "content-type": "application/json" },
  });
  let session = signUp.cookies.find((c) => c.name === "wl_session")!.value;
  const userId = (await services.auth.validate(session))!.user.id;
  const user = { name: "user", headers: { cookie: `wl_session=${session}` } };
  const operator = {
    name: "operator",
    headers: { cookie: `wl_session=${session}`, authorization: `Bearer ${ADMIN_TOKEN}` },
  };
  const callers: FuzzApp["callers"] = [
    { name: "new visitor", headers: {} },
    { name: "visitor", headers: { cookie: `wl_anon=${anon}` } },
    user,
    operator,
    { name: "forged cookies", headers: { cookie: "wl_session=forged; wl_anon=not-a-uuid.sig" } },
  ];

  return {
    app,
    services,
    callers,
    loggedErrors,
    async ready() {
      if (await services.auth.validate(session)) return;
      session = (await services.auth.createSessionFor(userId)).session.id;
      user.headers.cookie = operator.headers.cookie = `wl_session=${session}`;
    },
    async freshOperator() {
      const email = `fuzz-${Math.random().toString(36).slice(2)}@x.example`;
      const r = await app.inject({
        method: "POST",
        url: "/api/trpc/auth.signUp",
        payload: JSON.stringify({ json: { email, password: "fuzz password 123", proof: await injectedProof(app) } }),
        headers: { "content-type": "application/json" },
      });
      const cookie = r.cookies.find((c) => c.name === "wl_session")!.value;
      return { cookie: `wl_session=${cookie}`, authorization: `Bearer ${ADMIN_TOKEN}` };
    },
    async close() {
      await app.close();
      await services.chat.abortAll();
      await services.worker.stop();
      await db.close();
      await target.drop();
    },
  };
}

/**
 * A caller for a request; mostly the operator, since operator procedures
 * check the caller before the input and would otherwise rarely see one.
 */
export function callerArb(fuzz: FuzzApp): fc.Arbitrary<FuzzApp["callers"][number]> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(...fuzz.callers), weight: 3 },
    { arbitrary: fc.constant(fuzz.callers.find((c) => c.name === "operator")!), weight: 2 },
  );
}

// A V8 stack frame ("at fn (file:line:col)"), a source path with a line number, or a module path.
const STACK_TRACE = /\n\s+at \S|\bat \S+ \(|\.[cm]?[jt]sx?:\d+:\d+|node_modules\/|\/work\//;

/** A server answer to hostile input: a 4xx (or success), never a 5xx, never internals. */
export function expectHandled(
  r: Pick<LightMyRequestResponse, "statusCode" | "body">,
  what: string,
  fuzz: FuzzApp,
): void {
  const body = r.body.length > 2_000 ? `${r.body.slice(0, 2_000)}…` : r.body;
  expect(r.statusCode, `${what}\n-> ${r.statusCode} ${body}`).toBeLessThan(500);
  expect(STACK_TRACE.test(r.body), `stack trace in the body of ${what}\n-> ${body}`).toBe(false);
  // A batch answers 207 with one status per call: an internal error can hide inside one.
  expect(r.body.includes("INTERNAL_SERVER_ERROR"), `internal error inside ${what}\n-> ${body}`).toBe(false);
  // Logged while this request ran or since the last check (a background chat task, say).
  const logged = fuzz.loggedErrors.splice(0).join("\n");
  expect(logged, `server bug logged by or before ${what}`).toBe("");
}

/** A request or body cut to a readable length for a failure message. */
export function clip(s: string | undefined): string {
  if (s === undefined) return "(no input)";
  return s.length > 600 ? `${s.slice(0, 600)}… (${s.length} chars)` : s;
}
