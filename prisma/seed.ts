// Demo data for an empty database: three users with their quota rows, 60 days of usage that
// follows a daily rhythm, the price book and a couple of conversations. `npm start` runs this on
// every start, so it does nothing once any user exists.
//
//   DATABASE_URL=pglite://./.data/pglite npx tsx prisma/seed.ts   (unset = the same)
//   DATABASE_URL=postgresql://…          npx tsx prisma/seed.ts
//
// Usage is generated one request at a time with a seeded PRNG keyed by (user, UTC hour), so a
// given hour always gets the same requests. It is written three ways:
//   - usage_records (hourly aggregates) for everything before the user's local today, in batches;
//   - settled usage_events (the ledger) only for the last 48 hours, not for all 60 days;
//   - the user's local today goes through engine.record(), which writes the ledger row, adds to
//     the hourly record and counts in the current quota windows, so today's meters are right.
// The monthly quota rows also get the month-to-date usage from before today (see
// addMonthToDateUsage), or the monthly meter would show today's usage only.

import { randomUUID } from "node:crypto";
import { createDb } from "../packages/db/src/index.ts";
import type { Prisma } from "../packages/db/src/index.ts";
import {
  PrismaMeteringStore,
  QuotaEngine,
  windowsFor,
  type ActualUsage,
  type QuotaRowState,
  type SubjectRef,
} from "../packages/api/src/metering/index.ts";
import {
  localDateString,
  tierLimits,
  userSubject,
  zonedParts,
  type LimitSpec,
  type QuotaScope,
  type TierName,
} from "../packages/shared/src/index.ts";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const HISTORY_DAYS = 60;
const LEDGER_HOURS = 48;
const BATCH = 1_000;
/** Past usage stays under this share of every limit of the user's tier (day and month). */
const LIMIT_HEADROOM = 0.8;
const PRICES_EFFECTIVE_FROM = new Date("2025-01-01T00:00:00.000Z");
const PRICE_VERSION = "2025-01-01";

// ---------------------------------------------------------------------------------------------
// Price book (micro-dollars per million tokens).

interface ModelDef {
  provider: string;
  model: string;
  input: number;
  output: number;
  cachedInput: number;
  contextWindow: number;
  /** Prompt caching applies (hosted providers only). */
  caches: boolean;
}

const MODELS = {
  "gpt-4o": {
    provider: "openai",
    model: "gpt-4o",
    input: 2_500_000,
    output: 10_000_000,
    cachedInput: 1_250_000,
    contextWindow: 128_000,
    caches: true,
  },
  "gpt-4o-mini": {
    provider: "openai",
    model: "gpt-4o-mini",
    input: 150_000,
    output: 600_000,
    cachedInput: 75_000,
    contextWindow: 128_000,
    caches: true,
  },
  "claude-sonnet-4-5": {
    provider: "anthropic",
    model: "claude-sonnet-4-5",
    input: 3_000_000,
    output: 15_000_000,
    cachedInput: 300_000,
    contextWindow: 200_000,
    caches: true,
  },
  "claude-opus-4-1": {
    provider: "anthropic",
    model: "claude-opus-4-1",
    input: 15_000_000,
    output: 75_000_000,
    cachedInput: 1_500_000,
    contextWindow: 200_000,
    caches: true,
  },
  "demo-1": {
    provider: "local-demo",
    model: "demo-1",
    input: 0,
    output: 0,
    cachedInput: 0,
    contextWindow: 8_192,
    caches: false,
  },
} as const satisfies Record<string, ModelDef>;
type ModelName = keyof typeof MODELS;

/** Cost in micro-dollars; cached tokens are part of the input tokens and billed at the cached rate. */
function costMicros(m: ModelDef, inputTokens: number, outputTokens: number, cachedInputTokens: number): number {
  const perMillion =
    (inputTokens - cachedInputTokens) * m.input + cachedInputTokens * m.cachedInput + outputTokens * m.output;
  return Math.round(perMillion / 1_000_000);
}

