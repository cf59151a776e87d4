// Inputs of the quota router. set and reset are admin procedures; limits lets an admin look at
// another subject and everyone else at themselves.

import { z } from "zod";
import type { LimitSpec, TierDefinition } from "../tiers.ts";
import type { QuotaDimensionStatus } from "../quota-math.ts";
import {
  instantSchema,
  limitValueSchema,
  modelSchema,
  providerSchema,
  quotaScopeSchema,
  subjectSchema,
  userIdSchema,
  windowTypeSchema,
} from "./primitives.ts";

export const quotaLimitsInput = z.strictObject({ subject: subjectSchema.optional() }).optional();
export type QuotaLimitsInput = z.infer<typeof quotaLimitsInput>;

/**
 * A per-user limit replacing the tier's row with the same key (or adding one). Scope decides which
 * of provider/model must be present, exactly as in LimitSpec; an expiry must lie ahead, since an
 * override that is already over would silently do nothing.
 */
export const quotaOverrideInput = z
  .strictObject({
    window: windowTypeSchema,
    scope: quotaScopeSchema,
    provider: providerSchema.optional(),
    model: modelSchema.optional(),
    requests: limitValueSchema,
    tokens: limitValueSchema,
    costMicros: limitValueSchema,
    expiresAt: instantSchema.optional(),
  })
  .superRefine((o, ctx) => {
    const needsProvider = o.scope !== "general";
    const needsModel = o.scope === "model";
    if (needsProvider && o.provider === undefined) {
      ctx.addIssue({
        code: "custom",
        message: `A ${o.scope}-scoped limit needs a provider`,
        path: ["provider"],
      });
    }
    if (!needsProvider && o.provider !== undefined) {
      ctx.addIssue({
        code: "custom",
        message: "A general limit cannot name a provider",
        path: ["provider"],
      });
    }
    if (needsModel && o.model === undefined) {
      ctx.addIssue({
        code: "custom",
        message: "A model-scoped limit needs a model",
        path: ["model"],
      });
    }
    if (!needsModel && o.model !== undefined) {
      ctx.addIssue({
        code: "custom",
        message: `A ${o.scope} limit cannot name a model`,
        path: ["model"],
      });
    }
    if (o.expiresAt !== undefined && o.expiresAt.getTime() <= Date.now()) {
      ctx.addIssue({
        code: "custom",
        message: "expiresAt must be in the future",
        path: ["expiresAt"],
      });
    }
  });
export type QuotaOverrideInput = z.infer<typeof quotaOverrideInput>;

/** quota.set: change a user's tier, add an override, or both. Anonymous is not a tier one grants. */
export const quotaSetInput = z
  .strictObject({
    userId: userIdSchema,
    tier: z.enum(["free", "pro"]).optional(),
    override: quotaOverrideInput.optional(),
  })
  .refine((s) => s.tier !== undefined || s.override !== undefined, {
    message: "Give a tier, an override, or both",
    path: ["tier"],
  });
export type QuotaSetInput = z.infer<typeof quotaSetInput>;

/** quota.reset: zero the user's usage in the current window (both windows when omitted). */
export const quotaResetInput = z.strictObject({
  userId: userIdSchema,
  window: windowTypeSchema.optional(),
});
export type QuotaResetInput = z.infer<typeof quotaResetInput>;

export type QuotaTiersOutput = TierDefinition[];

export interface QuotaLimitsOutput {
  subject: string;
  limits: (LimitSpec & {
    source: "tier" | "override";
    expiresAt: Date | null;
  })[];
  statuses: QuotaDimensionStatus[];
}
