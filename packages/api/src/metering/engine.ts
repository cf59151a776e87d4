import {
  AppError,
  IP_DAILY_REQUEST_CAP,
  type QuotaDenial,
  type QuotaDimensionStatus,
  type TierName,
  type WindowType,
} from "@wavelength/shared";
import { systemClock, type Clock } from "./clock.ts";
import { silentLogger, type Logger } from "./logger.ts";
import { asOf, rowStatuses, toDenials } from "./statuses.ts";
import type { MeteringStore } from "./store.ts";
import type { SubjectKey, SubjectRef } from "./subject.ts";
import type { ActualUsage, LimitRowSpec, QuotaRowState, StoreAdmitResult } from "./types.ts";
import { tierRowSpecs, windowsFor } from "./windows.ts";

export type FailMode = "open" | "closed";

/** Where usage goes when the store cannot take it in-line (see outbox.ts). */
export interface UsageQueue {
  enqueue(job: QueuedUsage): Promise<void>;
}

/** Usage the store could not take in-line, as the outbox keeps it (JSON-safe but for the Date). */
export interface QueuedUsage {
  /** settle: an admitted request's usage; record: usage reported after the fact. */
  kind: "settle" | "record";
  subject: SubjectKey;
  tier: TierName;
  timeZone: string;
  key: string;
  provider: string;
  model: string;
  occurredAt: Date;
  usage: ActualUsage;
}

export interface EngineOptions {
  store: MeteringStore;
  clock?: Clock;
  /** open (default): admit when the store is unreachable and queue the usage; closed: refuse. */
  failMode?: FailMode;
  /** How long a reservation may be held before the sweeper gives it back (the holder crashed). */
  reservationTtlMs?: number;
  logger?: Logger;
  queue?: UsageQueue;
  /** Told about every refused admission (not checks), e.g. to count blocked requests per day. */
  onDenied?: (input: AdmitInput, denials: QuotaDenial[]) => Promise<void>;
}

export interface AdmitInput {
  subject: SubjectRef;
  /** Further subjects that must also have room (the per-address cap of anonymous visitors). */
  also?: readonly SubjectRef[];
  provider: string;
  model: string;
  estTokens: number;
  estCostMicros: number;
  /** Idempotency key: admitting the same key twice reserves once. */
  key: string;
  /** Do not count a denial as a blocked request (the caller may still retry it smaller). */
  quiet?: boolean;
}

export type AdmitDecision =
  | {
      allowed: true;
      key: string;
      eventId: string | null;
      /** Filled for checks; empty after an admission (read `statuses()` for the new standing). */
      quotas: QuotaDimensionStatus[];
      /** Admitted without the store (fail mode open); usage is queued at settle time. */
      failOpen: boolean;
      /** The key had been admitted before; nothing new was reserved. */
      duplicate: boolean;
    }
  | {
      allowed: false;
      key: string;
      denials: QuotaDenial[];
      /** The subject whose limit each denial is (same order): the caller's own, or a co-subject's. */
      deniedSubjects: string[];
      quotas: QuotaDimensionStatus[];
    };

export type SettleOutcome = "settled" | "duplicate" | "recorded" | "queued" | "released";

export interface EngineMetrics {
  admitted: number;
  denied: number;
  failOpenAdmissions: number;
  failClosedRefusals: number;
  storeErrors: number;
  queuedUsage: number;
}

export const DEFAULT_RESERVATION_TTL_MS = 10 * 60_000;

/** The limits a subject starts with: its own (an API key's), the address cap for `ip:`, else its tier's. */
export function initialLimits(subject: SubjectRef): LimitRowSpec[] {
  if (subject.limits) return [...subject.limits];
  if (subject.key.startsWith("key:")) throw new Error(`${subject.key} needs its own limits`);
  if (subject.key.startsWith("ip:")) {
    return [
      {
        window: "daily",
        scope: "general",
        provider: "",
        model: "",
        requests: IP_DAILY_REQUEST_CAP,
        tokens: null,
        costMicros: null,
      },
    ];
  }
  return tierRowSpecs(subject.tier);
}

/**
 * The quota engine: admission against every applicable limit at once, settlement
 * exactly once, expiry of abandoned reservations, lazy and swept resets. Denials
 * are values; only errors of the store are thrown (or absorbed in fail-open mode).
 */