// ---------------------------------------------------------------------------------------------
// Demo users and how they use the product.

interface Profile {
  email: string;
  name: string;
  tier: TierName;
  role: "user" | "admin";
  timeZone: string;
  /** Requests on an ordinary weekday (weekends get WEEKEND_FACTOR of it). */
  weekdayRequests: number;
  /** Median prompt and completion sizes in tokens (log-normal around them). */
  inputMedian: number;
  outputMedian: number;
  mix: Partial<Record<ModelName, number>>;
}

const PROFILES: Profile[] = [
  {
    email: "demo@wavelength.local",
    name: "Demo User",
    tier: "free",
    role: "user",
    timeZone: "Europe/Berlin",
    weekdayRequests: 110,
    inputMedian: 110,
    outputMedian: 90,
    mix: {
      "gpt-4o-mini": 0.45,
      "demo-1": 0.22,
      "gpt-4o": 0.12,
      "claude-sonnet-4-5": 0.17,
      "claude-opus-4-1": 0.04,
    },
  },
  {
    email: "pro@wavelength.local",
    name: "Pro User",
    tier: "pro",
    role: "user",
    timeZone: "America/New_York",
    weekdayRequests: 320,
    inputMedian: 450,
    outputMedian: 260,
    mix: {
      "gpt-4o": 0.28,
      "gpt-4o-mini": 0.2,
      "claude-sonnet-4-5": 0.32,
      "claude-opus-4-1": 0.12,
      "demo-1": 0.08,
    },
  },
  {
    email: "admin@wavelength.local",
    name: "Admin",
    tier: "pro",
    role: "admin",
    timeZone: "UTC",
    weekdayRequests: 60,
    inputMedian: 300,
    outputMedian: 200,
    mix: {
      "gpt-4o-mini": 0.3,
      "claude-sonnet-4-5": 0.3,
      "gpt-4o": 0.2,
      "demo-1": 0.15,
      "claude-opus-4-1": 0.05,
    },
  },
];

const WEEKEND_FACTOR = 0.25;
/** Relative activity per local hour: working hours busy, a lunch dip, quiet nights. */
const HOUR_WEIGHTS = [
  0.03, 0.02, 0.01, 0.01, 0.01, 0.02, 0.06, 0.2, 0.55, 0.95, 1.0, 1.0, 0.6, 0.75, 0.95, 1.0, 0.9, 0.7, 0.4, 0.3, 0.35,
  0.3, 0.18, 0.08,
];
const HOUR_WEIGHT_SUM = HOUR_WEIGHTS.reduce((a, b) => a + b, 0);

// ---------------------------------------------------------------------------------------------
// Deterministic randomness.

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A 32-bit seed from a few integers (so an hour's draws do not depend on when the seed runs). */
function seedOf(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p & 0xffff), 0x01000193);
    h = Math.imul(h ^ (p >>> 16), 0x01000193);
  }
  return h >>> 0;
}

function normal(rand: () => number): number {
  const u = 1 - rand();
  const v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

function logNormal(rand: () => number, median: number, sigma: number): number {
  return median * Math.exp(sigma * normal(rand));
}

function poisson(rand: () => number, lambda: number): number {
  if (lambda <= 0) return 0;
  if (lambda > 30) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * normal(rand)));
  const l = Math.exp(-lambda);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= rand();
  } while (p > l);
  return k - 1;
}

function pick<T extends string>(rand: () => number, weights: Partial<Record<T, number>>): T {
  const entries = Object.entries(weights) as [T, number][];
  const total = entries.reduce((s, [, w]) => s + w, 0);
  let r = rand() * total;
  for (const [k, w] of entries) {
    r -= w;
    if (r < 0) return k;
  }
  return entries[entries.length - 1]![0];
}

// ---------------------------------------------------------------------------------------------
// Usage generation.

interface SeedEvent {
  at: Date;
  def: ModelDef;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  costMicros: number;
  /** Counted by our tokenizer because the provider reported nothing. */
  estimated: boolean;
  /** What admission reserved: a little above the actual usage. */
  estTokens: number;
  estCostMicros: number;
  /** Seconds between admission and settlement. */
  latencyS: number;
}

