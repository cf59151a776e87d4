import fc from "fast-check";
import { isAppError, windowBounds, type TierName, type WindowType } from "@wavelength/shared";
import {
  FakeClock,
  QuotaEngine,
  type LimitRowSpec,
  type MeteringStore,
  type QuotaRowState,
  type SubjectRef,
  windowsFor,
} from "../../../src/metering/index.ts";
import { clockStart, ZONES } from "./arbitraries.ts";

/**
 * Random worlds and operation sequences for the quota engine, run the same
 * way on any store: subjects with small limits (so limits are actually hit),
 * then admit / check / settle / release / expire / sweep / reset / override /
 * record / tier and zone changes interleaved with clock jumps across
 * midnights, month ends and DST changes.
 */

export const ROUTES = [
  { provider: "openai", model: "gpt-4o-mini" },
  { provider: "anthropic", model: "claude-opus-4-1" },
  { provider: "anthropic", model: "claude-sonnet-4-5" },
  { provider: "local-demo", model: "demo-1" },
] as const;

/** Row keys a limit can sit on: the tier table's shapes plus one the tiers do not have. */
const SHAPES: readonly Omit<LimitRowSpec, "requests" | "tokens" | "costMicros">[] = [
  { window: "daily", scope: "general", provider: "", model: "" },
  { window: "monthly", scope: "general", provider: "", model: "" },
  { window: "daily", scope: "provider", provider: "openai", model: "" },
  { window: "daily", scope: "model", provider: "anthropic", model: "claude-opus-4-1" },
  { window: "monthly", scope: "provider", provider: "anthropic", model: "" },
];

export const KEYS = 5;
export const TTL_MS = 5 * 60_000;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export interface SubjectPlan {
  tier: TierName;
  timeZone: string;
  /** Small limits written before the run (null: the tier's, created lazily on first use). */
  limits: LimitRowSpec[] | null;
  /** Anonymous visitors are also held by a per-address cap: that subject's own limits. */
  ipLimits: LimitRowSpec[] | null;
}

export interface World {
  start: number;
  subjects: SubjectPlan[];
}

const amounts: { [K in "requests" | "tokens" | "costMicros"]: fc.Arbitrary<number | null> } = {
  requests: fc.option(fc.integer({ min: 0, max: 6 }), { freq: 4 }),
  tokens: fc.option(fc.integer({ min: 0, max: 3_000 }), { freq: 3 }),
  costMicros: fc.option(fc.integer({ min: 0, max: 20_000 }), { freq: 3 }),
};

const limitsFor = (shape: (typeof SHAPES)[number]) => fc.record(amounts).map((a): LimitRowSpec => ({ ...shape, ...a }));

// The daily general row always exists; the others come and go.
const smallLimits = fc
  .tuple(
    limitsFor(SHAPES[0]!),
    fc.subarray(SHAPES.slice(1)).chain((shapes) => fc.tuple(...shapes.map(limitsFor))),
  )
  .map(([daily, rest]) => [daily, ...rest]);

const subjectPlan: fc.Arbitrary<SubjectPlan> = fc
  .record({
    tier: fc.constantFrom<TierName>("anonymous", "free", "pro"),
    timeZone: fc.constantFrom(...ZONES),
    limits: fc.option(smallLimits, { freq: 4 }),
    ipLimits: fc.option(
      limitsFor(SHAPES[0]!).map((l) => [l]),
      { freq: 2 },
    ),
  })
  .map((p) => (p.tier === "anonymous" ? p : { ...p, ipLimits: null }));

export const world: fc.Arbitrary<World> = fc.record({
  start: clockStart,
  subjects: fc.array(subjectPlan, { minLength: 1, maxLength: 3 }),
});

