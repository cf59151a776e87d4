import type { QuotaDenial } from "@wavelength/shared";

/** Below this many output tokens a reply is not worth starting: refuse instead of trimming. */
export const MIN_USEFUL_OUTPUT_TOKENS = 64;

export interface Trim {
  maxOutputTokens: number;
  reason: string;
}

/**
 * When only token or cost budgets refused a request (not the request count),
 * the largest output cap that fits what is left, or null when even a useful
 * minimum does not fit. `costPerOutputTokenMicros` prices one more output token.
 */
export function fitToBudget(
  denials: readonly QuotaDenial[],
  promptTokens: number,
  promptCostMicros: number,
  costPerOutputTokenMicros: number,
  wanted: number,
): Trim | null {
  if (denials.some((d) => d.dimension === "requests")) return null;
  let cap = wanted;
  for (const d of denials) {
    const left = Math.max(d.limit - d.used, 0);
    if (d.dimension === "tokens") cap = Math.min(cap, left - promptTokens);
    else if (costPerOutputTokenMicros > 0)
      cap = Math.min(cap, Math.floor((left - promptCostMicros) / costPerOutputTokenMicros));
  }
  if (cap < MIN_USEFUL_OUTPUT_TOKENS) return null;
  const binding = denials.map((d) => `${d.window} ${d.dimension === "costMicros" ? "cost" : d.dimension}`).join(", ");
  return { maxOutputTokens: cap, reason: `Reply limited to ${cap} tokens to stay within your ${binding} limit.` };
}
