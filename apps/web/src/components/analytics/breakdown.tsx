import { useMemo, useState } from "react";
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { ChartFigure, INPUT_COLOR, OUTPUT_COLOR, TooltipBox, axisTick, gridProps } from "./chart-theme.tsx";
import { formatCompact, formatCost, formatInt, formatShare } from "./format.ts";
import type { ProfileUsage } from "./types.ts";

export interface BreakdownRow {
  name: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
}

type SortKey = "name" | "requests" | "inputTokens" | "outputTokens" | "costMicros" | "share";
type Dimension = "provider" | "model" | "key";

/** The row of usage that no API key opened: the chat page (and service calls). */
export const CHAT_PAGE_ROW = "Chat page";

const COLUMNS: { key: SortKey; label: string; numeric: boolean }[] = [
  { key: "name", label: "Name", numeric: false },
  { key: "requests", label: "Requests", numeric: true },
  { key: "inputTokens", label: "Input tokens", numeric: true },
  { key: "outputTokens", label: "Output tokens", numeric: true },
  { key: "costMicros", label: "Cost", numeric: true },
  { key: "share", label: "Share of tokens", numeric: true },
];

const tokensOf = (r: BreakdownRow) => r.inputTokens + r.outputTokens;

function sortValue(r: BreakdownRow, key: SortKey): number | string {
  switch (key) {
    case "name":
      return r.name;
    case "share":
      return tokensOf(r);
    default:
      return r[key];
  }
}

export function rowsOf(usage: ProfileUsage, by: Dimension): BreakdownRow[] {
  if (by === "provider") return usage.byProvider.map((p) => ({ ...p, name: p.provider }));
  if (by === "model") return usage.byModel.map((m) => ({ ...m, name: `${m.provider}/${m.model}` }));
  const keys = usage.byKey.map((k) => ({
    ...k,
    name: `${k.name} (${k.prefix}…)${k.revoked ? ", revoked" : ""}`,
  }));
  const rest = { ...usage.totals, name: CHAT_PAGE_ROW };
  for (const k of keys) {
    rest.requests -= k.requests;
    rest.inputTokens -= k.inputTokens;
    rest.outputTokens -= k.outputTokens;
    rest.costMicros -= k.costMicros;
  }
  return rest.requests > 0 ? [...keys, rest] : keys;
}