/** Running totals of one limit's window (a local day or month), to keep past usage under the limits. */
class LimitBudget {
  private readonly used = new Map<string, { requests: number; tokens: number; cost: number }>();
  constructor(
    private readonly limits: readonly LimitSpec[],
    private readonly timeZone: string,
  ) {}

  /** Counts the event if it fits under LIMIT_HEADROOM of every applicable limit; false otherwise. */
  take(e: SeedEvent): boolean {
    const day = localDateString(e.at, this.timeZone);
    const applicable = this.limits.filter((l) => applies(l, e.def.provider, e.def.model));
    const keys = applicable.map(
      (l) =>
        `${l.window === "daily" ? day : day.slice(0, 7)}|${l.window}|${l.scope}|${l.provider ?? ""}|${l.model ?? ""}`,
    );
    const tokens = e.inputTokens + e.outputTokens;
    const fits = applicable.every((l, i) => {
      const u = this.used.get(keys[i]!) ?? { requests: 0, tokens: 0, cost: 0 };
      return (
        (l.requests === null || u.requests + 1 <= l.requests * LIMIT_HEADROOM) &&
        (l.tokens === null || u.tokens + tokens <= l.tokens * LIMIT_HEADROOM) &&
        (l.costMicros === null || u.cost + e.costMicros <= l.costMicros * LIMIT_HEADROOM)
      );
    });
    if (!fits) return false;
    for (const key of keys) {
      const u = this.used.get(key) ?? { requests: 0, tokens: 0, cost: 0 };
      this.used.set(key, {
        requests: u.requests + 1,
        tokens: u.tokens + tokens,
        cost: u.cost + e.costMicros,
      });
    }
    return true;
  }
}

function applies(
  l: { scope: QuotaScope; provider?: string | null; model?: string | null },
  provider: string,
  model: string,
): boolean {
  if (l.scope === "general") return true;
  if (l.scope === "provider") return l.provider === provider;
  return l.provider === provider && l.model === model;
}

function makeEvent(rand: () => number, p: Profile, at: Date): SeedEvent {
  const def: ModelDef = MODELS[pick(rand, p.mix)];
  const maxInput = Math.min(def.contextWindow - 1_024, 16_000);
  let inputTokens = Math.round(Math.min(maxInput, Math.max(8, logNormal(rand, p.inputMedian, 0.7))));
  // Local models answer shorter; hosted ones occasionally write long answers.
  let outputTokens = Math.round(Math.max(4, logNormal(rand, p.outputMedian * (def.caches ? 1 : 0.7), 0.6)));
  outputTokens = Math.min(outputTokens, 4_096);
  if (inputTokens + outputTokens > def.contextWindow) inputTokens = def.contextWindow - outputTokens;
  // Follow-ups in long conversations hit the provider's prompt cache (in 128-token blocks, >= 1024).
  let cachedInputTokens = 0;
  if (def.caches && inputTokens >= 1_024 && rand() < 0.6) {
    cachedInputTokens = Math.floor((inputTokens * (0.4 + 0.5 * rand())) / 128) * 128;
  }
  const estimated = rand() < 0.03;
  const cost = costMicros(def, inputTokens, outputTokens, cachedInputTokens);
  const over = 1.05 + 0.25 * rand();
  return {
    at,
    def,
    inputTokens,
    outputTokens,
    cachedInputTokens,
    costMicros: cost,
    estimated,
    estTokens: Math.ceil((inputTokens + outputTokens) * over),
    estCostMicros: Math.ceil(cost * over),
    latencyS: 1 + Math.floor(rand() * 25),
  };
}