export class QuotaEngine {
  readonly store: MeteringStore;
  readonly clock: Clock;
  readonly failMode: FailMode;
  readonly ttlMs: number;
  private readonly log: Logger;
  private readonly queue: UsageQueue | undefined;
  private readonly onDenied: EngineOptions["onDenied"];
  readonly metrics: EngineMetrics = {
    admitted: 0,
    denied: 0,
    failOpenAdmissions: 0,
    failClosedRefusals: 0,
    storeErrors: 0,
    queuedUsage: 0,
  };

  constructor(options: EngineOptions) {
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.failMode = options.failMode ?? "open";
    this.ttlMs = options.reservationTtlMs ?? DEFAULT_RESERVATION_TTL_MS;
    this.log = options.logger ?? silentLogger;
    this.queue = options.queue;
    this.onDenied = options.onDenied;
  }

  /** Gives the subject its tier's limits (idempotent; also applies a tier change). */
  async init(subject: SubjectRef): Promise<void> {
    const now = this.clock.now();
    await this.store.syncLimits(windowsFor(subject, now), initialLimits(subject), now, "sync");
  }

  /** First use of a subject: create missing rows, leave existing ones alone (cheap under a burst). */
  private async initMissing(subject: SubjectRef): Promise<void> {
    const now = this.clock.now();
    await this.store.syncLimits(windowsFor(subject, now), initialLimits(subject), now, "missing");
  }

  async needsInit(subject: SubjectRef): Promise<boolean> {
    return (await this.store.readRows(subject.key, this.clock.now())).length === 0;
  }

  /** Reserves the estimate on every applicable limit, or denies naming every binding one. */
  admit(input: AdmitInput): Promise<AdmitDecision> {
    return this.decide(input, false);
  }

  /** The same decision without reserving anything (advisory, for instant feedback). */
  check(input: AdmitInput): Promise<AdmitDecision> {
    return this.decide(input, true);
  }

  private async decide(input: AdmitInput, dryRun: boolean): Promise<AdmitDecision> {
    assertAmount("estTokens", input.estTokens);
    assertAmount("estCostMicros", input.estCostMicros);
    const subjects = [input.subject, ...(input.also ?? [])];
    let result: StoreAdmitResult;
    try {
      result = await this.storeAdmit(input, subjects, dryRun);
      if (result.status === "uninitialized") {
        await Promise.all(
          subjects
            .filter((s) => result.status === "uninitialized" && result.subjects.includes(s.key))
            .map((s) => this.initMissing(s)),
        );
        result = await this.storeAdmit(input, subjects, dryRun);
      }
    } catch (error) {
      return this.storeDown(input, error);
    }
    switch (result.status) {
      case "uninitialized":
        throw new Error(`quota rows missing after init for ${result.subjects.join(", ")}`);
      case "duplicate": {
        if (result.eventStatus === "released" || result.eventStatus === "expired") {
          throw new AppError(
            "CONFLICT",
            "This request was already admitted and then given up; use a new idempotency key.",
          );
        }
        return {
          allowed: true,
          key: input.key,
          eventId: result.eventId,
          quotas: [],
          failOpen: false,
          duplicate: true,
        };
      }
      case "denied":
        if (!dryRun && !input.quiet) await this.noteDenied(input, toDenials(result.denials, result.rows));
        return {
          allowed: false,
          key: input.key,
          denials: toDenials(result.denials, result.rows),
          deniedSubjects: result.denials.map((d) => result.rows.find((r) => r.id === d.rowId)?.subject ?? ""),
          quotas: rowStatuses(result.rows),
        };
      case "checked":
        return {
          allowed: true,
          key: input.key,
          eventId: null,
          quotas: rowStatuses(result.rows),
          failOpen: false,
          duplicate: false,
        };
      case "admitted":
        this.metrics.admitted++;
        return {
          allowed: true,
          key: input.key,
          eventId: result.eventId,
          quotas: rowStatuses(result.rows),
          failOpen: false,
          duplicate: false,
        };
    }
  }

  /** Counts a refused request (metrics and the onDenied hook); never throws. */
  async noteDenied(input: AdmitInput, denials: QuotaDenial[]): Promise<void> {
    this.metrics.denied++;
    await this.onDenied?.(input, denials).catch((error: unknown) => {
      this.log.warn({ err: errorMessage(error) }, "could not record a denial");
    });
  }

