import { BODY_LIMIT_BYTES } from "./request-input.ts";

/**
 * What a 4xx outside tRPC says: fastify's refusals in the caller's terms, our
 * own BadInput messages (marked `expose`), and otherwise a plain word for the
 * status. Never the text of an error thrown somewhere inside.
 */
const FASTIFY_MESSAGES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: `The body is larger than ${BODY_LIMIT_BYTES / (1024 * 1024)} MB.`,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "Send JSON (application/json).",
  FST_ERR_CTP_EMPTY_JSON_BODY: "The body is empty: send JSON, or no Content-Type.",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "Content-Length does not match the body.",
  FST_ERR_BAD_URL: "The URL is not valid.",
};

const CODES: Record<number, string> = {
  400: "BAD_REQUEST",
  404: "NOT_FOUND",
  405: "METHOD_NOT_SUPPORTED",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
};

const PLAIN: Record<number, string> = {
  404: "Not found.",
  413: "The request is too large.",
  415: "Send JSON (application/json).",
};

export function clientErrorBody(
  error: Error & { code?: string; expose?: boolean },
  status: number,
): { code: string; message: string } {
  const message =
    error.expose === true
      ? error.message
      : ((error.code !== undefined ? FASTIFY_MESSAGES[error.code] : undefined) ??
        PLAIN[status] ??
        "The request could not be read.");
  return { code: CODES[status] ?? "BAD_REQUEST", message };
}
