import { TIERS, formatResetTime } from "@wavelength/shared";
import { useUsageTracking } from "../../hooks/use-usage-tracking.ts";
import { useAuthDialog } from "../auth/auth-dialog-context.tsx";

const FREE_DAILY_MESSAGES =
  TIERS.free.limits.find((l) => l.window === "daily" && l.scope === "general")?.requests ?? null;

/** For anonymous visitors from 80 % of their daily messages: what an account adds, one click away. */
export function SignUpCard() {
  const { usageStatus, stats } = useUsageTracking();
  const auth = useAuthDialog();
  if (usageStatus?.tier !== "anonymous" || !stats?.meter || stats.meter.limit === null) return null;
  if (stats.percent < 80) return null;

  const { used, limit, resetsAt } = stats.meter;
  const atLimit = used >= limit;
  const more = FREE_DAILY_MESSAGES ? `${FREE_DAILY_MESSAGES.toLocaleString("en-US")} messages a day` : "more messages";
  return (
    <section
      aria-labelledby="signup-card-title"
      data-testid="signup-card"
      className="border-accent/40 bg-surface-2 flex flex-col gap-2 rounded-lg border p-3 sm:flex-row sm:items-center"
    >
      <div className="flex-1 text-sm">
        <h2 id="signup-card-title" className="font-semibold">
          {atLimit
            ? `You've used all ${limit} free messages for today`
            : `${used} of ${limit} free messages used today`}
        </h2>
        <p className="text-muted">
          {atLimit
            ? `Create a free account to keep going now (${more}), or come back at ${formatResetTime(resetsAt, usageStatus.timeZone)}.`
            : `A free account gives you ${more}. This conversation and today's usage come with you.`}
        </p>
      </div>
      <button type="button" className="btn btn-primary shrink-0" onClick={() => auth.open("signup")}>
        Sign up free
      </button>
    </section>
  );
}
