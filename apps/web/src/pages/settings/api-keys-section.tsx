import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@wavelength/api";
import { apiKeyCreateInput, dollarsToMicros, formatMicros, type ApiKeyLimits } from "@wavelength/shared";
import { type FormEvent, useId, useState } from "react";
import { toast } from "sonner";
import { formatDateTime } from "../../components/analytics/format.ts";
import { fieldErrorsOf } from "../../lib/trpc-error.ts";
import { trpc } from "../../trpc.ts";
import { Field } from "../admin/field.tsx";

type ApiKey = inferRouterOutputs<AppRouter>["apiKeys"]["list"][number];

const LIMIT_FIELDS = [
  ["daily", "requests", "Requests a day"],
  ["daily", "tokens", "Tokens a day"],
  ["daily", "costMicros", "Cost a day (USD)"],
  ["monthly", "requests", "Requests a month"],
  ["monthly", "tokens", "Tokens a month"],
  ["monthly", "costMicros", "Cost a month (USD)"],
] as const;

type LimitField = `${(typeof LIMIT_FIELDS)[number][0]}.${(typeof LIMIT_FIELDS)[number][1]}`;

interface Draft {
  name: string;
  expires: string;
  limits: Partial<Record<LimitField, string>>;
  models: string[];
}

const EMPTY: Draft = { name: "", expires: "", limits: {}, models: [] };

/** Blank: no limit of the key's own; a cost in dollars becomes micro-dollars. */
function amountOf(text: string | undefined, cost: boolean): number | undefined {
  const t = (text ?? "").trim().replace(/^\$/, "").replaceAll(",", "");
  if (t === "") return undefined;
  const n = Number(t);
  if (!Number.isFinite(n)) return Number.NaN;
  return cost ? dollarsToMicros(n) : n;
}

