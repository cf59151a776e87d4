import { randomUUID } from "node:crypto";
import {
  AppError,
  DIMENSIONS,
  alertsFor,
  bindingLimit,
  describeDenial,
  isModelAllowed,
  overallHealth,
  usageCheckInput,
  usageInitInput,
  usageStatusInput,
  usageSyncInput,
  windowBounds,
  usageReserveInput,
  usageReleaseInput,
  type UsageReserveOutput,
  type QuotaDimensionStatus,
  type UsageCheckOutput,
  type UsageInitOutput,
  type UsageStatusOutput,
  type UsageSyncOutput,
  type UsageSyncStatusOutput,
} from "@wavelength/shared";
import { coSubjectsOf, subjectOf } from "../identity.ts";
import { adminProcedure, publicProcedure, router } from "../trpc.ts";
import { estimateAccuracyByModel, type ModelEstimateAccuracy } from "./estimate-accuracy.ts";

/** Least headroom per dimension across the applicable limits (null: unlimited). */
function remainingByDimension(quotas: readonly QuotaDimensionStatus[]): UsageCheckOutput["remaining"] {
  const out: UsageCheckOutput["remaining"] = { requests: null, tokens: null, costMicros: null };
  for (const d of DIMENSIONS) {
    for (const q of quotas) {
      if (q.dimension !== d || q.remaining === null) continue;
      out[d] = out[d] === null ? q.remaining : Math.min(out[d], q.remaining);
    }
  }
  return out;
}

export function statusOf(
  tier: UsageStatusOutput["tier"],
  timeZone: string,
  quotas: QuotaDimensionStatus[],
): UsageStatusOutput {
  const resets = quotas.map((q) => q.resetsAt.getTime());
  return {
    tier,
    timeZone,
    quotas,
    alerts: alertsFor(quotas),
    health: overallHealth(quotas),
    binding: bindingLimit(quotas),
    resetsAt: resets.length > 0 ? new Date(Math.min(...resets)) : null,
  };
}

