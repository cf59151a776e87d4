import { expect } from "vitest";
import type { MeteringStore, QuotaRowState, SubjectKey } from "../../../src/metering/index.ts";
import { applies, keyName, normalRows, ROUTES, rowKey, Run, type Op, type World } from "./engine-ops.ts";

interface Tracked {
  owner: SubjectKey;
  key: string;
  /** Rows the admission reserved on (natural keys), as they stood right after it. */
  rowKeys: Set<string>;
  est: number;
  cost: number;
  reservedAt: number;
}

type Views = Map<string, QuotaRowState[]>;

/**
 * Checks the engine's invariants after every operation of a run:
 *  - nothing used or reserved is ever negative, every window is non-empty and
 *    (as read now) contains now;
 *  - an admission leaves every row it reserved on within every limit;
 *  - a denial, a check, a duplicate or a refused admission changes nothing,
 *    and every denial names a dimension that really would go over;
 *  - requests used + reserved never exceed the request limit of a row, in
 *    every window not touched by an operation that may legitimately push usage
 *    over (a late settle after expiry, a record, an override or tier change
 *    that lowers a limit: documented behaviours, not admissions);
 *  - reservations add up: each row's reserved amounts equal the sum of the
 *    in-flight reservations made on it in its current window (clamping at zero
 *    in the stores would otherwise hide a lost or doubled give-back).
 */
export class InvariantChecker {
  private views: Views = new Map();
  private readonly taintedUntil = new Map<string, number>();
  private readonly tracked = new Map<string, Tracked>();

  constructor(
    private readonly run: Run,
    private readonly accountingEveryStep: boolean,
  ) {}

  async start(): Promise<void> {
    this.views = await this.readViews();
  }

  private now(): number {
    return this.run.clock.now().getTime();
  }

  private async readViews(): Promise<Views> {
    const out: Views = new Map();
    for (const ref of this.run.allRefs()) out.set(ref.key, await this.run.engine.rows(ref));
    return out;
  }

  private taint(subjects: readonly (string | undefined)[], until: number): void {
    for (const s of subjects) if (s) this.taintedUntil.set(s, Math.max(this.taintedUntil.get(s) ?? -Infinity, until));
  }

  /** Call before applying `o`: notes what the operation may do to limits (reads the event it settles). */
  async before(o: Op): Promise<void> {
    const now = this.now();
    switch (o.k) {
      case "settle": {
        const t = this.run.target(o);
        const x = this.run.subject(t.s);
        const e = await this.run.store.getEvent(x.ref.key, keyName(t.key));
        // Usage of a reservation that expired (or was never made) lands without an admission.
        if (!e || e.status === "expired") this.taint([x.ref.key, x.ip?.key], now);
        break;
      }
      case "record":
      case "clearOverride":
      case "retier":
        this.taint([this.run.subject(o.s).ref.key], now);
        break;
      case "override":
        // The limit may drop now, and again when the override lapses back to the tier's.
        this.taint([this.run.subject(o.s).ref.key], now + (o.ttlMs ?? 0));
        break;
      default:
        break;
    }
  }

