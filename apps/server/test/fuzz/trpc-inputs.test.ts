import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callerArb, clip, expectHandled, FUZZ_SEED, openFuzzApp, runs, type FuzzApp } from "./support/fuzz-app.ts";
import { envelope, HOSTILE_TEXT, inputFor, replaceAt, stringLeaves, VALID } from "./support/inputs.ts";
import { PROCEDURES } from "./support/procedures.ts";

/**
 * Every tRPC procedure, enumerated from the router (a new one is fuzzed
 * without touching this file), with hostile inputs through the real HTTP host:
 * mutated valid inputs, random JSON, forged transformer metadata, as every
 * kind of caller, by the right and the wrong HTTP method. The answer is
 * always a 4xx (or a success), never a 5xx and never a stack trace.
 */

const RUNS_PER_PROCEDURE = 40;

describe("tRPC procedures under hostile input", { timeout: runs(60_000) }, () => {
  let fuzz: FuzzApp;
  beforeAll(async () => {
    fuzz = await openFuzzApp();
  });
  afterAll(async () => {
    await fuzz.close();
  });

  it("covers every procedure of the router", () => {
    // Guards the enumeration itself: an empty list would make the properties below vacuous.
    if (PROCEDURES.length < 20) throw new Error(`only ${PROCEDURES.length} procedures found`);
  });

  it.each(PROCEDURES)("$path ($type) answers a 4xx to bad input, never a 5xx", async ({ path, type }) => {
    await fc.assert(
      fc.asyncProperty(
        inputFor(VALID[path] ?? {}).chain(envelope),
        callerArb(fuzz),
        fc.oneof({ arbitrary: fc.constant("right"), weight: 7 }, { arbitrary: fc.constant("wrong"), weight: 1 }),
        async (wire, caller, method) => {
          await fuzz.ready();
          const asQuery = (type === "query") === (method === "right");
          const encoded = wire === undefined ? undefined : JSON.stringify(wire);
          const r = asQuery
            ? await fuzz.app.inject({
                method: "GET",
                url: `/api/trpc/${path}${encoded === undefined ? "" : `?input=${encodeURIComponent(encoded)}`}`,
                headers: caller.headers,
              })
            : await fuzz.app.inject({
                method: "POST",
                url: `/api/trpc/${path}`,
                ...(encoded === undefined ? {} : { payload: encoded }),
                headers: { ...caller.headers, "content-type": "application/json" },
              });
          expectHandled(r, `${asQuery ? "GET" : "POST"} ${path} as ${caller.name}: ${clip(encoded)}`, fuzz);
        },
      ),
      { numRuns: runs(RUNS_PER_PROCEDURE), seed: FUZZ_SEED },
    );
  });

  /**
   * Known 500s (reported to the lead): text with NUL or an unpaired surrogate
   * passes the schemas and PostgreSQL refuses to store or compare it ("invalid
   * byte sequence for encoding UTF8: 0x00"; Prisma: "unexpected end of hex
   * escape"). This list must only shrink; a fix belongs in the shared schemas
   * (refuse such text with a 400), after which it is empty.
   */
  // Empty: every text field refuses unstorable text with a 400 (it was 9 procedures' fields).
  const KNOWN_TEXT_500S: string[] = [];

  it("answers a 4xx, never a 5xx, to hostile text in every text field of every procedure", async () => {
    const failures = new Set<string>();
    for (const { path, type } of PROCEDURES) {
      const valid = VALID[path];
      if (valid === undefined) continue;
      // A caller of its own: what other requests did (quota used up, a sign-out) must not hide a 500.
      const headers = await fuzz.freshOperator();
      for (const leaf of stringLeaves(valid)) {
        for (const text of HOSTILE_TEXT) {
          const encoded = JSON.stringify({ json: replaceAt(valid, leaf, text) });
          const r =
            type === "query"
              ? await fuzz.app.inject({
                  method: "GET",
                  url: `/api/trpc/${path}?input=${encodeURIComponent(encoded)}`,
                  headers,
                })
              : await fuzz.app.inject({
                  method: "POST",
                  url: `/api/trpc/${path}`,
                  payload: encoded,
                  headers: { ...headers, "content-type": "application/json" },
                });
          const logged = fuzz.loggedErrors.splice(0);
          if (r.statusCode >= 500 || logged.length > 0) {
            failures.add(`${path} ${leaf.join(".")}: ${describeText(text)}`);
          } else {
            expectHandled(r, `${path} ${leaf.join(".")}=${JSON.stringify(text)}`, fuzz);
          }
        }
      }
    }
    expect([...failures].sort()).toEqual(KNOWN_TEXT_500S);
  });
});

function describeText(text: string): string {
  if (text.includes("\u0000")) return "NUL";
  // An unpaired surrogate (String.prototype.isWellFormed is ES2024, past this repository's lib).
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text)) return "unpaired surrogate";
  return JSON.stringify(text);
}
