import { useMemo } from "react";
import {
  Area,
  AreaChart,
  Bar,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import type { GroupBy } from "./date-range.ts";
import {
  COST_COLOR,
  ChartFigure,
  INPUT_COLOR,
  OUTPUT_COLOR,
  REQUEST_COLOR,
  TooltipBox,
  axisTick,
  colorAt,
  gridProps,
} from "./chart-theme.tsx";
import { bucketLabel, formatCompact, formatCost, formatDateTime, formatInt } from "./format.ts";
import type { UsageSeriesPoint } from "./types.ts";

interface GroupAmounts {
  requests: number;
  tokens: number;
}

export interface BucketRow {
  at: Date;
  label: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
  /** Dollars, for the cost axis (micro-dollars would print 1e6 ticks). */
  costUsd: number;
  groups: Record<string, GroupAmounts>;
}

/** The zero-filled series pivoted to one row per bucket, with per-group amounts when grouped. */
export function pivotSeries(
  series: readonly UsageSeriesPoint[],
  granularity: "hour" | "day",
  timeZone: string,
): { rows: BucketRow[]; groups: string[] } {
  const byTime = new Map<number, BucketRow>();
  const groups: string[] = [];
  for (const p of series) {
    const key = p.at.getTime();
    let row = byTime.get(key);
    if (!row) {
      row = {
        at: p.at,
        label: bucketLabel(p.at, granularity, timeZone),
        requests: 0,
        inputTokens: 0,
        outputTokens: 0,
        costMicros: 0,
        costUsd: 0,
        groups: {},
      };
      byTime.set(key, row);
    }
    row.requests += p.requests;
    row.inputTokens += p.inputTokens;
    row.outputTokens += p.outputTokens;
    row.costMicros += p.costMicros;
    row.costUsd = row.costMicros / 1_000_000;
    if (p.group !== null) {
      if (!groups.includes(p.group)) groups.push(p.group);
      const g = (row.groups[p.group] ??= { requests: 0, tokens: 0 });
      g.requests += p.requests;
      g.tokens += p.inputTokens + p.outputTokens;
    }
  }
  return { rows: [...byTime.values()].sort((a, b) => a.at.getTime() - b.at.getTime()), groups };
}

interface ChartProps {
  rows: BucketRow[];
  groups: string[];
  groupBy: GroupBy;
  granularity: "hour" | "day";
  timeZone: string;
}

// Group names ("openai/gpt-4.1") contain dots, which recharts would read as a path: use accessors.
const groupTokens = (g: string) => (r: BucketRow) => r.groups[g]?.tokens ?? 0;
const groupRequests = (g: string) => (r: BucketRow) => r.groups[g]?.requests ?? 0;

function bucketTitle(row: BucketRow, granularity: "hour" | "day", timeZone: string): string {
  return granularity === "hour" ? formatDateTime(row.at, timeZone) : row.label;
}

/** Stacked tokens per bucket: input and output, or each provider/model's total when grouped. */
export function TokenChart({ rows, groups, groupBy, granularity, timeZone }: ChartProps) {
  const grouped = groupBy !== "none" && groups.length > 0;
  const total = useMemo(() => rows.reduce((s, r) => s + r.inputTokens + r.outputTokens, 0), [rows]);
  return (
    <ChartFigure
      label="Tokens over time"
      summary={`${formatInt(total)} tokens over ${rows.length} ${granularity === "hour" ? "hours" : "days"}.`}
    >
      <ResponsiveContainer width="100%" height={260}>
        <AreaChart data={rows} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid {...gridProps} />
          <XAxis dataKey="label" tick={axisTick} stroke="currentColor" minTickGap={16} />
          <YAxis tick={axisTick} stroke="currentColor" tickFormatter={formatCompact} width={48} />
          <Tooltip
            content={({ active, payload }) => {
              const row = payload?.[0]?.payload as BucketRow | undefined;
              if (!active || !row) return null;
              const items = grouped
                ? groups.map((g, i) => ({ name: g, value: formatInt(row.groups[g]?.tokens ?? 0), color: colorAt(i) }))
                : [
                    { name: "Input tokens", value: formatInt(row.inputTokens), color: INPUT_COLOR },
                    { name: "Output tokens", value: formatInt(row.outputTokens), color: OUTPUT_COLOR },
                  ];
              return <TooltipBox title={bucketTitle(row, granularity, timeZone)} rows={items} />;
            }}
          />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {grouped ? (
            groups.map((g, i) => (
              <Area
                key={g}
                type="linear"
                name={g}
                dataKey={groupTokens(g)}
                stackId="tokens"
                stroke={colorAt(i)}
                fill={colorAt(i)}
                fillOpacity={0.35}
                isAnimationActive={false}
              />
            ))
          ) : (
            <>
              <Area
                type="linear"
                name="Input tokens"
                dataKey="inputTokens"
                stackId="tokens"
                stroke={INPUT_COLOR}
                fill={INPUT_COLOR}
                fillOpacity={0.35}
                isAnimationActive={false}
              />
              <Area
                type="linear"
                name="Output tokens"
                dataKey="outputTokens"
                stackId="tokens"
                stroke={OUTPUT_COLOR}
                fill={OUTPUT_COLOR}
                fillOpacity={0.35}
                isAnimationActive={false}
              />
            </>
          )}
        </AreaChart>
      </ResponsiveContainer>
    </ChartFigure>
  );
}

/** Requests per bucket as (stacked) bars with the cost as a line on its own axis. */
export function RequestChart({ rows, groups, groupBy, granularity, timeZone }: ChartProps) {
  const grouped = groupBy !== "none" && groups.length > 0;
  const totals = useMemo(
    () =>
      rows.reduce((s, r) => ({ requests: s.requests + r.requests, cost: s.cost + r.costMicros }), {
        requests: 0,
        cost: 0,
      }),
    [rows],
  );
  return (
    <ChartFigure
      label="Requests and cost over time"
      summary={`${formatInt(totals.requests)} requests costing ${formatCost(totals.cost)}.`}
    >
      <ResponsiveContainer width="100%" height={260}>
        <ComposedChart data={rows} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid {...gridProps} />
          <XAxis dataKey="label" tick={axisTick} stroke="currentColor" minTickGap={16} />
          <YAxis yAxisId="requests" tick={axisTick} stroke="currentColor" allowDecimals={false} width={40} />
          <YAxis
            yAxisId="cost"
            orientation="right"
            tick={axisTick}
            stroke="currentColor"
            width={64}
            tickFormatter={(v: number) => `$${v < 0.01 && v > 0 ? v.toPrecision(1) : v.toFixed(2)}`}
          />
          <Tooltip
            content={({ active, payload }) => {
              const row = payload?.[0]?.payload as BucketRow | undefined;
              if (!active || !row) return null;
              const items = grouped
                ? groups.map((g, i) => ({ name: g, value: formatInt(row.groups[g]?.requests ?? 0), color: colorAt(i) }))
                : [{ name: "Requests", value: formatInt(row.requests), color: REQUEST_COLOR }];
              items.push({ name: "Cost", value: formatCost(row.costMicros), color: COST_COLOR });
              return <TooltipBox title={bucketTitle(row, granularity, timeZone)} rows={items} />;
            }}
          />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {grouped ? (
            groups.map((g, i) => (
              <Bar
                key={g}
                yAxisId="requests"
                name={g}
                dataKey={groupRequests(g)}
                stackId="requests"
                fill={colorAt(i)}
                isAnimationActive={false}
              />
            ))
          ) : (
            <Bar yAxisId="requests" name="Requests" dataKey="requests" fill={REQUEST_COLOR} isAnimationActive={false} />
          )}
          <Line
            yAxisId="cost"
            type="linear"
            name="Cost (USD)"
            dataKey="costUsd"
            stroke={COST_COLOR}
            strokeWidth={2}
            dot={false}
            isAnimationActive={false}
          />
        </ComposedChart>
      </ResponsiveContainer>
    </ChartFigure>
  );
}
