import { type Health, type QuotaDimensionStatus, describeLimit, healthFor, percentUsed } from "@wavelength/shared";
import { useId, useState } from "react";
import { readUsageMirror, useUsageTracking } from "../../hooks/use-usage-tracking.ts";
import { formatAmount, meterSentence, scopeLabel } from "../../usage-text.ts";

const FILL: Record<Health, string> = {
  ok: "bg-ok",
  warning: "bg-warning",
  critical: "bg-critical",
  exceeded: "bg-critical",
};

/**
 * Always visible by the composer: what is left of the binding limit and when it resets
 * ("12 of 50 messages left today · resets at 00:00 Europe/Berlin"), with every quota one click away.
 */
export function UsageMeter() {
  const { usageStatus, stats, error } = useUsageTracking();
  const [open, setOpen] = useState(false);
  const detailsId = useId();

  if (!usageStatus || !stats) {
    // Before the first answer: the mirrored count (display only), else a placeholder line.
    const mirror = error ? null : readUsageMirror();
    if (mirror) {
      const left = Math.max(0, mirror.limit - mirror.used);
      return (
        <p className="text-muted text-xs" aria-busy="true">
          {left} of {mirror.limit} messages left today
        </p>
      );
    }
    return (
      <p className="text-muted text-xs" aria-busy={!error}>
        {error ? "Usage unavailable right now." : "Loading your usage…"}
      </p>
    );
  }

  const q = stats.meter;
  if (!q || q.limit === null) return <p className="text-muted text-xs">No limits apply to you.</p>;
  const sentence = meterSentence(q, usageStatus.timeZone);

  return (
    <div className="flex flex-col gap-1">
      <div className="flex items-center gap-3">
        <div
          role="meter"
          aria-label={describeLimit(q)}
          aria-valuemin={0}
          aria-valuemax={q.limit}
          aria-valuenow={Math.min(q.used, q.limit)}
          aria-valuetext={sentence}
          data-health={stats.health}
          className="flex min-w-0 flex-1 items-center gap-3"
        >
          <div className="bg-surface-3 h-1.5 w-16 shrink-0 overflow-hidden rounded-full sm:w-24" aria-hidden="true">
            <div
              className={`h-full rounded-full transition-[width] ${FILL[stats.health]}`}
              style={{ width: `${Math.min(100, stats.percent)}%` }}
            />
          </div>
          <p className="text-muted min-w-0 text-xs" data-testid="meter-text">
            {sentence}
          </p>
        </div>
        <button
          type="button"
          className="text-muted hover:text-ink shrink-0 text-xs underline underline-offset-2"
          aria-expanded={open}
          aria-controls={detailsId}
          onClick={() => setOpen((v) => !v)}
        >
          {open ? "Hide limits" : "All limits"}
        </button>
      </div>
      {open && <QuotaList id={detailsId} quotas={usageStatus.quotas} />}
    </div>
  );
}

function QuotaList({ id, quotas }: { id: string; quotas: QuotaDimensionStatus[] }) {
  const limited = quotas.filter((q) => q.limit !== null);
  return (
    <table id={id} className="border-line w-full border-t text-xs">
      <caption className="sr-only">All limits</caption>
      <thead className="text-muted">
        <tr>
          <th scope="col" className="py-1 text-left font-medium">
            Limit
          </th>
          <th scope="col" className="py-1 text-left font-medium">
            Applies to
          </th>
          <th scope="col" className="py-1 text-right font-medium">
            Used / limit
          </th>
        </tr>
      </thead>
      <tbody>
        {limited.map((q) => {
          const pct = percentUsed(q.used, q.limit);
          return (
            <tr key={`${q.window}:${q.scope}:${q.provider}:${q.model}:${q.dimension}`} data-health={healthFor(pct)}>
              <td className="py-0.5">{describeLimit(q)}</td>
              <td className="py-0.5">{scopeLabel(q)}</td>
              <td className="py-0.5 text-right tabular-nums">
                {formatAmount(q.dimension, q.used)} / {formatAmount(q.dimension, q.limit ?? 0)} ({pct}%)
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