export const usageRouter = router({
  /** Advisory pre-flight: would this request be admitted now? Reserves nothing. */
  check: publicProcedure.input(usageCheckInput).mutation(async ({ ctx, input }): Promise<UsageCheckOutput> => {
    const subject = subjectOf(ctx.identity);
    if (!isModelAllowed(subject.tier, input.provider, input.model)) {
      throw new AppError("MODEL_NOT_ALLOWED", `Your plan cannot use ${input.provider}/${input.model}.`);
    }
    const d = await ctx.services.engine.check({
      subject,
      also: coSubjectsOf(ctx.identity),
      provider: input.provider,
      model: input.model,
      estTokens: input.estimatedTokens ?? 0,
      estCostMicros: input.estimatedCostMicros ?? 0,
      key: randomUUID(),
    });
    const quotas = d.quotas;
    return d.allowed
      ? { canProceed: true, reasons: [], quotas, remaining: remainingByDimension(quotas) }
      : { canProceed: false, reasons: d.denials, quotas, remaining: remainingByDimension(quotas) };
  }),

  /**
   * Admission for a client that calls the provider itself: reserves the
   * estimate on every applicable limit, or fails with TOO_MANY_REQUESTS whose
   * data.quota names every binding limit and when it resets. Settle the key
   * with usage.sync (or give it back with usage.release).
   */
  reserve: publicProcedure.input(usageReserveInput).mutation(async ({ ctx, input }): Promise<UsageReserveOutput> => {
    const subject = subjectOf(ctx.identity);
    if (!isModelAllowed(subject.tier, input.provider, input.model)) {
      throw new AppError("MODEL_NOT_ALLOWED", `Your plan cannot use ${input.provider}/${input.model}.`);
    }
    const d = await ctx.services.engine.admit({
      subject,
      also: coSubjectsOf(ctx.identity),
      provider: input.provider,
      model: input.model,
      estTokens: input.estimatedTokens,
      estCostMicros: input.estimatedCostMicros,
      key: input.idempotencyKey,
    });
    if (!d.allowed) {
      const first = d.denials[0]!;
      throw new AppError("QUOTA_EXCEEDED", describeDenial(first, subject.timeZone, ctx.services.clock.now()), {
        quota: d.denials,
      });
    }
    const quotas = d.failOpen ? [] : await ctx.services.engine.statuses(subject);
    return { idempotencyKey: d.key, eventId: d.eventId, duplicate: d.duplicate, failOpen: d.failOpen, quotas };
  }),

  /** Gives back a reservation whose request produced nothing (provider failure). */
  release: publicProcedure.input(usageReleaseInput).mutation(async ({ ctx, input }) => {
    const status = await ctx.services.engine.release(subjectOf(ctx.identity), input.idempotencyKey);
    if (status === "not_found") throw new AppError("NOT_FOUND", "No reservation with that key.");
    return { status };
  }),

  /** Where the caller stands: every limit with %, alerts at 50/80/95/100 %, health, next reset. */
  status: publicProcedure
    .input(usageStatusInput)
    .query(async ({ ctx }): Promise<UsageStatusOutput & { estimateAccuracy: ModelEstimateAccuracy[] }> => {
      const subject = subjectOf(ctx.identity);
      const quotas = await ctx.services.engine.statuses(subject);
      const status = statusOf(subject.tier, subject.timeZone, quotas);
      // Reconciliation for today's window: reserved estimate against settled actual, per model.
      const now = ctx.services.clock.now();
      const today = windowBounds("daily", now, subject.timeZone);
      const estimateAccuracy = await estimateAccuracyByModel(ctx.services.db, subject.key, today.start, today.resetsAt);
      return { ...status, estimateAccuracy };
    }),

  needsInit: publicProcedure.query(({ ctx }) => ctx.services.engine.needsInit(subjectOf(ctx.identity))),

  /** Gives the caller its tier's limits; idempotent. Only one's own tier: a plan is not chosen here. */
  init: publicProcedure.input(usageInitInput).mutation(async ({ ctx, input }): Promise<UsageInitOutput> => {
    const subject = subjectOf(ctx.identity);
    if (input.tier !== undefined && input.tier !== subject.tier) {
      throw new AppError("FORBIDDEN", `Your plan is ${subject.tier}; usage.init cannot change it.`);
    }
    const created = await ctx.services.engine.needsInit(subject);
    await ctx.services.engine.init(subject);
    return { tier: subject.tier, created };
  }),

  /**
   * Usage reported after the fact (a client that called a provider itself):
   * each record applied once by its key; what the store cannot take now goes
   * to the outbox and is applied by the worker.
   */
  sync: publicProcedure.input(usageSyncInput).mutation(async ({ ctx, input }): Promise<UsageSyncOutput> => {
    const subject = subjectOf(ctx.identity);
    const out: UsageSyncOutput = { accepted: 0, duplicates: 0, queued: 0, rejected: [] };
    for (const r of input.records) {
      if (!isModelAllowed(subject.tier, r.provider, r.model)) {
        out.rejected.push({
          idempotencyKey: r.idempotencyKey,
          reason: `Your plan cannot use ${r.provider}/${r.model}.`,
        });
        continue;
      }
      const usage = {
        inputTokens: r.inputTokens,
        outputTokens: r.outputTokens,
        cachedInputTokens: r.cachedInputTokens ?? 0,
        costMicros: r.costMicros ?? 0,
        estimated: false,
        priceVersion: null,
      };
      try {
        // A key reserved with usage.reserve settles that reservation; any other is recorded as new usage.
        const result = await ctx.services.engine.settle(subject, r.idempotencyKey, usage, r);
        if (result === "duplicate" || result === "released") out.duplicates++;
        else if (result === "queued") out.queued++;
        else out.accepted++;
      } catch (error) {
        if (error instanceof AppError) throw error;
        await ctx.services.outbox.enqueue({
          kind: "record",
          subject: subject.key,
          tier: subject.tier,
          timeZone: subject.timeZone,
          key: r.idempotencyKey,
          provider: r.provider,
          model: r.model,
          occurredAt: r.occurredAt,
          usage,
        });
        out.queued++;
      }
    }
    return out;
  }),

  syncStatus: publicProcedure.query(({ ctx }): Promise<UsageSyncStatusOutput> =>
    ctx.services.outbox.statusFor(subjectOf(ctx.identity).key),
  ),

  /** The sweep on demand (it also runs in the background): expired reservations and ended windows. */
  resetExpired: adminProcedure.mutation(async ({ ctx }) => {
    const expired = await ctx.services.engine.expireReservations();
    const reset = await ctx.services.engine.resetExpired();
    return { expiredReservations: expired, resetRows: reset };
  }),
});
