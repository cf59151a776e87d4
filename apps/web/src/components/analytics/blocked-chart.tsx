import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { BLOCKED_COLOR, ChartFigure, TooltipBox, axisTick, gridProps } from "./chart-theme.tsx";
import { formatInt } from "./format.ts";

export interface BlockedDay {
  date: string;
  count: number;
}

const shortDate = (date: string) =>
  new Date(`${date}T12:00:00Z`).toLocaleDateString("en-US", { timeZone: "UTC", month: "short", day: "numeric" });

/** Requests the quota refused, per local day. */
export function BlockedChart({ days }: { days: BlockedDay[] }) {
  const total = days.reduce((s, d) => s + d.count, 0);
  if (total === 0) {
    return (
      <p data-testid="blocked-total" className="text-sm text-muted">
        No requests were blocked in this range.
      </p>
    );
  }
  const data = days.map((d) => ({ ...d, label: shortDate(d.date) }));
  return (
    <div>
      <p data-testid="blocked-total" className="mb-2 text-sm text-ink">
        {formatInt(total)} blocked {total === 1 ? "request" : "requests"}
      </p>
      <ChartFigure
        label="Blocked requests per day"
        summary={days
          .filter((d) => d.count > 0)
          .map((d) => `${d.date}: ${d.count}`)
          .join("; ")}
      >
        <ResponsiveContainer width="100%" height={180}>
          <BarChart data={data} margin={{ top: 4, right: 8, bottom: 0, left: 0 }}>
            <CartesianGrid {...gridProps} />
            <XAxis dataKey="label" tick={axisTick} stroke="currentColor" minTickGap={12} />
            <YAxis tick={axisTick} stroke="currentColor" allowDecimals={false} width={32} />
            <Tooltip
              cursor={{ fill: "currentColor", fillOpacity: 0.06 }}
              content={({ active, payload }) => {
                const row = payload?.[0]?.payload as BlockedDay | undefined;
                if (!active || !row) return null;
                return (
                  <TooltipBox
                    title={row.date}
                    rows={[{ name: "Blocked", value: formatInt(row.count), color: BLOCKED_COLOR }]}
                  />
                );
              }}
            />
            <Bar name="Blocked" dataKey="count" fill={BLOCKED_COLOR} isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </ChartFigure>
    </div>
  );
}
