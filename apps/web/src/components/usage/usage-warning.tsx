import {
  type QuotaDimensionStatus,
  describeDenial,
  describeLimit,
  formatResetTime,
  limitKey,
} from "@wavelength/shared";
import { useEffect, useState } from "react";
import { useNow } from "../../hooks/use-now.ts";
import { useUsageTracking } from "../../hooks/use-usage-tracking.ts";
import { readStore, writeStore } from "../../lib/local-store.ts";
import { denialOf, formatAmount, formatCountdown } from "../../usage-text.ts";

type Level = 80 | 95 | 100;

// Thresholds already announced or dismissed, per limit and window (keyed by the window's reset,
// which identifies it): a banner is announced once per window, and a dismissed one stays away
// until the window resets.
const KEY = "wl-usage-alerts";
interface Seen {
  announced: string[];
  dismissed: string[];
}

function readSeen(): Seen {
  const seen = readStore<Seen>(KEY, (raw) => {
    const s = raw as Partial<Seen>;
    return Array.isArray(s.announced) && Array.isArray(s.dismissed) ? (s as Seen) : null;
  }) ?? { announced: [], dismissed: [] };
  // Drop windows that have ended, so the list never grows without bound.
  const live = (k: string) => Date.parse(k.slice(k.lastIndexOf("@") + 1)) > Date.now();
  return { announced: seen.announced.filter(live), dismissed: seen.dismissed.filter(live) };
}

function alertId(q: QuotaDimensionStatus, level: Level): string {
  return `${limitKey(q)}:${q.dimension}:${level}@${q.resetsAt.toISOString()}`;
}

function levelOf(percent: number): Level | null {
  if (percent >= 100) return 100;
  if (percent >= 95) return 95;
  if (percent >= 80) return 80;
  return null;
}

/**
 * The banner for the binding limit at 80 % (status), 95 % (critical) and 100 % (alert, with a live
 * countdown to the reset). It always names the limit, since which one binds (messages, tokens,
 * cost, a model's cap) decides what the user can do about it.
 */
export function UsageWarning() {
  const { stats } = useUsageTracking();
  const [seenAtMount] = useState(readSeen);
  const [dismissed, setDismissed] = useState<string[]>(seenAtMount.dismissed);

  const q = stats?.meter ?? null;
  const level = stats ? levelOf(stats.percent) : null;
  const id = q && level ? alertId(q, level) : null;

  useEffect(() => {
    if (!id) return;
    const seen = readSeen();
    if (!seen.announced.includes(id)) writeStore(KEY, { ...seen, announced: [...seen.announced, id] });
  }, [id]);

  if (!q || !level || !id || !stats || q.limit === null) return null;
  if (level < 100 && dismissed.includes(id)) return null;

  // A banner shown again after a reload in the same window is not announced a second time.
  const live = !seenAtMount.announced.includes(id);
  const dismiss = () => {
    const seen = readSeen();
    writeStore(KEY, { ...seen, dismissed: [...seen.dismissed, id] });
    setDismissed((d) => [...d, id]);
  };

  if (level === 100) return <ExceededBanner q={q} timeZone={stats.timeZone} live={live} />;

  const name = describeLimit(q);
  const left = formatAmount(q.dimension, Math.max(0, q.limit - q.used));
  const critical = level === 95;
  return (
    <div
      role={live ? "status" : undefined}
      aria-label={live ? undefined : "Usage warning"}
      data-level={level}
      data-testid="usage-warning"
      className={`flex items-start gap-3 rounded-lg border px-3 py-2 text-sm ${
        critical ? "border-critical bg-critical-bg" : "border-warning bg-warning-bg"
      }`}
    >
      <p className="flex-1">
        <strong className={critical ? "text-critical" : "text-warning"}>
          {critical ? "Almost out: " : "Heads up: "}
        </strong>
        {stats.percent}% of your {name.charAt(0).toLowerCase() + name.slice(1)} is used — {left} left. It resets at{" "}
        {formatResetTime(q.resetsAt, stats.timeZone)}.
      </p>
      <button type="button" className="btn btn-ghost px-2 py-0.5 text-xs" onClick={dismiss}>
        Dismiss
      </button>
    </div>
  );
}

function ExceededBanner({ q, timeZone, live }: { q: QuotaDimensionStatus; timeZone: string; live: boolean }) {
  const now = useNow(1000);
  const denial = denialOf(q);
  if (!denial) return null;
  return (
    <div
      role={live ? "alert" : undefined}
      aria-label={live ? undefined : "Limit reached"}
      data-level={100}
      data-testid="usage-warning"
      className="border-critical bg-critical-bg flex flex-wrap items-baseline gap-x-2 rounded-lg border px-3 py-2 text-sm"
    >
      <p>
        <strong className="text-critical">Limit reached: </strong>
        {describeDenial(denial, timeZone, now)}
      </p>
      {/* The countdown ticks every second; only the sentence above is announced. */}
      <p className="text-muted tabular-nums" aria-live="off" data-testid="reset-countdown">
        Resets in {formatCountdown(q.resetsAt.getTime() - now.getTime())}
      </p>
    </div>
  );
}
