import { z } from "zod";
import { adminApiKeysInput, adminOverviewInput, adminRevokeApiKeyInput, storableText } from "@wavelength/shared";
import { systemQuotaHealth } from "../health.ts";
import { adminProcedure, router } from "../trpc.ts";
import { operatorOverview } from "./admin-overview.ts";

const OVERVIEW_DEFAULT_DAYS = 30;

const adminUsersInput = z
  .strictObject({ search: storableText(0, 200).optional(), limit: z.int().min(1).max(500).default(100) })
  .optional();

/** Operators: who uses how much today, and the system's quota health. */
export const adminRouter = router({
  users: adminProcedure.input(adminUsersInput).query(async ({ ctx, input }) => {
    const search = input?.search;
    const users = await ctx.services.db.user.findMany({
      where: search
        ? { OR: [{ email: { contains: search.toLowerCase() } }, { name: { contains: search, mode: "insensitive" } }] }
        : {},
      orderBy: { createdAt: "desc" },
      take: input?.limit ?? 100,
      select: { id: true, email: true, name: true, tier: true, role: true, timezone: true, createdAt: true },
    });
    // Today's usage from each user's daily general row (its current window, in its zone).
    const rows = await ctx.services.db.$queryRawUnsafe<
      { subject: string; requests: number; tokens: number; cost: number }[]
    >(
      `SELECT subject, requests_used + requests_reserved AS requests, (tokens_used + tokens_reserved)::float8 AS tokens,
              (cost_used_micros + cost_reserved_micros)::float8 AS cost
       FROM user_quota_limits
       WHERE subject = ANY($1::text[]) AND window_type = 'daily' AND scope = 'general'
         AND reset_at > $2::timestamptz AT TIME ZONE 'UTC'`,
      users.map((u) => `user:${u.id}`),
      ctx.services.clock.now().toISOString(),
    );
    const today = new Map(rows.map((r) => [r.subject, r]));
    return users.map((u) => {
      const t = today.get(`user:${u.id}`);
      return { ...u, today: { requests: t?.requests ?? 0, tokens: t?.tokens ?? 0, costMicros: t?.cost ?? 0 } };
    });
  }),

  health: adminProcedure.query(({ ctx }) => systemQuotaHealth(ctx.services)),

  /** Usage of the whole system over a range (the last 30 days by default), by UTC day, model and subject. */
  overview: adminProcedure.input(adminOverviewInput).query(({ ctx, input }) => {
    const to = input?.to ?? ctx.services.clock.now();
    const from = input?.from ?? new Date(to.getTime() - OVERVIEW_DEFAULT_DAYS * 86_400_000);
    return operatorOverview(ctx.services.db, from, to);
  }),

  /** Every user's API keys (active ones unless asked), newest first, with their owners. */
  apiKeys: adminProcedure.input(adminApiKeysInput).query(({ ctx, input }) => ctx.services.apiKeys.adminList(input)),

  /** Revokes any user's key at once. Audited. */
  revokeApiKey: adminProcedure.input(adminRevokeApiKeyInput).mutation(async ({ ctx, input }) => {
    const actor =
      ctx.identity.kind === "user" && ctx.identity.role === "admin" ? `admin:${ctx.identity.userId}` : "admin:token";
    const key = await ctx.services.apiKeys.adminRevoke(input.id, actor);
    await ctx.services.db.auditLog.create({
      data: { actor, action: "apiKeys.revoke", target: `key:${key.id}`, details: { owner: `user:${key.userId}` } },
    });
    return key;
  }),
});
