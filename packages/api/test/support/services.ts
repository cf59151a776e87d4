import { randomUUID } from "node:crypto";
import type { Database } from "@wavelength/db";
import {
  createCaller,
  createInnerContext,
  createServices,
  resolveAnonymous,
  type Identity,
  type Services,
  type ServiceOptions,
} from "../../src/index.ts";
import { freshDatabase, type TestDatabase } from "./databases.ts";
import { TEST_PROOF_OF_WORK } from "./proof.ts";

export interface TestApp {
  target: TestDatabase;
  db: Database;
  services: Services;
  close(): Promise<void>;
}

export async function openTestApp(engine: "pglite" | "postgres", options: ServiceOptions = {}): Promise<TestApp> {
  const target = await freshDatabase(engine);
  const db = await target.open();
  // Tests run the demo model without its typing delay, and solve proofs of work in milliseconds,
  // unless they ask otherwise.
  const services = createServices(db.prisma, {
    sql: db.sql,
    providers: { demo: { enabled: true, tokenDelayMs: 0 } },
    proofOfWork: TEST_PROOF_OF_WORK,
    ...options,
  });
  return {
    target,
    db,
    services,
    async close() {
      await services.chat.abortAll();
      await services.worker.stop();
      await db.close();
      await target.drop();
    },
  };
}

export async function anonymousCaller(
  services: Services,
  opts: { timeZone?: string; ipHash?: string | null; anonymousId?: string } = {},
) {
  const identity = await resolveAnonymous(services, {
    anonymousId: opts.anonymousId ?? randomUUID(),
    ipHash: opts.ipHash === undefined ? randomUUID().replaceAll("-", "") : opts.ipHash,
    timeZone: opts.timeZone ?? "Europe/Berlin",
  });
  const subject = `anon:${(identity as { anonymousId: string }).anonymousId}`;
  return { identity, subject, caller: createCaller(createInnerContext({ services, identity })) };
}

export async function userCaller(
  services: Services,
  opts: { tier?: "free" | "pro"; role?: "user" | "admin"; timeZone?: string } = {},
) {
  const user = await services.db.user.create({
    data: {
      email: `${randomUUID()}@test.local`,
      tier: opts.tier ?? "free",
      role: opts.role ?? "user",
      timezone: opts.timeZone ?? "America/New_York",
    },
  });
  const identity: Identity = {
    kind: "user",
    userId: user.id,
    email: user.email,
    tier: user.tier as "free" | "pro",
    role: user.role,
    timeZone: user.timezone,
  };
  return {
    user,
    identity,
    subject: `user:${user.id}`,
    caller: createCaller(createInnerContext({ services, identity })),
  };
}

/** A trusted service (the operator token over HTTP): the only caller of usage.reserve/release/sync. */
export function serviceCaller(services: Services) {
  const identity: Identity = { kind: "anonymous", anonymousId: randomUUID(), ipHash: null, timeZone: "UTC" };
  return createCaller(createInnerContext({ services, identity, isService: true }));
}