/** Every request of one user from `from` up to (not including) `now`, in time order. */
function generateUsage(userIndex: number, p: Profile, from: Date, now: Date): SeedEvent[] {
  const budget = new LimitBudget(tierLimits(p.tier), p.timeZone);
  const events: SeedEvent[] = [];
  const nowMs = now.getTime();
  for (let h = Math.floor(from.getTime() / HOUR_MS); h * HOUR_MS < nowMs; h++) {
    const start = h * HOUR_MS;
    const local = zonedParts(new Date(start), p.timeZone);
    const localDay = Math.floor(Date.UTC(local.year, local.month - 1, local.day) / DAY_MS);
    const weekday = new Date(localDay * DAY_MS).getUTCDay();
    const weekend = weekday === 0 || weekday === 6;
    // Day-to-day variation (a busy day, a day off) and a slow drift over the weeks.
    const dayRand = mulberry32(seedOf(userIndex, localDay, 7));
    const dayFactor =
      (dayRand() < 0.06 ? 0.15 : 0.7 + 0.6 * dayRand()) * (1 + 0.15 * Math.sin((2 * Math.PI * localDay) / 23));
    const perDay = p.weekdayRequests * (weekend ? WEEKEND_FACTOR : 1) * dayFactor;
    const rand = mulberry32(seedOf(userIndex, h));
    const count = poisson(rand, (perDay * HOUR_WEIGHTS[local.hour]!) / HOUR_WEIGHT_SUM);
    const times = Array.from({ length: count }, () => start + Math.floor(rand() * HOUR_MS)).sort((a, b) => a - b);
    for (const t of times) {
      const e = makeEvent(rand, p, new Date(t));
      // The current hour has only happened up to now.
      if (t >= nowMs) continue;
      if (budget.take(e)) events.push(e);
    }
  }
  return events;
}

// ---------------------------------------------------------------------------------------------
// Conversations of the demo user.

interface SeedConversation {
  title: string;
  model: ModelName;
  turns: [user: string, assistant: string][];
}

const CONVERSATIONS: SeedConversation[] = [
  {
    title: "Planning a weekend in Lisbon",
    model: "gpt-4o-mini",
    turns: [
      [
        "I have two days in Lisbon in spring. What should I not miss?",
        "Two days is enough for the highlights if you group them by neighbourhood:\n\n**Day 1 – Belém and the riverside**\n- Jerónimos Monastery and the Belém Tower (go early, queues grow fast)\n- Pastéis de Belém for the original custard tarts\n- Walk back along the river to the MAAT and LX Factory\n\n**Day 2 – the old town**\n- Tram 28 or a walk up through Alfama to the Castelo de São Jorge\n- Miradouro da Senhora do Monte at sunset\n- Dinner and fado in Alfama or Mouraria",
      ],
      [
        "Is the Lisboa Card worth it for that plan?",
        "Probably yes for day 1: it covers the monastery, the tower, public transport and the train to Belém. For day 2 alone it would not pay off, so a 24-hour card started on the morning of day 1 is the sweet spot.",
      ],
      [
        "Great. Any tips for getting from the airport?",
        "The metro's red line runs from the airport to the centre in about 25 minutes and costs under €2 with a Viva Viagem card. A taxi or ride-hail is €15–20 and worth it only with heavy luggage or late at night.",
      ],
    ],
  },
  {
    title: "Debounce vs throttle in TypeScript",
    model: "claude-sonnet-4-5",
    turns: [
      [
        "What's the difference between debounce and throttle? Show me a small debounce in TypeScript.",
        "**Debounce** waits until calls stop for `ms` milliseconds and then runs once; **throttle** runs at most once every `ms` milliseconds while calls keep coming.\n\n```ts\nexport function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number) {\n  let timer: ReturnType<typeof setTimeout> | undefined;\n  return (...args: A) => {\n    clearTimeout(timer);\n    timer = setTimeout(() => fn(...args), ms);\n  };\n}\n```\n\nUse debounce for search-as-you-type, throttle for scroll or resize handlers.",
      ],
      [
        "How would I cancel a pending call, e.g. when a React component unmounts?",
        "Return a `cancel` alongside the debounced function:\n\n```ts\nconst debounced = Object.assign((...args: A) => { /* as above */ }, {\n  cancel: () => clearTimeout(timer),\n});\n```\n\nIn React, create it with `useMemo` and call `debounced.cancel()` in the cleanup of a `useEffect`.",
      ],
    ],
  },
  {
    title: "Trying the offline model",
    model: "demo-1",
    turns: [
      [
        "Hello! Are you running locally?",
        "Hi! Yes — I'm demo-1, the built-in offline model. I run without any API key and don't count against your cost limits, though each message still counts as a request.",
      ],
    ],
  },
];

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = performance.now();
  const db = await createDb(process.env.DATABASE_URL);
  try {
    if ((await db.prisma.user.count()) > 0) {
      console.log("database already seeded");
      return;
    }
    await seed(db.prisma, db.kind, started);
  } finally {
    await db.close();
  }
}

