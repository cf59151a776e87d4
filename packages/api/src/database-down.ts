import { AppError, isAppError } from "@wavelength/shared";
import { databaseAnswers, isDatabaseUnavailable, type Db } from "@wavelength/db";

export const DATABASE_DOWN = "The service is briefly unavailable. Please try again in a moment.";

/** What a client is told to wait before retrying while the database is away (Retry-After, seconds). */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * The 503 for an error caused by the database's absence, or null for a real
 * bug. A shape `isDatabaseUnavailable` knows decides at once; for any other
 * error the database is asked directly, so that the odd message of a
 * connection dying mid-shutdown is a 503 to retry and not a 500. A database
 * that answers means the error is ours: null (the caller logs a 500).
 */
export async function outageError(db: Db, error: unknown): Promise<AppError | null> {
  if (isAppError(error)) return null;
  if (!isDatabaseUnavailable(error) && (await databaseAnswers(db))) return null;
  return new AppError(
    "QUOTA_STORE_UNAVAILABLE",
    DATABASE_DOWN,
    { retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS },
    {
      cause: error,
    },
  );
}
