import type { QuotaDenial } from "@wavelength/shared";

interface ErrorData {
  code?: string;
  appError?: { code?: string } | null;
  httpStatus?: number;
  quota?: QuotaDenial[] | null;
  fieldErrors?: Record<string, string[]> | null;
}

function dataOf(error: unknown): ErrorData | null {
  if (typeof error !== "object" || error === null || !("data" in error)) return null;
  const { data } = error;
  return typeof data === "object" && data !== null ? data : null;
}

/** Every binding limit of a 429 from chat.send or usage.reserve, or null for any other error. */
export function quotaDenialsOf(error: unknown): QuotaDenial[] | null {
  const quota = dataOf(error)?.quota;
  return Array.isArray(quota) && quota.length > 0 ? quota : null;
}

/** Per-field validation messages ("email" → ["Invalid email address"]). */
export function fieldErrorsOf(error: unknown): Record<string, string[]> {
  return dataOf(error)?.fieldErrors ?? {};
}

/** The server's AppError code (SIGN_UP_THROTTLED, CHALLENGE_REQUIRED, …), or null. */
export function appErrorCodeOf(error: unknown): string | null {
  return dataOf(error)?.appError?.code ?? null;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : "Something went wrong.";
}