  async after(o: Op, outcome: unknown, step: number): Promise<void> {
    const at = `step ${step} ${JSON.stringify(o)} -> ${JSON.stringify(outcome)}`;
    const now = this.now();
    const prev = this.views;
    const views = await this.readViews();
    this.views = views;

    for (const ref of this.run.allRefs()) {
      for (const r of await this.run.store.readRows(ref.key, this.run.clock.now())) {
        expect(r.windowStart.getTime(), `${at}: stored window of ${rowKey(r)}`).toBeLessThan(r.resetAt.getTime());
        nonNegative(r, `${at}: stored ${rowKey(r)}`);
      }
      for (const r of views.get(ref.key)!) {
        nonNegative(r, `${at}: ${rowKey(r)}`);
        expect(r.windowStart.getTime(), `${at}: ${rowKey(r)} starts after now`).toBeLessThanOrEqual(now);
        expect(r.resetAt.getTime(), `${at}: ${rowKey(r)} resets at or before now`).toBeGreaterThan(now);
        const clean = r.windowStart.getTime() > (this.taintedUntil.get(r.subject) ?? -Infinity);
        if (clean && r.requestLimit !== null) {
          expect(
            r.requestsUsed + r.requestsReserved,
            `${at}: requests over the limit on ${rowKey(r)}`,
          ).toBeLessThanOrEqual(r.requestLimit);
        }
      }
    }

    if (o.k === "admit" || o.k === "check") {
      const x = this.run.subject(o.s);
      const route = ROUTES[o.route]!;
      const owners = [x.ref.key, ...(x.ip ? [x.ip.key] : [])];
      const d = outcome as { allowed?: boolean; duplicate?: boolean; denials?: Denial[] };
      const reserved = o.k === "admit" && d.allowed === true && d.duplicate === false;
      if (reserved) {
        const rowKeys = new Set<string>();
        for (const s of owners) {
          for (const r of views.get(s)!.filter((r) => applies(r, route.provider, route.model))) {
            rowKeys.add(rowKey(r));
            withinAllLimits(r, `${at}: admitted past a limit on ${rowKey(r)}`);
          }
        }
        this.tracked.set(`${x.ref.key}|${keyName(o.key)}`, {
          owner: x.ref.key,
          key: keyName(o.key),
          rowKeys,
          est: o.est,
          cost: o.cost,
          reservedAt: now,
        });
      } else {
        // Nothing reserved, nothing observable changed (a lazy reset is invisible through rows()).
        // Ids are left out: a first admission turns a subject's virtual rows into stored ones.
        for (const s of owners) {
          expect(normalRows(views.get(s)!), `${at}: changed ${s}`).toEqual(normalRows(prev.get(s)!));
        }
      }
      for (const den of d.denials ?? []) {
        const need = den.dimension === "requests" ? 1 : Math.max(den.dimension === "tokens" ? o.est : o.cost, 1);
        expect(den.used + need, `${at}: a denial that would fit`).toBeGreaterThan(den.limit);
      }
    }

    if (this.accountingEveryStep) await this.accounting(at);
  }

  /** Each row's reservations equal what its in-flight admissions of this window reserved. */
  async accounting(at = "end of run"): Promise<void> {
    const inFlight: Tracked[] = [];
    for (const t of this.tracked.values()) {
      const e = await this.run.store.getEvent(t.owner, t.key);
      if (e?.status === "reserved") inFlight.push(t);
    }
    for (const rows of this.views.values()) {
      for (const r of rows) {
        const mine = inFlight.filter((t) => t.rowKeys.has(rowKey(r)) && t.reservedAt >= r.windowStart.getTime());
        expect(
          { requests: r.requestsReserved, tokens: r.tokensReserved, cost: r.costReservedMicros },
          `${at}: reservations of ${rowKey(r)} do not add up`,
        ).toEqual({
          requests: mine.length,
          tokens: mine.reduce((n, t) => n + t.est, 0),
          cost: mine.reduce((n, t) => n + t.cost, 0),
        });
      }
    }
  }
}

interface Denial {
  dimension: "requests" | "tokens" | "costMicros";
  used: number;
  limit: number;
}

function nonNegative(r: QuotaRowState, at: string): void {
  for (const v of [
    r.requestsUsed,
    r.tokensUsed,
    r.costUsedMicros,
    r.requestsReserved,
    r.tokensReserved,
    r.costReservedMicros,
  ]) {
    expect(Number.isSafeInteger(v) && v >= 0, `${at}: ${JSON.stringify(r)}`).toBe(true);
  }
}

function withinAllLimits(r: QuotaRowState, at: string): void {
  if (r.requestLimit !== null) expect(r.requestsUsed + r.requestsReserved, at).toBeLessThanOrEqual(r.requestLimit);
  if (r.tokenLimit !== null) expect(r.tokensUsed + r.tokensReserved, at).toBeLessThanOrEqual(r.tokenLimit);
  if (r.costLimitMicros !== null)
    expect(r.costUsedMicros + r.costReservedMicros, at).toBeLessThanOrEqual(r.costLimitMicros);
}

/** Runs `ops` on a fresh engine over `store`, checking every invariant after every operation. */
export async function checkRun(store: MeteringStore, w: World, ops: readonly Op[], accountingEveryStep: boolean) {
  const run = new Run(store, w);
  await run.setup();
  const checker = new InvariantChecker(run, accountingEveryStep);
  await checker.start();
  for (const [i, o] of ops.entries()) {
    await checker.before(o);
    await checker.after(o, await run.apply(o), i);
  }
  await checker.accounting();
}
