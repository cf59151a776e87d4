import { useState } from "react";
import { formatCompact, formatCost, formatInt } from "../../components/analytics/format.ts";
import { trpc } from "../../trpc.ts";
import type { SystemOverview } from "./types.ts";

const RANGES = [7, 30, 90, 365] as const;
type RangeDays = (typeof RANGES)[number];
const DAY_MS = 86_400_000;

/** The whole system's usage over the last N days: totals, a daily cost bar strip, models and the heaviest subjects. */
export function OverviewPanel() {
  const [days, setDays] = useState<RangeDays>(30);
  // Whole hours, so the query key stays stable between renders and the server's hourly rows line up.
  const [to] = useState(() => new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000));
  const overview = trpc.admin.overview.useQuery(
    { from: new Date(to.getTime() - days * DAY_MS), to },
    { placeholderData: (prev) => prev },
  );
  return (
    <section aria-labelledby="overview-heading" className="rounded-xl border border-line bg-surface p-4 shadow-sm">
      <div className="mb-3 flex flex-wrap items-center justify-between gap-2">
        <h2 id="overview-heading" className="text-base font-semibold text-ink">
          Usage overview
        </h2>
        <div role="group" aria-label="Overview range" className="flex gap-1">
          {RANGES.map((d) => (
            <button
              key={d}
              type="button"
              className={`btn ${d === days ? "btn-primary" : ""}`}
              aria-pressed={d === days}
              onClick={() => setDays(d)}
            >
              {d} days
            </button>
          ))}
        </div>
      </div>
      {overview.error ? (
        <p role="alert" className="text-sm text-critical">
          Could not read the overview: {overview.error.message}
        </p>
      ) : !overview.data ? (
        <div aria-hidden="true" className="h-40 animate-pulse rounded-lg bg-surface-3" />
      ) : (
        <OverviewBody o={overview.data} />
      )}
    </section>
  );
}

function OverviewBody({ o }: { o: SystemOverview }) {
  const stats: [string, string, string][] = [
    ["Requests", formatInt(o.totals.requests), "overview-requests"],
    ["Tokens", formatCompact(o.totals.inputTokens + o.totals.outputTokens), "overview-tokens"],
    ["Cost", formatCost(o.totals.costMicros), "overview-cost"],
    ["Active users", formatInt(o.activeUsers), "overview-users"],
    ["Active visitors", formatInt(o.activeVisitors), "overview-visitors"],
  ];
  return (
    <>
      <dl className="grid grid-cols-2 gap-3 md:grid-cols-5">
        {stats.map(([label, value, testId]) => (
          <div key={label} className="rounded-lg border border-line p-3">
            <dt className="text-xs text-muted">{label}</dt>
            <dd data-testid={testId} className="mt-0.5 text-lg font-semibold tabular-nums text-ink">
              {value}
            </dd>
          </div>
        ))}
      </dl>
      <DailyBars days={o.byDay} />
      <div className="mt-4 grid gap-4 md:grid-cols-2">
        <SimpleTable
          caption="By model"
          head={["Model", "Requests", "Cost"]}
          rows={o.byModel.map((m) => [`${m.provider}/${m.model}`, formatInt(m.requests), formatCost(m.costMicros)])}
        />
        <SimpleTable
          caption="Heaviest users and visitors"
          head={["Subject", "Requests", "Cost"]}
          rows={o.topSubjects.map((s) => [
            s.email ?? (s.kind === "anon" ? `visitor ${s.subject.slice(5, 13)}…` : s.subject),
            formatInt(s.requests),
            formatCost(s.costMicros),
          ])}
        />
      </div>
    </>
  );
}

/** Cost per UTC day as a bar strip: enough to spot a spike, without loading the charting library here. */
function DailyBars({ days }: { days: SystemOverview["byDay"] }) {
  const max = Math.max(1, ...days.map((d) => d.costMicros));
  return (
    <figure className="mt-4">
      <div className="flex h-16 items-end gap-px" role="img" aria-label="Cost per UTC day">
        {days.map((d) => (
          <div
            key={d.date}
            title={`${d.date}: ${formatInt(d.requests)} requests, ${formatCost(d.costMicros)}`}
            className="min-w-px flex-1 rounded-t-sm bg-accent"
            style={{ height: `${Math.max(d.costMicros > 0 ? 4 : 0, (d.costMicros / max) * 100)}%` }}
          />
        ))}
      </div>
      <figcaption className="mt-1 flex justify-between text-xs text-muted">
        <span>{days[0]?.date}</span>
        <span>cost per UTC day</span>
        <span>{days.at(-1)?.date}</span>
      </figcaption>
    </figure>
  );
}

function SimpleTable({ caption, head, rows }: { caption: string; head: string[]; rows: string[][] }) {
  return (
    <table className="w-full text-sm">
      <caption className="mb-1 text-left font-medium text-ink">{caption}</caption>
      <thead>
        <tr className="border-b border-line text-left text-muted">
          {head.map((h, i) => (
            <th key={h} scope="col" className={`py-1 font-medium ${i > 0 ? "text-right" : ""}`}>
              {h}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.length === 0 ? (
          <tr>
            <td colSpan={head.length} className="py-2 text-muted">
              No usage in this range.
            </td>
          </tr>
        ) : (
          rows.map((r, i) => (
            <tr key={i} className="border-b border-line/60">
              {r.map((cell, j) =>
                j === 0 ? (
                  <th key={j} scope="row" className="max-w-[16rem] truncate py-1 text-left font-normal text-ink">
                    {cell}
                  </th>
                ) : (
                  <td key={j} className="text-right tabular-nums">
                    {cell}
                  </td>
                ),
              )}
            </tr>
          ))
        )}
      </tbody>
    </table>
  );
}
