import {
  AppError,
  TIERS,
  quotaLimitsInput,
  quotaResetInput,
  quotaSetInput,
  type QuotaLimitsOutput,
  type QuotaTiersOutput,
} from "@wavelength/shared";
import type { Db } from "@wavelength/db";
import { subjectFromKey } from "../chat/subject-lookup.ts";
import { subjectOf } from "../identity.ts";
import type { SubjectRef } from "../metering/index.ts";
import { adminProcedure, publicProcedure, router } from "../trpc.ts";

async function userSubject(db: Db, userId: string): Promise<SubjectRef & { tier: "free" | "pro" }> {
  const user = await db.user.findUnique({ where: { id: userId }, select: { id: true, tier: true, timezone: true } });
  if (!user || user.tier === "anonymous") throw new AppError("NOT_FOUND", "No such user.");
  return { key: `user:${user.id}`, tier: user.tier, timeZone: user.timezone };
}

export const quotaRouter = router({
  tiers: publicProcedure.query((): QuotaTiersOutput => Object.values(TIERS)),

  /** The caller's limits (operators: anyone's) with where each comes from. */
  limits: publicProcedure.input(quotaLimitsInput).query(async ({ ctx, input }): Promise<QuotaLimitsOutput> => {
    let subject = subjectOf(ctx.identity);
    if (input?.subject !== undefined && input.subject !== subject.key) {
      if (!ctx.isAdmin) throw new AppError("FORBIDDEN", "You can only read your own limits.");
      subject = await subjectFromKey(ctx.services.db, input.subject);
    }
    const rows = await ctx.services.engine.rows(subject);
    return {
      subject: subject.key,
      limits: rows.map((r) => ({
        window: r.window,
        scope: r.scope,
        ...(r.provider ? { provider: r.provider } : {}),
        ...(r.model ? { model: r.model } : {}),
        requests: r.requestLimit,
        tokens: r.tokenLimit,
        costMicros: r.costLimitMicros,
        source: r.overridden ? ("override" as const) : ("tier" as const),
        expiresAt: r.overrideExpiresAt,
      })),
      statuses: await ctx.services.engine.statuses(subject),
    };
  }),

  /** Operators: change a user's tier and/or override one limit (optionally until a time). Audited. */
  set: adminProcedure.input(quotaSetInput).mutation(async ({ ctx, input }) => {
    const { db, engine } = ctx.services;
    let subject = await userSubject(db, input.userId);
    if (input.tier !== undefined && input.tier !== subject.tier) {
      await db.user.update({ where: { id: input.userId }, data: { tier: input.tier } });
      subject = { ...subject, tier: input.tier };
    }
    await engine.init(subject);
    if (input.override) {
      const o = input.override;
      await engine.setOverride(
        subject,
        {
          window: o.window,
          scope: o.scope,
          provider: o.provider ?? "",
          model: o.model ?? "",
          requests: o.requests,
          tokens: o.tokens,
          costMicros: o.costMicros,
        },
        o.expiresAt ?? null,
      );
    }
    await db.auditLog.create({
      data: {
        actor: actorOf(ctx),
        action: "quota.set",
        target: subject.key,
        details: JSON.parse(JSON.stringify(input)) as object,
      },
    });
    return { subject: subject.key, tier: subject.tier, statuses: await engine.statuses(subject) };
  }),

  /** Operators: zero a user's usage in the current window(s). Audited. */
  reset: adminProcedure.input(quotaResetInput).mutation(async ({ ctx, input }) => {
    const subject = await userSubject(ctx.services.db, input.userId);
    const rows = await ctx.services.engine.resetUsage(subject, input.window);
    await ctx.services.db.auditLog.create({
      data: {
        actor: actorOf(ctx),
        action: "quota.reset",
        target: subject.key,
        details: { window: input.window ?? "all" },
      },
    });
    return { subject: subject.key, resetRows: rows };
  }),
});

function actorOf(ctx: { identity: { kind: string; userId?: string } }): string {
  return ctx.identity.kind === "user" && ctx.identity.userId ? `user:${ctx.identity.userId}` : "admin-token";
}
