import { useCallback, useMemo } from "react";
import { useSearchParams } from "react-router";
import {
  type GroupBy,
  type RangePreset,
  type ResolvedRange,
  isLocalDate,
  parseGroupBy,
  parsePreset,
  resolveRange,
} from "./date-range.ts";

export interface AnalyticsFilters {
  preset: RangePreset;
  groupBy: GroupBy;
  range: ResolvedRange;
  setPreset: (preset: RangePreset) => void;
  setCustom: (from: string, to: string) => void;
  setGroupBy: (groupBy: GroupBy) => void;
}

/**
 * The page's filters live in the URL (?range=7d&from=…&to=…&group=model) so that a view can be
 * bookmarked, shared and restored with Back. Instants are resolved in the user's zone on every
 * render: "today" means today when the link is opened, not when it was copied.
 */
export function useAnalyticsFilters(timeZone: string): AnalyticsFilters {
  const [params, setParams] = useSearchParams();
  const preset = parsePreset(params.get("range"));
  const groupBy = parseGroupBy(params.get("group"));
  const customFrom = params.get("from");
  const customTo = params.get("to");

  // Re-resolved when the local date changes would need a timer; a reload or filter change is enough.
  const range = useMemo(
    () => resolveRange(preset, { from: customFrom, to: customTo }, timeZone),
    [preset, customFrom, customTo, timeZone],
  );

  const update = useCallback(
    (change: (next: URLSearchParams) => void) => {
      setParams(
        (prev) => {
          const next = new URLSearchParams(prev);
          change(next);
          return next;
        },
        { replace: false },
      );
    },
    [setParams],
  );

  const setPreset = useCallback(
    (p: RangePreset) =>
      update((next) => {
        next.set("range", p);
        if (p === "custom") {
          next.set("from", range.fromDate);
          next.set("to", range.toDate);
        } else {
          next.delete("from");
          next.delete("to");
        }
      }),
    [update, range.fromDate, range.toDate],
  );

  const setCustom = useCallback(
    (from: string, to: string) =>
      update((next) => {
        next.set("range", "custom");
        if (isLocalDate(from)) next.set("from", from);
        if (isLocalDate(to)) next.set("to", to);
      }),
    [update],
  );

  const setGroupBy = useCallback(
    (g: GroupBy) =>
      update((next) => {
        if (g === "none") next.delete("group");
        else next.set("group", g);
      }),
    [update],
  );

  return { preset, groupBy, range, setPreset, setCustom, setGroupBy };
}

/** The export route takes the same filters as the page's query, so the file holds what is shown. */
export function exportHref(format: "csv" | "json", range: ResolvedRange, groupBy: GroupBy): string {
  const q = new URLSearchParams({
    format,
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    granularity: range.granularity,
    groupBy,
  });
  return `/api/usage/export?${q.toString()}`;
}
