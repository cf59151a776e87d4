import fc from "fast-check";

/**
 * One fixed seed for every fuzz property, so a run is reproducible; set
 * FUZZ_SEED to explore further (fast-check prints the seed and the shrunk
 * counterexample of any failure, to paste back here).
 */
export const FUZZ_SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20_261_128;

/** numRuns tuned for the whole fuzz suite to stay under a minute; FUZZ_SCALE=10 digs ten times deeper. */
export const runs = (n: number) => Math.max(1, Math.round(n * (Number(process.env.FUZZ_SCALE) || 1)));

/**
 * Zones whose rules stress window maths: one-hour DST both hemispheres, DST
 * at midnight (Santiago, Havana), a 30-minute DST (Lord Howe), a fall-back
 * across midnight (Beirut), large and odd offsets, no DST at all.
 */
export const ZONES = [
  "Europe/Berlin",
  "Europe/London",
  "America/New_York",
  "America/Los_Angeles",
  "America/Santiago",
  "America/Havana",
  "America/Sao_Paulo",
  "Australia/Sydney",
  "Australia/Lord_Howe",
  "Asia/Beirut",
  "Asia/Kolkata",
  "Asia/Kathmandu",
  "Pacific/Chatham",
  "Pacific/Kiritimati",
  "Pacific/Apia",
  "UTC",
] as const;

/** An instant (epoch ms) in [min, max). */
export const instantIn = (range: { min: number; max: number }) => fc.integer({ min: range.min, max: range.max - 1 });

/**
 * Instants the engine's clock starts from: a few hours either side of the
 * 2026 DST changes of the zones above and of month ends, where windows roll
 * over and where a bug in the lazy reset shows first.
 */
const CRITICAL = [
  "2026-01-31T22:00:00Z",
  "2026-02-28T22:00:00Z",
  "2026-03-08T06:00:00Z", // US spring forward
  "2026-03-29T00:30:00Z", // EU spring forward
  "2026-03-31T21:00:00Z",
  "2026-04-04T12:00:00Z", // Santiago and Sydney fall back
  "2026-09-06T03:00:00Z", // Santiago spring forward (24:00 -> 01:00)
  "2026-10-04T14:00:00Z", // Sydney spring forward
  "2026-10-25T00:30:00Z", // EU fall back
  "2026-10-31T22:00:00Z",
  "2026-11-01T05:00:00Z", // US fall back
  "2026-12-31T21:00:00Z",
].map((s) => Date.parse(s));

export const clockStart = fc
  .tuple(fc.constantFrom(...CRITICAL), fc.integer({ min: -30 * 3_600_000, max: 30 * 3_600_000 }))
  .map(([base, offset]) => base + offset);
