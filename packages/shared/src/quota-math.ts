// Pure arithmetic over quota rows, shared by the engine (what to deny), the API (what to report)
// and the SPA (what colour a bar is). Inputs are integers: requests, tokens, micro-dollars.

import type { Dimension, QuotaScope, WindowType } from "./dimensions.ts";
import { formatMicros } from "./money.ts";
import { formatResetTime } from "./windows.ts";

/** Percentages at which the user is alerted. */
export const THRESHOLDS = [50, 80, 95, 100] as const;
export type Threshold = (typeof THRESHOLDS)[number];

/**
 * Share of `limit` used, in percent with one decimal, truncated rather than rounded: 99.96 % must
 * not read as 100 % ("exceeded") while requests still pass. Unlimited (null) is 0; a zero limit
 * admits nothing, so it is 100 from the start. May exceed 100 (settled usage can overshoot an
 * estimate).
 */
export function percentUsed(used: number, limit: number | null): number {
  if (limit === null) return 0;
  const safeUsed = Math.max(0, used);
  if (limit <= 0) return 100;
  // One division of integers is exact when the true quotient is an integer, so the floor cannot
  // be pulled down by float noise the way used / limit * 100 can (29 / 100 * 100 = 28.999…).
  return Math.floor((safeUsed * 1000) / limit) / 10;
}

/** Remaining headroom, never negative; null when unlimited. */
export function remainingOf(used: number, limit: number | null): number | null {
  return limit === null ? null : Math.max(0, limit - used);
}

/** The highest threshold at or below `percent`, or null below the first one. */
export function thresholdReached(percent: number): Threshold | null {
  let reached: Threshold | null = null;
  for (const threshold of THRESHOLDS) if (percent >= threshold) reached = threshold;
  return reached;
}

export type Health = "ok" | "warning" | "critical" | "exceeded";

export function healthFor(percent: number): Health {
  if (percent >= 100) return "exceeded";
  if (percent >= 95) return "critical";
  if (percent >= 80) return "warning";
  return "ok";
}

/** One dimension of one quota row as reported to users. `used` includes `reserved`. */
export interface QuotaDimensionStatus {
  window: WindowType;
  scope: QuotaScope;
  provider: string | null;
  model: string | null;
  dimension: Dimension;
  used: number;
  reserved: number;
  limit: number | null;
  remaining: number | null;
  percent: number;
  resetsAt: Date;
  source: "tier" | "override";
  overrideExpiresAt: Date | null;
}

// Exact share of the limit used, for ordering: the displayed percent is truncated and would tie.
function usedRatio(s: { used: number; limit: number | null }): number {
  if (s.limit === null) return Number.NEGATIVE_INFINITY;
  if (s.limit <= 0) return Number.POSITIVE_INFINITY;
  return s.used / s.limit;
}

/**
 * The limit with the least headroom: the highest share used (exact, not the rounded percent; a
 * zero limit first of all). Ties go to the later reset, because the user is held until the last
 * of equally full limits resets; remaining ties keep input order. Unlimited rows never bind.
 */
export function bindingLimit(statuses: readonly QuotaDimensionStatus[]): QuotaDimensionStatus | null {
  let binding: QuotaDimensionStatus | null = null;
  for (const s of statuses) {
    if (s.limit === null) continue;
    if (binding === null) {
      binding = s;
      continue;
    }
    const a = usedRatio(s);
    const b = usedRatio(binding);
    if (a > b || (a === b && s.resetsAt.getTime() > binding.resetsAt.getTime())) binding = s;
  }
  return binding;
}

/** Health of the worst limited dimension; "ok" when nothing is limited. */
export function overallHealth(statuses: readonly QuotaDimensionStatus[]): Health {
  const binding = bindingLimit(statuses);
  return binding === null ? "ok" : healthFor(percentUsed(binding.used, binding.limit));
}

/** A threshold crossed by one limited dimension, for the banners at 50/80/95/100 %. */
export interface QuotaAlert {
  window: WindowType;
  scope: QuotaScope;
  provider: string | null;
  model: string | null;
  dimension: Dimension;
  threshold: Threshold;
  percent: number;
  resetsAt: Date;
}

/** Every limited dimension at or past a threshold, most used first. */
export function alertsFor(statuses: readonly QuotaDimensionStatus[]): QuotaAlert[] {
  const alerts: QuotaAlert[] = [];
  for (const s of statuses) {
    if (s.limit === null) continue;
    const percent = percentUsed(s.used, s.limit);
    const threshold = thresholdReached(percent);
    if (threshold === null) continue;
    const { window, scope, provider, model, dimension, resetsAt } = s;
    alerts.push({
      window,
      scope,
      provider,
      model,
      dimension,
      threshold,
      percent,
      resetsAt,
    });
  }
  return alerts.sort((a, b) => b.percent - a.percent);
}

/** One limit that refused a request. `used` includes reservations; `remaining` is never negative. */
export interface QuotaDenial {
  scope: QuotaScope;
  provider: string | null;
  model: string | null;
  window: WindowType;
  dimension: Dimension;
  used: number;
  limit: number;
  remaining: number;
  resetsAt: Date;
}

const DIMENSION_NOUN: Record<Dimension, string> = {
  requests: "request",
  tokens: "token",
  costMicros: "cost",
};
const WINDOW_ADJECTIVE: Record<WindowType, string> = {
  daily: "Daily",
  monthly: "Monthly",
};

function formatAmount(dimension: Dimension, amount: number): string {
  return dimension === "costMicros" ? formatMicros(amount) : amount.toLocaleString("en-US");
}

/** The name of the limit as a user reads it: "Daily request limit", "Daily openai cost limit",
 * "Monthly token limit for anthropic/claude-opus-4-1". */
export function describeLimit(l: {
  window: WindowType;
  scope: QuotaScope;
  provider: string | null;
  model: string | null;
  dimension: Dimension;
}): string {
  const noun = DIMENSION_NOUN[l.dimension];
  const window = WINDOW_ADJECTIVE[l.window];
  switch (l.scope) {
    case "general":
      return `${window} ${noun} limit`;
    case "provider":
      return `${window} ${l.provider ?? "provider"} ${noun} limit`;
    case "model":
      return `${window} ${noun} limit for ${l.provider ?? "?"}/${l.model ?? "?"}`;
  }
}

/**
 * "Daily request limit reached (50 of 50). Resets at 00:00 Europe/Berlin." When the limit is not
 * yet full but this request would overshoot it, says so and how much is left, since "reached"
 * would contradict the numbers shown beside it.
 */
export function describeDenial(d: QuotaDenial, timeZone: string, now: Date = new Date()): string {
  const name = describeLimit(d);
  const used = formatAmount(d.dimension, d.used);
  const limit = formatAmount(d.dimension, d.limit);
  const state =
    d.remaining <= 0
      ? `${name} reached (${used} of ${limit})`
      : `${name} would be exceeded (${used} of ${limit} used, ${formatAmount(d.dimension, d.remaining)} left)`;
  return `${state}. Resets at ${formatResetTime(d.resetsAt, timeZone, now)}.`;
}
