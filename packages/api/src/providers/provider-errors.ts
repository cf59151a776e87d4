import { APICallError } from "@ai-sdk/provider";
import { ProviderError } from "./types.ts";

const RETRYABLE_STATUS = new Set([408, 409, 425, 429]);
const NETWORK_ERROR_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE", "UND_ERR_SOCKET"]);

/**
 * A message that is safe to show: provider error texts can echo part of the API key ("Incorrect
 * API key provided: sk-ab***"), so only the status travels; the original stays in `cause`.
 */
export function toProviderError(provider: string, error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  if (isNetworkError(error)) {
    return new ProviderError(`${provider} connection failed`, { cause: error, retryable: true });
  }
  if (APICallError.isInstance(error)) {
    const status = error.statusCode;
    if (status === undefined) {
      return new ProviderError(`${provider} could not be reached`, { cause: error, retryable: true });
    }
    if (status < 400) {
      // A 200 whose body could not be read or parsed.
      return new ProviderError(`${provider} stream failed`, { cause: error, retryable: error.isRetryable });
    }
    const retryable = error.isRetryable || RETRYABLE_STATUS.has(status) || status >= 500;
    const what =
      status === 401 || status === 403
        ? "rejected the credentials"
        : status === 429
          ? "is rate limiting requests"
          : status >= 500
            ? "had a server error"
            : "refused the request";
    return new ProviderError(`${provider} ${what} (HTTP ${status})`, { cause: error, retryable, statusCode: status });
  }
  return new ProviderError(`${provider} stream failed`, { cause: error });
}

function isNetworkError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    // undici: "fetch failed" before the response, "terminated" when the body is cut off.
    if (e instanceof TypeError && (e.message === "fetch failed" || e.message === "terminated")) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && NETWORK_ERROR_CODES.has(code)) return true;
  }
  return false;
}
