import {
  type Health,
  type QuotaDimensionStatus,
  type Threshold,
  type UsageCheckInput,
  type UsageCheckOutput,
  type UsageStatusOutput,
  healthFor,
  limitApplies,
  percentUsed,
  thresholdReached,
} from "@wavelength/shared";
import { useCallback, useMemo } from "react";
import { readStore, writeStore } from "../lib/local-store.ts";
import { trpc } from "../trpc.ts";
import { meterQuota } from "../usage-text.ts";

/** How often the meter refreshes on its own; every sent message refreshes it at once as well. */
export const USAGE_POLL_MS = 10_000;

export interface UsageStats {
  /** The limit the meter shows: the binding one, else the daily request limit. */
  meter: QuotaDimensionStatus | null;
  percent: number;
  health: Health;
  threshold: Threshold | null;
  timeZone: string;
}

// Anonymous visitors' count, mirrored so a reload shows the meter before the server answers.
// Display only: the server decides every admission.
const MIRROR_KEY = "wl-anon-usage";
interface Mirror {
  used: number;
  limit: number;
  resetsAt: string;
  timeZone: string;
}

export function readUsageMirror(): Mirror | null {
  return readStore(MIRROR_KEY, (raw) => {
    const m = raw as Partial<Mirror>;
    if (typeof m.used !== "number" || typeof m.limit !== "number" || typeof m.resetsAt !== "string") return null;
    if (typeof m.timeZone !== "string" || Date.parse(m.resetsAt) <= Date.now()) return null;
    return m as Mirror;
  });
}

function statsOf(status: UsageStatusOutput | undefined): UsageStats | null {
  if (!status) return null;
  const meter = meterQuota(status);
  const percent = meter ? percentUsed(meter.used, meter.limit) : 0;
  return {
    meter,
    percent,
    health: healthFor(percent),
    threshold: thresholdReached(percent),
    timeZone: status.timeZone,
  };
}

/**
 * The caller's quotas, shared by every component through the react-query cache (one request
 * however many meters and banners are mounted), polled, and refreshed after every message.
 */
export function useUsageTracking() {
  const utils = trpc.useUtils();
  const status = trpc.usage.status.useQuery(undefined, {
    refetchInterval: USAGE_POLL_MS,
    refetchIntervalInBackground: false,
  });
  const check = trpc.usage.check.useMutation();

  const usageStatus = status.data ?? null;
  if (usageStatus?.tier === "anonymous") {
    const daily = usageStatus.quotas.find(
      (q) => q.window === "daily" && q.scope === "general" && q.dimension === "requests",
    );
    if (daily?.limit != null) {
      writeStore(MIRROR_KEY, {
        used: daily.used,
        limit: daily.limit,
        resetsAt: daily.resetsAt.toISOString(),
        timeZone: usageStatus.timeZone,
      } satisfies Mirror);
    }
  }

  const stats = useMemo(() => statsOf(status.data), [status.data]);
  const getUsageStats = useCallback(() => stats, [stats]);

  /** Advisory pre-flight: would this request be admitted now? Reserves nothing. */
  const { mutateAsync } = check;
  const checkQuota = useCallback(
    (input: UsageCheckInput): Promise<UsageCheckOutput> => mutateAsync(input),
    [mutateAsync],
  );

  /** Counts a just-admitted message at once (the meter moves instantly), then asks the server. */
  const recordSent = useCallback(
    (provider: string, model: string) => {
      utils.usage.status.setData(undefined, (old) => {
        if (!old) return old;
        const quotas = old.quotas.map((q) =>
          q.dimension === "requests" && limitApplies(q, provider, model)
            ? { ...q, used: q.used + 1, remaining: q.remaining === null ? null : Math.max(0, q.remaining - 1) }
            : q,
        );
        return {
          ...old,
          quotas,
          binding: old.binding ? (quotas.find((q) => sameLimit(q, old.binding!)) ?? old.binding) : null,
        };
      });
      void utils.usage.status.invalidate();
    },
    [utils],
  );

  const refresh = useCallback(() => utils.usage.status.invalidate(), [utils]);

  return {
    usageStatus,
    isLoading: status.isLoading,
    error: status.error,
    checkQuota,
    getUsageStats,
    stats,
    recordSent,
    refresh,
  };
}

function sameLimit(a: QuotaDimensionStatus, b: QuotaDimensionStatus): boolean {
  return (
    a.window === b.window &&
    a.scope === b.scope &&
    a.provider === b.provider &&
    a.model === b.model &&
    a.dimension === b.dimension
  );
}
