import { randomUUID } from "node:crypto";
import type { Database } from "@wavelength/db";
import { isAppError, type AppError } from "@wavelength/shared";
import { AuthService, type SignInThrottlePolicy } from "../../src/auth/index.ts";
import { FakeClock } from "../../src/metering/clock.ts";
import { freshDatabase, type TestDatabase } from "../support/databases.ts";

export interface AuthTestBed {
  db: Database;
  clock: FakeClock;
  auth: AuthService;
  close(): Promise<void>;
}

export async function openAuthTestBed(
  engine: "pglite" | "postgres",
  options: { throttle?: SignInThrottlePolicy } = {},
): Promise<AuthTestBed> {
  const target: TestDatabase = await freshDatabase(engine);
  const db = await target.open();
  const clock = new FakeClock("2026-11-28T10:00:00Z");
  const auth = new AuthService({ db: db.prisma, clock, secureCookies: false, throttle: options.throttle });
  return {
    db,
    clock,
    auth,
    async close() {
      await db.close();
      await target.drop();
    },
  };
}

export function uniqueEmail(label = "user"): string {
  return `${label}-${randomUUID().slice(0, 8)}@example.com`;
}

export async function appErrorOf(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    if (isAppError(e)) return e;
    throw e;
  }
  throw new Error("expected an AppError");
}
