import { randomUUID } from "node:crypto";
import type { Database } from "@wavelength/db";
import { isAppError, type AppError } from "@wavelength/shared";
import type { SignUpInput } from "@wavelength/shared";
import {
  AuthService,
  type RequestMeta,
  type SignInThrottlePolicy,
  type SignUpThrottlePolicy,
} from "../../src/auth/index.ts";
import { FakeClock } from "../../src/metering/clock.ts";
import { freshDatabase, type TestDatabase } from "../support/databases.ts";
import { TEST_PROOF_OF_WORK, solvedProof } from "../support/proof.ts";

export interface AuthTestBed {
  db: Database;
  clock: FakeClock;
  auth: AuthService;
  /** A solved challenge for `proof`. */
  proof(): Promise<string>;
  /** `auth.signUp` with a freshly solved proof of work, as the SPA sends it. */
  signUp(input: Omit<SignUpInput, "proof">, meta: RequestMeta): ReturnType<AuthService["signUp"]>;
  close(): Promise<void>;
}

export async function openAuthTestBed(
  engine: "pglite" | "postgres",
  options: { throttle?: SignInThrottlePolicy; signUpThrottle?: SignUpThrottlePolicy } = {},
): Promise<AuthTestBed> {
  const target: TestDatabase = await freshDatabase(engine);
  const db = await target.open();
  const clock = new FakeClock("2026-11-28T10:00:00Z");
  const auth = new AuthService({
    db: db.prisma,
    clock,
    secureCookies: false,
    throttle: options.throttle,
    // The tests here sign many accounts up without an address; the allowance has its own tests.
    signUpThrottle: options.signUpThrottle ?? {
      address: { limit: 1000, windowMs: 3_600_000 },
      site: { limit: 1000, windowMs: 3_600_000 },
    },
    proofOfWork: TEST_PROOF_OF_WORK,
    secret: "auth-test-bed-secret",
    sql: db.sql,
  });
  return {
    db,
    clock,
    auth,
    proof: () => solvedProof(auth),
    signUp: async (input, meta) => auth.signUp({ ...input, proof: await solvedProof(auth) }, meta),
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