  private storeAdmit(input: AdmitInput, subjects: readonly SubjectRef[], dryRun: boolean) {
    const now = this.clock.now();
    return this.store.admit({
      windows: subjects.map((s) => windowsFor(s, now)),
      provider: input.provider,
      model: input.model,
      key: input.key,
      estTokens: input.estTokens,
      estCostMicros: input.estCostMicros,
      now,
      ttlMs: this.ttlMs,
      dryRun,
    });
  }

  private storeDown(input: AdmitInput, error: unknown): AdmitDecision {
    if (error instanceof AppError) throw error;
    this.metrics.storeErrors++;
    if (this.failMode === "closed") {
      this.metrics.failClosedRefusals++;
      this.log.error(
        { err: errorMessage(error), subject: input.subject.key },
        "quota store unreachable: refusing (fail mode closed)",
      );
      throw new AppError(
        "QUOTA_STORE_UNAVAILABLE",
        "Usage limits cannot be checked right now. Please try again shortly.",
        undefined,
        { cause: error },
      );
    }
    this.metrics.failOpenAdmissions++;
    this.log.warn(
      { err: errorMessage(error), subject: input.subject.key },
      "quota store unreachable: admitting (fail mode open)",
    );
    return {
      allowed: true,
      key: input.key,
      eventId: null,
      quotas: [],
      failOpen: true,
      duplicate: false,
    };
  }

  /**
   * Records the real usage of an admitted request exactly once. A settle for a
   * key the store never saw (admitted in fail-open mode) records it as it is;
   * if the store is unreachable, the usage goes to the durable queue.
   */
  async settle(
    subject: SubjectRef,
    key: string,
    usage: ActualUsage,
    request: { provider: string; model: string; occurredAt?: Date },
  ): Promise<SettleOutcome> {
    for (const [name, v] of Object.entries({
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      cachedInputTokens: usage.cachedInputTokens,
      costMicros: usage.costMicros,
    })) {
      assertAmount(name, v);
    }
    const now = this.clock.now();
    try {
      const r = await this.store.settle({
        subject: subject.key,
        key,
        now,
        ...usage,
      });
      if (r.status !== "not_found") return r.status;
      return await this.record(subject, key, usage, { ...request, occurredAt: request.occurredAt ?? now });
    } catch (error) {
      if (error instanceof AppError) throw error;
      this.metrics.storeErrors++;
      await this.enqueue({
        kind: "settle",
        subject: subject.key,
        tier: subject.tier,
        key,
        usage,
        provider: request.provider,
        model: request.model,
        timeZone: subject.timeZone,
        occurredAt: request.occurredAt ?? now,
      });
      return "queued";
    }
  }

  /** Usage that happened outside an admission (batch sync): recorded once per key. */
  async record(
    subject: SubjectRef,
    key: string,
    usage: ActualUsage,
    request: { provider: string; model: string; occurredAt: Date },
  ): Promise<"recorded" | "duplicate"> {
    const now = this.clock.now();
    if ((await this.store.readRows(subject.key, now)).length === 0) await this.initMissing(subject);
    const r = await this.store.record({
      windows: windowsFor(subject, now),
      key,
      now,
      ...request,
      ...usage,
    });
    return r.status;
  }

  /** Applies one queued usage item straight to the store; throws if it cannot (the outbox retries). */
  async applyQueued(job: QueuedUsage): Promise<SettleOutcome> {
    const subject: SubjectRef = { key: job.subject, tier: job.tier, timeZone: job.timeZone };
    const now = this.clock.now();
    if (job.kind === "settle") {
      const r = await this.store.settle({ subject: job.subject, key: job.key, now, ...job.usage });
      if (r.status !== "not_found") return r.status;
    }
    if ((await this.store.readRows(subject.key, now)).length === 0) await this.initMissing(subject);
    const rec = await this.store.record({
      windows: windowsFor(subject, now),
      key: job.key,
      provider: job.provider,
      model: job.model,
      occurredAt: job.occurredAt,
      now,
      ...job.usage,
    });
    return rec.status === "recorded" ? "recorded" : "duplicate";
  }

