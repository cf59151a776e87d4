import { useId } from "react";
import { type GroupBy, GROUP_BY_VALUES, PRESET_LABELS, RANGE_PRESETS } from "./date-range.ts";
import type { AnalyticsFilters } from "./use-analytics-filters.ts";

const GROUP_LABELS: Record<GroupBy, string> = { none: "Input / output", provider: "Provider", model: "Model" };

const inputClass = "rounded-md border border-line bg-surface px-2 py-1 text-sm text-ink";

/** Presets as a segmented control, custom dates, and the series grouping, all written to the URL. */
export function RangePicker({ filters, timeZone }: { filters: AnalyticsFilters; timeZone: string }) {
  const id = useId();
  const { preset, range, groupBy } = filters;
  return (
    <div className="flex flex-wrap items-end gap-3">
      <div role="group" aria-label="Date range" className="inline-flex flex-wrap rounded-lg border border-line p-0.5">
        {RANGE_PRESETS.map((p) => (
          <button
            key={p}
            type="button"
            aria-pressed={preset === p}
            onClick={() => filters.setPreset(p)}
            className={`rounded-md px-3 py-1 text-sm font-medium ${
              preset === p ? "bg-accent text-accent-ink" : "text-ink hover:bg-surface-3"
            }`}
          >
            {PRESET_LABELS[p]}
          </button>
        ))}
      </div>
      {preset === "custom" && (
        <div className="flex flex-wrap items-end gap-2">
          <label className="grid text-xs text-ink" htmlFor={`${id}-from`}>
            From
            <input
              id={`${id}-from`}
              type="date"
              className={inputClass}
              value={range.fromDate}
              max={range.toDate}
              onChange={(e) => filters.setCustom(e.target.value, range.toDate)}
            />
          </label>
          <label className="grid text-xs text-ink" htmlFor={`${id}-to`}>
            To
            <input
              id={`${id}-to`}
              type="date"
              className={inputClass}
              value={range.toDate}
              min={range.fromDate}
              onChange={(e) => filters.setCustom(range.fromDate, e.target.value)}
            />
          </label>
        </div>
      )}
      <label className="grid text-xs text-ink" htmlFor={`${id}-group`}>
        Split charts by
        <select
          id={`${id}-group`}
          className={inputClass}
          value={groupBy}
          onChange={(e) => filters.setGroupBy(GROUP_BY_VALUES.find((g) => g === e.target.value) ?? "none")}
        >
          {GROUP_BY_VALUES.map((g) => (
            <option key={g} value={g}>
              {GROUP_LABELS[g]}
            </option>
          ))}
        </select>
      </label>
      <p className="text-xs text-muted" data-testid="range-caption">
        {range.fromDate === range.toDate ? range.fromDate : `${range.fromDate} – ${range.toDate}`} ·{" "}
        {range.granularity === "hour" ? "hourly" : "daily"} · times in <span className="font-medium">{timeZone}</span>
      </p>
    </div>
  );
}
