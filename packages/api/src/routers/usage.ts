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
  type TierName,
} from "@wavelength/shared";
import { coSubjectsOf, subjectOf } from "../identity.ts";
import { ensureAnonymousSession } from "../accounts/anonymous-sessions.ts";
import { subjectFromKey } from "../chat/subject-lookup.ts";
import type { Context } from "../context.ts";
import type { SubjectRef } from "../metering/index.ts";
import { ledgerKey } from "../metering/provenance.ts";
import { adminProcedure, publicProcedure, router, serviceProcedure } from "../trpc.ts";
import { estimateAccuracyByModel, type ModelEstimateAccuracy } from "./estimate-accuracy.ts";

const modelNotAllowed = (provider: string, model: string) => `This plan cannot use ${provider}/${model}.`;

function assertModelAllowed(tier: TierName, provider: string, model: string): void {
  if (!isModelAllowed(tier, provider, model)) throw new AppError("MODEL_NOT_ALLOWED", modelNotAllowed(provider, model));
}

/**
 * The subject a service call names. A visitor the service knows from its cookie but this database
 * has not stored yet (sessions are created lazily) is created, in UTC until its browser says more.
 */
async function serviceSubject(ctx: Context, key: string): Promise<SubjectRef> {
  if (key.startsWith("anon:")) {
    const visitor = {
      kind: "anonymous" as const,
      anonymousId: key.slice("anon:".length),
      ipHash: null,
      timeZone: "UTC",
    };
    await ensureAnonymousSession(ctx.services, visitor);
  }
  return subjectFromKey(ctx.services.db, key);
}

/** Every service call leaves a trace: who reported what for whom (never prompt text). */
async function audit(
  ctx: Context,
  action: string,
  target: string,
  details: Record<string, string | number | boolean>,
): Promise<void> {
  await ctx.services.db.auditLog.create({
    data: { actor: ctx.isService ? "service:admin-token" : "unknown", action, target, details },
  });
}

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
    assertModelAllowed(subject.tier, input.provider, input.model);
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
   * Service call: admission for a trusted client that calls the provider itself, for the named
   * subject. Reserves the estimate on every applicable limit, or fails with TOO_MANY_REQUESTS whose
   * data.quota names every binding limit and when it resets. Settle the key with usage.sync (or give
   * it back with usage.release). Audited.
   */
  reserve: serviceProcedure.input(usageReserveInput).mutation(async ({ ctx, input }): Promise<UsageReserveOutput> => {
    const subject = await serviceSubject(ctx, input.subject);
    assertModelAllowed(subject.tier, input.provider, input.model);
    const d = await ctx.services.engine.admit({
      subject,
      provider: input.provider,
      model: input.model,
      estTokens: input.estimatedTokens,
      estCostMicros: input.estimatedCostMicros,
      key: ledgerKey("service", input.idempotencyKey),
    });
    await audit(ctx, "usage.reserve", subject.key, {
      idempotencyKey: input.idempotencyKey,
      provider: input.provider,
      model: input.model,
      estimatedTokens: input.estimatedTokens,
      estimatedCostMicros: input.estimatedCostMicros,
      allowed: d.allowed,
    });
    if (!d.allowed) {
      const first = d.denials[0]!;
      throw new AppError("QUOTA_EXCEEDED", describeDenial(first, subject.timeZone, ctx.services.clock.now()), {
        quota: d.denials,
      });
    }
    const quotas = d.failOpen ? [] : await ctx.services.engine.statuses(subject);
    return {
      idempotencyKey: input.idempotencyKey,
      eventId: d.eventId,
      duplicate: d.duplicate,
      failOpen: d.failOpen,
      quotas,
    };
  }),

  /** Service call: gives back a reservation of usage.reserve whose request produced nothing. Audited. */
  release: serviceProcedure.input(usageReleaseInput).mutation(async ({ ctx, input }) => {
    const subject = await serviceSubject(ctx, input.subject);
    const status = await ctx.services.engine.release(subject, ledgerKey("service", input.idempotencyKey));
    if (status === "not_found") throw new AppError("NOT_FOUND", "No reservation with that key.");
    await audit(ctx, "usage.release", subject.key, { idempotencyKey: input.idempotencyKey, status });
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
   * Service call: usage reported after the fact for the named subject (a trusted client that
   * called a provider itself). Each record is applied once by its key: a key reserved with
   * usage.reserve settles that reservation, any other is recorded as new usage; what the store
   * cannot take now goes to the outbox (inside engine.settle). Audited.
   */
  sync: serviceProcedure.input(usageSyncInput).mutation(async ({ ctx, input }): Promise<UsageSyncOutput> => {
    const subject = await serviceSubject(ctx, input.subject);
    const out: UsageSyncOutput = { accepted: 0, duplicates: 0, queued: 0, rejected: [] };
    for (const r of input.records) {
      if (!isModelAllowed(subject.tier, r.provider, r.model)) {
        out.rejected.push({ idempotencyKey: r.idempotencyKey, reason: modelNotAllowed(r.provider, r.model) });
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
      const result = await ctx.services.engine.settle(subject, ledgerKey("service", r.idempotencyKey), usage, r);
      if (result === "duplicate" || result === "released") out.duplicates++;
      else if (result === "queued") out.queued++;
      else out.accepted++;
    }
    await audit(ctx, "usage.sync", subject.key, {
      records: input.records.length,
      accepted: out.accepted,
      duplicates: out.duplicates,
      queued: out.queued,
      rejected: out.rejected.length,
    });
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
