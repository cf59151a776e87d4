import { formatCost, formatInt } from "./format.ts";
import type { ProfileUsage } from "./types.ts";

/** The headline numbers of the range; data-value keeps the exact amount (cost in micro-dollars) for checks. */
export function Totals({ totals }: { totals: ProfileUsage["totals"] }) {
  const items = [
    { id: "requests", label: "Requests", value: formatInt(totals.requests), raw: totals.requests },
    { id: "input-tokens", label: "Input tokens", value: formatInt(totals.inputTokens), raw: totals.inputTokens },
    { id: "output-tokens", label: "Output tokens", value: formatInt(totals.outputTokens), raw: totals.outputTokens },
    { id: "cost", label: "Cost", value: formatCost(totals.costMicros), raw: totals.costMicros },
  ];
  return (
    <dl className="grid grid-cols-2 gap-4 md:grid-cols-4">
      {items.map((i) => (
        <div key={i.id} className="rounded-xl border border-line bg-surface p-4 shadow-sm">
          <dt className="text-sm text-muted">{i.label}</dt>
          <dd
            data-testid={`total-${i.id}`}
            data-value={i.raw}
            className="mt-1 text-2xl font-semibold tabular-nums text-ink"
          >
            {i.value}
          </dd>
        </div>
      ))}
    </dl>
  );
}
