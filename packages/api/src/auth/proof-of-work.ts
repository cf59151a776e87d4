// Self-hosted proof of work (ALTCHA v2, PBKDF2/SHA-256): a visitor must spend about a second of
// CPU for each sign-up, and for each sign-in once an account or address has failed a few times, so
// that scripted sign-ups and password guessing cost the attacker what they cost us, and more.
//
// Challenges are stateless (HMAC-signed, with the key the solver must find signed separately, so
// verifying is two HMACs); a verified answer is spent in the database, so the same solution is
// accepted once across every instance. Expiry is a signed field read with the injected clock.

import { createHmac } from "node:crypto";
import { createChallenge, randomInt, verifySolution, type Challenge } from "altcha-lib";
import { deriveKey } from "altcha-lib/algorithms/pbkdf2";
import { z } from "zod";
import type { Db } from "@wavelength/db";
import type { Clock } from "../metering/clock.ts";

export interface ProofOfWorkPolicy {
  /** PBKDF2 iterations per counter the solver tries (ALTCHA's `cost`). */
  cost: number;
  /**
   * The counter to find is drawn from [maxCounter / 2, maxCounter]; the solver tries every counter
   * up to it, so the work is about cost × 0.75 × maxCounter PBKDF2 iterations.
   */
  maxCounter: number;
  /** How long a challenge can be solved and used. */
  ttlMs: number;
}

/** About a second in a browser on a laptop (2 million PBKDF2-SHA-256 iterations on average). */
export const DEFAULT_PROOF_OF_WORK: ProofOfWorkPolicy = { cost: 1_000, maxCounter: 3_000, ttlMs: 10 * 60_000 };

export const PROOF_ALGORITHM = "PBKDF2/SHA-256";
/** Marks our challenges, so a challenge signed for another purpose with the same secret is refused. */
const PURPOSE = "wavelength-auth";

export type ProofVerdict = "ok" | "missing" | "invalid" | "expired" | "spent";

// What must be there before the signature is checked; extra fields are left to the signature,
// which covers every parameter.
const payloadSchema = z.object({
  challenge: z.object({
    parameters: z.looseObject({
      algorithm: z.literal(PROOF_ALGORITHM),
      keySignature: z.string().min(1).max(256),
      data: z.looseObject({ purpose: z.literal(PURPOSE), expiresAtMs: z.number().int() }),
    }),
    signature: z.string().regex(/^[0-9a-f]{64}$/),
  }),
  solution: z.object({ counter: z.number(), derivedKey: z.string().max(256) }),
});

export class ProofOfWork {
  private readonly challengeSecret: string;
  private readonly keySecret: string;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    secret: string,
    readonly policy: ProofOfWorkPolicy = DEFAULT_PROOF_OF_WORK,
  ) {
    // Keys of their own, derived from the server secret: a signature made here means nothing elsewhere.
    this.challengeSecret = subKey(secret, "altcha-challenge");
    this.keySecret = subKey(secret, "altcha-key");
  }

  /** A fresh challenge for `auth.challenge`. */
  async challenge(): Promise<Challenge> {
    const { cost, maxCounter, ttlMs } = this.policy;
    return createChallenge({
      algorithm: PROOF_ALGORITHM,
      cost,
      counter: randomInt(maxCounter, Math.ceil(maxCounter / 2)),
      deriveKey,
      data: { purpose: PURPOSE, expiresAtMs: this.clock.now().getTime() + ttlMs },
      hmacSignatureSecret: this.challengeSecret,
      hmacKeySignatureSecret: this.keySecret,
    });
  }

  /**
   * Checks a payload and, when it is good, spends it (atomically: of two requests carrying the
   * same payload, one gets "ok"). Never throws for a bad payload; database errors do propagate.
   */
  async spend(payload: string | null | undefined): Promise<ProofVerdict> {
    if (!payload) return "missing";
    const decoded = decode(payload);
    const parsed = payloadSchema.safeParse(decoded);
    if (!parsed.success) return "invalid";
    const { challenge } = parsed.data;
    let verified: boolean;
    try {
      // The raw objects, not the parsed copies: the signature covers every field as sent.
      const raw = decoded as { challenge: Challenge; solution: { counter: number; derivedKey: string } };
      ({ verified } = await verifySolution({
        challenge: raw.challenge,
        solution: raw.solution,
        deriveKey,
        hmacSignatureSecret: this.challengeSecret,
        hmacKeySignatureSecret: this.keySecret,
      }));
    } catch {
      return "invalid";
    }
    if (!verified) return "invalid";
    const expiresAtMs = challenge.parameters.data.expiresAtMs;
    if (expiresAtMs <= this.clock.now().getTime()) return "expired";
    const { count } = await this.db.spentChallenge.createMany({
      data: [{ signature: challenge.signature, expiresAt: new Date(expiresAtMs) }],
      skipDuplicates: true,
    });
    return count === 1 ? "ok" : "spent";
  }

  /** Spent challenges past their expiry can no longer be replayed anyway; drop them. */
  async purgeExpired(): Promise<number> {
    const { count } = await this.db.spentChallenge.deleteMany({ where: { expiresAt: { lte: this.clock.now() } } });
    return count;
  }
}

function subKey(secret: string, purpose: string): string {
  return createHmac("sha256", secret).update(purpose).digest("hex");
}

function decode(payload: string): unknown {
  try {
    return JSON.parse(Buffer.from(payload, "base64").toString("utf8"));
  } catch {
    return null;
  }
}
