import type { QuotaDimensionStatus } from "@wavelength/shared";

/**
 * A duration as OpenAI writes its reset headers ("1s", "6m0s", "12h3m4s"), rounded up to whole
 * seconds so a client that waits this long finds the window reset.
 */
export function resetDuration(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

/**
 * The limit with the least left on one dimension, across the owner's and the key's applicable
 * limits; of equally tight ones, the one that resets last (the caller is held until then).
 */
export function tightest(statuses: readonly QuotaDimensionStatus[], dimension: "requests" | "tokens") {
  let best: (QuotaDimensionStatus & { limit: number }) | null = null;
  for (const s of statuses) {
    if (s.dimension !== dimension || s.limit === null) continue;
    const left = Math.max(s.limit - s.used, 0);
    const bestLeft = best ? Math.max(best.limit - best.used, 0) : Infinity;
    if (!best || left < bestLeft || (left === bestLeft && s.resetsAt > best.resetsAt)) best = { ...s, limit: s.limit };
  }
  return best;
}

/**
 * OpenAI's x-ratelimit-{limit,remaining,reset}-{requests,tokens} from the limits that applied to
 * the request (after it was admitted: `used` includes its reservation). A dimension without any
 * limit gets no headers: there is nothing to count down.
 */
export function rateLimitHeaders(statuses: readonly QuotaDimensionStatus[], now: Date): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const dimension of ["requests", "tokens"] as const) {
    const s = tightest(statuses, dimension);
    if (!s) continue;
    headers[`x-ratelimit-limit-${dimension}`] = String(s.limit);
    headers[`x-ratelimit-remaining-${dimension}`] = String(Math.max(s.limit - s.used, 0));
    headers[`x-ratelimit-reset-${dimension}`] = resetDuration(s.resetsAt.getTime() - now.getTime());
  }
  return headers;
}

/** Statuses of the limits that apply to a call of provider/model (all general ones; others that name it). */
export function applicable(
  statuses: readonly QuotaDimensionStatus[],
  provider: string | null,
  model: string | null,
): QuotaDimensionStatus[] {
  return statuses.filter(
    (s) =>
      s.scope === "general" ||
      (s.scope === "provider" && s.provider === provider) ||
      (s.scope === "model" && s.provider === provider && s.model === model),
  );
}
