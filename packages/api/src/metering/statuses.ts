import { DIMENSIONS, percentUsed, remainingOf, type QuotaDenial, type QuotaDimensionStatus } from "@wavelength/shared";
import type { QuotaRowState, StoreDenial, SubjectWindows } from "./types.ts";

const LIMIT = {
  requests: "requestLimit",
  tokens: "tokenLimit",
  costMicros: "costLimitMicros",
} as const;
const USED = {
  requests: "requestsUsed",
  tokens: "tokensUsed",
  costMicros: "costUsedMicros",
} as const;
const RESERVED = {
  requests: "requestsReserved",
  tokens: "tokensReserved",
  costMicros: "costReservedMicros",
} as const;

/**
 * How a row reads at `now` without writing: a window that has ended shows as
 * the fresh window the next access will roll it into (the lazy reset).
 */
export function asOf(row: QuotaRowState, now: Date, windows: SubjectWindows): QuotaRowState {
  if (row.resetAt > now) return row;
  const b = row.window === "daily" ? windows.daily : windows.monthly;
  return {
    ...row,
    requestsUsed: 0,
    tokensUsed: 0,
    costUsedMicros: 0,
    requestsReserved: 0,
    tokensReserved: 0,
    costReservedMicros: 0,
    windowStart: b.start > row.resetAt ? b.start : row.resetAt,
    resetAt: b.resetsAt,
  };
}

/**
 * One status per limited dimension of each row; `used` includes reservations in flight. With
 * `liftedOverrides`, also the dimensions an operator's override made unlimited (limit null), which
 * operators want to see; an unlimited dimension of the tier is never a quota.
 */
export function rowStatuses(
  rows: readonly QuotaRowState[],
  options: { liftedOverrides?: boolean } = {},
): QuotaDimensionStatus[] {
  const out: QuotaDimensionStatus[] = [];
  for (const row of rows) {
    for (const d of DIMENSIONS) {
      const limit = row[LIMIT[d]];
      if (limit === null && !(options.liftedOverrides && row.overridden)) continue;
      const reserved = row[RESERVED[d]];
      const used = row[USED[d]] + reserved;
      out.push({
        window: row.window,
        scope: row.scope,
        provider: row.provider || null,
        model: row.model || null,
        dimension: d,
        used,
        reserved,
        limit,
        remaining: remainingOf(used, limit),
        percent: percentUsed(used, limit),
        resetsAt: row.resetAt,
        source: row.overridden ? "override" : "tier",
        overrideExpiresAt: row.overrideExpiresAt,
      });
    }
  }
  return out;
}

export function toDenials(denials: readonly StoreDenial[], rows: readonly QuotaRowState[]): QuotaDenial[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  return denials.map((d) => {
    const row = byId.get(d.rowId)!;
    return {
      scope: row.scope,
      provider: row.provider || null,
      model: row.model || null,
      window: row.window,
      dimension: d.dimension,
      used: d.used,
      limit: d.limit,
      remaining: Math.max(d.limit - d.used, 0),
      resetsAt: row.resetAt,
    };
  });
}
