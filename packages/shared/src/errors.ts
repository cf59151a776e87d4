// The one table of application error codes. The server maps `trpcCode` onto TRPCError in a single
// function and ships `code` to the client as data.appError; HTTP routes outside tRPC use
// `httpStatus`. Each trpcCode is chosen so that tRPC's own code-to-status map yields the same
// httpStatus, so a client sees one status whichever way it called.

import type { QuotaDenial } from "./quota-math.ts";

/** tRPC v11 error codes, spelled out so this package need not depend on @trpc/server. */
export type TrpcErrorCode =
  | "PARSE_ERROR"
  | "BAD_REQUEST"
  | "UNAUTHORIZED"
  | "PAYMENT_REQUIRED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "METHOD_NOT_SUPPORTED"
  | "TIMEOUT"
  | "CONFLICT"
  | "PRECONDITION_FAILED"
  | "PAYLOAD_TOO_LARGE"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "UNPROCESSABLE_CONTENT"
  | "PRECONDITION_REQUIRED"
  | "TOO_MANY_REQUESTS"
  | "CLIENT_CLOSED_REQUEST"
  | "INTERNAL_SERVER_ERROR"
  | "NOT_IMPLEMENTED"
  | "BAD_GATEWAY"
  | "SERVICE_UNAVAILABLE"
  | "GATEWAY_TIMEOUT";

export interface AppErrorSpec {
  httpStatus: number;
  trpcCode: TrpcErrorCode;
  /** Default user-facing message; safe to show, never contains internals. */
  message: string;
}

export const APP_ERROR_CODES = {
  /** A quota denied the request; details.quota lists every binding limit. */
  QUOTA_EXCEEDED: {
    httpStatus: 429,
    trpcCode: "TOO_MANY_REQUESTS",
    message: "Usage limit reached.",
  },
  /** No session, or the session expired. */
  UNAUTHENTICATED: {
    httpStatus: 401,
    trpcCode: "UNAUTHORIZED",
    message: "Please sign in.",
  },
  /**
   * Sign-in refused: unknown e-mail and wrong password alike, so the answer does not reveal which
   * accounts exist. Not UNAUTHENTICATED, which means "no session" and sends a client to sign in.
   */
  INVALID_CREDENTIALS: {
    httpStatus: 401,
    trpcCode: "UNAUTHORIZED",
    message: "Email or password is incorrect.",
  },
  /** Too many failed sign-ins for the account or the address; details.retryAfterSeconds says when to retry. */
  SIGN_IN_THROTTLED: {
    httpStatus: 429,
    trpcCode: "TOO_MANY_REQUESTS",
    message: "Too many sign-in attempts. Please try again later.",
  },
  /** Too many accounts created from the address, or site-wide, this hour; details.retryAfterSeconds. */
  SIGN_UP_THROTTLED: {
    httpStatus: 429,
    trpcCode: "TOO_MANY_REQUESTS",
    message: "Too many new accounts right now. Please try again later.",
  },
  /**
   * The call needs a solved proof-of-work challenge (`auth.challenge`) in its `proof` field: every
   * sign-up, and a sign-in after a few failures. Also for a proof that is invalid, expired or spent.
   */
  CHALLENGE_REQUIRED: {
    httpStatus: 400,
    trpcCode: "BAD_REQUEST",
    message: "Solve a new challenge and try again.",
  },
  /** Signed in, but not allowed (e.g. an admin procedure, or another user's data). */
  FORBIDDEN: {
    httpStatus: 403,
    trpcCode: "FORBIDDEN",
    message: "You are not allowed to do that.",
  },
  /** The tier does not include the requested model. */
  MODEL_NOT_ALLOWED: {
    httpStatus: 403,
    trpcCode: "FORBIDDEN",
    message: "This model is not available on your plan.",
  },
  /** A state-changing request whose Origin is not ours (CSRF defence on cookie sessions). */
  CROSS_ORIGIN: {
    httpStatus: 403,
    trpcCode: "FORBIDDEN",
    message: "Cross-origin request refused.",
  },
  NOT_FOUND: { httpStatus: 404, trpcCode: "NOT_FOUND", message: "Not found." },
  /** Malformed request that is not a schema failure (e.g. a bad cursor). */
  BAD_REQUEST: {
    httpStatus: 400,
    trpcCode: "BAD_REQUEST",
    message: "Bad request.",
  },
  /** Input failed a Zod schema; details carry the field messages. */
  VALIDATION_FAILED: {
    httpStatus: 400,
    trpcCode: "BAD_REQUEST",
    message: "Some fields are invalid.",
  },
  /** Unique constraint or state conflict, e.g. e-mail already registered. */
  CONFLICT: {
    httpStatus: 409,
    trpcCode: "CONFLICT",
    message: "That conflicts with existing data.",
  },
  /** Quota rows for the subject do not exist yet: call usage.init first. */
  NOT_INITIALIZED: {
    httpStatus: 412,
    trpcCode: "PRECONDITION_FAILED",
    message: "Usage tracking is not initialised for this account.",
  },
  PAYLOAD_TOO_LARGE: {
    httpStatus: 413,
    trpcCode: "PAYLOAD_TOO_LARGE",
    message: "Request too large.",
  },
  /** The AI provider failed or timed out; nothing was charged. */
  PROVIDER_ERROR: {
    httpStatus: 502,
    trpcCode: "BAD_GATEWAY",
    message: "The AI provider did not respond.",
  },
  /** Quota store unreachable with QUOTA_FAIL_MODE=closed: refusing is safer than not metering. */
  QUOTA_STORE_UNAVAILABLE: {
    httpStatus: 503,
    trpcCode: "SERVICE_UNAVAILABLE",
    message: "Usage tracking is temporarily unavailable. Please try again shortly.",
  },
  /** A bug. The server logs it with a request id and never sends the stack. */
  INTERNAL: {
    httpStatus: 500,
    trpcCode: "INTERNAL_SERVER_ERROR",
    message: "Something went wrong.",
  },
} as const satisfies Record<string, AppErrorSpec>;

export type AppErrorCode = keyof typeof APP_ERROR_CODES;

export function isAppErrorCode(value: unknown): value is AppErrorCode {
  return typeof value === "string" && Object.hasOwn(APP_ERROR_CODES, value);
}

export interface AppErrorDetails {
  /** For QUOTA_EXCEEDED: every limit that refused the request. */
  quota?: QuotaDenial[];
  [key: string]: unknown;
}

export class AppError extends Error {
  override readonly name = "AppError";
  readonly code: AppErrorCode;
  readonly details: AppErrorDetails | undefined;

  constructor(code: AppErrorCode, message?: string, details?: AppErrorDetails, options?: { cause?: unknown }) {
    super(message ?? APP_ERROR_CODES[code].message, options);
    this.code = code;
    this.details = details;
  }

  get httpStatus(): number {
    return APP_ERROR_CODES[this.code].httpStatus;
  }

  get trpcCode(): TrpcErrorCode {
    return APP_ERROR_CODES[this.code].trpcCode;
  }
}

/**
 * instanceof, or the same shape by name and code: bundlers can load this module twice (server
 * bundle and a test copy), and an error from the other copy is still ours.
 */
export function isAppError(e: unknown): e is AppError {
  if (e instanceof AppError) return true;
  return e instanceof Error && e.name === "AppError" && isAppErrorCode((e as { code?: unknown }).code);
}
