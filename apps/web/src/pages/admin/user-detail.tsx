import { WINDOW_TYPES, type WindowType } from "@wavelength/shared";
import { useId, useState } from "react";
import { toast } from "sonner";
import { QuotaBars } from "../../components/analytics/quota-bars.tsx";
import { trpc } from "../../trpc.ts";
import { Field } from "./field.tsx";
import { OverrideForm } from "./override-form.tsx";
import type { AdminUser } from "./types.ts";

/** One user's limits, with the operator's three levers: tier, override, reset. */
export function UserDetail({ user }: { user: AdminUser }) {
  const id = useId();
  const utils = trpc.useUtils();
  const subject = `user:${user.id}`;
  const limits = trpc.quota.limits.useQuery({ subject });
  const refresh = () => {
    void utils.quota.limits.invalidate({ subject });
    void utils.admin.users.invalidate();
  };
  const [tier, setTier] = useState<"free" | "pro">(user.tier === "pro" ? "pro" : "free");
  const [resetWindow, setResetWindow] = useState<WindowType | "all">("daily");
  const setTierMutation = trpc.quota.set.useMutation({
    onSuccess: (r) => {
      toast.success(`${user.email ?? user.id} is now on ${r.tier}`);
      refresh();
    },
    onError: (e) => toast.error(`Could not change the tier: ${e.message}`),
  });
  const reset = trpc.quota.reset.useMutation({
    onSuccess: (r) => {
      toast.success(`Usage reset (${r.resetRows} ${r.resetRows === 1 ? "row" : "rows"})`);
      refresh();
    },
    onError: (e) => toast.error(`Could not reset usage: ${e.message}`),
  });

  return (
    <section
      aria-labelledby={`${id}-heading`}
      data-testid="user-detail"
      className="grid gap-5 rounded-xl border border-accent bg-surface p-4 shadow-sm"
    >
      <h2 id={`${id}-heading`} className="text-base font-semibold text-ink">
        {user.name ? `${user.name} · ` : ""}
        {user.email ?? user.id} <span className="ml-2 text-sm font-normal text-muted">{user.timezone}</span>
      </h2>

      <div>
        <h3 className="mb-2 font-semibold text-ink">Limits</h3>
        {limits.error ? (
          <p role="alert" className="text-sm text-critical">
            {limits.error.message}
          </p>
        ) : !limits.data ? (
          <div aria-hidden="true" className="h-24 animate-pulse rounded-lg bg-surface-3" />
        ) : (
          <QuotaBars quotas={limits.data.statuses} timeZone={user.timezone} />
        )}
      </div>

      <div className="flex flex-wrap gap-6">
        <form
          className="flex flex-wrap items-end gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            setTierMutation.mutate({ userId: user.id, tier });
          }}
        >
          <Field label="Tier">
            {(p) => (
              <select
                className="field"
                {...p}
                value={tier}
                onChange={(e) => setTier(e.target.value === "pro" ? "pro" : "free")}
              >
                <option value="free">free</option>
                <option value="pro">pro</option>
              </select>
            )}
          </Field>
          <button type="submit" className="btn" disabled={setTierMutation.isPending || tier === user.tier}>
            Set tier
          </button>
        </form>
        <form
          className="flex flex-wrap items-end gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            reset.mutate(resetWindow === "all" ? { userId: user.id } : { userId: user.id, window: resetWindow });
          }}
        >
          <Field label="Reset usage in">
            {(p) => (
              <select
                className="field"
                {...p}
                value={resetWindow}
                onChange={(e) => setResetWindow(WINDOW_TYPES.find((w) => w === e.target.value) ?? "all")}
              >
                <option value="daily">today’s window</option>
                <option value="monthly">this month’s window</option>
                <option value="all">both windows</option>
              </select>
            )}
          </Field>
          <button type="submit" className="btn" disabled={reset.isPending}>
            Reset usage
          </button>
        </form>
      </div>

      <OverrideForm userId={user.id} onDone={refresh} />
    </section>
  );
}
