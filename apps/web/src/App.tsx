import { type QuotaDimensionStatus, type UsageStatusOutput, describeDenial, describeLimit } from "@wavelength/shared";
import { trpc } from "./trpc.ts";
import { formatAmount, meterQuota, meterSentence, scopeLabel } from "./usage-text.ts";

// A placeholder page until the chat UI lands: it shows what the quota engine reports, live.
export function App() {
  const status = trpc.usage.status.useQuery(undefined, { refetchInterval: 5000 });

  return (
    <main className="page">
      <header>
        <h1>Wavelength</h1>
        <p className="tagline">AI chat with real-time usage quotas.</p>
      </header>
      {status.data ? (
        <UsageOverview status={status.data} />
      ) : status.error ? (
        <p role="alert" className="error">
          Could not load your usage: {status.error.message}
        </p>
      ) : (
        <p aria-busy="true">Loading your usage…</p>
      )}
      <CheckRequest timeZone={status.data?.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone} />
    </main>
  );
}

function UsageOverview({ status }: { status: UsageStatusOutput }) {
  const quota = meterQuota(status);
  return (
    <section aria-labelledby="usage-heading">
      <h2 id="usage-heading">Your usage</h2>
      {quota ? <UsageMeter quota={quota} timeZone={status.timeZone} /> : <p>No limits apply to you.</p>}
      <p className="health">
        Health: <strong data-health={status.health}>{status.health}</strong> · tier {status.tier}
      </p>
      {status.alerts.length > 0 && (
        <ul className="alerts">
          {status.alerts.map((a) => (
            <li key={`${a.window}:${a.scope}:${a.provider}:${a.model}:${a.dimension}`} data-health="warning">
              {describeLimit(a)}: {a.percent}% used
            </li>
          ))}
        </ul>
      )}
      <QuotaTable quotas={status.quotas} />
    </section>
  );
}

function UsageMeter({ quota, timeZone }: { quota: QuotaDimensionStatus; timeZone: string }) {
  const sentence = meterSentence(quota, timeZone);
  if (quota.limit === null) return <p>{sentence}</p>;
  return (
    <div
      role="meter"
      aria-label={describeLimit(quota)}
      aria-valuemin={0}
      aria-valuemax={quota.limit}
      aria-valuenow={quota.used}
      aria-valuetext={sentence}
      className="meter"
    >
      <div className="meter-track">
        <div className="meter-fill" style={{ width: `${Math.min(100, quota.percent)}%` }} />
      </div>
      <p className="meter-text">{sentence}</p>
    </div>
  );
}

function QuotaTable({ quotas }: { quotas: QuotaDimensionStatus[] }) {
  return (
    <table className="quotas">
      <caption>All quotas</caption>
      <thead>
        <tr>
          <th scope="col">Window</th>
          <th scope="col">Scope</th>
          <th scope="col">Dimension</th>
          <th scope="col">Used / limit</th>
          <th scope="col">Percent</th>
        </tr>
      </thead>
      <tbody>
        {quotas.map((q) => (
          <tr key={`${q.window}:${q.scope}:${q.provider}:${q.model}:${q.dimension}`}>
            <td>{q.window}</td>
            <td>{scopeLabel(q)}</td>
            <td>{q.dimension}</td>
            <td>
              {formatAmount(q.dimension, q.used)} /{" "}
              {q.limit === null ? "unlimited" : formatAmount(q.dimension, q.limit)}
            </td>
            <td>{q.limit === null ? "–" : `${q.percent}%`}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function CheckRequest({ timeZone }: { timeZone: string }) {
  const check = trpc.usage.check.useMutation();
  return (
    <section aria-labelledby="check-heading">
      <h2 id="check-heading">Try the quota check</h2>
      <button
        type="button"
        disabled={check.isPending}
        onClick={() => check.mutate({ provider: "local-demo", model: "demo-1", estimatedTokens: 100 })}
      >
        Check a request
      </button>
      <div aria-live="polite" className="check-result">
        {check.error && (
          <p role="alert" className="error">
            The check failed: {check.error.message}
          </p>
        )}
        {check.data &&
          (check.data.canProceed ? (
            <p data-testid="check-outcome">A 100-token request to local-demo/demo-1 can proceed.</p>
          ) : (
            <>
              <p data-testid="check-outcome">A 100-token request to local-demo/demo-1 would be refused:</p>
              <ul>
                {check.data.reasons.map((r) => (
                  <li key={`${r.window}:${r.scope}:${r.provider}:${r.model}:${r.dimension}`}>
                    {describeDenial(r, timeZone)}
                  </li>
                ))}
              </ul>
            </>
          ))}
      </div>
    </section>
  );
}
