import { describe, expect, test } from "vitest";
import { APP_ERROR_CODES, AppError, isAppError, isAppErrorCode, type AppErrorCode } from "../src/index.ts";

// tRPC v11's own map (unstable-core-do-not-import/rpc/codes.ts), copied so that a mismatch between
// our httpStatus and the status tRPC will actually send fails here.
const TRPC_HTTP_STATUS: Record<string, number> = {
  PARSE_ERROR: 400,
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  PAYMENT_REQUIRED: 402,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_SUPPORTED: 405,
  TIMEOUT: 408,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNPROCESSABLE_CONTENT: 422,
  PRECONDITION_REQUIRED: 428,
  TOO_MANY_REQUESTS: 429,
  CLIENT_CLOSED_REQUEST: 499,
  INTERNAL_SERVER_ERROR: 500,
  NOT_IMPLEMENTED: 501,
  BAD_GATEWAY: 502,
  SERVICE_UNAVAILABLE: 503,
  GATEWAY_TIMEOUT: 504,
};

describe("APP_ERROR_CODES", () => {
  test("each httpStatus is what tRPC sends for its trpcCode", () => {
    for (const [code, spec] of Object.entries(APP_ERROR_CODES)) {
      expect(TRPC_HTTP_STATUS[spec.trpcCode], code).toBe(spec.httpStatus);
      expect(spec.message.length, code).toBeGreaterThan(0);
    }
  });

  test("the codes the server relies on", () => {
    const expected: Record<string, [number, string]> = {
      QUOTA_EXCEEDED: [429, "TOO_MANY_REQUESTS"],
      UNAUTHENTICATED: [401, "UNAUTHORIZED"],
      FORBIDDEN: [403, "FORBIDDEN"],
      CROSS_ORIGIN: [403, "FORBIDDEN"],
      NOT_FOUND: [404, "NOT_FOUND"],
      BAD_REQUEST: [400, "BAD_REQUEST"],
      VALIDATION_FAILED: [400, "BAD_REQUEST"],
      CONFLICT: [409, "CONFLICT"],
      NOT_INITIALIZED: [412, "PRECONDITION_FAILED"],
      PAYLOAD_TOO_LARGE: [413, "PAYLOAD_TOO_LARGE"],
      QUOTA_STORE_UNAVAILABLE: [503, "SERVICE_UNAVAILABLE"],
      INTERNAL: [500, "INTERNAL_SERVER_ERROR"],
    };
    for (const [code, [status, trpc]] of Object.entries(expected)) {
      expect(isAppErrorCode(code), code).toBe(true);
      const spec = APP_ERROR_CODES[code as AppErrorCode];
      expect([spec.httpStatus, spec.trpcCode], code).toEqual([status, trpc]);
    }
  });
});

describe("AppError", () => {
  test("carries code, default message, status and details", () => {
    const quota = [
      {
        scope: "general" as const,
        provider: null,
        model: null,
        window: "daily" as const,
        dimension: "requests" as const,
        used: 50,
        limit: 50,
        remaining: 0,
        resetsAt: new Date("2026-03-29T22:00:00.000Z"),
      },
    ];
    const error = new AppError("QUOTA_EXCEEDED", undefined, { quota });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("AppError");
    expect(error.code).toBe("QUOTA_EXCEEDED");
    expect(error.message).toBe(APP_ERROR_CODES.QUOTA_EXCEEDED.message);
    expect(error.httpStatus).toBe(429);
    expect(error.trpcCode).toBe("TOO_MANY_REQUESTS");
    expect(error.details?.quota).toEqual(quota);
  });

  test("custom message and cause", () => {
    const cause = new Error("ECONNREFUSED");
    const error = new AppError("QUOTA_STORE_UNAVAILABLE", "Database down", undefined, { cause });
    expect(error.message).toBe("Database down");
    expect(error.cause).toBe(cause);
    expect(error.details).toBeUndefined();
    expect(error.httpStatus).toBe(503);
  });

  test("isAppError recognises ours, including a copy from another module instance", () => {
    expect(isAppError(new AppError("NOT_FOUND"))).toBe(true);
    const foreign = Object.assign(new Error("x"), {
      name: "AppError",
      code: "NOT_FOUND",
    });
    expect(isAppError(foreign)).toBe(true);
    expect(isAppError(Object.assign(new Error("x"), { name: "AppError", code: "NOPE" }))).toBe(false);
    expect(isAppError(new Error("x"))).toBe(false);
    expect(isAppError({ name: "AppError", code: "NOT_FOUND" })).toBe(false);
    expect(isAppError("QUOTA_EXCEEDED")).toBe(false);
    expect(isAppError(null)).toBe(false);
  });

  test("isAppErrorCode ignores inherited keys", () => {
    expect(isAppErrorCode("toString")).toBe(false);
    expect(isAppErrorCode(429)).toBe(false);
  });
});
