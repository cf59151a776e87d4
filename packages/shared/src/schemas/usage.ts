// Inputs of the usage router, plus the shapes it returns. Outputs are plain interfaces: the server
// builds them, so there is nothing to validate, only a contract to share with the SPA.

import { z } from "zod";
import type { TierName } from "../dimensions.ts";
import type { Health, QuotaAlert, QuotaDenial, QuotaDimensionStatus } from "../quota-math.ts";
import {
  costMicrosSchema,
  idempotencyKeySchema,
  instantSchema,
  modelSchema,
  providerSchema,
  serviceSubjectSchema,
  tierNameSchema,
  tokenCountSchema,
} from "./primitives.ts";

/** usage.check: advisory pre-flight for one request; the estimate is optional. */
export const usageCheckInput = z.strictObject({
  provider: providerSchema,
  model: modelSchema,
  estimatedTokens: tokenCountSchema.optional(),
  estimatedCostMicros: costMicrosSchema.optional(),
});
export type UsageCheckInput = z.infer<typeof usageCheckInput>;

// usage.reserve, usage.release and usage.sync are service calls (operator token; scoped API keys
// later): a trusted program that calls a provider itself reports for a named subject. The browser
// never needs them, and their keys live in a namespace of their own, so a service call can never
// reach the ledger event of a chat that the server runs.

/** usage.reserve: admission for a trusted client that calls the provider itself. */
export const usageReserveInput = z.strictObject({
  subject: serviceSubjectSchema,
  provider: providerSchema,
  model: modelSchema,
  estimatedTokens: tokenCountSchema,
  estimatedCostMicros: costMicrosSchema,
  idempotencyKey: idempotencyKeySchema,
});
export type UsageReserveInput = z.infer<typeof usageReserveInput>;

/** usage.release: give back a reservation (made with usage.reserve) that produced no usage. */
export const usageReleaseInput = z.strictObject({
  subject: serviceSubjectSchema,
  idempotencyKey: idempotencyKeySchema,
});
export type UsageReleaseInput = z.infer<typeof usageReleaseInput>;

export interface UsageReserveOutput {
  idempotencyKey: string;
  /** Null when admitted without the store (fail mode open). */
  eventId: string | null;
  /** The key had been reserved before: nothing new was reserved. */
  duplicate: boolean;
  failOpen: boolean;
  quotas: QuotaDimensionStatus[];
}

/** usage.status takes nothing; `{}` is accepted too, since some clients always send an object. */
export const usageStatusInput = z.strictObject({}).optional();
export type UsageStatusInput = z.infer<typeof usageStatusInput>;

/** usage.init: the server accepts only the caller's own tier; omitted means "my tier". */
export const usageInitInput = z.strictObject({
  tier: tierNameSchema.optional(),
});
export type UsageInitInput = z.infer<typeof usageInitInput>;

/** Sync refuses usage from more than this far in the future (client clocks drift a little). */
export const SYNC_MAX_CLOCK_SKEW_MS = 5 * 60_000;
/** ...or older than this: past the longest window plus slack, it can no longer count anywhere. */
export const SYNC_MAX_AGE_DAYS = 35;
export const SYNC_MAX_BATCH = 100;

const occurredAtSchema = instantSchema
  .refine((d) => d.getTime() <= Date.now() + SYNC_MAX_CLOCK_SKEW_MS, {
    message: "occurredAt is more than 5 minutes in the future",
  })
  .refine((d) => d.getTime() >= Date.now() - SYNC_MAX_AGE_DAYS * 86_400_000, {
    message: `occurredAt is more than ${SYNC_MAX_AGE_DAYS} days old`,
  });

/** One usage report. `cachedInputTokens` is the part of `inputTokens` served from cache. */
export const usageSyncRecord = z
  .strictObject({
    idempotencyKey: idempotencyKeySchema,
    provider: providerSchema,
    model: modelSchema,
    inputTokens: tokenCountSchema,
    outputTokens: tokenCountSchema,
    cachedInputTokens: tokenCountSchema.optional(),
    costMicros: costMicrosSchema.optional(),
    occurredAt: occurredAtSchema,
  })
  .refine((r) => r.cachedInputTokens === undefined || r.cachedInputTokens <= r.inputTokens, {
    message: "cachedInputTokens cannot exceed inputTokens",
    path: ["cachedInputTokens"],
  });
export type UsageSyncRecord = z.infer<typeof usageSyncRecord>;

/** usage.sync: a batch of reports, each applied at most once by its idempotency key. */
export const usageSyncInput = z.strictObject({
  subject: serviceSubjectSchema,
  records: z
    .array(usageSyncRecord)
    .min(1)
    .max(SYNC_MAX_BATCH)
    .superRefine((records, ctx) => {
      // A duplicate inside one batch is a client bug, not a retry: say so rather than drop it.
      const seen = new Set<string>();
      records.forEach((r, i) => {
        if (seen.has(r.idempotencyKey)) {
          ctx.addIssue({
            code: "custom",
            message: "Duplicate idempotencyKey in batch",
            path: [i, "idempotencyKey"],
          });
        }
        seen.add(r.idempotencyKey);
      });
    }),
});
export type UsageSyncInput = z.infer<typeof usageSyncInput>;

export interface UsageCheckOutput {
  canProceed: boolean;
  /** Every limit that would refuse the request; empty when canProceed. */
  reasons: QuotaDenial[];
  /** Every dimension of every row that applies to this provider/model. */
  quotas: QuotaDimensionStatus[];
  /** Headroom on the binding limit of each dimension; null when unlimited. */
  remaining: {
    requests: number | null;
    tokens: number | null;
    costMicros: number | null;
  };
}

export interface UsageStatusOutput {
  tier: TierName;
  timeZone: string;
  quotas: QuotaDimensionStatus[];
  alerts: QuotaAlert[];
  health: Health;
  binding: QuotaDimensionStatus | null;
  /** Earliest reset among the rows, for "resets in …". */
  resetsAt: Date | null;
}

export interface UsageInitOutput {
  tier: TierName;
  /** False when the rows already existed: init is idempotent. */
  created: boolean;
}

export interface UsageSyncOutput {
  accepted: number;
  /** Keys already applied earlier: a retry, not an error. */
  duplicates: number;
  /** Not applied yet because the store was unavailable; the outbox applies them (see syncStatus). */
  queued: number;
  rejected: { idempotencyKey: string; reason: string }[];
}

export interface UsageSyncStatusOutput {
  pending: number;
  failed: number;
  oldestPendingAt: Date | null;
  lastCompletedAt: Date | null;
}