type PrismaClient = Awaited<ReturnType<typeof createDb>>["prisma"];

async function seed(prisma: PrismaClient, kind: string, started: number): Promise<void> {
  const now = new Date();
  const from = new Date(now.getTime() - HISTORY_DAYS * DAY_MS);
  const ledgerFrom = now.getTime() - LEDGER_HOURS * HOUR_MS;
  const engine = new QuotaEngine({ store: new PrismaMeteringStore(prisma) });

  await prisma.modelPrice.createMany({
    data: Object.values(MODELS).map((m) => ({
      provider: m.provider,
      modelPattern: m.model,
      inputPerMillion: BigInt(m.input),
      outputPerMillion: BigInt(m.output),
      cachedInputPerMillion: BigInt(m.cachedInput),
      contextWindow: m.contextWindow,
      effectiveFrom: PRICES_EFFECTIVE_FROM,
    })),
    // A run that failed before creating the users (they come last) may have written these.
    skipDuplicates: true,
  });

  // Users are inserted last, so a run that fails halfway leaves no user and the next start seeds
  // again instead of reporting "already seeded" over half the data.
  const users = PROFILES.map((p) => ({ id: randomUUID(), profile: p }));
  let keyCounter = 0;
  let ledgerCount = 0;
  let todayCount = 0;
  const demoLedger: { id: string; event: SeedEvent }[] = [];
  const perUser: Record<string, { requests: number; tokens: number; costMicros: number; today: number }> = {};

  for (const [index, { id, profile: p }] of users.entries()) {
    const subject: SubjectRef = {
      key: userSubject(id),
      tier: p.tier,
      timeZone: p.timeZone,
    };
    await engine.init(subject);
    const rows = await engine.rows(subject);
    const windows = windowsFor(subject, now);
    const todayStart = windows.daily.start.getTime();
    const monthStart = windows.monthly.start.getTime();

    const events = generateUsage(index + 1, p, from, now);
    const before = events.filter((e) => e.at.getTime() < todayStart);
    const today = events.filter((e) => e.at.getTime() >= todayStart);

    // Hourly aggregates of everything before today.
    const hourly = new Map<
      string,
      Prisma.UsageRecordCreateManyInput & {
        n: {
          req: number;
          inp: number;
          out: number;
          cached: number;
          cost: number;
          est: number;
          estTok: number;
        };
      }
    >();
    for (const e of before) {
      const hourStart = Math.floor(e.at.getTime() / HOUR_MS) * HOUR_MS;
      const key = `${hourStart}|${e.def.provider}|${e.def.model}`;
      let r = hourly.get(key);
      if (!r) {
        const d = new Date(hourStart);
        r = {
          subject: subject.key,
          provider: e.def.provider,
          model: e.def.model,
          date: new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())),
          hour: d.getUTCHours(),
          updatedAt: new Date(hourStart + HOUR_MS),
          n: { req: 0, inp: 0, out: 0, cached: 0, cost: 0, est: 0, estTok: 0 },
        };
        hourly.set(key, r);
      }
      r.n.req++;
      r.n.inp += e.inputTokens;
      r.n.out += e.outputTokens;
      r.n.cached += e.cachedInputTokens;
      r.n.cost += e.costMicros;
      r.n.est += e.estimated ? 1 : 0;
      r.n.estTok += e.estTokens;
    }
    const records: Prisma.UsageRecordCreateManyInput[] = [...hourly.values()].map(({ n, ...r }) => ({
      ...r,
      requestCount: n.req,
      inputTokens: BigInt(n.inp),
      outputTokens: BigInt(n.out),
      cachedInputTokens: BigInt(n.cached),
      costMicros: BigInt(n.cost),
      estimatedCount: n.est,
      estTokens: BigInt(n.estTok),
    }));
    for (let i = 0; i < records.length; i += BATCH) {
      await prisma.usageRecord.createMany({
        data: records.slice(i, i + BATCH),
      });
    }

    // The ledger of the last 48 hours before today, as the engine would have left it after
    // admission and settlement: reserved at the request, settled a few seconds later.
    const ledger: Prisma.UsageEventCreateManyInput[] = [];
    for (const e of before) {
      if (e.at.getTime() < ledgerFrom) continue;
      const eventId = randomUUID();
      ledger.push({
        id: eventId,
        subject: subject.key,
        idempotencyKey: `seed-${++keyCounter}`,
        provider: e.def.provider,
        model: e.def.model,
        status: "settled",
        quotaRowIds: rows
          .filter((r) => applies(r, e.def.provider, e.def.model))
          .map((r) => r.id)
          .sort(),
        estTokens: BigInt(e.estTokens),
        estCostMicros: BigInt(e.estCostMicros),
        inputTokens: e.inputTokens,
        outputTokens: e.outputTokens,
        cachedInputTokens: e.cachedInputTokens,
        costMicros: BigInt(e.costMicros),
        usageEstimated: e.estimated,
        priceVersion: PRICE_VERSION,
        reservedAt: e.at,
        expiresAt: new Date(e.at.getTime() + engine.ttlMs),
        settledAt: new Date(e.at.getTime() + e.latencyS * 1_000),
      });
      if (index === 0) demoLedger.push({ id: eventId, event: e });
    }
    for (let i = 0; i < ledger.length; i += BATCH) {
      ledgerCount += (await prisma.usageEvent.createMany({ data: ledger.slice(i, i + BATCH) })).count;
    }

    // Today through the engine: ledger row, hourly record and the current windows in one call.
    for (const e of today) {
      const usage: ActualUsage = {
        inputTokens: e.inputTokens,
        outputTokens: e.outputTokens,
        cachedInputTokens: e.cachedInputTokens,
        costMicros: e.costMicros,
        estimated: e.estimated,
        priceVersion: PRICE_VERSION,
      };
      const r = await engine.record(subject, `seed-${++keyCounter}`, usage, {
        provider: e.def.provider,
        model: e.def.model,
        occurredAt: e.at,
      });
      if (r === "recorded") todayCount++;
    }

    await addMonthToDateUsage(
      prisma,
      rows,
      before.filter((e) => e.at.getTime() >= monthStart),
    );

    perUser[p.email] = {
      requests: events.length,
      tokens: events.reduce((s, e) => s + e.inputTokens + e.outputTokens, 0),
      costMicros: events.reduce((s, e) => s + e.costMicros, 0),
      today: today.length,
    };
  }

  const demo = users[0]!;
  const { conversations, messages } = await seedConversations(prisma, userSubject(demo.id), demoLedger, now);

  // passwordHash stays null: sign-in with a password comes with the accounts issue; until then
  // these users exist for the quota engine, analytics and admin views.
  await prisma.user.createMany({
    data: users.map(({ id, profile: p }) => ({
      id,
      email: p.email,
      name: p.name,
      tier: p.tier,
      role: p.role,
      timezone: p.timeZone,
      passwordHash: null,
      createdAt: new Date(from.getTime() - 3 * DAY_MS),
    })),
  });

  const [quotaRows, usageRecords, usageEvents] = await Promise.all([
    prisma.userQuotaLimit.count(),
    prisma.usageRecord.count(),
    prisma.usageEvent.count(),
  ]);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`seeded ${kind} database in ${seconds} s:`);
  console.log(
    `  ${users.length} users, ${quotaRows} quota rows, ${Object.keys(MODELS).length} model prices, ` +
      `${usageRecords} hourly usage records, ${usageEvents} usage events (${ledgerCount} of the last ${LEDGER_HOURS} h ` +
      `before today + ${todayCount} of today via the engine), ${conversations} conversations, ${messages} messages`,
  );
  for (const [email, u] of Object.entries(perUser)) {
    console.log(
      `  ${email.padEnd(24)} ${HISTORY_DAYS} days: ${u.requests} requests, ${u.tokens.toLocaleString("en-US")} tokens, ` +
        `$${(u.costMicros / 1_000_000).toFixed(2)}; today: ${u.today} requests`,
    );
  }
}

