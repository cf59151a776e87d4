import { signInInput, signUpInput } from "@wavelength/shared";
import { migrateAnonymous, type MigrationResult } from "../accounts/migrate-anonymous.ts";
import type { Context } from "../context.ts";
import { subjectOf, userIdentity } from "../identity.ts";
import { protectedProcedure, publicProcedure, router } from "../trpc.ts";
import type { AuthUser } from "../auth/index.ts";

/**
 * After sign-up or sign-in: the account gets (or re-syncs to) its tier's
 * quotas, and the guest session behind the anonymous cookie moves over.
 */
async function adoptGuest(ctx: Context, user: AuthUser): Promise<MigrationResult | null> {
  const { db, engine } = ctx.services;
  const subject = subjectOf(userIdentity(user));
  await engine.init(subject);
  if (!ctx.request.anonymousId) return null;
  return migrateAnonymous(db, engine, ctx.request.anonymousId, { ...subject, userId: user.id });
}

export const authRouter = router({
  /** A proof-of-work challenge; its solution goes in `proof` of signUp (always) and signIn (when asked). */
  challenge: publicProcedure.query(({ ctx }) => ctx.services.auth.challenge()),

  signUp: publicProcedure.input(signUpInput).mutation(async ({ ctx, input }) => {
    const { user, cookie, deviceCookie } = await ctx.services.auth.signUp(input, { ipHash: ctx.request.ipHash });
    ctx.cookies.set(cookie);
    ctx.cookies.set(deviceCookie);
    const migration = await adoptGuest(ctx, user);
    return { user, migration };
  }),

  signIn: publicProcedure.input(signInInput).mutation(async ({ ctx, input }) => {
    // The previous session (if any) ends: a fresh id on every sign-in (no session fixation).
    const { user, cookie, deviceCookie } = await ctx.services.auth.signIn(input, {
      ipHash: ctx.request.ipHash,
      previousSessionId: ctx.request.sessionId,
      deviceCookie: ctx.request.deviceCookie,
    });
    ctx.cookies.set(cookie);
    ctx.cookies.set(deviceCookie);
    const migration = await adoptGuest(ctx, user);
    return { user, migration };
  }),

  signOut: protectedProcedure.mutation(async ({ ctx }) => {
    if (ctx.request.sessionId) ctx.cookies.set(await ctx.services.auth.signOut(ctx.request.sessionId));
    return { signedOut: true };
  }),

  /** The account, or the anonymous visitor with messages used, the limit and when it resets. */
  me: publicProcedure.query(async ({ ctx }) => {
    const id = ctx.identity;
    if (id.kind === "user") {
      return {
        kind: "user" as const,
        user: { id: id.userId, email: id.email, tier: id.tier, role: id.role, timezone: id.timeZone },
      };
    }
    const statuses = await ctx.services.engine.statuses(subjectOf(id));
    const daily = statuses.find((s) => s.window === "daily" && s.scope === "general" && s.dimension === "requests");
    return {
      kind: "anonymous" as const,
      timezone: id.timeZone,
      messagesUsed: daily?.used ?? 0,
      messageLimit: daily?.limit ?? null,
      resetsAt: daily?.resetsAt ?? null,
    };
  }),
});
