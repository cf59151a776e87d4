// The client side of the sign-up / sign-in proof of work: solve the server's ALTCHA (v2) challenge
// and encode the answer as the payload the server verifies. Web Crypto only, so the same code runs
// in the browser (the SPA runs it in a worker), in Node tests and in tools. Not exported from the
// package index: importing it pulls in the solver, which the SPA loads only when it needs it.

import { solveChallenge, type Challenge } from "altcha-lib";
import { deriveKey } from "altcha-lib/algorithms/web/pbkdf2";

/** What `auth.challenge` returns: signed ALTCHA parameters. */
export type ProofChallenge = Challenge;

/**
 * Finds the counter the challenge asks for and returns the payload for the `proof` field of
 * `auth.signUp` / `auth.signIn` (base64 of `{ challenge, solution }`, ALTCHA's own format).
 * Rejects when aborted or after `timeoutMs`.
 */
export async function solveProofOfWork(
  challenge: ProofChallenge,
  options: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<string> {
  const controller = new AbortController();
  const abort = () => controller.abort();
  options.signal?.addEventListener("abort", abort, { once: true });
  try {
    const solution = await solveChallenge({
      challenge,
      deriveKey,
      controller,
      timeout: options.timeoutMs ?? 60_000,
    });
    if (!solution) throw new Error("The proof of work was cancelled or took too long.");
    const { parameters, signature } = challenge;
    return btoa(JSON.stringify({ challenge: { parameters, signature }, solution }));
  } finally {
    options.signal?.removeEventListener("abort", abort);
  }
}
