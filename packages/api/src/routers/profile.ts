import { AppError, profileUpdateInput, profileUsageInput, type ProfileUsageOutput } from "@wavelength/shared";
import { subjectOf } from "../identity.ts";
import { publicProcedure, router } from "../trpc.ts";
import type { ModelEstimateAccuracy } from "./estimate-accuracy.ts";
import { blockedByDay, profileUsage } from "./profile-usage.ts";

export type ProfileUsageResult = ProfileUsageOutput & {
  estimateAccuracyByModel: ModelEstimateAccuracy[];
  /** Refused requests per local day (YYYY-MM-DD in the subject's zone). */
  blockedByDay: { date: string; count: number }[];
  timeZone: string;
};

export const profileRouter = router({
  /** The caller: an account, or the anonymous visitor with its zone and tier. */
  get: publicProcedure.query(async ({ ctx }) => {
    const id = ctx.identity;
    if (id.kind === "anonymous") return { anonymous: true as const, timezone: id.timeZone, tier: "anonymous" as const };
    const user = await ctx.services.db.user.findUnique({
      where: { id: id.userId },
      select: { id: true, email: true, name: true, timezone: true, tier: true, role: true },
    });
    if (!user) throw new AppError("NOT_FOUND", "Account not found.");
    return { anonymous: false as const, ...user };
  }),

  /**
   * Name and time zone. A new zone applies to windows from their next reset:
   * moving the current window would hand out a second day of allowance.
   */
  update: publicProcedure.input(profileUpdateInput).mutation(async ({ ctx, input }) => {
    const id = ctx.identity;
    if (id.kind === "anonymous") {
      if (input.name !== undefined) throw new AppError("UNAUTHENTICATED", "Sign in to set a name.");
      if (input.timezone !== undefined) {
        await ctx.services.db.anonymousSession.update({
          where: { anonymousId: id.anonymousId },
          data: { timezone: input.timezone },
        });
        await ctx.services.engine.setTimeZone(subjectOf(id), input.timezone);
      }
      return { timezone: input.timezone ?? id.timeZone };
    }
    const user = await ctx.services.db.user.update({
      where: { id: id.userId },
      data: {
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.timezone !== undefined ? { timezone: input.timezone } : {}),
      },
      select: { name: true, timezone: true },
    });
    if (input.timezone !== undefined) await ctx.services.engine.setTimeZone(subjectOf(id), input.timezone);
    return user;
  }),

  /** Usage analytics for the caller over a range (see profile-usage.ts). */
  usage: publicProcedure.input(profileUsageInput).query(async ({ ctx, input }): Promise<ProfileUsageResult> => {
    const subject = subjectOf(ctx.identity);
    const [data, quota, blocked] = await Promise.all([
      profileUsage(ctx.services.db, subject.key, subject.timeZone, input),
      ctx.services.engine.statuses(subject),
      blockedByDay(ctx.services.db, subject.key, subject.timeZone, input.from, input.to),
    ]);
    return { ...data, quota, blockedByDay: blocked, timeZone: subject.timeZone };
  }),
});
