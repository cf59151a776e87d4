import type { z } from "zod";
import { quotaOverrideInput, quotaScopeSchema, type QuotaOverrideInput } from "@wavelength/shared";
import { UsageError, parseChoice, parseWindow } from "../args.ts";

/** The options that name one limit row, shared by grant-override and clear-override. */
export const LIMIT_KEY_OPTIONS = {
  email: { type: "string" },
  window: { type: "string" },
  scope: { type: "string" },
  provider: { type: "string" },
  model: { type: "string" },
} as const;

export const LIMIT_KEY_HELP = `  --email E      the user's e-mail address
  --window W     daily or monthly
  --scope S      general, provider (needs --provider) or model (needs --provider and --model)
  --provider P   provider id, e.g. openai
  --model M      model id as the provider spells it, e.g. claude-opus-4-1`;

// The schema's field names as the operator typed them.
const OPTION_OF: Record<string, string> = {
  window: "--window",
  scope: "--scope",
  provider: "--provider",
  model: "--model",
  requests: "--requests",
  tokens: "--tokens",
  costMicros: "--cost-usd",
};

/**
 * Validates an override with the shared schema the quota router uses, so the CLI accepts exactly
 * what the API does; the first problem becomes a UsageError naming the option.
 */
export function validateOverride(
  command: string,
  v: { window?: string; scope?: string; provider?: string; model?: string },
  /** The option the expiry came from, for messages about it. */
  expiryOption: string,
  limits: Pick<z.input<typeof quotaOverrideInput>, "requests" | "tokens" | "costMicros" | "expiresAt">,
): QuotaOverrideInput {
  const parsed = quotaOverrideInput.safeParse({
    window: parseWindow(command, v.window),
    scope: parseChoice(command, "scope", v.scope, quotaScopeSchema.options),
    provider: v.provider,
    model: v.model,
    ...limits,
  });
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = String(issue?.path[0] ?? "");
  const option = field === "expiresAt" ? expiryOption : (OPTION_OF[field] ?? "override");
  throw new UsageError(`${option}: ${issue?.message ?? "invalid"}`, command);
}

/** "daily general limit", "daily provider openai limit", "daily model anthropic/claude-opus-4-1 limit". */
export function describeKey(o: Pick<QuotaOverrideInput, "window" | "scope" | "provider" | "model">): string {
  const target = o.scope === "general" ? "" : ` ${[o.provider, o.model].filter(Boolean).join("/")}`;
  return `${o.window} ${o.scope}${target} limit`;
}