export type Op =
  | { k: "admit"; s: number; route: number; est: number; cost: number; key: number; quiet: boolean }
  | { k: "check"; s: number; route: number; est: number; cost: number }
  | {
      k: "settle";
      s: number;
      key: number;
      recent: number | null;
      route: number;
      input: number;
      output: number;
      cost: number;
    }
  | { k: "release"; s: number; key: number; recent: number | null }
  | { k: "record"; s: number; key: number; route: number; input: number; output: number; cost: number; agoMs: number }
  | { k: "expire" }
  | { k: "sweep" }
  | { k: "resetUsage"; s: number; window: WindowType | null }
  | {
      k: "override";
      s: number;
      shape: number;
      requests: number | null;
      tokens: number | null;
      costMicros: number | null;
      ttlMs: number | null;
    }
  | { k: "clearOverride"; s: number; shape: number }
  | { k: "retier"; s: number; tier: "free" | "pro" }
  | { k: "moveZone"; s: number; timeZone: string }
  | { k: "advance"; ms: number }
  | { k: "toMidnight"; s: number; window: WindowType; deltaMs: number };

const s = fc.nat({ max: 2 });
const key = fc.nat({ max: KEYS - 1 });
const route = fc.nat({ max: ROUTES.length - 1 });
/** Settles and releases mostly aim at one of the last admissions, else at any (subject, key). */
const recent = fc.option(fc.nat({ max: 5 }), { freq: 5 });
const est = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 300 }), fc.integer({ min: 300, max: 4_000 }));
const cost = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2_000 }), fc.integer({ min: 2_000, max: 25_000 }));

