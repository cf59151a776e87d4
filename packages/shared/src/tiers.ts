import type { QuotaScope, TierName, WindowType } from "./dimensions.ts";

/**
 * One row of quota policy. `null` on a dimension means unlimited on that dimension. Provider and
 * model are set exactly when the scope needs them: provider for "provider", both for "model".
 */
export interface LimitSpec {
  window: WindowType;
  scope: QuotaScope;
  provider?: string;
  model?: string;
  requests: number | null;
  tokens: number | null;
  costMicros: number | null;
}

export interface TierDefinition {
  name: TierName;
  label: string;
  limits: readonly LimitSpec[];
  /** "all", or "provider/model" patterns where a trailing "*" matches any rest ("local-demo/*"). */
  allowedModels: "all" | readonly string[];
}

/** Anonymous visitors: messages per local day, enforced server-side per anonymous session. */
export const ANONYMOUS_DAILY_MESSAGES = 50;

/**
 * Anonymous requests per hashed client address per day. Stops one machine from minting fresh
 * anonymous sessions to get around ANONYMOUS_DAILY_MESSAGES; high enough for a shared office NAT.
 */
export const IP_DAILY_REQUEST_CAP = 200;

// Written out literally rather than computed so that the table reads like the pricing page.
export const TIERS: Readonly<Record<TierName, TierDefinition>> = deepFreeze({
  anonymous: {
    name: "anonymous",
    label: "Anonymous",
    limits: [
      {
        window: "daily",
        scope: "general",
        requests: ANONYMOUS_DAILY_MESSAGES,
        tokens: null,
        costMicros: null,
      },
    ],
    // Anonymous usage has no cost cap, so only the built-in offline model and one cheap hosted model.
    allowedModels: ["local-demo/*", "openai/gpt-4o-mini"],
  },
  free: {
    name: "free",
    label: "Free",
    limits: [
      {
        window: "daily",
        scope: "general",
        requests: 500,
        tokens: 100_000,
        costMicros: 5_000_000,
      },
      {
        window: "monthly",
        scope: "general",
        requests: 5_000,
        tokens: 1_000_000,
        costMicros: 50_000_000,
      },
      {
        window: "daily",
        scope: "provider",
        provider: "openai",
        requests: 200,
        tokens: null,
        costMicros: 2_000_000,
      },
      {
        window: "daily",
        scope: "model",
        provider: "anthropic",
        model: "claude-opus-4-1",
        requests: 20,
        tokens: null,
        costMicros: null,
      },
    ],
    allowedModels: "all",
  },
  pro: {
    name: "pro",
    label: "Pro",
    limits: [
      {
        window: "daily",
        scope: "general",
        requests: 5_000,
        tokens: 1_000_000,
        costMicros: 50_000_000,
      },
      {
        window: "monthly",
        scope: "general",
        requests: 50_000,
        tokens: 10_000_000,
        costMicros: 500_000_000,
      },
      {
        window: "daily",
        scope: "provider",
        provider: "openai",
        requests: null,
        tokens: null,
        costMicros: 25_000_000,
      },
      {
        window: "daily",
        scope: "model",
        provider: "anthropic",
        model: "claude-opus-4-1",
        requests: 500,
        tokens: null,
        costMicros: null,
      },
    ],
    allowedModels: "all",
  },
});

// The table is shared by every request in the process; a stray mutation would change policy for
// everyone, so it is frozen all the way down.
function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

export function tierLimits(tier: TierName): readonly LimitSpec[] {
  return TIERS[tier].limits;
}

/**
 * Stable identity of a limit row: "daily:general", "daily:provider:openai",
 * "daily:model:anthropic:claude-opus-4-1". Unambiguous because provider ids cannot contain ":"
 * (see providerSchema) while model ids may ("llama3.1:8b"). Fields the scope does not use are
 * ignored, so a database row with provider = null keys the same as a spec without one.
 */
export function limitKey(l: {
  window: WindowType;
  scope: QuotaScope;
  provider?: string | null;
  model?: string | null;
}): string {
  switch (l.scope) {
    case "general":
      return `${l.window}:general`;
    case "provider":
      if (!l.provider) throw new RangeError("A provider-scoped limit needs a provider");
      return `${l.window}:provider:${l.provider}`;
    case "model":
      if (!l.provider || !l.model) throw new RangeError("A model-scoped limit needs a provider and a model");
      return `${l.window}:model:${l.provider}:${l.model}`;
  }
}

/** Whether `limit` constrains a request to `provider`/`model` (general limits constrain all). */
export function limitApplies(
  limit: { scope: QuotaScope; provider?: string | null; model?: string | null },
  provider: string,
  model: string,
): boolean {
  switch (limit.scope) {
    case "general":
      return true;
    case "provider":
      return limit.provider === provider;
    case "model":
      return limit.provider === provider && limit.model === model;
  }
}

export function isModelAllowed(tier: TierName, provider: string, model: string): boolean {
  const allowed = TIERS[tier].allowedModels;
  if (allowed === "all") return true;
  const id = `${provider}/${model}`;
  return allowed.some((pattern) => (pattern.endsWith("*") ? id.startsWith(pattern.slice(0, -1)) : id === pattern));
}
