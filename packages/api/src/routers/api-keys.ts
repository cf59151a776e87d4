import { apiKeyCreateInput, apiKeyRevokeInput, type ApiKeyCreated, type ApiKeyView } from "@wavelength/shared";
import { protectedProcedure, router } from "../trpc.ts";

/** A signed-in user's personal keys for the OpenAI-compatible endpoint. Visitors have none. */
export const apiKeysRouter = router({
  /** The secret is in this answer only: it is stored as a hash and never shown again. */
  create: protectedProcedure
    .input(apiKeyCreateInput)
    .mutation(({ ctx, input }): Promise<ApiKeyCreated> =>
      ctx.services.apiKeys.create(
        { userId: ctx.identity.userId, tier: ctx.identity.tier, timeZone: ctx.identity.timeZone },
        input,
      ),
    ),

  list: protectedProcedure.query(({ ctx }): Promise<ApiKeyView[]> =>
    ctx.services.apiKeys.list({
      userId: ctx.identity.userId,
      tier: ctx.identity.tier,
      timeZone: ctx.identity.timeZone,
    }),
  ),

  /** Takes effect on the key's next request; requests already running finish and are charged. */
  revoke: protectedProcedure
    .input(apiKeyRevokeInput)
    .mutation(({ ctx, input }): Promise<ApiKeyView> =>
      ctx.services.apiKeys.revoke(
        { userId: ctx.identity.userId, tier: ctx.identity.tier, timeZone: ctx.identity.timeZone },
        input.id,
      ),
    ),
});