/** Provider or model breakdown: a stacked token bar per row and a table sortable on every column. */
export function Breakdown({ usage }: { usage: ProfileUsage }) {
  const [chosen, setBy] = useState<Dimension>("model");
  // "By API key" appears once the range holds usage of an API key.
  const dimensions: Dimension[] = usage.byKey.length > 0 ? ["provider", "model", "key"] : ["provider", "model"];
  const by = dimensions.includes(chosen) ? chosen : "model";
  const [sort, setSort] = useState<{ key: SortKey; dir: "asc" | "desc" }>({ key: "costMicros", dir: "desc" });
  const rows = useMemo(() => rowsOf(usage, by), [usage, by]);
  const totalTokens = usage.totals.inputTokens + usage.totals.outputTokens;
  const sorted = useMemo(() => {
    const factor = sort.dir === "asc" ? 1 : -1;
    return [...rows].sort((a, b) => {
      const x = sortValue(a, sort.key);
      const y = sortValue(b, sort.key);
      const c = typeof x === "string" && typeof y === "string" ? x.localeCompare(y) : Number(x) - Number(y);
      return c * factor || a.name.localeCompare(b.name);
    });
  }, [rows, sort]);

  const toggle = (key: SortKey) =>
    setSort((s) =>
      s.key === key ? { key, dir: s.dir === "asc" ? "desc" : "asc" } : { key, dir: key === "name" ? "asc" : "desc" },
    );

  return (
    <div className="grid gap-4">
      <div role="group" aria-label="Break down by" className="inline-flex w-fit rounded-lg border border-line p-0.5">
        {dimensions.map((d) => (
          <button
            key={d}
            type="button"
            aria-pressed={by === d}
            onClick={() => setBy(d)}
            className={`rounded-md px-3 py-1 text-sm font-medium ${
              by === d ? "bg-accent text-accent-ink" : "text-ink hover:bg-surface-3"
            }`}
          >
            By {d === "key" ? "API key" : d}
          </button>
        ))}
      </div>
      <ChartFigure
        label={`Tokens by ${by === "key" ? "API key" : by}`}
        summary={rows.map((r) => `${r.name}: ${formatInt(tokensOf(r))} tokens`).join("; ")}
      >
        <ResponsiveContainer width="100%" height={Math.max(120, rows.length * 44 + 48)}>
          <BarChart data={rows} layout="vertical" margin={{ top: 0, right: 16, bottom: 0, left: 0 }}>
            <CartesianGrid {...gridProps} horizontal={false} vertical />
            <XAxis type="number" tick={axisTick} stroke="currentColor" tickFormatter={formatCompact} />
            <YAxis type="category" dataKey="name" tick={axisTick} stroke="currentColor" width={160} />
            <Tooltip
              cursor={{ fill: "currentColor", fillOpacity: 0.06 }}
              content={({ active, payload }) => {
                const row = payload?.[0]?.payload as BreakdownRow | undefined;
                if (!active || !row) return null;
                return (
                  <TooltipBox
                    title={row.name}
                    rows={[
                      { name: "Input tokens", value: formatInt(row.inputTokens), color: INPUT_COLOR },
                      { name: "Output tokens", value: formatInt(row.outputTokens), color: OUTPUT_COLOR },
                    ]}
                    footer={
                      <p className="mt-1">
                        {formatInt(row.requests)} requests · {formatCost(row.costMicros)}
                      </p>
                    }
                  />
                );
              }}
            />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            <Bar name="Input tokens" dataKey="inputTokens" stackId="t" fill={INPUT_COLOR} isAnimationActive={false} />
            <Bar
              name="Output tokens"
              dataKey="outputTokens"
              stackId="t"
              fill={OUTPUT_COLOR}
              isAnimationActive={false}
            />
          </BarChart>
        </ResponsiveContainer>
      </ChartFigure>
      <div className="overflow-x-auto">
        <table className="w-full min-w-[36rem] text-sm" aria-label={`Usage by ${by === "key" ? "API key" : by}`}>
          <thead>
            <tr className="border-b border-line text-left">
              {COLUMNS.map((c) => (
                <th
                  key={c.key}
                  scope="col"
                  aria-sort={sort.key === c.key ? (sort.dir === "asc" ? "ascending" : "descending") : "none"}
                  className={`py-2 font-medium text-ink ${c.numeric ? "text-right" : ""}`}
                >
                  <button
                    type="button"
                    onClick={() => toggle(c.key)}
                    className="inline-flex items-center gap-1 rounded px-1 hover:text-accent"
                  >
                    {c.label}
                    <span aria-hidden="true" className="text-xs">
                      {sort.key === c.key ? (sort.dir === "asc" ? "▲" : "▼") : "↕"}
                    </span>
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {sorted.map((r) => (
              <tr key={r.name} className="border-b border-line/60">
                <th scope="row" className="py-2 text-left font-normal text-ink">
                  {r.name}
                </th>
                <td className="text-right tabular-nums">{formatInt(r.requests)}</td>
                <td className="text-right tabular-nums">{formatInt(r.inputTokens)}</td>
                <td className="text-right tabular-nums">{formatInt(r.outputTokens)}</td>
                <td className="text-right tabular-nums">{formatCost(r.costMicros)}</td>
                <td className="text-right tabular-nums">{formatShare(tokensOf(r), totalTokens)}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr className="font-medium text-ink">
              <th scope="row" className="py-2 text-left">
                Total
              </th>
              <td className="text-right tabular-nums">{formatInt(usage.totals.requests)}</td>
              <td className="text-right tabular-nums">{formatInt(usage.totals.inputTokens)}</td>
              <td className="text-right tabular-nums">{formatInt(usage.totals.outputTokens)}</td>
              <td className="text-right tabular-nums">{formatCost(usage.totals.costMicros)}</td>
              <td className="text-right tabular-nums">{totalTokens > 0 ? "100.0 %" : "–"}</td>
            </tr>
          </tfoot>
        </table>
      </div>
    </div>
  );
}
