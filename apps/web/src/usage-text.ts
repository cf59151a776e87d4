import {
  type Dimension,
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