  private async enqueue(job: QueuedUsage): Promise<void> {
    this.metrics.queuedUsage++;
    if (!this.queue) throw new Error("quota store unreachable and no usage queue configured");
    await this.queue.enqueue(job);
    this.log.warn({ subject: job.subject, kind: job.kind }, "usage queued for later settlement");
  }

  /** A provider failure with no output: give the reservation back, charge nothing. */
  async release(subject: SubjectRef, key: string): Promise<"released" | "unchanged" | "not_found"> {
    return (await this.store.release(subject.key, key, this.clock.now())).status;
  }

  /** Gives back reservations held past their TTL (their holder died). */
  expireReservations(limit = 500): Promise<number> {
    return this.store.expire(this.clock.now(), limit);
  }

  /** The periodic reset sweep: every row whose window ended starts its next one, per zone. */
  async resetExpired(): Promise<number> {
    const now = this.clock.now();
    let n = 0;
    for (const timeZone of await this.store.dueTimezones(now)) {
      const w = windowsFor({ key: "ip:sweep", timeZone }, now);
      n += await this.store.rollZone(timeZone, w, now);
    }
    return n;
  }

  /**
   * Rows as they read now (lazy reset applied to the view), for status and
   * analytics. A subject never seen yet reads as its tier's limits, unused.
   */
  async rows(subject: SubjectRef): Promise<QuotaRowState[]> {
    const now = this.clock.now();
    const w = windowsFor(subject, now);
    const stored = await this.store.readRows(subject.key, now);
    if (stored.length > 0) return stored.map((r) => asOf(r, now, w));
    return initialLimits(subject).map((spec) => virtualRow(subject, spec, w));
  }

  async statuses(subject: SubjectRef): Promise<QuotaDimensionStatus[]> {
    return rowStatuses(await this.rows(subject));
  }

  /**
   * A new zone for the subject: its windows move at their next reset (moving
   * the current one would hand out a second day of allowance). The periodic
   * sweep reads the zone from the rows, so it is stored there now.
   */
  async setTimeZone(subject: SubjectRef, timeZone: string): Promise<void> {
    await this.store.setTimeZone(subject.key, timeZone);
  }

  /** An operator override of one limit; `expiresAt` null keeps it until cleared. */
  async setOverride(subject: SubjectRef, spec: LimitRowSpec, expiresAt: Date | null): Promise<void> {
    // A subject never seen yet gets its tier's other limits first, not the override alone.
    if (await this.needsInit(subject)) await this.initMissing(subject);
    const now = this.clock.now();
    if (expiresAt && expiresAt <= now) throw new AppError("BAD_REQUEST", "expiresAt must be in the future");
    await this.store.setOverride(windowsFor(subject, now), spec, { expiresAt }, now);
  }

  async clearOverride(
    subject: SubjectRef,
    spec: Omit<LimitRowSpec, "requests" | "tokens" | "costMicros">,
  ): Promise<void> {
    if (await this.needsInit(subject)) await this.initMissing(subject);
    const now = this.clock.now();
    await this.store.setOverride(
      windowsFor(subject, now),
      { ...spec, requests: null, tokens: null, costMicros: null },
      null,
      now,
    );
  }

  resetUsage(subject: SubjectRef, window?: WindowType): Promise<number> {
    return this.store.resetUsage(subject.key, window, this.clock.now());
  }
}

function virtualRow(subject: SubjectRef, spec: LimitRowSpec, w: ReturnType<typeof windowsFor>): QuotaRowState {
  const b = spec.window === "daily" ? w.daily : w.monthly;
  return {
    id: `virtual:${spec.window}:${spec.scope}:${spec.provider}:${spec.model}`,
    subject: subject.key,
    window: spec.window,
    scope: spec.scope,
    provider: spec.provider,
    model: spec.model,
    timezone: subject.timeZone,
    requestLimit: spec.requests,
    tokenLimit: spec.tokens,
    costLimitMicros: spec.costMicros,
    overridden: false,
    overrideExpiresAt: null,
    requestsUsed: 0,
    tokensUsed: 0,
    costUsedMicros: 0,
    requestsReserved: 0,
    tokensReserved: 0,
    costReservedMicros: 0,
    windowStart: b.start,
    resetAt: b.resetsAt,
  };
}

function assertAmount(field: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new AppError("BAD_REQUEST", `${field} must be a non-negative integer`);
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
