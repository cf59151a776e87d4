// Inputs of the profile router and the shape of the usage analytics it serves.

import { z } from "zod";
import type { QuotaDimensionStatus } from "../quota-math.ts";
import { instantSchema, storableText, timeZoneSchema } from "./primitives.ts";

export const profileUpdateInput = z.strictObject({
  name: storableText(1, 80).optional(),
  timezone: timeZoneSchema.optional(),
});
export type ProfileUpdateInput = z.infer<typeof profileUpdateInput>;

/** Longest range the analytics page may ask for: a year plus slack to compare like months. */
export const PROFILE_USAGE_MAX_DAYS = 400;
/** Hourly buckets beyond a month would mean tens of thousands of zero-filled points. */
export const PROFILE_USAGE_MAX_HOURLY_DAYS = 31;

const DAY_MS = 86_400_000;

export const profileUsageInput = z
  .strictObject({
    from: instantSchema,
    to: instantSchema,
    granularity: z.enum(["hour", "day"]),
    groupBy: z.enum(["none", "provider", "model"]).default("none"),
  })
  .superRefine((q, ctx) => {
    const span = q.to.getTime() - q.from.getTime();
    if (span <= 0) {
      ctx.addIssue({
        code: "custom",
        message: "to must be after from",
        path: ["to"],
      });
      return;
    }
    if (span > PROFILE_USAGE_MAX_DAYS * DAY_MS) {
      ctx.addIssue({
        code: "custom",
        message: `The range from from to to can be at most ${PROFILE_USAGE_MAX_DAYS} days`,
        path: ["to"],
      });
    } else if (q.granularity === "hour" && span > PROFILE_USAGE_MAX_HOURLY_DAYS * DAY_MS) {
      ctx.addIssue({
        code: "custom",
        message: `With hourly granularity the range can be at most ${PROFILE_USAGE_MAX_HOURLY_DAYS} days`,
        path: ["granularity"],
      });
    }
  });
export type ProfileUsageInput = z.infer<typeof profileUsageInput>;

export interface UsageTotals {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
}

export interface UsagePoint extends UsageTotals {
  /** Bucket start (hour or local day). */
  at: Date;
  /** Set when grouped: the provider, or "provider/model". */
  group: string | null;
}

/** Usage of one API key over a range, from the ledger events it opened. */
export interface KeyUsage extends UsageTotals {
  keyId: string;
  name: string;
  prefix: string;
  revoked: boolean;
}

export interface ProfileUsageOutput {
  /** Every bucket of the range, zero-filled so charts need no gap logic. */
  series: UsagePoint[];
  totals: UsageTotals;
  byProvider: (UsageTotals & { provider: string })[];
  byModel: (UsageTotals & { provider: string; model: string })[];
  /** Settled usage per API key (the rest came from the chat page); empty for visitors and without keys. */
  byKey: KeyUsage[];
  quota: QuotaDimensionStatus[];
  /** How close admission estimates were to settled usage; null before any settled request. */
  estimateAccuracy: {
    settledRequests: number;
    estimatedRequests: number;
    tokenErrorPercent: number;
  } | null;
}

export interface ProfileOutput {
  id: string;
  email: string | null;
  name: string | null;
  timezone: string;
  tier: "free" | "pro";
  role: "user" | "admin";
}