const baseOps: fc.WeightedArbitrary<Op>[] = [
  { arbitrary: fc.record({ k: fc.constant("admit"), s, route, est, cost, key, quiet: fc.boolean() }), weight: 8 },
  { arbitrary: fc.record({ k: fc.constant("check"), s, route, est, cost }), weight: 2 },
  {
    arbitrary: fc.record({ k: fc.constant("settle"), s, key, recent, route, input: est, output: est, cost }),
    weight: 5,
  },
  { arbitrary: fc.record({ k: fc.constant("release"), s, key, recent }), weight: 2 },
  {
    arbitrary: fc.record({
      k: fc.constant("record"),
      s,
      key: fc.integer({ min: KEYS, max: KEYS + 2 }),
      route,
      input: est,
      output: est,
      cost,
      agoMs: fc.integer({ min: 0, max: 3 * DAY }),
    }),
    weight: 1,
  },
  { arbitrary: fc.constant({ k: "expire" as const }), weight: 2 },
  { arbitrary: fc.constant({ k: "sweep" as const }), weight: 2 },
  {
    arbitrary: fc.record({
      k: fc.constant("resetUsage"),
      s,
      window: fc.constantFrom<WindowType | null>(null, "daily", "monthly"),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      k: fc.constant("override"),
      s,
      shape: fc.nat({ max: SHAPES.length - 1 }),
      ...amounts,
      ttlMs: fc.option(fc.integer({ min: 1, max: 2 * DAY }), { freq: 2, nil: null }),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({ k: fc.constant("clearOverride"), s, shape: fc.nat({ max: SHAPES.length - 1 }) }),
    weight: 1,
  },
  {
    arbitrary: fc.record({ k: fc.constant("retier"), s, tier: fc.constantFrom<"free" | "pro">("free", "pro") }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      k: fc.constant("advance"),
      ms: fc.oneof(
        fc.integer({ min: 1, max: 10 * MINUTE }),
        fc.integer({ min: 10 * MINUTE, max: 8 * HOUR }),
        fc.integer({ min: 8 * HOUR, max: 40 * DAY }),
      ),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      k: fc.constant("toMidnight"),
      s,
      window: fc.constantFrom<WindowType>("daily", "daily", "monthly"),
      deltaMs: fc.integer({ min: -1_000, max: 1_000 }),
    }),
    weight: 3,
  },
];

/** Operation sequences, with or without time-zone moves (profile.update). */
export function opsArb(options: { zoneMoves: boolean }): fc.Arbitrary<Op[]> {
  const moves: fc.WeightedArbitrary<Op>[] = options.zoneMoves
    ? [{ arbitrary: fc.record({ k: fc.constant("moveZone"), s, timeZone: fc.constantFrom(...ZONES) }), weight: 1 }]
    : [];
  return fc.array(fc.oneof(...baseOps, ...moves), { minLength: 1, maxLength: 40, size: "max" });
}

export const ops = opsArb({ zoneMoves: true });

/** A subject as the run knows it (the tier may change with "retier"). */
export interface LiveSubject {
  ref: SubjectRef;
  ip: SubjectRef | null;
}

export function liveSubjects(w: World): LiveSubject[] {
  return w.subjects.map((p, i) => ({
    ref: { key: `${p.tier === "anonymous" ? "anon" : "user"}:fuzz${i}`, tier: p.tier, timeZone: p.timeZone },
    ip: p.tier === "anonymous" ? { key: `ip:fuzz${i}`, tier: "anonymous", timeZone: p.timeZone } : null,
  }));
}

export const keyName = (k: number) => `fuzz-key-${k}`;

const usage = (input: number, output: number, costMicros: number) => ({
  inputTokens: input,
  outputTokens: output,
  cachedInputTokens: 0,
  costMicros,
  estimated: false,
  priceVersion: "fuzz-v1",
});

/** One run's engine on a store, with the world's subjects and small limits in place. */
export class Run {
  readonly clock: FakeClock;
  readonly engine: QuotaEngine;
  readonly subjects: LiveSubject[];
  /** (subject, key) of every admit so far, whatever its outcome: a target for settles and releases. */
  private readonly admits: { s: number; key: number }[] = [];

  constructor(
    readonly store: MeteringStore,
    readonly world: World,
  ) {
    this.clock = new FakeClock(new Date(world.start));
    this.engine = new QuotaEngine({ store, clock: this.clock, reservationTtlMs: TTL_MS });
    this.subjects = liveSubjects(world);
  }

  async setup(): Promise<void> {
    const now = this.clock.now();
    for (const [i, plan] of this.world.subjects.entries()) {
      const live = this.subjects[i]!;
      if (plan.limits) await this.store.syncLimits(windowsFor(live.ref, now), plan.limits, now, "sync");
      if (live.ip && plan.ipLimits) await this.store.syncLimits(windowsFor(live.ip, now), plan.ipLimits, now, "sync");
    }
  }

  subject(i: number): LiveSubject {
    return this.subjects[i % this.subjects.length]!;
  }

  /** Every subject the run can touch (address caps included). */
  allRefs(): SubjectRef[] {
    return this.subjects.flatMap((x) => (x.ip ? [x.ref, x.ip] : [x.ref]));
  }

  /** The (subject, key) a settle or release aims at; depends on the operations only, not on a store. */
  target(o: { s: number; key: number; recent: number | null }): { s: number; key: number } {
    if (o.recent === null || this.admits.length === 0) return o;
    return this.admits[Math.max(this.admits.length - 1 - o.recent, 0)]!;
  }

  /** Applies one operation; the result is a plain, store-independent value (ids and orders normalised). */
  async apply(o: Op): Promise<unknown> {
    try {
      return await this.applyRaw(o);
    } catch (error) {
      // Denials are values; an AppError is a refusal the router turns into a 4xx. Anything else is a bug.
      if (isAppError(error)) return { error: error.code };
      throw error;
    }
  }

  private async applyRaw(o: Op): Promise<unknown> {
    switch (o.k) {
      case "admit":
      case "check": {
        if (o.k === "admit") this.admits.push({ s: o.s, key: o.key });
        const x = this.subject(o.s);
        const input = {
          subject: x.ref,
          also: x.ip ? [x.ip] : [],
          ...ROUTES[o.route]!,
          estTokens: o.est,
          estCostMicros: o.cost,
          key: o.k === "admit" ? keyName(o.key) : "fuzz-check",
          quiet: o.k === "admit" && o.quiet,
        };
        const d = o.k === "admit" ? await this.engine.admit(input) : await this.engine.check(input);
        return d.allowed
          ? { allowed: true, duplicate: d.duplicate, failOpen: d.failOpen, quotas: sortByKey(d.quotas) }
          : { allowed: false, denials: sortByKey(d.denials), quotas: sortByKey(d.quotas) };
      }
      case "settle": {
        const t = this.target(o);
        // A key the store never saw (fail-open admission) is recorded against this route.
        return this.engine.settle(
          this.subject(t.s).ref,
          keyName(t.key),
          usage(o.input, o.output, o.cost),
          ROUTES[o.route]!,
        );
      }
      case "release": {
        const t = this.target(o);
        return this.engine.release(this.subject(t.s).ref, keyName(t.key));
      }
      case "record":
        return this.engine.record(this.subject(o.s).ref, keyName(o.key), usage(o.input, o.output, o.cost), {
          ...ROUTES[o.route]!,
          occurredAt: new Date(this.clock.now().getTime() - o.agoMs),
        });
      case "expire":
        return this.engine.expireReservations();
      case "sweep":
        return this.engine.resetExpired();
      case "resetUsage":
        return this.engine.resetUsage(this.subject(o.s).ref, o.window ?? undefined);
      case "override": {
        const expiresAt = o.ttlMs === null ? null : new Date(this.clock.now().getTime() + o.ttlMs);
        await this.engine.setOverride(
          this.subject(o.s).ref,
          { ...SHAPES[o.shape]!, requests: o.requests, tokens: o.tokens, costMicros: o.costMicros },
          expiresAt,
        );
        return "ok";
      }
      case "clearOverride":
        await this.engine.clearOverride(this.subject(o.s).ref, SHAPES[o.shape]!);
        return "ok";
      case "retier": {
        const x = this.subject(o.s);
        if (x.ref.tier === "anonymous") return "skipped";
        x.ref = { ...x.ref, tier: o.tier };
        await this.engine.init(x.ref);
        return "ok";
      }
      case "moveZone": {
        // As profile.update does: the new zone applies to each window from its next reset.
        const x = this.subject(o.s);
        await this.engine.setTimeZone(x.ref, o.timeZone);
        x.ref = { ...x.ref, timeZone: o.timeZone };
        return "ok";
      }
      case "advance":
        this.clock.advance(o.ms);
        return this.clock.now().toISOString();
      case "toMidnight": {
        const x = this.subject(o.s);
        const reset = windowBounds(o.window, this.clock.now(), x.ref.timeZone).resetsAt.getTime();
        this.clock.set(new Date(Math.max(reset + o.deltaMs, this.clock.now().getTime())));
        return this.clock.now().toISOString();
      }
    }
  }
}

const naturalKey = (r: { window: string; scope: string; provider: string | null; model: string | null }) =>
  `${r.window}|${r.scope}|${r.provider ?? ""}|${r.model ?? ""}`;

function sortByKey<
  T extends { window: string; scope: string; provider: string | null; model: string | null; dimension?: string },
>(xs: readonly T[]): T[] {
  // Statuses carry no subject: an address cap's row ties with the visitor's own, so the whole value breaks the tie.
  const k = (x: T) => `${naturalKey(x)}|${x.dimension ?? ""}|${JSON.stringify(x)}`;
  return [...xs].sort((a, b) => (k(a) < k(b) ? -1 : k(a) > k(b) ? 1 : 0));
}

/** A row without its id (each store mints its own), keyed by subject and natural key. */
export function rowKey(r: Pick<QuotaRowState, "subject" | "window" | "scope" | "provider" | "model">): string {
  return `${r.subject}|${naturalKey(r)}`;
}

export function normalRows(rows: readonly QuotaRowState[]): Omit<QuotaRowState, "id">[] {
  return rows
    .map(({ id: _id, ...rest }) => rest)
    .sort((a, b) => (rowKey(a) < rowKey(b) ? -1 : rowKey(a) > rowKey(b) ? 1 : 0));
}

/** Does a row of the subject apply to a request for this provider and model (as the stores decide)? */
export function applies(row: QuotaRowState, provider: string, model: string): boolean {
  return (
    row.scope === "general" ||
    (row.scope === "provider" && row.provider === provider) ||
    (row.scope === "model" && row.provider === provider && row.model === model)
  );
}
