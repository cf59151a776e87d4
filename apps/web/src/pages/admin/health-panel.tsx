import { formatDistanceToNowStrict } from "./relative-time.ts";
import { trpc } from "../../trpc.ts";
import type { SystemHealth } from "./types.ts";

const STATUS_CLASS: Record<SystemHealth["status"], string> = {
  ok: "bg-ok text-surface",
  degraded: "bg-warning text-surface",
  down: "bg-critical text-surface",
};

function Stat({
  label,
  value,
  warn = false,
  testId,
}: {
  label: string;
  value: string;
  warn?: boolean;
  testId?: string;
}) {
  return (
    <div className={`rounded-lg border p-3 ${warn ? "border-warning bg-warning-bg" : "border-line"}`}>
      <dt className="text-xs text-muted">{label}</dt>
      <dd
        data-testid={testId}
        className={`mt-0.5 text-lg font-semibold tabular-nums ${warn ? "text-warning" : "text-ink"}`}
      >
        {value}
      </dd>
    </div>
  );
}

const ago = (d: Date | null) => (d ? `${formatDistanceToNowStrict(d)} ago` : "not yet");

/** The quota system as operators watch it: outbox backlog, dead letters, stale reservations, sweeps. */
export function HealthPanel() {
  const health = trpc.admin.health.useQuery(undefined, { refetchInterval: 10_000 });
  return (
    <section aria-labelledby="health-heading" className="rounded-xl border border-line bg-surface p-4 shadow-sm">
      <div className="mb-3 flex flex-wrap items-center justify-between gap-2">
        <h2 id="health-heading" className="text-base font-semibold text-ink">
          System quota health
        </h2>
        {health.data && (
          <span
            data-testid="health-status"
            className={`rounded-full px-2 py-0.5 text-xs font-semibold uppercase ${STATUS_CLASS[health.data.status]}`}
          >
            {health.data.status}
          </span>
        )}
      </div>
      {health.error ? (
        <p role="alert" className="text-sm text-critical">
          Could not read system health: {health.error.message}
        </p>
      ) : !health.data ? (
        <div aria-hidden="true" className="h-32 animate-pulse rounded-lg bg-surface-3" />
      ) : (
        <HealthStats h={health.data} />
      )}
    </section>
  );
}

function HealthStats({ h }: { h: SystemHealth }) {
  const engine = Object.entries(h.engine);
  return (
    <>
      <dl className="grid grid-cols-2 gap-3 md:grid-cols-4">
        <Stat label="Database" value={h.database} warn={h.database !== "up"} />
        <Stat label="Fail mode" value={h.failMode} />
        <Stat label="Reservations in flight" value={String(h.reservations.inFlight)} />
        <Stat
          label="Overdue reservations"
          value={String(h.reservations.overdue)}
          warn={h.reservations.overdue > 0}
          testId="health-overdue"
        />
        <Stat
          label="Outbox pending"
          value={String(h.outbox.pending)}
          warn={h.outbox.pending > 0}
          testId="health-pending"
        />
        <Stat label="Dead letters" value={String(h.outbox.dead)} warn={h.outbox.dead > 0} testId="health-dead" />
        <Stat
          label="Buffered in memory / dropped"
          value={`${h.outbox.bufferedInMemory} / ${h.outbox.dropped}`}
          warn={h.outbox.dropped > 0}
        />
        <Stat label="Subjects at a limit" value={String(h.subjectsAtLimit)} />
      </dl>
      <ul className="mt-3 grid gap-1 text-sm text-muted">
        <li>
          Oldest pending outbox job: <span className="text-ink">{ago(h.outbox.oldestPendingAt)}</span>
        </li>
        <li>
          Last reset sweep:{" "}
          <span className="text-ink" data-testid="health-reset-sweep">
            {ago(h.lastResetSweepAt)}
          </span>
        </li>
        <li>
          Last reservation-expiry sweep: <span className="text-ink">{ago(h.lastExpirySweepAt)}</span>
        </li>
        <li>Checked {ago(h.checkedAt)}</li>
      </ul>
      {engine.length > 0 && (
        <details className="mt-3 text-sm">
          <summary className="text-muted">Engine counters since start</summary>
          <dl className="mt-2 grid grid-cols-2 gap-x-4 gap-y-1 md:grid-cols-3">
            {engine.map(([k, v]) => (
              <div key={k} className="flex justify-between gap-2">
                <dt className="text-muted">{k}</dt>
                <dd className="tabular-nums text-ink">{v.toLocaleString("en-US")}</dd>
              </div>
            ))}
          </dl>
        </details>
      )}
    </>
  );
}