function limitsOf(draft: Draft): ApiKeyLimits | undefined {
  const out: Record<string, Record<string, number>> = {};
  for (const [window, dimension] of LIMIT_FIELDS) {
    const v = amountOf(draft.limits[`${window}.${dimension}`], dimension === "costMicros");
    if (v !== undefined) (out[window] ??= {})[dimension] = v;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function describeLimits(limits: ApiKeyLimits): string {
  const parts: string[] = [];
  for (const window of ["daily", "monthly"] as const) {
    const w = limits[window];
    if (!w) continue;
    const per = window === "daily" ? "day" : "month";
    if (w.requests !== undefined) parts.push(`${w.requests.toLocaleString("en-US")} requests/${per}`);
    if (w.tokens !== undefined) parts.push(`${w.tokens.toLocaleString("en-US")} tokens/${per}`);
    if (w.costMicros !== undefined) parts.push(`${formatMicros(w.costMicros)}/${per}`);
  }
  return parts.length > 0 ? parts.join(", ") : "Your account's limits";
}

/**
 * /settings: personal API keys for the OpenAI-compatible endpoint. A new key's secret is shown once;
 * each key may carry lower limits and a list of models, checked with the account's own limits.
 */
export function ApiKeysSection({ timeZone }: { timeZone: string }) {
  const keys = trpc.apiKeys.list.useQuery();
  const [created, setCreated] = useState<{ name: string; secret: string } | null>(null);
  const baseUrl = `${window.location.origin}/v1`;

  return (
    <section
      aria-labelledby="api-keys-heading"
      data-testid="api-keys"
      className="grid gap-4 rounded-xl border border-line bg-surface p-4 shadow-sm"
    >
      <div>
        <h2 id="api-keys-heading" className="text-base font-semibold text-ink">
          API keys
        </h2>
        <p className="mt-1 text-sm text-muted">
          Call Wavelength from your own code with any OpenAI-compatible client: base URL{" "}
          <code className="rounded bg-surface-3 px-1 font-mono text-xs text-ink">{baseUrl}</code>, the key as the
          bearer. Requests count against your limits and the key’s own.
        </p>
      </div>
      {created && <NewSecret {...created} onDone={() => setCreated(null)} />}
      <CreateKeyForm onCreated={setCreated} />
      {keys.error ? (
        <p role="alert" className="text-sm text-critical">
          Could not list your keys: {keys.error.message}
        </p>
      ) : !keys.data ? (
        <div aria-hidden="true" className="h-16 animate-pulse rounded-lg bg-surface-3" />
      ) : keys.data.length === 0 ? (
        <p className="text-sm text-muted">You have no API keys yet.</p>
      ) : (
        <KeysTable keys={keys.data} timeZone={timeZone} />
      )}
    </section>
  );
}

function NewSecret({ name, secret, onDone }: { name: string; secret: string; onDone: () => void }) {
  const id = useId();
  const copy = () =>
    navigator.clipboard.writeText(secret).then(
      () => toast.success("Key copied"),
      () => toast.error("Could not copy: select the key and copy it yourself"),
    );
  return (
    <div role="status" className="grid gap-2 rounded-lg border border-accent bg-surface-2 p-3">
      <label htmlFor={id} className="text-sm font-medium text-ink">
        Your new key “{name}”. Copy it now: it will not be shown again.
      </label>
      <div className="flex gap-2">
        <input
          id={id}
          data-testid="new-api-key"
          className="field font-mono"
          readOnly
          value={secret}
          onFocus={(e) => e.currentTarget.select()}
        />
        <button type="button" className="btn" onClick={() => void copy()}>
          Copy
        </button>
        <button type="button" className="btn btn-ghost" onClick={onDone}>
          Done
        </button>
      </div>
    </div>
  );
}

function CreateKeyForm({ onCreated }: { onCreated: (c: { name: string; secret: string }) => void }) {
  const utils = trpc.useUtils();
  const models = trpc.chat.models.useQuery(undefined, { staleTime: 60_000 });
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const create = trpc.apiKeys.create.useMutation({
    onSuccess: (r) => {
      onCreated({ name: r.key.name, secret: r.secret });
      setDraft(EMPTY);
      void utils.apiKeys.list.invalidate();
    },
    onError: (error) => {
      setErrors(fieldErrorsOf(error));
      toast.error(`Could not create the key: ${error.message}`);
    },
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    // The key stops working at the end of the chosen local day.
    const expires = draft.expires ? new Date(`${draft.expires}T23:59:59.999`) : undefined;
    const candidate = {
      name: draft.name,
      ...(expires ? { expiresAt: expires } : {}),
      ...(limitsOf(draft) ? { limits: limitsOf(draft) } : {}),
      ...(draft.models.length > 0 ? { models: draft.models } : {}),
    };
    // The router's own schema: the form refuses exactly what the server would.
    const parsed = apiKeyCreateInput.safeParse(candidate);
    if (!parsed.success) {
      const next: Record<string, string[]> = {};
      for (const issue of parsed.error.issues) {
        const key = issue.path.join(".") || "(input)";
        (next[key] ??= []).push(
          key.startsWith("limits.")
            ? "Enter a whole amount above zero (dollars for cost), or leave blank"
            : issue.message,
        );
      }
      setErrors(next);
      return;
    }
    setErrors({});
    create.mutate(parsed.data);
  };

  const setLimit = (k: LimitField, v: string) => setDraft((d) => ({ ...d, limits: { ...d.limits, [k]: v } }));
  const usable = (models.data ?? []).filter((m) => m.allowed);

  return (
    <form onSubmit={submit} noValidate aria-label="Create an API key" className="grid gap-3">
      <div className="grid gap-3 sm:grid-cols-[1fr_auto]">
        <Field label="Name" error={errors.name}>
          {(p) => (
            <input
              className="field"
              placeholder="e.g. laptop script"
              maxLength={60}
              {...p}
              value={draft.name}
              onChange={(e) => setDraft((d) => ({ ...d, name: e.target.value }))}
            />
          )}
        </Field>
        <Field label="Expires (optional)" error={errors.expiresAt}>
          {(p) => (
            <input
              className="field"
              type="date"
              {...p}
              value={draft.expires}
              onChange={(e) => setDraft((d) => ({ ...d, expires: e.target.value }))}
            />
          )}
        </Field>
      </div>
      <details className="rounded-lg border border-line p-3">
        <summary className="text-sm font-medium text-ink">Limits for this key (optional)</summary>
        <p className="mt-1 text-xs text-muted">
          Lower caps for this key alone, per local day and month. Your account’s limits always apply too.
        </p>
        <div className="mt-2 grid grid-cols-2 gap-3 md:grid-cols-3">
          {LIMIT_FIELDS.map(([window, dimension, label]) => {
            const k: LimitField = `${window}.${dimension}`;
            return (
              <Field key={k} label={label} error={errors[`limits.${k}`]}>
                {(p) => (
                  <input
                    className="field"
                    inputMode={dimension === "costMicros" ? "decimal" : "numeric"}
                    placeholder="no limit"
                    {...p}
                    value={draft.limits[k] ?? ""}
                    onChange={(e) => setLimit(k, e.target.value)}
                  />
                )}
              </Field>
            );
          })}
        </div>
      </details>
      {usable.length > 1 && (
        <details className="rounded-lg border border-line p-3">
          <summary className="text-sm font-medium text-ink">Only these models (optional)</summary>
          <fieldset className="mt-2 grid gap-1">
            <legend className="sr-only">Models this key may use</legend>
            {usable.map((m) => {
              const ref = `${m.provider}/${m.model}`;
              return (
                <label key={ref} className="flex items-center gap-2 text-sm">
                  <input
                    type="checkbox"
                    checked={draft.models.includes(ref)}
                    onChange={(e) =>
                      setDraft((d) => ({
                        ...d,
                        models: e.target.checked ? [...d.models, ref] : d.models.filter((x) => x !== ref),
                      }))
                    }
                  />
                  <span className="font-mono text-xs">{ref}</span>
                </label>
              );
            })}
          </fieldset>
          {errors.models && <p className="text-xs text-critical">{errors.models.join(" ")}</p>}
        </details>
      )}
      <div>
        <button type="submit" className="btn btn-primary" disabled={create.isPending}>
          {create.isPending ? "Creating…" : "Create key"}
        </button>
      </div>
    </form>
  );
}

function KeysTable({ keys, timeZone }: { keys: ApiKey[]; timeZone: string }) {
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-sm" aria-label="Your API keys">
        <thead>
          <tr className="border-b border-line text-left text-ink">
            <th scope="col" className="py-2 pr-2 font-medium">
              Name
            </th>
            <th scope="col" className="pr-2 font-medium">
              Key
            </th>
            <th scope="col" className="pr-2 font-medium">
              Last used
            </th>
            <th scope="col" className="pr-2 font-medium">
              Limits
            </th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <KeyRow key={k.id} k={k} timeZone={timeZone} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function KeyRow({ k, timeZone }: { k: ApiKey; timeZone: string }) {
  const utils = trpc.useUtils();
  const [confirming, setConfirming] = useState(false);
  const revoke = trpc.apiKeys.revoke.useMutation({
    onSuccess: () => {
      toast.success(`Key “${k.name}” revoked`);
      void utils.apiKeys.list.invalidate();
    },
    onError: (e) => toast.error(`Could not revoke the key: ${e.message}`),
  });
  const today = k.quota.find((q) => q.window === "daily" && q.dimension === "requests");
  return (
    <tr className="border-b border-line/60 align-top" data-testid="api-key-row">
      <th scope="row" className="py-2 pr-2 text-left font-medium text-ink">
        {k.name}
        <div className="text-xs font-normal">
          {k.status === "active" ? (
            <span className="text-ok">
              Active{k.expiresAt ? ` until ${formatDateTime(k.expiresAt, timeZone)}` : ""}
            </span>
          ) : (
            <span className="text-muted">
              {k.status === "revoked" ? "Revoked" : "Expired"}
              {k.revokedAt ? ` ${formatDateTime(k.revokedAt, timeZone)}` : ""}
            </span>
          )}
        </div>
        {k.models.length > 0 && <div className="text-xs font-normal text-muted">{k.models.join(", ")}</div>}
      </th>
      <td className="py-2 pr-2 font-mono text-xs whitespace-nowrap">{k.prefix}…</td>
      <td className="py-2 pr-2 text-xs">{k.lastUsedAt ? formatDateTime(k.lastUsedAt, timeZone) : "Never"}</td>
      <td className="py-2 pr-2 text-xs">
        {describeLimits(k.limits)}
        {today?.limit != null && (
          <div className="text-muted">
            {today.used.toLocaleString("en-US")} of {today.limit.toLocaleString("en-US")} requests used today
          </div>
        )}
      </td>
      <td className="py-2 text-right">
        {k.status === "active" &&
          (confirming ? (
            <span className="inline-flex flex-col gap-1">
              <button
                type="button"
                className="btn border-critical text-critical"
                disabled={revoke.isPending}
                onClick={() => revoke.mutate({ id: k.id })}
              >
                Confirm revoke
              </button>
              <button type="button" className="btn btn-ghost" onClick={() => setConfirming(false)}>
                Cancel
              </button>
            </span>
          ) : (
            <button type="button" className="btn" aria-label={`Revoke ${k.name}`} onClick={() => setConfirming(true)}>
              Revoke
            </button>
          ))}
      </td>
    </tr>
  );
}
