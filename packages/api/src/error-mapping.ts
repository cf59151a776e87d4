import { TRPCError } from "@trpc/server";
import { isAppError, type AppError } from "@wavelength/shared";
import { DATABASE_RETRY_AFTER_SECONDS } from "./database-down.ts";

/** The one place an AppError becomes a tRPC error (code from the shared table; the AppError rides as cause). */
export function toTRPCError(error: AppError): TRPCError {
  return new TRPCError({ code: error.trpcCode, message: error.message, cause: error });
}

/** The AppError behind a tRPC error, if any. */
export function appErrorOf(error: TRPCError): AppError | null {
  return isAppError(error.cause) ? error.cause : null;
}

/**
 * The Retry-After (seconds) for a response carrying these errors, or null: what an error's
 * details say (a sign-in throttle), else a short wait for any 503 (the database is away).
 */
export function retryAfterSeconds(errors: readonly TRPCError[]): number | null {
  let longest: number | null = null;
  for (const error of errors) {
    const stated = appErrorOf(error)?.details?.retryAfterSeconds;
    const seconds =
      typeof stated === "number"
        ? Math.max(1, Math.ceil(stated))
        : error.code === "SERVICE_UNAVAILABLE"
          ? DATABASE_RETRY_AFTER_SECONDS
          : null;
    if (seconds !== null) longest = Math.max(longest ?? 0, seconds);
  }
  return longest;
}
