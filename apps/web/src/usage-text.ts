import {
  type Dimension,
  type QuotaDenial,
  type QuotaDimensionStatus,
  type UsageStatusOutput,
  type WindowType,
  formatMicros,
  formatResetTime,
} from "@wavelength/shared";

const NOUN: Record<Dimension, string> = { requests: "messages", tokens: "tokens", costMicros: "" };
const PERIOD: Record<WindowType, string> = { daily: "today", monthly: "this month" };

export function formatAmount(dimension: Dimension, amount: number): string {
  return dimension === "costMicros" ? formatMicros(amount) : amount.toLocaleString("en-US");
}

/** The quota the meter shows: the one with the least headroom, else the daily request quota. */
export function meterQuota(status: UsageStatusOutput): QuotaDimensionStatus | null {
  return (
    status.binding ??
    status.quotas.find((q) => q.window === "daily" && q.scope === "general" && q.dimension === "requests") ??
    null
  );
}

function scopeSuffix(q: QuotaDimensionStatus): string {
  switch (q.scope) {
    case "general":
      return "";
    case "provider":
      return ` for ${q.provider ?? "?"}`;
    case "model":
      return ` for ${q.provider ?? "?"}/${q.model ?? "?"}`;
  }
}

/** "37 of 50 messages left today · resets at 00:00 Europe/Berlin", used as text and aria-valuetext. */
export function meterSentence(q: QuotaDimensionStatus, timeZone: string, now: Date = new Date()): string {
  const noun = NOUN[q.dimension];
  const unit = noun === "" ? "" : ` ${noun}`;
  const amount =
    q.limit === null
      ? `Unlimited${unit}`
      : `${formatAmount(q.dimension, q.remaining ?? 0)} of ${formatAmount(q.dimension, q.limit)}${unit} left`;
  return `${amount}${scopeSuffix(q)} ${PERIOD[q.window]} · resets at ${formatResetTime(q.resetsAt, timeZone, now)}`;
}

export function scopeLabel(q: Pick<QuotaDimensionStatus, "scope" | "provider" | "model">): string {
  switch (q.scope) {
    case "general":
      return "all models";
    case "provider":
      return q.provider ?? "?";
    case "model":
      return `${q.provider ?? "?"}/${q.model ?? "?"}`;
  }
}

/** "4 h 12 min", "12 min 05 s", "45 s": time left until a reset, for the live countdown. */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, "0")} min`;
  if (m > 0) return `${m} min ${String(s).padStart(2, "0")} s`;
  return `${s} s`;
}

/** A status row as the denial it would produce, for naming a full limit before the server refuses. */
export function denialOf(q: QuotaDimensionStatus): QuotaDenial | null {
  if (q.limit === null) return null;
  return {
    scope: q.scope,
    provider: q.provider,
    model: q.model,
    window: q.window,
    dimension: q.dimension,
    used: q.used,
    limit: q.limit,
    remaining: Math.max(0, q.limit - q.used),
    resetsAt: q.resetsAt,
  };
}
