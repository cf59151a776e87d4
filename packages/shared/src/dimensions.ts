// The vocabulary every quota is described in. Kept as string unions (not enums) so the same values
// travel through JSON, SQL columns and Zod schemas unchanged.

export type TierName = "anonymous" | "free" | "pro";
export const TIER_NAMES = ["anonymous", "free", "pro"] as const satisfies readonly TierName[];

export type WindowType = "daily" | "monthly";
export const WINDOW_TYPES = ["daily", "monthly"] as const satisfies readonly WindowType[];

/** How narrowly a limit applies: to all usage, to one provider, or to one provider's model. */
export type QuotaScope = "general" | "provider" | "model";
export const QUOTA_SCOPES = ["general", "provider", "model"] as const satisfies readonly QuotaScope[];

/** What a limit counts. Cost is integer micro-dollars (see money.ts), never a float. */
export type Dimension = "requests" | "tokens" | "costMicros";
export const DIMENSIONS = ["requests", "tokens", "costMicros"] as const satisfies readonly Dimension[];
