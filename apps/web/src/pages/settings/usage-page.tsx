import { keepPreviousData } from "@tanstack/react-query";
import { useMemo } from "react";
import { Link } from "react-router";
import { BlockedChart } from "../../components/analytics/blocked-chart.tsx";
import { Breakdown } from "../../components/analytics/breakdown.tsx";
import { Card } from "../../components/analytics/card.tsx";
import { PRESET_LABELS } from "../../components/analytics/date-range.ts";
import { EstimateAccuracy } from "../../components/analytics/estimate-accuracy.tsx";
import { ExportLinks } from "../../components/analytics/export-links.tsx";
import { QuotaBars } from "../../components/analytics/quota-bars.tsx";
import { RangePicker } from "../../components/analytics/range-picker.tsx";
import { AnalyticsSkeleton, EmptyState, ErrorState } from "../../components/analytics/states.tsx";
import { Totals } from "../../components/analytics/totals.tsx";
import { RequestChart, TokenChart, pivotSeries } from "../../components/analytics/usage-charts.tsx";
import { useAnalyticsFilters } from "../../components/analytics/use-analytics-filters.ts";
import { trpc } from "../../trpc.ts";

const browserTimeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

/**
 * /settings/usage: the caller's usage over a range in charts and tables, every quota as a bar,
 * estimate accuracy and refusals, with exports of exactly the data shown. Loaded lazily, so
 * recharts never ships with the chat page.
 */
export default function UsagePage() {
  // Ranges are local days in the profile's zone (the zone quotas reset in), not the browser's.
  const profile = trpc.profile.get.useQuery(undefined, { staleTime: 60_000 });
  const timeZone = profile.data?.timezone ?? browserTimeZone;
  const filters = useAnalyticsFilters(timeZone);
  const { range, groupBy, preset } = filters;

  const usage = trpc.profile.usage.useQuery(
    { from: range.from, to: range.to, granularity: range.granularity, groupBy },
    { enabled: profile.isSuccess, placeholderData: keepPreviousData, refetchInterval: 30_000 },
  );
  const data = usage.data;
  const shownZone = data?.timeZone ?? timeZone;
  const pivot = useMemo(
    () => (data ? pivotSeries(data.series, range.granularity, shownZone) : { rows: [], groups: [] }),
    [data, range.granularity, shownZone],
  );

  const rangeLabel =
    preset === "custom" ? "in this range" : PRESET_LABELS[preset].toLowerCase().replace(/^(\d)/, "in the last $1");
  const empty = data !== undefined && data.totals.requests === 0 && data.blockedByDay.every((d) => d.count === 0);

  return (
    <main className="mx-auto grid w-full max-w-6xl gap-4 px-4 py-6">
      <header className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <p className="text-sm text-muted">
            <Link to="/settings" className="underline-offset-2 hover:underline">
              Settings
            </Link>{" "}
            / Usage
          </p>
          <h1 id="usage-title" className="text-2xl font-semibold text-ink">
            Usage
          </h1>
          <p className="text-sm text-muted" data-testid="time-zone">
            Your time zone: <span className="font-medium text-ink">{shownZone}</span>
          </p>
        </div>
        <ExportLinks range={range} groupBy={groupBy} />
      </header>

      <RangePicker filters={filters} timeZone={shownZone} />

      {profile.error ? (
        <ErrorState message={profile.error.message} onRetry={() => void profile.refetch()} />
      ) : usage.error && !data ? (
        <ErrorState message={usage.error.message} onRetry={() => void usage.refetch()} />
      ) : !data ? (
        <AnalyticsSkeleton />
      ) : (
        <div
          className={`grid gap-4 transition-opacity ${usage.isPlaceholderData ? "opacity-60" : ""}`}
          aria-busy={usage.isFetching}
        >
          {usage.error && (
            <ErrorState message={`Showing older data: ${usage.error.message}`} onRetry={() => void usage.refetch()} />
          )}
          <Totals totals={data.totals} />
          {empty ? (
            <EmptyState rangeLabel={rangeLabel} />
          ) : (
            <>
              <div className="grid gap-4 xl:grid-cols-2">
                <Card
                  id="tokens-chart"
                  title="Tokens"
                  description={range.granularity === "hour" ? "Per hour" : "Per day"}
                >
                  <TokenChart {...pivot} groupBy={groupBy} granularity={range.granularity} timeZone={shownZone} />
                </Card>
                <Card
                  id="requests-chart"
                  title="Requests and cost"
                  description={range.granularity === "hour" ? "Per hour" : "Per day"}
                >
                  <RequestChart {...pivot} groupBy={groupBy} granularity={range.granularity} timeZone={shownZone} />
                </Card>
              </div>
              <Card id="breakdown" title="Breakdown" description="Where your tokens and money went">
                <Breakdown usage={data} />
              </Card>
            </>
          )}
          <Card id="quotas" title="Quotas" description="Where you stand right now, whatever the range">
            <QuotaBars quotas={data.quota} timeZone={shownZone} />
          </Card>
          <div className="grid gap-4 lg:grid-cols-2">
            <Card
              id="estimate-accuracy"
              title="Estimate accuracy"
              description="Reserved at admission against what was used"
            >
              <EstimateAccuracy usage={data} />
            </Card>
            <Card id="blocked" title="Blocked requests" description="Refused by a quota, per day">
              <BlockedChart days={data.blockedByDay} />
            </Card>
          </div>
        </div>
      )}
    </main>
  );
}
