// NIST 800-63B: refuse passwords that are common, expected or easily guessed (a blocklist), and
// impose no composition rules. zxcvbn-ts matches the common-password list, dictionary words, names,
// keyboard walks, repeats, sequences and dates (with l33t and reversed spellings), and estimates the
// guesses an attacker needs; fewer than about a million (its scores 0 and 1) is refused. The
// account's own e-mail and name and the product's name count as guessable words too.
//
// The dictionary is about 2 MB: loaded on the first sign-up, not when the server starts.

import type { ZxcvbnFactory } from "@zxcvbn-ts/core";

/** zxcvbn's score 2 and up: at least ~10^6 guesses, "somewhat guessable", safe behind throttling. */
const MIN_SCORE = 2;

export const WEAK_PASSWORD_MESSAGE =
  "This password is too common or too easy to guess. Try a longer phrase of a few unrelated words";

let checker: Promise<ZxcvbnFactory> | null = null;

function load(): Promise<ZxcvbnFactory> {
  checker ??= (async () => {
    const [{ ZxcvbnFactory }, common] = await Promise.all([
      import("@zxcvbn-ts/core"),
      import("@zxcvbn-ts/language-common"),
    ]);
    return new ZxcvbnFactory({ dictionary: { ...common.dictionary }, graphs: common.adjacencyGraphs });
  })().catch((error: unknown) => {
    checker = null;
    throw error;
  });
  return checker;
}

/** Null when the password is acceptable, else the message to show on the password field. */
export async function passwordProblem(password: string, context: { email: string; name?: string | null }) {
  const zxcvbn = await load();
  const local = context.email.split("@")[0] ?? "";
  const userInputs = ["wavelength", context.email, local, ...(context.name ? [context.name] : [])];
  const { score } = zxcvbn.check(password, userInputs);
  return score >= MIN_SCORE ? null : WEAK_PASSWORD_MESSAGE;
}
