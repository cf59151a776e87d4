import { type QuotaDimensionStatus, describeLimit, formatMicros, formatResetTime, healthFor } from "@wavelength/shared";
import { formatDateTime } from "./format.ts";

const amount = (q: QuotaDimensionStatus, n: number) =>
  q.dimension === "costMicros" ? formatMicros(n) : n.toLocaleString("en-US");

const FILL: Record<ReturnType<typeof healthFor>, string> = {
  ok: "bg-ok",
  warning: "bg-warning",
  critical: "bg-critical",
  exceeded: "bg-critical",
};

const keyOf = (q: QuotaDimensionStatus) => `${q.window}:${q.scope}:${q.provider ?? ""}:${q.model ?? ""}:${q.dimension}`;

/** One bar per limited dimension, most used first; unlimited dimensions are listed briefly. */
export function QuotaBars({ quotas, timeZone }: { quotas: QuotaDimensionStatus[]; timeZone: string }) {
  const limited = quotas.filter((q) => q.limit !== null).sort((a, b) => b.percent - a.percent);
  const unlimited = quotas.filter((q) => q.limit === null);
  if (quotas.length === 0) return <p className="text-sm text-muted">No limits apply to you.</p>;
  return (
    <div className="grid gap-3">
      <ul className="grid gap-3 md:grid-cols-2">
        {limited.map((q) => {
          const name = describeLimit(q);
          const resets = formatResetTime(q.resetsAt, timeZone);
          const text = `${amount(q, q.used)} of ${amount(q, q.limit ?? 0)} used (${q.percent}%) · resets at ${resets}`;
          const health = healthFor(q.percent);
          return (
            <li key={keyOf(q)} data-testid="quota-bar" className="rounded-lg border border-line p-3">
              <div className="flex flex-wrap items-baseline justify-between gap-x-2">
                <span className="text-sm font-medium text-ink">{name}</span>
                <span className="text-sm tabular-nums text-ink">{q.percent}%</span>
              </div>
              <div
                role="meter"
                aria-label={name}
                aria-valuemin={0}
                aria-valuemax={q.limit ?? 0}
                aria-valuenow={Math.min(q.used, q.limit ?? q.used)}
                aria-valuetext={text}
                data-health={health}
                className="mt-2 h-2 overflow-hidden rounded-full bg-surface-3"
              >
                <div className={`h-full ${FILL[health]}`} style={{ width: `${Math.min(100, q.percent)}%` }} />
              </div>
              <p className="mt-1 text-xs text-muted">
                {amount(q, q.used)} of {amount(q, q.limit ?? 0)}
                {q.reserved > 0 ? ` (${amount(q, q.reserved)} reserved)` : ""} · resets at {resets}
                {q.source === "override" && (
                  <>
                    {" "}
                    · <span className="font-medium">override</span>
                    {q.overrideExpiresAt ? ` until ${formatDateTime(q.overrideExpiresAt, timeZone)}` : ""}
                  </>
                )}
              </p>
            </li>
          );
        })}
      </ul>
      {unlimited.length > 0 && (
        <p className="text-xs text-muted">
          Unlimited: {unlimited.map((q) => describeLimit(q).replace(" limit", "")).join(", ")}.
        </p>
      )}
    </div>
  );
}
