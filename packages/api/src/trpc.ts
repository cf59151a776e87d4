import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { ZodError } from "zod";
import { AppError, isAppError } from "@wavelength/shared";
import { COUNTED_PROCEDURES, ensureAnonymousSession } from "./accounts/anonymous-sessions.ts";
import type { Context } from "./context.ts";
import { outageError } from "./database-down.ts";
import { appErrorOf, toTRPCError } from "./error-mapping.ts";

export { DATABASE_DOWN } from "./database-down.ts";

export const INPUT_UNREADABLE = 'The input could not be read: send it as JSON in the form {"json": <input>}.';

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  // Stacks never leave the server, in any environment.
  isDev: false,
  errorFormatter({ shape, error, ctx }) {
    const app = appErrorOf(error);
    const zod = error.cause instanceof ZodError ? error.cause : null;
    const internal = error.code === "INTERNAL_SERVER_ERROR";
    // A BAD_REQUEST whose message is its cause's (tRPC wraps what JSON.parse or superjson threw
    // while reading the input) speaks of our internals, not of what the caller sent wrong.
    const unreadable =
      error.code === "BAD_REQUEST" &&
      !app &&
      !zod &&
      error.cause instanceof Error &&
      error.message === error.cause.message;
    return {
      ...shape,
      message: internal
        ? `Internal server error (request ${ctx?.requestId ?? "unknown"})`
        : zod
          ? Object.entries(fieldErrors(zod))
              .map(([field, messages]) => `${field}: ${messages.join("; ")}`)
              .join("\n")
          : unreadable
            ? INPUT_UNREADABLE
            : shape.message,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path,
        requestId: ctx?.requestId ?? null,
        appError: app
          ? { code: app.code, message: app.message }
          : zod
            ? { code: "VALIDATION_FAILED", message: "Invalid input" }
            : null,
        quota: app?.details?.quota ?? null,
        retryAfterSeconds: typeof app?.details?.retryAfterSeconds === "number" ? app.details.retryAfterSeconds : null,
        fieldErrors: zod ? fieldErrors(zod) : app ? appFieldErrors(app) : null,
      },
    };
  },
});

/** "records.0.inputTokens: Too small…" per failing field, for clients and humans alike. */
function fieldErrors(error: ZodError): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const issue of error.issues) {
    const key = issue.path.length > 0 ? issue.path.join(".") : "(input)";
    (out[key] ??= []).push(issue.message);
  }
  return out;
}

/**
 * Turns AppErrors thrown anywhere below into the tRPC code of the shared
 * table, and logs real server bugs with the request id (never the input).
 */
const errorBoundary = t.middleware(async ({ ctx, next, path }) => {
  const result = await next();
  if (result.ok) return result;
  const cause: unknown = result.error.cause;
  if (isAppError(cause) && !(result.error.code === cause.trpcCode)) {
    return { ...result, error: toTRPCError(cause) };
  }
  if (result.error.code === "INTERNAL_SERVER_ERROR" && !isAppError(cause)) {
    const outage = await outageError(ctx.services.db, cause ?? result.error);
    if (outage) {
      ctx.services.logger.warn({ requestId: ctx.requestId, path, err: describe(cause) }, "database unavailable");
      return { ...result, error: toTRPCError(outage) };
    }
    ctx.services.logger.error(
      { requestId: ctx.requestId, path, err: describe(cause ?? result.error) },
      "procedure failed",
    );
  }
  return result;
});

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
/** An anonymous visitor's row is created just before its first action that counts, never by a read. */
const visitorRow = t.middleware(async ({ ctx, path, next }) => {
  if (ctx.identity.kind === "anonymous" && COUNTED_PROCEDURES.has(path)) {
    await ensureAnonymousSession(ctx.services, ctx.identity);
  }
  return next();
});

export const publicProcedure = t.procedure.use(errorBoundary).use(visitorRow);

/** Signed-in users only; narrows the identity so procedures need no checks. */
export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (ctx.identity.kind !== "user") throw new AppError("UNAUTHENTICATED", "Sign in to do this.");
  return next({ ctx: { ...ctx, identity: ctx.identity } });
});

/** Operators: an admin account or the ADMIN_TOKEN bearer. */
export const adminProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.isAdmin) throw new AppError("FORBIDDEN", "Operators only.");
  return next();
});

/**
 * Service calls (usage.reserve, usage.release, usage.sync): a trusted program reporting usage for
 * a named subject, with the operator's bearer token. A browser session is never enough, an admin's
 * included: what a visitor can send must never lower a charge the server made.
 */
export const serviceProcedure = publicProcedure.use(({ ctx, next }) => {
  if (ctx.isService) return next();
  if (ctx.identity.kind === "user") {
    throw new AppError("FORBIDDEN", "This is a service call: it needs the operator token, not a session.");
  }
  throw new AppError("UNAUTHENTICATED", "This is a service call: send the operator token as a bearer.");
});

export { TRPCError };

/** Field messages an AppError carries in details.issues (the auth service's own checks), else null. */
function appFieldErrors(error: AppError): Record<string, string[]> | null {
  const issues = error.details?.issues;
  if (!Array.isArray(issues)) return null;
  const out: Record<string, string[]> = {};
  for (const issue of issues as { path?: unknown; message?: unknown }[]) {
    if (typeof issue.path !== "string" || typeof issue.message !== "string") continue;
    (out[issue.path || "(input)"] ??= []).push(issue.message);
  }
  return Object.keys(out).length > 0 ? out : null;
}
