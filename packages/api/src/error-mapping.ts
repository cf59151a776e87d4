import { TRPCError } from "@trpc/server";
import { isAppError, type AppError } from "@wavelength/shared";

/** The one place an AppError becomes a tRPC error (code from the shared table; the AppError rides as cause). */
export function toTRPCError(error: AppError): TRPCError {
  return new TRPCError({ code: error.trpcCode, message: error.message, cause: error });
}

/** The AppError behind a tRPC error, if any. */
export function appErrorOf(error: TRPCError): AppError | null {
  return isAppError(error.cause) ? error.cause : null;
}
