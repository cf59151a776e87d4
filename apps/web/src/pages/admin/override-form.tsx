import {
  QUOTA_SCOPES,
  WINDOW_TYPES,
  dollarsToMicros,
  quotaOverrideInput,
  type QuotaScope,
  type WindowType,
} from "@wavelength/shared";
import { type FormEvent, useId, useState } from "react";
import { toast } from "sonner";
import { fieldErrorsOf } from "../../lib/trpc-error.ts";
import { trpc } from "../../trpc.ts";
import { Field } from "./field.tsx";

interface Draft {
  window: WindowType;
  scope: QuotaScope;
  provider: string;
  model: string;
  requests: string;
  tokens: string;
  costUsd: string;
  expiresAt: string;
}

const EMPTY: Draft = {
  window: "daily",
  scope: "general",
  provider: "",
  model: "",
  requests: "",
  tokens: "",
  costUsd: "",
  expiresAt: "",
};

/** Blank means unlimited (the API's null); anything else must be a whole number. */
function limitOf(text: string): number | null {
  const t = text.trim().replaceAll(",", "");
  if (t === "") return null;
  return /^\d+$/.test(t) ? Number(t) : Number.NaN;
}

function costOf(text: string): number | null {
  const t = text.trim().replace(/^\$/, "").replaceAll(",", "");
  if (t === "") return null;
  const n = Number(t);
  return Number.isFinite(n) && n >= 0 ? dollarsToMicros(n) : Number.NaN;
}

/** Grants a user one limit of their own (replacing the tier's row with the same key), optionally until a time. */
export function OverrideForm({ userId, onDone }: { userId: string; onDone: () => void }) {
  const id = useId();
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const set = trpc.quota.set.useMutation({
    onSuccess: () => {
      toast.success("Override saved");
      setDraft(EMPTY);
      onDone();
    },
    onError: (error) => {
      setErrors(
        Object.fromEntries(Object.entries(fieldErrorsOf(error)).map(([k, v]) => [k.replace(/^override\./, ""), v])),
      );
      toast.error(`Could not save the override: ${error.message}`);
    },
  });
  const field = <K extends keyof Draft>(k: K) => ({
    value: draft[k],
    onChange: (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [k]: e.target.value })),
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const candidate = {
      window: draft.window,
      scope: draft.scope,
      // Blank is "missing", so the schema names what the scope needs rather than a pattern error.
      ...(draft.scope !== "general" && draft.provider.trim() ? { provider: draft.provider.trim() } : {}),
      ...(draft.scope === "model" && draft.model.trim() ? { model: draft.model.trim() } : {}),
      requests: limitOf(draft.requests),
      tokens: limitOf(draft.tokens),
      costMicros: costOf(draft.costUsd),
      ...(draft.expiresAt ? { expiresAt: new Date(draft.expiresAt).toISOString() } : {}),
    };
    // The router's schema, so what the form accepts is exactly what quota.set accepts.
    const parsed = quotaOverrideInput.safeParse(candidate);
    if (!parsed.success) {
      const next: Record<string, string[]> = {};
      for (const issue of parsed.error.issues) {
        const key = String(issue.path[0] ?? "(input)");
        (next[key] ??= []).push(
          key === "costMicros" || key === "requests" || key === "tokens"
            ? "Enter a whole, non-negative amount or leave blank"
            : issue.message,
        );
      }
      setErrors(next);
      return;
    }
    setErrors({});
    set.mutate({ userId, override: parsed.data });
  };

  return (
    <form onSubmit={submit} noValidate aria-labelledby={`${id}-heading`} className="grid gap-3">
      <h3 id={`${id}-heading`} className="font-semibold text-ink">
        Grant an override
      </h3>
      <div className="grid grid-cols-2 gap-3 md:grid-cols-4">
        <Field label="Window">
          {(p) => (
            <select className="field" {...p} {...field("window")}>
              {WINDOW_TYPES.map((w) => (
                <option key={w} value={w}>
                  {w}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Scope">
          {(p) => (
            <select className="field" {...p} {...field("scope")}>
              {QUOTA_SCOPES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          )}
        </Field>
        {draft.scope !== "general" && (
          <Field label="Provider" error={errors.provider}>
            {(p) => <input className="field" placeholder="openai" {...p} {...field("provider")} />}
          </Field>
        )}
        {draft.scope === "model" && (
          <Field label="Model" error={errors.model}>
            {(p) => <input className="field" placeholder="gpt-4o-mini" {...p} {...field("model")} />}
          </Field>
        )}
      </div>
      <div className="grid grid-cols-2 gap-3 md:grid-cols-4">
        <Field label="Requests" error={errors.requests}>
          {(p) => <input className="field" inputMode="numeric" placeholder="unlimited" {...p} {...field("requests")} />}
        </Field>
        <Field label="Tokens" error={errors.tokens}>
          {(p) => <input className="field" inputMode="numeric" placeholder="unlimited" {...p} {...field("tokens")} />}
        </Field>
        <Field label="Cost (USD)" error={errors.costMicros}>
          {(p) => <input className="field" inputMode="decimal" placeholder="unlimited" {...p} {...field("costUsd")} />}
        </Field>
        <Field label="Expires (optional)" error={errors.expiresAt}>
          {(p) => <input className="field" type="datetime-local" {...p} {...field("expiresAt")} />}
        </Field>
      </div>
      <p className="text-xs text-muted">
        Blank amounts are unlimited. The override replaces the tier’s limit with the same window and scope.
      </p>
      <div>
        <button type="submit" className="btn btn-primary" disabled={set.isPending}>
          {set.isPending ? "Saving…" : "Save override"}
        </button>
      </div>
    </form>
  );
}
