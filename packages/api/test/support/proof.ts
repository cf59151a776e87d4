import { solveProofOfWork } from "@wavelength/shared/proof-of-work";
import type { ProofOfWorkPolicy } from "../../src/index.ts";

/**
 * The proof of work tests use: the real challenge and verification, with a few milliseconds of
 * work instead of a second (PBKDF2 with one iteration, a counter below 20).
 */
export const TEST_PROOF_OF_WORK: ProofOfWorkPolicy = { cost: 1, maxCounter: 20, ttlMs: 10 * 60_000 };

/** Asks `source` for a challenge and solves it: a payload for the `proof` field. */
export async function solvedProof(source: { challenge(): Promise<Parameters<typeof solveProofOfWork>[0]> }) {
  return solveProofOfWork(await source.challenge());
}