/**
 * Adds usage of this month before today to the monthly quota rows. engine.record() only counts
 * usage in the windows current when it runs (today's, recorded above); the earlier days of the
 * month are only in usage_records, so without this the monthly meter would show today's usage only.
 */
async function addMonthToDateUsage(
  prisma: PrismaClient,
  rows: readonly QuotaRowState[],
  events: readonly SeedEvent[],
): Promise<void> {
  for (const row of rows.filter((r) => r.window === "monthly")) {
    let requests = 0;
    let tokens = 0;
    let cost = 0;
    for (const e of events) {
      if (!applies(row, e.def.provider, e.def.model)) continue;
      requests++;
      tokens += e.inputTokens + e.outputTokens;
      cost += e.costMicros;
    }
    if (requests === 0) continue;
    await prisma.userQuotaLimit.update({
      where: { id: row.id },
      data: {
        requestsUsed: { increment: requests },
        tokensUsed: { increment: BigInt(tokens) },
        costUsedMicros: { increment: BigInt(cost) },
      },
    });
  }
}

/**
 * The demo user's conversations. Assistant replies point at ledger events of the last two days
 * with the conversation's model, so a message links to what it cost.
 */
async function seedConversations(
  prisma: PrismaClient,
  subject: string,
  ledger: readonly { id: string; event: SeedEvent }[],
  now: Date,
): Promise<{ conversations: number; messages: number }> {
  const used = new Set<string>();
  let messages = 0;
  for (const [i, c] of CONVERSATIONS.entries()) {
    const def = MODELS[c.model];
    // Oldest conversation first; each is a burst of replies a few minutes apart.
    const candidates = ledger.filter((l) => l.event.def === def && !used.has(l.id));
    const picked = candidates
      .slice(Math.floor((candidates.length * i) / CONVERSATIONS.length))
      .slice(0, c.turns.length);
    let t = picked[0]?.event.at.getTime() ?? now.getTime() - (CONVERSATIONS.length - i) * 6 * HOUR_MS;
    const data: Prisma.MessageCreateManyConversationInput[] = [];
    for (const [turn, [question, answer]] of c.turns.entries()) {
      const event = picked[turn];
      if (event) {
        used.add(event.id);
        t = Math.max(t, event.event.at.getTime());
      }
      data.push({ role: "user", content: question, createdAt: new Date(t) });
      t += (event?.event.latencyS ?? 5) * 1_000;
      data.push({
        role: "assistant",
        content: answer,
        provider: def.provider,
        model: def.model,
        usageEventId: event?.id ?? null,
        createdAt: new Date(t),
      });
      t += 90_000;
    }
    const createdAt = data[0]!.createdAt as Date;
    const updatedAt = data[data.length - 1]!.createdAt as Date;
    await prisma.conversation.create({
      data: {
        subject,
        title: c.title,
        createdAt,
        updatedAt,
        messages: { createMany: { data } },
      },
    });
    messages += data.length;
  }
  return { conversations: CONVERSATIONS.length, messages };
}

main().catch((error: unknown) => {
  console.error("seed failed:", error);
  process.exitCode = 1;
});
